//===- Emit.cpp - ONNX node emission ---------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Emits the live ONNX nodes as linalg / tensor / arith / math ops: the
// shared building blocks (broadcasting elementwise ops, reductions, matmul)
// and the per-op dispatch on (op type, since-version).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

namespace mlir::bitnet::onnx_import {

//===----------------------------------------------------------------------===//
// Emission helpers
//===----------------------------------------------------------------------===//

Type Importer::elementType(int32_t dtype) {
  switch (dtype) {
  case kFloat:
    return b.getF32Type();
  case kDouble:
    return b.getF64Type();
  case kInt8:
  case kUInt8:
    return b.getIntegerType(8);
  case kInt16:
  case kUInt16:
    return b.getIntegerType(16);
  case kInt32:
  case kUInt32:
    return b.getIntegerType(32);
  case kInt64:
  case kUInt64:
    return b.getIntegerType(64);
  case kBool:
    return b.getI1Type();
  default:
    return Type();
  }
}

Value Importer::materialize(const ConstPtr &cp, StringRef name, Location loc) {
  const ConstTensor &c = *cp;
  Type elt = elementType(c.dtype);
  auto type = RankedTensorType::get(c.shape, elt);
  int64_t n = c.numElements();
  if (c.dtype == kDouble) {
    SmallVector<double> vals(c.f.begin(), c.f.end());
    ArrayRef<double> valsRef(vals);
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, valsRef));
  }
  if (n > options.maxInlineElements && c.dtype != kBool) {
    std::string key = "onnx";
    for (char ch : name)
      key += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    // f32 and 1-byte integer data already has the blob's layout: the blob
    // shares it (keeping the tensor alive) instead of copying it.
    ArrayRef<char> shared;
    if (c.dtype == kFloat)
      shared = ArrayRef<char>(reinterpret_cast<const char *>(c.f.data()),
                              c.f.size() * sizeof(float));
    else if (c.i.isNarrow() && elt.getIntOrFloatBitWidth() == 8)
      shared = ArrayRef<char>(
          reinterpret_cast<const char *>(c.i.narrowBytes().data()),
          c.i.narrowBytes().size());
    if (static_cast<int64_t>(shared.size()) ==
        n * (elt.getIntOrFloatBitWidth() / 8)) {
      AsmResourceBlob blob(
          shared, /*dataAlignment=*/1,
          [keepAlive = cp](void *, size_t, size_t) mutable {
            keepAlive.reset();
          },
          /*dataIsMutable=*/false);
      return arith::ConstantOp::create(
          b, loc, DenseResourceElementsAttr::get(type, key, std::move(blob)));
    }
    std::vector<char> bytes;
    unsigned width = elt.getIntOrFloatBitWidth() / 8;
    bytes.resize(n * width);
    for (int64_t e = 0; e < n; ++e) {
      char *p = bytes.data() + e * width;
      if (c.isFloat()) {
        std::memcpy(p, &c.f[e], 4);
      } else {
        int64_t v = c.i[e];
        std::memcpy(p, &v, width); // little-endian host
      }
    }
    auto attr = DenseResourceElementsAttr::get(
        type, key,
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(bytes)));
    return arith::ConstantOp::create(b, loc, attr);
  }
  DenseElementsAttr attr;
  if (c.isFloat()) {
    attr = DenseElementsAttr::get(type, ArrayRef<float>(c.f));
  } else {
    SmallVector<APInt> vals;
    unsigned width = elt.getIntOrFloatBitWidth();
    for (int64_t v : c.i)
      vals.push_back(APInt(width, static_cast<uint64_t>(v), /*isSigned=*/true,
                           /*implicitTrunc=*/true));
    attr = DenseElementsAttr::get(type, vals);
  }
  return arith::ConstantOp::create(b, loc, attr);
}

FailureOr<Value> Importer::get(StringRef name, Location loc) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  if (ConstPtr c = constant(name)) {
    // A constant whose ONNX data type has no element type here (string, a
    // folded bfloat16, ...) cannot be materialized: RankedTensorType::get
    // with a null element type crashes. The caller reports the input.
    if (!elementType(c->dtype)) {
      mlir::emitError(loc) << "constant '" << name << "' has ONNX data type "
                           << static_cast<int>(c->dtype)
                           << ", which the importer cannot materialize";
      return failure();
    }
    Value v = materialize(c, name, loc);
    values[name] = v;
    return v;
  }
  return failure();
}

Value Importer::dim(Location loc, Value v, int64_t d) {
  return tensor::DimOp::create(b, loc, v, d);
}

Value Importer::zeroOf(OpBuilder &nb, Location loc, Type elt) {
  if (auto ft = dyn_cast<FloatType>(elt))
    return arith::ConstantOp::create(nb, loc, nb.getFloatAttr(ft, 0.0));
  return arith::ConstantOp::create(nb, loc, nb.getIntegerAttr(elt, 0));
}

Value Importer::indexConst(int64_t v) {
  return arith::ConstantIndexOp::create(b, b.getUnknownLoc(), v);
}

Value Importer::emitElementwise(
    Location loc, ArrayRef<Value> ins, Type elemType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body,
    std::optional<ArrayRef<int64_t>> shapeHint, ArrayRef<Value> hintDyn,
    bool hintIsShape) {
  size_t rank = 0;
  for (Value v : ins)
    rank =
        std::max<size_t>(rank, cast<RankedTensorType>(v.getType()).getRank());
  if (shapeHint)
    rank = std::max(rank, shapeHint->size());
  // Each output dimension is decided by its participants (inputs, and the
  // shape hint of Expand): static sizes other than 1 fix it; dynamic sizes
  // that are provably equal keep plain indexing maps; any other dynamic size
  // is resolved at run time with ONNX broadcasting, and its input is read
  // with a clamped index (never out of bounds, even for shapes ONNX rejects).
  SmallVector<int64_t> shape(rank, 1);
  SmallVector<Value> dynSizes(rank);
  // uncertain[j][k]: input j is read with a clamped index along output dim k.
  SmallVector<SmallVector<bool>> uncertain(ins.size(),
                                           SmallVector<bool>(rank, false));
  for (size_t k = 0; k < rank; ++k) {
    struct Part {
      int input; // -1: the shape hint
      int64_t stat;
      Value size; // index value for a dynamic size
      SizeExpr expr;
    };
    SmallVector<Part> parts;
    for (size_t j = 0; j < ins.size(); ++j) {
      auto t = cast<RankedTensorType>(ins[j].getType());
      size_t off = rank - t.getRank();
      if (k < off)
        continue;
      int64_t s = t.getDimSize(k - off);
      if (s == 1)
        continue;
      parts.push_back(
          {static_cast<int>(j), s,
           s == ShapedType::kDynamic ? dim(loc, ins[j], k - off) : Value(),
           dims.dimOf(ins[j], k - off)});
    }
    if (shapeHint && k >= rank - shapeHint->size()) {
      size_t hk = k - (rank - shapeHint->size());
      int64_t s = (*shapeHint)[hk];
      if (s == ShapedType::kDynamic && hk < hintDyn.size() && hintDyn[hk])
        parts.push_back({-1, s, hintDyn[hk], dims.valueOf(hintDyn[hk])});
      else if (s != 1 && s != ShapedType::kDynamic)
        parts.push_back({-1, s, Value(), SizeExpr::constant(s)});
      else if (hintIsShape && s == 1)
        parts.push_back({-1, 1, Value(), SizeExpr::constant(1)});
    }
    if (parts.empty())
      continue;
    if (hintIsShape) {
      // The output size is the hint's; inputs that do not provably match
      // are clamped.
      const Part &h = parts.back();
      shape[k] = h.stat;
      dynSizes[k] = h.size;
      for (const Part &p : parts)
        if (p.input >= 0 && p.expr != h.expr)
          uncertain[p.input][k] = true;
      continue;
    }
    std::optional<int64_t> stat;
    for (const Part &p : parts)
      if (p.stat != ShapedType::kDynamic) {
        if (stat && *stat != p.stat) {
          emitError(loc) << "'" << fileName << "': cannot broadcast sizes "
                         << *stat << " and " << p.stat;
          shapeError = true;
        }
        stat = stat ? std::min(*stat, p.stat) : p.stat;
      }
    if (stat) {
      shape[k] = *stat;
      for (const Part &p : parts)
        if (p.input >= 0 && p.stat == ShapedType::kDynamic &&
            p.expr != SizeExpr::constant(*stat))
          uncertain[p.input][k] = true;
      continue;
    }
    shape[k] = ShapedType::kDynamic;
    bool allEqual = llvm::all_of(
        parts, [&](const Part &p) { return p.expr == parts[0].expr; });
    dynSizes[k] = parts[0].size;
    if (allEqual)
      continue;
    // ONNX broadcasting at run time: the first size that is not 1.
    Value one = indexConst(1);
    for (size_t p = 1; p < parts.size(); ++p) {
      Value isOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          dynSizes[k], one);
      dynSizes[k] =
          arith::SelectOp::create(b, loc, isOne, parts[p].size, dynSizes[k]);
    }
    for (const Part &p : parts)
      if (p.input >= 0)
        uncertain[p.input][k] = true;
  }
  SmallVector<Value> dyn;
  for (size_t k = 0; k < rank; ++k)
    if (shape[k] == ShapedType::kDynamic)
      dyn.push_back(dynSizes[k]);
  Value init = tensor::EmptyOp::create(b, loc, shape, elemType, dyn);
  // Direct inputs get indexing maps; clamped ones are read in the body.
  SmallVector<Value> direct;
  SmallVector<AffineMap> maps;
  SmallVector<int> slot(ins.size(), -1);
  struct Clamped {
    size_t input;
    SmallVector<Value> last; // max(size - 1, 0) per clamped dim, or null
    Value nonEmpty;          // all clamped sizes > 0
  };
  SmallVector<Clamped> clamped;
  for (size_t j = 0; j < ins.size(); ++j) {
    Value v = ins[j];
    auto t = cast<RankedTensorType>(v.getType());
    size_t off = rank - t.getRank();
    if (!llvm::is_contained(uncertain[j], true)) {
      SmallVector<AffineExpr> exprs;
      for (size_t k = 0; k < static_cast<size_t>(t.getRank()); ++k)
        exprs.push_back(t.getDimSize(k) == 1 && shape[off + k] != 1
                            ? b.getAffineConstantExpr(0)
                            : b.getAffineDimExpr(off + k));
      slot[j] = direct.size();
      direct.push_back(v);
      maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
      continue;
    }
    Clamped c{j, SmallVector<Value>(t.getRank()), Value()};
    for (size_t k = 0; k < static_cast<size_t>(t.getRank()); ++k) {
      if (!uncertain[j][off + k])
        continue;
      Value d = dim(loc, v, k);
      Value dm1 = arith::SubIOp::create(b, loc, d, indexConst(1));
      c.last[k] = arith::MaxSIOp::create(b, loc, dm1, indexConst(0));
      Value ne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, d,
                                       indexConst(0));
      c.nonEmpty =
          c.nonEmpty ? arith::AndIOp::create(b, loc, c.nonEmpty, ne) : ne;
    }
    clamped.push_back(std::move(c));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, direct, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> all(ins.size());
        for (size_t j = 0; j < ins.size(); ++j)
          if (slot[j] >= 0)
            all[j] = args[slot[j]];
        for (const Clamped &c : clamped) {
          Value v = ins[c.input];
          auto t = cast<RankedTensorType>(v.getType());
          size_t off = rank - t.getRank();
          SmallVector<Value> idx;
          for (size_t k = 0; k < static_cast<size_t>(t.getRank()); ++k) {
            if (c.last[k]) {
              Value i = linalg::IndexOp::create(nb, nl, off + k);
              idx.push_back(arith::MinSIOp::create(nb, nl, i, c.last[k]));
            } else if (t.getDimSize(k) == 1) {
              idx.push_back(arith::ConstantIndexOp::create(nb, nl, 0));
            } else {
              idx.push_back(linalg::IndexOp::create(nb, nl, off + k));
            }
          }
          Type elt = t.getElementType();
          auto ifOp = buildIf(
              nb, nl, TypeRange{elt}, c.nonEmpty,
              [&](OpBuilder &tb, Location tl) {
                scf::YieldOp::create(
                    tb, tl,
                    ValueRange{tensor::ExtractOp::create(tb, tl, v, idx)});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, ValueRange{zeroOf(eb, el, elt)});
              });
          all[c.input] = ifOp.getResult(0);
        }
        Value r = body(nb, nl, all);
        linalg::YieldOp::create(nb, nl, r);
      });
  return op.getResult(0);
}

Value Importer::emitReduce(Location loc, Value x, ArrayRef<int64_t> axesIn,
                           bool keepdims, StringRef kind, bool isUnsigned) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<bool> red(rank, axesIn.empty());
  for (int64_t a : axesIn)
    red[a < 0 ? a + rank : a] = true;
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d) {
    if (red[d]) {
      if (keepdims) {
        shape.push_back(1);
        outExprs.push_back(b.getAffineConstantExpr(0));
      }
      continue;
    }
    shape.push_back(type.getDimSize(d));
    if (type.isDynamicDim(d))
      dyn.push_back(dim(loc, x, d));
    outExprs.push_back(b.getAffineDimExpr(d));
  }
  Type elt = type.getElementType();
  bool isFloat = isa<FloatType>(elt);
  bool isMax = kind == "ReduceMax", isMin = kind == "ReduceMin";
  TypedAttr initAttr;
  if (isFloat) {
    const llvm::fltSemantics &sem = cast<FloatType>(elt).getFloatSemantics();
    initAttr =
        b.getFloatAttr(elt, isMax   ? APFloat::getInf(sem, /*Negative=*/true)
                            : isMin ? APFloat::getInf(sem, /*Negative=*/false)
                                    : APFloat::getZero(sem));
  } else {
    unsigned w = elt.getIntOrFloatBitWidth();
    initAttr = b.getIntegerAttr(
        elt, isMax   ? (isUnsigned ? APInt(w, 0) : APInt::getSignedMinValue(w))
             : isMin ? (isUnsigned ? APInt::getMaxValue(w)
                                   : APInt::getSignedMaxValue(w))
                     : APInt(w, 0));
  }
  Value initVal = arith::ConstantOp::create(b, loc, initAttr);
  Value empty = tensor::EmptyOp::create(b, loc, shape, elt, dyn);
  Value init =
      linalg::FillOp::create(b, loc, ValueRange{initVal}, ValueRange{empty})
          .getResult(0);
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d)
    iters.push_back(red[d] ? utils::IteratorType::reduction
                           : utils::IteratorType::parallel);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  Value r = linalg::GenericOp::create(
                b, loc, TypeRange{init.getType()}, ValueRange{x},
                ValueRange{init}, maps, iters,
                [&](OpBuilder &nb, Location nl, ValueRange args) {
                  Value v;
                  if (isFloat && isMax)
                    v = arith::MaximumFOp::create(nb, nl, args[0], args[1]);
                  else if (isFloat && isMin)
                    v = arith::MinimumFOp::create(nb, nl, args[0], args[1]);
                  else if (isFloat)
                    v = arith::AddFOp::create(nb, nl, args[1], args[0]);
                  else if (isMax && isUnsigned)
                    v = arith::MaxUIOp::create(nb, nl, args[0], args[1]);
                  else if (isMin && isUnsigned)
                    v = arith::MinUIOp::create(nb, nl, args[0], args[1]);
                  else if (isMax)
                    v = arith::MaxSIOp::create(nb, nl, args[0], args[1]);
                  else if (isMin)
                    v = arith::MinSIOp::create(nb, nl, args[0], args[1]);
                  else
                    v = arith::AddIOp::create(nb, nl, args[1], args[0]);
                  linalg::YieldOp::create(nb, nl, v);
                })
                .getResult(0);
  if (kind != "ReduceMean")
    return r;
  // mean = sum / count, the count from the (possibly dynamic) reduced dims.
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < rank; ++d)
    if (red[d])
      count = arith::MulIOp::create(b, loc, count, dim(loc, x, d));
  Value countI = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  Value countF = arith::SIToFPOp::create(b, loc, elt, countI);
  return emitElementwise(
      loc, {r}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return arith::DivFOp::create(nb, nl, a[0], countF).getResult();
      });
}

Value Importer::emitMatMul(Location loc, Value a, Value bv, bool integer) {
  auto ta = cast<RankedTensorType>(a.getType());
  auto tb = cast<RankedTensorType>(bv.getType());
  int64_t ra = ta.getRank(), rb = tb.getRank();
  // Inner sizes that are not provably equal: both sides are sliced to the
  // smaller one, so the reduction never reads past either operand.
  if (dims.dimOf(a, ra - 1) != dims.dimOf(bv, rb - 2)) {
    Value ka = dim(loc, a, ra - 1), kb = dim(loc, bv, rb - 2);
    Value k = arith::MinSIOp::create(b, loc, ka, kb);
    auto sliceK = [&](Value v, int64_t axis) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<OpFoldResult> offs(t.getRank(), b.getIndexAttr(0)),
          strides(t.getRank(), b.getIndexAttr(1)), sizes;
      for (int64_t d = 0; d < t.getRank(); ++d)
        sizes.push_back(d == axis ? OpFoldResult(k)
                        : t.isDynamicDim(d)
                            ? OpFoldResult(dim(loc, v, d))
                            : OpFoldResult(b.getIndexAttr(t.getDimSize(d))));
      return tensor::ExtractSliceOp::create(b, loc, v, offs, sizes, strides);
    };
    a = sliceK(a, ra - 1);
    bv = sliceK(bv, rb - 2);
    ta = cast<RankedTensorType>(a.getType());
    tb = cast<RankedTensorType>(bv.getType());
  }
  // Batch sizes that are not provably compatible: both operands are
  // broadcast to one batch shape first (clamped reads).
  {
    int64_t nb = std::max(ra, rb) - 2;
    bool unsure = false;
    SmallVector<int64_t> bshape;
    SmallVector<Value> bdyn;
    for (int64_t d = 0; d < nb; ++d) {
      int64_t ia = d - (nb - (ra - 2)), ib = d - (nb - (rb - 2));
      int64_t da = ia >= 0 ? ta.getDimSize(ia) : 1;
      int64_t db = ib >= 0 ? tb.getDimSize(ib) : 1;
      bool sure = da == 1 || db == 1 ||
                  (da != ShapedType::kDynamic && da == db) ||
                  dims.dimOf(a, ia) == dims.dimOf(bv, ib);
      unsure |= !sure;
      if (da != ShapedType::kDynamic && da != 1) {
        bshape.push_back(da);
        bdyn.push_back(Value());
      } else if (db != ShapedType::kDynamic && db != 1) {
        bshape.push_back(db);
        bdyn.push_back(Value());
      } else if (da == 1 && db == 1) {
        bshape.push_back(1);
        bdyn.push_back(Value());
      } else {
        Value sa = da == 1 ? indexConst(1) : dim(loc, a, ia);
        Value sb = db == 1 ? indexConst(1) : dim(loc, bv, ib);
        Value isOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            sa, indexConst(1));
        bshape.push_back(ShapedType::kDynamic);
        bdyn.push_back(
            sure ? (da == 1 ? sb : sa)
                 : arith::SelectOp::create(b, loc, isOne, sb, sa).getResult());
      }
    }
    if (unsure) {
      auto expand = [&](Value v, RankedTensorType t) {
        SmallVector<int64_t> shape(bshape);
        SmallVector<Value> dyn(bdyn);
        for (int64_t d = t.getRank() - 2; d < t.getRank(); ++d) {
          shape.push_back(t.getDimSize(d));
          dyn.push_back(t.isDynamicDim(d) ? dim(loc, v, d) : Value());
        }
        return emitElementwise(
            loc, {v}, t.getElementType(),
            [](OpBuilder &, Location, ValueRange x) { return x[0]; },
            ArrayRef<int64_t>(shape), dyn, /*hintIsShape=*/true);
      };
      a = expand(a, ta);
      bv = expand(bv, tb);
      ta = cast<RankedTensorType>(a.getType());
      tb = cast<RankedTensorType>(bv.getType());
      ra = ta.getRank();
      rb = tb.getRank();
    }
  }
  // Batch dims broadcast; A [..., M, K], B [..., K, N].
  int64_t batch = std::max(ra, rb) - 2;
  int64_t rank = batch + 3; // batch..., m, n, k
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  SmallVector<AffineExpr> ea, eb, eo;
  for (int64_t d = 0; d < batch; ++d) {
    int64_t ia = d - (batch - (ra - 2)), ib = d - (batch - (rb - 2));
    int64_t da = ia >= 0 ? ta.getDimSize(ia) : 1;
    int64_t db = ib >= 0 ? tb.getDimSize(ib) : 1;
    int64_t out = da == 1 ? db : da;
    shape.push_back(out);
    if (out == ShapedType::kDynamic)
      dyn.push_back(da == 1 ? dim(loc, bv, ib) : dim(loc, a, ia));
    if (ia >= 0)
      ea.push_back(da == 1 && out != 1 ? b.getAffineConstantExpr(0)
                                       : b.getAffineDimExpr(d));
    if (ib >= 0)
      eb.push_back(db == 1 && out != 1 ? b.getAffineConstantExpr(0)
                                       : b.getAffineDimExpr(d));
    eo.push_back(b.getAffineDimExpr(d));
  }
  AffineExpr m = b.getAffineDimExpr(batch), n = b.getAffineDimExpr(batch + 1),
             k = b.getAffineDimExpr(batch + 2);
  ea.append({m, k});
  eb.append({k, n});
  eo.append({m, n});
  shape.push_back(ta.getDimSize(ra - 2));
  if (ta.isDynamicDim(ra - 2))
    dyn.push_back(dim(loc, a, ra - 2));
  shape.push_back(tb.getDimSize(rb - 1));
  if (tb.isDynamicDim(rb - 1))
    dyn.push_back(dim(loc, bv, rb - 1));
  Type elt = integer ? Type(b.getI32Type()) : ta.getElementType();
  TypedAttr zero = integer ? TypedAttr(b.getI32IntegerAttr(0))
                           : TypedAttr(b.getFloatAttr(elt, 0.0));
  Value zeroV = arith::ConstantOp::create(b, loc, zero);
  Value empty = tensor::EmptyOp::create(b, loc, shape, elt, dyn);
  Value init =
      linalg::FillOp::create(b, loc, ValueRange{zeroV}, ValueRange{empty})
          .getResult(0);
  SmallVector<utils::IteratorType> iters(rank - 1,
                                         utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, ea, ctx),
                                 AffineMap::get(rank, 0, eb, ctx),
                                 AffineMap::get(rank, 0, eo, ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{a, bv},
             ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value r;
               if (integer) {
                 auto ext = [&](Value v) -> Value {
                   if (v.getType() == elt)
                     return v;
                   return arith::ExtSIOp::create(nb, nl, elt, v);
                 };
                 Value x = ext(args[0]);
                 Value y = ext(args[1]);
                 Value p = arith::MulIOp::create(nb, nl, x, y);
                 r = arith::AddIOp::create(nb, nl, args[2], p);
               } else {
                 Value p = arith::MulFOp::create(nb, nl, args[0], args[1]);
                 r = arith::AddFOp::create(nb, nl, args[2], p);
               }
               linalg::YieldOp::create(nb, nl, r);
             })
      .getResult(0);
}

/// A reshape that only inserts or drops unit dims: the other dims keep their
/// order and sizes (static, or dynamic and provably equal). It becomes
/// tensor.expand_shape / collapse_shape, which bufferize to views of any
/// strided buffer, where tensor.reshape needs a contiguous one: a KV cache
/// window [0, pos) unsqueezed for grouped-query attention would otherwise be
/// copied out of the cache at every step. Returns null for other reshapes.
Value Importer::emitUnitDimReshape(Location loc, Value x,
                                   ArrayRef<int64_t> shape,
                                   ArrayRef<Value> dynDims) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t srcRank = type.getRank(), dstRank = shape.size();
  if (srcRank == dstRank || srcRank == 0 || dstRank == 0)
    return nullptr;
  // The size of each result dim, as the importer's size analysis sees it.
  SmallVector<SizeExpr> dstSizes;
  size_t dynIdx = 0;
  for (int64_t d : shape)
    dstSizes.push_back(d == ShapedType::kDynamic
                           ? dims.valueOf(dynDims[dynIdx++])
                           : SizeExpr::constant(d));
  SmallVector<SizeExpr> srcSizes;
  for (int64_t d = 0; d < srcRank; ++d)
    srcSizes.push_back(dims.dimOf(x, d));
  // Group the dims of the higher-rank side around those of the lower-rank
  // side: each group is unit dims and the one dim equal to its counterpart
  // (the first match, so a unit counterpart takes a unit dim); trailing unit
  // dims join the last group.
  bool expand = dstRank > srcRank;
  ArrayRef<SizeExpr> wideSizes = expand ? dstSizes : srcSizes;
  ArrayRef<SizeExpr> narrowSizes = expand ? srcSizes : dstSizes;
  ArrayRef<int64_t> wideShape = expand ? shape : type.getShape();
  ArrayRef<int64_t> narrowShape = expand ? type.getShape() : shape;
  auto isUnit = [&](size_t w) { return wideShape[w] == 1; };
  auto same = [&](size_t w, size_t n) {
    return wideSizes[w] == narrowSizes[n] &&
           ShapedType::isDynamic(wideShape[w]) ==
               ShapedType::isDynamic(narrowShape[n]);
  };
  SmallVector<ReassociationIndices> groups(narrowShape.size());
  size_t w = 0;
  for (size_t n = 0; n < narrowShape.size(); ++n) {
    while (w < wideShape.size() && !same(w, n) && isUnit(w))
      groups[n].push_back(w++);
    if (w == wideShape.size() || !same(w, n))
      return nullptr;
    groups[n].push_back(w++);
  }
  for (; w < wideShape.size(); ++w) {
    if (!isUnit(w))
      return nullptr;
    groups.back().push_back(w);
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (!expand)
    return tensor::CollapseShapeOp::create(b, loc, resultType, x, groups);
  SmallVector<OpFoldResult> outputShape;
  for (int64_t n = 0; n < srcRank; ++n)
    for (int64_t d : groups[n])
      outputShape.push_back(shape[d] == ShapedType::kDynamic
                                ? OpFoldResult(dim(loc, x, n))
                                : OpFoldResult(b.getIndexAttr(shape[d])));
  return tensor::ExpandShapeOp::create(b, loc, resultType, x, groups,
                                       outputShape);
}

Value Importer::emitReshape(Location loc, Value x, ArrayRef<int64_t> shape,
                            ArrayRef<Value> dynDims) {
  auto type = cast<RankedTensorType>(x.getType());
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (type == resultType) {
    // A no-op only if the dynamic sizes are provably the same.
    bool same = true;
    size_t k = 0;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        same &= dims.valueOf(dynDims[k++]) == dims.dimOf(x, d);
    if (same)
      return x;
  }
  if (Value view = emitUnitDimReshape(loc, x, shape, dynDims))
    return view;
  SmallVector<Value> elems;
  size_t dynIdx = 0;
  for (int64_t d : shape) {
    if (d == ShapedType::kDynamic)
      elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                 dynDims[dynIdx++]));
    else
      elems.push_back(arith::ConstantIntOp::create(b, loc, d, 64));
  }
  auto shapeType = RankedTensorType::get({static_cast<int64_t>(shape.size())},
                                         b.getI64Type());
  Value shapeV = tensor::FromElementsOp::create(b, loc, shapeType, elems);
  return tensor::ReshapeOp::create(b, loc, resultType, x, shapeV);
}

Value Importer::emitBitLinear(Location loc, const BitLinearMatch &m, Value x) {
  const SmallVector<uint8_t> &packed = m.packed;
  auto blobType = RankedTensorType::get({static_cast<int64_t>(packed.size())},
                                        b.getIntegerType(8));
  auto data = DenseResourceElementsAttr::get(
      blobType, "bitlinear",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(
          reinterpret_cast<const char *>(packed.data()), packed.size())));
  auto scalesType = RankedTensorType::get(
      {static_cast<int64_t>(m.weight.scales.size())}, b.getF32Type());
  auto scales =
      DenseElementsAttr::get(scalesType, ArrayRef<float>(m.weight.scales));
  auto weight = TernaryAttr::get(ctx, m.rows, m.cols, m.layout, scales, data);
  auto scheme =
      QuantSchemeAttr::get(ctx, m.bits, m.method, Granularity::per_token, 0);
  IntegerAttr hadamard =
      m.hadamard ? b.getI64IntegerAttr(*m.hadamard) : IntegerAttr();
  FloatAttr topk = m.topk ? b.getF64FloatAttr(*m.topk) : FloatAttr();
  return BitLinearOp::create(b, loc, x, weight, scheme, hadamard, topk);
}

//===----------------------------------------------------------------------===//
// Per-op emission
//===----------------------------------------------------------------------===//

std::optional<SmallVector<OpFoldResult>> Importer::symOf(StringRef name) {
  if (ConstPtr c = constant(name)) {
    if (c->isFloat() || c->shape.size() > 1)
      return std::nullopt;
    SmallVector<OpFoldResult> r;
    for (int64_t v : c->i)
      r.push_back(b.getI64IntegerAttr(v));
    return r;
  }
  auto it = symShapes.find(name);
  if (it == symShapes.end())
    return std::nullopt;
  return it->second;
}

void Importer::trackSymbolic(const onnx::NodeProto &node, ArrayRef<Value> in) {
  StringRef op = node.op_type();
  if (node.output_size() < 1 || node.output(0).empty())
    return;
  Location loc = nodeLoc(node);
  auto rankOf = [&](size_t k) -> int64_t {
    if (k >= in.size() || !in[k])
      return -1;
    return cast<RankedTensorType>(in[k].getType()).getRank();
  };
  SmallVector<OpFoldResult> out;
  if (op == "Shape") {
    if (in.empty() || !in[0])
      return;
    auto t = cast<RankedTensorType>(in[0].getType());
    int64_t rank = t.getRank();
    int64_t start = attrInt(node, "start").value_or(0);
    int64_t end = attrInt(node, "end").value_or(rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, start, rank);
    for (int64_t d = start; d < end; ++d)
      out.push_back(t.isDynamicDim(d) ? OpFoldResult(dim(loc, in[0], d))
                                      : b.getI64IntegerAttr(t.getDimSize(d)));
  } else if (op == "Identity" || op == "Cast" || op == "Unsqueeze" ||
             op == "Squeeze") {
    if (node.input_size() < 1 || rankOf(0) > 1)
      return;
    auto s = symOf(node.input(0));
    if (!s)
      return;
    out = *s;
  } else if (op == "Gather") {
    if (node.input_size() < 2 || rankOf(0) != 1)
      return;
    auto s = symOf(node.input(0));
    ConstPtr idx = constant(node.input(1));
    if (!s || !idx || idx->isFloat() || idx->shape.size() > 1)
      return;
    int64_t n = s->size();
    for (int64_t i : idx->i) {
      i = i < 0 ? i + n : i;
      if (i < 0 || i >= n)
        return;
      out.push_back((*s)[i]);
    }
  } else if (op == "Concat") {
    for (size_t k = 0; k < in.size(); ++k) {
      if (rankOf(k) != 1)
        return;
      auto s = symOf(node.input(k));
      if (!s)
        return;
      out.append(s->begin(), s->end());
    }
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    if (node.input_size() != 2 || rankOf(0) > 1 || rankOf(1) > 1)
      return;
    auto l = symOf(node.input(0)), r = symOf(node.input(1));
    if (!l || !r)
      return;
    size_t n = std::max(l->size(), r->size());
    if ((l->size() != n && l->size() != 1) ||
        (r->size() != n && r->size() != 1))
      return;
    auto idx = [&](OpFoldResult f) -> Value {
      if (auto v = dyn_cast<Value>(f))
        return v;
      return arith::ConstantIndexOp::create(
          b, loc, cast<IntegerAttr>(cast<Attribute>(f)).getInt());
    };
    for (size_t k = 0; k < n; ++k) {
      OpFoldResult x = (*l)[l->size() == 1 ? 0 : k];
      OpFoldResult y = (*r)[r->size() == 1 ? 0 : k];
      auto xa = dyn_cast<Attribute>(x), ya = dyn_cast<Attribute>(y);
      if (xa && ya) {
        int64_t xi = cast<IntegerAttr>(xa).getInt(),
                yi = cast<IntegerAttr>(ya).getInt();
        // Overflow (and INT64_MIN / -1) is UB: stop tracking instead.
        int64_t v = 0;
        if ((op == "Div" &&
             (yi == 0 ||
              (yi == -1 && xi == std::numeric_limits<int64_t>::min()))) ||
            (op == "Add" && llvm::AddOverflow(xi, yi, v)) ||
            (op == "Sub" && llvm::SubOverflow(xi, yi, v)) ||
            (op == "Mul" && llvm::MulOverflow(xi, yi, v)))
          return;
        out.push_back(b.getI64IntegerAttr(op == "Div" ? xi / yi : v));
        continue;
      }
      Value xv = idx(x), yv = idx(y), v;
      if (op == "Add")
        v = arith::AddIOp::create(b, loc, xv, yv);
      else if (op == "Sub")
        v = arith::SubIOp::create(b, loc, xv, yv);
      else if (op == "Mul")
        v = arith::MulIOp::create(b, loc, xv, yv);
      else
        v = arith::DivSIOp::create(b, loc, xv, yv);
      out.push_back(v);
    }
  } else {
    return;
  }
  symShapes[node.output(0)] = std::move(out);
}

int32_t Importer::dtypeOf(StringRef name) {
  if (ConstPtr c = constant(name))
    return c->dtype;
  auto it = dtypes.find(name);
  if (it != dtypes.end())
    return it->second;
  auto vit = values.find(name);
  if (vit == values.end())
    return kFloat;
  Type e = cast<RankedTensorType>(vit->second.getType()).getElementType();
  if (e.isF64())
    return kDouble;
  if (e.isInteger(1))
    return kBool;
  if (e.isInteger(8))
    return kInt8;
  if (e.isInteger(16))
    return kInt16;
  if (e.isInteger(32))
    return kInt32;
  if (e.isInteger(64))
    return kInt64;
  return kFloat;
}

bool Importer::isUnsigned(StringRef name) {
  return isUnsignedType(dtypeOf(name));
}

Value Importer::clampIndex(OpBuilder &nb, Location loc, Value idx, Value size,
                           bool wrapNegative) {
  Value zero = arith::ConstantIndexOp::create(nb, loc, 0);
  if (wrapNegative) {
    Value neg =
        arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt, idx, zero);
    Value wrapped = arith::AddIOp::create(nb, loc, idx, size);
    idx = arith::SelectOp::create(nb, loc, neg, wrapped, idx);
  }
  Value one = arith::ConstantIndexOp::create(nb, loc, 1);
  Value last = arith::MaxSIOp::create(
      nb, loc, arith::SubIOp::create(nb, loc, size, one), zero);
  idx = arith::MaxSIOp::create(nb, loc, idx, zero);
  return arith::MinSIOp::create(nb, loc, idx, last);
}

Value Importer::scalarIndex(Location loc, Value t, int64_t k, bool isUnsigned) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<Value> idx;
  if (type.getRank() == 1)
    idx.push_back(indexConst(k));
  for (int64_t d = 1; d < type.getRank(); ++d)
    idx.push_back(indexConst(0));
  Value v = tensor::ExtractOp::create(b, loc, t, idx);
  if (isa<FloatType>(v.getType()))
    v = arith::FPToSIOp::create(b, loc, b.getI64Type(), v);
  if (isUnsigned)
    return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

Value Importer::emitReshapeChecked(Location loc, Value x,
                                   ArrayRef<int64_t> shape,
                                   ArrayRef<Value> dynDims) {
  SizeExpr out = SizeExpr::constant(1);
  size_t k = 0;
  for (int64_t d : shape)
    out = out * (d == ShapedType::kDynamic ? dims.valueOf(dynDims[k++])
                                           : SizeExpr::constant(d));
  if (out == dims.numElements(x))
    return emitReshape(loc, x, shape, dynDims);
  // Not provable: reshape only if the element counts agree at run time,
  // else produce zeros (ONNX calls such a Reshape an error).
  auto t = cast<RankedTensorType>(x.getType());
  Value nIn = indexConst(1), nOut = indexConst(1);
  for (int64_t d = 0; d < t.getRank(); ++d)
    nIn = arith::MulIOp::create(b, loc, nIn, dim(loc, x, d));
  k = 0;
  for (int64_t d : shape)
    nOut = arith::MulIOp::create(
        b, loc, nOut, d == ShapedType::kDynamic ? dynDims[k++] : indexConst(d));
  Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, nIn, nOut);
  auto resultType = RankedTensorType::get(shape, t.getElementType());
  auto ifOp = buildIf(
      b, loc, TypeRange{resultType}, ok,
      [&](OpBuilder &tb, Location tl) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(tb.getInsertionBlock(), tb.getInsertionPoint());
        Value r = emitReshape(tl, x, shape, dynDims);
        scf::YieldOp::create(b, tl, ValueRange{r});
      },
      [&](OpBuilder &eb, Location el) {
        Value empty =
            tensor::EmptyOp::create(eb, el, shape, t.getElementType(), dynDims);
        Value z = zeroOf(eb, el, t.getElementType());
        Value r =
            linalg::FillOp::create(eb, el, ValueRange{z}, ValueRange{empty})
                .getResult(0);
        scf::YieldOp::create(eb, el, ValueRange{r});
      });
  return ifOp.getResult(0);
}

FailureOr<Value> Importer::reshapeTo(Location loc, Value x, StringRef target) {
  std::optional<SmallVector<OpFoldResult>> s = symOf(target);
  if (!s)
    return failure();
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  for (OpFoldResult f : *s) {
    if (auto v = dyn_cast<Value>(f)) {
      shape.push_back(ShapedType::kDynamic);
      dyn.push_back(v);
      continue;
    }
    int64_t d = cast<IntegerAttr>(cast<Attribute>(f)).getInt();
    if (d <= 0)
      return failure();
    shape.push_back(d);
  }
  return emitReshapeChecked(loc, x, shape, dyn);
}

LogicalResult Importer::emitNode(const onnx::NodeProto &node) {
  if (failed(emitNodeImpl(node)) || shapeError)
    return failure();
  // Record the ONNX element type of outputs not set by the op.
  for (const std::string &out : node.output()) {
    if (out.empty() || dtypes.count(out) || !values.count(out))
      continue;
    int32_t dt = dtypeOf(out);
    if (node.input_size() > 0 && !node.input(0).empty() &&
        isUnsigned(node.input(0))) {
      Type e = cast<RankedTensorType>(values[out].getType()).getElementType();
      int32_t src = dtypeOf(node.input(0));
      if (e == elementType(src))
        dt = src;
    }
    dtypes[out] = dt;
  }
  return success();
}

LogicalResult Importer::emitNodeImpl(const onnx::NodeProto &node) {
  Location loc = nodeLoc(node);
  StringRef op = node.op_type();
  SmallVector<Value> in;
  SmallVector<ConstPtr> cin;
  for (const std::string &name : node.input()) {
    cin.push_back(name.empty() ? ConstPtr() : constant(name));
    if (name.empty()) {
      in.push_back(Value());
      continue;
    }
    FailureOr<Value> v = get(name, loc);
    if (failed(v))
      return nodeError(node) << "input '" << name << "' is undefined";
    in.push_back(*v);
  }
  // Input 0 is required by every supported op but Constant; the emitters
  // below read it (and the arity minInputs gives) unchecked.
  if (op != "Constant" &&
      (node.input_size() < minInputs(op) || in.empty() || !in[0]))
    return nodeError(node) << "expects at least "
                           << std::max(minInputs(op), 1) << " inputs";
  trackSymbolic(node, in);
  auto setOut = [&](Value v) { values[node.output(0)] = v; };
  auto typeOf = [](Value v) { return cast<RankedTensorType>(v.getType()); };
  auto eltOf = [&](Value v) { return typeOf(v).getElementType(); };
  auto need = [&](size_t n) -> LogicalResult {
    if (in.size() < n)
      return nodeError(node) << "expects " << n << " inputs";
    for (size_t k = 0; k < n; ++k)
      if (!in[k])
        return nodeError(node) << "input " << k << " is missing";
    return success();
  };
  auto intsOf = [&](size_t k) -> std::optional<SmallVector<int64_t>> {
    if (k >= cin.size() || !cin[k] || cin[k]->isFloat())
      return std::nullopt;
    return SmallVector<int64_t>(cin[k]->i.begin(), cin[k]->i.end());
  };
  bool uns = !in.empty() && in[0] && isUnsigned(node.input(0));
  // Legacy (opset < 7) broadcasting with an axis attribute.
  if (opsetOf(node) < 7 && attr(node, "broadcast") && attr(node, "axis"))
    return nodeError(node) << "legacy broadcast with an axis (opset < 7) is "
                              "not supported";

  // Shape of a value with a static shape folds; other all-constant inputs
  // were folded before.
  if (op == "Shape") {
    if (failed(need(1)))
      return failure();
    RankedTensorType t = typeOf(in[0]);
    int64_t rank = t.getRank();
    int64_t start = attrInt(node, "start").value_or(0);
    int64_t end = attrInt(node, "end").value_or(rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, start, rank);
    SmallVector<Value> elems;
    bool isStatic = true;
    auto c = std::make_shared<ConstTensor>();
    c->dtype = kInt64;
    c->shape = {end - start};
    for (int64_t d = start; d < end; ++d) {
      isStatic &= !t.isDynamicDim(d);
      c->i.push_back(t.getDimSize(d));
    }
    if (isStatic) {
      constants[node.output(0)] = c;
      return success();
    }
    for (int64_t d = start; d < end; ++d)
      elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                 dim(loc, in[0], d)));
    setOut(tensor::FromElementsOp::create(
        b, loc, RankedTensorType::get({end - start}, b.getI64Type()), elems));
    return success();
  }
  if (op == "Identity") {
    if (failed(need(1)))
      return failure();
    setOut(in[0]);
    return success();
  }
  NodeIO io{node, loc, in, cin};
  if (std::optional<LogicalResult> r = emitIndexOp(io))
    return *r;
  if (std::optional<LogicalResult> r = emitCompositeOp(io))
    return *r;

  // Elementwise unary ops.
  using BodyFn = std::function<Value(OpBuilder &, Location, ValueRange)>;
  auto unaryF = [&](auto tag) -> BodyFn {
    using OpT = decltype(tag);
    return [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return OpT::create(nb, nl, a[0]);
    };
  };
  bool inF = !in.empty() && in[0] && isa<FloatType>(eltOf(in[0]));
  std::optional<BodyFn> unary;
  if (op == "Abs" && inF)
    unary = unaryF(math::AbsFOp());
  else if (op == "Abs" && !uns)
    unary = unaryF(math::AbsIOp());
  else if ((op == "Abs" || op == "Relu") && uns)
    unary = [](OpBuilder &, Location, ValueRange a) { return a[0]; };
  else if (op == "Neg" && inF)
    unary = unaryF(arith::NegFOp());
  else if (op == "Round" && inF)
    unary = unaryF(math::RoundEvenOp());
  else if (op == "Sqrt" && inF)
    unary = unaryF(math::SqrtOp());
  else if (op == "Exp" && inF)
    unary = unaryF(math::ExpOp());
  else if (op == "Log" && inF)
    unary = unaryF(math::LogOp());
  else if (op == "Floor" && inF)
    unary = unaryF(math::FloorOp());
  else if (op == "Ceil" && inF)
    unary = unaryF(math::CeilOp());
  else if (op == "Cos" && inF)
    unary = unaryF(math::CosOp());
  else if (op == "Sin" && inF)
    unary = unaryF(math::SinOp());
  else if (op == "Tanh" && inF)
    unary = unaryF(math::TanhOp());
  else if (op == "Erf" && inF)
    unary = unaryF(math::ErfOp());
  if (unary) {
    if (failed(need(1)))
      return failure();
    setOut(emitElementwise(loc, {in[0]}, eltOf(in[0]), *unary));
    return success();
  }
  if (op == "Relu" || op == "Sigmoid" || op == "Reciprocal" || op == "Neg" ||
      op == "Not" || op == "Sign") {
    if (failed(need(1)))
      return failure();
    Type elt = eltOf(in[0]);
    bool isF = isa<FloatType>(elt);
    if ((op == "Sigmoid" || op == "Reciprocal") && !isF)
      return nodeError(node)
             << "unsupported dtype " << dtypeName(dtypeOf(node.input(0)));
    setOut(emitElementwise(
        loc, {in[0]}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value x = a[0];
          if (op == "Not") {
            Value one = arith::ConstantIntOp::create(nb, nl, 1, 1);
            return arith::XOrIOp::create(nb, nl, x, one).getResult();
          }
          if (op == "Sign") {
            Value zero = zeroOf(nb, nl, elt);
            Value one = isF ? arith::ConstantOp::create(
                                  nb, nl, nb.getFloatAttr(elt, 1.0))
                                  .getResult()
                            : arith::ConstantOp::create(
                                  nb, nl, nb.getIntegerAttr(elt, 1))
                                  .getResult();
            Value mone = isF ? arith::ConstantOp::create(
                                   nb, nl, nb.getFloatAttr(elt, -1.0))
                                   .getResult()
                             : arith::ConstantOp::create(
                                   nb, nl, nb.getIntegerAttr(elt, -1))
                                   .getResult();
            Value gt, lt;
            if (isF) {
              gt = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, x,
                                         zero);
              lt = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, x,
                                         zero);
            } else {
              gt = arith::CmpIOp::create(nb, nl,
                                         uns ? arith::CmpIPredicate::ne
                                             : arith::CmpIPredicate::sgt,
                                         x, zero);
              lt = uns ? arith::ConstantIntOp::create(nb, nl, 0, 1).getResult()
                       : arith::CmpIOp::create(
                             nb, nl, arith::CmpIPredicate::slt, x, zero)
                             .getResult();
            }
            // NaN and zeros pass through (Sign(NaN) is NaN).
            Value r = arith::SelectOp::create(nb, nl, lt, mone, isF ? x : zero);
            return arith::SelectOp::create(nb, nl, gt, one, r).getResult();
          }
          if (!isF) {
            Value zero = zeroOf(nb, nl, elt);
            if (op == "Neg")
              return arith::SubIOp::create(nb, nl, zero, x).getResult();
            return arith::MaxSIOp::create(nb, nl, x, zero).getResult();
          }
          if (op == "Relu") {
            Value zero =
                arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elt, 0.0));
            return arith::MaximumFOp::create(nb, nl, x, zero).getResult();
          }
          Value one =
              arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elt, 1.0));
          if (op == "Reciprocal")
            return arith::DivFOp::create(nb, nl, one, x).getResult();
          if (op == "Neg")
            return arith::NegFOp::create(nb, nl, x).getResult();
          Value e =
              math::ExpOp::create(nb, nl, arith::NegFOp::create(nb, nl, x));
          Value d = arith::AddFOp::create(nb, nl, one, e);
          return arith::DivFOp::create(nb, nl, one, d).getResult();
        }));
    return success();
  }
  if ((op == "Round" || op == "Sqrt" || op == "Exp" || op == "Log" ||
       op == "Floor" || op == "Ceil" || op == "Cos" || op == "Sin" ||
       op == "Tanh" || op == "Erf")) {
    if (failed(need(1)))
      return failure();
    return nodeError(node) << "unsupported dtype "
                           << dtypeName(dtypeOf(node.input(0)));
  }

  // Variadic Max / Min (opset 8+: one or more inputs, broadcasting).
  if ((op == "Max" || op == "Min") && in.size() != 2) {
    if (in.empty() || llvm::is_contained(in, Value()))
      return nodeError(node) << "expects one or more inputs";
    Type elt = eltOf(in[0]);
    bool isF = isa<FloatType>(elt);
    setOut(emitElementwise(
        loc, in, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value r = a[0];
          for (Value v : a.drop_front()) {
            if (isF)
              r = op == "Max"
                      ? arith::MaximumFOp::create(nb, nl, r, v).getResult()
                      : arith::MinimumFOp::create(nb, nl, r, v).getResult();
            else if (uns)
              r = op == "Max"
                      ? arith::MaxUIOp::create(nb, nl, r, v).getResult()
                      : arith::MinUIOp::create(nb, nl, r, v).getResult();
            else
              r = op == "Max"
                      ? arith::MaxSIOp::create(nb, nl, r, v).getResult()
                      : arith::MinSIOp::create(nb, nl, r, v).getResult();
          }
          return r;
        }));
    return success();
  }

  // Elementwise binary ops with numpy broadcasting.
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" ||
      op == "Max" || op == "Min" || op == "Equal" || op == "Less" ||
      op == "Greater" || op == "LessOrEqual" || op == "GreaterOrEqual" ||
      op == "And" || op == "Or" || op == "Xor" || op == "Mod") {
    if (failed(need(2)))
      return failure();
    Type elt = eltOf(in[0]);
    Type elt1 = eltOf(in[1]);
    if (elt != elt1 && op != "Pow")
      return nodeError(node) << "operand element types differ";
    bool isF = isa<FloatType>(elt);
    bool cmp = op == "Equal" || op == "Less" || op == "Greater" ||
               op == "LessOrEqual" || op == "GreaterOrEqual";
    Type outElt = cmp ? b.getI1Type() : elt;
    bool fmod = attrInt(node, "fmod").value_or(0);
    if (op == "Mod" && isF && !fmod)
      return nodeError(node) << "float Mod needs fmod = 1";
    bool uns1 = isUnsigned(node.input(1));
    setOut(emitElementwise(
        loc, {in[0], in[1]}, outElt,
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value x = a[0], y = a[1];
          if (op == "Pow") {
            // The result has the base's type; integers go through f64.
            auto toF = [&](Value v, bool u, Type ft) -> Value {
              if (v.getType() == ft)
                return v;
              if (isa<FloatType>(v.getType()))
                return v.getType().getIntOrFloatBitWidth() <
                               ft.getIntOrFloatBitWidth()
                           ? arith::ExtFOp::create(nb, nl, ft, v).getResult()
                           : arith::TruncFOp::create(nb, nl, ft, v).getResult();
              return u ? arith::UIToFPOp::create(nb, nl, ft, v).getResult()
                       : arith::SIToFPOp::create(nb, nl, ft, v).getResult();
            };
            Type ft = isF ? elt : Type(nb.getF64Type());
            Value p =
                math::PowFOp::create(nb, nl, toF(x, uns, ft), toF(y, uns1, ft));
            if (isF)
              return p;
            return uns ? arith::FPToUIOp::create(nb, nl, elt, p).getResult()
                       : arith::FPToSIOp::create(nb, nl, elt, p).getResult();
          }
          if (op == "And")
            return arith::AndIOp::create(nb, nl, x, y);
          if (op == "Or")
            return arith::OrIOp::create(nb, nl, x, y);
          if (op == "Xor")
            return arith::XOrIOp::create(nb, nl, x, y);
          if (isF) {
            if (op == "Add")
              return arith::AddFOp::create(nb, nl, x, y);
            if (op == "Sub")
              return arith::SubFOp::create(nb, nl, x, y);
            if (op == "Mul")
              return arith::MulFOp::create(nb, nl, x, y);
            if (op == "Div")
              return arith::DivFOp::create(nb, nl, x, y);
            if (op == "Mod")
              return arith::RemFOp::create(nb, nl, x, y);
            if (op == "Max")
              return arith::MaximumFOp::create(nb, nl, x, y);
            if (op == "Min")
              return arith::MinimumFOp::create(nb, nl, x, y);
            arith::CmpFPredicate p =
                op == "Equal"         ? arith::CmpFPredicate::OEQ
                : op == "Less"        ? arith::CmpFPredicate::OLT
                : op == "Greater"     ? arith::CmpFPredicate::OGT
                : op == "LessOrEqual" ? arith::CmpFPredicate::OLE
                                      : arith::CmpFPredicate::OGE;
            return arith::CmpFOp::create(nb, nl, p, x, y);
          }
          if (op == "Add")
            return arith::AddIOp::create(nb, nl, x, y);
          if (op == "Sub")
            return arith::SubIOp::create(nb, nl, x, y);
          if (op == "Mul")
            return arith::MulIOp::create(nb, nl, x, y);
          if (op == "Div" || op == "Mod") {
            // Division by zero (and INT_MIN / -1) would trap: they give 0
            // (ONNX leaves them undefined).
            Value zero = zeroOf(nb, nl, elt);
            Value one =
                arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(elt, 1));
            Value isZero = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::eq, y, zero);
            Value bad = isZero;
            if (!uns) {
              Value mone =
                  arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(elt, -1));
              Value isM1 = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::eq, y, mone);
              bad = arith::OrIOp::create(nb, nl, isZero, isM1);
            }
            Value safeY = arith::SelectOp::create(nb, nl, bad, one, y);
            Value r;
            if (op == "Div") {
              r = uns ? arith::DivUIOp::create(nb, nl, x, safeY).getResult()
                      : arith::DivSIOp::create(nb, nl, x, safeY).getResult();
              if (uns)
                return arith::SelectOp::create(nb, nl, isZero, zero, r);
              // x / -1 = -x (wrapping).
              Value negX = arith::SubIOp::create(nb, nl, zero, x);
              r = arith::SelectOp::create(
                  nb, nl,
                  arith::CmpIOp::create(
                      nb, nl, arith::CmpIPredicate::eq, y,
                      arith::ConstantOp::create(nb, nl,
                                                nb.getIntegerAttr(elt, -1))),
                  negX, r);
              return arith::SelectOp::create(nb, nl, isZero, zero, r);
            }
            if (uns)
              r = arith::RemUIOp::create(nb, nl, x, safeY);
            else
              r = arith::RemSIOp::create(nb, nl, x, safeY);
            // x mod -1 = 0 and x mod 0 = 0.
            r = arith::SelectOp::create(nb, nl, bad, zero, r);
            if (!fmod && !uns) {
              // Python-style: the result takes the divisor's sign.
              Value rNeg = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::slt, r, zero);
              Value yNeg = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::slt, y, zero);
              Value rNz = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::ne, r, zero);
              Value differ = arith::XOrIOp::create(nb, nl, rNeg, yNeg);
              Value fix = arith::AndIOp::create(nb, nl, rNz, differ);
              r = arith::SelectOp::create(
                  nb, nl, fix, arith::AddIOp::create(nb, nl, r, y), r);
            }
            return r;
          }
          if (op == "Max")
            return uns ? arith::MaxUIOp::create(nb, nl, x, y).getResult()
                       : arith::MaxSIOp::create(nb, nl, x, y).getResult();
          if (op == "Min")
            return uns ? arith::MinUIOp::create(nb, nl, x, y).getResult()
                       : arith::MinSIOp::create(nb, nl, x, y).getResult();
          arith::CmpIPredicate p =
              op == "Equal"         ? arith::CmpIPredicate::eq
              : op == "Less"        ? (uns ? arith::CmpIPredicate::ult
                                           : arith::CmpIPredicate::slt)
              : op == "Greater"     ? (uns ? arith::CmpIPredicate::ugt
                                           : arith::CmpIPredicate::sgt)
              : op == "LessOrEqual" ? (uns ? arith::CmpIPredicate::ule
                                           : arith::CmpIPredicate::sle)
                                    : (uns ? arith::CmpIPredicate::uge
                                           : arith::CmpIPredicate::sge);
          return arith::CmpIOp::create(nb, nl, p, x, y);
        }));
    return success();
  }
  if (op == "Where") {
    if (failed(need(3)))
      return failure();
    setOut(emitElementwise(
        loc, {in[0], in[1], in[2]}, eltOf(in[1]),
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          return arith::SelectOp::create(nb, nl, a[0], a[1], a[2]).getResult();
        }));
    return success();
  }
  if (op == "Clip") {
    if (failed(need(1)))
      return failure();
    Type elt = eltOf(in[0]);
    bool isF = isa<FloatType>(elt);
    // Bounds: attributes before opset 11, optional (runtime) inputs since.
    SmallVector<Value> ops = {in[0]};
    int loIdx = -1, hiIdx = -1;
    // Constant bounds are inlined in the body.
    std::optional<double> loC, hiC;
    if (opsetOf(node) < 11) {
      if (const onnx::AttributeProto *a = attr(node, "min"))
        loC = a->f();
      if (const onnx::AttributeProto *a = attr(node, "max"))
        hiC = a->f();
    } else {
      for (int k = 1; k <= 2; ++k)
        if (k < (int)in.size() && in[k] && cin[k] && cin[k]->numElements() == 1)
          (k == 1 ? loC : hiC) = cin[k]->at(0);
    }
    if (opsetOf(node) < 11) {
      if (!isF)
        return nodeError(node) << "integer Clip needs opset 11";
    } else {
      for (int k = 1; k <= 2; ++k) {
        if (k >= (int)in.size() || !in[k] || (k == 1 ? loC : hiC))
          continue;
        if (eltOf(in[k]) != elt)
          return nodeError(node) << "bound element type differs";
        (k == 1 ? loIdx : hiIdx) = ops.size();
        // A bound is a scalar: take its first element.
        Value bound = in[k];
        if (typeOf(bound).getRank() > 0) {
          SmallVector<Value> zeros(typeOf(bound).getRank(), indexConst(0));
          Value s = tensor::ExtractOp::create(b, loc, bound, zeros);
          bound = tensor::FromElementsOp::create(
              b, loc, RankedTensorType::get({}, elt), ValueRange{s});
        }
        ops.push_back(bound);
      }
    }
    setOut(emitElementwise(
        loc, ops, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value x = a[0];
          auto cst = [&](double v) -> Value {
            if (isF)
              return arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elt, v));
            return arith::ConstantOp::create(
                nb, nl, nb.getIntegerAttr(elt, static_cast<int64_t>(v)));
          };
          if (loC || loIdx >= 0) {
            Value lo = loC ? cst(*loC) : a[loIdx];
            x = isF   ? arith::MaximumFOp::create(nb, nl, x, lo).getResult()
                : uns ? arith::MaxUIOp::create(nb, nl, x, lo).getResult()
                      : arith::MaxSIOp::create(nb, nl, x, lo).getResult();
          }
          if (hiC || hiIdx >= 0) {
            Value hi = hiC ? cst(*hiC) : a[hiIdx];
            x = isF   ? arith::MinimumFOp::create(nb, nl, x, hi).getResult()
                : uns ? arith::MinUIOp::create(nb, nl, x, hi).getResult()
                      : arith::MinSIOp::create(nb, nl, x, hi).getResult();
          }
          return x;
        }));
    return success();
  }
  if (op == "Cast") {
    if (failed(need(1)))
      return failure();
    std::optional<int64_t> to = attrInt(node, "to");
    Type dst = to ? elementType(*to) : Type();
    if (!dst)
      return nodeError(node)
             << "unsupported dtype " << dtypeName(to.value_or(0));
    Type src = eltOf(in[0]);
    bool dstUns = isUnsignedType(*to);
    dtypes[node.output(0)] = *to;
    setOut(emitElementwise(
        loc, {in[0]}, dst, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value x = a[0];
          if (src == dst)
            return x;
          bool sf = isa<FloatType>(src), df = isa<FloatType>(dst);
          if (sf && df)
            return src.getIntOrFloatBitWidth() < dst.getIntOrFloatBitWidth()
                       ? arith::ExtFOp::create(nb, nl, dst, x).getResult()
                       : arith::TruncFOp::create(nb, nl, dst, x).getResult();
          if (dst.isInteger(1)) {
            if (sf) {
              Value z =
                  arith::ConstantOp::create(nb, nl, nb.getFloatAttr(src, 0.0));
              return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNE, x,
                                           z)
                  .getResult();
            }
            Value z =
                arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(src, 0));
            return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne, x, z)
                .getResult();
          }
          bool srcU = src.isInteger(1) || uns;
          if (sf)
            return dstUns ? arith::FPToUIOp::create(nb, nl, dst, x).getResult()
                          : arith::FPToSIOp::create(nb, nl, dst, x).getResult();
          if (df)
            return srcU ? arith::UIToFPOp::create(nb, nl, dst, x).getResult()
                        : arith::SIToFPOp::create(nb, nl, dst, x).getResult();
          if (src.getIntOrFloatBitWidth() < dst.getIntOrFloatBitWidth())
            return srcU ? arith::ExtUIOp::create(nb, nl, dst, x).getResult()
                        : arith::ExtSIOp::create(nb, nl, dst, x).getResult();
          return arith::TruncIOp::create(nb, nl, dst, x).getResult();
        }));
    return success();
  }
  if (op == "ReduceMean" || op == "ReduceMax" || op == "ReduceSum" ||
      op == "ReduceMin") {
    if (failed(need(1)))
      return failure();
    SmallVector<int64_t> axes;
    bool axesAsInput =
        op == "ReduceSum" ? opsetOf(node) >= 13 : opsetOf(node) >= 18;
    if (axesAsInput && in.size() > 1 && in[1]) {
      auto v = intsOf(1);
      if (!v)
        return nodeError(node) << "axes must be constant";
      axes = *v;
    } else if (auto v = attrInts(node, "axes")) {
      axes = *v;
    }
    int64_t rank = typeOf(in[0]).getRank();
    for (int64_t a : axes)
      if (a < -rank || a >= rank)
        return nodeError(node) << "axis " << a << " out of range";
    if (axes.empty() && attrInt(node, "noop_with_empty_axes").value_or(0)) {
      setOut(in[0]);
      return success();
    }
    if (op == "ReduceMean" && !isa<FloatType>(eltOf(in[0])))
      return nodeError(node) << "integer ReduceMean is not supported";
    setOut(emitReduce(loc, in[0], axes, attrInt(node, "keepdims").value_or(1),
                      op, uns));
    return success();
  }
  if (op == "Softmax") {
    if (failed(need(1)))
      return failure();
    int64_t rank = typeOf(in[0]).getRank();
    // Before opset 13 the input is coerced to 2-D at `axis` (default 1):
    // the normalization runs over all dimensions from `axis` on.
    bool coerced = opsetOf(node) < 13;
    int64_t axis = attrInt(node, "axis").value_or(coerced ? 1 : -1);
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis >= rank)
      return nodeError(node) << "invalid axis";
    SmallVector<int64_t> axes = {axis};
    if (coerced)
      for (int64_t d = axis + 1; d < rank; ++d)
        axes.push_back(d);
    Type elt = eltOf(in[0]);
    Value mx = emitReduce(loc, in[0], axes, true, "ReduceMax");
    Value e = emitElementwise(
        loc, {in[0], mx}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value d = arith::SubFOp::create(nb, nl, a[0], a[1]);
          return math::ExpOp::create(nb, nl, d).getResult();
        });
    Value s = emitReduce(loc, e, axes, true, "ReduceSum");
    setOut(emitElementwise(
        loc, {e, s}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          return arith::DivFOp::create(nb, nl, a[0], a[1]).getResult();
        }));
    return success();
  }
  // com.microsoft.MatMulNBits (ONNX Runtime's block-quantized weights), 2-bit:
  // Y = A · dequant(B)ᵀ with w[n, k] = (q - zp) · scale[n, k / block_size],
  // dequantized here into a float [K, N] weight (a ternary one when the zero
  // point centers the codes on {-1, 0, 1} and each row has one scale).
  if (op == "MatMulNBits") {
    if (failed(need(3)))
      return failure();
    std::optional<int64_t> kAttr = attrInt(node, "K"), nAttr = attrInt(node, "N");
    int64_t bits = attrInt(node, "bits").value_or(4);
    int64_t blockSize = attrInt(node, "block_size").value_or(0);
    if (bits != 2)
      return nodeError(node) << "MatMulNBits with bits=" << bits
                             << " is not supported (bits=2 only)";
    if (!kAttr || !nAttr || *kAttr <= 0 || *nAttr <= 0 || blockSize < 16 ||
        (blockSize & (blockSize - 1)))
      return nodeError(node) << "MatMulNBits needs positive K and N and a "
                                "power-of-two block_size >= 16";
    for (int k = 4; k < node.input_size(); ++k)
      if (!node.input(k).empty())
        return nodeError(node) << "MatMulNBits input " << k
                               << " (g_idx / bias) is not supported";
    int64_t kDim = *kAttr, nDim = *nAttr;
    int64_t blocks = (kDim + blockSize - 1) / blockSize;
    int64_t blobSize = blockSize * bits / 8;
    ConstPtr qb = cin.size() > 1 ? cin[1] : ConstPtr();
    ConstPtr sc = cin.size() > 2 ? cin[2] : ConstPtr();
    ConstPtr zp = cin.size() > 3 ? cin[3] : ConstPtr();
    if (!qb || qb->dtype != kUInt8 || qb->numElements() != nDim * blocks * blobSize)
      return nodeError(node) << "MatMulNBits B must be a constant uint8 ["
                             << nDim << ", " << blocks << ", " << blobSize << "]";
    if (!sc || sc->dtype != kFloat || sc->numElements() != nDim * blocks)
      return nodeError(node) << "MatMulNBits scales must be " << nDim * blocks
                             << " constant floats";
    int64_t zpRowBytes = (blocks * bits + 7) / 8;
    if (node.input_size() > 3 && !node.input(3).empty() &&
        (!zp || !((zp->dtype == kUInt8 && zp->numElements() == nDim * zpRowBytes) ||
                  (zp->dtype == kFloat && zp->numElements() == nDim * blocks))))
      return nodeError(node) << "MatMulNBits zero_points must be constant "
                                "packed uint8 or one float per block";
    auto w = std::make_shared<ConstTensor>();
    w->dtype = kFloat;
    w->shape = {kDim, nDim};
    w->f.resize(static_cast<size_t>(kDim * nDim));
    for (int64_t n = 0; n < nDim; ++n)
      for (int64_t k = 0; k < kDim; ++k) {
        int64_t block = k / blockSize, within = k % blockSize;
        int64_t byte = (n * blocks + block) * blobSize + within * bits / 8;
        int64_t q = (static_cast<int64_t>(qb->i[byte]) >> (within * bits % 8)) & 3;
        float zero = 2.0f; // 2^(bits - 1)
        if (zp && zp->dtype == kUInt8)
          zero = static_cast<float>(
              (zp->i[n * zpRowBytes + block * bits / 8] >> (block * bits % 8)) & 3);
        else if (zp)
          zero = zp->f[n * blocks + block];
        w->f[k * nDim + n] = (static_cast<float>(q) - zero) * sc->f[n * blocks + block];
      }
    Value a = in[0];
    if (typeOf(a).getRank() < 2 || !isa<FloatType>(eltOf(a)) ||
        (!typeOf(a).isDynamicDim(typeOf(a).getRank() - 1) &&
         typeOf(a).getShape().back() != kDim))
      return nodeError(node) << "MatMulNBits A must be a float tensor of "
                                "rank >= 2 with last dimension K = "
                             << kDim;
    setOut(emitMatMul(loc, a, materialize(w, node.output(0) + "_weight", loc),
                      /*integer=*/false));
    return success();
  }
  if (op == "MatMul" || op == "MatMulInteger") {
    if (failed(need(2)))
      return failure();
    bool integer = op == "MatMulInteger";
    Value a = in[0], bv = in[1];
    int64_t ra0 = typeOf(a).getRank(), rb0 = typeOf(bv).getRank();
    if (ra0 == 0 || rb0 == 0)
      return nodeError(node) << "scalar operands are not allowed";
    // 1-D operands (numpy): [K] -> [1, K] and [K] -> [K, 1], dropped after.
    auto promote = [&](Value v, bool front) {
      auto t = typeOf(v);
      SmallVector<int64_t> shape;
      SmallVector<Value> dyn;
      if (front)
        shape.push_back(1);
      shape.push_back(t.getDimSize(0));
      if (t.isDynamicDim(0))
        dyn.push_back(dim(loc, v, 0));
      if (!front)
        shape.push_back(1);
      return emitReshape(loc, v, shape, dyn);
    };
    if (ra0 == 1)
      a = promote(a, true);
    if (rb0 == 1)
      bv = promote(bv, false);
    int64_t ka = typeOf(a).getShape().back();
    int64_t kb = typeOf(bv).getDimSize(typeOf(bv).getRank() - 2);
    if (ka != kb && ka != ShapedType::kDynamic && kb != ShapedType::kDynamic)
      return nodeError(node)
             << "inner dimensions differ (" << ka << " vs " << kb << ")";
    if (integer) {
      // Widen to i32 and subtract the zero points (scalar, or per row of A
      // / per column of B).
      bool ua = isUnsigned(node.input(0)), ub = isUnsigned(node.input(1));
      auto widen = [&](Value v, bool u, size_t zpIdx, bool perRow) {
        SmallVector<Value> ops = {v};
        if (zpIdx < in.size() && in[zpIdx]) {
          Value zp = in[zpIdx];
          auto zt = typeOf(zp);
          if (perRow && zt.getRank() == 1 && zt.getDimSize(0) != 1) {
            SmallVector<Value> dyn;
            if (zt.isDynamicDim(0))
              dyn.push_back(dim(loc, zp, 0));
            zp = emitReshape(loc, zp, {zt.getDimSize(0), 1}, dyn);
          }
          ops.push_back(zp);
        }
        Type i32 = b.getI32Type();
        return emitElementwise(
            loc, ops, i32, [&](OpBuilder &nb, Location nl, ValueRange x) {
              auto ext = [&](Value e) -> Value {
                return u ? arith::ExtUIOp::create(nb, nl, i32, e).getResult()
                         : arith::ExtSIOp::create(nb, nl, i32, e).getResult();
              };
              Value r = ext(x[0]);
              if (x.size() > 1)
                r = arith::SubIOp::create(nb, nl, r, ext(x[1]));
              return r;
            });
      };
      a = widen(a, ua, 2, true);
      bv = widen(bv, ub, 3, false);
    }
    Value r = emitMatMul(loc, a, bv, integer);
    if (ra0 == 1 || rb0 == 1) {
      auto t = typeOf(r);
      SmallVector<int64_t> shape;
      SmallVector<Value> dyn;
      for (int64_t d = 0; d < t.getRank(); ++d) {
        if ((ra0 == 1 && d == t.getRank() - 2) ||
            (rb0 == 1 && d == t.getRank() - 1))
          continue;
        shape.push_back(t.getDimSize(d));
        if (t.isDynamicDim(d))
          dyn.push_back(dim(loc, r, d));
      }
      r = emitReshape(loc, r, shape, dyn);
    }
    setOut(r);
    return success();
  }
  if (op == "Transpose") {
    if (failed(need(1)))
      return failure();
    RankedTensorType t = typeOf(in[0]);
    int64_t rank = t.getRank();
    SmallVector<int64_t> perm;
    if (auto p = attrInts(node, "perm"))
      perm = *p;
    else
      for (int64_t d = rank - 1; d >= 0; --d)
        perm.push_back(d);
    if (static_cast<int64_t>(perm.size()) != rank)
      return nodeError(node) << "perm has the wrong length";
    SmallVector<bool> seen(rank, false);
    for (int64_t &p : perm) {
      p = p < 0 ? p + rank : p;
      if (p < 0 || p >= rank || seen[p])
        return nodeError(node) << "perm is not a permutation";
      seen[p] = true;
    }
    SmallVector<int64_t> shape;
    SmallVector<Value> dyn;
    for (int64_t p : perm) {
      shape.push_back(t.getDimSize(p));
      if (t.isDynamicDim(p))
        dyn.push_back(dim(loc, in[0], p));
    }
    Value init =
        tensor::EmptyOp::create(b, loc, shape, t.getElementType(), dyn);
    setOut(
        linalg::TransposeOp::create(b, loc, in[0], init, perm).getResult()[0]);
    return success();
  }
  if (op == "Reshape" || op == "Unsqueeze" || op == "Squeeze") {
    if (failed(need(1)))
      return failure();
    RankedTensorType t = typeOf(in[0]);
    int64_t rank = t.getRank();
    // Output outDims: static size, or a runtime index value.
    SmallVector<int64_t> shape;
    SmallVector<Value> outDims;
    auto pushDim = [&](int64_t d) {
      shape.push_back(t.getDimSize(d));
      outDims.push_back(t.isDynamicDim(d) ? dim(loc, in[0], d) : Value());
    };
    if (op == "Reshape") {
      if (failed(need(2)))
        return failure();
      bool allowZero =
          opsetOf(node) >= 14 && attrInt(node, "allowzero").value_or(0);
      auto target = symOf(node.input(1));
      if (!target) {
        // A shape tensor known only at run time: its length fixes the rank;
        // 0 (copy) and -1 (infer) are resolved at run time.
        auto st = typeOf(in[1]);
        if (st.getRank() != 1 || st.isDynamicDim(0) ||
            !isa<IntegerType>(st.getElementType()))
          return nodeError(node) << "the target shape needs a static length";
        int64_t n = st.getDimSize(0);
        Value zero = indexConst(0), one = indexConst(1);
        SmallVector<Value> ent, isInfer;
        Value other = one;
        for (int64_t d = 0; d < n; ++d) {
          Value v = scalarIndex(loc, in[1], d);
          if (!allowZero && d < rank) {
            Value isZero = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::eq, v, zero);
            v = arith::SelectOp::create(b, loc, isZero, dim(loc, in[0], d), v);
          }
          Value neg =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
          ent.push_back(v);
          isInfer.push_back(neg);
          other = arith::MulIOp::create(
              b, loc, other, arith::SelectOp::create(b, loc, neg, one, v));
        }
        Value total = one;
        for (int64_t d = 0; d < rank; ++d)
          total = arith::MulIOp::create(b, loc, total, dim(loc, in[0], d));
        Value inferred = arith::DivUIOp::create(
            b, loc, total, arith::MaxSIOp::create(b, loc, other, one));
        for (int64_t d = 0; d < n; ++d) {
          shape.push_back(ShapedType::kDynamic);
          outDims.push_back(
              arith::SelectOp::create(b, loc, isInfer[d], inferred, ent[d]));
        }
        setOut(emitReshapeChecked(loc, in[0], shape, outDims));
        return success();
      }
      int64_t inferAt = -1;
      for (size_t d = 0; d < target->size(); ++d) {
        if (auto dv = dyn_cast<Value>((*target)[d])) {
          // A runtime entry (from Shape arithmetic): a dynamic size.
          shape.push_back(ShapedType::kDynamic);
          outDims.push_back(dv);
          continue;
        }
        int64_t v = cast<IntegerAttr>(cast<Attribute>((*target)[d])).getInt();
        if (v == 0 && !allowZero) {
          if (static_cast<int64_t>(d) >= rank)
            return nodeError(node) << "0 refers to a missing dimension";
          pushDim(d);
        } else if (v == -1) {
          if (inferAt >= 0)
            return nodeError(node) << "more than one -1 in the shape";
          inferAt = d;
          shape.push_back(ShapedType::kDynamic);
          outDims.push_back(Value());
        } else if (v < 0) {
          return nodeError(node) << "invalid dimension " << v;
        } else {
          shape.push_back(v);
          outDims.push_back(Value());
        }
      }
      if (inferAt >= 0) {
        // total / product of the other output outDims.
        bool allStatic = t.hasStaticShape();
        int64_t known = 1;
        bool knownStatic = true;
        for (size_t d = 0; d < shape.size(); ++d)
          if (static_cast<int64_t>(d) != inferAt) {
            if (shape[d] == ShapedType::kDynamic)
              knownStatic = false;
            else if (llvm::MulOverflow(known, shape[d], known))
              return nodeError(node) << "the element count of the shape "
                                        "overflows";
          }
        if (allStatic && knownStatic) {
          if (known == 0 || t.getNumElements() % known)
            return nodeError(node) << "cannot infer the -1 dimension";
          shape[inferAt] = t.getNumElements() / known;
        } else {
          Value total = arith::ConstantIndexOp::create(b, loc, 1);
          for (int64_t d = 0; d < rank; ++d)
            total = arith::MulIOp::create(
                b, loc, total,
                t.isDynamicDim(d)
                    ? dim(loc, in[0], d)
                    : arith::ConstantIndexOp::create(b, loc, t.getDimSize(d))
                          .getResult());
          Value other = arith::ConstantIndexOp::create(b, loc, 1);
          for (size_t d = 0; d < shape.size(); ++d)
            if (static_cast<int64_t>(d) != inferAt)
              other = arith::MulIOp::create(
                  b, loc, other,
                  outDims[d] ? outDims[d]
                             : arith::ConstantIndexOp::create(b, loc, shape[d])
                                   .getResult());
          // A zero product must not trap; the count check catches it.
          other = arith::MaxSIOp::create(b, loc, other, indexConst(1));
          outDims[inferAt] = arith::DivUIOp::create(b, loc, total, other);
        }
      }
    } else {
      std::optional<SmallVector<int64_t>> axes =
          opsetOf(node) >= 13 ? intsOf(1) : attrInts(node, "axes");
      if (opsetOf(node) >= 13 && in.size() > 1 && in[1] && !axes)
        return nodeError(node) << "axes must be constant";
      if (op == "Unsqueeze") {
        if (!axes)
          return nodeError(node) << "axes must be constant";
        int64_t outRank = rank + axes->size();
        SmallVector<bool> ins(outRank, false);
        for (int64_t a : *axes) {
          a = a < 0 ? a + outRank : a;
          if (a < 0 || a >= outRank)
            return nodeError(node) << "axis out of range";
          // A repeated axis leaves more source dims than the input has.
          if (ins[a])
            return nodeError(node) << "axis " << a << " repeated";
          ins[a] = true;
        }
        int64_t src = 0;
        for (int64_t d = 0; d < outRank; ++d) {
          if (ins[d]) {
            shape.push_back(1);
            outDims.push_back(Value());
          } else {
            pushDim(src++);
          }
        }
      } else {
        SmallVector<bool> drop(rank, false);
        if (axes) {
          for (int64_t a : *axes) {
            a = a < 0 ? a + rank : a;
            // A dynamic size must be 1 at run time (checked below).
            if (a < 0 || a >= rank ||
                (t.getDimSize(a) != 1 && !t.isDynamicDim(a)))
              return nodeError(node) << "cannot squeeze axis " << a;
            drop[a] = true;
          }
        } else {
          if (!t.hasStaticShape())
            return nodeError(node) << "Squeeze without axes needs a static "
                                      "shape";
          for (int64_t d = 0; d < rank; ++d)
            drop[d] = t.getDimSize(d) == 1;
        }
        for (int64_t d = 0; d < rank; ++d)
          if (!drop[d])
            pushDim(d);
      }
    }
    SmallVector<Value> dyn;
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] == ShapedType::kDynamic)
        dyn.push_back(outDims[d]);
    if (t.hasStaticShape()) {
      int64_t n = 1;
      bool st = true;
      // The product of the static dims; kDynamic (INT64_MIN) never takes
      // part, and an overflowing product can match no tensor.
      for (int64_t s : shape) {
        if (s == ShapedType::kDynamic)
          st = false;
        else if (llvm::MulOverflow(n, s, n))
          return nodeError(node) << "the element count of the shape "
                                    "overflows";
      }
      if (st && n != t.getNumElements())
        return nodeError(node) << "cannot reshape " << t.getNumElements()
                               << " elements into " << n;
    }
    setOut(emitReshapeChecked(loc, in[0], shape, dyn));
    return success();
  }
  if (op == "Concat") {
    if (node.input_size() < 1)
      return nodeError(node) << "expects at least one input";
    if (failed(need(node.input_size())))
      return failure();
    std::optional<int64_t> axis = attrInt(node, "axis");
    int64_t rank = typeOf(in[0]).getRank();
    if (!axis || *axis < -rank || *axis >= rank)
      return nodeError(node) << "invalid axis";
    int64_t a = *axis < 0 ? *axis + rank : *axis;
    // The other dimensions must agree: where they do not provably, every
    // input is sliced to the smallest size (never read past one).
    SmallVector<Value> ins(in.begin(), in.end());
    for (Value v : ins)
      if (typeOf(v).getRank() != rank || eltOf(v) != eltOf(ins[0]))
        return nodeError(node) << "inputs differ in rank or element type";
    SmallVector<OpFoldResult> common;
    bool clampAny = false;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == a) {
        common.push_back(OpFoldResult());
        continue;
      }
      std::optional<int64_t> stat;
      bool same = true;
      for (Value v : ins) {
        if (!typeOf(v).isDynamicDim(d)) {
          if (stat && *stat != typeOf(v).getDimSize(d))
            return nodeError(node) << "inputs differ in dimension " << d;
          stat = typeOf(v).getDimSize(d);
        }
        same &= dims.dimOf(v, d) == dims.dimOf(ins[0], d);
      }
      if (same) {
        common.push_back(OpFoldResult());
        continue;
      }
      clampAny = true;
      Value m = stat ? indexConst(*stat) : Value();
      for (Value v : ins)
        if (typeOf(v).isDynamicDim(d))
          m = m ? arith::MinSIOp::create(b, loc, m, dim(loc, v, d)).getResult()
                : dim(loc, v, d);
      common.push_back(m);
    }
    if (clampAny)
      for (Value &v : ins) {
        auto t = typeOf(v);
        SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)),
            strides(rank, b.getIndexAttr(1)), sizes;
        for (int64_t d = 0; d < rank; ++d)
          sizes.push_back(common[d] ? common[d]
                          : t.isDynamicDim(d)
                              ? OpFoldResult(dim(loc, v, d))
                              : OpFoldResult(b.getIndexAttr(t.getDimSize(d))));
        v = tensor::ExtractSliceOp::create(b, loc, v, offs, sizes, strides);
      }
    setOut(tensor::ConcatOp::create(b, loc, a, ins));
    return success();
  }
  return nodeError(node) << "unsupported operator";
}

} // namespace mlir::bitnet::onnx_import
