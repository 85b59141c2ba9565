/*===- I8Layout.h - The `i8` int8 weight layout ------------------*- C -*-===//
 *
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===//
 *
 * The layout of the int8-weight microkernels (the `i8` family, for 8-bit
 * weights such as a W8A8 LM head), shared by the packer (compiler) and the
 * kernels (runtime); C so that both can include it.
 *
 * A row of W[N, K] is ceil(K / 64) units of 64 bytes; byte j of unit u holds
 * the code c = w + 128 (an unsigned byte) of the weight at column 64 u + j,
 * and code 128 (a zero weight) past K. Unsigned codes let unsigned x signed
 * byte dot products (vpdpbusd) apply: Σ w·q = Σ c·q − 128 Σ q.
 *
 * Rows are stored in tiles of 4, interleaved by unit, as in the `i2` layout
 * (I2Layout.h): unit u of a tile holds unit u of each of its 4 rows in turn
 * (256 bytes), so a row tile is one sequential stream. Rows past N (to a
 * whole tile) hold code 128.
 *
 *===----------------------------------------------------------------------===*/

#ifndef BITNET_KERNELS_I8LAYOUT_H
#define BITNET_KERNELS_I8LAYOUT_H

#include <stdint.h>

enum {
  /// Weights (and bytes) per unit.
  BITNET_I8_UNIT_BYTES = 64,
  /// Rows per interleaved tile.
  BITNET_I8_TILE_ROWS = 4,
  /// The code of a zero weight.
  BITNET_I8_ZERO_CODE = 128,
};

/// Bytes of one row's codes (whole units) for K = `cols`.
static inline int64_t bitnetI8RowBytes(int64_t cols) {
  return (cols + BITNET_I8_UNIT_BYTES - 1) / BITNET_I8_UNIT_BYTES *
         BITNET_I8_UNIT_BYTES;
}

/// Bytes of one tile of BITNET_I8_TILE_ROWS rows.
static inline int64_t bitnetI8TileBytes(int64_t cols) {
  return BITNET_I8_TILE_ROWS * bitnetI8RowBytes(cols);
}

/// Bytes of a packed [rows, cols] matrix (whole tiles).
static inline int64_t bitnetI8PackedBytes(int64_t rows, int64_t cols) {
  return (rows + BITNET_I8_TILE_ROWS - 1) / BITNET_I8_TILE_ROWS *
         bitnetI8TileBytes(cols);
}

/// Offset of unit `unit` of a row from that row's unit 0.
static inline int64_t bitnetI8UnitInRow(int64_t unit) {
  return unit * BITNET_I8_TILE_ROWS * BITNET_I8_UNIT_BYTES;
}

/// Offset of unit 0 of row `row`.
static inline int64_t bitnetI8RowOffset(int64_t row, int64_t cols) {
  return row / BITNET_I8_TILE_ROWS * bitnetI8TileBytes(cols) +
         row % BITNET_I8_TILE_ROWS * BITNET_I8_UNIT_BYTES;
}

/// The byte holding the code of W[row, col].
static inline int64_t bitnetI8CodeByte(int64_t row, int64_t col, int64_t cols) {
  return bitnetI8RowOffset(row, cols) +
         bitnetI8UnitInRow(col / BITNET_I8_UNIT_BYTES) +
         col % BITNET_I8_UNIT_BYTES;
}

#endif /* BITNET_KERNELS_I8LAYOUT_H */
