//===- FuseSiblingMatmuls.cpp - One matmul per shared activation ----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/MapVector.h"

#include <tuple>

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETFUSESIBLINGMATMULS
#include "bitnet/Dialect/BitNet/Transforms/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct FuseSiblingMatmulsPass
    : mlir::bitnet::impl::BitNetFuseSiblingMatmulsBase<FuseSiblingMatmulsPass> {
  void runOnOperation() override;
};

/// What siblings share: their input, block, K, weight layout and act_bits.
using SiblingKey = std::tuple<Value, Block *, int64_t, TernaryLayout, uint64_t>;
} // namespace

/// The weights of `siblings` stacked along N (both canonical layouts store
/// whole rows, so that is their bytes one after the other), with one scale
/// per row; null with a diagnostic if a weight's bytes are not loaded.
static TernaryAttr stackWeights(MutableArrayRef<TernaryMatmulOp> siblings) {
  TernaryAttr first = siblings.front().getWeight();
  int64_t rows = 0;
  SmallVector<char> bytes;
  SmallVector<float> scales;
  for (TernaryMatmulOp &op : siblings) {
    TernaryAttr weight = op.getWeight();
    AsmResourceBlob *blob = weight.getData().getRawHandle().getBlob();
    if (!blob) {
      op.emitOpError("the bytes of weight resource '")
          << weight.getData().getRawHandle().getKey() << "' are not available";
      return nullptr;
    }
    llvm::append_range(bytes, blob->getData());
    rows += weight.getRows();
    auto rowScales = weight.getScales().getValues<float>();
    for (int64_t r = 0; r < weight.getRows(); ++r)
      scales.push_back(weight.isPerChannel() ? rowScales[r] : rowScales[0]);
  }
  MLIRContext *ctx = first.getContext();
  auto scaleType = RankedTensorType::get({rows}, Float32Type::get(ctx));
  auto dataType = RankedTensorType::get({static_cast<int64_t>(bytes.size())},
                                        IntegerType::get(ctx, 8));
  auto data = DenseResourceElementsAttr::get(
      dataType, (first.getData().getRawHandle().getKey() + "_stacked").str(),
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(bytes)));
  return TernaryAttr::get(
      ctx, rows, first.getCols(), first.getLayout(),
      DenseElementsAttr::get(scaleType, ArrayRef<float>(scales)), data);
}

/// Replaces `siblings` (in block order) by one matmul over their stacked
/// weights, placed at the first of them, and slices of its result.
static LogicalResult fuse(MutableArrayRef<TernaryMatmulOp> siblings) {
  TernaryAttr stacked = stackWeights(siblings);
  if (!stacked)
    return failure();
  TernaryMatmulOp first = siblings.front();
  SmallVector<Location> locs;
  for (TernaryMatmulOp &op : siblings)
    locs.push_back(op.getLoc());
  Location loc = FusedLoc::get(first.getContext(), locs);

  OpBuilder b(first);
  auto fused = TernaryMatmulOp::create(b, loc, first.getInput(), stacked,
                                       first.getActBitsAttr(),
                                       /*kernel=*/nullptr);
  Value acc = fused.getAcc();
  b.setInsertionPointAfter(fused);
  auto accType = cast<RankedTensorType>(acc.getType());
  int64_t rank = accType.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, acc);
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  int64_t row = 0;
  for (TernaryMatmulOp &op : siblings) {
    int64_t rows = op.getWeight().getRows();
    offsets.back() = b.getIndexAttr(row);
    sizes.back() = b.getIndexAttr(rows);
    auto slice = tensor::ExtractSliceOp::create(
        b, op.getLoc(), cast<RankedTensorType>(op.getAcc().getType()), acc,
        offsets, sizes, strides);
    op.getAcc().replaceAllUsesWith(slice.getResult());
    row += rows;
  }
  // Only now: the slices went in before the first sibling.
  for (TernaryMatmulOp &op : siblings)
    op.erase();
  return success();
}

void FuseSiblingMatmulsPass::runOnOperation() {
  // Groups in walk (block) order, so the first member dominates the rest.
  llvm::MapVector<SiblingKey, SmallVector<TernaryMatmulOp>> groups;
  getOperation()->walk([&](TernaryMatmulOp op) {
    // A kernel layout means the kernel is chosen: too late to stack.
    TernaryAttr weight = op.getWeight();
    if (!weight.isCanonical())
      return;
    groups[SiblingKey(op.getInput(), op->getBlock(), weight.getCols(),
                      weight.getLayout(), op.getActBits())]
        .push_back(op);
  });
  for (auto &[key, siblings] : groups)
    if (siblings.size() > 1 && failed(fuse(siblings)))
      return signalPassFailure();
}
