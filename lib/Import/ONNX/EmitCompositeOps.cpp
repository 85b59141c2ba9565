//===- EmitCompositeOps.cpp - Gemm, LayerNormalization, TopK ---*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// ONNX ops lowered to several linalg ops each, following the ONNX reference
// (function bodies) op by op so that results match it.
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
} // namespace

std::optional<LogicalResult> Importer::emitCompositeOp(NodeIO &io) {
  const onnx::NodeProto &node = io.node;
  StringRef op = node.op_type();
  Location loc = io.loc;
  ArrayRef<Value> in = io.in;
  auto need = [&](size_t n) -> LogicalResult {
    for (size_t k = 0; k < n; ++k)
      if (!io.has(k))
        return nodeError(node) << "input " << k << " is missing";
    return success();
  };
  auto fconst = [](OpBuilder &nb, Location nl, Type elt, double v) -> Value {
    return arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elt, v));
  };
  auto binary = [&](Value x, Value y, auto tag) -> Value {
    using OpT = decltype(tag);
    return emitElementwise(loc, {x, y}, typeOf(x).getElementType(),
                           [](OpBuilder &nb, Location nl, ValueRange a) {
                             return OpT::create(nb, nl, a[0], a[1]).getResult();
                           });
  };

  if (op == "Gemm") {
    if (failed(need(2)))
      return failure();
    Value a = in[0], bv = in[1];
    Type elt = typeOf(a).getElementType();
    if (!isa<FloatType>(elt) || typeOf(bv).getElementType() != elt)
      return nodeError(node) << "only float Gemm is supported";
    if (typeOf(a).getRank() != 2 || typeOf(bv).getRank() != 2)
      return nodeError(node) << "A and B must be 2-D";
    auto transpose = [&](Value v) -> Value {
      auto t = typeOf(v);
      SmallVector<int64_t> shape = {t.getDimSize(1), t.getDimSize(0)};
      SmallVector<Value> dyn;
      for (int64_t d : {1, 0})
        if (t.isDynamicDim(d))
          dyn.push_back(dim(loc, v, d));
      Value init = tensor::EmptyOp::create(b, loc, shape, elt, dyn);
      return linalg::TransposeOp::create(b, loc, v, init,
                                         ArrayRef<int64_t>{1, 0})
          .getResult()[0];
    };
    if (attrInt(node, "transA").value_or(0))
      a = transpose(a);
    if (attrInt(node, "transB").value_or(0))
      bv = transpose(bv);
    int64_t ka = typeOf(a).getDimSize(1), kb = typeOf(bv).getDimSize(0);
    if (ka != kb && ka != ShapedType::kDynamic && kb != ShapedType::kDynamic)
      return nodeError(node)
             << "inner dimensions differ (" << ka << " vs " << kb << ")";
    float alpha = 1.0f, beta = 1.0f;
    if (const onnx::AttributeProto *p = attr(node, "alpha"))
      alpha = p->f();
    if (const onnx::AttributeProto *p = attr(node, "beta"))
      beta = p->f();
    // Y = alpha * (A' B') + beta * C, in this order (ONNX reference).
    Value y = emitMatMul(loc, a, bv, /*integer=*/false);
    SmallVector<Value> ops = {y};
    // The reference skips C when beta is 0 (C may hold inf or NaN).
    if (io.has(2) && beta != 0.0f)
      ops.push_back(in[2]);
    if (alpha != 1.0f || ops.size() > 1)
      y = emitElementwise(
          loc, ops, elt, [&](OpBuilder &nb, Location nl, ValueRange x) {
            Value r = x[0];
            if (alpha != 1.0f)
              r = arith::MulFOp::create(nb, nl, fconst(nb, nl, elt, alpha), r);
            if (x.size() > 1) {
              Value c = x[1];
              if (beta != 1.0f)
                c = arith::MulFOp::create(nb, nl, fconst(nb, nl, elt, beta), c);
              r = arith::AddFOp::create(nb, nl, r, c);
            }
            return r;
          });
    // The output must be [M, N] even if C alone was larger (an error).
    setOut(node, 0, y);
    return success();
  }

  if (op == "LayerNormalization") {
    if (failed(need(2)))
      return failure();
    Value x = in[0];
    Type elt = typeOf(x).getElementType();
    if (!isa<FloatType>(elt))
      return nodeError(node) << "only float LayerNormalization is supported";
    int64_t rank = typeOf(x).getRank();
    int64_t axis = attrInt(node, "axis").value_or(-1);
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis >= rank)
      return nodeError(node) << "invalid axis";
    float eps = 1e-5f;
    if (const onnx::AttributeProto *p = attr(node, "epsilon"))
      eps = p->f();
    SmallVector<int64_t> axes;
    for (int64_t d = axis; d < rank; ++d)
      axes.push_back(d);
    // The ONNX function body: Mean, D = X - Mean, Var = Mean(D * D),
    // InvStdDev = 1 / Sqrt(Var + eps), Y = D * InvStdDev * Scale + B.
    Value mean = emitReduce(loc, x, axes, true, "ReduceMean");
    Value d = binary(x, mean, arith::SubFOp());
    Value dd = binary(d, d, arith::MulFOp());
    Value var = emitReduce(loc, dd, axes, true, "ReduceMean");
    Value inv = emitElementwise(
        loc, {var}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value ve =
              arith::AddFOp::create(nb, nl, a[0], fconst(nb, nl, elt, eps));
          Value sd = math::SqrtOp::create(nb, nl, ve);
          return arith::DivFOp::create(nb, nl, fconst(nb, nl, elt, 1.0), sd)
              .getResult();
        });
    Value y = binary(d, inv, arith::MulFOp());
    y = binary(y, in[1], arith::MulFOp());
    if (io.has(2))
      y = binary(y, in[2], arith::AddFOp());
    setOut(node, 0, y);
    setOut(node, 1, mean);
    setOut(node, 2, inv);
    return success();
  }

  if (op == "TopK") {
    if (failed(need(1)))
      return failure();
    Value x = in[0];
    auto t = typeOf(x);
    Type elt = t.getElementType();
    int64_t rank = t.getRank();
    if (rank == 0)
      return nodeError(node) << "needs rank >= 1";
    int64_t axis = attrInt(node, "axis").value_or(-1);
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis >= rank)
      return nodeError(node) << "invalid axis";
    bool largest = attrInt(node, "largest").value_or(1);
    bool isF = isa<FloatType>(elt);
    bool uns = isUnsigned(node.input(0));
    // K: an attribute before opset 10, else a 1-element input (possibly
    // known only at run time). K > n (an ONNX error) is clamped to n.
    std::optional<int64_t> kStatic;
    Value kv;
    if (opsetOf(node) < 10) {
      kStatic = attrInt(node, "k");
      if (!kStatic)
        return nodeError(node) << "missing k";
    } else {
      if (failed(need(2)))
        return failure();
      if (ConstPtr c = io.cin[1]) {
        if (c->isFloat() || c->numElements() != 1)
          return nodeError(node) << "K must be one integer";
        kStatic = c->i[0];
      } else {
        kv = scalarIndex(loc, in[1], 0);
      }
    }
    if (kStatic && *kStatic < 0)
      return nodeError(node) << "negative K";
    Value n = dim(loc, x, axis);
    int64_t outK = ShapedType::kDynamic;
    if (kStatic && !t.isDynamicDim(axis))
      outK = std::min(*kStatic, t.getDimSize(axis));
    Value k =
        outK != ShapedType::kDynamic
            ? indexConst(outK)
            : arith::MinSIOp::create(
                  b, loc,
                  kStatic ? indexConst(*kStatic)
                          : arith::MaxSIOp::create(b, loc, kv, indexConst(0))
                                .getResult(),
                  n)
                  .getResult();
    // 1. rank[i] = #{j : x[j] before x[i]}, "before" = better value, or equal
    //    value at a lower index (ONNX: the lower index comes first).
    SmallVector<int64_t> shape(t.getShape());
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < rank; ++d)
      if (t.isDynamicDim(d))
        dyn.push_back(dim(loc, x, d));
    Type i64 = b.getI64Type();
    Value cnt0 = tensor::EmptyOp::create(b, loc, shape, i64, dyn);
    Value zero64 = arith::ConstantIntOp::create(b, loc, 0, 64);
    cnt0 = linalg::FillOp::create(b, loc, ValueRange{zero64}, ValueRange{cnt0})
               .getResult(0);
    SmallVector<AffineExpr> ei, ej;
    for (int64_t d = 0; d < rank; ++d) {
      ei.push_back(b.getAffineDimExpr(d));
      ej.push_back(b.getAffineDimExpr(d == axis ? rank : d));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, ei, ctx),
                                   AffineMap::get(rank + 1, 0, ej, ctx),
                                   AffineMap::get(rank + 1, 0, ei, ctx)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    Value ranks =
        linalg::GenericOp::create(
            b, loc, TypeRange{cnt0.getType()}, ValueRange{x, x},
            ValueRange{cnt0}, maps, iters,
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value xi = a[0], xj = a[1];
              Value better, eq;
              if (isF) {
                better =
                    arith::CmpFOp::create(nb, nl,
                                          largest ? arith::CmpFPredicate::OGT
                                                  : arith::CmpFPredicate::OLT,
                                          xj, xi);
                eq = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                           xj, xi);
              } else {
                arith::CmpIPredicate p =
                    largest ? (uns ? arith::CmpIPredicate::ugt
                                   : arith::CmpIPredicate::sgt)
                            : (uns ? arith::CmpIPredicate::ult
                                   : arith::CmpIPredicate::slt);
                better = arith::CmpIOp::create(nb, nl, p, xj, xi);
                eq = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, xj,
                                           xi);
              }
              Value i = linalg::IndexOp::create(nb, nl, axis);
              Value j = linalg::IndexOp::create(nb, nl, rank);
              Value lower = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::ult, j, i);
              Value before = arith::OrIOp::create(
                  nb, nl, better, arith::AndIOp::create(nb, nl, eq, lower));
              Value inc = arith::ExtUIOp::create(nb, nl, i64, before);
              linalg::YieldOp::create(
                  nb, nl, ValueRange{arith::AddIOp::create(nb, nl, a[2], inc)});
            })
            .getResult(0);
    // 2. Scatter each element with rank < K to its slot (ranks are a
    //    permutation of 0..n-1, so every slot < K is written once).
    SmallVector<int64_t> oshape(shape);
    oshape[axis] = outK;
    SmallVector<Value> odyn;
    for (int64_t d = 0; d < rank; ++d)
      if (oshape[d] == ShapedType::kDynamic)
        odyn.push_back(d == axis ? k : dim(loc, x, d));
    Value vals = tensor::EmptyOp::create(b, loc, oshape, elt, odyn);
    vals = linalg::FillOp::create(b, loc, ValueRange{zeroOf(b, loc, elt)},
                                  ValueRange{vals})
               .getResult(0);
    Value idxs = tensor::EmptyOp::create(b, loc, oshape, i64, odyn);
    idxs = linalg::FillOp::create(b, loc, ValueRange{zero64}, ValueRange{idxs})
               .getResult(0);
    SmallVector<Value> lbs(rank, indexConst(0)), ubs,
        steps(rank, indexConst(1));
    for (int64_t d = 0; d < rank; ++d)
      ubs.push_back(dim(loc, x, d));
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, lbs, ubs, steps, ValueRange{vals, idxs},
        [&](OpBuilder &nb, Location nl, ValueRange ivs,
            ValueRange args) -> scf::ValueVector {
          Value r = arith::IndexCastOp::create(
              nb, nl, nb.getIndexType(),
              tensor::ExtractOp::create(nb, nl, ranks, ivs));
          Value take =
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, r, k);
          auto ifOp = buildIf(
              nb, nl, TypeRange{args[0].getType(), args[1].getType()}, take,
              [&](OpBuilder &tb, Location tl) {
                SmallVector<Value> at(ivs.begin(), ivs.end());
                at[axis] = r;
                Value v = tensor::ExtractOp::create(tb, tl, x, ivs);
                Value i = arith::IndexCastOp::create(tb, tl, i64, ivs[axis]);
                Value nv = tensor::InsertOp::create(tb, tl, v, args[0], at);
                Value ni = tensor::InsertOp::create(tb, tl, i, args[1], at);
                scf::YieldOp::create(tb, tl, ValueRange{nv, ni});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, ValueRange{args[0], args[1]});
              });
          return {ifOp.getResult(0), ifOp.getResult(1)};
        });
    setOut(node, 0, nest.results[0]);
    setOut(node, 1, nest.results[1]);
    if (node.output_size() > 1)
      dtypes[node.output(1)] = kInt64;
    return success();
  }
  return std::nullopt;
}

} // namespace mlir::bitnet::onnx_import
