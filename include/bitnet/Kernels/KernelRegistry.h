//===- KernelRegistry.h - The microkernels the compiler can call -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The compiler's view of bitnet/Kernels/Kernels.def: which variant a target
// can run, the symbol it calls, and the weight packing each family needs.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_KERNELS_KERNELREGISTRY_H
#define BITNET_KERNELS_KERNELREGISTRY_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <optional>
#include <string>

namespace mlir {
namespace bitnet {

/// The kernel families of Kernels.def, each with its weight layout.
enum class KernelFamily {
  /// Ternary weights in the `i2` layout (BITNET_I2_KERNEL).
  I2,
  /// 8-bit weights in the `i8` layout (BITNET_I8_KERNEL).
  I8,
};

/// One line of Kernels.def.
struct KernelInfo {
  KernelFamily family;
  /// The variant, e.g. "x86_64_avx2".
  StringRef name;
  /// "x86_64", "aarch64" or "riscv64".
  StringRef arch;
  /// Required CPU features (ModelInterface.h vocabulary), space separated.
  StringRef features;
  int priority;

  /// The `kernel` attribute value of a ternary_matmul using it:
  /// "<family>.<name>", e.g. "i2.x86_64_avx2".
  std::string getAttrValue() const;
  /// The function the generated code calls (llvm.emit_c_interface adds the
  /// `_mlir_ciface_` prefix the runtime defines).
  std::string getSymbol() const;
};

/// "i2" or "i8": the attribute prefix and symbol infix of a family.
StringRef getFamilyName(KernelFamily family);

/// Every registered variant of every family.
ArrayRef<KernelInfo> getKernels();

/// The variant `kernelAttr` ("<family>.<name>") names, if any.
const KernelInfo *lookupKernel(StringRef kernelAttr);

/// The best variant of `family` for `arch` whose features are all in
/// `cpuFeatures` (space separated), or null.
const KernelInfo *selectKernel(KernelFamily family, StringRef arch,
                               StringRef cpuFeatures);

/// Repacks a `plain` weight (TernaryAttr) into the `i2` layout
/// (bitnet/Kernels/I2Layout.h); nullopt if the sizes do not match.
std::optional<SmallVector<uint8_t>>
packTernaryI2FromPlain(ArrayRef<uint8_t> plain, int64_t rows, int64_t cols);

/// Repacks an `int8` weight (row-major signed bytes) into the `i8` layout
/// (bitnet/Kernels/I8Layout.h); nullopt if the sizes do not match.
std::optional<SmallVector<uint8_t>>
packInt8I8FromInt8(ArrayRef<uint8_t> int8, int64_t rows, int64_t cols);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_KERNELS_KERNELREGISTRY_H
