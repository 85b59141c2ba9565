//===- TargetSpec.h - The CPU a model library is compiled for -----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TARGET_TARGETSPEC_H
#define BITNET_TARGET_TARGETSPEC_H

#include "mlir/Support/LLVM.h"
#include "llvm/Support/Error.h"
#include <memory>
#include <string>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace mlir {
class MLIRContext;
namespace bitnet {
class TargetAttr;

/// A resolved target: an LLVM triple, CPU, feature string and ABI.
struct TargetSpec {
  std::string triple;
  std::string cpu;
  /// LLVM features, comma-separated `+name`/`-name`.
  std::string features;
  /// The float ABI name (RISC-V: lp64d); empty for the default.
  std::string abi;

  /// "x86_64", "aarch64" or "riscv64".
  StringRef getArchName() const;
  TargetAttr getAttr(MLIRContext *context) const;
};

/// Resolves what the user wrote. `target` is "host", an architecture
/// ("x86_64", "aarch64", "riscv64"; also "x86-64", "arm64", "rv64") or a
/// Linux triple. `cpu` is an LLVM CPU name or one of the named levels:
/// x86-64[-v2|-v3|-v4] (v4 includes AVX-512 VNNI), armv8-a,
/// armv8.2-a+dotprod, armv8.6-a (+dotprod +i8mm), rv64gc, rv64gcv. `features`
/// are extra LLVM features (`+dotprod,-avx512f`), applied last.
llvm::Expected<TargetSpec> resolveTarget(StringRef target, StringRef cpu,
                                         StringRef features);

/// The named CPU levels with a one-line description each, for --help.
ArrayRef<std::pair<StringRef, StringRef>> getNamedCPULevels();

/// Creates the LLVM TargetMachine for `spec` (PIC, -O2, no FP contraction:
/// the numeric contract in DESIGN.md forbids fusing a*b+c).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetSpec &spec);

/// The CPU features code compiled by `tm` may use, in the vocabulary of
/// include/bitnet-c/ModelInterface.h, space-separated.
std::string getRequiredCPUFeatures(const llvm::TargetMachine &tm);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_TARGET_TARGETSPEC_H
