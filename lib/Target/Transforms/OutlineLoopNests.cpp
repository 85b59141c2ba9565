//===- OutlineLoopNests.cpp - One function per top-level loop nest --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETOUTLINELOOPNESTS
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct OutlineLoopNestsPass
    : mlir::bitnet::impl::BitNetOutlineLoopNestsBase<OutlineLoopNestsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    IRRewriter rewriter(&getContext());
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> nests;
      for (Block &block : func.getBody())
        for (Operation &op : block)
          if (isa<scf::ForOp, scf::ParallelOp>(op) && op.getNumResults() == 0)
            nests.push_back(&op);
      unsigned counter = 0;
      for (Operation *nest : nests) {
        // Wrap the nest in a single-block region and outline that region.
        Location loc = nest->getLoc();
        rewriter.setInsertionPoint(nest);
        auto wrapper = scf::ExecuteRegionOp::create(rewriter, loc, TypeRange());
        Block *body = rewriter.createBlock(&wrapper.getRegion());
        rewriter.moveOpBefore(nest, body, body->end());
        rewriter.setInsertionPointToEnd(body);
        scf::YieldOp::create(rewriter, loc);

        std::string name;
        do {
          name = (func.getSymName() + "_loop" + Twine(counter++)).str();
        } while (symbols.lookup(name));
        func::CallOp call;
        FailureOr<func::FuncOp> outlined = outlineSingleBlockRegion(
            rewriter, loc, wrapper.getRegion(), name, &call);
        if (failed(outlined)) {
          nest->emitError("cannot outline this loop nest");
          return signalPassFailure();
        }
        symbols.insert(*outlined);
        outlined->setPrivate();
        // func-to-llvm carries this onto llvm.func (LLVM `noinline`): LLVM
        // would otherwise inline every single-use function straight back.
        (*outlined)->setAttr("passthrough",
                             rewriter.getStrArrayAttr({"noinline"}));
        // The wrapper now holds only the call: inline it.
        Block &wrapped = wrapper.getRegion().front();
        rewriter.eraseOp(wrapped.getTerminator());
        rewriter.inlineBlockBefore(&wrapped, wrapper);
        rewriter.eraseOp(wrapper);
      }
    }
  }
};
} // namespace
