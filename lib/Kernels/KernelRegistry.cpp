//===- KernelRegistry.cpp - The microkernels the compiler can call --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/KernelRegistry.h"
#include "bitnet/Kernels/I2Layout.h"
#include "bitnet/Kernels/I8Layout.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::bitnet;

StringRef mlir::bitnet::getFamilyName(KernelFamily family) {
  return family == KernelFamily::I2 ? "i2" : "i8";
}

std::string KernelInfo::getAttrValue() const {
  return (getFamilyName(family) + "." + name).str();
}

std::string KernelInfo::getSymbol() const {
  return ("bitnet_" + getFamilyName(family) + "_matmul_" + name).str();
}

ArrayRef<KernelInfo> mlir::bitnet::getKernels() {
  static const KernelInfo kernels[] = {
#define BITNET_I2_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  {KernelFamily::I2, #NAME, #ARCH, FEATURES, PRIORITY},
#define BITNET_I8_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  {KernelFamily::I8, #NAME, #ARCH, FEATURES, PRIORITY},
#include "bitnet/Kernels/Kernels.def"
  };
  return kernels;
}

const KernelInfo *mlir::bitnet::lookupKernel(StringRef kernelAttr) {
  for (const KernelInfo &kernel : getKernels())
    if (kernel.getAttrValue() == kernelAttr)
      return &kernel;
  return nullptr;
}

const KernelInfo *mlir::bitnet::selectKernel(KernelFamily family,
                                             StringRef arch,
                                             StringRef cpuFeatures) {
  SmallVector<StringRef> available;
  cpuFeatures.split(available, ' ', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  llvm::StringSet<> have;
  for (StringRef feature : available)
    have.insert(feature);
  const KernelInfo *best = nullptr;
  for (const KernelInfo &kernel : getKernels()) {
    if (kernel.family != family || kernel.arch != arch)
      continue;
    SmallVector<StringRef> needed;
    kernel.features.split(needed, ' ', -1, false);
    if (!llvm::all_of(needed, [&](StringRef f) { return have.contains(f); }))
      continue;
    if (!best || kernel.priority > best->priority)
      best = &kernel;
  }
  return best;
}

std::optional<SmallVector<uint8_t>>
mlir::bitnet::packTernaryI2FromPlain(ArrayRef<uint8_t> plain, int64_t rows,
                                     int64_t cols) {
  int64_t plainRowBytes = (cols + 3) / 4;
  if (rows < 0 || cols < 0 ||
      static_cast<int64_t>(plain.size()) != rows * plainRowBytes)
    return std::nullopt;
  // Code 1 (a zero weight) in every slot, so padding needs no extra pass.
  SmallVector<uint8_t> packed(bitnetI2PackedBytes(rows, cols), 0x55);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *src = plain.data() + r * plainRowBytes;
    uint8_t *row = packed.data() + bitnetI2RowOffset(r, cols);
    for (int64_t k0 = 0; k0 < cols; k0 += BITNET_I2_BLOCK_WEIGHTS) {
      uint8_t *block = row + bitnetI2BlockInRow(k0 / BITNET_I2_BLOCK_WEIGHTS);
      int64_t end = std::min<int64_t>(cols - k0, BITNET_I2_BLOCK_WEIGHTS);
      for (int64_t within = 0; within < end; ++within) {
        int64_t k = k0 + within;
        unsigned code = (src[k / 4] >> (2 * (k % 4))) & 3u;
        unsigned shift = 2 * (within / BITNET_I2_BLOCK_BYTES);
        uint8_t &out = block[within % BITNET_I2_BLOCK_BYTES];
        out = (out & ~(3u << shift)) | (code << shift);
      }
    }
  }
  return packed;
}

std::optional<SmallVector<uint8_t>>
mlir::bitnet::packInt8I8FromInt8(ArrayRef<uint8_t> int8, int64_t rows,
                                 int64_t cols) {
  if (rows < 0 || cols < 0 || static_cast<int64_t>(int8.size()) != rows * cols)
    return std::nullopt;
  // The zero code everywhere, so padding needs no extra pass.
  SmallVector<uint8_t> packed(bitnetI8PackedBytes(rows, cols),
                              BITNET_I8_ZERO_CODE);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *src = int8.data() + r * cols;
    uint8_t *row = packed.data() + bitnetI8RowOffset(r, cols);
    for (int64_t k0 = 0; k0 < cols; k0 += BITNET_I8_UNIT_BYTES) {
      uint8_t *unit = row + bitnetI8UnitInRow(k0 / BITNET_I8_UNIT_BYTES);
      int64_t end = std::min<int64_t>(cols - k0, BITNET_I8_UNIT_BYTES);
      // c = w + 128: flipping the sign bit of the two's complement byte.
      for (int64_t j = 0; j < end; ++j)
        unit[j] = src[k0 + j] ^ 0x80;
    }
  }
  return packed;
}
