//===- I2PackingTest.cpp - The i2 packer against the documented layout ----===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// packTernaryI2FromPlain is checked against the layout as I2Layout.h and
// docs/Kernels.md describe it, written out here independently of the
// header's offset helpers, so a change of either side shows.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/KernelRegistry.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// The plain layout of `codes` (rows x cols, values 0..2): four codes per
/// byte, low bits first, every row starting on a new byte.
SmallVector<uint8_t> toPlain(ArrayRef<uint8_t> codes, int64_t rows,
                             int64_t cols) {
  int64_t rowBytes = (cols + 3) / 4;
  SmallVector<uint8_t> plain(rows * rowBytes, 0x55);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      uint8_t &byte = plain[r * rowBytes + k / 4];
      unsigned shift = 2 * (k % 4);
      byte = (byte & ~(3u << shift)) | (codes[r * cols + k] << shift);
    }
  return plain;
}

/// Tiles of 4 rows; a row is ceil(cols / 256) units of 64 bytes (blocks 2u
/// and 2u + 1 of 32 bytes); unit u of a tile holds rows 0..3 in turn. In a
/// block, byte j holds column 128 b + 32 i + j at bits 2i.
struct Position {
  int64_t byte;
  unsigned shift;
};
Position documentedPosition(int64_t r, int64_t k, int64_t cols) {
  int64_t units = (cols + 255) / 256;
  int64_t tileBytes = 4 * units * 64;
  int64_t block = k / 128;
  return {r / 4 * tileBytes + (block / 2 * 4 + r % 4) * 64 + block % 2 * 32 +
              k % 32,
          static_cast<unsigned>(2 * (k % 128 / 32))};
}

TEST(I2Packing, MatchesTheDocumentedLayout) {
  std::mt19937 rng(7);
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1},
                            {3, 8},
                            {4, 256},
                            {5, 257},
                            {9, 640},
                            {8, 6912 / 8}}) {
    SmallVector<uint8_t> codes(rows * cols);
    for (uint8_t &c : codes)
      c = rng() % 3;
    std::optional<SmallVector<uint8_t>> packed =
        packTernaryI2FromPlain(toPlain(codes, rows, cols), rows, cols);
    ASSERT_TRUE(packed);
    int64_t tiles = (rows + 3) / 4, units = (cols + 255) / 256;
    ASSERT_EQ(static_cast<int64_t>(packed->size()), tiles * 4 * units * 64)
        << rows << "x" << cols;
    // Every slot that holds no weight (rows past N, columns past K) is code
    // 1, a zero weight.
    SmallVector<uint8_t> expected(packed->size(), 0x55);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < cols; ++k) {
        Position pos = documentedPosition(r, k, cols);
        uint8_t &byte = expected[pos.byte];
        byte = (byte & ~(3u << pos.shift)) | (codes[r * cols + k] << pos.shift);
      }
    EXPECT_EQ(*packed, expected) << rows << "x" << cols;
  }
}

TEST(I2Packing, RejectsASizeMismatch) {
  SmallVector<uint8_t> plain(5, 0x55);
  EXPECT_FALSE(packTernaryI2FromPlain(plain, 2, 8));
}

} // namespace
