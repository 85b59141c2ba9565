//===- MemRefCopyTest.cpp - The strided memrefCopy ------------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <numeric>
#include <vector>

namespace {

/// A ranked descriptor laid out as MLIR's StridedMemRefType.
struct Descriptor {
  explicit Descriptor(size_t rank) : words(3 + 2 * rank, 0) {}
  std::vector<int64_t> words;
};

/// Describes `buffer` (elements of `elemSize`) with the given layout.
Descriptor describe(void *buffer, int64_t offset,
                    const std::vector<int64_t> &sizes,
                    const std::vector<int64_t> &strides) {
  Descriptor d(sizes.size());
  d.words[0] = reinterpret_cast<intptr_t>(buffer);
  d.words[1] = reinterpret_cast<intptr_t>(buffer);
  d.words[2] = offset;
  for (size_t i = 0; i < sizes.size(); ++i) {
    d.words[3 + i] = sizes[i];
    d.words[3 + sizes.size() + i] = strides[i];
  }
  return d;
}

/// Copies with memrefCopy and checks every element against a reference
/// strided walk.
template <typename T>
void checkCopy(const std::vector<int64_t> &sizes,
               const std::vector<int64_t> &srcStrides, int64_t srcOffset,
               const std::vector<int64_t> &dstStrides, int64_t dstOffset,
               size_t bufferSize) {
  std::vector<T> src(bufferSize), dst(bufferSize, T(-1)),
      expected(bufferSize, T(-1));
  std::iota(src.begin(), src.end(), T(1));
  Descriptor from = describe(src.data(), srcOffset, sizes, srcStrides);
  Descriptor to = describe(dst.data(), dstOffset, sizes, dstStrides);
  BitNetUnrankedMemRef srcRef{static_cast<int64_t>(sizes.size()),
                              from.words.data()};
  BitNetUnrankedMemRef dstRef{static_cast<int64_t>(sizes.size()),
                              to.words.data()};
  memrefCopy(sizeof(T), &srcRef, &dstRef);

  int64_t count = 1;
  for (int64_t size : sizes)
    count *= size;
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t rest = flat, s = srcOffset, d = dstOffset;
    for (size_t dim = sizes.size(); dim-- > 0;) {
      int64_t index = rest % sizes[dim];
      rest /= sizes[dim];
      s += index * srcStrides[dim];
      d += index * dstStrides[dim];
    }
    expected[d] = src[s];
  }
  EXPECT_EQ(dst, expected);
}

TEST(MemRefCopy, Rank0) { checkCopy<float>({}, {}, 3, {}, 5, 8); }

TEST(MemRefCopy, ContiguousRank2) {
  checkCopy<int32_t>({3, 4}, {4, 1}, 0, {4, 1}, 0, 12);
}

TEST(MemRefCopy, ContiguousWithOffsets) {
  checkCopy<int64_t>({2, 3}, {3, 1}, 2, {3, 1}, 5, 16);
}

TEST(MemRefCopy, Transpose) {
  checkCopy<float>({3, 5}, {1, 3}, 0, {5, 1}, 0, 15);
}

TEST(MemRefCopy, PaddedRowsToDense) {
  // A [4, 3] view of a [4, 8] buffer, starting at column 2.
  checkCopy<uint8_t>({4, 3}, {8, 1}, 2, {3, 1}, 0, 32);
}

TEST(MemRefCopy, StridedInnerDim) {
  checkCopy<int16_t>({2, 3, 4}, {24, 8, 2}, 1, {12, 4, 1}, 0, 64);
}

TEST(MemRefCopy, UnitDimsIgnoreStrides) {
  checkCopy<double>({1, 6, 1}, {99, 1, 77}, 0, {5, 1, 3}, 0, 8);
}

TEST(MemRefCopy, Rank4Mixed) {
  checkCopy<float>({2, 2, 3, 2}, {1, 2, 4, 12}, 0, {12, 6, 2, 1}, 0, 24);
}

TEST(MemRefCopy, TrailingUnitDimOverStridedDim) {
  // A decode step's write of one position into a transposed K cache
  // [1, heads, dim, context]: the innermost dim has extent 1, the one
  // before it a stride of the whole context on the destination.
  checkCopy<float>({1, 2, 4, 1}, {8, 4, 1, 1}, 0, {64, 32, 8, 1}, 3, 64);
}

TEST(MemRefCopy, ElementSizes) {
  checkCopy<uint8_t>({3, 4}, {1, 3}, 0, {4, 1}, 0, 12);
  checkCopy<int64_t>({3, 4}, {1, 3}, 1, {4, 1}, 0, 16);
}

TEST(MemRefCopy, ZeroSizeCopiesNothing) {
  checkCopy<float>({3, 0, 2}, {0, 2, 1}, 0, {0, 2, 1}, 0, 4);
}

} // namespace
