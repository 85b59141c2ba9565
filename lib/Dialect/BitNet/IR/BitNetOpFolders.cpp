//===- BitNetOpFolders.cpp - BitNet folds and canonicalizations -----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Only rewrites that are exact (or, for the Hadamard involution, exact in real
// arithmetic as the dialect documents) and target-independent live here.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::bitnet;

//===----------------------------------------------------------------------===//
// HadamardOp
//===----------------------------------------------------------------------===//

OpFoldResult HadamardOp::fold(FoldAdaptor) {
  // H_1 / sqrt(1) is the identity.
  if (getBlockSize() == 1)
    return getInput();
  // The normalized transform is an involution.
  if (auto inner = getInput().getDefiningOp<HadamardOp>())
    if (inner.getBlockSize() == getBlockSize())
      return inner.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// SparsifyOp
//===----------------------------------------------------------------------===//

OpFoldResult SparsifyOp::fold(FoldAdaptor) {
  // ceil(1.0 * n) = n: every entry is kept.
  if (getMode() == SparsifyMode::topk && getValue().convertToDouble() == 1.0)
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// RescaleOp
//===----------------------------------------------------------------------===//

/// True if `attr` is a constant whose every element is finite and non-zero.
static bool isFiniteNonZero(Attribute attr) {
  auto elements = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!elements)
    return false;
  return llvm::all_of(elements.getValues<float>(),
                      [](float v) { return std::isfinite(v) && v != 0.0f; });
}

OpFoldResult RescaleOp::fold(FoldAdaptor adaptor) {
  // (0 / s) * g == +0 exactly when s and g are finite and non-zero (a zero or
  // non-finite scale would give NaN or -0, so only known scales fold).
  auto acc = dyn_cast_or_null<DenseElementsAttr>(adaptor.getAcc());
  if (!acc || !acc.isSplat() || !acc.getSplatValue<APInt>().isZero())
    return {};
  if (!isFiniteNonZero(adaptor.getActScale()) ||
      !isFiniteNonZero(adaptor.getWeightScale()))
    return {};
  auto type = getType();
  if (!type.hasStaticShape())
    return {};
  return DenseElementsAttr::get(type, 0.0f);
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

namespace {
/// quantize(dequantize(q, s)) with the absmax scheme that produced (q, s)
/// returns q again: q / s has max |.| = qmax / s up to rounding, so the new
/// scale is s up to a few ulps and round(q/s * s') = q for |q| <= 2^7. (The
/// new scale is not bit-identical to s, so only the integers are reused.)
struct RequantizeOfDequantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getQ().use_empty())
      return rewriter.notifyMatchFailure(op, "integers unused");
    if (op.getScheme().getMethod() != QuantMethod::absmax)
      return rewriter.notifyMatchFailure(op, "absmean re-quantization is "
                                             "not exact");
    auto dequant = op.getInput().getDefiningOp<DequantizeOp>();
    if (!dequant)
      return rewriter.notifyMatchFailure(op, "input is not dequantized");
    auto producer = dequant.getInput().getDefiningOp<QuantizeOp>();
    if (!producer || producer.getScale() != dequant.getScale() ||
        producer.getScheme() != op.getScheme())
      return rewriter.notifyMatchFailure(op, "not quantized with the same "
                                             "scheme");
    rewriter.replaceAllUsesWith(op.getQ(), producer.getQ());
    return success();
  }
};
} // namespace

void QuantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<RequantizeOfDequantize>(context);
}
