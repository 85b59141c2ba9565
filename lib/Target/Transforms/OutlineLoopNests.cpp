//===- OutlineLoopNests.cpp - One function per top-level loop nest --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETOUTLINELOOPNESTS
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

/// Outlines `parallel` (one of bitnet-parallelize-loops's, carrying its
/// grain) as a task of the runtime's parallel-for: `name(captured...,
/// begin, end)` runs iterations [begin, end) of the loop, collapsed to one
/// dimension from 0 with step 1; the call covers the whole range and
/// bitnet-lower-parallel-tasks later turns it into bitnetParallelFor.
/// Constants are cloned into the task, so LLVM still sees static bounds.
static LogicalResult outlineParallelTask(RewriterBase &rewriter,
                                         scf::ParallelOp parallel,
                                         StringRef name, SymbolTable &symbols,
                                         func::FuncOp parent) {
  Attribute grain =
      parallel->getAttr(BitNetDialect::getParallelGrainAttrName());
  Location loc = parallel.getLoc();
  // Collapsing also normalizes: the new loop runs from 0 with step 1. It
  // replaces `parallel` just before the op that followed it.
  Operation *next = parallel->getNextNode();
  std::vector<unsigned> dims;
  for (unsigned d = 0, e = parallel.getNumLoops(); d < e; ++d)
    dims.push_back(d);
  collapseParallelLoops(rewriter, parallel, {dims});
  parallel = dyn_cast_or_null<scf::ParallelOp>(next->getPrevNode());
  if (!parallel || parallel.getNumLoops() != 1 ||
      !isConstantIntValue(parallel.getLowerBound()[0], 0) ||
      !isConstantIntValue(parallel.getStep()[0], 1))
    return failure();

  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(parallel.getRegion(), captured);
  SmallVector<Value> arguments;
  SmallVector<Value> constants;
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(value);
    else
      arguments.push_back(value);
  }
  SmallVector<Type> argTypes =
      llvm::to_vector(ValueRange(arguments).getTypes());
  argTypes.append(2, rewriter.getIndexType());

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(parent);
  auto task = func::FuncOp::create(rewriter, loc, name,
                                   rewriter.getFunctionType(argTypes, {}));
  task.setPrivate();
  task->setAttr(BitNetDialect::getParallelGrainAttrName(), grain);
  Block *entry = task.addEntryBlock();
  IRMapping mapping;
  for (auto [value, arg] : llvm::zip(arguments, entry->getArguments()))
    mapping.map(value, arg);
  rewriter.setInsertionPointToStart(entry);
  for (Value value : constants)
    rewriter.clone(*value.getDefiningOp(), mapping);
  Value begin = entry->getArgument(arguments.size());
  Value end = entry->getArgument(arguments.size() + 1);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  // A task runs its iterations in order.
  auto loop = scf::ForOp::create(rewriter, loc, begin, end, one);
  mapping.map(parallel.getInductionVars()[0], loop.getInductionVar());
  rewriter.setInsertionPointToStart(loop.getBody());
  for (Operation &op : parallel.getBody()->without_terminator())
    rewriter.clone(op, mapping);
  rewriter.setInsertionPointToEnd(entry);
  func::ReturnOp::create(rewriter, loc);
  symbols.insert(task);

  rewriter.setInsertionPoint(parallel);
  SmallVector<Value> operands = arguments;
  operands.push_back(parallel.getLowerBound()[0]);
  operands.push_back(parallel.getUpperBound()[0]);
  func::CallOp::create(rewriter, loc, task, operands);
  rewriter.eraseOp(parallel);
  return success();
}

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
      auto newName = [&] {
        std::string name;
        do {
          name = (func.getSymName() + "_loop" + Twine(counter++)).str();
        } while (symbols.lookup(name));
        return name;
      };
      for (Operation *nest : nests) {
        auto parallel = dyn_cast<scf::ParallelOp>(nest);
        if (parallel &&
            parallel->hasAttr(BitNetDialect::getParallelGrainAttrName())) {
          if (failed(outlineParallelTask(rewriter, parallel, newName(), symbols,
                                         func))) {
            nest->emitError("cannot outline this parallel loop as a task");
            return signalPassFailure();
          }
          continue;
        }
        // Wrap the nest in a single-block region and outline that region.
        Location loc = nest->getLoc();
        rewriter.setInsertionPoint(nest);
        auto wrapper = scf::ExecuteRegionOp::create(rewriter, loc, TypeRange());
        Block *body = rewriter.createBlock(&wrapper.getRegion());
        rewriter.moveOpBefore(nest, body, body->end());
        rewriter.setInsertionPointToEnd(body);
        scf::YieldOp::create(rewriter, loc);

        std::string name = newName();
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
