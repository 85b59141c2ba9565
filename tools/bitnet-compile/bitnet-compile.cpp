//===- bitnet-compile.cpp - The bitnet-mlir compiler driver ---------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// bitnet-compile model.onnx --emit=mlir [-o out.mlir]: imports an ONNX model,
// raises its BitLinears and prints the bitnet-level module.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Import/ONNX/ONNXImporter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {
enum class EmitKind { MLIR };
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::OptionCategory category("bitnet-compile options");
  llvm::cl::opt<std::string> inputFile(llvm::cl::Positional,
                                       llvm::cl::desc("<model.onnx>"),
                                       llvm::cl::Required,
                                       llvm::cl::cat(category));
  llvm::cl::opt<std::string> outputFile(
      "o", llvm::cl::desc("Output file"), llvm::cl::value_desc("filename"),
      llvm::cl::init("-"), llvm::cl::cat(category));
  llvm::cl::opt<EmitKind> emit(
      "emit", llvm::cl::desc("What to produce"),
      llvm::cl::values(clEnumValN(EmitKind::MLIR, "mlir",
                                  "the raised bitnet-level MLIR module")),
      llvm::cl::init(EmitKind::MLIR), llvm::cl::cat(category));
  llvm::cl::opt<bool> noRaise(
      "no-raise", llvm::cl::desc("Import without recognising BitLinears"),
      llvm::cl::init(false), llvm::cl::cat(category));
  llvm::cl::opt<bool> debugInfo(
      "mlir-print-debuginfo",
      llvm::cl::desc("Print the locations (ONNX node names)"),
      llvm::cl::init(false), llvm::cl::cat(category));
  // Only our options in --help, not every flag libLLVM registers.
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(argc, argv, "bitnet-mlir compiler\n");

  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, llvm::errs());

  bitnet::ImportOptions options;
  options.raiseBitLinear = !noRaise;
  FailureOr<OwningOpRef<ModuleOp>> module =
      bitnet::importONNXFile(inputFile, &context, options);
  if (failed(module))
    return 1;

  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << "bitnet-compile: " << error << "\n";
    return 1;
  }
  OpPrintingFlags flags;
  if (debugInfo)
    flags.enableDebugInfo();
  (**module)->print(output->os(), flags);
  output->os() << "\n";
  output->keep();
  return 0;
}
