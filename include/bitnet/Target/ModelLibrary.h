//===- ModelLibrary.h - LLVM IR, objects and model.so -------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The back end of bitnet-compile: an LLVM-dialect module with a model
// interface (bitnet-generate-model-interface) -> optimized LLVM IR -> object
// -> model.so linked with the runtime by ld.lld.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TARGET_MODELLIBRARY_H
#define BITNET_TARGET_MODELLIBRARY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::bitnet {
struct TargetSpec;

/// Where the linker and the per-ISA runtime objects are.
struct ToolchainPaths {
  /// The ld.lld executable.
  std::string lld;
  /// Holds <arch>/bitnet_runtime.o (build/lib/bitnet, <prefix>/lib/bitnet).
  std::string resourceDir;
};

/// The defaults: $BITNET_RESOURCE_DIR or <dir of `mainExecutable`>/../lib/bitnet,
/// and the ld.lld found at configure time or on PATH.
ToolchainPaths getDefaultToolchainPaths(StringRef mainExecutable);

/// Translates `module` (LLVM dialect) to LLVM IR for `tm` and optimizes it at
/// O2. Only the model interface symbols stay global, with hidden visibility:
/// everything else is internal, so the library exports only the runtime API.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateModelToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                       llvm::TargetMachine &tm);

/// Emits `module` as a relocatable object into `object`.
llvm::Error emitObject(llvm::Module &module, llvm::TargetMachine &tm,
                       SmallVectorImpl<char> &object);

/// Links `object` with the runtime for `spec` into the shared library
/// `outputPath` (written atomically). The library needs only libc and libm.
llvm::Error linkModelLibrary(ArrayRef<char> object, const TargetSpec &spec,
                             const ToolchainPaths &toolchain,
                             StringRef outputPath);

} // namespace mlir::bitnet

#endif // BITNET_TARGET_MODELLIBRARY_H
