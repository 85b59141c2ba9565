//===- PrepareModelEntry.cpp - Check and seal a library's entry -----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "bitnet/Target/ModelInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETPREPAREMODELENTRY
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct PrepareModelEntryPass
    : mlir::bitnet::impl::BitNetPrepareModelEntryBase<PrepareModelEntryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(entry);
    if (!func || func.isExternal()) {
      module.emitError() << "no function '" << entry
                         << "' with a body to export as the model entry";
      return signalPassFailure();
    }
    auto check = [&](Type type, StringRef kind, unsigned index) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (tensor && getModelDType(tensor.getElementType(), {}))
        return success();
      func.emitError() << kind << " " << index << " of type " << type
                       << " cannot cross the model library boundary (ranked "
                          "tensors of f16/f32/f64/i1/i8/i16/i32/i64 only)";
      return failure();
    };
    FunctionType type = func.getFunctionType();
    for (auto [k, t] : llvm::enumerate(type.getInputs()))
      if (failed(check(t, "input", k)))
        return signalPassFailure();
    for (auto [k, t] : llvm::enumerate(type.getResults()))
      if (failed(check(t, "output", k)))
        return signalPassFailure();

    // Inputs are the caller's, read only; KV caches (bitnet-kv-cache) are
    // the runtime's, written in place.
    OpBuilder b(func);
    for (unsigned k = 0, e = func.getNumArguments(); k < e; ++k)
      func.setArgAttr(k, bufferization::BufferizationDialect::kWritableAttrName,
                      b.getBoolAttr(func.getArgAttr(k, "bitnet.kv_cache") !=
                                    nullptr));
  }
};
} // namespace
