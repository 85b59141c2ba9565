//===- DimAnalysis.cpp - Symbolic tensor sizes for the importer -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "DimAnalysis.h"

#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

#include <algorithm>

namespace mlir::bitnet::onnx_import {

SizeExpr SizeExpr::constant(int64_t c) {
  SizeExpr e;
  if (c != 0)
    e.terms[{}] = c;
  return e;
}

SizeExpr SizeExpr::atom(Atom a) {
  SizeExpr e;
  e.terms[{a}] = 1;
  return e;
}

SizeExpr SizeExpr::operator+(const SizeExpr &o) const {
  SizeExpr r = *this;
  for (const auto &[m, c] : o.terms)
    if ((r.terms[m] += c) == 0)
      r.terms.erase(m);
  return r;
}

SizeExpr SizeExpr::operator-(const SizeExpr &o) const {
  return *this + o * constant(-1);
}

SizeExpr SizeExpr::operator*(const SizeExpr &o) const {
  SizeExpr r;
  for (const auto &[ma, ca] : terms)
    for (const auto &[mb, cb] : o.terms) {
      Monomial m = ma;
      m.insert(m.end(), mb.begin(), mb.end());
      llvm::sort(m);
      if ((r.terms[m] += ca * cb) == 0)
        r.terms.erase(m);
    }
  return r;
}

std::optional<SizeExpr> SizeExpr::divExact(const SizeExpr &o) const {
  if (o.terms.size() != 1)
    return std::nullopt;
  const auto &[dm, dc] = *o.terms.begin();
  SizeExpr r;
  for (const auto &[m, c] : terms) {
    if (c % dc)
      return std::nullopt;
    // m must contain dm as a sub-multiset.
    Monomial rest;
    size_t k = 0;
    for (const Atom &a : m) {
      if (k < dm.size() && dm[k] == a)
        ++k;
      else
        rest.push_back(a);
    }
    if (k != dm.size())
      return std::nullopt;
    r.terms[rest] = c / dc;
  }
  return r;
}

std::optional<int64_t> SizeExpr::getConstant() const {
  if (terms.empty())
    return 0;
  if (terms.size() == 1 && terms.begin()->first.empty())
    return terms.begin()->second;
  return std::nullopt;
}

bool SizeExpr::isKnownNonNegative() const {
  for (const auto &[m, c] : terms) {
    if (c < 0)
      return false;
    for (const Atom &a : m)
      if (a.second < 0)
        return false;
  }
  return true;
}

SizeExpr DimAnalysis::valueOf(OpFoldResult f) {
  if (auto v = dyn_cast<Value>(f))
    return valueOf(v);
  return SizeExpr::constant(
      cast<IntegerAttr>(cast<Attribute>(f)).getValue().getSExtValue());
}

SizeExpr DimAnalysis::valueOf(Value v) {
  auto it = valueCache.find(v);
  if (it != valueCache.end())
    return it->second;
  SizeExpr r = SizeExpr::atom({v.getAsOpaquePointer(), -1});
  Operation *op = v.getDefiningOp();
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c))) {
    r = SizeExpr::constant(c.getSExtValue());
  } else if (auto d = dyn_cast_or_null<tensor::DimOp>(op)) {
    if (std::optional<int64_t> k = d.getConstantIndex())
      r = dimOf(d.getSource(), *k);
  } else if (isa_and_nonnull<arith::IndexCastOp, arith::IndexCastUIOp,
                             arith::ExtSIOp>(op)) {
    r = valueOf(op->getOperand(0));
  } else if (isa_and_nonnull<arith::AddIOp>(op)) {
    r = valueOf(op->getOperand(0)) + valueOf(op->getOperand(1));
  } else if (isa_and_nonnull<arith::SubIOp>(op)) {
    r = valueOf(op->getOperand(0)) - valueOf(op->getOperand(1));
  } else if (isa_and_nonnull<arith::MulIOp>(op)) {
    r = valueOf(op->getOperand(0)) * valueOf(op->getOperand(1));
  } else if (isa_and_nonnull<arith::DivSIOp, arith::DivUIOp>(op)) {
    if (auto q =
            valueOf(op->getOperand(0)).divExact(valueOf(op->getOperand(1))))
      r = *q;
  } else if (isa_and_nonnull<arith::MaxSIOp, arith::MinSIOp, arith::SelectOp>(
                 op)) {
    unsigned first = isa<arith::SelectOp>(op) ? 1 : 0;
    SizeExpr a = valueOf(op->getOperand(first));
    SizeExpr c = valueOf(op->getOperand(first + 1));
    if (a == c)
      r = a;
    // max(x, 0) = x for a sum of sizes.
    else if (isa<arith::MaxSIOp>(op) && c == SizeExpr::constant(0) &&
             a.isKnownNonNegative())
      r = a;
    else if (isa<arith::MaxSIOp>(op) && a == SizeExpr::constant(0) &&
             c.isKnownNonNegative())
      r = c;
  } else if (auto ex = dyn_cast_or_null<tensor::ExtractOp>(op)) {
    // An element of a shape tensor built from scalars.
    auto fe = ex.getTensor().getDefiningOp<tensor::FromElementsOp>();
    if (fe && ex.getIndices().size() == 1) {
      APInt idx;
      if (matchPattern(ex.getIndices()[0], m_ConstantInt(&idx)) &&
          idx.getZExtValue() < fe.getElements().size())
        r = valueOf(fe.getElements()[idx.getZExtValue()]);
    }
  }
  valueCache[v] = r;
  return r;
}

SizeExpr DimAnalysis::dimOf(Value t, int64_t d) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(d))
    return SizeExpr::constant(type.getDimSize(d));
  auto key = std::make_pair(t, d);
  auto it = dimCache.find(key);
  if (it != dimCache.end())
    return it->second;
  SizeExpr r = SizeExpr::atom({t.getAsOpaquePointer(), d});
  Operation *op = t.getDefiningOp();
  if (!op) {
    // Function arguments whose dimensions share an ONNX dim_param have
    // equal sizes: the runtime checks this before running the model.
    if (auto arg = dyn_cast<BlockArgument>(t))
      if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
        if (auto names = func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(),
                                                          "onnx.dim_params"))
          if (d < static_cast<int64_t>(names.size()))
            if (auto name = dyn_cast<StringAttr>(names[d]);
                name && !name.getValue().empty())
              r = SizeExpr::atom({name.getAsOpaquePointer(), 0});
    dimCache[key] = r;
    return r;
  }
  auto result = cast<OpResult>(t);
  if (auto empty = dyn_cast<tensor::EmptyOp>(op)) {
    r = valueOf(empty.getDynamicSize(d));
  } else if (auto dps = dyn_cast<DestinationStyleOpInterface>(op)) {
    if (dps.hasPureTensorSemantics())
      r = dimOf(dps.getDpsInitOperand(result.getResultNumber())->get(), d);
  } else if (auto reshape = dyn_cast<tensor::ReshapeOp>(op)) {
    if (auto fe = reshape.getShape().getDefiningOp<tensor::FromElementsOp>())
      r = valueOf(fe.getElements()[d]);
  } else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    r = valueOf(expand.getMixedOutputShape()[d]);
  } else if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    r = SizeExpr::constant(1);
    for (int64_t s : collapse.getReassociationIndices()[d])
      r = r * dimOf(collapse.getSrc(), s);
  } else if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
    if (slice.getSourceType().getRank() == type.getRank())
      r = valueOf(slice.getMixedSizes()[d]);
  } else if (auto concat = dyn_cast<tensor::ConcatOp>(op)) {
    if (static_cast<int64_t>(concat.getDim()) == d) {
      r = SizeExpr::constant(0);
      for (Value in : concat.getInputs())
        r = r + dimOf(in, d);
    } else {
      r = dimOf(concat.getInputs()[0], d);
    }
  } else if (auto gen = dyn_cast<tensor::GenerateOp>(op)) {
    r = valueOf(gen.getDynamicExtents()[type.getDynamicDimIndex(d)]);
  } else if (auto bl = dyn_cast<BitLinearOp>(op)) {
    if (d + 1 < type.getRank())
      r = dimOf(bl.getInput(), d);
  } else if (auto castOp = dyn_cast<tensor::CastOp>(op)) {
    r = dimOf(castOp.getSource(), d);
  }
  dimCache[key] = r;
  return r;
}

SizeExpr DimAnalysis::numElements(Value t) {
  SizeExpr r = SizeExpr::constant(1);
  for (int64_t d = 0, e = cast<RankedTensorType>(t.getType()).getRank(); d < e;
       ++d)
    r = r * dimOf(t, d);
  return r;
}

} // namespace mlir::bitnet::onnx_import
