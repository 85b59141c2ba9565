//===- ONNXImporter.cpp - ONNX to MLIR import -------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX graph in four steps:
//  1. initializers and every node whose inputs are all constant are folded on
//     the host (ConstFold.cpp): shape arithmetic, Constant->Cast artefacts and
//     fake-mode weight ternarisation chains disappear;
//  2. the BitLinear matcher (graph-level raising) finds the activation
//     quantizer -> MatMul / MatMulInteger chains of every export mode and
//     checks the weight is exactly ternary (splitTernary);
//  3. only the nodes the graph outputs depend on are kept (a matched
//     BitLinear depends on its float input only), and all of them must have a
//     lowering, else one diagnostic lists every unsupported node;
//  4. the live nodes are emitted as linalg / tensor / arith / math ops and
//     bitnet.bitlinear, located by NameLoc(node name, op type).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Import/ONNX/ONNXImporter.h"

#include "ConstTensor.h"

#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
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
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <limits>

namespace mlir::bitnet {
using namespace onnx_import;

namespace {

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
  for (int64_t d : t.dims()) {
    if (d < 0) {
      error = "negative dimension";
      return failure();
    }
    r->shape.push_back(d);
  }
  int64_t n = r->numElements();
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
    eltSize = 2;
    break;
  case kInt64:
  case kDouble:
    eltSize = 8;
    break;
  default:
    error = "unsupported tensor element type " + std::to_string(r->dtype);
    return failure();
  }
  std::string external;
  const std::string *raw = nullptr;
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
    auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (location.empty() || !buf) {
      error = "cannot read external data file '" + std::string(path) + "'";
      return failure();
    }
    if (length < 0)
      length = static_cast<int64_t>((*buf)->getBufferSize()) - offset;
    if (offset < 0 || length < 0 ||
        static_cast<uint64_t>(offset + length) > (*buf)->getBufferSize()) {
      error = "external data of '" + std::string(path) + "' is truncated";
      return failure();
    }
    external.assign((*buf)->getBufferStart() + offset, length);
    raw = &external;
  } else if (t.has_raw_data()) {
    raw = &t.raw_data();
  }
  if (r->isFloat())
    r->f.resize(n);
  else
    r->i.resize(n);
  if (raw) {
    if (raw->size() != static_cast<size_t>(n) * eltSize) {
      error = "tensor data has " + std::to_string(raw->size()) +
              " bytes, expected " + std::to_string(n * eltSize);
      return failure();
    }
    const char *p = raw->data();
    for (int64_t e = 0; e < n; ++e, p += eltSize) {
      switch (r->dtype) {
      case kFloat:
        std::memcpy(&r->f[e], p, 4);
        break;
      case kInt32: {
        int32_t v;
        std::memcpy(&v, p, 4);
        r->i[e] = v;
        break;
      }
      case kInt8:
        r->i[e] = static_cast<int8_t>(*p);
        break;
      case kUInt8:
      case kBool:
        r->i[e] = static_cast<uint8_t>(*p);
        break;
      case kInt16: {
        int16_t v;
        std::memcpy(&v, p, 2);
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
  } else {
    have = t.int32_data_size();
    if (have == n)
      for (int64_t e = 0; e < n; ++e)
        r->i[e] = r->dtype == kInt8 ? static_cast<int8_t>(t.int32_data(e))
                                    : t.int32_data(e);
  }
  if (have != n) {
    error = "tensor has " + std::to_string(have) + " values, expected " +
            std::to_string(n);
    return failure();
  }
  return ConstPtr(r);
}

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

/// A recognised BitLinear: `anchor` is the node whose output it replaces.
struct BitLinearMatch {
  std::string input;
  TernarySplit weight;
  int64_t rows = 0, cols = 0;
  unsigned bits = 8;
  QuantMethod method = QuantMethod::absmax;
  std::optional<int64_t> hadamard;
  std::optional<double> topk;
};

class Importer {
public:
  Importer(const onnx::ModelProto &model, StringRef fileName,
           StringRef baseDir, MLIRContext *ctx, const ImportOptions &options)
      : model(model), graph(model.graph()), fileName(fileName.str()),
        baseDir(baseDir.str()), ctx(ctx), options(options), b(ctx) {}

  FailureOr<OwningOpRef<ModuleOp>> run();

private:
  InFlightDiagnostic error() {
    return emitError(FileLineColLoc::get(ctx, fileName, 0, 0))
           << "'" << fileName << "': ";
  }
  InFlightDiagnostic nodeError(const onnx::NodeProto &node) {
    return emitError(nodeLoc(node))
           << "'" << fileName << "': node '" << node.name() << "' ("
           << node.op_type() << "): ";
  }
  Location nodeLoc(const onnx::NodeProto &node) {
    return NameLoc::get(StringAttr::get(ctx, node.name()),
                        NameLoc::get(StringAttr::get(ctx, node.op_type())));
  }

  // Attributes.
  const onnx::AttributeProto *attr(const onnx::NodeProto &n, StringRef name) {
    for (const onnx::AttributeProto &a : n.attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  std::optional<int64_t> attrInt(const onnx::NodeProto &n, StringRef name) {
    if (const onnx::AttributeProto *a = attr(n, name))
      return a->i();
    return std::nullopt;
  }
  std::optional<SmallVector<int64_t>> attrInts(const onnx::NodeProto &n,
                                               StringRef name) {
    if (const onnx::AttributeProto *a = attr(n, name))
      return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
    return std::nullopt;
  }
  FoldAttrs foldAttrs(const onnx::NodeProto &n);

  LogicalResult readInitializersAndInputs();
  LogicalResult foldConstants();
  void matchBitLinears();
  std::optional<BitLinearMatch> matchAt(const onnx::NodeProto &node);
  LogicalResult checkSupported();
  LogicalResult emitNode(const onnx::NodeProto &node);

  // Graph queries.
  const onnx::NodeProto *producer(StringRef name) {
    auto it = producers.find(name);
    return it == producers.end() ? nullptr : &graph.node(it->second);
  }
  const onnx::NodeProto *producerOf(StringRef name, StringRef opType) {
    const onnx::NodeProto *n = producer(name);
    return n && n->op_type() == opType ? n : nullptr;
  }
  ConstPtr constant(StringRef name) {
    auto it = constants.find(name);
    return it == constants.end() ? ConstPtr() : it->second;
  }
  std::optional<float> scalar(StringRef name) {
    ConstPtr c = constant(name);
    if (!c || c->numElements() != 1)
      return std::nullopt;
    return static_cast<float>(c->at(0));
  }
  int64_t opsetOf(const onnx::NodeProto &n) {
    return n.domain().empty() || n.domain() == "ai.onnx" ? opset : 1;
  }

  // Emission helpers.
  FailureOr<Value> get(StringRef name, Location loc);
  Value materialize(const ConstTensor &c, StringRef name, Location loc);
  Type elementType(int32_t dtype);
  Value dim(Location loc, Value v, int64_t d);
  Value emitElementwise(Location loc, ArrayRef<Value> ins, Type elemType,
                        function_ref<Value(OpBuilder &, Location, ValueRange)>
                            body,
                        std::optional<ArrayRef<int64_t>> shapeHint = {},
                        ArrayRef<Value> hintDyn = {});
  Value emitReduce(Location loc, Value x, ArrayRef<int64_t> axes,
                   bool keepdims, StringRef kind);
  Value emitMatMul(Location loc, Value a, Value bv, bool integer);
  Value emitReshape(Location loc, Value x, ArrayRef<int64_t> shape,
                    ArrayRef<Value> dynDims);
  Value emitBitLinear(Location loc, const BitLinearMatch &m, Value x);

  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  std::string fileName, baseDir;
  MLIRContext *ctx;
  const ImportOptions &options;
  OpBuilder b;
  int64_t opset = 0;

  llvm::StringMap<size_t> producers;
  llvm::StringMap<ConstPtr> constants;
  llvm::StringMap<Value> values;
  llvm::StringMap<Value> materialized;
  /// Shape tensors (rank <= 1 integer tensors) tracked per element: an
  /// IntegerAttr for a known entry, an index Value for a runtime one.
  llvm::StringMap<SmallVector<OpFoldResult>> symShapes;
  std::optional<SmallVector<OpFoldResult>> symOf(StringRef name);
  void trackSymbolic(const onnx::NodeProto &node, ArrayRef<Value> in);
  DenseMap<size_t, BitLinearMatch> matches;
  SmallVector<bool> live;
  SmallVector<bool> folded;
  llvm::StringSet<> graphInputs;
};

FoldAttrs Importer::foldAttrs(const onnx::NodeProto &n) {
  FoldAttrs fa;
  fa.getInt = [this, &n](StringRef name) { return attrInt(n, name); };
  fa.getFloat = [this, &n](StringRef name) -> std::optional<float> {
    if (const onnx::AttributeProto *a = attr(n, name))
      return a->f();
    return std::nullopt;
  };
  fa.getInts = [this, &n](StringRef name) { return attrInts(n, name); };
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
    if (!allConst)
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

/// The activation quantizer feeding a BitLinear, found from its `s`.
struct ActQuant {
  std::string x;   // the float input of the quantizer
  std::string s;   // the scale tensor
  std::string q;   // the clipped integer values (as float)
  unsigned bits;
  QuantMethod method;
};

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
  if (node.op_type() == "MatMul") {
    // Float weight: MatMul(Div(q, s), W) with W a constant [K, N].
    const onnx::NodeProto *div = producerOf(node.input(0), "Div");
    ConstPtr w = constant(node.input(1));
    if (!div || !w || !w->isFloat() || w->shape.size() != 2)
      return std::nullopt;
    aq = matchQ(div->input(0));
    if (!aq || aq->s != div->input(1))
      return std::nullopt;
    int64_t k = w->shape[0], n = w->shape[1];
    SmallVector<float> wt(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c)
        wt[r * k + c] = w->f[c * n + r];
    std::optional<TernarySplit> split = splitTernary(wt, n, k);
    if (!split)
      return std::nullopt;
    m.weight = std::move(*split);
    m.rows = n;
    m.cols = k;
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
      if (!qcast || attrInt(*qcast, "to") != kInt8 || !w ||
          w->dtype != kInt8 || w->shape.size() != 2)
        continue;
      std::optional<ActQuant> cand = matchQ(qcast->input(0));
      if (!cand || cand->s != gdiv->input(1))
        continue;
      int64_t k = w->shape[0], n = w->shape[1];
      if (g->numElements() != 1 && g->numElements() != n)
        continue;
      TernarySplit split;
      split.values.resize(n * k);
      bool ok = true;
      for (int64_t r = 0; r < n && ok; ++r)
        for (int64_t c = 0; c < k; ++c) {
          int64_t v = w->i[c * n + r];
          if (v < -1 || v > 1) {
            ok = false;
            break;
          }
          split.values[r * k + c] = static_cast<int8_t>(v);
        }
      for (float v : g->f)
        if (!(v > 0.0f) || !std::isfinite(v))
          ok = false;
      if (!ok)
        continue;
      split.scales.assign(g->f.begin(), g->f.end());
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
  if (const onnx::NodeProto *mul = producerOf(m.input, "Mul")) {
    for (int side = 0; side < 2; ++side) {
      const onnx::NodeProto *scatter =
          producerOf(mul->input(1 - side), "ScatterElements");
      if (!scatter || attrInt(*scatter, "axis").value_or(0) != -1)
        continue;
      ConstPtr zeros = constant(scatter->input(0));
      const onnx::NodeProto *topk = producerOf(scatter->input(1), "TopK");
      if (!zeros || !zeros->isFloat() || zeros->shape.empty() || !topk ||
          topk->output_size() < 2 || topk->output(1) != scatter->input(1) ||
          attrInt(*topk, "axis").value_or(-1) != -1 ||
          attrInt(*topk, "largest").value_or(1) != 1)
        continue;
      bool allZero = llvm::all_of(zeros->f, [](float v) { return v == 0; });
      const onnx::NodeProto *abs = producerOf(topk->input(0), "Abs");
      std::optional<float> kv = scalar(topk->input(1));
      if (!allZero || !abs || abs->input(0) != mul->input(side) || !kv)
        continue;
      // TODO(#3): check the scattered updates are ones.
      int64_t n = zeros->shape.back();
      if (*kv <= 0 || *kv > n)
        continue;
      m.topk = static_cast<double>(*kv) / static_cast<double>(n);
      m.input = mul->input(side);
      break;
    }
  }
  if (const onnx::NodeProto *mm = producerOf(m.input, "MatMul")) {
    ConstPtr h = constant(mm->input(1));
    if (h && h->isFloat() && h->shape.size() == 2 &&
        h->shape[0] == h->shape[1] && h->shape[0] > 1) {
      int64_t n = h->shape[0];
      // Find the block size from the first row's non-zero run.
      int64_t block = 0;
      while (block < n && h->f[block] != 0.0f)
        ++block;
      bool ok = block > 1 && llvm::isPowerOf2_64(block) && n % block == 0;
      float mag = ok ? std::fabs(h->f[0]) : 0.0f;
      float expect = static_cast<float>(1.0 / std::sqrt(double(block)));
      ok = ok && std::fabs(mag - expect) <= 1e-6f * expect;
      for (int64_t r = 0; r < n && ok; ++r)
        for (int64_t c = 0; c < n && ok; ++c) {
          float v = h->f[r * n + c];
          if (r / block != c / block) {
            ok = v == 0.0f;
            continue;
          }
          int64_t i = r % block, j = c % block;
          bool neg = llvm::popcount(static_cast<uint64_t>(i & j)) & 1;
          ok = v == (neg ? -mag : mag);
        }
      if (ok && !m.topk) {
        m.hadamard = block;
        m.input = mm->input(0);
      }
    }
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

//===----------------------------------------------------------------------===//
// Liveness and support check
//===----------------------------------------------------------------------===//

static bool isSupportedOp(StringRef op) {
  static const char *const kOps[] = {
      "Abs",        "Add",        "Cast",           "Clip",
      "Concat",     "Constant",   "Cos",            "Div",
      "Equal",      "Erf",        "Exp",            "Expand",
      "Gather",     "Greater",    "GreaterOrEqual", "Identity",
      "Less",       "LessOrEqual","MatMul",         "MatMulInteger",
      "Max",        "Min",        "Mul",            "Neg",
      "Not",        "Pow",        "Range",      "Reciprocal",     "ReduceMax",
      "ReduceMean", "ReduceMin",  "ReduceSum",      "Relu",
      "Reshape",    "Round",      "Shape",          "Sigmoid",
      "Sin",        "Slice",      "Softmax",        "Sqrt",
      "Squeeze",    "Sub",        "Tanh",           "Transpose",
      "Unsqueeze",  "Where"};
  return llvm::is_contained(kOps, op);
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
      continue;
    }
    for (const std::string &in : graph.node(k).input())
      work.push_back(in);
  }
  SmallVector<const onnx::NodeProto *> bad;
  for (size_t k = 0, e = graph.node_size(); k < e; ++k) {
    const onnx::NodeProto &n = graph.node(k);
    if (!live[k] || folded[k] || matches.count(k))
      continue;
    bool defaultDomain = n.domain().empty() || n.domain() == "ai.onnx";
    if (!defaultDomain || !isSupportedOp(n.op_type()))
      bad.push_back(&n);
  }
  if (bad.empty())
    return success();
  InFlightDiagnostic diag = error()
                            << bad.size() << " unsupported node"
                            << (bad.size() == 1 ? "" : "s") << ":";
  for (const onnx::NodeProto *n : bad) {
    diag << " '" << n->name() << "' (";
    if (!n->domain().empty())
      diag << n->domain() << ".";
    diag << n->op_type() << ")";
  }
  return failure();
}

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
    return b.getIntegerType(16);
  case kInt32:
    return b.getIntegerType(32);
  case kInt64:
    return b.getIntegerType(64);
  case kBool:
    return b.getI1Type();
  default:
    return Type();
  }
}

Value Importer::materialize(const ConstTensor &c, StringRef name,
                            Location loc) {
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
    std::string key = "onnx";
    for (char ch : name)
      key += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
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
    Value v = materialize(*c, name, loc);
    values[name] = v;
    return v;
  }
  return failure();
}

Value Importer::dim(Location loc, Value v, int64_t d) {
  return tensor::DimOp::create(b, loc, v, d);
}

Value Importer::emitElementwise(
    Location loc, ArrayRef<Value> ins, Type elemType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body,
    std::optional<ArrayRef<int64_t>> shapeHint, ArrayRef<Value> hintDyn) {
  size_t rank = 0;
  for (Value v : ins)
    rank = std::max<size_t>(rank, cast<RankedTensorType>(v.getType()).getRank());
  if (shapeHint)
    rank = std::max(rank, shapeHint->size());
  SmallVector<int64_t> shape(rank, 1);
  SmallVector<Value> dynSizes(rank);
  auto merge = [&](int64_t k, int64_t d, Value src, int64_t srcDim) {
    if (d == 1)
      return;
    if (d != ShapedType::kDynamic) {
      shape[k] = d;
      return;
    }
    if (shape[k] == 1) {
      shape[k] = ShapedType::kDynamic;
      dynSizes[k] = src ? dim(loc, src, srcDim) : Value();
    }
  };
  for (Value v : ins) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
    size_t off = rank - s.size();
    for (size_t k = 0; k < s.size(); ++k)
      merge(off + k, s[k], v, k);
  }
  if (shapeHint) {
    size_t off = rank - shapeHint->size();
    for (size_t k = 0; k < shapeHint->size(); ++k)
      if ((*shapeHint)[k] != ShapedType::kDynamic)
        merge(off + k, (*shapeHint)[k], Value(), 0);
      else if (k < hintDyn.size() && hintDyn[k] && shape[off + k] == 1) {
        shape[off + k] = ShapedType::kDynamic;
        dynSizes[off + k] = hintDyn[k];
      }
  }
  SmallVector<Value> dyn;
  for (size_t k = 0; k < rank; ++k)
    if (shape[k] == ShapedType::kDynamic)
      dyn.push_back(dynSizes[k]);
  Value init = tensor::EmptyOp::create(b, loc, shape, elemType, dyn);
  SmallVector<AffineMap> maps;
  for (Value v : ins) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
    size_t off = rank - s.size();
    SmallVector<AffineExpr> exprs;
    for (size_t k = 0; k < s.size(); ++k)
      exprs.push_back(s[k] == 1 && shape[off + k] != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(off + k));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, r);
      });
  return op.getResult(0);
}

Value Importer::emitReduce(Location loc, Value x, ArrayRef<int64_t> axesIn,
                           bool keepdims, StringRef kind) {
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
    initAttr = b.getFloatAttr(
        elt, isMax   ? APFloat::getInf(sem, /*Negative=*/true)
             : isMin ? APFloat::getInf(sem, /*Negative=*/false)
                     : APFloat::getZero(sem));
  } else {
    unsigned w = elt.getIntOrFloatBitWidth();
    initAttr = b.getIntegerAttr(elt, isMax   ? APInt::getSignedMinValue(w)
                                     : isMin ? APInt::getSignedMaxValue(w)
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
  Value r =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
          maps, iters,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value v;
            if (isFloat && isMax)
              v = arith::MaximumFOp::create(nb, nl, args[0], args[1]);
            else if (isFloat && isMin)
              v = arith::MinimumFOp::create(nb, nl, args[0], args[1]);
            else if (isFloat)
              v = arith::AddFOp::create(nb, nl, args[1], args[0]);
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
  return emitElementwise(loc, {r}, elt,
                         [&](OpBuilder &nb, Location nl, ValueRange a) {
                           return arith::DivFOp::create(nb, nl, a[0], countF)
                               .getResult();
                         });
}

Value Importer::emitMatMul(Location loc, Value a, Value bv, bool integer) {
  auto ta = cast<RankedTensorType>(a.getType());
  auto tb = cast<RankedTensorType>(bv.getType());
  int64_t ra = ta.getRank(), rb = tb.getRank();
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
                 Value x = arith::ExtSIOp::create(nb, nl, elt, args[0]);
                 Value y = arith::ExtSIOp::create(nb, nl, elt, args[1]);
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

Value Importer::emitReshape(Location loc, Value x, ArrayRef<int64_t> shape,
                            ArrayRef<Value> dynDims) {
  auto type = cast<RankedTensorType>(x.getType());
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (type == resultType)
    return x;
  SmallVector<Value> elems;
  size_t dynIdx = 0;
  for (int64_t d : shape) {
    if (d == ShapedType::kDynamic)
      elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                 dynDims[dynIdx++]));
    else
      elems.push_back(arith::ConstantIntOp::create(b, loc, d, 64));
  }
  auto shapeType =
      RankedTensorType::get({static_cast<int64_t>(shape.size())},
                            b.getI64Type());
  Value shapeV = tensor::FromElementsOp::create(b, loc, shapeType, elems);
  return tensor::ReshapeOp::create(b, loc, resultType, x, shapeV);
}

Value Importer::emitBitLinear(Location loc, const BitLinearMatch &m,
                              Value x) {
  std::optional<SmallVector<uint8_t>> packed =
      packTernaryPlain(m.weight.values, m.rows, m.cols);
  assert(packed && "splitTernary returned a non-ternary value");
  auto blobType = RankedTensorType::get(
      {static_cast<int64_t>(packed->size())}, b.getIntegerType(8));
  auto data = DenseResourceElementsAttr::get(
      blobType, "bitlinear",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(
          reinterpret_cast<const char *>(packed->data()), packed->size())));
  auto scalesType = RankedTensorType::get(
      {static_cast<int64_t>(m.weight.scales.size())}, b.getF32Type());
  auto scales =
      DenseElementsAttr::get(scalesType, ArrayRef<float>(m.weight.scales));
  auto weight = TernaryAttr::get(ctx, m.rows, m.cols, TernaryLayout::plain,
                                 scales, data);
  auto scheme = QuantSchemeAttr::get(ctx, m.bits, m.method,
                                     Granularity::per_token, 0);
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

void Importer::trackSymbolic(const onnx::NodeProto &node,
                             ArrayRef<Value> in) {
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
    if (rankOf(0) > 1)
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
        if (op == "Div" && yi == 0)
          return;
        out.push_back(b.getI64IntegerAttr(
            op == "Add"   ? xi + yi
            : op == "Sub" ? xi - yi
            : op == "Mul" ? xi * yi
                          : xi / yi));
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

LogicalResult Importer::emitNode(const onnx::NodeProto &node) {
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

  // Elementwise unary ops.
  using BodyFn = std::function<Value(OpBuilder &, Location, ValueRange)>;
  auto unaryF = [&](auto tag) -> BodyFn {
    using OpT = decltype(tag);
    return [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return OpT::create(nb, nl, a[0]);
    };
  };
  std::optional<BodyFn> unary;
  if (op == "Abs")
    unary = in.size() && in[0] && isa<FloatType>(eltOf(in[0]))
                ? BodyFn(unaryF(math::AbsFOp()))
                : BodyFn(unaryF(math::AbsIOp()));
  else if (op == "Neg" && in.size() && in[0] && isa<FloatType>(eltOf(in[0])))
    unary = unaryF(arith::NegFOp());
  else if (op == "Round")
    unary = unaryF(math::RoundEvenOp());
  else if (op == "Sqrt")
    unary = unaryF(math::SqrtOp());
  else if (op == "Exp")
    unary = unaryF(math::ExpOp());
  else if (op == "Cos")
    unary = unaryF(math::CosOp());
  else if (op == "Sin")
    unary = unaryF(math::SinOp());
  else if (op == "Tanh")
    unary = unaryF(math::TanhOp());
  else if (op == "Erf")
    unary = unaryF(math::ErfOp());
  if (unary) {
    if (failed(need(1)))
      return failure();
    setOut(emitElementwise(loc, {in[0]}, eltOf(in[0]), *unary));
    return success();
  }
  if (op == "Relu" || op == "Sigmoid" || op == "Reciprocal" || op == "Neg" ||
      op == "Not") {
    if (failed(need(1)))
      return failure();
    Type elt = eltOf(in[0]);
    setOut(emitElementwise(
        loc, {in[0]}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value x = a[0];
          if (op == "Not") {
            Value one = arith::ConstantIntOp::create(nb, nl, 1, 1);
            return arith::XOrIOp::create(nb, nl, x, one).getResult();
          }
          if (!isa<FloatType>(elt)) {
            Value zero = arith::ConstantOp::create(nb, nl,
                                                   nb.getIntegerAttr(elt, 0));
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
          Value e = math::ExpOp::create(nb, nl, arith::NegFOp::create(nb, nl, x));
          Value d = arith::AddFOp::create(nb, nl, one, e);
          return arith::DivFOp::create(nb, nl, one, d).getResult();
        }));
    return success();
  }

  // Elementwise binary ops with numpy broadcasting.
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
      op == "Pow" || op == "Max" || op == "Min" || op == "Equal" ||
      op == "Less" || op == "Greater" || op == "LessOrEqual" ||
      op == "GreaterOrEqual") {
    if (failed(need(2)))
      return failure();
    Type elt = eltOf(in[0]);
    if (elt != eltOf(in[1]) && op != "Pow")
      return nodeError(node) << "operand element types differ";
    bool isF = isa<FloatType>(elt);
    bool cmp = op == "Equal" || op == "Less" || op == "Greater" ||
               op == "LessOrEqual" || op == "GreaterOrEqual";
    Type outElt = cmp ? b.getI1Type() : elt;
    if (op == "Pow" && (!isF || eltOf(in[1]) != elt))
      return nodeError(node) << "only f32 Pow is supported";
    setOut(emitElementwise(
        loc, {in[0], in[1]}, outElt,
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value x = a[0], y = a[1];
          if (isF) {
            if (op == "Add")
              return arith::AddFOp::create(nb, nl, x, y);
            if (op == "Sub")
              return arith::SubFOp::create(nb, nl, x, y);
            if (op == "Mul")
              return arith::MulFOp::create(nb, nl, x, y);
            if (op == "Div")
              return arith::DivFOp::create(nb, nl, x, y);
            if (op == "Pow")
              return math::PowFOp::create(nb, nl, x, y);
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
          if (op == "Div")
            return arith::DivSIOp::create(nb, nl, x, y);
          if (op == "Max")
            return arith::MaxSIOp::create(nb, nl, x, y);
          if (op == "Min")
            return arith::MinSIOp::create(nb, nl, x, y);
          arith::CmpIPredicate p =
              op == "Equal"         ? arith::CmpIPredicate::eq
              : op == "Less"        ? arith::CmpIPredicate::slt
              : op == "Greater"     ? arith::CmpIPredicate::sgt
              : op == "LessOrEqual" ? arith::CmpIPredicate::sle
                                    : arith::CmpIPredicate::sge;
          return arith::CmpIOp::create(nb, nl, p, x, y);
        }));
    return success();
  }
  if (op == "Where") {
    if (failed(need(3)))
      return failure();
    setOut(emitElementwise(loc, {in[0], in[1], in[2]}, eltOf(in[1]),
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             return arith::SelectOp::create(nb, nl, a[0], a[1],
                                                            a[2])
                                 .getResult();
                           }));
    return success();
  }
  if (op == "Clip") {
    if (failed(need(1)))
      return failure();
    Type elt = eltOf(in[0]);
    if (!isa<FloatType>(elt))
      return nodeError(node) << "only float Clip is supported";
    std::optional<float> lo, hi;
    for (int k = 1; k <= 2; ++k) {
      if (k >= (int)in.size() || !in[k])
        continue;
      if (!cin[k] || cin[k]->numElements() != 1)
        return nodeError(node) << "bounds must be constant scalars";
      (k == 1 ? lo : hi) = static_cast<float>(cin[k]->at(0));
    }
    setOut(emitElementwise(
        loc, {in[0]}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value x = a[0];
          if (lo)
            x = arith::MaximumFOp::create(
                nb, nl, x,
                arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elt, *lo)));
          if (hi)
            x = arith::MinimumFOp::create(
                nb, nl, x,
                arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elt, *hi)));
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
      return nodeError(node) << "unsupported target type";
    Type src = eltOf(in[0]);
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
              Value z = arith::ConstantOp::create(nb, nl,
                                                  nb.getFloatAttr(src, 0.0));
              return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNE,
                                           x, z)
                  .getResult();
            }
            Value z =
                arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(src, 0));
            return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne, x,
                                         z)
                .getResult();
          }
          bool srcBool = src.isInteger(1);
          if (sf)
            return arith::FPToSIOp::create(nb, nl, dst, x).getResult();
          if (df)
            return srcBool
                       ? arith::UIToFPOp::create(nb, nl, dst, x).getResult()
                       : arith::SIToFPOp::create(nb, nl, dst, x).getResult();
          if (src.getIntOrFloatBitWidth() < dst.getIntOrFloatBitWidth())
            return srcBool
                       ? arith::ExtUIOp::create(nb, nl, dst, x).getResult()
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
    setOut(emitReduce(loc, in[0], axes, attrInt(node, "keepdims").value_or(1),
                      op));
    return success();
  }
  if (op == "Softmax") {
    if (failed(need(1)))
      return failure();
    int64_t rank = typeOf(in[0]).getRank();
    int64_t axis = attrInt(node, "axis").value_or(-1);
    axis = axis < 0 ? axis + rank : axis;
    Type elt = eltOf(in[0]);
    Value mx = emitReduce(loc, in[0], {axis}, true, "ReduceMax");
    Value e = emitElementwise(loc, {in[0], mx}, elt,
                              [&](OpBuilder &nb, Location nl, ValueRange a) {
                                Value d = arith::SubFOp::create(nb, nl, a[0],
                                                                a[1]);
                                return math::ExpOp::create(nb, nl, d)
                                    .getResult();
                              });
    Value s = emitReduce(loc, e, {axis}, true, "ReduceSum");
    setOut(emitElementwise(loc, {e, s}, elt,
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             return arith::DivFOp::create(nb, nl, a[0], a[1])
                                 .getResult();
                           }));
    return success();
  }
  if (op == "MatMul" || op == "MatMulInteger") {
    if (failed(need(2)))
      return failure();
    bool integer = op == "MatMulInteger";
    if (integer && in.size() > 2)
      return nodeError(node) << "zero points are not supported";
    Value a = in[0], bv = in[1];
    if (typeOf(a).getRank() < 2 || typeOf(bv).getRank() < 2)
      return nodeError(node) << "1-D operands are not supported";
    int64_t ka = typeOf(a).getShape().back();
    int64_t kb = typeOf(bv).getDimSize(typeOf(bv).getRank() - 2);
    if (ka != kb && ka != ShapedType::kDynamic && kb != ShapedType::kDynamic)
      return nodeError(node) << "inner dimensions differ (" << ka << " vs "
                             << kb << ")";
    setOut(emitMatMul(loc, a, bv, integer));
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
    SmallVector<int64_t> shape;
    SmallVector<Value> dyn;
    for (int64_t p : perm) {
      shape.push_back(t.getDimSize(p));
      if (t.isDynamicDim(p))
        dyn.push_back(dim(loc, in[0], p));
    }
    Value init =
        tensor::EmptyOp::create(b, loc, shape, t.getElementType(), dyn);
    setOut(linalg::TransposeOp::create(b, loc, in[0], init, perm).getResult()
               [0]);
    return success();
  }
  if (op == "Reshape" || op == "Unsqueeze" || op == "Squeeze") {
    if (failed(need(1)))
      return failure();
    RankedTensorType t = typeOf(in[0]);
    int64_t rank = t.getRank();
    // Output dims: static size, or a runtime index value.
    SmallVector<int64_t> shape;
    SmallVector<Value> dims;
    auto pushDim = [&](int64_t d) {
      shape.push_back(t.getDimSize(d));
      dims.push_back(t.isDynamicDim(d) ? dim(loc, in[0], d) : Value());
    };
    if (op == "Reshape") {
      auto target = symOf(node.input(1));
      if (!target)
        return nodeError(node) << "dynamic target shapes are not supported";
      bool allowZero = attrInt(node, "allowzero").value_or(0);
      int64_t inferAt = -1;
      for (size_t d = 0; d < target->size(); ++d) {
        if (auto dv = dyn_cast<Value>((*target)[d])) {
          // A runtime entry (from Shape arithmetic): a dynamic size.
          shape.push_back(ShapedType::kDynamic);
          dims.push_back(dv);
          continue;
        }
        int64_t v =
            cast<IntegerAttr>(cast<Attribute>((*target)[d])).getInt();
        if (v == 0 && !allowZero) {
          if (static_cast<int64_t>(d) >= rank)
            return nodeError(node) << "0 refers to a missing dimension";
          pushDim(d);
        } else if (v == -1) {
          if (inferAt >= 0)
            return nodeError(node) << "more than one -1 in the shape";
          inferAt = d;
          shape.push_back(ShapedType::kDynamic);
          dims.push_back(Value());
        } else if (v < 0) {
          return nodeError(node) << "invalid dimension " << v;
        } else {
          shape.push_back(v);
          dims.push_back(Value());
        }
      }
      if (inferAt >= 0) {
        // total / product of the other output dims.
        bool allStatic = t.hasStaticShape();
        int64_t known = 1;
        bool knownStatic = true;
        for (size_t d = 0; d < shape.size(); ++d)
          if (static_cast<int64_t>(d) != inferAt) {
            if (shape[d] == ShapedType::kDynamic)
              knownStatic = false;
            else
              known *= shape[d];
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
                  dims[d] ? dims[d]
                          : arith::ConstantIndexOp::create(b, loc, shape[d])
                                .getResult());
          dims[inferAt] = arith::DivUIOp::create(b, loc, total, other);
        }
      }
    } else {
      std::optional<SmallVector<int64_t>> axes =
          opsetOf(node) >= 13 ? intsOf(1) : attrInts(node, "axes");
      if (op == "Unsqueeze") {
        if (!axes)
          return nodeError(node) << "axes must be constant";
        int64_t outRank = rank + axes->size();
        SmallVector<bool> ins(outRank, false);
        for (int64_t a : *axes) {
          a = a < 0 ? a + outRank : a;
          if (a < 0 || a >= outRank)
            return nodeError(node) << "axis out of range";
          ins[a] = true;
        }
        int64_t src = 0;
        for (int64_t d = 0; d < outRank; ++d) {
          if (ins[d]) {
            shape.push_back(1);
            dims.push_back(Value());
          } else {
            pushDim(src++);
          }
        }
      } else {
        SmallVector<bool> drop(rank, false);
        if (axes) {
          for (int64_t a : *axes) {
            a = a < 0 ? a + rank : a;
            if (a < 0 || a >= rank || t.getDimSize(a) != 1)
              return nodeError(node) << "cannot squeeze axis " << a;
            drop[a] = true;
          }
        } else {
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
        dyn.push_back(dims[d]);
    if (t.hasStaticShape()) {
      int64_t n = 1;
      bool st = true;
      for (int64_t s : shape)
        st &= s != ShapedType::kDynamic, n *= s;
      if (st && n != t.getNumElements())
        return nodeError(node) << "cannot reshape " << t.getNumElements()
                               << " elements into " << n;
    }
    setOut(emitReshape(loc, in[0], shape, dyn));
    return success();
  }
  if (op == "Concat") {
    if (failed(need(node.input_size())))
      return failure();
    std::optional<int64_t> axis = attrInt(node, "axis");
    int64_t rank = typeOf(in[0]).getRank();
    if (!axis || *axis < -rank || *axis >= rank)
      return nodeError(node) << "invalid axis";
    int64_t a = *axis < 0 ? *axis + rank : *axis;
    setOut(tensor::ConcatOp::create(b, loc, a, in));
    return success();
  }
  if (op == "Slice") {
    if (failed(need(3)))
      return failure();
    auto starts = intsOf(1), ends = intsOf(2);
    std::optional<SmallVector<int64_t>> axes, steps;
    if (in.size() > 3 && in[3])
      axes = intsOf(3);
    if (in.size() > 4 && in[4])
      steps = intsOf(4);
    if (!starts || !ends || (in.size() > 3 && in[3] && !axes) ||
        (in.size() > 4 && in[4] && !steps) || starts->size() != ends->size())
      return nodeError(node) << "starts/ends/axes/steps must be constant";
    RankedTensorType t = typeOf(in[0]);
    int64_t rank = t.getRank();
    SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)), sizes, strides(
                                                                     rank,
                                                                     b.getIndexAttr(
                                                                         1));
    SmallVector<int64_t> shape(t.getShape());
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(t.isDynamicDim(d) ? OpFoldResult(dim(loc, in[0], d))
                                        : b.getIndexAttr(t.getDimSize(d)));
    for (size_t k = 0; k < starts->size(); ++k) {
      int64_t ax = axes ? (*axes)[k] : static_cast<int64_t>(k);
      ax = ax < 0 ? ax + rank : ax;
      int64_t s = steps ? (*steps)[k] : 1;
      if (ax < 0 || ax >= rank || s <= 0)
        return nodeError(node) << "unsupported axis or step";
      if (t.isDynamicDim(ax))
        return nodeError(node) << "slicing a dynamic dimension is not "
                                  "supported";
      int64_t n = t.getDimSize(ax), lo = (*starts)[k], hi = (*ends)[k];
      lo = std::clamp<int64_t>(lo < 0 ? lo + n : lo, 0, n);
      hi = std::clamp<int64_t>(hi < 0 ? hi + n : hi, 0, n);
      int64_t len = hi > lo ? (hi - lo + s - 1) / s : 0;
      offs[ax] = b.getIndexAttr(lo);
      sizes[ax] = b.getIndexAttr(len);
      strides[ax] = b.getIndexAttr(s);
      shape[ax] = len;
    }
    auto rt = RankedTensorType::get(shape, t.getElementType());
    setOut(tensor::ExtractSliceOp::create(b, loc, rt, in[0], offs, sizes,
                                          strides));
    return success();
  }
  if (op == "Expand") {
    if (failed(need(2)))
      return failure();
    auto shape = symOf(node.input(1));
    if (!shape)
      return nodeError(node) << "dynamic target shapes are not supported";
    SmallVector<int64_t> hint;
    SmallVector<Value> hintDyn;
    for (OpFoldResult f : *shape) {
      if (auto dv = dyn_cast<Value>(f)) {
        hint.push_back(ShapedType::kDynamic);
        hintDyn.push_back(dv);
      } else {
        hint.push_back(cast<IntegerAttr>(cast<Attribute>(f)).getInt());
        hintDyn.push_back(Value());
      }
    }
    setOut(emitElementwise(
        loc, {in[0]}, eltOf(in[0]),
        [](OpBuilder &, Location, ValueRange a) { return a[0]; },
        ArrayRef<int64_t>(hint), hintDyn));
    return success();
  }
  if (op == "Gather") {
    if (failed(need(2)))
      return failure();
    RankedTensorType dt = typeOf(in[0]), it = typeOf(in[1]);
    int64_t rank = dt.getRank();
    int64_t axis = attrInt(node, "axis").value_or(0);
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis >= rank || !isa<IntegerType>(it.getElementType()))
      return nodeError(node) << "invalid axis or index type";
    SmallVector<int64_t> shape;
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < axis; ++d) {
      shape.push_back(dt.getDimSize(d));
      if (dt.isDynamicDim(d))
        dyn.push_back(dim(loc, in[0], d));
    }
    for (int64_t d = 0; d < it.getRank(); ++d) {
      shape.push_back(it.getDimSize(d));
      if (it.isDynamicDim(d))
        dyn.push_back(dim(loc, in[1], d));
    }
    for (int64_t d = axis + 1; d < rank; ++d) {
      shape.push_back(dt.getDimSize(d));
      if (dt.isDynamicDim(d))
        dyn.push_back(dim(loc, in[0], d));
    }
    int64_t outRank = shape.size();
    Value init =
        tensor::EmptyOp::create(b, loc, shape, dt.getElementType(), dyn);
    SmallVector<AffineExpr> idxExprs;
    for (int64_t d = 0; d < it.getRank(); ++d)
      idxExprs.push_back(b.getAffineDimExpr(axis + d));
    SmallVector<AffineMap> maps = {AffineMap::get(outRank, 0, idxExprs, ctx),
                                   b.getMultiDimIdentityMap(outRank)};
    SmallVector<utils::IteratorType> iters(outRank,
                                           utils::IteratorType::parallel);
    Value data = in[0];
    int64_t idxRank = it.getRank();
    Value axisSize = dim(loc, data, axis);
    setOut(linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{in[1]},
               ValueRange{init}, maps, iters,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value idx = arith::IndexCastOp::create(
                     nb, nl, nb.getIndexType(), args[0]);
                 // Negative indices count from the end.
                 Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
                 Value neg = arith::CmpIOp::create(
                     nb, nl, arith::CmpIPredicate::slt, idx, zero);
                 Value wrapped = arith::AddIOp::create(nb, nl, idx, axisSize);
                 idx = arith::SelectOp::create(nb, nl, neg, wrapped, idx);
                 SmallVector<Value> coords;
                 for (int64_t d = 0; d < axis; ++d)
                   coords.push_back(linalg::IndexOp::create(nb, nl, d));
                 coords.push_back(idx);
                 for (int64_t d = axis + 1; d < rank; ++d)
                   coords.push_back(
                       linalg::IndexOp::create(nb, nl, d - 1 + idxRank));
                 Value v = tensor::ExtractOp::create(nb, nl, data, coords);
                 linalg::YieldOp::create(nb, nl, v);
               })
               .getResult(0));
    return success();
  }
  if (op == "Range") {
    if (failed(need(3)))
      return failure();
    Type elt = eltOf(in[0]);
    if (!isa<IntegerType>(elt) || eltOf(in[1]) != elt || eltOf(in[2]) != elt)
      return nodeError(node) << "only integer ranges are supported";
    SmallVector<Value> sc;
    for (int k = 0; k < 3; ++k) {
      if (typeOf(in[k]).getNumElements() != 1)
        return nodeError(node) << "start, limit and delta must be scalars";
      SmallVector<Value> idx(typeOf(in[k]).getRank(),
                             arith::ConstantIndexOp::create(b, loc, 0));
      Value v = tensor::ExtractOp::create(b, loc, in[k], idx);
      sc.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(), v));
    }
    // n = max(ceildiv(limit - start, delta), 0).
    Value diff = arith::SubIOp::create(b, loc, sc[1], sc[0]);
    Value n = arith::CeilDivSIOp::create(b, loc, diff, sc[2]);
    n = arith::MaxSIOp::create(b, loc, n,
                               arith::ConstantIndexOp::create(b, loc, 0));
    auto rt = RankedTensorType::get({ShapedType::kDynamic}, elt);
    setOut(tensor::GenerateOp::create(
        b, loc, rt, ValueRange{n},
        [&](OpBuilder &nb, Location nl, ValueRange ivs) {
          Value v = arith::AddIOp::create(
              nb, nl, sc[0], arith::MulIOp::create(nb, nl, ivs[0], sc[2]));
          tensor::YieldOp::create(
              nb, nl, arith::IndexCastOp::create(nb, nl, elt, v).getResult());
        }));
    return success();
  }
  return nodeError(node) << "unsupported operator";
}

FailureOr<OwningOpRef<ModuleOp>> Importer::run() {
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (!model.has_graph())
    return error() << "the model has no graph";
  if (opset == 0)
    return error() << "the model does not import the default ONNX opset";
  if (opset < 7 || opset > 21)
    return error() << "unsupported opset " << opset << " (7 to 21 supported)";
  if (failed(readInitializersAndInputs()) || failed(foldConstants()))
    return failure();
  matchBitLinears();
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
  for (const onnx::ValueInfoProto &vi : graph.input()) {
    if (constant(vi.name()))
      continue;
    if (!vi.type().has_tensor_type())
      return error() << "input '" << vi.name() << "' is not a tensor";
    const onnx::TypeProto::Tensor &tt = vi.type().tensor_type();
    Type elt = elementType(tt.elem_type());
    if (!elt)
      return error() << "input '" << vi.name()
                     << "' has unsupported element type " << tt.elem_type();
    if (!tt.has_shape())
      return error() << "input '" << vi.name() << "' has no rank";
    SmallVector<int64_t> shape;
    for (const onnx::TensorShapeProto::Dimension &d : tt.shape().dim())
      shape.push_back(d.has_dim_value() ? d.dim_value()
                                        : ShapedType::kDynamic);
    argTypes.push_back(RankedTensorType::get(shape, elt));
    argNames.push_back(vi.name());
  }
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, fileLoc, options.entryName,
                                   b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (size_t k = 0; k < argNames.size(); ++k) {
    values[argNames[k]] = entry->getArgument(k);
    graphInputs.insert(argNames[k]);
    func.setArgAttr(k, "onnx.name", b.getStringAttr(argNames[k]));
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
      auto xt = dyn_cast<RankedTensorType>(x->getType());
      if (!xt || !xt.getElementType().isF32() || xt.getRank() < 1 ||
          (!xt.isDynamicDim(xt.getRank() - 1) &&
           xt.getShape().back() != mit->second.cols))
        return nodeError(n) << "BitLinear input does not match its weight";
      values[n.output(0)] = emitBitLinear(nodeLoc(n), mit->second, *x);
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
    if (allConst) {
      if (auto outs = foldOp(n.op_type(), ins, foldAttrs(n), opsetOf(n))) {
        for (size_t o = 0; o < outs->size() && o < (size_t)n.output_size();
             ++o)
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
  for (size_t k = 0; k < results.size(); ++k)
    func.setResultAttr(k, "onnx.name",
                       b.getStringAttr(graph.output(k).name()));
  // Constants materialized for folded uses (shape operands) may be dead.
  SmallVector<Operation *> bodyOps;
  for (Operation &op : func.getBody().front())
    bodyOps.push_back(&op);
  for (Operation *op : llvm::reverse(bodyOps))
    if (isOpTriviallyDead(op))
      op->erase();
  if (failed(verify(*module)))
    return error() << "the imported module does not verify";
  return module;
}

} // namespace

void registerONNXImportDialects(MLIRContext *context) {
  context->loadDialect<arith::ArithDialect, func::FuncDialect,
                       linalg::LinalgDialect, math::MathDialect,
                       tensor::TensorDialect, BitNetDialect>();
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
           << "'" << path << "': cannot read the file: "
           << buf.getError().message();
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importONNXBuffer((*buf)->getBuffer(), path, dir, context, options);
}

} // namespace mlir::bitnet
