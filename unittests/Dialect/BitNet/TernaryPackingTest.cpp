//===- TernaryPackingTest.cpp - plain layout and the ternary test ---------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::bitnet;

namespace {

TEST(TernaryPacking, PlainByteOrderIsLowBitsFirst) {
  // Row [+1, 0, -1, +1, -1]: codes 2, 1, 0, 2 | 0 (+ padding code 1).
  SmallVector<int8_t> w = {1, 0, -1, 1, -1};
  auto packed = packTernaryPlain(w, 1, 5);
  ASSERT_TRUE(packed);
  ASSERT_EQ(packed->size(), 2u);
  EXPECT_EQ((*packed)[0], 0b10000110);
  // Padding slots hold the zero-weight code 1.
  EXPECT_EQ((*packed)[1], 0b01010100);
}

TEST(TernaryPacking, RoundTripsEveryShape) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> dist(-1, 1);
  for (int64_t rows : {1, 3, 7})
    for (int64_t cols : {1, 2, 3, 4, 5, 31, 96, 129}) {
      SmallVector<int8_t> w(rows * cols);
      for (int8_t &v : w)
        v = static_cast<int8_t>(dist(rng));
      auto packed = packTernaryPlain(w, rows, cols);
      ASSERT_TRUE(packed);
      EXPECT_EQ(static_cast<int64_t>(packed->size()),
                rows * ((cols + 3) / 4));
      EXPECT_FALSE(findInvalidPlainCode(*packed));
      auto unpacked = unpackTernaryPlain(*packed, rows, cols);
      ASSERT_TRUE(unpacked);
      EXPECT_EQ(*unpacked, w) << rows << "x" << cols;
    }
}

TEST(TernaryPacking, RejectsNonTernaryAndBadSizes) {
  SmallVector<int8_t> w = {1, 2, 0, 0};
  EXPECT_FALSE(packTernaryPlain(w, 1, 4));
  EXPECT_FALSE(packTernaryPlain(w, 2, 4)); // wrong element count
  SmallVector<uint8_t> bytes = {0x55, 0x55};
  EXPECT_FALSE(unpackTernaryPlain(bytes, 1, 4)); // wrong byte count
}

TEST(TernaryPacking, FindsCodeThree) {
  SmallVector<uint8_t> bytes = {0x55, 0x56, 0x5D, 0x55};
  // 0x56: codes 2,1,1,1 fine; 0x5D = 01 01 11 01: code 3 in slot 1.
  std::optional<int64_t> bad = findInvalidPlainCode(bytes);
  ASSERT_TRUE(bad);
  EXPECT_EQ(*bad, 2);
  EXPECT_FALSE(unpackTernaryPlain(bytes, 1, 16));
}

TEST(TernaryPacking, RejectsEachNonTernaryValueAnywhere) {
  // Every non-ternary int8 value, in the 8-weight words and in the tail.
  for (int64_t cols : {8, 13, 16, 21}) {
    for (int64_t at : {int64_t(0), int64_t(5), cols - 1}) {
      for (int v = -128; v < 128; ++v) {
        SmallVector<int8_t> w(2 * cols, 0);
        w[cols + at] = static_cast<int8_t>(v);
        bool ternary = v >= -1 && v <= 1;
        EXPECT_EQ(packTernaryPlain(w, 2, cols).has_value(), ternary)
            << cols << " " << at << " " << v;
      }
    }
  }
}

TEST(TernaryPacking, MatchesTheScalarDefinition) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> dist(-1, 1);
  for (int64_t rows : {1, 2, 5})
    for (int64_t cols = 1; cols <= 40; ++cols) {
      SmallVector<int8_t> w(rows * cols);
      for (int8_t &v : w)
        v = static_cast<int8_t>(dist(rng));
      int64_t rowBytes = (cols + 3) / 4;
      // Codes w + 1, four per byte from the low bits, padding code 1.
      SmallVector<uint8_t> expected(rows * rowBytes, 0x55);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          uint8_t &byte = expected[r * rowBytes + c / 4];
          unsigned shift = 2 * (c % 4);
          byte = (byte & ~(3u << shift)) | ((w[r * cols + c] + 1) << shift);
        }
      auto packed = packTernaryPlain(w, rows, cols);
      ASSERT_TRUE(packed);
      EXPECT_EQ(*packed, expected) << rows << "x" << cols;
    }
}

TEST(TernaryPacking, UnpackIgnoresPaddingCodes) {
  // One weight (+1, code 2) and padding code 3 in the other slots: only the
  // weight's code is checked.
  SmallVector<uint8_t> bytes = {0xFE};
  auto w = unpackTernaryPlain(bytes, 1, 1);
  ASSERT_TRUE(w);
  EXPECT_EQ((*w)[0], 1);
  EXPECT_FALSE(unpackTernaryPlain(bytes, 1, 2));
}

TEST(TernaryPacking, FindsCodeThreeInLongBuffers) {
  for (size_t at : {0, 7, 8, 9, 63, 64, 100}) {
    SmallVector<uint8_t> bytes(101, 0x55);
    EXPECT_FALSE(findInvalidPlainCode(bytes));
    bytes[at] = 0x75; // code 3 in slot 2
    std::optional<int64_t> bad = findInvalidPlainCode(bytes);
    ASSERT_TRUE(bad);
    EXPECT_EQ(*bad, static_cast<int64_t>(at));
  }
}

TEST(SplitTernary, PerTensorWithSignedZeros) {
  const float g = 0.0807261541f;
  SmallVector<float> w = {g, -g, 0.0f, -0.0f, g, 0.0f};
  auto split = splitTernary(w, 2, 3);
  ASSERT_TRUE(split);
  ASSERT_EQ(split->scales.size(), 1u);
  EXPECT_EQ(split->scales[0], g);
  EXPECT_EQ(split->values, (SmallVector<int8_t>{1, -1, 0, 0, 1, 0}));
}

TEST(SplitTernary, OneUlpOffIsNotTernary) {
  const float g = 0.0807261541f;
  SmallVector<float> w = {g, std::nextafter(g, 1.0f), 0.0f, -g};
  EXPECT_FALSE(splitTernary(w, 1, 4));
  // Per row, the first row still mixes g and its successor.
  EXPECT_FALSE(splitTernary(w, 2, 2));
  // Each row consistent on its own: ternary per channel.
  SmallVector<float> perRow = {g, -g, std::nextafter(g, 1.0f), 0.0f};
  auto split = splitTernary(perRow, 2, 2);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->scales.size(), 2u);
}

TEST(SplitTernary, PerChannelWhenRowsDiffer) {
  SmallVector<float> w = {0.5f, -0.5f, 0.0f, 0.25f, 0.0f, -0.25f};
  auto split = splitTernary(w, 2, 3);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->scales, (SmallVector<float>{0.5f, 0.25f}));
  EXPECT_EQ(split->values, (SmallVector<int8_t>{1, -1, 0, 1, 0, -1}));
}

TEST(SplitTernary, RejectsNaNAndInfinity) {
  SmallVector<float> nan = {NAN, 0.0f};
  SmallVector<float> inf = {INFINITY, -INFINITY};
  EXPECT_FALSE(splitTernary(nan, 1, 2));
  EXPECT_FALSE(splitTernary(inf, 1, 2));
}

TEST(SplitTernary, AllZeroIsTernary) {
  SmallVector<float> w(8, 0.0f);
  auto split = splitTernary(w, 2, 4);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->values, SmallVector<int8_t>(8, 0));
}

TEST(SplitTernary, SubnormalScaleAndSignedZeroRows) {
  const float g = 1e-40f; // subnormal
  SmallVector<float> w = {-0.0f, g, -g, 0.0f, -0.0f, -0.0f};
  auto split = splitTernary(w, 2, 3);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->scales, (SmallVector<float>{g}));
  EXPECT_EQ(split->values, (SmallVector<int8_t>{0, 1, -1, 0, 0, 0}));
  // Per row: the all-zero row gets scale 1.
  SmallVector<float> rows = {0.5f, -0.0f, -0.0f, 0.0f, 0.25f, -0.25f};
  auto perRow = splitTernary(rows, 3, 2);
  ASSERT_TRUE(perRow);
  EXPECT_EQ(perRow->scales, (SmallVector<float>{0.5f, 1.0f, 0.25f}));
  EXPECT_EQ(perRow->values, (SmallVector<int8_t>{1, 0, 0, 0, 1, -1}));
}

TEST(SplitTernary, LongRunsRejectLateOutliers) {
  // A mismatch past the first block of the word-at-a-time loop.
  const float g = 0.75f;
  SmallVector<float> w(3 * 5000, 0.0f);
  for (size_t i = 0; i < w.size(); i += 3)
    w[i] = (i / 3) % 2 ? g : -g;
  ASSERT_TRUE(splitTernary(w, 3, 5000));
  w[w.size() - 1] = NAN;
  EXPECT_FALSE(splitTernary(w, 3, 5000));
  w[w.size() - 1] = std::nextafter(-g, 0.0f);
  EXPECT_FALSE(splitTernary(w, 3, 5000));
  w[w.size() - 1] = -g;
  EXPECT_TRUE(splitTernary(w, 3, 5000));
}

} // namespace
