//===- BlockWeightColumns.cpp - Constant [K, N] weights as column blocks --===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETBLOCKWEIGHTCOLUMNS
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct BlockWeightColumnsPass
    : mlir::bitnet::impl::BitNetBlockWeightColumnsBase<BlockWeightColumnsPass> {
  void runOnOperation() override;
};

/// A contraction the pass rewrites: its weight operand and the block size.
struct Candidate {
  linalg::GenericOp op;
  OpOperand *weight;
  int64_t block;
};
} // namespace

/// The constant `value` holds, if it is a dense_resource blob that is loaded.
static std::optional<std::pair<DenseResourceElementsAttr, ArrayRef<char>>>
getResourceConstant(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto attr = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  if (!attr)
    return std::nullopt;
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  return std::make_pair(attr, blob->getData());
}

static std::optional<Candidate> matchCandidate(linalg::GenericOp op) {
  unsigned loops = op.getNumLoops();
  if (loops < 2 || op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned n = loops - 1, k = loops - 2;
  if (iterators[n] != utils::IteratorType::parallel ||
      iterators[k] != utils::IteratorType::reduction)
    return std::nullopt;
  std::optional<Candidate> found;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type)
      return std::nullopt;
    if (!map.isFunctionOfDim(n))
      continue;
    // n only as the last result (what bitnet-vectorizable-loop-order left).
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!last || last.getPosition() != n ||
        ShapedType::isDynamic(type.getShape().back()))
      return std::nullopt;
    for (AffineExpr e : map.getResults().drop_back())
      if (e.isFunctionOfDim(n))
        return std::nullopt;
    if (found || op.isDpsInit(&operand) || type.getRank() != 2 ||
        map.getResult(0) != getAffineDimExpr(k, op.getContext()) ||
        !getResourceConstant(operand.get()) ||
        type.getElementTypeBitWidth() % 8 != 0)
      continue;
    int64_t columns = type.getShape()[1];
    for (int64_t block : {64, 32, 16})
      if (columns % block == 0 && columns / block >= 2) {
        found = Candidate{op, &operand, block};
        break;
      }
  }
  return found;
}

/// The reassociation of `[..., N]` with `[..., N / block, block]`.
static SmallVector<ReassociationIndices> splitLastGroups(int64_t rank) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d + 1 < rank; ++d)
    groups.push_back({d});
  groups.push_back({rank - 1, rank});
  return groups;
}

/// `[..., N]` -> `[..., N / block, block]`, a view.
static Value expandLast(RewriterBase &rewriter, Location loc, Value value,
                        int64_t block) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(type.getShape());
  shape.back() /= block;
  shape.push_back(block);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, value);
  sizes.back() = rewriter.getIndexAttr(shape[rank - 1]);
  sizes.push_back(rewriter.getIndexAttr(block));
  return tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get(shape, type.getElementType()), value,
      splitLastGroups(rank), sizes);
}

/// W[K, N] -> W'[N / block, K, block] as a new resource blob.
static Value blockWeight(RewriterBase &rewriter, Location loc, Value weight,
                         int64_t block) {
  auto [attr, bytes] = *getResourceConstant(weight);
  auto type = cast<RankedTensorType>(weight.getType());
  int64_t rows = type.getShape()[0], columns = type.getShape()[1];
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  int64_t blockBytes = block * elementBytes;
  std::unique_ptr<char[]> blocked(new char[bytes.size()]);
  for (int64_t nb = 0; nb < columns / block; ++nb)
    for (int64_t k = 0; k < rows; ++k)
      std::memcpy(blocked.get() + (nb * rows + k) * blockBytes,
                  bytes.data() + (k * columns + nb * block) * elementBytes,
                  blockBytes);
  auto blockedType = RankedTensorType::get({columns / block, rows, block},
                                           type.getElementType());
  auto blockedAttr = DenseResourceElementsAttr::get(
      blockedType, (attr.getRawHandle().getKey() + "_columns").str(),
      HeapAsmResourceBlob::allocateAndCopyInferAlign(
          ArrayRef<char>(blocked.get(), bytes.size())));
  return arith::ConstantOp::create(rewriter, loc, blockedAttr);
}

/// Rewrites loops (..., k, n) as (..., nb, k, ni) over blocked operands.
static void blockColumns(RewriterBase &rewriter, const Candidate &c) {
  linalg::GenericOp op = c.op;
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  unsigned loops = op.getNumLoops(), k = loops - 2, n = loops - 1;
  // Old dim -> new dim: k and n move one place out; n becomes ni and nb
  // takes k's old place.
  AffineExpr nb = getAffineDimExpr(k, ctx), ni = getAffineDimExpr(n + 1, ctx);
  SmallVector<AffineExpr> renamed;
  for (unsigned d = 0; d < loops; ++d)
    renamed.push_back(getAffineDimExpr(d < k ? d : d + 1, ctx));
  rewriter.setInsertionPoint(op);
  SmallVector<Value> inputs, inits;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    Value value = operand.get();
    if (!map.isFunctionOfDim(n)) {
      maps.push_back(map.replaceDimsAndSymbols(renamed, {}, loops + 1, 0));
    } else if (&operand == c.weight) {
      value = blockWeight(rewriter, loc, value, c.block);
      maps.push_back(AffineMap::get(loops + 1, 0, {nb, renamed[k], ni}, ctx));
    } else {
      value = expandLast(rewriter, loc, value, c.block);
      SmallVector<AffineExpr> results;
      for (AffineExpr e : map.getResults().drop_back())
        results.push_back(e.replaceDims(renamed));
      results.push_back(nb);
      results.push_back(ni);
      maps.push_back(AffineMap::get(loops + 1, 0, results, ctx));
    }
    (op.isDpsInit(&operand) ? inits : inputs).push_back(value);
  }
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  iterators.insert(iterators.begin() + k, utils::IteratorType::parallel);
  auto blocked =
      linalg::GenericOp::create(rewriter, loc, TypeRange{inits[0].getType()},
                                inputs, inits, maps, iterators);
  rewriter.inlineRegionBefore(op.getRegion(), blocked.getRegion(),
                              blocked.getRegion().begin());
  // Back to [..., N].
  auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
  Value result = tensor::CollapseShapeOp::create(
      rewriter, loc, resultType, blocked.getResult(0),
      splitLastGroups(resultType.getRank()));
  rewriter.replaceOp(op, result);
}

void BlockWeightColumnsPass::runOnOperation() {
  SmallVector<Candidate> candidates;
  getOperation()->walk([&](linalg::GenericOp op) {
    if (std::optional<Candidate> c = matchCandidate(op))
      candidates.push_back(*c);
  });
  IRRewriter rewriter(&getContext());
  for (const Candidate &c : candidates)
    blockColumns(rewriter, c);
}
