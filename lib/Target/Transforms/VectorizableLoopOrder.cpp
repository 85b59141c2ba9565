//===- VectorizableLoopOrder.cpp - Contiguous parallel loops innermost ----===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETVECTORIZABLELOOPORDER
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct VectorizableLoopOrderPass
    : mlir::bitnet::impl::BitNetVectorizableLoopOrderBase<
          VectorizableLoopOrderPass> {
  void runOnOperation() override;
};
} // namespace

/// The loop to move innermost in `op`, if any: a parallel loop that indexes
/// the innermost dimension of the single output, that every operand either
/// ignores or indexes in its innermost dimension, and that currently sits
/// before the last reduction loop.
static std::optional<unsigned> findContiguousParallelLoop(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned loops = iterators.size();
  if (iterators.back() != utils::IteratorType::reduction)
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0)
    return std::nullopt;
  auto inner = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!inner || iterators[inner.getPosition()] != utils::IteratorType::parallel)
    return std::nullopt;
  unsigned loop = inner.getPosition();
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isFunctionOfDim(loop))
      continue;
    if (map.getNumResults() == 0)
      return std::nullopt;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!last || last.getPosition() != loop)
      return std::nullopt;
    // Every other result must not use the loop (plain strided access).
    for (AffineExpr e : map.getResults().drop_back())
      if (e.isFunctionOfDim(loop))
        return std::nullopt;
  }
  if (loop == loops - 1)
    return std::nullopt;
  return loop;
}

void VectorizableLoopOrderPass::runOnOperation() {
  SmallVector<linalg::GenericOp> candidates;
  getOperation()->walk([&](linalg::GenericOp op) {
    if (findContiguousParallelLoop(op))
      candidates.push_back(op);
  });
  IRRewriter rewriter(&getContext());
  for (linalg::GenericOp op : candidates) {
    unsigned loop = *findContiguousParallelLoop(op);
    SmallVector<unsigned> order;
    for (unsigned i = 0, e = op.getNumLoops(); i < e; ++i)
      if (i != loop)
        order.push_back(i);
    order.push_back(loop);
    rewriter.setInsertionPoint(op);
    if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
      return signalPassFailure();
  }
}
