//===- Pipelines.cpp - Named bitnet pass pipelines ------------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Pipelines/Pipelines.h"
#include "bitnet/Conversion/Passes.h"
#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "bitnet/Target/Passes.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::bitnet;

void mlir::bitnet::buildBitNetPipeline(OpPassManager &pm,
                                       const BitNetPipelineOptions &options) {
  if (options.kvCache) {
    pm.addPass(createBitNetKVCache({options.entry}));
    // Sessions read the last position's logits only. Before the bitlinears
    // are decomposed: the slice then crosses a W8A8 LM head whole.
    pm.addPass(createBitNetLastPositionLogits({options.entry}));
  }
  // bitnet -> linalg on tensors, with calls of the selected microkernels.
  // Kernels are chosen only on the way to LLVM: at the linalg level the
  // reference lowering is the readable meaning of the program.
  pm.addPass(createBitNetDecomposeBitLinear());
  if (options.kernel != KernelMode::Reference &&
      options.lowerTo == LowerTo::LLVM) {
    // The projections of one input share one quantization after CSE, then
    // one matmul (one weight stream, one parallel region).
    pm.addPass(createCSEPass());
    pm.addPass(createBitNetFuseSiblingMatmuls());
    BitNetSelectKernelsOptions select;
    select.kernel = options.kernel == KernelMode::Int2 ? "int2" : "auto";
    select.cpuFeatures = options.requiredFeatures;
    select.printPlan = options.printKernelPlan;
    pm.addPass(createBitNetSelectKernels(select));
  }
  pm.addPass(createConvertBitNetToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.lowerTo == LowerTo::Linalg)
    return;

  // Non-ternary int8 weights are dequantized where they are read; then
  // contractions get the output's contiguous dim innermost, so LLVM
  // vectorizes them (same per-element operations and summation order).
  pm.addPass(createBitNetFuseWeightDequantization());
  pm.addPass(createBitNetVectorizableLoopOrder());
  // ... and a constant [K, N] weight read that way becomes column blocks,
  // each one sequential stream.
  pm.addPass(createBitNetBlockWeightColumns());

  // Elementwise arith/math on tensors (from other producers) -> linalg, then
  // tensors -> buffers, with deallocation.
  if (options.modelInterface)
    pm.addPass(createBitNetPrepareModelEntry({options.entry}));
  pm.addPass(createConvertElementwiseToLinalgPass());
  // One loop nest and buffer per elementwise chain rather than per op.
  pm.addPass(createBitNetFuseElementwise());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Clones of results that alias an input or a constant become alloc + copy.
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Deallocation frees at the end of each block; free after the last use
  // instead, so that later layers reuse the memory.
  pm.addPass(createBitNetDeallocAfterLastUse());
  if (options.modelInterface)
    pm.addPass(createBitNetGenerateModelInterface(
        {options.entry, options.requiredFeatures}));

  // Loops (in index order: the reference sums sequentially) -> LLVM. A model
  // library runs independent output tiles of each loop nest as tasks of the
  // runtime's thread pool (bit-identical for any thread count).
  bool parallel = options.modelInterface && options.parallelLoops;
  if (parallel)
    pm.addPass(createBitNetParallelizeLoops());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (options.modelInterface)
    pm.addPass(createBitNetOutlineLoopNests());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // In a model library, buffers come from the runtime's workspace
  // allocator (runtime/Workspace.c), which keeps large ones mapped between
  // runs instead of faulting in fresh pages every step.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = options.modelInterface;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  // What has no LLVM intrinsic (erf, ...) calls libm, which model.so links.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (parallel)
    pm.addPass(createBitNetLowerParallelTasks());
  pm.addPass(createCanonicalizerPass());
}

void mlir::bitnet::registerBitNetPipelines() {
  PassPipelineRegistration<BitNetPipelineOptions>(
      "bitnet-pipeline",
      "Compile bitnet-level IR: the bitnet ops through the chosen kernels, "
      "then (lower-to=llvm) bufferization and the LLVM dialect",
      buildBitNetPipeline);
}
