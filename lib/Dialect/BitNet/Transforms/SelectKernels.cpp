//===- SelectKernels.cpp - Microkernel choice and weight packing ----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "bitnet/Kernels/KernelRegistry.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/TargetParser/Triple.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETSELECTKERNELS
#include "bitnet/Dialect/BitNet/Transforms/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct SelectKernelsPass
    : mlir::bitnet::impl::BitNetSelectKernelsBase<SelectKernelsPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// The kernel layout of a canonical weight (`i2` for `plain`, `i8` for
/// `int8`), or null (with a diagnostic at `op`).
static TernaryAttr repack(Operation *op, TernaryAttr weight) {
  AsmResourceBlob *blob = weight.getData().getRawHandle().getBlob();
  if (!blob) {
    op->emitOpError("the bytes of weight resource '")
        << weight.getData().getRawHandle().getKey() << "' are not available";
    return nullptr;
  }
  ArrayRef<char> bytes = blob->getData();
  ArrayRef<uint8_t> canonical(reinterpret_cast<const uint8_t *>(bytes.data()),
                              bytes.size());
  bool int8 = weight.isInt8();
  TernaryLayout layout = int8 ? TernaryLayout::i8 : TernaryLayout::i2;
  std::optional<SmallVector<uint8_t>> packed =
      int8 ? packInt8I8FromInt8(canonical, weight.getRows(), weight.getCols())
           : packTernaryI2FromPlain(canonical, weight.getRows(),
                                    weight.getCols());
  if (!packed) {
    op->emitOpError("cannot repack the weight into the ")
        << stringifyTernaryLayout(layout) << " layout";
    return nullptr;
  }
  auto type = RankedTensorType::get({static_cast<int64_t>(packed->size())},
                                    IntegerType::get(op->getContext(), 8));
  auto data = DenseResourceElementsAttr::get(
      type,
      (weight.getData().getRawHandle().getKey() + "_" +
       stringifyTernaryLayout(layout))
          .str(),
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(
          reinterpret_cast<const char *>(packed->data()), packed->size())));
  return TernaryAttr::get(op->getContext(), weight.getRows(), weight.getCols(),
                          layout, weight.getScales(), data);
}

void SelectKernelsPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (kernel != "auto" && kernel != "int2" && kernel != "reference") {
    module.emitError("bitnet-select-kernels: unknown kernel family '")
        << kernel << "' (expected auto, int2 or reference)";
    return signalPassFailure();
  }
  if (kernel == "reference")
    return;
  auto target = module->getAttrOfType<TargetAttr>("bitnet.target");
  if (!target)
    return;

  llvm::Triple triple(target.getTriple());
  StringRef arch = llvm::Triple::getArchTypeName(triple.getArch());
  // The resolved features, plus any spelled out on the target.
  std::string features = cpuFeatures;
  SmallVector<StringRef> explicitFeatures;
  target.getFeatures().split(explicitFeatures, ',', -1, false);
  for (StringRef feature : explicitFeatures)
    if (feature.consume_front("+"))
      features += (" " + feature).str();
  // Ternary weights take the int2 family, 8-bit weights the int8 family.
  const KernelInfo *forTernary = selectKernel(KernelFamily::I2, arch, features);
  const KernelInfo *forInt8 = selectKernel(KernelFamily::I8, arch, features);
  if (!forTernary && kernel == "int2") {
    module.emitError("no int2 kernel for architecture '") << arch << "'";
    return signalPassFailure();
  }

  // A weight shared by several matmuls is packed once.
  DenseMap<TernaryAttr, TernaryAttr> repacked;
  WalkResult walk = module.walk([&](TernaryMatmulOp op) {
    if (op.getKernel())
      return WalkResult::advance();
    TernaryAttr weight = op.getWeight();
    if (!weight.isCanonical())
      return WalkResult::advance();
    const KernelInfo *chosen = weight.isInt8() ? forInt8 : forTernary;
    if (!chosen)
      return WalkResult::advance();
    TernaryAttr &packed = repacked[weight];
    if (!packed)
      packed = repack(op, weight);
    if (!packed)
      return WalkResult::interrupt();
    std::string kernelName = chosen->getAttrValue();
    op.setWeightAttr(packed);
    op.setKernel(kernelName);
    if (printPlan)
      op.emitRemark() << "kernel " << kernelName << " for " << weight.getRows()
                      << "x" << weight.getCols() << " weight";
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    signalPassFailure();
}
