//===- EmitIndexOps.cpp - ONNX indexing ops --------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Ops whose reads depend on data or on runtime shapes: Gather,
// GatherElements, ScatterElements, Slice, Expand, ConstantOfShape, Range
// and Trilu. Every data-dependent index is clamped into its dimension (ONNX
// calls an out-of-range index an error; see docs/Import.md), so the
// generated code never reads or writes outside a buffer, whatever the input
// values.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::bitnet::onnx_import {

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Reads `t[idx]`, or zero when `ok` is false (an empty dimension).
Value guardedExtract(OpBuilder &nb, Location nl, Value t, ValueRange idx,
                     Value ok) {
  if (!ok)
    return tensor::ExtractOp::create(nb, nl, t, idx);
  Type elt = typeOf(t).getElementType();
  auto ifOp = buildIf(
      nb, nl, TypeRange{elt}, ok,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(
            tb, tl, ValueRange{tensor::ExtractOp::create(tb, tl, t, idx)});
      },
      [&](OpBuilder &eb, Location el) {
        Value z =
            isa<FloatType>(elt)
                ? arith::ConstantOp::create(eb, el, eb.getFloatAttr(elt, 0.0))
                      .getResult()
                : arith::ConstantOp::create(eb, el, eb.getIntegerAttr(elt, 0))
                      .getResult();
        scf::YieldOp::create(eb, el, ValueRange{z});
      });
  return ifOp.getResult(0);
}
} // namespace

std::optional<LogicalResult> Importer::emitIndexOp(NodeIO &io) {
  const onnx::NodeProto &node = io.node;
  StringRef op = node.op_type();
  Location loc = io.loc;
  ArrayRef<Value> in = io.in;
  auto setOut = [&](Value v) { values[node.output(0)] = v; };
  auto need = [&](size_t n) -> LogicalResult {
    for (size_t k = 0; k < n; ++k)
      if (!io.has(k))
        return nodeError(node) << "input " << k << " is missing";
    return success();
  };
  auto toIdx = [&](OpFoldResult f) -> Value {
    if (auto v = dyn_cast<Value>(f))
      return v;
    return indexConst(cast<IntegerAttr>(cast<Attribute>(f)).getInt());
  };
  // The entries of a 1-D integer tensor: constants, tracked shape entries,
  // or values read at run time (the length must be static).
  auto entriesOf = [&](size_t k) -> std::optional<SmallVector<OpFoldResult>> {
    if (auto s = symOf(node.input(k)))
      return s;
    auto t = typeOf(in[k]);
    if (t.getRank() > 1 || (t.getRank() == 1 && t.isDynamicDim(0)) ||
        !isa<IntegerType>(t.getElementType()))
      return std::nullopt;
    SmallVector<OpFoldResult> r;
    int64_t n = t.getRank() == 0 ? 1 : t.getDimSize(0);
    for (int64_t e = 0; e < n; ++e)
      r.push_back(scalarIndex(loc, in[k], e, isUnsigned(node.input(k))));
    return r;
  };
  auto sizeOf = [&](Value v, int64_t d) -> OpFoldResult {
    auto t = typeOf(v);
    if (t.isDynamicDim(d))
      return dim(loc, v, d);
    return b.getIndexAttr(t.getDimSize(d));
  };
  auto nonNeg = [&](Value v) -> Value {
    return arith::MaxSIOp::create(b, loc, v, indexConst(0));
  };

  if (op == "Slice") {
    if (failed(need(1)))
      return failure();
    Value data = in[0];
    RankedTensorType t = typeOf(data);
    int64_t rank = t.getRank();
    std::optional<SmallVector<OpFoldResult>> starts, ends, steps;
    std::optional<SmallVector<int64_t>> axes;
    auto attrList =
        [&](StringRef name) -> std::optional<SmallVector<OpFoldResult>> {
      auto v = attrInts(node, name);
      if (!v)
        return std::nullopt;
      SmallVector<OpFoldResult> r;
      for (int64_t x : *v)
        r.push_back(b.getI64IntegerAttr(x));
      return r;
    };
    if (opsetOf(node) < 10) {
      starts = attrList("starts");
      ends = attrList("ends");
      axes = attrInts(node, "axes");
    } else {
      if (failed(need(3)))
        return failure();
      starts = entriesOf(1);
      ends = entriesOf(2);
      if (io.has(3)) {
        ConstPtr c = io.cin[3];
        if (!c || c->isFloat())
          return nodeError(node) << "axes must be constant";
        axes = SmallVector<int64_t>(c->i.begin(), c->i.end());
      }
      if (io.has(4)) {
        steps = entriesOf(4);
        if (!steps)
          return nodeError(node) << "steps need a static length";
      }
    }
    if (!starts || !ends || starts->size() != ends->size() ||
        (axes && axes->size() != starts->size()) ||
        (steps && steps->size() != starts->size()))
      return nodeError(node) << "starts, ends, axes and steps must be 1-D "
                                "with one static length";
    SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)),
        strides(rank, b.getIndexAttr(1)), sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(sizeOf(data, d));
    SmallVector<bool> seen(rank, false);
    bool plain = true; // all steps are static and positive
    for (size_t k = 0; k < starts->size(); ++k) {
      int64_t ax = axes ? (*axes)[k] : static_cast<int64_t>(k);
      ax = ax < 0 ? ax + rank : ax;
      if (ax < 0 || ax >= rank || seen[ax])
        return nodeError(node) << "invalid or repeated axis";
      seen[ax] = true;
      OpFoldResult st = steps ? (*steps)[k] : b.getI64IntegerAttr(1);
      auto sa = dyn_cast<Attribute>((*starts)[k]);
      auto ea = dyn_cast<Attribute>((*ends)[k]);
      auto pa = dyn_cast<Attribute>(st);
      if (pa && cast<IntegerAttr>(pa).getInt() == 0)
        return nodeError(node) << "step 0";
      if (sa && ea && pa && !t.isDynamicDim(ax)) {
        // All static: the ONNX clamping rules at import time.
        int64_t n = t.getDimSize(ax), s = cast<IntegerAttr>(sa).getInt(),
                e = cast<IntegerAttr>(ea).getInt(),
                p = cast<IntegerAttr>(pa).getInt();
        int64_t lo, len;
        s = s < 0 ? std::max<int64_t>(s, -n) + n : s;
        e = e < 0 ? std::max<int64_t>(e, -n - 1) + n : e;
        if (p > 0) {
          lo = std::clamp<int64_t>(s, 0, n);
          int64_t hi = std::clamp<int64_t>(e, 0, n);
          len = hi > lo ? (hi - lo + p - 1) / p : 0;
        } else {
          lo = std::clamp<int64_t>(s, 0, n - 1);
          int64_t hi = std::clamp<int64_t>(e, -1, n - 1);
          len = lo > hi ? (lo - hi + (-p) - 1) / (-p) : 0;
        }
        offs[ax] = b.getIndexAttr(len > 0 ? lo : 0);
        sizes[ax] = b.getIndexAttr(len);
        strides[ax] = b.getIndexAttr(p);
        plain &= p > 0;
        continue;
      }
      // Runtime bounds, same rules in index arithmetic. A runtime step of 0
      // (an ONNX error) is taken as 1.
      Value n = toIdx(sizeOf(data, ax));
      Value s = toIdx((*starts)[k]), e = toIdx((*ends)[k]), p = toIdx(st);
      Value zero = indexConst(0), one = indexConst(1), mone = indexConst(-1);
      auto lt0 = [&](Value v) {
        return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v,
                                     zero);
      };
      auto clamp = [&](Value v, Value lo, Value hi) -> Value {
        return arith::MinSIOp::create(
            b, loc, arith::MaxSIOp::create(b, loc, v, lo), hi);
      };
      Value isZero =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, p, zero);
      p = arith::SelectOp::create(b, loc, isZero, one, p);
      // Wrap negatives; clamp to [-n-1, ...] first so s + n cannot overflow.
      s = arith::SelectOp::create(
          b, loc, lt0(s),
          arith::AddIOp::create(
              b, loc,
              arith::MaxSIOp::create(b, loc, s,
                                     arith::SubIOp::create(b, loc, mone, n)),
              n),
          s);
      e = arith::SelectOp::create(
          b, loc, lt0(e),
          arith::AddIOp::create(
              b, loc,
              arith::MaxSIOp::create(b, loc, e,
                                     arith::SubIOp::create(b, loc, mone, n)),
              n),
          e);
      Value nm1 = arith::SubIOp::create(b, loc, n, one);
      Value loP = clamp(s, zero, n), hiP = clamp(e, zero, n);
      Value lenP = nonNeg(arith::CeilDivSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, hiP, loP), p));
      Value loN = clamp(s, zero, nm1), hiN = clamp(e, mone, nm1);
      Value lenN = nonNeg(arith::CeilDivSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, loN, hiN),
          arith::SubIOp::create(b, loc, zero, p)));
      Value neg = lt0(p);
      Value len = arith::SelectOp::create(b, loc, neg, lenN, lenP);
      Value lo = arith::SelectOp::create(b, loc, neg, loN, loP);
      // With no element, the offset is unused; keep it in bounds anyway.
      Value any =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, len, zero);
      offs[ax] = OpFoldResult(arith::SelectOp::create(b, loc, any, lo, zero));
      sizes[ax] = OpFoldResult(len);
      strides[ax] = OpFoldResult(p);
      plain &= pa && cast<IntegerAttr>(pa).getInt() > 0;
    }
    if (plain) {
      setOut(
          tensor::ExtractSliceOp::create(b, loc, data, offs, sizes, strides));
      return success();
    }
    // Negative or runtime steps: a gather out[i] = data[off + i * step],
    // in bounds by construction of (off, len, step).
    SmallVector<int64_t> shape;
    SmallVector<Value> dyn;
    for (OpFoldResult s : sizes) {
      if (auto a = dyn_cast<Attribute>(s)) {
        shape.push_back(cast<IntegerAttr>(a).getInt());
      } else {
        shape.push_back(ShapedType::kDynamic);
        dyn.push_back(cast<Value>(s));
      }
    }
    Value init =
        tensor::EmptyOp::create(b, loc, shape, t.getElementType(), dyn);
    SmallVector<Value> offV, strV;
    for (int64_t d = 0; d < rank; ++d) {
      offV.push_back(toIdx(offs[d]));
      strV.push_back(toIdx(strides[d]));
    }
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    setOut(linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{},
               ValueRange{init}, maps, iters,
               [&](OpBuilder &nb, Location nl, ValueRange) {
                 SmallVector<Value> idx;
                 for (int64_t d = 0; d < rank; ++d) {
                   Value i = linalg::IndexOp::create(nb, nl, d);
                   idx.push_back(arith::AddIOp::create(
                       nb, nl, offV[d],
                       arith::MulIOp::create(nb, nl, i, strV[d])));
                 }
                 linalg::YieldOp::create(
                     nb, nl,
                     ValueRange{tensor::ExtractOp::create(nb, nl, data, idx)});
               })
               .getResult(0));
    return success();
  }

  if (op == "Expand") {
    if (failed(need(2)))
      return failure();
    auto shape = entriesOf(1);
    if (!shape)
      return nodeError(node) << "the target shape needs a static length";
    SmallVector<int64_t> hint;
    SmallVector<Value> hintDyn;
    for (OpFoldResult f : *shape) {
      if (auto dv = dyn_cast<Value>(f)) {
        hint.push_back(ShapedType::kDynamic);
        // A negative runtime size (an ONNX error) counts as 0.
        hintDyn.push_back(symOf(node.input(1)) ? dv : nonNeg(dv));
      } else {
        int64_t v = cast<IntegerAttr>(cast<Attribute>(f)).getInt();
        if (v < 0)
          return nodeError(node) << "negative size " << v;
        hint.push_back(v);
        hintDyn.push_back(Value());
      }
    }
    setOut(emitElementwise(
        loc, {in[0]}, typeOf(in[0]).getElementType(),
        [](OpBuilder &, Location, ValueRange a) { return a[0]; },
        ArrayRef<int64_t>(hint), hintDyn));
    return success();
  }

  if (op == "ConstantOfShape") {
    if (failed(need(1)))
      return failure();
    auto shape = entriesOf(0);
    if (!shape)
      return nodeError(node) << "the shape needs a static length";
    ConstPtr value;
    if (const onnx::AttributeProto *a = attr(node, "value")) {
      std::string err;
      FailureOr<ConstPtr> c = readTensor(a->t(), baseDir, err);
      if (failed(c))
        return nodeError(node) << err;
      value = *c;
    }
    int32_t dt = value ? value->dtype : kFloat;
    Type elt = elementType(dt);
    if (!elt)
      return nodeError(node) << "unsupported dtype " << dtypeName(dt);
    SmallVector<int64_t> st;
    SmallVector<Value> dyn;
    for (OpFoldResult f : *shape) {
      if (auto dv = dyn_cast<Value>(f)) {
        st.push_back(ShapedType::kDynamic);
        dyn.push_back(nonNeg(dv));
      } else {
        int64_t v = cast<IntegerAttr>(cast<Attribute>(f)).getInt();
        if (v < 0)
          return nodeError(node) << "negative size " << v;
        st.push_back(v);
      }
    }
    TypedAttr fill;
    if (isa<FloatType>(elt))
      fill = b.getFloatAttr(elt,
                            value && value->numElements() ? value->at(0) : 0.0);
    else
      fill = b.getIntegerAttr(elt,
                              value && value->numElements() ? value->i[0] : 0);
    Value empty = tensor::EmptyOp::create(b, loc, st, elt, dyn);
    Value fv = arith::ConstantOp::create(b, loc, fill);
    setOut(linalg::FillOp::create(b, loc, ValueRange{fv}, ValueRange{empty})
               .getResult(0));
    dtypes[node.output(0)] = dt;
    return success();
  }

  if (op == "Gather" || op == "GatherElements") {
    if (failed(need(2)))
      return failure();
    Value data = in[0], indices = in[1];
    RankedTensorType dt = typeOf(data), it = typeOf(indices);
    int64_t rank = dt.getRank();
    int64_t axis = attrInt(node, "axis").value_or(0);
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis >= rank || !isa<IntegerType>(it.getElementType()))
      return nodeError(node) << "invalid axis or index type";
    bool elements = op == "GatherElements";
    if (elements && it.getRank() != rank)
      return nodeError(node) << "indices must have the data's rank";
    bool idxUnsigned = isUnsigned(node.input(1));
    SmallVector<int64_t> shape;
    SmallVector<Value> dyn;
    auto push = [&](Value v, int64_t d) {
      shape.push_back(typeOf(v).getDimSize(d));
      if (typeOf(v).isDynamicDim(d))
        dyn.push_back(dim(loc, v, d));
    };
    if (elements) {
      for (int64_t d = 0; d < rank; ++d)
        push(indices, d);
    } else {
      for (int64_t d = 0; d < axis; ++d)
        push(data, d);
      for (int64_t d = 0; d < it.getRank(); ++d)
        push(indices, d);
      for (int64_t d = axis + 1; d < rank; ++d)
        push(data, d);
    }
    int64_t outRank = shape.size();
    Value init =
        tensor::EmptyOp::create(b, loc, shape, dt.getElementType(), dyn);
    SmallVector<AffineExpr> idxExprs;
    int64_t idxOff = elements ? 0 : axis;
    for (int64_t d = 0; d < it.getRank(); ++d)
      idxExprs.push_back(b.getAffineDimExpr(idxOff + d));
    SmallVector<AffineMap> maps = {AffineMap::get(outRank, 0, idxExprs, ctx),
                                   b.getMultiDimIdentityMap(outRank)};
    SmallVector<utils::IteratorType> iters(outRank,
                                           utils::IteratorType::parallel);
    // Sizes of the data dims read with a clamped coordinate, and whether
    // any could be 0 (then nothing may be read).
    SmallVector<Value> sizes(rank);
    Value ok;
    for (int64_t d = 0; d < rank; ++d) {
      bool clampD = d == axis;
      if (elements && d != axis) {
        int64_t si = it.getDimSize(d), sd = dt.getDimSize(d);
        clampD = !(si != ShapedType::kDynamic && sd != ShapedType::kDynamic &&
                   si <= sd) &&
                 dims.dimOf(indices, d) != dims.dimOf(data, d);
      }
      if (!clampD)
        continue;
      sizes[d] = dim(loc, data, d);
      if (dt.isDynamicDim(d) || dt.getDimSize(d) == 0) {
        Value ne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                         sizes[d], indexConst(0));
        ok = ok ? arith::AndIOp::create(b, loc, ok, ne).getResult() : ne;
      }
    }
    int64_t idxRank = it.getRank();
    setOut(linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{indices},
               ValueRange{init}, maps, iters,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value idx = idxUnsigned
                                 ? arith::IndexCastUIOp::create(
                                       nb, nl, nb.getIndexType(), args[0])
                                       .getResult()
                                 : arith::IndexCastOp::create(
                                       nb, nl, nb.getIndexType(), args[0])
                                       .getResult();
                 // Negative indices count from the end; then clamp.
                 idx = clampIndex(nb, nl, idx, sizes[axis], !idxUnsigned);
                 SmallVector<Value> coords;
                 for (int64_t d = 0; d < rank; ++d) {
                   if (d == axis) {
                     coords.push_back(idx);
                     continue;
                   }
                   int64_t od = elements ? d : d < axis ? d : d - 1 + idxRank;
                   Value c = linalg::IndexOp::create(nb, nl, od);
                   if (sizes[d])
                     c = clampIndex(nb, nl, c, sizes[d], false);
                   coords.push_back(c);
                 }
                 linalg::YieldOp::create(
                     nb, nl, guardedExtract(nb, nl, data, coords, ok));
               })
               .getResult(0));
    return success();
  }

  if (op == "ScatterElements") {
    if (failed(need(3)))
      return failure();
    Value data = in[0], indices = in[1], updates = in[2];
    RankedTensorType dt = typeOf(data), it = typeOf(indices);
    int64_t rank = dt.getRank();
    int64_t axis = attrInt(node, "axis").value_or(0);
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis >= rank || it.getRank() != rank ||
        typeOf(updates).getRank() != rank ||
        !isa<IntegerType>(it.getElementType()) ||
        typeOf(updates).getElementType() != dt.getElementType())
      return nodeError(node) << "invalid axis, ranks or types";
    std::string reduction = "none";
    if (const onnx::AttributeProto *a = attr(node, "reduction"))
      reduction = a->s();
    if (reduction != "none" && reduction != "add" && reduction != "mul" &&
        reduction != "max" && reduction != "min")
      return nodeError(node) << "unsupported reduction '" << reduction << "'";
    bool idxUnsigned = isUnsigned(node.input(1));
    bool uns = isUnsigned(node.input(0));
    Type elt = dt.getElementType();
    bool isF = isa<FloatType>(elt);
    // Loops over the indices in index order (a later duplicate wins for
    // "none"). Every coordinate into data is clamped; updates are read at
    // the loop position, clamped where its shape is not provably the
    // indices' shape; an empty data tensor skips the loop.
    SmallVector<Value> ubs, dataSizes, updSizes(rank);
    Value zero = indexConst(0), one = indexConst(1);
    Value nonEmpty;
    for (int64_t d = 0; d < rank; ++d) {
      dataSizes.push_back(dim(loc, data, d));
      Value ne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                       dataSizes[d], zero);
      nonEmpty = nonEmpty
                     ? arith::AndIOp::create(b, loc, nonEmpty, ne).getResult()
                     : ne;
      if (dims.dimOf(updates, d) != dims.dimOf(indices, d)) {
        updSizes[d] = dim(loc, updates, d);
        Value ue = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                         updSizes[d], zero);
        nonEmpty = arith::AndIOp::create(b, loc, nonEmpty, ue);
      }
    }
    for (int64_t d = 0; d < rank; ++d) {
      Value ub = dim(loc, indices, d);
      if (d == 0)
        ub = arith::SelectOp::create(b, loc, nonEmpty, ub, zero);
      ubs.push_back(ub);
    }
    SmallVector<Value> lbs(rank, zero), steps(rank, one);
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, lbs, ubs, steps, ValueRange{data},
        [&](OpBuilder &nb, Location nl, ValueRange ivs,
            ValueRange args) -> scf::ValueVector {
          Value raw = tensor::ExtractOp::create(nb, nl, indices, ivs);
          Value idx =
              idxUnsigned
                  ? arith::IndexCastUIOp::create(nb, nl, nb.getIndexType(), raw)
                        .getResult()
                  : arith::IndexCastOp::create(nb, nl, nb.getIndexType(), raw)
                        .getResult();
          SmallVector<Value> coords, ucoords;
          for (int64_t d = 0; d < rank; ++d) {
            ucoords.push_back(
                updSizes[d] ? clampIndex(nb, nl, ivs[d], updSizes[d], false)
                            : ivs[d]);
            if (d == axis)
              coords.push_back(
                  clampIndex(nb, nl, idx, dataSizes[d], !idxUnsigned));
            else
              coords.push_back(clampIndex(nb, nl, ivs[d], dataSizes[d], false));
          }
          Value u = tensor::ExtractOp::create(nb, nl, updates, ucoords);
          Value out = args[0];
          if (reduction != "none") {
            Value old = tensor::ExtractOp::create(nb, nl, out, coords);
            if (reduction == "add")
              u = isF ? arith::AddFOp::create(nb, nl, old, u).getResult()
                      : arith::AddIOp::create(nb, nl, old, u).getResult();
            else if (reduction == "mul")
              u = isF ? arith::MulFOp::create(nb, nl, old, u).getResult()
                      : arith::MulIOp::create(nb, nl, old, u).getResult();
            else if (reduction == "max")
              u = isF   ? arith::MaximumFOp::create(nb, nl, old, u).getResult()
                  : uns ? arith::MaxUIOp::create(nb, nl, old, u).getResult()
                        : arith::MaxSIOp::create(nb, nl, old, u).getResult();
            else
              u = isF   ? arith::MinimumFOp::create(nb, nl, old, u).getResult()
                  : uns ? arith::MinUIOp::create(nb, nl, old, u).getResult()
                        : arith::MinSIOp::create(nb, nl, old, u).getResult();
          }
          return {tensor::InsertOp::create(nb, nl, u, out, coords)};
        });
    setOut(nest.results.empty() ? data : nest.results[0]);
    return success();
  }

  if (op == "Range") {
    if (failed(need(3)))
      return failure();
    Type elt = typeOf(in[0]).getElementType();
    if (typeOf(in[1]).getElementType() != elt ||
        typeOf(in[2]).getElementType() != elt)
      return nodeError(node) << "start, limit and delta types differ";
    SmallVector<Value> sc;
    for (int k = 0; k < 3; ++k) {
      // A dynamic shape has no static element count (getNumElements
      // asserts); a scalar input must have a static one of 1.
      if (!typeOf(in[k]).hasStaticShape() ||
          typeOf(in[k]).getNumElements() != 1)
        return nodeError(node) << "start, limit and delta must be scalars";
      SmallVector<Value> idx(typeOf(in[k]).getRank(), indexConst(0));
      sc.push_back(tensor::ExtractOp::create(b, loc, in[k], idx));
    }
    Value zero = indexConst(0);
    Value n;
    if (auto ft = dyn_cast<FloatType>(elt)) {
      // n = max(ceil((limit - start) / delta), 0); NaN or delta 0 give 0.
      Value q = arith::DivFOp::create(
          b, loc, arith::SubFOp::create(b, loc, sc[1], sc[0]), sc[2]);
      Value c = math::CeilOp::create(b, loc, q);
      Value zf = arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, 0.0));
      Value big = arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, 1e15));
      Value pos =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, c, zf);
      c = arith::SelectOp::create(b, loc, pos, c, zf);
      c = arith::MinimumFOp::create(b, loc, c, big);
      n = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          arith::FPToSIOp::create(b, loc, b.getI64Type(), c));
    } else if (isa<IntegerType>(elt)) {
      // Scalars tracked from shape arithmetic are used as index values, so
      // that the length is provably e.g. `seq` for Range(past, past + seq).
      SmallVector<Value> ix;
      for (int k = 0; k < 3; ++k) {
        auto s = symOf(node.input(k));
        if (s && s->size() == 1)
          ix.push_back(toIdx((*s)[0]));
        else
          ix.push_back(
              arith::IndexCastOp::create(b, loc, b.getIndexType(), sc[k]));
      }
      auto d = symOf(node.input(2));
      if (d && d->size() == 1 && isa<Attribute>((*d)[0]) &&
          cast<IntegerAttr>(cast<Attribute>((*d)[0])).getInt() == 1) {
        n = nonNeg(arith::SubIOp::create(b, loc, ix[1], ix[0]));
        auto rt = RankedTensorType::get({ShapedType::kDynamic}, elt);
        Value start = ix[0];
        setOut(tensor::GenerateOp::create(
            b, loc, rt, ValueRange{n},
            [&](OpBuilder &nb, Location nl, ValueRange ivs) {
              Value v = arith::AddIOp::create(nb, nl, start, ivs[0]);
              tensor::YieldOp::create(
                  nb, nl,
                  arith::IndexCastOp::create(nb, nl, elt, v).getResult());
            }));
        return success();
      }
      // A zero delta (an ONNX error) gives an empty range.
      Value dz =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, ix[2], zero);
      Value delta = arith::SelectOp::create(b, loc, dz, indexConst(1), ix[2]);
      Value diff = arith::SubIOp::create(b, loc, ix[1], ix[0]);
      n = nonNeg(arith::CeilDivSIOp::create(b, loc, diff, delta));
      n = arith::SelectOp::create(b, loc, dz, zero, n);
    } else {
      return nodeError(node) << "unsupported dtype";
    }
    auto rt = RankedTensorType::get({ShapedType::kDynamic}, elt);
    setOut(tensor::GenerateOp::create(
        b, loc, rt, ValueRange{n},
        [&](OpBuilder &nb, Location nl, ValueRange ivs) {
          Value v;
          if (isa<FloatType>(elt)) {
            Value i = arith::SIToFPOp::create(
                nb, nl, elt,
                arith::IndexCastOp::create(nb, nl, nb.getI64Type(), ivs[0]));
            v = arith::AddFOp::create(nb, nl, sc[0],
                                      arith::MulFOp::create(nb, nl, i, sc[2]));
          } else {
            Value i = arith::IndexCastOp::create(nb, nl, elt, ivs[0]);
            v = arith::AddIOp::create(nb, nl, sc[0],
                                      arith::MulIOp::create(nb, nl, i, sc[2]));
          }
          tensor::YieldOp::create(nb, nl, v);
        }));
    return success();
  }

  if (op == "Trilu") {
    if (failed(need(1)))
      return failure();
    Value x = in[0];
    int64_t rank = typeOf(x).getRank();
    if (rank < 2)
      return nodeError(node) << "needs rank >= 2";
    bool upper = attrInt(node, "upper").value_or(1);
    Value k = io.has(1) ? scalarIndex(loc, in[1], 0) : indexConst(0);
    Type elt = typeOf(x).getElementType();
    setOut(emitElementwise(
        loc, {x}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value i = linalg::IndexOp::create(nb, nl, rank - 2);
          Value j = linalg::IndexOp::create(nb, nl, rank - 1);
          Value jmi = arith::SubIOp::create(nb, nl, j, i);
          Value keep = arith::CmpIOp::create(nb, nl,
                                             upper ? arith::CmpIPredicate::sge
                                                   : arith::CmpIPredicate::sle,
                                             jmi, k);
          return arith::SelectOp::create(nb, nl, keep, a[0],
                                         zeroOf(nb, nl, elt))
              .getResult();
        }));
    return success();
  }
  return std::nullopt;
}

} // namespace mlir::bitnet::onnx_import
