//===- KernelRegistry.cpp - The microkernels the compiler can call --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/KernelRegistry.h"
#include "bitnet/Kernels/I2Layout.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::bitnet;

static constexpr StringLiteral kI2Prefix = "i2.";

std::string KernelInfo::getAttrValue() const {
  return (Twine(kI2Prefix) + name).str();
}

std::string KernelInfo::getSymbol() const {
  return (Twine("bitnet_i2_matmul_") + name).str();
}

ArrayRef<KernelInfo> mlir::bitnet::getI2Kernels() {
  static const KernelInfo kernels[] = {
#define BITNET_I2_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  {#NAME, #ARCH, FEATURES, PRIORITY},
#include "bitnet/Kernels/Kernels.def"
  };
  return kernels;
}

const KernelInfo *mlir::bitnet::lookupKernel(StringRef kernelAttr) {
  if (!kernelAttr.consume_front(kI2Prefix))
    return nullptr;
  for (const KernelInfo &kernel : getI2Kernels())
    if (kernel.name == kernelAttr)
      return &kernel;
  return nullptr;
}

const KernelInfo *mlir::bitnet::selectI2Kernel(StringRef arch,
                                               StringRef cpuFeatures) {
  SmallVector<StringRef> available;
  cpuFeatures.split(available, ' ', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  llvm::StringSet<> have;
  for (StringRef feature : available)
    have.insert(feature);
  const KernelInfo *best = nullptr;
  for (const KernelInfo &kernel : getI2Kernels()) {
    if (kernel.arch != arch)
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
