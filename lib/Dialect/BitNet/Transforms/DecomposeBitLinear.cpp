//===- DecomposeBitLinear.cpp - bitlinear -> integer-level ops ------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETDECOMPOSEBITLINEAR
#include "bitnet/Dialect/BitNet/Transforms/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
/// bitlinear = [hadamard] -> [sparsify] -> quantize -> ternary_matmul ->
/// rescale, exactly as the op documents.
struct DecomposeBitLinear : OpRewritePattern<BitLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BitLinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    if (std::optional<int64_t> block = op.getHadamard())
      x = HadamardOp::create(rewriter, loc, x.getType(), x,
                              rewriter.getI64IntegerAttr(*block));
    if (std::optional<APFloat> ratio = op.getTopk())
      x = SparsifyOp::create(rewriter, loc, x.getType(), x,
                             SparsifyModeAttr::get(getContext(), SparsifyMode::topk),
                             rewriter.getF64FloatAttr(ratio->convertToDouble()));
    auto quantize = QuantizeOp::create(rewriter, loc, x, op.getScheme());
    auto matmul = TernaryMatmulOp::create(
        rewriter, loc, quantize.getQ(), op.getWeight(),
        rewriter.getI64IntegerAttr(op.getScheme().getBits()),
        /*kernel=*/StringAttr());
    Value scales =
        arith::ConstantOp::create(rewriter, loc, op.getWeight().getScales());
    rewriter.replaceOpWithNewOp<RescaleOp>(op, matmul.getAcc(),
                                           quantize.getScale(), scales);
    return success();
  }
};

struct BitNetDecomposeBitLinearPass
    : bitnet::impl::BitNetDecomposeBitLinearBase<BitNetDecomposeBitLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeBitLinearPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::bitnet::populateDecomposeBitLinearPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DecomposeBitLinear>(patterns.getContext());
}
