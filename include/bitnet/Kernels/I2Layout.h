/*===- I2Layout.h - The `i2` ternary weight layout ---------------*- C -*-===//
 *
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===//
 *
 * The layout of the int2 microkernels, shared by the packer (compiler) and
 * the kernels (runtime); C so that both can include it.
 *
 * Every row of W[N, K] is ceil(K / 128) blocks of 32 bytes. In block b, byte
 * j holds in bits [2i, 2i + 1] (i = 0..3) the code c = w + 1 of the weight at
 * column k = 128 b + 32 i + j, and code 1 (a zero weight) past K. One 32-byte
 * load, a shift by 2i and a mask give the codes of 32 consecutive columns,
 * which meet 32 consecutive activations in one byte dot product.
 *
 *===----------------------------------------------------------------------===*/

#ifndef BITNET_KERNELS_I2LAYOUT_H
#define BITNET_KERNELS_I2LAYOUT_H

#include <stdint.h>

enum {
  /// Weights per block.
  BITNET_I2_BLOCK_WEIGHTS = 128,
  /// Bytes per block.
  BITNET_I2_BLOCK_BYTES = 32,
};

/// Bytes per packed row of K weights.
static inline int64_t bitnetI2RowBytes(int64_t cols) {
  return (cols + BITNET_I2_BLOCK_WEIGHTS - 1) / BITNET_I2_BLOCK_WEIGHTS *
         BITNET_I2_BLOCK_BYTES;
}

#endif /* BITNET_KERNELS_I2LAYOUT_H */
