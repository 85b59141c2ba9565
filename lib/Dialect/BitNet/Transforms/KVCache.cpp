//===- KVCache.cpp - past/present Concat pairs -> in-place KV cache -------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// A read of `present` as attention reads keys (scores = q · Kᵀ): an
/// optional `tensor.expand_shape` that splits the cache axis T into unit
/// dims then T and keeps the last dim D whole, then a `linalg.transpose` that
/// swaps T and D and nothing else. A cache stored as [..., D, T] serves it
/// with no transpose; tensor.dim users of the expand are allowed.
struct TransposedRead {
  tensor::ExpandShapeOp expand; // null: the transpose reads `present`
  linalg::TransposeOp transpose;
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

static bool isConstantDim(Operation *op) {
  auto dim = dyn_cast<tensor::DimOp>(op);
  return dim && dim.getConstantIndex().has_value();
}

static std::optional<TransposedRead>
matchTransposedRead(Operation *user, int64_t axis, int64_t last) {
  TransposedRead read{dyn_cast<tensor::ExpandShapeOp>(user), {}};
  int64_t tPos = axis, dPos = last;
  Operation *reader = user;
  if (read.expand) {
    SmallVector<ReassociationIndices> groups =
        read.expand.getReassociationIndices();
    ArrayRef<int64_t> shape = read.expand.getResultType().getShape();
    if (groups[last].size() != 1 ||
        llvm::any_of(ArrayRef(groups[axis]).drop_back(),
                     [&](int64_t d) { return shape[d] != 1; }))
      return std::nullopt;
    tPos = groups[axis].back();
    dPos = groups[last].front();
    reader = nullptr;
    for (Operation *expandUser : read.expand->getUsers()) {
      if (isConstantDim(expandUser))
        continue;
      if (reader)
        return std::nullopt;
      reader = expandUser;
    }
  }
  read.transpose = dyn_cast_or_null<linalg::TransposeOp>(reader);
  if (!read.transpose || !read.transpose.hasPureTensorSemantics())
    return std::nullopt;
  for (auto [i, from] : llvm::enumerate(read.transpose.getPermutation()))
    if (from != (int64_t(i) == tPos   ? dPos
                 : int64_t(i) == dPos ? tPos
                                      : int64_t(i)))
      return std::nullopt;
  return read;
}

/// The transposed reads of `pair` if every use of its present value other
/// than the return and tensor.dim is one (and there is at least one).
static SmallVector<TransposedRead> matchTransposedReads(CachePair &pair) {
  int64_t axis = pair.concat.getDim();
  int64_t last = pair.concat.getType().getRank() - 1;
  SmallVector<TransposedRead> reads;
  if (axis == last)
    return reads;
  // Extents are renumbered for the new layout: only constant dims can be.
  if (!llvm::all_of(pair.past.getUsers(), [&](Operation *user) {
        return user == pair.concat.getOperation() || isConstantDim(user);
      }))
    return reads;
  for (Operation *user : pair.concat->getUsers()) {
    if (isConstantDim(user) || isa<func::ReturnOp>(user))
      continue;
    std::optional<TransposedRead> read = matchTransposedRead(user, axis, last);
    if (!read)
      return {};
    reads.push_back(*read);
  }
  return reads;
}

/// `sizes` with entries `a` and `b` swapped.
template <typename T>
static SmallVector<T> swapped(ArrayRef<T> sizes, int64_t a, int64_t b) {
  SmallVector<T> result(sizes);
  std::swap(result[a], result[b]);
  return result;
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
    int64_t last = rank - 1;
    // Keys that attention only reads transposed are stored transposed, with
    // the cache axis last: the scores then read contiguous positions instead
    // of a transposed copy of the whole cache per step.
    SmallVector<TransposedRead> transposedReads = matchTransposedReads(pair);
    bool transposed = !transposedReads.empty();
    int64_t cacheAxis = transposed ? last : axis;
    if (transposed)
      pair.past.setType(RankedTensorType::get(
          swapped(type.getShape(), axis, last), type.getElementType()));

    // tensor.dim past, axis -> the valid length; other extents are the
    // cache's own.
    for (Operation *user : llvm::make_early_inc_range(pair.past.getUsers())) {
      auto dim = dyn_cast<tensor::DimOp>(user);
      std::optional<int64_t> d = dim ? dim.getConstantIndex() : std::nullopt;
      if (!d)
        continue;
      if (*d == axis) {
        dim.replaceAllUsesWith(length);
      } else if (transposed && *d == last) {
        b.setInsertionPoint(dim);
        dim.replaceAllUsesWith(
            tensor::DimOp::create(b, dim.getLoc(), pair.past, axis)
                .getResult());
        dim.erase();
      }
    }

    b.setInsertionPoint(concat);
    Value update = concat.getInputs()[1];
    SmallVector<OpFoldResult> updateSizes =
        tensor::getMixedSizes(b, loc, update);
    OpFoldResult newTokens = updateSizes[axis];
    if (transposed) {
      // The new keys, [..., D, n]: small, one transpose per step.
      updateSizes = swapped(ArrayRef(updateSizes), axis, last);
      Value init = tensor::EmptyOp::create(
          b, loc, updateSizes,
          cast<RankedTensorType>(update.getType()).getElementType());
      SmallVector<int64_t> perm = swapped(
          ArrayRef(llvm::to_vector(llvm::seq<int64_t>(0, rank))), axis, last);
      update = linalg::TransposeOp::create(b, loc, update, init, perm)
                   .getResult()[0];
    }
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
    offsets[cacheAxis] = length;
    Value all = tensor::InsertSliceOp::create(b, loc, update, pair.past,
                                              offsets, updateSizes, strides);
    SmallVector<OpFoldResult> presentSizes = tensor::getMixedSizes(b, loc, all);
    Value newLength = arith::AddIOp::create(
        b, loc, length, getValueOrCreateConstantIndexOp(b, loc, newTokens));
    presentSizes[cacheAxis] = newLength;
    SmallVector<OpFoldResult> zeros(rank, b.getIndexAttr(0));
    auto presentType = cast<RankedTensorType>(concat.getType());
    if (transposed)
      presentType =
          RankedTensorType::get(swapped(presentType.getShape(), axis, last),
                                presentType.getElementType());
    Value present = tensor::ExtractSliceOp::create(
        b, loc, presentType, all, zeros, presentSizes, strides);
    if (transposed) {
      // Each transposed read becomes a view of the cache; extents of the
      // ONNX-layout values become the cache's.
      for (TransposedRead &read : transposedReads) {
        Value view = present;
        if (read.expand) {
          SmallVector<OpFoldResult> expandSizes =
              read.expand.getMixedOutputShape();
          for (Operation *user :
               llvm::make_early_inc_range(read.expand->getUsers()))
            if (auto dim = dyn_cast<tensor::DimOp>(user)) {
              b.setInsertionPoint(dim);
              dim.replaceAllUsesWith(getValueOrCreateConstantIndexOp(
                  b, dim.getLoc(), expandSizes[*dim.getConstantIndex()]));
              dim.erase();
            }
          b.setInsertionPoint(read.transpose);
          SmallVector<OpFoldResult> viewSizes;
          for (int64_t from : read.transpose.getPermutation())
            viewSizes.push_back(expandSizes[from]);
          view = tensor::ExpandShapeOp::create(
              b, read.expand.getLoc(),
              cast<RankedTensorType>(read.transpose.getResult()[0].getType()),
              present, read.expand.getReassociationIndices(), viewSizes);
        }
        read.transpose.getResult()[0].replaceAllUsesWith(view);
        read.transpose.erase();
        if (read.expand && read.expand->use_empty())
          read.expand.erase();
      }
      for (Operation *user : llvm::make_early_inc_range(concat->getUsers()))
        if (auto dim = dyn_cast<tensor::DimOp>(user)) {
          int64_t d = *dim.getConstantIndex();
          int64_t from = d == axis ? last : d == last ? axis : d;
          b.setInsertionPoint(dim);
          dim.replaceAllUsesWith(getValueOrCreateConstantIndexOp(
              b, dim.getLoc(), presentSizes[from]));
          dim.erase();
        }
    }
    // (Transposed, only the return is left, and that result is dropped
    // below.)
    concat.replaceAllUsesWith(present);
    concat.erase();
    droppedResults.set(pair.resultIndex);

    // Record the cache in the signature.
    func.setArgAttr(argIndex, "bitnet.kv_cache",
                    b.getI64IntegerAttr(cacheAxis));
    if (auto name = func.getResultAttrOfType<StringAttr>(pair.resultIndex,
                                                         "onnx.name"))
      func.setArgAttr(argIndex, "bitnet.kv_cache_output", name);
    SmallVector<Attribute> dimNames(rank, b.getStringAttr(""));
    if (auto old = func.getArgAttrOfType<ArrayAttr>(argIndex,
                                                    "onnx.dim_params"))
      if (old.size() == static_cast<size_t>(rank))
        dimNames.assign(old.begin(), old.end());
    if (transposed)
      std::swap(dimNames[axis], dimNames[last]);
    dimNames[cacheAxis] = b.getStringAttr("kv_capacity");
    func.setArgAttr(argIndex, "onnx.dim_params", b.getArrayAttr(dimNames));
  }
  func.setType(
      FunctionType::get(ctx, body.getArgumentTypes(), func.getResultTypes()));
  // The present outputs now live in the caches.
  if (failed(func.eraseResults(droppedResults)))
    return signalPassFailure();
  SmallVector<Value> kept;
  for (auto [k, v] : llvm::enumerate(ret.getOperands()))
    if (!droppedResults.test(k))
      kept.push_back(v);
  ret->setOperands(kept);
}
