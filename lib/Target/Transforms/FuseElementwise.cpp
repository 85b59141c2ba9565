//===- FuseElementwise.cpp - Fuse elementwise chains ----------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETFUSEELEMENTWISE
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct FuseElementwisePass
    : mlir::bitnet::impl::BitNetFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override;
};
} // namespace

/// Whether fusing the producer of `operand` into its consumer computes each
/// of the producer's elements exactly once: the consumer is its only user
/// and visits each element of the operand once.
static bool fusesWithoutRecomputation(OpOperand *operand) {
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  if (!producer || !consumer || !producer->hasOneUse())
    return false;
  return consumer.getMatchingIndexingMap(operand).isPermutation();
}

void FuseElementwisePass::runOnOperation() {
  RewritePatternSet patterns(&getContext());
  linalg::populateElementwiseOpsFusionPatterns(patterns,
                                               fusesWithoutRecomputation);
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    signalPassFailure();
}
