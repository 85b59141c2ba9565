//===- ConstFold.cpp - Import-time folding of ONNX ops ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Folds ONNX nodes whose inputs are all constant. Float arithmetic is done in
// f32, one op at a time, reductions in index order, so that folding a weight
// ternarisation chain gives the values the exported graph would compute.
//
//===----------------------------------------------------------------------===//

#include "ConstTensor.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

namespace mlir::bitnet::onnx_import {
namespace {

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Folded tensors are capped: a node whose result would be bigger (or has a
/// negative or overflowing shape) is not folded but left to the emitter,
/// whose shape checks reject what is too large. Never allocates more.
constexpr int64_t kMaxFoldElements = int64_t(1) << 26;

/// A zero tensor of `shape`, or null past kMaxFoldElements.
std::shared_ptr<ConstTensor> make(int32_t dtype, ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || llvm::MulOverflow(n, d, n) || n > kMaxFoldElements)
      return nullptr;
  auto t = std::make_shared<ConstTensor>();
  t->dtype = dtype;
  t->shape.assign(shape.begin(), shape.end());
  if (dtype == kFloat || dtype == kDouble)
    t->f.assign(t->numElements(), 0.0f);
  else
    t->i.assign(t->numElements(), 0);
  return t;
}

/// Copies element `src` of `a` to element `dst` of `r` (same dtype).
void copyElt(const ConstTensor &a, int64_t src, ConstTensor &r, int64_t dst) {
  if (a.isFloat())
    r.f[dst] = a.f[src];
  else
    r.i[dst] = a.i[src];
}

std::optional<SmallVector<int64_t>> broadcastShape(ArrayRef<int64_t> a,
                                                   ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank, 1);
  for (size_t k = 0; k < rank; ++k) {
    int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[k] = da == 1 ? db : da;
  }
  return out;
}

/// Index into `in` (right-aligned, broadcast) of the linear output index.
int64_t bcastIndex(int64_t linear, ArrayRef<int64_t> outShape,
                   ArrayRef<int64_t> outStrides, ArrayRef<int64_t> inShape,
                   ArrayRef<int64_t> inStrides) {
  int64_t idx = 0;
  size_t off = outShape.size() - inShape.size();
  for (size_t k = 0; k < outShape.size(); ++k) {
    int64_t c = (linear / outStrides[k]) % outShape[k];
    if (k >= off && inShape[k - off] != 1)
      idx += c * inStrides[k - off];
  }
  return idx;
}

using BinF = std::function<double(float, float)>;
using BinI = std::function<double(int64_t, int64_t)>;

std::optional<ConstPtr> binary(const ConstTensor &a, const ConstTensor &b,
                               int32_t outType, const BinF &ff,
                               const BinI &fi) {
  if (a.dtype != b.dtype)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> shape = broadcastShape(a.shape, b.shape);
  if (!shape)
    return std::nullopt;
  auto r = make(outType, *shape);
  if (!r)
    return std::nullopt;
  SmallVector<int64_t> os = stridesOf(*shape), as = stridesOf(a.shape),
                       bs = stridesOf(b.shape);
  for (int64_t e = 0, n = r->numElements(); e < n; ++e) {
    int64_t ia = bcastIndex(e, *shape, os, a.shape, as);
    int64_t ib = bcastIndex(e, *shape, os, b.shape, bs);
    double v = a.isFloat() ? ff(a.f[ia], b.f[ib]) : fi(a.i[ia], b.i[ib]);
    if (r->isFloat()) {
      r->f[e] = static_cast<float>(v);
      continue;
    }
    // Out of int64 range (or NaN) the conversion is undefined: no fold.
    if (!(v >= -0x1p63 && v < 0x1p63))
      return std::nullopt;
    r->i[e] = static_cast<int64_t>(v);
  }
  return ConstPtr(r);
}

int64_t normAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

std::optional<ConstPtr> reduce(StringRef op, const ConstTensor &a,
                               SmallVector<int64_t> axes, bool keepdims) {
  int64_t rank = a.shape.size();
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  SmallVector<bool> red(rank, false);
  for (int64_t ax : axes) {
    ax = normAxis(ax, rank);
    if (ax < 0 || ax >= rank)
      return std::nullopt;
    red[ax] = true;
  }
  SmallVector<int64_t> keepShape, outShape;
  for (int64_t d = 0; d < rank; ++d) {
    keepShape.push_back(red[d] ? 1 : a.shape[d]);
    if (!red[d] || keepdims)
      outShape.push_back(red[d] ? 1 : a.shape[d]);
  }
  auto r = make(a.dtype, outShape);
  if (!r)
    return std::nullopt;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (red[d])
      count *= a.shape[d];
  bool isMax = op == "ReduceMax", isMin = op == "ReduceMin";
  std::vector<bool> seen(r->numElements(), false);
  // Float sums accumulate in double and round once: the exporter's framework
  // sums pairwise, and a sequential f32 sum drifts by enough ulps to move a
  // fake-mode weight scale g, and with it Round(W / g) at a tie.
  bool isFloatSum = a.isFloat() && !isMax && !isMin;
  std::vector<double> floatSums(isFloatSum ? r->numElements() : 0, 0.0);
  SmallVector<int64_t> as = stridesOf(a.shape), ks = stridesOf(keepShape);
  for (int64_t e = 0, n = a.numElements(); e < n; ++e) {
    int64_t o = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (!red[d])
        o += ((e / as[d]) % a.shape[d]) * ks[d];
    // One combine step for both element kinds (float and integer data).
    auto combine = [&](auto &acc, auto v) {
      if (!seen[o])
        acc = v;
      else if (isMax)
        acc = std::max(acc, v);
      else if (isMin)
        acc = std::min(acc, v);
      else
        acc = acc + v;
    };
    if (isFloatSum)
      floatSums[o] += a.f[e];
    else if (a.isFloat())
      combine(r->f[o], a.f[e]);
    else
      combine(r->i[o], a.i[e]);
    seen[o] = true;
  }
  for (size_t o = 0; o < floatSums.size(); ++o)
    r->f[o] = static_cast<float>(floatSums[o]);
  if (op == "ReduceMean") {
    if (!a.isFloat())
      return std::nullopt;
    for (float &v : r->f)
      v = v / static_cast<float>(count);
  }
  return ConstPtr(r);
}

std::optional<SmallVector<int64_t>> toInts(const ConstPtr &t) {
  if (!t || t->isFloat())
    return std::nullopt;
  return SmallVector<int64_t>(t->i.begin(), t->i.end());
}

std::optional<ConstPtr> reshapeTo(const ConstTensor &a,
                                  ArrayRef<int64_t> shape) {
  auto r = std::make_shared<ConstTensor>(a);
  r->shape.assign(shape.begin(), shape.end());
  if (r->numElements() != a.numElements())
    return std::nullopt;
  return ConstPtr(r);
}

std::optional<ConstPtr> castTo(const ConstTensor &a, int32_t to) {
  auto r = make(to, a.shape);
  if (!r)
    return std::nullopt;
  for (int64_t e = 0, n = a.numElements(); e < n; ++e) {
    if (to == kFloat || to == kDouble) {
      r->f[e] = a.isFloat() ? a.f[e] : static_cast<float>(a.i[e]);
      continue;
    }
    int64_t v;
    if (a.isFloat()) {
      float x = a.f[e];
      if (to == kBool) {
        r->i[e] = x != 0.0f;
        continue;
      }
      // Out of int64 range (or not finite) the cast is undefined: no fold.
      double t = std::trunc(static_cast<double>(x));
      if (!(t >= -0x1p63 && t < 0x1p63))
        return std::nullopt;
      v = static_cast<int64_t>(t);
    } else {
      v = a.i[e];
    }
    switch (to) {
    case kBool:
      v = v != 0;
      break;
    case kInt8:
      v = static_cast<int8_t>(v);
      break;
    case kUInt8:
      v = static_cast<uint8_t>(v);
      break;
    case kInt16:
      v = static_cast<int16_t>(v);
      break;
    case kUInt16:
      v = static_cast<uint16_t>(v);
      break;
    case kInt32:
      v = static_cast<int32_t>(v);
      break;
    case kUInt32:
      v = static_cast<uint32_t>(v);
      break;
    case kUInt64:
      break;
    case kInt64:
      break;
    default:
      return std::nullopt;
    }
    r->i[e] = v;
  }
  return ConstPtr(r);
}

} // namespace

std::optional<SmallVector<ConstPtr>> foldOp(StringRef op, ArrayRef<ConstPtr> in,
                                            const FoldAttrs &attrs,
                                            int64_t opset) {
  auto one =
      [](std::optional<ConstPtr> r) -> std::optional<SmallVector<ConstPtr>> {
    if (!r)
      return std::nullopt;
    return SmallVector<ConstPtr>{*r};
  };
  auto arg = [&](size_t k) -> ConstPtr {
    return k < in.size() ? in[k] : ConstPtr();
  };
  if (op == "Constant") {
    if (ConstPtr t = attrs.getTensor("value"))
      return SmallVector<ConstPtr>{t};
    if (std::optional<float> v = attrs.getFloat("value_float")) {
      auto r = make(kFloat, {});
      if (!r)
        return std::nullopt;
      r->f[0] = *v;
      return SmallVector<ConstPtr>{r};
    }
    if (std::optional<int64_t> v = attrs.getInt("value_int")) {
      auto r = make(kInt64, {});
      if (!r)
        return std::nullopt;
      r->i[0] = *v;
      return SmallVector<ConstPtr>{r};
    }
    if (auto v =
            attrs.getFloats ? attrs.getFloats("value_floats") : std::nullopt) {
      auto r = make(kFloat, {static_cast<int64_t>(v->size())});
      if (!r)
        return std::nullopt;
      r->f.assign(v->begin(), v->end());
      return SmallVector<ConstPtr>{r};
    }
    if (auto v = attrs.getInts("value_ints")) {
      auto r = make(kInt64, {static_cast<int64_t>(v->size())});
      if (!r)
        return std::nullopt;
      r->i.assign(v->begin(), v->end());
      return SmallVector<ConstPtr>{r};
    }
    return std::nullopt;
  }
  if (in.empty() || !in[0])
    return std::nullopt;
  const ConstTensor &a = *in[0];
  if (op == "Identity")
    return SmallVector<ConstPtr>{in[0]};
  if (op == "Cast") {
    std::optional<int64_t> to = attrs.getInt("to");
    if (!to)
      return std::nullopt;
    return one(castTo(a, *to));
  }
  if (op == "Shape") {
    int64_t rank = a.shape.size();
    int64_t start = normAxis(attrs.getInt("start").value_or(0), rank);
    int64_t end = normAxis(attrs.getInt("end").value_or(rank), rank);
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    auto r = make(kInt64, {end - start});
    if (!r)
      return std::nullopt;
    for (int64_t d = start; d < end; ++d)
      r->i[d - start] = a.shape[d];
    return SmallVector<ConstPtr>{r};
  }
  if (op == "Abs" || op == "Neg" || op == "Round" || op == "Sqrt" ||
      op == "Relu" || op == "Reciprocal" || op == "Not") {
    auto r = make(a.dtype, a.shape);
    if (!r)
      return std::nullopt;
    for (int64_t e = 0, n = a.numElements(); e < n; ++e) {
      if (a.isFloat()) {
        float x = a.f[e], y;
        if (op == "Abs")
          y = std::fabs(x);
        else if (op == "Neg")
          y = -x;
        else if (op == "Round")
          y = std::nearbyint(x);
        else if (op == "Sqrt")
          y = std::sqrt(x);
        else if (op == "Relu")
          y = x > 0.0f ? x : 0.0f;
        else if (op == "Reciprocal")
          y = 1.0f / x;
        else
          return std::nullopt;
        r->f[e] = y;
      } else {
        int64_t x = a.i[e];
        // -INT64_MIN overflows (UB): not folded.
        if (x == std::numeric_limits<int64_t>::min() &&
            (op == "Abs" || op == "Neg"))
          return std::nullopt;
        if (op == "Abs")
          r->i[e] = x < 0 ? -x : x;
        else if (op == "Neg")
          r->i[e] = -x;
        else if (op == "Relu")
          r->i[e] = x > 0 ? x : 0;
        else if (op == "Not" && a.dtype == kBool)
          r->i[e] = !x;
        else
          return std::nullopt;
      }
    }
    return SmallVector<ConstPtr>{r};
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
      op == "Equal" || op == "Less" || op == "Greater" || op == "LessOrEqual" ||
      op == "GreaterOrEqual" || op == "Max" || op == "Min") {
    if (!arg(1))
      return std::nullopt;
    bool cmp = op == "Equal" || op == "Less" || op == "Greater" ||
               op == "LessOrEqual" || op == "GreaterOrEqual";
    int32_t outType = cmp ? kBool : a.dtype;
    auto f = [op](auto x, auto y) -> double {
      if (op == "Add")
        return x + y;
      if (op == "Sub")
        return x - y;
      if (op == "Mul")
        return x * y;
      if (op == "Equal")
        return x == y;
      if (op == "Less")
        return x < y;
      if (op == "Greater")
        return x > y;
      if (op == "LessOrEqual")
        return x <= y;
      if (op == "GreaterOrEqual")
        return x >= y;
      if (op == "Max")
        return std::max(x, y);
      if (op == "Min")
        return std::min(x, y);
      return 0.0;
    };
    BinF ff = [&](float x, float y) -> double {
      if (op == "Div")
        return x / y;
      return static_cast<float>(f(x, y));
    };
    BinI fi = [&](int64_t x, int64_t y) -> double {
      // INT64_MIN / -1 and wrapping int64 arithmetic are UB: such results
      // come back out of int64 range, which binary() does not fold.
      if (op == "Div")
        return y == 0 ? 0 : y == -1 ? -static_cast<double>(x) : x / y;
      int64_t r;
      if ((op == "Add" && llvm::AddOverflow(x, y, r)) ||
          (op == "Sub" && llvm::SubOverflow(x, y, r)) ||
          (op == "Mul" && llvm::MulOverflow(x, y, r)))
        return 0x1p64;
      return f(x, y);
    };
    if (op == "Div" && !a.isFloat())
      for (int64_t v : arg(1)->i)
        if (v == 0)
          return std::nullopt;
    return one(binary(a, *arg(1), outType, ff, fi));
  }
  if (op == "Where") {
    if (!arg(1) || !arg(2) || arg(1)->dtype != arg(2)->dtype)
      return std::nullopt;
    const ConstTensor &x = *arg(1), &y = *arg(2);
    auto s1 = broadcastShape(a.shape, x.shape);
    if (!s1)
      return std::nullopt;
    auto shape = broadcastShape(*s1, y.shape);
    if (!shape)
      return std::nullopt;
    auto r = make(x.dtype, *shape);
    if (!r)
      return std::nullopt;
    SmallVector<int64_t> os = stridesOf(*shape);
    SmallVector<int64_t> cs = stridesOf(a.shape), xs = stridesOf(x.shape),
                         ys = stridesOf(y.shape);
    for (int64_t e = 0, n = r->numElements(); e < n; ++e) {
      bool c = a.at(bcastIndex(e, *shape, os, a.shape, cs)) != 0;
      if (c)
        copyElt(x, bcastIndex(e, *shape, os, x.shape, xs), *r, e);
      else
        copyElt(y, bcastIndex(e, *shape, os, y.shape, ys), *r, e);
    }
    return SmallVector<ConstPtr>{r};
  }
  if (op == "Clip") {
    if (!a.isFloat())
      return std::nullopt;
    float lo = -std::numeric_limits<float>::infinity();
    float hi = std::numeric_limits<float>::infinity();
    if (arg(1)) {
      if (arg(1)->numElements() != 1 || !arg(1)->isFloat())
        return std::nullopt;
      lo = arg(1)->f[0];
    }
    if (arg(2)) {
      if (arg(2)->numElements() != 1 || !arg(2)->isFloat())
        return std::nullopt;
      hi = arg(2)->f[0];
    }
    auto r = make(a.dtype, a.shape);
    if (!r)
      return std::nullopt;
    for (int64_t e = 0, n = a.numElements(); e < n; ++e)
      r->f[e] = std::min(std::max(a.f[e], lo), hi);
    return SmallVector<ConstPtr>{r};
  }
  if (op == "ReduceMean" || op == "ReduceMax" || op == "ReduceSum" ||
      op == "ReduceMin") {
    SmallVector<int64_t> axes;
    bool axesAsInput = op == "ReduceSum" ? opset >= 13 : opset >= 18;
    if (axesAsInput) {
      if (arg(1)) {
        auto v = toInts(arg(1));
        if (!v)
          return std::nullopt;
        axes = *v;
      }
    } else if (auto v = attrs.getInts("axes")) {
      axes = *v;
    }
    if (axes.empty() && attrs.getInt("noop_with_empty_axes").value_or(0))
      return SmallVector<ConstPtr>{in[0]};
    return one(reduce(op, a, axes, attrs.getInt("keepdims").value_or(1)));
  }
  if (op == "Reshape") {
    auto shape = toInts(arg(1));
    if (!shape)
      return std::nullopt;
    bool allowZero = attrs.getInt("allowzero").value_or(0);
    int64_t known = 1, inferAt = -1;
    for (size_t d = 0; d < shape->size(); ++d) {
      int64_t &v = (*shape)[d];
      if (v == 0 && !allowZero) {
        if (d >= a.shape.size())
          return std::nullopt;
        v = a.shape[d];
      }
      if (v == -1) {
        if (inferAt >= 0)
          return std::nullopt;
        inferAt = d;
        continue;
      }
      known *= v;
    }
    if (inferAt >= 0) {
      if (known == 0)
        return std::nullopt;
      (*shape)[inferAt] = a.numElements() / known;
    }
    return one(reshapeTo(a, *shape));
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    std::optional<SmallVector<int64_t>> axes =
        opset >= 13 ? toInts(arg(1)) : attrs.getInts("axes");
    SmallVector<int64_t> shape;
    if (op == "Unsqueeze") {
      if (!axes)
        return std::nullopt;
      int64_t rank = a.shape.size() + axes->size();
      SmallVector<bool> ins(rank, false);
      for (int64_t ax : *axes) {
        ax = normAxis(ax, rank);
        // A repeated axis would leave fewer inserted dims than axes and read
        // past the input shape; emission rejects it.
        if (ax < 0 || ax >= rank || ins[ax])
          return std::nullopt;
        ins[ax] = true;
      }
      size_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        shape.push_back(ins[d] ? 1 : a.shape[src++]);
    } else {
      int64_t rank = a.shape.size();
      SmallVector<bool> drop(rank, false);
      if (axes)
        for (int64_t ax : *axes) {
          ax = normAxis(ax, rank);
          if (ax < 0 || ax >= rank)
            return std::nullopt;
          drop[ax] = true;
        }
      for (int64_t d = 0; d < rank; ++d)
        if (!(axes ? drop[d] : a.shape[d] == 1))
          shape.push_back(a.shape[d]);
    }
    return one(reshapeTo(a, shape));
  }
  if (op == "Concat") {
    std::optional<int64_t> axisAttr = attrs.getInt("axis");
    if (!axisAttr)
      return std::nullopt;
    int64_t rank = a.shape.size();
    int64_t axis = normAxis(*axisAttr, rank);
    if (axis < 0 || axis >= rank)
      return std::nullopt;
    SmallVector<int64_t> shape(a.shape);
    shape[axis] = 0;
    for (const ConstPtr &t : in) {
      if (!t || t->dtype != a.dtype ||
          static_cast<int64_t>(t->shape.size()) != rank)
        return std::nullopt;
      shape[axis] += t->shape[axis];
    }
    auto r = make(a.dtype, shape);
    if (!r)
      return std::nullopt;
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= shape[d];
    int64_t dst = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (const ConstPtr &t : in) {
        int64_t chunk = t->numElements() / std::max<int64_t>(outer, 1);
        for (int64_t c = 0; c < chunk; ++c)
          copyElt(*t, o * chunk + c, *r, dst++);
      }
    return SmallVector<ConstPtr>{r};
  }
  if (op == "Gather") {
    if (!arg(1) || arg(1)->isFloat())
      return std::nullopt;
    const ConstTensor &idx = *arg(1);
    int64_t rank = a.shape.size();
    int64_t axis = normAxis(attrs.getInt("axis").value_or(0), rank);
    if (axis < 0 || axis >= rank)
      return std::nullopt;
    SmallVector<int64_t> shape(a.shape.begin(), a.shape.begin() + axis);
    shape.append(idx.shape.begin(), idx.shape.end());
    shape.append(a.shape.begin() + axis + 1, a.shape.end());
    auto r = make(a.dtype, shape);
    if (!r)
      return std::nullopt;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= a.shape[d];
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= a.shape[d];
    int64_t dst = 0, n = a.shape[axis];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k : idx.i) {
        if (k < 0)
          k += n;
        if (k < 0 || k >= n)
          return std::nullopt;
        for (int64_t c = 0; c < inner; ++c)
          copyElt(a, (o * n + k) * inner + c, *r, dst++);
      }
    return SmallVector<ConstPtr>{r};
  }
  if (op == "Slice") {
    auto starts = toInts(arg(1)), ends = toInts(arg(2));
    if (!starts || !ends || starts->size() != ends->size())
      return std::nullopt;
    int64_t rank = a.shape.size();
    SmallVector<int64_t> axes, steps(starts->size(), 1);
    if (arg(3)) {
      auto v = toInts(arg(3));
      if (!v)
        return std::nullopt;
      axes = *v;
    } else {
      for (size_t k = 0; k < starts->size(); ++k)
        axes.push_back(k);
    }
    if (arg(4)) {
      auto v = toInts(arg(4));
      if (!v)
        return std::nullopt;
      steps = *v;
    }
    if (axes.size() != starts->size() || steps.size() != starts->size())
      return std::nullopt;
    SmallVector<int64_t> lo(rank, 0), step(rank, 1), shape(a.shape);
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t ax = normAxis(axes[k], rank);
      if (ax < 0 || ax >= rank)
        return std::nullopt;
      int64_t n = a.shape[ax], s = steps[k];
      if (s <= 0)
        return std::nullopt;
      int64_t b = (*starts)[k], e = (*ends)[k];
      b = b < 0 ? b + n : b;
      e = e < 0 ? e + n : e;
      b = std::clamp<int64_t>(b, 0, n);
      e = std::clamp<int64_t>(e, 0, n);
      lo[ax] = b;
      step[ax] = s;
      shape[ax] = e > b ? (e - b - 1) / s + 1 : 0;
    }
    auto r = make(a.dtype, shape);
    if (!r)
      return std::nullopt;
    SmallVector<int64_t> as = stridesOf(a.shape), rs = stridesOf(shape);
    for (int64_t e = 0, n = r->numElements(); e < n; ++e) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += (lo[d] + ((e / rs[d]) % shape[d]) * step[d]) * as[d];
      copyElt(a, src, *r, e);
    }
    return SmallVector<ConstPtr>{r};
  }
  if (op == "Transpose") {
    int64_t rank = a.shape.size();
    SmallVector<int64_t> perm;
    if (auto p = attrs.getInts("perm"))
      perm = *p;
    else
      for (int64_t d = rank - 1; d >= 0; --d)
        perm.push_back(d);
    // A permutation of [0, rank), else out-of-bounds reads.
    if (static_cast<int64_t>(perm.size()) != rank)
      return std::nullopt;
    SmallVector<bool> seen(rank, false);
    SmallVector<int64_t> shape;
    for (int64_t p : perm) {
      if (p < 0 || p >= rank || seen[p])
        return std::nullopt;
      seen[p] = true;
      shape.push_back(a.shape[p]);
    }
    auto r = make(a.dtype, shape);
    if (!r)
      return std::nullopt;
    SmallVector<int64_t> as = stridesOf(a.shape), rs = stridesOf(shape);
    for (int64_t e = 0, n = r->numElements(); e < n; ++e) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += ((e / rs[d]) % shape[d]) * as[perm[d]];
      copyElt(a, src, *r, e);
    }
    return SmallVector<ConstPtr>{r};
  }
  if (op == "Range") {
    if (!arg(1) || !arg(2) || a.numElements() != 1 ||
        arg(1)->numElements() != 1 || arg(2)->numElements() != 1)
      return std::nullopt;
    // Mixed float/integer operands are invalid ONNX; left to the emitter's
    // diagnostics.
    if (a.isFloat() || arg(1)->isFloat() || arg(2)->isFloat())
      return std::nullopt;
    int64_t start = a.i[0], limit = arg(1)->i[0], delta = arg(2)->i[0];
    if (delta == 0)
      return std::nullopt;
    int64_t span;
    if (llvm::SubOverflow(limit, start, span) ||
        llvm::AddOverflow(span, delta + (delta > 0 ? -1 : 1), span))
      return std::nullopt;
    int64_t n = std::max<int64_t>(0, span / delta);
    auto r = make(a.dtype, {n});
    if (!r)
      return std::nullopt;
    for (int64_t k = 0; k < n; ++k)
      r->i[k] = start + k * delta;
    return SmallVector<ConstPtr>{r};
  }
  if (op == "ConstantOfShape") {
    auto shape = toInts(in[0]);
    if (!shape)
      return std::nullopt;
    ConstPtr value = attrs.getTensor("value");
    auto r = make(value ? value->dtype : kFloat, *shape);
    if (!r)
      return std::nullopt;
    if (value && value->numElements() == 1) {
      if (r->isFloat())
        std::fill(r->f.begin(), r->f.end(), value->f[0]);
      else
        for (int64_t e = 0, n = r->numElements(); e < n; ++e)
          r->i[e] = value->i[0];
    }
    return SmallVector<ConstPtr>{r};
  }
  if (op == "Expand") {
    auto shape = toInts(arg(1));
    if (!shape)
      return std::nullopt;
    auto outShape = broadcastShape(a.shape, *shape);
    if (!outShape)
      return std::nullopt;
    auto r = make(a.dtype, *outShape);
    if (!r)
      return std::nullopt;
    SmallVector<int64_t> os = stridesOf(*outShape), as = stridesOf(a.shape);
    for (int64_t e = 0, n = r->numElements(); e < n; ++e)
      copyElt(a, bcastIndex(e, *outShape, os, a.shape, as), *r, e);
    return SmallVector<ConstPtr>{r};
  }
  return std::nullopt;
}

} // namespace mlir::bitnet::onnx_import
