//===- FuseWeightDequantization.cpp - Dequantize weights in place ---------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETFUSEWEIGHTDEQUANTIZATION
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct FuseWeightDequantizationPass
    : mlir::bitnet::impl::BitNetFuseWeightDequantizationBase<
          FuseWeightDequantizationPass> {
  void runOnOperation() override;
};
} // namespace

/// True if `value` is a constant or computed elementwise from constants only
/// (a weight and its scales), so that recomputing it inside a consumer reads
/// nothing but constant data.
static bool isConstantDerived(Value value, unsigned depth = 0) {
  Operation *def = value.getDefiningOp();
  if (!def || depth > 4)
    return false;
  if (isa<arith::ConstantOp>(def))
    return true;
  // Elementwise with plain (broadcast) indexing only: a dequantization, not
  // e.g. the reference lowering's 2-bit unpacking, which stays a separate
  // loop nest.
  auto generic = dyn_cast<linalg::GenericOp>(def);
  if (!generic || generic.getNumReductionLoops() != 0 ||
      !llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap map) {
        return map.isProjectedPermutation(/*allowZeroInResults=*/true);
      }))
    return false;
  return llvm::all_of(generic.getDpsInputs(), [&](Value input) {
    return isConstantDerived(input, depth + 1);
  });
}

void FuseWeightDequantizationPass::runOnOperation() {
  RewritePatternSet patterns(&getContext());
  linalg::populateElementwiseOpsFusionPatterns(
      patterns, [](OpOperand *operand) {
        auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
        return producer && isConstantDerived(operand->get());
      });
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    signalPassFailure();
}
