/*===- I2Layout.h - The `i2` ternary weight layout ---------------*- C -*-===//
 *
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===//
 *
 * The layout of the int2 microkernels, shared by the packer (compiler) and
 * the kernels (runtime); C so that both can include it.
 *
 * A row of W[N, K] is ceil(K / 128) blocks of 32 bytes. In block b, byte j
 * holds in bits [2i, 2i + 1] (i = 0..3) the code c = w + 1 of the weight at
 * column k = 128 b + 32 i + j, and code 1 (a zero weight) past K. One 32-byte
 * load, a shift by 2i and a mask give the codes of 32 consecutive columns,
 * which meet 32 consecutive activations in one byte dot product.
 *
 * Rows are stored in tiles of 4 (the kernels' row tile), interleaved in units
 * of two blocks: a tile is ceil(K / 256) units, and unit u holds, for each of
 * the 4 rows in turn, that row's blocks 2u and 2u + 1 (64 bytes, one cache
 * line). A row tile is thus one sequential stream, which the hardware
 * prefetchers follow to DRAM speed, where 4 separate rows of K / 4 bytes are
 * 4 short streams they barely learn before they end. Rows past N (to a
 * whole tile) and blocks past K (to a whole unit) hold code 1.
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
  /// Rows per interleaved tile.
  BITNET_I2_TILE_ROWS = 4,
  /// Consecutive blocks of one row inside a tile (one 64-byte unit).
  BITNET_I2_UNIT_BLOCKS = 2,
};

/// Bytes of one row's codes in a tile (whole units) for K = `cols`.
static inline int64_t bitnetI2RowBytes(int64_t cols) {
  int64_t unitWeights = BITNET_I2_UNIT_BLOCKS * BITNET_I2_BLOCK_WEIGHTS;
  return (cols + unitWeights - 1) / unitWeights * BITNET_I2_UNIT_BLOCKS *
         BITNET_I2_BLOCK_BYTES;
}

/// Bytes of one tile of BITNET_I2_TILE_ROWS rows.
static inline int64_t bitnetI2TileBytes(int64_t cols) {
  return BITNET_I2_TILE_ROWS * bitnetI2RowBytes(cols);
}

/// Bytes of a packed [rows, cols] matrix (whole tiles).
static inline int64_t bitnetI2PackedBytes(int64_t rows, int64_t cols) {
  return (rows + BITNET_I2_TILE_ROWS - 1) / BITNET_I2_TILE_ROWS *
         bitnetI2TileBytes(cols);
}

/// Offset of block `block` of a row from that row's block 0.
static inline int64_t bitnetI2BlockInRow(int64_t block) {
  return block / BITNET_I2_UNIT_BLOCKS * BITNET_I2_TILE_ROWS *
             BITNET_I2_UNIT_BLOCKS * BITNET_I2_BLOCK_BYTES +
         block % BITNET_I2_UNIT_BLOCKS * BITNET_I2_BLOCK_BYTES;
}

/// Offset of block 0 of row `row`.
static inline int64_t bitnetI2RowOffset(int64_t row, int64_t cols) {
  return row / BITNET_I2_TILE_ROWS * bitnetI2TileBytes(cols) +
         row % BITNET_I2_TILE_ROWS * BITNET_I2_UNIT_BLOCKS *
             BITNET_I2_BLOCK_BYTES;
}

/// The byte holding the code of W[row, col], at bits [2 * slot, 2 * slot + 1]
/// with slot = col % 128 / 32.
static inline int64_t bitnetI2CodeByte(int64_t row, int64_t col, int64_t cols) {
  return bitnetI2RowOffset(row, cols) +
         bitnetI2BlockInRow(col / BITNET_I2_BLOCK_WEIGHTS) +
         col % BITNET_I2_BLOCK_BYTES;
}

#endif /* BITNET_KERNELS_I2LAYOUT_H */
