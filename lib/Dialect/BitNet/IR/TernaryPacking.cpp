//===- TernaryPacking.cpp - Ternary weight (un)packing ---------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// These run over every weight of a model at import (billions for a 2B
// model), so the loops work on 8 weights per 64-bit word, without
// per-element branches, and test whole blocks before giving up early.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"

#include "llvm/ADT/ArrayRef.h"

#include <algorithm>
#include <cstring>

using namespace mlir;
using namespace mlir::bitnet;

/// Code of a zero weight; also the padding code, so a kernel that reads a
/// whole padded byte adds nothing for the padding.
static constexpr uint8_t kZeroCode = 1;

static constexpr uint64_t kBytes01 = 0x0101010101010101ull;
static constexpr uint64_t kBytes7F = 0x7F7F7F7F7F7F7F7Full;
static constexpr uint64_t kBytes80 = 0x8080808080808080ull;
static constexpr uint64_t kBytesFC = 0xFCFCFCFCFCFCFCFCull;

/// Per byte of `x` (8 int8 weights): the code w + 1 (mod 256), without
/// carries between bytes.
static inline uint64_t codesOf(uint64_t x) {
  return ((x & kBytes7F) + kBytes01) ^ (x & kBytes80);
}

/// Nonzero iff a byte of `codes` is not a valid code (0, 1 or 2), i.e. the
/// weight was not -1, 0 or +1.
static inline uint64_t invalidCodes(uint64_t codes) {
  return (codes & kBytesFC) | (codes & (codes >> 1) & kBytes01);
}

/// Packs 8 valid codes (one per byte) into 2 bytes: byte 0 holds codes 0-3,
/// byte 4 codes 4-7 (low bits first).
static inline uint64_t packCodes(uint64_t codes) {
  uint64_t t = codes | (codes >> 6);
  return t | (t >> 12);
}

std::optional<SmallVector<uint8_t>>
mlir::bitnet::packTernaryPlain(ArrayRef<int8_t> w, int64_t rows,
                               int64_t cols) {
  if (rows < 0 || cols < 0 || static_cast<int64_t>(w.size()) != rows * cols)
    return std::nullopt;
  int64_t rowBytes = (cols + 3) / 4;
  SmallVector<uint8_t> packed;
  packed.resize_for_overwrite(rows * rowBytes);
  const int8_t *src = w.data();
  uint8_t *dst = packed.data();
  int64_t fullWords = cols / 8;
  for (int64_t r = 0; r < rows; ++r, src += cols, dst += rowBytes) {
    uint64_t bad = 0;
    for (int64_t j = 0; j < fullWords; ++j) {
      uint64_t x;
      std::memcpy(&x, src + 8 * j, 8);
      uint64_t codes = codesOf(x);
      bad |= invalidCodes(codes);
      uint64_t p = packCodes(codes);
      dst[2 * j] = static_cast<uint8_t>(p);
      dst[2 * j + 1] = static_cast<uint8_t>(p >> 32);
    }
    // The last 1-7 weights; missing slots get the zero code (padding).
    if (int64_t tail = cols - 8 * fullWords) {
      uint64_t codes = 0;
      for (int64_t c = 0; c < 8; ++c) {
        uint8_t code = c < tail ? static_cast<uint8_t>(src[8 * fullWords + c] + 1)
                                : kZeroCode;
        codes |= static_cast<uint64_t>(code) << (8 * c);
      }
      bad |= invalidCodes(codes);
      uint64_t p = packCodes(codes);
      dst[2 * fullWords] = static_cast<uint8_t>(p);
      if (2 * fullWords + 1 < rowBytes)
        dst[2 * fullWords + 1] = static_cast<uint8_t>(p >> 32);
    }
    if (bad)
      return std::nullopt;
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
  SmallVector<int8_t> w;
  w.resize_for_overwrite(rows * cols);
  unsigned bad = 0; // padding codes are not checked
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *src = packed.data() + r * rowBytes;
    int8_t *dst = w.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      unsigned code = (src[c / 4] >> (2 * (c % 4))) & 3u;
      bad |= code == 3;
      dst[c] = static_cast<int8_t>(static_cast<int>(code) - 1);
    }
  }
  if (bad)
    return std::nullopt;
  return w;
}

std::optional<int64_t>
mlir::bitnet::findInvalidPlainCode(ArrayRef<uint8_t> packed) {
  // A code is 3 iff both of its bits are set.
  constexpr uint64_t kLowBits = 0x5555555555555555ull;
  size_t n = packed.size(), i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    std::memcpy(&x, packed.data() + i, 8);
    if (x & (x >> 1) & kLowBits)
      break; // find the byte below
  }
  for (; i < n; ++i) {
    uint8_t byte = packed[i];
    if (byte & (byte >> 1) & 0x55)
      return static_cast<int64_t>(i);
  }
  return std::nullopt;
}

/// Splits `w[0..n)` into ternary values and one scale; false if impossible.
/// Works on the bit patterns: with g the magnitude of the first nonzero
/// element, an element is 0 iff its magnitude bits are 0 (so -0.0 counts as
/// 0), and +-g iff its magnitude bits are g's. For a finite g > 0, bit
/// equality is exactly float equality; a NaN or infinite first nonzero
/// element is never ternary. A run of zeros gets g = 1.
static bool splitRun(ArrayRef<float> w, int8_t *values, float &scale) {
  const float *src = w.data();
  size_t n = w.size();
  auto bitsAt = [&](size_t i) {
    uint32_t u;
    std::memcpy(&u, src + i, 4);
    return u;
  };
  size_t first = 0;
  while (first < n && (bitsAt(first) & 0x7FFFFFFFu) == 0)
    ++first;
  if (first == n) {
    std::memset(values, 0, n);
    scale = 1.0f;
    return true;
  }
  const uint32_t g = bitsAt(first) & 0x7FFFFFFFu;
  if (g >= 0x7F800000u) // NaN or infinity
    return false;
  // Blocks, so that a non-ternary tensor is rejected early.
  constexpr size_t kBlock = 4096;
  for (size_t b = 0; b < n; b += kBlock) {
    size_t e = std::min(n, b + kBlock);
    uint32_t bad = 0;
    for (size_t i = b; i < e; ++i) {
      uint32_t u = bitsAt(i);
      uint32_t a = u & 0x7FFFFFFFu;
      uint32_t nonzero = a != 0;
      bad |= nonzero & (a != g);
      // +1 or -1 from the sign bit, 0 for a zero.
      int32_t sign = 1 - 2 * static_cast<int32_t>(u >> 31);
      values[i] = static_cast<int8_t>(sign * static_cast<int32_t>(nonzero));
    }
    if (bad)
      return false;
  }
  std::memcpy(&scale, &g, 4);
  return true;
}

std::optional<TernarySplit> mlir::bitnet::splitTernary(ArrayRef<float> w,
                                                       int64_t rows,
                                                       int64_t cols) {
  if (rows <= 0 || cols <= 0 || static_cast<int64_t>(w.size()) != rows * cols)
    return std::nullopt;
  TernarySplit split;
  split.values.resize_for_overwrite(w.size());
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
