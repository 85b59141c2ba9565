//===- Pipelines.h - Named bitnet pass pipelines ------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_PIPELINES_PIPELINES_H
#define BITNET_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace bitnet {

/// How bitnet integer ops are lowered.
enum class KernelMode {
  /// The portable reference lowering (convert-bitnet-to-linalg).
  Reference,
  /// The best registered microkernel the target can run (lower-to=llvm and a
  /// `bitnet.target` module only; the reference otherwise).
  Auto,
  /// The int2 microkernels; an error if the target has none.
  Int2,
};

/// Where the pipeline stops.
enum class LowerTo {
  /// bitnet ops lowered to linalg/tensor/arith/math, still on tensors.
  Linalg,
  /// The LLVM dialect, ready for translation or mlir-runner.
  LLVM,
};

struct BitNetPipelineOptions
    : public PassPipelineOptions<BitNetPipelineOptions> {
  PassOptions::Option<KernelMode> kernel{
      *this, "kernel", llvm::cl::desc("How bitnet integer ops are lowered"),
      llvm::cl::init(KernelMode::Reference),
      llvm::cl::values(
          clEnumValN(KernelMode::Reference, "reference",
                     "the portable reference lowering"),
          clEnumValN(KernelMode::Auto, "auto",
                     "the best microkernel the target can run"),
          clEnumValN(KernelMode::Int2, "int2", "the int2 microkernels"))};
  PassOptions::Option<bool> printKernelPlan{
      *this, "print-kernel-plan",
      llvm::cl::desc("Report each kernel choice as a remark"),
      llvm::cl::init(false)};
  PassOptions::Option<LowerTo> lowerTo{
      *this, "lower-to", llvm::cl::desc("The last level of the pipeline"),
      llvm::cl::init(LowerTo::LLVM),
      llvm::cl::values(
          clEnumValN(LowerTo::Linalg, "linalg", "linalg on tensors"),
          clEnumValN(LowerTo::LLVM, "llvm", "the LLVM dialect"))};
  PassOptions::Option<bool> parallelLoops{
      *this, "parallel-loops",
      llvm::cl::desc("Run the generated loops' independent output tiles on "
                     "the runtime's thread pool (model-interface only)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> modelInterface{
      *this, "model-interface",
      llvm::cl::desc("Generate a model library's entry point and metadata "
                     "for the `entry` function (lower-to=llvm only)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> kvCache{
      *this, "kv-cache",
      llvm::cl::desc("Turn the entry's past/present Concat pairs into an "
                     "in-place, runtime-owned KV cache (bitnet-kv-cache)"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> entry{
      *this, "entry", llvm::cl::desc("The function a model library runs"),
      llvm::cl::init("main")};
  PassOptions::Option<std::string> requiredFeatures{
      *this, "required-features",
      llvm::cl::desc("CPU features a model library checks at load time, "
                     "space-separated"),
      llvm::cl::init("")};
};

/// The whole compilation pipeline from bitnet-level IR, as configured.
void buildBitNetPipeline(OpPassManager &pm,
                         const BitNetPipelineOptions &options);

/// Registers `bitnet-pipeline` with bitnet-opt's pass registry.
void registerBitNetPipelines();

} // namespace bitnet
} // namespace mlir

#endif // BITNET_PIPELINES_PIPELINES_H
