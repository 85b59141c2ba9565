//===- ONNXImporter.cpp - ONNX to MLIR import -------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX graph in four steps:
//  1. initializers and every node whose inputs are all constant are folded on
//     the host (ConstFold.cpp): shape arithmetic, Constant->Cast artefacts and
//     fake-mode weight ternarisation chains disappear (int8 -> f32 weight
//     casts are left to the matcher, which reads the int8 data directly);
//  2. the BitLinear matcher (graph-level raising) finds the activation
//     quantizer -> MatMul / MatMulInteger chains of every export mode and
//     checks the weight is exactly ternary (splitTernary);
//  3. only the nodes the graph outputs depend on are kept (a matched
//     BitLinear depends on its float input only), and all of them must have a
//     lowering, else one diagnostic lists every unsupported node; constants
//     nothing live reads are dropped;
//  4. the live nodes are emitted as linalg / tensor / arith / math ops and
//     bitnet.bitlinear, located by NameLoc(node name, op type).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Import/ONNX/ONNXImporter.h"

#include "Importer.h"

#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <limits>

namespace mlir::bitnet::onnx_import {

constexpr float kEps = 1e-5f;

//===----------------------------------------------------------------------===//
// Reading TensorProtos
//===----------------------------------------------------------------------===//

/// Reads a TensorProto into a host tensor; external data is read relative to
/// `baseDir`. Errors go to `error`.
FailureOr<ConstPtr> readTensor(const onnx::TensorProto &t, StringRef baseDir,
                               std::string &error) {
  auto r = std::make_shared<ConstTensor>();
  r->dtype = t.data_type();
  // Check the declared shape before allocating anything for it: bitnet
  // dims are at most INT32_MAX, and counts and byte sizes must fit int64.
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) {
      error = "negative dimension";
      return failure();
    }
    if (d > std::numeric_limits<int32_t>::max()) {
      error = "dimension " + std::to_string(d) + " exceeds INT32_MAX";
      return failure();
    }
    if (llvm::MulOverflow(n, d, n)) {
      error = "element count overflows int64";
      return failure();
    }
    r->shape.push_back(d);
  }
  size_t eltSize;
  switch (r->dtype) {
  case kFloat:
  case kInt32:
    eltSize = 4;
    break;
  case kInt8:
  case kUInt8:
  case kBool:
    eltSize = 1;
    break;
  case kInt16:
  case kUInt16:
    eltSize = 2;
    break;
  case kUInt32:
    eltSize = 4;
    break;
  case kInt64:
  case kUInt64:
  case kDouble:
    eltSize = 8;
    break;
  default:
    error = std::string("unsupported dtype ") + dtypeName(r->dtype);
    return failure();
  }
  int64_t bytes;
  if (llvm::MulOverflow(n, static_cast<int64_t>(eltSize), bytes)) {
    error = "byte size overflows int64";
    return failure();
  }
  std::unique_ptr<llvm::MemoryBuffer> slice;
  std::optional<StringRef> raw;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const onnx::StringStringEntryProto &e : t.external_data()) {
      if (e.key() == "location")
        location = e.value();
      else if (e.key() == "offset")
        offset = std::atoll(e.value().c_str());
      else if (e.key() == "length")
        length = std::atoll(e.value().c_str());
    }
    SmallString<256> path(baseDir);
    llvm::sys::path::append(path, location);
    uint64_t fileSize = 0;
    if (location.empty() || llvm::sys::fs::file_size(path, fileSize)) {
      error = "cannot read external data file '" + std::string(path) + "'";
      return failure();
    }
    int64_t size = static_cast<int64_t>(fileSize);
    if (offset >= 0 && offset <= size && length < 0)
      length = size - offset;
    if (offset < 0 || offset > size || length < 0 || length > size - offset) {
      error = "external data of '" + std::string(path) + "' is truncated";
      return failure();
    }
    if (length != bytes) {
      error = "tensor data has " + std::to_string(length) +
              " bytes, expected " + std::to_string(bytes);
      return failure();
    }
    // Only this tensor's bytes, mapped rather than copied when large.
    auto buf = llvm::MemoryBuffer::getFileSlice(path, length, offset,
                                                /*IsVolatile=*/false);
    if (!buf) {
      error = "cannot read external data file '" + std::string(path) + "'";
      return failure();
    }
    slice = std::move(*buf);
    raw = slice->getBuffer();
  } else if (t.has_raw_data()) {
    raw = StringRef(t.raw_data());
  }
  if (raw) {
    if (raw->size() != static_cast<uint64_t>(bytes)) {
      error = "tensor data has " + std::to_string(raw->size()) +
              " bytes, expected " + std::to_string(bytes);
      return failure();
    }
    const char *p = raw->data();
    if (r->dtype == kFloat) {
      r->f.resize(n);
      if (n)
        std::memcpy(r->f.data(), p, n * 4); // little-endian host
      return ConstPtr(r);
    }
    // 1-byte types keep their bytes: int8 weights stay 1 byte per element.
    if (r->dtype == kInt8 || r->dtype == kUInt8 || r->dtype == kBool) {
      r->i.assignNarrow(
          ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(p), n),
          /*isSigned=*/r->dtype == kInt8);
      return ConstPtr(r);
    }
    if (r->isFloat())
      r->f.resize(n);
    else
      r->i.resize(n);
    for (int64_t e = 0; e < n; ++e, p += eltSize) {
      switch (r->dtype) {
      case kInt32: {
        int32_t v;
        std::memcpy(&v, p, 4);
        r->i[e] = v;
        break;
      }
      case kInt16: {
        int16_t v;
        std::memcpy(&v, p, 2);
        r->i[e] = v;
        break;
      }
      case kUInt16: {
        uint16_t v;
        std::memcpy(&v, p, 2);
        r->i[e] = v;
        break;
      }
      case kUInt32: {
        uint32_t v;
        std::memcpy(&v, p, 4);
        r->i[e] = v;
        break;
      }
      case kDouble: {
        double v;
        std::memcpy(&v, p, 8);
        r->f[e] = static_cast<float>(v);
        break;
      }
      default:
        std::memcpy(&r->i[e], p, 8);
        break;
      }
    }
    return ConstPtr(r);
  }
  int64_t have;
  if (r->dtype == kFloat) {
    have = t.float_data_size();
    if (have == n)
      r->f.assign(t.float_data().begin(), t.float_data().end());
  } else if (r->dtype == kDouble) {
    have = t.double_data_size();
    if (have == n)
      r->f.assign(t.double_data().begin(), t.double_data().end());
  } else if (r->dtype == kInt64) {
    have = t.int64_data_size();
    if (have == n)
      r->i.assign(t.int64_data().begin(), t.int64_data().end());
  } else if (r->dtype == kUInt32 || r->dtype == kUInt64) {
    have = t.uint64_data_size();
    if (have == n)
      r->i.assign(t.uint64_data().begin(), t.uint64_data().end());
  } else {
    have = t.int32_data_size();
    if (have == n) {
      r->i.resize(n);
      for (int64_t e = 0; e < n; ++e)
        r->i[e] = r->dtype == kInt8 ? static_cast<int8_t>(t.int32_data(e))
                                    : t.int32_data(e);
    }
  }
  if (have != n) {
    error = "tensor has " + std::to_string(have) + " values, expected " +
            std::to_string(n);
    return failure();
  }
  return ConstPtr(r);
}

FoldAttrs Importer::foldAttrs(const onnx::NodeProto &n) {
  FoldAttrs fa;
  fa.getInt = [this, &n](StringRef name) { return attrInt(n, name); };
  fa.getFloat = [this, &n](StringRef name) -> std::optional<float> {
    if (const onnx::AttributeProto *a = attr(n, name))
      return a->f();
    return std::nullopt;
  };
  fa.getInts = [this, &n](StringRef name) { return attrInts(n, name); };
  fa.getFloats = [this,
                  &n](StringRef name) -> std::optional<SmallVector<float>> {
    if (const onnx::AttributeProto *a = attr(n, name))
      return SmallVector<float>(a->floats().begin(), a->floats().end());
    return std::nullopt;
  };
  fa.getTensor = [this, &n](StringRef name) -> ConstPtr {
    const onnx::AttributeProto *a = attr(n, name);
    if (!a || !a->has_t())
      return ConstPtr();
    std::string err;
    FailureOr<ConstPtr> t = readTensor(a->t(), baseDir, err);
    return succeeded(t) ? *t : ConstPtr();
  };
  return fa;
}

LogicalResult Importer::readInitializersAndInputs() {
  for (const onnx::TensorProto &t : graph.initializer()) {
    std::string err;
    FailureOr<ConstPtr> c = readTensor(t, baseDir, err);
    if (failed(c))
      return error() << "initializer '" << t.name() << "': " << err;
    constants[t.name()] = *c;
  }
  for (size_t k = 0, e = graph.node_size(); k < e; ++k)
    for (const std::string &out : graph.node(k).output())
      if (!out.empty())
        producers[out] = k;
  return success();
}

/// Casting an int8 weight to f32 quadruples it, and the ternary weight
/// chain Mul(Cast(w), g) -> MatMul is matched from the int8 data directly
/// (Importer::castWeight). Such casts are folded only at emission, if their
/// result is still needed.
bool Importer::isDeferredCast(const onnx::NodeProto &n,
                              ArrayRef<ConstPtr> ins) {
  constexpr int64_t kMinDeferredElements = 4096;
  return n.op_type() == "Cast" && ins.size() == 1 && ins[0] &&
         ins[0]->i.isNarrow() && ins[0]->dtype != kBool &&
         ins[0]->numElements() >= kMinDeferredElements &&
         attrInt(n, "to") == kFloat;
}

LogicalResult Importer::foldConstants() {
  folded.assign(graph.node_size(), false);
  for (size_t k = 0, e = graph.node_size(); k < e; ++k) {
    const onnx::NodeProto &n = graph.node(k);
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      continue;
    SmallVector<ConstPtr> ins;
    bool allConst = true;
    for (const std::string &in : n.input()) {
      if (in.empty()) {
        ins.push_back(ConstPtr());
        continue;
      }
      ConstPtr c = constant(in);
      if (!c) {
        allConst = false;
        break;
      }
      ins.push_back(c);
    }
    if (!allConst || isDeferredCast(n, ins))
      continue;
    std::optional<SmallVector<ConstPtr>> outs =
        foldOp(n.op_type(), ins, foldAttrs(n), opsetOf(n));
    if (!outs) {
      if (n.op_type() == "Constant")
        return nodeError(n) << "unsupported constant value";
      continue;
    }
    folded[k] = true;
    for (size_t o = 0; o < outs->size() && o < (size_t)n.output_size(); ++o)
      constants[n.output(o)] = (*outs)[o];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// BitLinear matching (graph-level raising)
//===----------------------------------------------------------------------===//

namespace {
/// The activation quantizer feeding a BitLinear, found from its `s`.
struct ActQuant {
  std::string x; // the float input of the quantizer
  std::string s; // the scale tensor
  std::string q; // the clipped integer values (as float)
  unsigned bits;
  QuantMethod method;
};
} // namespace

/// The trailing `count` entries of a 1-D shape tensor that is a constant or
/// a Concat whose trailing inputs are constants.
std::optional<SmallVector<int64_t>> Importer::trailingShape(StringRef target,
                                                            size_t count) {
  SmallVector<int64_t> r;
  if (ConstPtr c = constant(target)) {
    if (c->isFloat() || c->i.size() < count)
      return std::nullopt;
    r.assign(c->i.end() - count, c->i.end());
    return r;
  }
  const onnx::NodeProto *cat = producerOf(target, "Concat");
  if (!cat || attrInt(*cat, "axis").value_or(-1) != 0)
    return std::nullopt;
  for (int k = cat->input_size() - 1; k >= 0 && r.size() < count; --k) {
    ConstPtr c = constant(cat->input(k));
    if (!c || c->isFloat())
      return std::nullopt;
    r.insert(r.begin(), c->i.begin(), c->i.end());
  }
  if (r.size() < count)
    return std::nullopt;
  r.erase(r.begin(), r.end() - count);
  return r;
}

/// True if every entry of the shape tensor `target` is a positive constant
/// or a size read from a tensor (Gather of Shape), so that emission can
/// resolve it to a shape.
bool Importer::isSizesShape(StringRef target) {
  if (ConstPtr c = constant(target))
    return !c->isFloat() && c->shape.size() == 1 &&
           llvm::all_of(c->i, [](int64_t v) { return v > 0; });
  const onnx::NodeProto *cat = producerOf(target, "Concat");
  if (!cat || attrInt(*cat, "axis").value_or(-1) != 0)
    return false;
  for (const std::string &in : cat->input()) {
    if (ConstPtr c = constant(in)) {
      if (c->isFloat() || !llvm::all_of(c->i, [](int64_t v) { return v > 0; }))
        return false;
      continue;
    }
    std::string name = in;
    while (const onnx::NodeProto *p = producer(name)) {
      if (p->op_type() != "Unsqueeze" && p->op_type() != "Cast" &&
          p->op_type() != "Identity")
        break;
      name = p->input(0);
    }
    const onnx::NodeProto *gather = producerOf(name, "Gather");
    ConstPtr idx = gather ? constant(gather->input(1)) : ConstPtr();
    if (!gather || !producerOf(gather->input(0), "Shape") || !idx ||
        idx->numElements() != 1 || idx->isFloat())
      return false;
  }
  return true;
}

/// `h` is exactly the block-diagonal matrix of H_B / sqrt(B) (Sylvester,
/// the f32 value of 1/sqrt(B), no tolerance); returns B.
static std::optional<int64_t> sylvesterBlock(const ConstTensor &h) {
  if (!h.isFloat() || h.dtype != kFloat || h.shape.size() != 2 ||
      h.shape[0] != h.shape[1] || h.shape[0] < 2)
    return std::nullopt;
  int64_t n = h.shape[0];
  int64_t block = 0;
  while (block < n && h.f[block] != 0.0f)
    ++block;
  if (block < 2 || !llvm::isPowerOf2_64(block) || n % block)
    return std::nullopt;
  float mag = static_cast<float>(1.0 / std::sqrt(static_cast<double>(block)));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c) {
      float v = h.f[r * n + c];
      if (r / block != c / block) {
        if (v != 0.0f)
          return std::nullopt;
        continue;
      }
      int64_t i = r % block, j = c % block;
      bool neg = llvm::popcount(static_cast<uint64_t>(i & j)) & 1;
      if (v != (neg ? -mag : mag))
        return std::nullopt;
    }
  return block;
}

std::optional<Importer::HadamardMatch>
Importer::matchHadamard(StringRef xName) {
  HadamardMatch r;
  // An outer Reshape back to [..., K]: the transform works on consecutive
  // blocks of B elements in memory, so it is the same on x0 reshaped to
  // this target shape (the bitlinear input).
  std::string t = xName.str();
  if (const onnx::NodeProto *outer = producerOf(t, "Reshape")) {
    if (outer->input_size() < 2 || attrInt(*outer, "allowzero").value_or(0) ||
        !isSizesShape(outer->input(1)))
      return std::nullopt;
    r.shape = outer->input(1);
    t = outer->input(0);
  }
  // Skips a Reshape to [..., B] (blocks of B along the last axis).
  auto blockInput = [&](StringRef v, int64_t block) -> std::string {
    if (const onnx::NodeProto *rs = producerOf(v, "Reshape")) {
      auto last = trailingShape(rs->input(1), 1);
      if (last && (*last)[0] == block && !attrInt(*rs, "allowzero").value_or(0))
        return rs->input(0);
    }
    return v.str();
  };
  // Matrix form: MatMul(x', H) with H a (block-diagonal) Sylvester matrix.
  if (const onnx::NodeProto *mm = producerOf(t, "MatMul")) {
    ConstPtr h = constant(mm->input(1));
    std::optional<int64_t> block = h ? sylvesterBlock(*h) : std::nullopt;
    if (!block)
      return std::nullopt;
    r.block = *block;
    // With an outer Reshape, the MatMul must act on blocks of B exactly.
    if (!r.shape.empty()) {
      if (h->shape[0] != *block)
        return std::nullopt;
      r.input = blockInput(mm->input(0), *block);
    } else {
      r.input = mm->input(0);
    }
    return r;
  }
  // Butterfly form: Mul(stages, 1/sqrt(B)), each stage h = B/2, ..., 1:
  // Reshape [..., B/(2h), 2, h] -> Slice 0:1, 1:2 on axis -2 -> Add, Sub ->
  // Concat(axis -2) -> Reshape [..., B].
  const onnx::NodeProto *mul = producerOf(t, "Mul");
  if (!mul || mul->input_size() != 2)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    std::optional<float> c = scalar(mul->input(1 - side));
    ConstPtr cc = constant(mul->input(1 - side));
    if (!c || cc->dtype != kFloat)
      continue;
    std::string v = mul->input(side);
    // B from the last stage's output shape.
    const onnx::NodeProto *last = producerOf(v, "Reshape");
    auto lastShape = last ? trailingShape(last->input(1), 1) : std::nullopt;
    if (!lastShape)
      continue;
    int64_t block = (*lastShape)[0];
    if (block < 2 || !llvm::isPowerOf2_64(block) ||
        *c != static_cast<float>(1.0 / std::sqrt(static_cast<double>(block))))
      continue;
    bool ok = true;
    for (int64_t h = block / 2; h >= 1 && ok; h /= 2) {
      ok = false;
      const onnx::NodeProto *back = producerOf(v, "Reshape");
      auto backShape = back ? trailingShape(back->input(1), 1) : std::nullopt;
      if (!backShape || (*backShape)[0] != block)
        break;
      const onnx::NodeProto *cat = producerOf(back->input(0), "Concat");
      if (!cat || cat->input_size() != 2 ||
          attrInt(*cat, "axis").value_or(0) != -2)
        break;
      const onnx::NodeProto *add = producerOf(cat->input(0), "Add");
      const onnx::NodeProto *sub = producerOf(cat->input(1), "Sub");
      if (!add || !sub || add->input(0) != sub->input(0) ||
          add->input(1) != sub->input(1))
        break;
      const onnx::NodeProto *sa = producerOf(sub->input(0), "Slice");
      const onnx::NodeProto *sb = producerOf(sub->input(1), "Slice");
      if (!sa || !sb || sa->input(0) != sb->input(0) || sa->input_size() < 4 ||
          sb->input_size() < 4)
        break;
      const onnx::NodeProto *split = producerOf(sa->input(0), "Reshape");
      auto splitShape =
          split ? trailingShape(split->input(1), 3) : std::nullopt;
      if (!splitShape || (*splitShape)[0] != block / (2 * h) ||
          (*splitShape)[1] != 2 || (*splitShape)[2] != h)
        break;
      // Slices [0, 1) and [1, 2) of axis -2 (= rank - 2 of the split).
      int64_t rank = -1;
      if (ConstPtr st = constant(split->input(1)))
        rank = st->numElements();
      else if (const onnx::NodeProto *sc =
                   producerOf(split->input(1), "Concat"))
        rank = sc->input_size(); // one entry per input (Unsqueeze)
      auto sliceIs = [&](const onnx::NodeProto *sl, int64_t lo) {
        auto vals = [&](int k) -> std::optional<int64_t> {
          if (k >= sl->input_size() || sl->input(k).empty())
            return std::nullopt;
          ConstPtr c = constant(sl->input(k));
          if (!c || c->isFloat() || c->numElements() != 1)
            return std::nullopt;
          return c->i[0];
        };
        std::optional<int64_t> s0 = vals(1), e0 = vals(2), ax = vals(3),
                               st = sl->input_size() > 4 ? vals(4) : int64_t(1);
        return s0 == lo && e0 == lo + 1 && st == 1 && ax &&
               (*ax == -2 || (rank > 0 && *ax == rank - 2));
      };
      if (!sliceIs(sa, 0) || !sliceIs(sb, 1))
        break;
      v = split->input(0);
      ok = true;
    }
    if (!ok)
      continue;
    r.block = block;
    r.input = r.shape.empty() ? v : blockInput(v, block);
    return r;
  }
  return std::nullopt;
}

std::optional<Importer::CastWeight> Importer::castWeight(StringRef name) {
  const onnx::NodeProto *mul = producerOf(name, "Mul");
  if (!mul || mul->input_size() != 2)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    const onnx::NodeProto *cast = producerOf(mul->input(side), "Cast");
    ConstPtr g = constant(mul->input(1 - side));
    auto defaultDomain = [](const onnx::NodeProto *n) {
      return n->domain().empty() || n->domain() == "ai.onnx";
    };
    if (!cast || !g || g->dtype != kFloat || g->shape.size() > 2 ||
        attrInt(*cast, "to") != kFloat || !defaultDomain(cast) ||
        !defaultDomain(mul))
      continue;
    ConstPtr q = constant(cast->input(0));
    if (!q || q->isFloat() || q->shape.size() != 2)
      continue;
    CastWeight cw;
    cw.q = q;
    cw.g = g;
    cw.k = q->shape[0];
    cw.n = q->shape[1];
    // g must broadcast to [k, n] without changing that shape.
    int64_t gk = g->shape.size() == 2 ? g->shape[0] : 1;
    int64_t gn = g->shape.empty() ? 1 : g->shape.back();
    if ((gk != 1 && gk != cw.k) || (gn != 1 && gn != cw.n))
      continue;
    cw.gRowStride = gk == 1 ? 0 : gn;
    cw.gColStride = gn == 1 ? 0 : 1;
    return cw;
  }
  return std::nullopt;
}

/// The int8-mode weight Mul(Cast(q), g) packed straight from q, without the
/// f32 product: when every q is -1, 0 or +1 and g is one finite positive
/// scale per tensor or per output channel (column of q), q * g is exactly
/// -g, 0 or +g of its channel, so splitTernary of the f32 [n, k] transpose
/// would give q's transpose as values and the scales computed here: one
/// per tensor if all channels with a nonzero weight share g (the first such
/// channel's g, or 1 if q is all zero), else one per channel (1 for an
/// all-zero channel). Returns false, having decided nothing, when q or g is
/// not of that form; the f32 path decides then.
bool Importer::packCastWeightPlain(const CastWeight &cw,
                                   SmallVector<uint8_t> &packed,
                                   SmallVector<float> &scales) {
  const ConstTensor &q = *cw.q, &g = *cw.g;
  int64_t k = cw.k, n = cw.n;
  if (q.dtype != kInt8 || !q.i.isNarrow() || cw.gRowStride != 0 || k <= 0 ||
      n <= 0 || static_cast<int64_t>(q.i.narrowBytes().size()) != k * n)
    return false;
  auto gAt = [&](int64_t r) { return g.f[r * cw.gColStride]; };
  for (int64_t r = 0, e = cw.gColStride ? n : 1; r < e; ++r)
    if (!(gAt(r) > 0.0f) || !std::isfinite(gAt(r)))
      return false;

  // Codes q + 1 per byte of a word of 8 weights, without carries between
  // bytes; invalid (q not -1, 0 or +1) iff a code is above 2.
  constexpr uint64_t k01 = 0x0101010101010101ull, k7F = 0x7F7F7F7F7F7F7F7Full,
                     k80 = 0x8080808080808080ull, kFC = 0xFCFCFCFCFCFCFCFCull;
  auto codesOf = [&](uint64_t x) { return ((x & k7F) + k01) ^ (x & k80); };
  auto invalid = [&](uint64_t c) { return (c & kFC) | (c & (c >> 1) & k01); };

  const uint8_t *src = q.i.narrowBytes().data(); // [k, n]
  int64_t rowBytes = (k + 3) / 4, fullGroups = k / 4, nVec = n / 8 * 8;
  packed.resize_for_overwrite(n * rowBytes);
  uint8_t *dst = packed.data(); // [n, rowBytes]
  SmallVector<uint8_t> nonzero(n, 0);
  uint64_t bad = 0;
  // Output rows r (columns of q) in tiles of 64: for each group of 4 weights
  // of a row, one word per q row holds 8 output rows' weights; the packed
  // byte of output row r + i is byte i of c0 | c1 << 2 | c2 << 4 | c3 << 6.
  constexpr int64_t kTile = 64;
  for (int64_t r0 = 0; r0 < nVec; r0 += kTile) {
    int64_t r1 = std::min(r0 + kTile, nVec);
    uint64_t nz[kTile / 8] = {};
    for (int64_t j = 0; j < fullGroups; ++j) {
      const uint8_t *in = src + 4 * j * n;
      for (int64_t r = r0; r < r1; r += 8) {
        uint64_t x0, x1, x2, x3;
        std::memcpy(&x0, in + r, 8);
        std::memcpy(&x1, in + n + r, 8);
        std::memcpy(&x2, in + 2 * n + r, 8);
        std::memcpy(&x3, in + 3 * n + r, 8);
        uint64_t c0 = codesOf(x0), c1 = codesOf(x1), c2 = codesOf(x2),
                 c3 = codesOf(x3);
        bad |= invalid(c0) | invalid(c1) | invalid(c2) | invalid(c3);
        nz[(r - r0) / 8] |= x0 | x1 | x2 | x3;
        uint64_t p = c0 | (c1 << 2) | (c2 << 4) | (c3 << 6);
        uint8_t *out = dst + r * rowBytes + j;
        for (int i = 0; i < 8; ++i)
          out[i * rowBytes] = static_cast<uint8_t>(p >> (8 * i));
      }
    }
    for (int64_t r = r0; r < r1; ++r)
      nonzero[r] = ((nz[(r - r0) / 8] >> (8 * ((r - r0) % 8))) & 0xFF) != 0;
  }
  // The rest, one weight at a time: the last n % 8 output rows, and every
  // row's partial last group (padded with the zero code 1).
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = r < nVec ? fullGroups : 0; j < rowBytes; ++j) {
      unsigned byte = 0;
      for (int64_t t = 0; t < 4; ++t) {
        int64_t c = 4 * j + t;
        unsigned code = 1;
        if (c < k) {
          uint8_t v = src[c * n + r];
          code = static_cast<uint8_t>(v + 1);
          bad |= code > 2;
          nonzero[r] |= v != 0;
        }
        byte |= (code & 3u) << (2 * t);
      }
      dst[r * rowBytes + j] = static_cast<uint8_t>(byte);
    }
  }
  if (bad) {
    packed.clear();
    return false;
  }
  // The scales splitTernary would find.
  scales.clear();
  int64_t first = 0;
  while (first < n && !nonzero[first])
    ++first;
  if (first == n) {
    scales.push_back(1.0f);
    return true;
  }
  bool perTensor = true;
  for (int64_t r = first + 1; r < n && perTensor; ++r)
    perTensor = !nonzero[r] || gAt(r) == gAt(first);
  if (perTensor) {
    scales.push_back(gAt(first));
    return true;
  }
  for (int64_t r = 0; r < n; ++r)
    scales.push_back(nonzero[r] ? gAt(r) : 1.0f);
  return true;
}

/// The [n, k] transpose of an int8 [k, n] constant as bytes, in tiles (a
/// plain loop misses the cache on every read).
static void transposeInt8(const ConstTensor &q, int64_t k, int64_t n,
                          SmallVector<uint8_t> &out) {
  out.resize_for_overwrite(n * k);
  constexpr int64_t kTile = 64;
  ArrayRef<uint8_t> narrow =
      q.i.isNarrow() ? q.i.narrowBytes() : ArrayRef<uint8_t>();
  for (int64_t c0 = 0; c0 < k; c0 += kTile)
    for (int64_t r0 = 0; r0 < n; r0 += kTile)
      for (int64_t c = c0, ce = std::min(c0 + kTile, k); c < ce; ++c)
        for (int64_t r = r0, re = std::min(r0 + kTile, n); r < re; ++r)
          out[r * k + c] = narrow.empty() ? static_cast<uint8_t>(q.i[c * n + r])
                                          : narrow[c * n + r];
}

bool Importer::packCastWeightInt8(const CastWeight &cw,
                                  SmallVector<uint8_t> &packed,
                                  SmallVector<float> &scales) {
  const ConstTensor &g = *cw.g;
  if (cw.q->dtype != kInt8 || cw.gRowStride != 0 || cw.k <= 0 || cw.n <= 0)
    return false;
  int64_t channels = cw.gColStride ? cw.n : 1;
  scales.clear();
  for (int64_t r = 0; r < channels; ++r) {
    float v = g.f[r * cw.gColStride];
    if (!(v > 0.0f) || !std::isfinite(v))
      return false;
    scales.push_back(v);
  }
  transposeInt8(*cw.q, cw.k, cw.n, packed);
  return true;
}

std::optional<BitLinearMatch> Importer::matchAt(const onnx::NodeProto &node) {
  // q = Clip(Round(Mul(x, s)), lo, hi) with
  // s = Div(c, Clip(Reduce(Abs(x), axes=[-1], keepdims=1), eps)).
  auto matchQ = [&](StringRef qName) -> std::optional<ActQuant> {
    const onnx::NodeProto *clip = producerOf(qName, "Clip");
    if (!clip || clip->input_size() < 3)
      return std::nullopt;
    std::optional<float> lo = scalar(clip->input(1)),
                         hi = scalar(clip->input(2));
    const onnx::NodeProto *round = producerOf(clip->input(0), "Round");
    if (!lo || !hi || !round)
      return std::nullopt;
    const onnx::NodeProto *mul = producerOf(round->input(0), "Mul");
    if (!mul)
      return std::nullopt;
    for (int side = 0; side < 2; ++side) {
      StringRef x = mul->input(side), s = mul->input(1 - side);
      const onnx::NodeProto *div = producerOf(s, "Div");
      if (!div)
        continue;
      std::optional<float> c = scalar(div->input(0));
      const onnx::NodeProto *clipEps = producerOf(div->input(1), "Clip");
      if (!c || !clipEps || clipEps->input_size() < 2)
        continue;
      std::optional<float> eps = scalar(clipEps->input(1));
      if (!eps || *eps != kEps ||
          (clipEps->input_size() > 2 && !clipEps->input(2).empty()))
        continue;
      const onnx::NodeProto *red = producer(clipEps->input(0));
      if (!red ||
          (red->op_type() != "ReduceMax" && red->op_type() != "ReduceMean"))
        continue;
      if (attrInt(*red, "keepdims").value_or(1) != 1)
        continue;
      std::optional<SmallVector<int64_t>> axes = attrInts(*red, "axes");
      if (!axes && red->input_size() > 1)
        if (ConstPtr a = constant(red->input(1)))
          axes = SmallVector<int64_t>(a->i.begin(), a->i.end());
      // TODO(#3): accept the positive spelling of the last axis.
      if (!axes || axes->size() != 1 || (*axes)[0] != -1)
        continue;
      const onnx::NodeProto *abs = producerOf(red->input(0), "Abs");
      if (!abs || abs->input(0) != x)
        continue;
      bool isMax = red->op_type() == "ReduceMax";
      ActQuant aq{x.str(), s.str(), qName.str(), 8, QuantMethod::absmax};
      if (isMax && *c == 127.0f && *lo == -128.0f && *hi == 127.0f)
        return aq;
      if (isMax && *c == 7.0f && *lo == -8.0f && *hi == 7.0f) {
        aq.bits = 4;
        return aq;
      }
      if (!isMax && *c == 2.6457513f && *lo == -8.0f && *hi == 7.0f) {
        aq.bits = 4;
        aq.method = QuantMethod::absmean;
        return aq;
      }
    }
    return std::nullopt;
  };

  BitLinearMatch m;
  std::optional<ActQuant> aq;
  // Set when the weight went straight to m.packed (packCastWeightPlain).
  bool packedDirectly = false;
  if (node.input_size() != 2)
    return std::nullopt;
  if (node.input_size() < 2)
    return std::nullopt;
  if (node.op_type() == "MatMul") {
    // Float weight: MatMul(Div(q, s), W) with W a constant [K, N].
    const onnx::NodeProto *div = producerOf(node.input(0), "Div");
    // Mul(Cast(q), g) is read from q (the f32 product would be folded, and
    // cannot tell 8-bit weights from float ones).
    std::optional<CastWeight> cw = castWeight(node.input(1));
    ConstPtr w = cw ? nullptr : constant(node.input(1));
    if (!div || (!cw && (!w || !w->isFloat() || w->shape.size() != 2)))
      return std::nullopt;
    aq = matchQ(div->input(0));
    if (!aq || aq->s != div->input(1))
      return std::nullopt;
    int64_t k = cw ? cw->k : w->shape[0], n = cw ? cw->n : w->shape[1];
    m.rows = n;
    m.cols = k;
    if (cw && packCastWeightPlain(*cw, m.packed, m.weight.scales)) {
      packedDirectly = true;
    } else if (cw && packCastWeightInt8(*cw, m.packed, m.weight.scales)) {
      // Not ternary but 8-bit: a W8A8 layer (an LM head, say).
      packedDirectly = true;
      m.layout = TernaryLayout::int8;
    } else {
      // Neither packs from q: the f32 product decides, which folding
      // refuses past 2^26 elements, so does this. (The packers above read
      // q and take any size: a 128256 x 2560 int8 LM head is 2^28.3.)
      if (cw && cw->q->numElements() > (int64_t(1) << 26))
        return std::nullopt;
      // The [n, k] transpose, in tiles (a plain loop misses the cache on
      // every read), into a buffer reused across matches.
      std::vector<float> &wt = transposeScratch;
      wt.resize(n * k);
      constexpr int64_t kTile = 64;
      for (int64_t c0 = 0; c0 < k; c0 += kTile)
        for (int64_t r0 = 0; r0 < n; r0 += kTile)
          for (int64_t c = c0, ce = std::min(c0 + kTile, k); c < ce; ++c)
            for (int64_t r = r0, re = std::min(r0 + kTile, n); r < re; ++r)
              wt[r * k + c] = cw ? cw->at(c, r) : w->f[c * n + r];
      std::optional<TernarySplit> split = splitTernary(wt, n, k);
      if (!split)
        return std::nullopt;
      m.weight = std::move(*split);
    }
  } else if (node.op_type() == "Mul") {
    // qint: Mul(Cast(MatMulInteger(Cast(q, int8), Wt)), Div(g, s)).
    for (int side = 0; side < 2 && !aq; ++side) {
      const onnx::NodeProto *cast = producerOf(node.input(side), "Cast");
      const onnx::NodeProto *gdiv = producerOf(node.input(1 - side), "Div");
      if (!cast || !gdiv || attrInt(*cast, "to") != kFloat)
        continue;
      const onnx::NodeProto *mmi = producerOf(cast->input(0), "MatMulInteger");
      ConstPtr g = constant(gdiv->input(0));
      if (!mmi || !g || !g->isFloat() || mmi->input_size() != 2)
        continue;
      const onnx::NodeProto *qcast = producerOf(mmi->input(0), "Cast");
      ConstPtr w = constant(mmi->input(1));
      if (!qcast || attrInt(*qcast, "to") != kInt8 || !w || w->dtype != kInt8 ||
          w->shape.size() != 2)
        continue;
      std::optional<ActQuant> cand = matchQ(qcast->input(0));
      if (!cand || cand->s != gdiv->input(1))
        continue;
      int64_t k = w->shape[0], n = w->shape[1];
      if (g->numElements() != 1 && g->numElements() != n)
        continue;
      bool ok = llvm::all_of(
          g->f, [](float v) { return v > 0.0f && std::isfinite(v); });
      if (!ok)
        continue;
      TernarySplit split;
      split.values.resize(n * k);
      bool ternary = true;
      for (int64_t r = 0; r < n && ternary; ++r)
        for (int64_t c = 0; c < k; ++c) {
          int64_t v = w->i[c * n + r];
          if (v < -1 || v > 1) {
            ternary = false;
            break;
          }
          split.values[r * k + c] = static_cast<int8_t>(v);
        }
      split.scales.assign(g->f.begin(), g->f.end());
      if (!ternary) {
        // 8-bit weights: a W8A8 layer, kept one byte per weight.
        split.values = {};
        transposeInt8(*w, k, n, m.packed);
        packedDirectly = true;
        m.layout = TernaryLayout::int8;
      }
      m.weight = std::move(split);
      m.rows = n;
      m.cols = k;
      aq = cand;
    }
    if (!aq)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  m.input = aq->x;
  m.bits = aq->bits;
  m.method = aq->method;

  // Optional pre-processing: Hadamard as a MatMul by a constant block
  // Sylvester matrix, then top-K as Mul(x, ScatterElements(0, TopK(|x|))).
  const onnx::NodeProto *mul = producerOf(m.input, "Mul");
  if (mul && mul->input_size() == 2) {
    for (int side = 0; side < 2; ++side) {
      const onnx::NodeProto *scatter =
          producerOf(mul->input(1 - side), "ScatterElements");
      if (!scatter || scatter->input_size() < 3 ||
          attrInt(*scatter, "axis").value_or(0) != -1)
        continue;
      if (const onnx::AttributeProto *red = attr(*scatter, "reduction"))
        if (red->s() != "none")
          continue;
      StringRef x = mul->input(side);
      const onnx::NodeProto *topk = producerOf(scatter->input(1), "TopK");
      if (!topk || topk->output_size() < 2 ||
          topk->output(1) != scatter->input(1) ||
          attrInt(*topk, "axis").value_or(-1) != -1 ||
          attrInt(*topk, "largest").value_or(1) != 1)
        continue;
      const onnx::NodeProto *abs = producerOf(topk->input(0), "Abs");
      std::optional<float> kv =
          topk->input_size() > 1 ? scalar(topk->input(1)) : std::nullopt;
      if (!abs || abs->input(0) != x || !kv)
        continue;
      // The mask: zeros (a constant, or ConstantOfShape(Shape(x)) of 0)
      // with ones scattered at the top-K indices.
      bool zerosOk = false;
      if (ConstPtr zeros = constant(scatter->input(0))) {
        zerosOk = zeros->isFloat() && !zeros->shape.empty() &&
                  zeros->shape.back() == m.cols &&
                  llvm::all_of(zeros->f, [](float v) { return v == 0; });
      } else if (const onnx::NodeProto *cos =
                     producerOf(scatter->input(0), "ConstantOfShape")) {
        const onnx::NodeProto *shp = producerOf(cos->input(0), "Shape");
        ConstPtr value;
        if (const onnx::AttributeProto *a = attr(*cos, "value")) {
          std::string err;
          FailureOr<ConstPtr> c = readTensor(a->t(), baseDir, err);
          if (succeeded(c))
            value = *c;
        }
        zerosOk = shp && !attr(*shp, "start") && !attr(*shp, "end") &&
                  (shp->input(0) == x || shp->input(0) == topk->input(0)) &&
                  value && value->dtype == kFloat &&
                  value->numElements() == 1 && value->f[0] == 0.0f;
      }
      // The updates: ones (a constant, or Expand of a constant of ones).
      auto allOnes = [](const ConstPtr &c) {
        return c && c->isFloat() &&
               llvm::all_of(c->f, [](float v) { return v == 1.0f; });
      };
      bool onesOk = allOnes(constant(scatter->input(2)));
      if (const onnx::NodeProto *ex = producerOf(scatter->input(2), "Expand"))
        onesOk |= allOnes(constant(ex->input(0)));
      if (!zerosOk || !onesOk)
        continue;
      int64_t n = m.cols;
      if (*kv <= 0 || *kv > n || *kv != std::floor(*kv))
        continue;
      m.topk = static_cast<double>(*kv) / static_cast<double>(n);
      m.input = mul->input(side);
      break;
    }
  }
  if (std::optional<HadamardMatch> h = matchHadamard(m.input)) {
    m.hadamard = h->block;
    m.input = h->input;
    m.inputShape = h->shape;
  }
  // Packed now (2 bits per weight), the int8 values are dropped.
  if (!packedDirectly) {
    std::optional<SmallVector<uint8_t>> packed =
        packTernaryPlain(m.weight.values, m.rows, m.cols);
    assert(packed && "splitTernary returned a non-ternary value");
    m.packed = std::move(*packed);
    m.weight.values = {};
  }
  return m;
}

void Importer::matchBitLinears() {
  if (!options.raiseBitLinear)
    return;
  for (size_t k = 0, e = graph.node_size(); k < e; ++k) {
    const onnx::NodeProto &n = graph.node(k);
    if (folded[k] || n.output_size() != 1)
      continue;
    if (std::optional<BitLinearMatch> m = matchAt(n))
      matches[k] = std::move(*m);
  }
}

/// Why `type` is beyond what bitnet handles (static dims at most INT32_MAX,
/// element count and byte size within int64), or nullopt if it is not.
static std::optional<std::string> exceedsLimits(Type type) {
  auto st = dyn_cast<ShapedType>(type);
  if (!st || !st.hasRank())
    return std::nullopt;
  int64_t n = 1;
  for (int64_t d : st.getShape()) {
    if (ShapedType::isDynamic(d))
      continue;
    if (d < 0 || d > std::numeric_limits<int32_t>::max())
      return "dimension " + std::to_string(d) + " is outside [0, INT32_MAX]";
    if (llvm::MulOverflow(n, d, n))
      return std::string("element count overflows int64");
  }
  Type elt = st.getElementType();
  int64_t eltBytes =
      elt.isIntOrFloat() ? (elt.getIntOrFloatBitWidth() + 7) / 8 : 8;
  if (llvm::MulOverflow(n, eltBytes, n))
    return std::string("byte size overflows int64");
  return std::nullopt;
}

/// The ONNX dim_param of each dimension ("" where there is none), or null
/// when no dimension has one. The runtime checks that inputs sharing a name
/// get equal sizes.
static ArrayAttr dimParamsAttr(Builder &b,
                               const onnx::TypeProto::Tensor &type) {
  SmallVector<Attribute> names;
  bool any = false;
  for (const onnx::TensorShapeProto::Dimension &d : type.shape().dim()) {
    any |= d.has_dim_param() && !d.dim_param().empty();
    names.push_back(b.getStringAttr(d.has_dim_param() ? d.dim_param() : ""));
  }
  return any ? b.getArrayAttr(names) : ArrayAttr();
}

//===----------------------------------------------------------------------===//
// Liveness and support check
//===----------------------------------------------------------------------===//

static bool isSupportedOp(StringRef op) {
  static const char *const kOps[] = {"Abs",
                                     "Add",
                                     "And",
                                     "Cast",
                                     "Ceil",
                                     "Clip",
                                     "Concat",
                                     "Constant",
                                     "ConstantOfShape",
                                     "Cos",
                                     "Div",
                                     "Equal",
                                     "Erf",
                                     "Exp",
                                     "Expand",
                                     "Floor",
                                     "Gather",
                                     "GatherElements",
                                     "Gemm",
                                     "Greater",
                                     "GreaterOrEqual",
                                     "Identity",
                                     "LayerNormalization",
                                     "Less",
                                     "LessOrEqual",
                                     "Log",
                                     "MatMul",
                                     "MatMulInteger",
                                     "Max",
                                     "Min",
                                     "Mod",
                                     "Mul",
                                     "Neg",
                                     "Not",
                                     "Or",
                                     "Pow",
                                     "Range",
                                     "Reciprocal",
                                     "ReduceMax",
                                     "ReduceMean",
                                     "ReduceMin",
                                     "ReduceSum",
                                     "Relu",
                                     "Reshape",
                                     "Round",
                                     "ScatterElements",
                                     "Shape",
                                     "Sigmoid",
                                     "Sign",
                                     "Sin",
                                     "Slice",
                                     "Softmax",
                                     "Sqrt",
                                     "Squeeze",
                                     "Sub",
                                     "Tanh",
                                     "TopK",
                                     "Transpose",
                                     "Trilu",
                                     "Unsqueeze",
                                     "Where",
                                     "Xor"};
  return llvm::is_contained(kOps, op);
}

void Importer::pruneConstants() {
  llvm::StringSet<> used;
  for (const onnx::ValueInfoProto &vi : graph.input())
    used.insert(vi.name());
  for (const onnx::ValueInfoProto &vi : graph.output())
    used.insert(vi.name());
  for (size_t k = 0, e = graph.node_size(); k < e; ++k) {
    if (!live[k] || folded[k])
      continue;
    auto mit = matches.find(k);
    if (mit != matches.end()) {
      used.insert(mit->second.input);
      used.insert(mit->second.inputShape);
      continue;
    }
    for (const std::string &in : graph.node(k).input())
      used.insert(in);
  }
  SmallVector<StringRef> dead;
  for (const auto &entry : constants)
    if (!used.contains(entry.getKey()))
      dead.push_back(entry.getKey());
  for (StringRef name : dead)
    constants.erase(name);
}

LogicalResult Importer::checkSupported() {
  live.assign(graph.node_size(), false);
  SmallVector<std::string> work;
  for (const onnx::ValueInfoProto &o : graph.output())
    work.push_back(o.name());
  llvm::StringSet<> seen;
  while (!work.empty()) {
    std::string name = work.pop_back_val();
    if (name.empty() || !seen.insert(name).second || constant(name))
      continue;
    auto it = producers.find(name);
    if (it == producers.end())
      continue;
    size_t k = it->second;
    live[k] = true;
    auto mit = matches.find(k);
    if (mit != matches.end()) {
      work.push_back(mit->second.input);
      work.push_back(mit->second.inputShape);
      continue;
    }
    for (const std::string &in : graph.node(k).input())
      work.push_back(in);
  }
  pruneConstants();
  SmallVector<const onnx::NodeProto *> bad;
  for (size_t k = 0, e = graph.node_size(); k < e; ++k) {
    const onnx::NodeProto &n = graph.node(k);
    if (!live[k] || folded[k] || matches.count(k))
      continue;
    bool defaultDomain = n.domain().empty() || n.domain() == "ai.onnx";
    bool contrib = n.domain() == "com.microsoft" && n.op_type() == "MatMulNBits";
    if (!contrib && (!defaultDomain || !isSupportedOp(n.op_type())))
      bad.push_back(&n);
  }
  if (bad.empty())
    return success();
  InFlightDiagnostic diag = error() << bad.size() << " unsupported node"
                                    << (bad.size() == 1 ? "" : "s") << ":";
  for (const onnx::NodeProto *n : bad) {
    diag << " '" << n->name() << "' (";
    if (!n->domain().empty())
      diag << n->domain() << ".";
    diag << n->op_type() << ")";
  }
  return failure();
}

FailureOr<OwningOpRef<ModuleOp>> Importer::run() {
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (!model.has_graph())
    return error() << "the model has no graph";
  if (opset == 0)
    return error() << "the model does not import the default ONNX opset";
  if (opset < 1 || opset > 21)
    return error() << "unsupported opset " << opset << " (1 to 21 supported)";
  if (failed(readInitializersAndInputs()) || failed(foldConstants()))
    return failure();
  matchBitLinears();
  transposeScratch = {};
  if (failed(checkSupported()))
    return failure();

  Location fileLoc = FileLineColLoc::get(ctx, fileName, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr("onnx.opset", b.getI64IntegerAttr(opset));
  if (!graph.name().empty())
    (*module)->setAttr("onnx.graph", b.getStringAttr(graph.name()));

  // Function arguments: graph inputs that are not initializers.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<ArrayAttr> argDimParams;
  SmallVector<int32_t> argElemTypes;
  for (const onnx::ValueInfoProto &vi : graph.input()) {
    if (constant(vi.name()))
      continue;
    if (!vi.type().has_tensor_type())
      return error() << "input '" << vi.name() << "' is not a tensor";
    const onnx::TypeProto::Tensor &tt = vi.type().tensor_type();
    Type elt = elementType(tt.elem_type());
    if (!elt)
      return error() << "input '" << vi.name() << "' has unsupported dtype "
                     << dtypeName(tt.elem_type());
    dtypes[vi.name()] = tt.elem_type();
    if (!tt.has_shape())
      return error() << "input '" << vi.name() << "' has no rank";
    SmallVector<int64_t> shape;
    for (const onnx::TensorShapeProto::Dimension &d : tt.shape().dim()) {
      if (d.has_dim_value() &&
          (d.dim_value() < 0 ||
           d.dim_value() > std::numeric_limits<int32_t>::max()))
        return error() << "input '" << vi.name() << "': dimension "
                       << d.dim_value() << " is outside [0, INT32_MAX]";
      shape.push_back(d.has_dim_value() ? d.dim_value() : ShapedType::kDynamic);
    }
    argTypes.push_back(RankedTensorType::get(shape, elt));
    if (std::optional<std::string> why = exceedsLimits(argTypes.back()))
      return error() << "input '" << vi.name() << "': " << *why;
    argNames.push_back(vi.name());
    argDimParams.push_back(dimParamsAttr(b, tt));
    argElemTypes.push_back(tt.elem_type());
  }
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, fileLoc, options.entryName,
                                   b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (size_t k = 0; k < argNames.size(); ++k) {
    values[argNames[k]] = entry->getArgument(k);
    graphInputs.insert(argNames[k]);
    func.setArgAttr(k, "onnx.name", b.getStringAttr(argNames[k]));
    // The ONNX element type: MLIR's signless i8 stands for int8 and uint8.
    func.setArgAttr(k, "onnx.elem_type", b.getI32IntegerAttr(argElemTypes[k]));
    if (argDimParams[k])
      func.setArgAttr(k, "onnx.dim_params", argDimParams[k]);
  }
  b.setInsertionPointToStart(entry);

  for (size_t k = 0, e = graph.node_size(); k < e; ++k) {
    const onnx::NodeProto &n = graph.node(k);
    if (!live[k] || folded[k])
      continue;
    auto mit = matches.find(k);
    if (mit != matches.end()) {
      FailureOr<Value> x = get(mit->second.input, nodeLoc(n));
      if (failed(x))
        return nodeError(n) << "BitLinear input is undefined";
      if (!mit->second.inputShape.empty()) {
        x = reshapeTo(nodeLoc(n), *x, mit->second.inputShape);
        if (failed(x))
          return nodeError(n) << "cannot resolve the Hadamard input shape";
      }
      auto xt = dyn_cast<RankedTensorType>(x->getType());
      if (!xt || !xt.getElementType().isF32() || xt.getRank() < 1 ||
          (!xt.isDynamicDim(xt.getRank() - 1) &&
           xt.getShape().back() != mit->second.cols))
        return nodeError(n) << "BitLinear input does not match its weight";
      values[n.output(0)] = emitBitLinear(nodeLoc(n), mit->second, *x);
      mit->second.packed = {};
      continue;
    }
    // Nodes that became constant once Shape folded during emission.
    bool allConst = n.input_size() > 0;
    SmallVector<ConstPtr> ins;
    for (const std::string &in : n.input()) {
      ConstPtr c = in.empty() ? ConstPtr() : constant(in);
      if (!c && !in.empty())
        allConst = false;
      ins.push_back(c);
    }
    // A large int8 -> f32 Cast that no BitLinear consumed stays an op on
    // the int8 data (a non-ternary weight: 1 byte per element in the
    // binary, dequantized where the matmul reads it).
    if (allConst && !isDeferredCast(n, ins)) {
      if (auto outs = foldOp(n.op_type(), ins, foldAttrs(n), opsetOf(n))) {
        for (size_t o = 0; o < outs->size() && o < (size_t)n.output_size(); ++o)
          constants[n.output(o)] = (*outs)[o];
        continue;
      }
    }
    if (failed(emitNode(n)))
      return failure();
  }

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &o : graph.output()) {
    FailureOr<Value> v = get(o.name(), fileLoc);
    if (failed(v))
      return error() << "graph output '" << o.name() << "' is undefined";
    results.push_back(*v);
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(argTypes, TypeRange(results)));
  for (size_t k = 0; k < results.size(); ++k) {
    const onnx::ValueInfoProto &o = graph.output(k);
    func.setResultAttr(k, "onnx.name", b.getStringAttr(o.name()));
    if (o.type().tensor_type().has_elem_type())
      func.setResultAttr(
          k, "onnx.elem_type",
          b.getI32IntegerAttr(o.type().tensor_type().elem_type()));
    if (ArrayAttr dims = dimParamsAttr(b, o.type().tensor_type()))
      func.setResultAttr(k, "onnx.dim_params", dims);
  }
  // Constants materialized for folded uses (shape operands) may be dead.
  SmallVector<Operation *> bodyOps;
  for (Operation &op : func.getBody().front())
    bodyOps.push_back(&op);
  for (Operation *op : llvm::reverse(bodyOps))
    if (isOpTriviallyDead(op))
      op->erase();
  // Static shapes computed from the graph (Expand, ConstantOfShape, ...).
  WalkResult limits = func.walk([&](Operation *op) {
    for (Type t : op->getResultTypes())
      if (std::optional<std::string> why = exceedsLimits(t)) {
        emitError(op->getLoc()) << "'" << fileName << "': result type " << t
                                << " is too large: " << *why;
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (limits.wasInterrupted())
    return failure();
  if (failed(verify(*module)))
    return error() << "the imported module does not verify";
  return module;
}

} // namespace mlir::bitnet::onnx_import

namespace mlir::bitnet {
using namespace onnx_import;

void registerONNXImportDialects(MLIRContext *context) {
  context->loadDialect<arith::ArithDialect, func::FuncDialect,
                       linalg::LinalgDialect, math::MathDialect,
                       scf::SCFDialect, tensor::TensorDialect, BitNetDialect>();
}

FailureOr<OwningOpRef<ModuleOp>>
importONNXBuffer(StringRef buffer, StringRef bufferName, StringRef baseDir,
                 MLIRContext *context, const ImportOptions &options) {
  registerONNXImportDialects(context);
  Location loc = FileLineColLoc::get(context, bufferName, 0, 0);
  if (buffer.empty())
    return emitError(loc) << "'" << bufferName << "': the file is empty";
  onnx::ModelProto model;
  if (buffer.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(buffer.data(), static_cast<int>(buffer.size())))
    return emitError(loc) << "'" << bufferName
                          << "': not a valid ONNX model (protobuf parse "
                             "failed; truncated or not ONNX?)";
  Importer importer(model, bufferName, baseDir, context, options);
  return importer.run();
}

FailureOr<OwningOpRef<ModuleOp>> importONNXFile(StringRef path,
                                                MLIRContext *context,
                                                const ImportOptions &options) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return emitError(FileLineColLoc::get(context, path, 0, 0))
           << "'" << path
           << "': cannot read the file: " << buf.getError().message();
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importONNXBuffer((*buf)->getBuffer(), path, dir, context, options);
}

} // namespace mlir::bitnet
