//===- Compiler.h - ONNX model to native library, in process ------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The whole compilation behind `bitnet-compile` (and Python's
// bitnet.compile): import + raise, the bitnet pipeline to the LLVM dialect
// with the model interface, LLVM IR, object, model.so.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_COMPILER_COMPILER_H
#define BITNET_COMPILER_COMPILER_H

#include "bitnet/Import/ONNX/ONNXImporter.h"
#include "bitnet/Pipelines/Pipelines.h"
#include "bitnet/Target/ModelLibrary.h"
#include "mlir/Support/LLVM.h"
#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
class DialectRegistry;
class MLIRContext;
namespace bitnet {

/// What a compilation produces.
enum class OutputKind {
  /// The raised bitnet-level module (text).
  MLIR,
  /// The optimized LLVM IR of the model (text).
  LLVMIR,
  /// A relocatable object of the model, without the runtime.
  Object,
  /// model.so: the model and the runtime, exporting bitnet-c/Runtime.h.
  SharedLibrary,
};

struct CompileOptions {
  /// "host", "x86_64", "aarch64", "riscv64" or a triple (resolveTarget).
  std::string target = "host";
  /// An LLVM CPU or a named level; empty for the target's baseline.
  std::string cpu;
  /// Extra LLVM features, "+a,-b".
  std::string features;
  OutputKind output = OutputKind::SharedLibrary;
  ImportOptions import;
  ToolchainPaths toolchain;
  /// Give a decoder's past/present pairs an in-place runtime-owned KV cache
  /// (bitnet-kv-cache), for the runtime's session API.
  bool kvCache = false;
  /// How ternary matmuls are computed: the best microkernel of the target
  /// (auto), the int2 family, or the reference lowering.
  KernelMode kernel = KernelMode::Auto;
  /// Report each kernel choice as a remark (--print-kernel-plan).
  bool printKernelPlan = false;
  /// Print locations (ONNX node names) in MLIR output.
  bool printDebugInfo = false;
  /// Stage-by-stage progress lines go here when set.
  llvm::raw_ostream *progress = nullptr;
};

/// Registers the dialects, interfaces and translations a compilation uses.
void registerCompilerDialects(DialectRegistry &registry);

/// Compiles the ONNX model at `inputPath` into `outputPath` ("-" writes text
/// outputs to stdout). Errors are reported as diagnostics on `context`, which
/// must have the registry of registerCompilerDialects().
LogicalResult compileONNXModel(StringRef inputPath, StringRef outputPath,
                               const CompileOptions &options,
                               MLIRContext &context);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_COMPILER_COMPILER_H
