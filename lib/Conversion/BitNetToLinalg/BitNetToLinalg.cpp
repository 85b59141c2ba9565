//===- BitNetToLinalg.cpp - Reference lowering of bitnet ops --------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every bitnet op becomes linalg.generic ops on tensors whose bodies spell out
// the numeric contract (docs/Dialects/BitNet/Rationale.md):
//   * round half to even (math.roundeven), then clamp, then convert;
//   * scale = c / max(stat, eps) with eps = 1e-5, NaN-propagating max;
//   * sums in index order (reductions lowered to sequential loops);
//   * no multiply-add pairs that a backend could contract into an FMA.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Conversion/BitNetToLinalg/BitNetToLinalg.h"
#include "bitnet/Conversion/Passes.h"
#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

namespace mlir::bitnet {
#define GEN_PASS_DEF_CONVERTBITNETTOLINALG
#include "bitnet/Conversion/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

/// eps of the numeric contract.
static constexpr float kEps = 1e-5f;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
using IteratorTypes = SmallVector<utils::IteratorType>;

/// n parallel iterators followed by `reductions` reduction iterators.
IteratorTypes iterators(unsigned parallel, unsigned reductions = 0) {
  IteratorTypes types(parallel, utils::IteratorType::parallel);
  types.append(reductions, utils::IteratorType::reduction);
  return types;
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   TypedAttr value) {
  Value init = emptyTensor(b, loc, sizes, value.getType());
  Value cst = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, ValueRange{cst}, ValueRange{init})
      .getResult(0);
}

/// Static shape entries of `sizes` (kDynamic for values).
SmallVector<int64_t> staticShape(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes) {
    std::optional<int64_t> cst = getConstantIntValue(size);
    shape.push_back(cst ? *cst : ShapedType::kDynamic);
  }
  return shape;
}

/// size / divisor on index values (folded when static).
OpFoldResult divSize(OpBuilder &b, Location loc, OpFoldResult size,
                     int64_t divisor) {
  if (std::optional<int64_t> cst = getConstantIntValue(size))
    return b.getIndexAttr(*cst / divisor);
  Value d = arith::ConstantIndexOp::create(b, loc, divisor);
  return arith::DivUIOp::create(
             b, loc, getValueOrCreateConstantIndexOp(b, loc, size), d)
      .getResult();
}

/// Splits the last axis of `value` ([..., K]) into [..., K/inner, inner].
Value splitLastAxis(OpBuilder &b, Location loc, Value value, int64_t inner) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  OpFoldResult last = sizes.pop_back_val();
  sizes.push_back(divSize(b, loc, last, inner));
  sizes.push_back(b.getIndexAttr(inner));
  SmallVector<ReassociationIndices> reassociation;
  int64_t rank = type.getRank();
  for (int64_t i = 0; i + 1 < rank; ++i)
    reassociation.push_back({i});
  reassociation.push_back({rank - 1, rank});
  auto resultType =
      RankedTensorType::get(staticShape(sizes), type.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, resultType, value,
                                       reassociation, sizes);
}

/// Merges the last `count` axes of `value` into one.
Value mergeLastAxes(OpBuilder &b, Location loc, Value value, int64_t count) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0; i < rank - count; ++i)
    reassociation.push_back({i});
  ReassociationIndices last;
  for (int64_t i = rank - count; i < rank; ++i)
    last.push_back(i);
  reassociation.push_back(last);
  return tensor::CollapseShapeOp::create(b, loc, value, reassociation);
}

/// Reshapes `value` to `shape`'s rank when both have the same elements and
/// one of them is a vector of all the elements (used for per-tensor views).
Value reshapeAllOnes(OpBuilder &b, Location loc, Value value, int64_t rank) {
  // value is tensor<1xf32>; produce tensor<1x...x1xf32> of `rank`.
  auto type = cast<RankedTensorType>(value.getType());
  if (rank == 1)
    return value;
  ReassociationIndices all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  auto resultType = RankedTensorType::get(SmallVector<int64_t>(rank, 1),
                                          type.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, resultType, value,
                                       ArrayRef<ReassociationIndices>{all});
}

/// The identity map on `rank` loops.
AffineMap identity(OpBuilder &b, unsigned rank) {
  return b.getMultiDimIdentityMap(rank);
}

/// The map (d0..d[rank-1]) -> (d0..d[rank-2]): drops the innermost loop.
AffineMap dropInnermost(OpBuilder &b, unsigned rank) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i + 1 < rank; ++i)
    exprs.push_back(b.getAffineDimExpr(i));
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

/// The f32 value of an index size (a constant when static).
Value sizeAsF32(OpBuilder &b, Location loc, OpFoldResult size) {
  if (std::optional<int64_t> cst = getConstantIntValue(size))
    return arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(static_cast<float>(*cst)));
  Value index = getValueOrCreateConstantIndexOp(b, loc, size);
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), i64);
}

using BodyBuilder = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// A parallel linalg.generic over the shape of `shapeSource` whose elements
/// are `body(inputs read through inputMaps)`, of type `elementType`.
Value mapElements(OpBuilder &b, Location loc, Value shapeSource,
                  Type elementType, ValueRange inputs,
                  ArrayRef<AffineMap> inputMaps, BodyBuilder body) {
  unsigned rank = cast<RankedTensorType>(shapeSource.getType()).getRank();
  Value init = emptyTensor(b, loc, tensor::getMixedSizes(b, loc, shapeSource),
                           elementType);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(identity(b, rank));
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps,
             iterators(rank),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, args.drop_back()));
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Quantization (bitnet.quantize, bitnet.kv_quantize)
//===----------------------------------------------------------------------===//

struct QuantParams {
  int64_t qmin, qmax;
  float numerator;
  QuantMethod method;
  Granularity granularity;
  int64_t groupSize;
};

/// Emits the reference quantization of `input`; returns (q, scale) with the
/// types of bitnet.quantize.
std::pair<Value, Value> emitQuantize(OpBuilder &b, Location loc, Value input,
                                     const QuantParams &p) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  Type f32 = b.getF32Type();

  // View the input as [B..., groups, groupSize].
  Value grouped;
  if (p.granularity == Granularity::per_tensor) {
    Value flat = rank == 1 ? input : mergeLastAxes(b, loc, input, rank);
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, flat);
    sizes.insert(sizes.begin(), b.getIndexAttr(1));
    auto type = RankedTensorType::get(staticShape(sizes), f32);
    grouped = tensor::ExpandShapeOp::create(
        b, loc, type, flat, ArrayRef<ReassociationIndices>{{0, 1}}, sizes);
  } else if (p.granularity == Granularity::per_group) {
    grouped = splitLastAxis(b, loc, input, p.groupSize);
  } else {
    // per_token: one group of the whole last axis.
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
    sizes.insert(sizes.end() - 1, b.getIndexAttr(1));
    SmallVector<ReassociationIndices> reassociation;
    for (int64_t i = 0; i + 1 < rank; ++i)
      reassociation.push_back({i});
    reassociation.push_back({rank - 1, rank});
    auto type = RankedTensorType::get(staticShape(sizes), f32);
    grouped =
        tensor::ExpandShapeOp::create(b, loc, type, input, reassociation, sizes);
  }
  auto groupedType = cast<RankedTensorType>(grouped.getType());
  unsigned loops = groupedType.getRank();
  SmallVector<OpFoldResult> groupedSizes =
      tensor::getMixedSizes(b, loc, grouped);
  SmallVector<OpFoldResult> statSizes(groupedSizes.begin(),
                                      groupedSizes.end() - 1);

  // stat = max |x| (NaN-propagating) or sum |x| in index order.
  Value statInit = filledTensor(b, loc, statSizes, b.getF32FloatAttr(0.0f));
  bool absmax = p.method == QuantMethod::absmax;
  Value stat =
      linalg::GenericOp::create(
          b, loc, statInit.getType(), ValueRange{grouped}, ValueRange{statInit},
          ArrayRef<AffineMap>{identity(b, loops), dropInnermost(b, loops)},
          iterators(loops - 1, 1),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value abs = math::AbsFOp::create(nb, nl, args[0]);
            Value next =
                absmax ? arith::MaximumFOp::create(nb, nl, args[1], abs)
                             .getResult()
                       : arith::AddFOp::create(nb, nl, args[1], abs)
                             .getResult();
            linalg::YieldOp::create(nb, nl, next);
          })
          .getResult(0);

  // scale = c / max(stat [/ n], eps).
  Value groupSize = sizeAsF32(b, loc, groupedSizes.back());
  Value scale = mapElements(
      b, loc, stat, f32, stat, identity(b, loops - 1),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value v = args[0];
        if (!absmax)
          v = arith::DivFOp::create(nb, nl, v, groupSize);
        Value eps = arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(kEps));
        Value c =
            arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(p.numerator));
        Value clamped = arith::MaximumFOp::create(nb, nl, v, eps);
        return arith::DivFOp::create(nb, nl, c, clamped);
      });

  // q = clamp(roundeven(x * s), qmin, qmax) as i8. Per tensor, q is computed
  // on the input's own shape with the single scale broadcast: reshaping a
  // collapsed dynamic q back to several dynamic dimensions would need a
  // memref.expand_shape of one dynamic dimension into several, which
  // expand-strided-metadata (LLVM 22) crashes on.
  bool perTensor = p.granularity == Granularity::per_tensor;
  Value qSource = perTensor ? input : grouped;
  unsigned qLoops = perTensor ? rank : loops;
  AffineMap qScaleMap =
      perTensor ? AffineMap::get(qLoops, 0, b.getAffineConstantExpr(0))
                : dropInnermost(b, loops);
  Value q = mapElements(
      b, loc, qSource, b.getI8Type(), ValueRange{qSource, scale},
      {identity(b, qLoops), qScaleMap},
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value scaled = arith::MulFOp::create(nb, nl, args[0], args[1]);
        Value rounded = math::RoundEvenOp::create(nb, nl, scaled);
        Value lo = arith::ConstantOp::create(
            nb, nl, nb.getF32FloatAttr(static_cast<float>(p.qmin)));
        Value hi = arith::ConstantOp::create(
            nb, nl, nb.getF32FloatAttr(static_cast<float>(p.qmax)));
        Value clamped = arith::MinimumFOp::create(
            nb, nl, arith::MaximumFOp::create(nb, nl, rounded, lo), hi);
        return arith::FPToSIOp::create(nb, nl, nb.getI8Type(), clamped);
      });

  // Back to the op's result shapes.
  if (perTensor)
    scale = reshapeAllOnes(b, loc, scale, rank);
  else
    q = mergeLastAxes(b, loc, q, 2);
  return {q, scale};
}
} // namespace

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    QuantSchemeAttr scheme = op.getScheme();
    QuantParams params{scheme.getQMin(),        scheme.getQMax(),
                       scheme.getScaleNumerator(), scheme.getMethod(),
                       scheme.getGranularity(), scheme.getGroupSize()};
    auto [q, scale] =
        emitQuantize(rewriter, op.getLoc(), adaptor.getInput(), params);
    rewriter.replaceOp(op, {q, scale});
    return success();
  }
};

struct KVQuantizeLowering : OpConversionPattern<KVQuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(KVQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t qmax = (int64_t(1) << (op.getBits() - 1)) - 1;
    QuantParams params{-qmax - 1,
                       qmax,
                       static_cast<float>(qmax),
                       QuantMethod::absmax,
                       Granularity::per_token,
                       0};
    auto [q, scale] =
        emitQuantize(rewriter, op.getLoc(), adaptor.getInput(), params);
    rewriter.replaceOp(op, {q, scale});
    return success();
  }
};

/// Maps of a `[..., 1]`-style scale read at loop indices of a `rank`-d
/// iteration over its values: constant 0 where the scale has a static unit
/// dimension that the values do not, the loop index otherwise.
AffineMap broadcastMap(OpBuilder &b, RankedTensorType values,
                       RankedTensorType scale) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0, e = scale.getRank(); i < e; ++i) {
    if (scale.getDimSize(i) == 1 && values.getDimSize(i) != 1)
      exprs.push_back(b.getAffineConstantExpr(0));
    else
      exprs.push_back(b.getAffineDimExpr(i));
  }
  return AffineMap::get(values.getRank(), 0, exprs, b.getContext());
}

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), scale = adaptor.getScale();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto scaleType = cast<RankedTensorType>(scale.getType());
    int64_t groups = scaleType.getShape().back();

    // Per token / per tensor: broadcast the scale over the last axis. Per
    // group: view the values as [..., groups, groupSize].
    Value values = input;
    AffineMap scaleMap;
    bool grouped = groups != 1;
    if (grouped) {
      int64_t k = inputType.getShape().back();
      if (ShapedType::isDynamic(k) || ShapedType::isDynamic(groups))
        return rewriter.notifyMatchFailure(op, "dynamic per-group shape");
      values = splitLastAxis(rewriter, loc, input, k / groups);
      scaleMap = dropInnermost(rewriter, inputType.getRank() + 1);
    } else {
      scaleMap = broadcastMap(rewriter, inputType, scaleType);
    }
    unsigned loops = cast<RankedTensorType>(values.getType()).getRank();
    Value result = mapElements(
        rewriter, loc, values, rewriter.getF32Type(), ValueRange{values, scale},
        {identity(rewriter, loops), scaleMap},
        [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value f = arith::SIToFPOp::create(nb, nl, nb.getF32Type(), args[0]);
          return arith::DivFOp::create(nb, nl, f, args[1]);
        });
    if (grouped)
      result = mergeLastAxes(rewriter, loc, result, 2);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TernaryMatmulLowering : OpConversionPattern<TernaryMatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  /// A plain [rows, ceil(cols / 4)] code blob unpacked to one i8 per weight.
  static Value unpackPlain(ConversionPatternRewriter &rewriter, Location loc,
                           Value packed, int64_t cols) {
    // Unpack to one i8 per weight: w[n, k] = ((byte[n, k / 4] >> 2 (k % 4))
    // & 3) - 1.
    int64_t rows = cast<RankedTensorType>(packed.getType()).getDimSize(0);
    MLIRContext *ctx = rewriter.getContext();
    Type i8 = rewriter.getI8Type();
    Value unpackedInit = emptyTensor(
        rewriter, loc,
        {rewriter.getIndexAttr(rows), rewriter.getIndexAttr(cols)}, i8);
    AffineExpr n = rewriter.getAffineDimExpr(0),
               k = rewriter.getAffineDimExpr(1);
    return linalg::GenericOp::create(
               rewriter, loc, unpackedInit.getType(), ValueRange{packed},
               ValueRange{unpackedInit},
               ArrayRef<AffineMap>{
                   AffineMap::get(2, 0, {n, k.floorDiv(4)}, ctx),
                   identity(rewriter, 2)},
               iterators(2),
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value kIndex = linalg::IndexOp::create(nb, nl, 1);
                 Value four = arith::ConstantIndexOp::create(nb, nl, 4);
                 Value slot = arith::RemUIOp::create(nb, nl, kIndex, four);
                 Value slotI8 = arith::IndexCastOp::create(nb, nl, i8, slot);
                 Value two = arith::ConstantOp::create(
                     nb, nl, nb.getIntegerAttr(i8, 2));
                 Value shift = arith::MulIOp::create(nb, nl, slotI8, two);
                 Value code = arith::AndIOp::create(
                     nb, nl, arith::ShRUIOp::create(nb, nl, args[0], shift),
                     arith::ConstantOp::create(nb, nl,
                                               nb.getIntegerAttr(i8, 3)));
                 Value one = arith::ConstantOp::create(
                     nb, nl, nb.getIntegerAttr(i8, 1));
                 linalg::YieldOp::create(
                     nb, nl,
                     arith::SubIOp::create(nb, nl, code, one).getResult());
               })
        .getResult(0);
  }

  LogicalResult
  matchAndRewrite(TernaryMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    TernaryAttr weight = op.getWeight();
    if (!weight.isCanonical())
      return rewriter.notifyMatchFailure(op, "not the plain or int8 layout");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rows = weight.getRows(), cols = weight.getCols();
    bool int8 = weight.isInt8();
    int64_t rowBytes = int8 ? cols : TernaryAttr::getPlainRowBytes(cols);
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();

    // The packed blob, viewed as [rows, rowBytes] (same resource, no copy).
    auto packedType = RankedTensorType::get({rows, rowBytes}, i8);
    Value packed = arith::ConstantOp::create(
        rewriter, loc,
        DenseResourceElementsAttr::get(packedType,
                                       weight.getData().getRawHandle()));
    // An int8 weight is already one signed byte per weight.
    Value unpacked = int8 ? packed : unpackPlain(rewriter, loc, packed, cols);

    // acc[..., n] = sum_k q[..., k] * w[n, k] in i32: loops (batch..., n, k).
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    unsigned batch = inputType.getRank() - 1;
    unsigned loops = batch + 2;
    SmallVector<AffineExpr> qExprs, wExprs, accExprs;
    for (unsigned i = 0; i < batch; ++i) {
      qExprs.push_back(rewriter.getAffineDimExpr(i));
      accExprs.push_back(rewriter.getAffineDimExpr(i));
    }
    AffineExpr nLoop = rewriter.getAffineDimExpr(batch),
               kLoop = rewriter.getAffineDimExpr(batch + 1);
    qExprs.push_back(kLoop);
    wExprs = {nLoop, kLoop};
    accExprs.push_back(nLoop);

    SmallVector<OpFoldResult> accSizes =
        tensor::getMixedSizes(rewriter, loc, input);
    accSizes.back() = rewriter.getIndexAttr(rows);
    Value accInit =
        filledTensor(rewriter, loc, accSizes, rewriter.getI32IntegerAttr(0));
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, accInit.getType(), ValueRange{input, unpacked},
            ValueRange{accInit},
            ArrayRef<AffineMap>{AffineMap::get(loops, 0, qExprs, ctx),
                                AffineMap::get(loops, 0, wExprs, ctx),
                                AffineMap::get(loops, 0, accExprs, ctx)},
            iterators(batch + 1, 1),
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value q = arith::ExtSIOp::create(nb, nl, i32, args[0]);
              Value w = arith::ExtSIOp::create(nb, nl, i32, args[1]);
              Value prod = arith::MulIOp::create(nb, nl, q, w);
              linalg::YieldOp::create(
                  nb, nl,
                  arith::AddIOp::create(nb, nl, args[2], prod).getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, acc);
    return success();
  }
};

struct RescaleLowering : OpConversionPattern<RescaleOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RescaleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value acc = adaptor.getAcc();
    auto accType = cast<RankedTensorType>(acc.getType());
    auto actType = cast<RankedTensorType>(adaptor.getActScale().getType());
    auto weightType =
        cast<RankedTensorType>(adaptor.getWeightScale().getType());
    unsigned loops = accType.getRank();
    AffineMap weightMap =
        weightType.getDimSize(0) == 1 && accType.getShape().back() != 1
            ? AffineMap::get(loops, 0, rewriter.getAffineConstantExpr(0))
            : AffineMap::get(loops, 0, rewriter.getAffineDimExpr(loops - 1));
    Value result = mapElements(
        rewriter, loc, acc, rewriter.getF32Type(),
        ValueRange{acc, adaptor.getActScale(), adaptor.getWeightScale()},
        {identity(rewriter, loops), broadcastMap(rewriter, accType, actType),
         weightMap},
        [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value f = arith::SIToFPOp::create(nb, nl, nb.getF32Type(), args[0]);
          Value div = arith::DivFOp::create(nb, nl, f, args[1]);
          return arith::MulFOp::create(nb, nl, div, args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct HadamardLowering : OpConversionPattern<HadamardOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(HadamardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    int64_t block = op.getBlockSize();
    unsigned rank = cast<RankedTensorType>(x.getType()).getRank();

    // Butterfly stage h on the view [..., K / 2h, 2, h]:
    // out[..., i, t, j] = t == 0 ? a + b : a - b, a = x[..., i, 0, j],
    // b = x[..., i, 1, j].
    for (int64_t h = 1; h < block; h *= 2) {
      Value pairs = splitLastAxis(rewriter, loc, x, 2 * h);
      pairs = splitLastAxis(rewriter, loc, pairs, h);
      unsigned loops = rank + 2;
      SmallVector<AffineExpr> aExprs, bExprs;
      for (unsigned i = 0; i < loops; ++i) {
        bool pairDim = i == loops - 2;
        aExprs.push_back(pairDim ? rewriter.getAffineConstantExpr(0)
                                 : rewriter.getAffineDimExpr(i));
        bExprs.push_back(pairDim ? rewriter.getAffineConstantExpr(1)
                                 : rewriter.getAffineDimExpr(i));
      }
      Value stage = mapElements(
          rewriter, loc, pairs, rewriter.getF32Type(), ValueRange{pairs, pairs},
          {AffineMap::get(loops, 0, aExprs, ctx),
           AffineMap::get(loops, 0, bExprs, ctx)},
          [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
            Value t = linalg::IndexOp::create(nb, nl, loops - 2);
            Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
            Value first = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::eq, t, zero);
            Value sum = arith::AddFOp::create(nb, nl, args[0], args[1]);
            Value diff = arith::SubFOp::create(nb, nl, args[0], args[1]);
            return arith::SelectOp::create(nb, nl, first, sum, diff);
          });
      x = mergeLastAxes(rewriter, loc, stage, 3);
    }

    // Normalize by f32(1 / sqrt(B)).
    float norm = static_cast<float>(1.0 / std::sqrt(static_cast<double>(block)));
    Value result = mapElements(
        rewriter, loc, x, rewriter.getF32Type(), x, identity(rewriter, rank),
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value c = arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(norm));
          return arith::MulFOp::create(nb, nl, args[0], c);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SparsifyLowering : OpConversionPattern<SparsifyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SparsifyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, x);
    Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
    double value = op.getValue().convertToDouble();

    Value keepMask; // i32 rank per element (topk) or nothing (threshold)
    Value k;        // number of entries kept per row, as i32
    if (op.getMode() == SparsifyMode::topk) {
      // rank[..., i] = #{j : |x_j| > |x_i| or (|x_j| == |x_i| and j < i)};
      // loops (batch..., i, j).
      unsigned loops = rank + 1;
      SmallVector<AffineExpr> iExprs, jExprs;
      for (unsigned d = 0; d + 1 < rank; ++d) {
        iExprs.push_back(rewriter.getAffineDimExpr(d));
        jExprs.push_back(rewriter.getAffineDimExpr(d));
      }
      iExprs.push_back(rewriter.getAffineDimExpr(rank - 1));
      jExprs.push_back(rewriter.getAffineDimExpr(rank));
      Value init =
          filledTensor(rewriter, loc, sizes, rewriter.getI32IntegerAttr(0));
      keepMask =
          linalg::GenericOp::create(
              rewriter, loc, init.getType(), ValueRange{x, x}, ValueRange{init},
              ArrayRef<AffineMap>{AffineMap::get(loops, 0, iExprs, ctx),
                                  AffineMap::get(loops, 0, jExprs, ctx),
                                  AffineMap::get(loops, 0, iExprs, ctx)},
              iterators(rank, 1),
              [&](OpBuilder &nb, Location nl, ValueRange args) {
                Value ai = math::AbsFOp::create(nb, nl, args[0]);
                Value aj = math::AbsFOp::create(nb, nl, args[1]);
                Value i = linalg::IndexOp::create(nb, nl, rank - 1);
                Value j = linalg::IndexOp::create(nb, nl, rank);
                Value greater = arith::CmpFOp::create(
                    nb, nl, arith::CmpFPredicate::OGT, aj, ai);
                Value equal = arith::CmpFOp::create(
                    nb, nl, arith::CmpFPredicate::OEQ, aj, ai);
                Value before = arith::CmpIOp::create(
                    nb, nl, arith::CmpIPredicate::ult, j, i);
                Value beats = arith::OrIOp::create(
                    nb, nl, greater,
                    arith::AndIOp::create(nb, nl, equal, before));
                Value inc = arith::ExtUIOp::create(nb, nl, i32, beats);
                linalg::YieldOp::create(
                    nb, nl, arith::AddIOp::create(nb, nl, args[2], inc).getResult());
              })
              .getResult(0);
      // k = ceil(ratio * n), in f64.
      Value n = getValueOrCreateConstantIndexOp(rewriter, loc, sizes.back());
      Value nF64 = arith::SIToFPOp::create(
          rewriter, loc, rewriter.getF64Type(),
          arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), n));
      Value ratio = arith::ConstantOp::create(rewriter, loc,
                                              rewriter.getF64FloatAttr(value));
      Value kF64 = math::CeilOp::create(
          rewriter, loc, arith::MulFOp::create(rewriter, loc, ratio, nF64));
      k = arith::FPToSIOp::create(rewriter, loc, i32, kF64);
    }

    SmallVector<Value> inputs{x};
    SmallVector<AffineMap> maps{identity(rewriter, rank)};
    if (keepMask) {
      inputs.push_back(keepMask);
      maps.push_back(identity(rewriter, rank));
    }
    Value result = mapElements(
        rewriter, loc, x, f32, inputs, maps,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value keep;
          if (keepMask) {
            keep = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                         args[1], k);
          } else {
            // Compare in f64 so the threshold is not rounded to f32.
            Value abs = arith::ExtFOp::create(
                nb, nl, nb.getF64Type(),
                math::AbsFOp::create(nb, nl, args[0]).getResult());
            Value t =
                arith::ConstantOp::create(nb, nl, nb.getF64FloatAttr(value));
            keep = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE,
                                         abs, t);
          }
          Value zero =
              arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(0.0f));
          return arith::SelectOp::create(nb, nl, keep, args[0], zero);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConvertBitNetToLinalgPass
    : bitnet::impl::ConvertBitNetToLinalgBase<ConvertBitNetToLinalgPass> {
  void runOnOperation() override {
    // Kernel layouts are the kernels' business; say so instead of failing to
    // legalize.
    WalkResult walk = getOperation()->walk([](Operation *op) {
      TernaryAttr weight;
      if (auto matmul = dyn_cast<TernaryMatmulOp>(op))
        weight = matmul.getWeight();
      else if (auto linear = dyn_cast<BitLinearOp>(op))
        weight = linear.getWeight();
      if (!weight)
        return WalkResult::advance();
      // A selected kernel reads its own layout (KernelCalls.cpp).
      auto matmul = dyn_cast<TernaryMatmulOp>(op);
      if (!weight.isCanonical() && !(matmul && matmul.getKernel())) {
        op->emitOpError("the reference lowering reads the plain or int8 "
                        "weight layout, got ")
            << stringifyTernaryLayout(weight.getLayout());
        return WalkResult::interrupt();
      }
      // A resource that is declared but whose bytes never arrived (elided or
      // missing from the file) cannot be compiled into anything meaningful.
      DenseResourceElementsHandle handle = weight.getData().getRawHandle();
      if (!handle.getBlob()) {
        op->emitOpError("the bytes of weight resource '")
            << handle.getKey() << "' are not available";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    ConversionTarget target(getContext());
    target.addIllegalDialect<BitNetDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateBitNetToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::bitnet::populateBitNetToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  populateDecomposeBitLinearPatterns(patterns);
  patterns.add<DequantizeLowering, HadamardLowering, KVQuantizeLowering,
               QuantizeLowering, RescaleLowering, SparsifyLowering,
               TernaryMatmulLowering>(patterns.getContext());
  populateBitNetKernelCallPatterns(patterns);
}
