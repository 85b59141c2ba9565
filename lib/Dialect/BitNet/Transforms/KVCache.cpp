//===- KVCache.cpp - past/present Concat pairs -> in-place KV cache -------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETKVCACHE
#include "bitnet/Dialect/BitNet/Transforms/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
/// A `present = concat(past, new)` whose `past` is an entry argument.
struct CachePair {
  BlockArgument past;
  tensor::ConcatOp concat;
  unsigned resultIndex;
};

struct KVCachePass
    : mlir::bitnet::impl::BitNetKVCacheBase<KVCachePass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// The pair for `arg`, if its only uses are one two-operand concat (as the
/// first operand, returned by the function) and tensor.dim.
static std::optional<CachePair> matchCachePair(BlockArgument arg,
                                               func::ReturnOp ret) {
  if (!isa<RankedTensorType>(arg.getType()))
    return std::nullopt;
  std::optional<CachePair> pair;
  for (OpOperand &use : arg.getUses()) {
    Operation *user = use.getOwner();
    if (isa<tensor::DimOp>(user))
      continue;
    auto concat = dyn_cast<tensor::ConcatOp>(user);
    if (!concat || pair || concat.getInputs().size() != 2 ||
        use.getOperandNumber() != 0 || concat.getType() != arg.getType())
      return std::nullopt;
    std::optional<unsigned> resultIndex;
    for (OpOperand &r : concat.getResult().getUses())
      if (r.getOwner() == ret.getOperation())
        resultIndex = r.getOperandNumber();
    if (!resultIndex)
      return std::nullopt;
    pair = CachePair{arg, concat, *resultIndex};
  }
  return pair;
}

void KVCachePass::runOnOperation() {
  ModuleOp module = getOperation();
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal()) {
    module.emitError() << "no function '" << entry << "' with a body";
    return signalPassFailure();
  }
  if (!func.getBody().hasOneBlock())
    return;
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());

  SmallVector<CachePair> pairs;
  for (BlockArgument arg : body.getArguments())
    if (std::optional<CachePair> pair = matchCachePair(arg, ret))
      pairs.push_back(*pair);
  if (pairs.empty())
    return;

  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  Location loc = func.getLoc();
  // kv_length: the number of valid cache positions, a rank-0 int64 input.
  auto lengthType = RankedTensorType::get({}, b.getI64Type());
  unsigned lengthIndex = func.getNumArguments();
  if (failed(func.insertArgument(lengthIndex, lengthType, {}, loc)))
    return signalPassFailure();
  func.setArgAttr(lengthIndex, "onnx.name", b.getStringAttr("kv_length"));
  func.setArgAttr(lengthIndex, "onnx.elem_type", b.getI32IntegerAttr(7));
  b.setInsertionPointToStart(&body);
  Value lengthI64 = tensor::ExtractOp::create(b, loc, body.getArgument(lengthIndex),
                                              ValueRange());
  Value length =
      arith::IndexCastOp::create(b, loc, b.getIndexType(), lengthI64);

  llvm::BitVector droppedResults(ret.getNumOperands());
  for (CachePair &pair : pairs) {
    tensor::ConcatOp concat = pair.concat;
    int64_t axis = concat.getDim();
    unsigned argIndex = pair.past.getArgNumber();
    auto type = cast<RankedTensorType>(pair.past.getType());
    int64_t rank = type.getRank();

    // tensor.dim past, axis -> the valid length; other extents are the
    // cache's own.
    for (Operation *user : llvm::make_early_inc_range(pair.past.getUsers()))
      if (auto dim = dyn_cast<tensor::DimOp>(user))
        if (std::optional<int64_t> d = dim.getConstantIndex(); d && *d == axis)
          dim.replaceAllUsesWith(length);

    b.setInsertionPoint(concat);
    Value update = concat.getInputs()[1];
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
    offsets[axis] = length;
    SmallVector<OpFoldResult> updateSizes =
        tensor::getMixedSizes(b, loc, update);
    Value all = tensor::InsertSliceOp::create(b, loc, update, pair.past,
                                              offsets, updateSizes, strides);
    SmallVector<OpFoldResult> presentSizes = tensor::getMixedSizes(b, loc, all);
    Value newLength = arith::AddIOp::create(
        b, loc, length,
        getValueOrCreateConstantIndexOp(b, loc, updateSizes[axis]));
    presentSizes[axis] = newLength;
    SmallVector<OpFoldResult> zeros(rank, b.getIndexAttr(0));
    Value present = tensor::ExtractSliceOp::create(
        b, loc, cast<RankedTensorType>(concat.getType()), all, zeros,
        presentSizes, strides);
    concat.replaceAllUsesWith(present);
    concat.erase();
    droppedResults.set(pair.resultIndex);

    // Record the cache in the signature.
    func.setArgAttr(argIndex, "bitnet.kv_cache", b.getI64IntegerAttr(axis));
    if (auto name = func.getResultAttrOfType<StringAttr>(pair.resultIndex,
                                                         "onnx.name"))
      func.setArgAttr(argIndex, "bitnet.kv_cache_output", name);
    SmallVector<Attribute> dimNames(rank, b.getStringAttr(""));
    if (auto old = func.getArgAttrOfType<ArrayAttr>(argIndex,
                                                    "onnx.dim_params"))
      if (old.size() == static_cast<size_t>(rank))
        dimNames.assign(old.begin(), old.end());
    dimNames[axis] = b.getStringAttr("kv_capacity");
    func.setArgAttr(argIndex, "onnx.dim_params", b.getArrayAttr(dimNames));
  }
  // The present outputs now live in the caches.
  if (failed(func.eraseResults(droppedResults)))
    return signalPassFailure();
  SmallVector<Value> kept;
  for (auto [k, v] : llvm::enumerate(ret.getOperands()))
    if (!droppedResults.test(k))
      kept.push_back(v);
  ret->setOperands(kept);
}
