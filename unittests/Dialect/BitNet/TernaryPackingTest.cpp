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

} // namespace
