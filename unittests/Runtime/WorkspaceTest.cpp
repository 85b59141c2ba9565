//===- WorkspaceTest.cpp - The generated code's buffer allocator ----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kLarge = 1 << 20;

TEST(Workspace, AlignsAndHoldsTheWholeSize) {
  for (size_t alignment : {1, 16, 64, 4096}) {
    for (size_t size : {size_t(0), size_t(1), size_t(100), kLarge + 3}) {
      auto *p = static_cast<uint8_t *>(bitnetWorkspaceAlloc(size, alignment));
      ASSERT_NE(p, nullptr) << size << " bytes at " << alignment;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u);
      std::memset(p, 0xab, size);
      bitnetWorkspaceFree(p);
    }
  }
  bitnetWorkspaceTrim();
}

TEST(Workspace, RefusesBadArguments) {
  EXPECT_EQ(bitnetWorkspaceAlloc(64, 48), nullptr); // not a power of two
  EXPECT_EQ(bitnetWorkspaceAlloc(SIZE_MAX - 8, 16), nullptr);
  bitnetWorkspaceFree(nullptr);
}

TEST(Workspace, ReusesFreedLargeBlocks) {
  bitnetWorkspaceTrim();
  void *first = bitnetWorkspaceAlloc(kLarge, 64);
  bitnetWorkspaceFree(first);
  // The same size, and down to about half of it, gets the kept block back.
  void *same = bitnetWorkspaceAlloc(kLarge, 64);
  EXPECT_EQ(same, first);
  bitnetWorkspaceFree(same);
  void *half = bitnetWorkspaceAlloc(kLarge / 2 + 4096, 64);
  EXPECT_EQ(half, first);
  bitnetWorkspaceFree(half);
  // A much smaller or a larger request does not.
  void *small = bitnetWorkspaceAlloc(kLarge / 4, 64);
  void *large = bitnetWorkspaceAlloc(kLarge * 2, 64);
  EXPECT_NE(small, first);
  EXPECT_NE(large, first);
  bitnetWorkspaceFree(small);
  bitnetWorkspaceFree(large);
  bitnetWorkspaceTrim();
}

TEST(Workspace, KeepsABoundedNumberOfBlocks) {
  bitnetWorkspaceTrim();
  std::vector<void *> blocks;
  for (int i = 0; i < 12; ++i)
    blocks.push_back(bitnetWorkspaceAlloc(kLarge, 64));
  for (void *p : blocks)
    bitnetWorkspaceFree(p);
  // 8 blocks are kept (the first 8 freed); the rest went back to malloc.
  int reused = 0;
  std::vector<void *> again;
  for (int i = 0; i < 8; ++i) {
    again.push_back(bitnetWorkspaceAlloc(kLarge, 64));
    reused += std::count(blocks.begin(), blocks.begin() + 8, again.back());
  }
  EXPECT_EQ(reused, 8);
  for (void *p : again)
    bitnetWorkspaceFree(p);
  bitnetWorkspaceTrim();
}

} // namespace
