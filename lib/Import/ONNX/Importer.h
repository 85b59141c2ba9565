//===- Importer.h - The ONNX importer's state ------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The importer class shared by the files of lib/Import/ONNX: graph reading
// and folding (ONNXImporter.cpp), per-op emission (Emit*.cpp) and symbolic
// dimensions (DimAnalysis.cpp). Private to lib/Import/ONNX.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_LIB_IMPORT_ONNX_IMPORTER_H
#define BITNET_LIB_IMPORT_ONNX_IMPORTER_H

#include "ConstTensor.h"
#include "DimAnalysis.h"

#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"
#include "bitnet/Import/ONNX/ONNXImporter.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <optional>
#include <string>

namespace mlir::bitnet::onnx_import {

/// Reads a TensorProto into a host tensor; external data is read relative to
/// `baseDir`. Errors go to `error`.
FailureOr<ConstPtr> readTensor(const onnx::TensorProto &t, StringRef baseDir,
                               std::string &error);

/// A recognised BitLinear: `anchor` is the node whose output it replaces.
struct BitLinearMatch {
  std::string input;
  /// The ternary scales; the values are in `packed` (plain layout).
  TernarySplit weight;
  SmallVector<uint8_t> packed;
  /// `plain` (ternary) or `int8` (8-bit weights: a W8A8 layer).
  TernaryLayout layout = TernaryLayout::plain;
  int64_t rows = 0, cols = 0;
  unsigned bits = 8;
  QuantMethod method = QuantMethod::absmax;
  std::optional<int64_t> hadamard;
  std::optional<double> topk;
  /// If set, `input` is first reshaped to this ONNX shape tensor (the
  /// Hadamard was written on a [..., blocks, B] view).
  std::string inputShape;
};

/// scf.if with results of `types` and both regions filled by callbacks
/// (which must end with scf.yield).
inline scf::IfOp buildIf(OpBuilder &b, Location loc, TypeRange types,
                         Value cond,
                         function_ref<void(OpBuilder &, Location)> thenFn,
                         function_ref<void(OpBuilder &, Location)> elseFn) {
  auto op = scf::IfOp::create(b, loc, types, cond, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(op.thenBlock());
  thenFn(b, loc);
  b.setInsertionPointToStart(op.elseBlock());
  elseFn(b, loc);
  return op;
}

class Importer {
public:
  Importer(const onnx::ModelProto &model, StringRef fileName, StringRef baseDir,
           MLIRContext *ctx, const ImportOptions &options)
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
  bool isDeferredCast(const onnx::NodeProto &n, ArrayRef<ConstPtr> ins);
  /// A weight Mul(Cast(q, to=float), g) of a constant integer q [k, n] and
  /// a constant f32 g broadcasting to [k, n], read as the folded chain.
  struct CastWeight {
    ConstPtr q, g;
    int64_t k = 0, n = 0;
    int64_t gRowStride = 0, gColStride = 0;
    /// Element [row, col] with the f32 roundings of Cast and Mul.
    float at(int64_t row, int64_t col) const {
      float x = static_cast<float>(q->i[row * n + col]);
      return x * g->f[row * gRowStride + col * gColStride];
    }
  };
  std::optional<CastWeight> castWeight(StringRef name);
  /// Packs an int8 CastWeight's [n, k] transpose to the plain layout and
  /// finds its scales without the f32 product, when q is ternary and g a
  /// positive scale per tensor or output channel; false otherwise.
  static bool packCastWeightPlain(const CastWeight &cw,
                                  SmallVector<uint8_t> &packed,
                                  SmallVector<float> &scales);
  /// The `int8` layout (the [n, k] transpose, one byte per weight) of an
  /// int8 CastWeight whose values are not all ternary, with g as scales, when
  /// g is a positive scale per tensor or output channel; false otherwise.
  static bool packCastWeightInt8(const CastWeight &cw,
                                 SmallVector<uint8_t> &packed,
                                 SmallVector<float> &scales);
  /// Drops the constants that nothing emitted reads (folded intermediates,
  /// weights of matched BitLinears).
  void pruneConstants();
  void matchBitLinears();
  std::optional<BitLinearMatch> matchAt(const onnx::NodeProto &node);
  struct HadamardMatch {
    std::string input, shape;
    int64_t block = 0;
  };
  /// A normalized Sylvester Hadamard transform producing `x`: MatMul by a
  /// constant (block-diagonal) matrix, or butterfly stages, possibly on a
  /// [..., blocks, B] view reshaped back to [..., K].
  std::optional<HadamardMatch> matchHadamard(StringRef x);
  std::optional<SmallVector<int64_t>> trailingShape(StringRef target,
                                                    size_t count);
  bool isSizesShape(StringRef target);
  LogicalResult checkSupported();
  LogicalResult emitNode(const onnx::NodeProto &node);

  // Graph queries.
  /// The node producing `name`, if it has the inputs its op requires: the
  /// pattern matchers read a producer's inputs unchecked, and a malformed
  /// node must fail to match (emission then reports it).
  const onnx::NodeProto *producer(StringRef name) {
    auto it = producers.find(name);
    if (it == producers.end())
      return nullptr;
    const onnx::NodeProto &n = graph.node(it->second);
    return n.input_size() >= minInputs(n.op_type()) ? &n : nullptr;
  }
  static int minInputs(StringRef opType) {
    if (opType == "Constant")
      return 0;
    if (opType == "ScatterElements")
      return 3;
    if (llvm::is_contained({"Add", "Sub", "Mul", "Div", "MatMul",
                            "MatMulInteger", "Reshape", "Expand", "Gather",
                            "GatherElements"},
                           opType))
      return 2;
    return 1;
  }
  /// The producer of `name` if it is an `opType` node with at least the
  /// inputs the matchers read (malformed nodes never match).
  const onnx::NodeProto *producerOf(StringRef name, StringRef opType) {
    const onnx::NodeProto *n = producer(name);
    if (!n || n->op_type() != opType)
      return nullptr;
    int minInputs = llvm::StringSwitch<int>(opType)
                        .Cases({"Add", "Sub", "Mul", "Div", "MatMul",
                                "MatMulInteger", "Reshape", "Expand",
                                "Gather", "TopK"},
                               2)
                        .Case("ScatterElements", 3)
                        .Case("Slice", 3)
                        .Case("Concat", 0)
                        .Default(1);
    return n->input_size() >= minInputs ? n : nullptr;
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
  Value materialize(const ConstPtr &c, StringRef name, Location loc);
  Type elementType(int32_t dtype);
  Value dim(Location loc, Value v, int64_t d);
  /// Elementwise op with numpy broadcasting. `shapeHint` (with `hintDyn`
  /// index values for its dynamic entries) takes part in the broadcast
  /// (Expand), or with `hintIsShape` is the exact output shape.
  Value
  emitElementwise(Location loc, ArrayRef<Value> ins, Type elemType,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body,
                  std::optional<ArrayRef<int64_t>> shapeHint = {},
                  ArrayRef<Value> hintDyn = {}, bool hintIsShape = false);
  static Value zeroOf(OpBuilder &nb, Location loc, Type elt);
  Value indexConst(int64_t v);
  /// `idx` (index) wrapped if negative and `wrapNegative`, then clamped
  /// into [0, max(size - 1, 0)].
  static Value clampIndex(OpBuilder &nb, Location loc, Value idx, Value size,
                          bool wrapNegative);
  /// Element `k` of the integer tensor `t` (rank <= 1) as an index.
  Value scalarIndex(Location loc, Value t, int64_t k, bool isUnsigned = false);
  /// Reshape whose element count is checked at run time unless provable:
  /// a mismatch yields zeros instead of an out-of-bounds view.
  Value emitReshapeChecked(Location loc, Value x, ArrayRef<int64_t> shape,
                           ArrayRef<Value> dynDims);
  /// `x` reshaped to the shape held by the (tracked) shape tensor `target`,
  /// whose entries are sizes (no 0 or -1).
  FailureOr<Value> reshapeTo(Location loc, Value x, StringRef target);

  /// One node being emitted.
  struct NodeIO {
    const onnx::NodeProto &node;
    Location loc;
    SmallVector<Value> in;
    SmallVector<ConstPtr> cin;
    bool has(size_t k) const { return k < in.size() && in[k]; }
  };
  void setOut(const onnx::NodeProto &node, size_t k, Value v) {
    if (k < static_cast<size_t>(node.output_size()) && !node.output(k).empty())
      values[node.output(k)] = v;
  }
  LogicalResult emitNodeImpl(const onnx::NodeProto &node);
  /// Ops of EmitIndexOps.cpp; nullopt if `io` is not one of them.
  std::optional<LogicalResult> emitIndexOp(NodeIO &io);
  /// Gemm, LayerNormalization, TopK and other composite ops.
  std::optional<LogicalResult> emitCompositeOp(NodeIO &io);

  /// ONNX element type of a value (MLIR integers are signless).
  int32_t dtypeOf(StringRef name);
  bool isUnsigned(StringRef name);
  static bool isUnsignedType(int32_t dtype) {
    return dtype == kUInt8 || dtype == kUInt16 || dtype == kUInt32 ||
           dtype == kUInt64;
  }
  Value emitReduce(Location loc, Value x, ArrayRef<int64_t> axes, bool keepdims,
                   StringRef kind, bool isUnsigned = false);
  Value emitMatMul(Location loc, Value a, Value bv, bool integer);
  Value emitReshape(Location loc, Value x, ArrayRef<int64_t> shape,
                    ArrayRef<Value> dynDims);
  Value emitUnitDimReshape(Location loc, Value x, ArrayRef<int64_t> shape,
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
  /// Transposed float weights for splitTernary, reused across matches.
  std::vector<float> transposeScratch;
  SmallVector<bool> live;
  SmallVector<bool> folded;
  llvm::StringSet<> graphInputs;
  /// ONNX element types of emitted values.
  llvm::StringMap<int32_t> dtypes;
  DimAnalysis dims;
  /// A statically invalid shape was diagnosed during emission.
  bool shapeError = false;
};

} // namespace mlir::bitnet::onnx_import

#endif // BITNET_LIB_IMPORT_ONNX_IMPORTER_H
