//===- CompilerBindings.cpp - bitnet.compile and bitnet.opt -----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Both entry points return (ok, result, diagnostics) instead of raising: the
// Python layer turns failures into bitnet.CompileError. A diagnostic is
// (severity, where, message, node names), where `where` renders the location
// and the node names are the NameLocs the ONNX importer puts on its ops.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "bitnet/Compiler/Compiler.h"
#include "bitnet/Conversion/Passes.h"
#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "bitnet/Pipelines/Pipelines.h"
#include "bitnet/Target/ModelLibrary.h"
#include "bitnet/Target/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/stl.h>

#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace py = pybind11;
using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct Diag {
  std::string severity;
  std::string where;
  std::string message;
  std::vector<std::string> nodes;
};
using Diags = std::vector<Diag>;

/// The ONNX node names in `loc`: the importer locates ops by
/// NameLoc(node name, NameLoc(op type)), so the outermost NameLoc of each
/// chain is the node (fusions keep one chain per node).
void collectNodes(Location loc, std::vector<std::string> &nodes) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    nodes.push_back(name.getName().str());
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location child : fused.getLocations())
      collectNodes(child, nodes);
  } else if (auto call = dyn_cast<CallSiteLoc>(loc)) {
    collectNodes(call.getCallee(), nodes);
  }
}

/// "file:line:col" when the location has one, else "'node' (OpType)".
std::string describe(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().str() + ":" + std::to_string(file.getLine()) +
            ":" + std::to_string(file.getColumn()));
  if (auto name = dyn_cast<NameLoc>(loc)) {
    std::string text = "'" + name.getName().str() + "'";
    if (auto op = dyn_cast<NameLoc>(name.getChildLoc()))
      return text + " (" + op.getName().str() + ")";
    std::string child = describe(name.getChildLoc());
    return child.empty() ? text : text + " at " + child;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    std::string text;
    for (Location child : fused.getLocations()) {
      std::string part = describe(child);
      if (!part.empty())
        text += (text.empty() ? "" : ", ") + part;
    }
    return text;
  }
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return describe(call.getCallee());
  return "";
}

const char *severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  return "error";
}

void record(Diagnostic &diag, Diags &diags) {
  Diag entry{severityName(diag.getSeverity()),
             describe(diag.getLocation()),
             diag.str(),
             {}};
  collectNodes(diag.getLocation(), entry.nodes);
  diags.push_back(std::move(entry));
  for (Diagnostic &note : diag.getNotes())
    record(note, diags);
}

/// Collects every diagnostic of `context` while alive.
class Collector {
public:
  explicit Collector(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          record(diag, diags);
          return success();
        }) {}
  Diags diags;

private:
  ScopedDiagnosticHandler handler;
};

py::list toPython(const Diags &diags) {
  py::list list;
  for (const Diag &d : diags)
    list.append(py::make_tuple(d.severity, d.where, d.message, d.nodes));
  return list;
}

OutputKind parseEmit(const std::string &emit) {
  if (emit == "so")
    return OutputKind::SharedLibrary;
  if (emit == "obj")
    return OutputKind::Object;
  if (emit == "llvm")
    return OutputKind::LLVMIR;
  if (emit == "mlir")
    return OutputKind::MLIR;
  throw py::value_error("emit must be 'so', 'obj', 'llvm' or 'mlir', not '" +
                        emit + "'");
}

py::tuple compile(const std::string &input, const std::string &output,
                  const std::string &target, const std::string &cpu,
                  const std::string &features, const std::string &emit,
                  const std::string &resourceDir, bool raiseBitLinear,
                  bool debugInfo, bool kvCache, const std::string &kernel) {
  CompileOptions options;
  if (kernel == "auto")
    options.kernel = KernelMode::Auto;
  else if (kernel == "int2")
    options.kernel = KernelMode::Int2;
  else if (kernel == "reference")
    options.kernel = KernelMode::Reference;
  else
    throw py::value_error("kernel must be 'auto', 'int2' or 'reference', not '" +
                          kernel + "'");
  options.target = target;
  options.cpu = cpu;
  options.features = features;
  options.output = parseEmit(emit);
  options.import.raiseBitLinear = raiseBitLinear;
  options.printDebugInfo = debugInfo;
  options.kvCache = kvCache;
  // No main executable here: the resource dir comes from Python.
  options.toolchain = getDefaultToolchainPaths("");
  if (!resourceDir.empty())
    options.toolchain.resourceDir = resourceDir;

  bool ok;
  Diags diags;
  {
    py::gil_scoped_release release;
    DialectRegistry registry;
    registerCompilerDialects(registry);
    MLIRContext context(registry);
    Collector collector(context);
    ok = succeeded(compileONNXModel(input, output, options, context));
    diags = std::move(collector.diags);
  }
  return py::make_tuple(ok, py::none(), toPython(diags));
}

void registerPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    registerBitNetPasses();
    registerBitNetConversionPasses();
    registerBitNetTargetPasses();
    registerBitNetPipelines();
  });
}

py::tuple opt(const std::string &source, std::string pipeline, bool debugInfo) {
  registerPassesOnce();
  // Accept both "a,b" and the anchored "builtin.module(a,b)".
  llvm::StringRef anchored(pipeline);
  if (anchored.consume_front("builtin.module(") && anchored.consume_back(")"))
    pipeline = anchored.str();

  bool ok = false;
  std::string printed;
  Diags diags;
  {
    py::gil_scoped_release release;
    DialectRegistry registry;
    registerCompilerDialects(registry);
    MLIRContext context(registry);
    Collector collector(context);
    ParserConfig config(&context);
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, config, "<input>");
    PassManager pm(&context);
    std::string pipelineError;
    llvm::raw_string_ostream errorStream(pipelineError);
    if (module && failed(parsePassPipeline(pipeline, pm, errorStream))) {
      collector.diags.push_back(
          {"error",
           "",
           "invalid pass pipeline: " +
               llvm::StringRef(pipelineError).trim().str(),
           {}});
    } else if (module && succeeded(pm.run(*module))) {
      ok = true;
      OpPrintingFlags flags;
      if (debugInfo)
        flags.enableDebugInfo();
      llvm::raw_string_ostream os(printed);
      module->print(os, flags);
      os << "\n";
    }
    diags = std::move(collector.diags);
  }
  return py::make_tuple(ok, ok ? py::object(py::str(printed)) : py::none(),
                        toPython(diags));
}
} // namespace

void mlir::bitnet::python::populateCompilerBindings(py::module_ &m) {
  m.def("compile", &compile, py::arg("input"), py::arg("output"),
        py::arg("target"), py::arg("cpu"), py::arg("features"), py::arg("emit"),
        py::arg("resource_dir"), py::arg("raise_bitlinear"),
        py::arg("debug_info"), py::arg("kv_cache"), py::arg("kernel"),
        "Compiles an ONNX file; returns (ok, None, diagnostics).");
  m.def("opt", &opt, py::arg("source"), py::arg("pipeline"),
        py::arg("debug_info"),
        "Runs a pass pipeline on MLIR text; returns (ok, text, diagnostics).");
}
