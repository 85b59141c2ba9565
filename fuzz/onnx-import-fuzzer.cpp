//===- onnx-import-fuzzer.cpp - libFuzzer target for the ONNX importer ----===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Feeds a serialized ONNX ModelProto to importONNXBuffer (BitLinear raising
// on), then verifies and prints the module. Every malformed input must end in
// a diagnostic (swallowed here); a crash, sanitizer report, abort or hang is a
// bug. The custom mutator parses the ModelProto and edits one field (dims,
// attribute values, op types, initializer data, nodes, opset) before
// reserializing, so mutations stay on valid protobuf most of the time; a
// quarter of the mutations (and any input that does not parse) fall back to
// libFuzzer's byte-level mutator.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Import/ONNX/ONNXImporter.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size,
                                   size_t maxSize);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: no state (uniqued attributes, resource blobs)
  // carries over, so every crash reproduces from its input alone.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler swallow(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::bitnet::ImportOptions options;
  options.raiseBitLinear = true;
  // External data resolves against a directory that does not exist, so no
  // input reads the file system.
  auto module = mlir::bitnet::importONNXBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size),
      "fuzz.onnx", "/nonexistent-bitnet-fuzz-dir", &context, options);
  if (mlir::failed(module))
    return 0;
  if (mlir::failed(mlir::verify(**module)))
    return 0;
  (*module)->print(llvm::nulls());
  return 0;
}

//===----------------------------------------------------------------------===//
// Structure-aware mutator
//===----------------------------------------------------------------------===//

namespace {

const char *const kOpTypes[] = {
    "Abs",        "Add",         "And",          "Cast",
    "Ceil",       "Clip",        "Concat",       "Constant",
    "ConstantOfShape", "Cos",    "Div",          "Equal",
    "Erf",        "Exp",         "Expand",       "Floor",
    "Gather",     "GatherElements", "Gemm",      "Greater",
    "GreaterOrEqual", "Identity", "LayerNormalization", "Less",
    "LessOrEqual", "Log",        "MatMul",       "MatMulInteger",
    "Max",        "Min",         "Mod",          "Mul",
    "Neg",        "Not",         "Or",           "Pow",
    "Range",      "Reciprocal",  "ReduceMax",    "ReduceMean",
    "ReduceMin",  "ReduceSum",   "Relu",         "Reshape",
    "Round",      "ScatterElements", "Shape",    "Sigmoid",
    "Sign",       "Sin",         "Slice",        "Softmax",
    "Sqrt",       "Squeeze",     "Sub",          "Tanh",
    "TopK",       "Transpose",   "Trilu",        "Unsqueeze",
    "Where",      "Xor",         "DynamicQuantizeLinear", "QuantizeLinear",
    "DequantizeLinear", "Split", "Tile"};

const int64_t kInterestingInts[] = {
    0,          1,          -1,         2,          3,
    4,          -2,         7,          8,          16,
    64,         255,        256,        65535,      (1LL << 31) - 1,
    1LL << 31,  1LL << 32,  1LL << 40,  (1LL << 62), -(1LL << 31),
    std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};

const int32_t kDataTypes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                              16, 22};

class Mutator {
public:
  Mutator(onnx::ModelProto &model, unsigned seed, size_t maxSize)
      : model(model), rng(seed), maxSize(maxSize) {}

  bool mutate() {
    onnx::GraphProto *g = model.mutable_graph();
    switch (pick(12)) {
    case 0:
      return mutateOpType(g);
    case 1:
      return dropNode(g);
    case 2:
      return duplicateNode(g);
    case 3:
    case 4:
      return mutateAttribute(g);
    case 5:
    case 6:
      return mutateTensor(g);
    case 7:
      return rewireInput(g);
    case 8:
      return mutateValueInfo(g);
    case 9:
      return mutateOpset();
    case 10:
      return swapNodes(g);
    default:
      return mutateOutputs(g);
    }
  }

private:
  size_t pick(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  }
  int64_t interesting() {
    if (pick(3) == 0)
      return static_cast<int64_t>(pick(9)) - 2;
    return kInterestingInts[pick(std::size(kInterestingInts))];
  }
  /// v + 1, v - 1 or -v, wrapping (this TU runs under UBSan too).
  int64_t tweak(int64_t v) {
    uint64_t u = static_cast<uint64_t>(v);
    switch (pick(4)) {
    case 0:
      return interesting();
    case 1:
      return static_cast<int64_t>(u + 1);
    case 2:
      return static_cast<int64_t>(u - 1);
    default:
      return static_cast<int64_t>(0 - u);
    }
  }
  onnx::NodeProto *randomNode(onnx::GraphProto *g) {
    if (g->node_size() == 0)
      return nullptr;
    return g->mutable_node(pick(g->node_size()));
  }
  /// Any value name of the graph: inputs, initializers, node outputs.
  std::string randomValueName(onnx::GraphProto *g) {
    size_t total = g->input_size() + g->initializer_size();
    for (const onnx::NodeProto &n : g->node())
      total += n.output_size();
    if (total == 0)
      return "";
    size_t k = pick(total);
    if (k < static_cast<size_t>(g->input_size()))
      return g->input(k).name();
    k -= g->input_size();
    if (k < static_cast<size_t>(g->initializer_size()))
      return g->initializer(k).name();
    k -= g->initializer_size();
    for (const onnx::NodeProto &n : g->node()) {
      if (k < static_cast<size_t>(n.output_size()))
        return n.output(k);
      k -= n.output_size();
    }
    return "";
  }

  bool mutateOpType(onnx::GraphProto *g) {
    onnx::NodeProto *n = randomNode(g);
    if (!n)
      return false;
    n->set_op_type(kOpTypes[pick(std::size(kOpTypes))]);
    return true;
  }
  bool dropNode(onnx::GraphProto *g) {
    if (g->node_size() == 0)
      return false;
    g->mutable_node()->DeleteSubrange(pick(g->node_size()), 1);
    return true;
  }
  bool duplicateNode(onnx::GraphProto *g) {
    onnx::NodeProto *n = randomNode(g);
    if (!n)
      return false;
    onnx::NodeProto copy = *n;
    *g->add_node() = copy;
    return true;
  }
  bool swapNodes(onnx::GraphProto *g) {
    if (g->node_size() < 2)
      return false;
    g->mutable_node()->SwapElements(pick(g->node_size()),
                                    pick(g->node_size()));
    return true;
  }
  bool rewireInput(onnx::GraphProto *g) {
    onnx::NodeProto *n = randomNode(g);
    if (!n)
      return false;
    switch (pick(3)) {
    case 0:
      if (n->input_size() == 0)
        return false;
      n->set_input(pick(n->input_size()), randomValueName(g));
      return true;
    case 1:
      if (n->input_size() == 0)
        return false;
      n->mutable_input()->DeleteSubrange(pick(n->input_size()), 1);
      return true;
    default:
      *n->add_input() = pick(4) == 0 ? std::string() : randomValueName(g);
      return true;
    }
  }
  bool mutateOutputs(onnx::GraphProto *g) {
    if (pick(2) == 0 && g->output_size() > 0) {
      g->mutable_output(pick(g->output_size()))
          ->set_name(randomValueName(g));
      return true;
    }
    onnx::NodeProto *n = randomNode(g);
    if (!n || n->output_size() == 0)
      return false;
    n->set_output(pick(n->output_size()), randomValueName(g));
    return true;
  }
  bool mutateOpset() {
    if (model.opset_import_size() == 0)
      return false;
    onnx::OperatorSetIdProto *o =
        model.mutable_opset_import(pick(model.opset_import_size()));
    o->set_version(pick(2) == 0 ? static_cast<int64_t>(pick(24))
                                : tweak(o->version()));
    return true;
  }

  bool mutateTensorProto(onnx::TensorProto *t) {
    switch (pick(6)) {
    case 0: { // One dimension.
      if (t->dims_size() == 0) {
        t->add_dims(interesting());
        return true;
      }
      int k = pick(t->dims_size());
      t->set_dims(k, tweak(t->dims(k)));
      return true;
    }
    case 1: // Rank.
      if (t->dims_size() > 0 && pick(2) == 0)
        t->mutable_dims()->RemoveLast();
      else
        t->add_dims(pick(2) == 0 ? 1 : interesting());
      return true;
    case 2:
      t->set_data_type(kDataTypes[pick(std::size(kDataTypes))]);
      return true;
    case 3: { // Raw bytes.
      std::string raw = t->raw_data();
      size_t cap = std::max(raw.size(),
                            std::min<size_t>(raw.size() * 2 + 16, maxSize));
      raw.resize(cap);
      size_t n = LLVMFuzzerMutate(reinterpret_cast<uint8_t *>(raw.data()),
                                  t->raw_data().size(), cap);
      raw.resize(n);
      t->set_raw_data(raw);
      return true;
    }
    case 4: // One typed value.
      if (t->float_data_size() > 0) {
        t->set_float_data(pick(t->float_data_size()),
                          static_cast<float>(interesting()) /
                              static_cast<float>(1 + pick(4)));
        return true;
      }
      if (t->int64_data_size() > 0) {
        int k = pick(t->int64_data_size());
        t->set_int64_data(k, tweak(t->int64_data(k)));
        return true;
      }
      if (t->int32_data_size() > 0) {
        int k = pick(t->int32_data_size());
        t->set_int32_data(k, static_cast<int32_t>(tweak(t->int32_data(k))));
        return true;
      }
      if (t->raw_data().size() >= 4) {
        std::string raw = t->raw_data();
        int32_t v = static_cast<int32_t>(interesting());
        std::memcpy(&raw[pick(raw.size() / 4) * 4], &v, 4);
        t->set_raw_data(raw);
        return true;
      }
      return false;
    default: // Data storage: drop the values, or move them.
      if (pick(2) == 0) {
        t->clear_raw_data();
        t->clear_float_data();
        t->clear_int64_data();
        t->clear_int32_data();
      } else {
        t->add_int64_data(interesting());
      }
      return true;
    }
  }

  bool mutateTensor(onnx::GraphProto *g) {
    // Initializers, or a tensor attribute (Constant, ConstantOfShape).
    SmallTensorList tensors;
    for (onnx::TensorProto &t : *g->mutable_initializer())
      tensors.push_back(&t);
    for (onnx::NodeProto &n : *g->mutable_node())
      for (onnx::AttributeProto &a : *n.mutable_attribute())
        if (a.has_t())
          tensors.push_back(a.mutable_t());
    if (tensors.empty())
      return false;
    return mutateTensorProto(tensors[pick(tensors.size())]);
  }

  bool mutateAttribute(onnx::GraphProto *g) {
    onnx::NodeProto *n = randomNode(g);
    if (!n)
      return false;
    if (n->attribute_size() == 0 || pick(4) == 0) {
      static const char *const kNames[] = {
          "axis", "axes", "perm", "keepdims", "to", "k", "largest",
          "upper", "transA", "transB", "alpha", "beta", "epsilon",
          "value", "noop_with_empty_axes", "sorted", "mode"};
      onnx::AttributeProto *a = n->add_attribute();
      a->set_name(kNames[pick(std::size(kNames))]);
      if (pick(2) == 0) {
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(interesting());
      } else {
        a->set_type(onnx::AttributeProto::INTS);
        for (size_t k = 0, e = pick(5); k < e; ++k)
          a->add_ints(interesting());
      }
      return true;
    }
    onnx::AttributeProto *a = n->mutable_attribute(pick(n->attribute_size()));
    switch (a->type()) {
    case onnx::AttributeProto::INT:
      a->set_i(tweak(a->i()));
      return true;
    case onnx::AttributeProto::FLOAT:
      a->set_f(pick(2) == 0 ? static_cast<float>(interesting())
                            : -a->f() * 2.0f);
      return true;
    case onnx::AttributeProto::INTS:
      if (a->ints_size() == 0 || pick(3) == 0) {
        a->add_ints(interesting());
      } else {
        int k = pick(a->ints_size());
        a->set_ints(k, tweak(a->ints(k)));
      }
      return true;
    case onnx::AttributeProto::TENSOR:
      return mutateTensorProto(a->mutable_t());
    default:
      // Retype it: the importer must check attribute types.
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(interesting());
      return true;
    }
  }

  bool mutateValueInfo(onnx::GraphProto *g) {
    bool useInput = pick(2) == 0;
    auto *list = useInput ? g->mutable_input() : g->mutable_output();
    if (list->empty())
      return false;
    onnx::ValueInfoProto &vi = (*list)[pick(list->size())];
    onnx::TypeProto::Tensor *tt = vi.mutable_type()->mutable_tensor_type();
    switch (pick(4)) {
    case 0:
      tt->set_elem_type(kDataTypes[pick(std::size(kDataTypes))]);
      return true;
    case 1:
      if (pick(2) == 0 && tt->shape().dim_size() > 0)
        tt->mutable_shape()->mutable_dim()->RemoveLast();
      else
        tt->mutable_shape()->add_dim()->set_dim_value(interesting());
      return true;
    case 2: {
      if (tt->shape().dim_size() == 0)
        return false;
      onnx::TensorShapeProto::Dimension *d =
          tt->mutable_shape()->mutable_dim(pick(tt->shape().dim_size()));
      if (pick(3) == 0)
        d->set_dim_param("N");
      else
        d->set_dim_value(tweak(d->has_dim_value() ? d->dim_value() : 1));
      return true;
    }
    default:
      tt->clear_shape();
      return true;
    }
  }

  using SmallTensorList = std::vector<onnx::TensorProto *>;
  onnx::ModelProto &model;
  std::minstd_rand rng;
  size_t maxSize;
};

} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  onnx::ModelProto model;
  if (seed % 4 == 0 || size == 0 ||
      !model.ParseFromArray(data, static_cast<int>(size)) ||
      !model.has_graph())
    return LLVMFuzzerMutate(data, size, maxSize);
  Mutator mutator(model, seed, maxSize);
  bool changed = false;
  // One to three structured edits per mutation.
  for (unsigned k = 0, e = 1 + (seed >> 8) % 3; k < e; ++k)
    changed |= mutator.mutate();
  if (!changed)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::string out;
  if (!model.SerializeToString(&out) || out.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
