//===- TernaryPacking.cpp - Ternary weight (un)packing ---------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::bitnet;

/// Code of a zero weight; also the padding code, so a kernel that reads a
/// whole padded byte adds nothing for the padding.
static constexpr uint8_t kZeroCode = 1;

std::optional<SmallVector<uint8_t>>
mlir::bitnet::packTernaryPlain(ArrayRef<int8_t> w, int64_t rows,
                               int64_t cols) {
  if (rows < 0 || cols < 0 || static_cast<int64_t>(w.size()) != rows * cols)
    return std::nullopt;
  int64_t rowBytes = (cols + 3) / 4;
  // Start with every code at "zero weight" (0b01 in each of the 4 slots).
  SmallVector<uint8_t> packed(rows * rowBytes, kZeroCode * 0x55);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      int8_t v = w[r * cols + c];
      if (v < -1 || v > 1)
        return std::nullopt;
      uint8_t &byte = packed[r * rowBytes + c / 4];
      unsigned shift = 2 * (c % 4);
      byte = (byte & ~(3u << shift)) | (uint8_t(v + 1) << shift);
    }
  }
  return packed;
}

std::optional<SmallVector<int8_t>>
mlir::bitnet::unpackTernaryPlain(ArrayRef<uint8_t> packed, int64_t rows,
                                 int64_t cols) {
  int64_t rowBytes = (cols + 3) / 4;
  if (rows < 0 || cols < 0 ||
      static_cast<int64_t>(packed.size()) != rows * rowBytes)
    return std::nullopt;
  SmallVector<int8_t> w(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      unsigned code = (packed[r * rowBytes + c / 4] >> (2 * (c % 4))) & 3u;
      if (code == 3)
        return std::nullopt;
      w[r * cols + c] = static_cast<int8_t>(code) - 1;
    }
  }
  return w;
}

std::optional<int64_t>
mlir::bitnet::findInvalidPlainCode(ArrayRef<uint8_t> packed) {
  for (auto [i, byte] : llvm::enumerate(packed)) {
    // A code is 3 iff both of its bits are set.
    if (byte & (byte >> 1) & 0x55)
      return static_cast<int64_t>(i);
  }
  return std::nullopt;
}

/// Splits `w[0..n)` into ternary values and one scale; false if impossible.
static bool splitRun(ArrayRef<float> w, int8_t *values, float &scale) {
  float g = 0.0f;
  for (float v : w) {
    if (v != 0.0f) { // -0.0 == 0.0
      g = std::fabs(v);
      break;
    }
  }
  if (!(g > 0.0f) || !std::isfinite(g)) {
    // All zero (or NaN/inf, rejected below).
    g = 1.0f;
  }
  for (auto [i, v] : llvm::enumerate(w)) {
    if (v == 0.0f)
      values[i] = 0;
    else if (v == g)
      values[i] = 1;
    else if (v == -g)
      values[i] = -1;
    else
      return false;
  }
  scale = g;
  return true;
}

std::optional<TernarySplit> mlir::bitnet::splitTernary(ArrayRef<float> w,
                                                       int64_t rows,
                                                       int64_t cols) {
  if (rows <= 0 || cols <= 0 || static_cast<int64_t>(w.size()) != rows * cols)
    return std::nullopt;
  TernarySplit split;
  split.values.resize(w.size());
  float g;
  if (splitRun(w, split.values.data(), g)) {
    split.scales.push_back(g);
    return split;
  }
  for (int64_t r = 0; r < rows; ++r) {
    if (!splitRun(w.slice(r * cols, cols), split.values.data() + r * cols, g))
      return std::nullopt;
    split.scales.push_back(g);
  }
  return split;
}
