//===- LastPositionLogits.cpp - Logits of the last position only ----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETLASTPOSITIONLOGITS
#include "bitnet/Dialect/BitNet/Transforms/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct LastPositionLogitsPass
    : mlir::bitnet::impl::BitNetLastPositionLogitsBase<LastPositionLogitsPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void LastPositionLogitsPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return;
  auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
  if (ret.getNumOperands() == 0)
    return;
  Value logits = ret.getOperand(0);
  auto type = dyn_cast<RankedTensorType>(logits.getType());
  // Only [batch, seq, vocab] floats; a model with another output layout is
  // left as it is.
  if (!type || type.getRank() != 3 || !isa<FloatType>(type.getElementType()) ||
      type.getDimSize(1) == 1)
    return;

  Location loc = ret.getLoc();
  OpBuilder b(ret);
  // A W8A8 LM head is a bitlinear, which upstream's bubble-up patterns do
  // not cross: slice its input rows instead. Exact when each row has its own
  // activation scale (per_token); the rows kept are computed as before.
  // Only the head: letting the slice cross the last layer's ternary
  // bitlinears as well saved little prefill time and made the 2B model's
  // decode 10 % slower.
  auto head = logits.getDefiningOp<BitLinearOp>();
  if (head && (!head->hasOneUse() ||
               head.getScheme().getGranularity() != Granularity::per_token))
    head = nullptr;
  Value rowsOf = head ? head.getInput() : logits;
  Value seq = tensor::DimOp::create(b, loc, rowsOf, 1);
  Value last = arith::SubIOp::create(
      b, loc, seq, arith::ConstantIndexOp::create(b, loc, 1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, rowsOf);
  sizes[1] = b.getIndexAttr(1);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), last,
                                       b.getIndexAttr(0)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  Value slice =
      tensor::ExtractSliceOp::create(b, loc, rowsOf, offsets, sizes, strides);
  if (head)
    slice = BitLinearOp::create(b, head.getLoc(), slice, head.getWeight(),
                                head.getScheme(), head.getHadamardAttr(),
                                head.getTopkAttr());
  ret.setOperand(0, slice);
  if (head)
    head.erase();
  SmallVector<Type> results(func.getResultTypes());
  results[0] = slice.getType();
  func.setFunctionType(
      FunctionType::get(&getContext(), func.getArgumentTypes(), results));

  RewritePatternSet patterns(&getContext());
  linalg::populateBubbleUpExtractSliceOpPatterns(patterns);
  // tensor.dim of the logits -> of their init, so the slice is their only
  // user (the bubble-up pattern needs that).
  tensor::DimOp::getCanonicalizationPatterns(patterns, &getContext());
  tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns, &getContext());
  linalg::FillOp::getCanonicalizationPatterns(patterns, &getContext());
  if (failed(applyPatternsGreedily(func, std::move(patterns))))
    return signalPassFailure();
}
