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

#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"
#include "bitnet/Kernels/KernelRegistry.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir;
using namespace mlir::bitnet;

namespace {

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
    SmallVector<int8_t> w(rows * cols);
    for (int8_t &v : w)
      v = static_cast<int8_t>(rng() % 3) - 1;
    // The plain form the raiser produces (tested in TernaryPackingTest).
    std::optional<SmallVector<uint8_t>> plain = packTernaryPlain(w, rows, cols);
    ASSERT_TRUE(plain);
    std::optional<SmallVector<uint8_t>> packed =
        packTernaryI2FromPlain(*plain, rows, cols);
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
        byte =
            (byte & ~(3u << pos.shift)) | ((w[r * cols + k] + 1) << pos.shift);
      }
    EXPECT_EQ(*packed, expected) << rows << "x" << cols;
  }
}

TEST(I2Packing, RejectsASizeMismatch) {
  SmallVector<uint8_t> plain(5, 0x55);
  EXPECT_FALSE(packTernaryI2FromPlain(plain, 2, 8));
}

} // namespace
