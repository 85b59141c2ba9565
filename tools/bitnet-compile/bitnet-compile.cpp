//===- bitnet-compile.cpp - The bitnet-mlir compiler driver ---------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// bitnet-compile model.onnx [--target=...] [-mcpu=...] [-mattr=...]
//                [--emit=mlir|llvm|obj|so] [-o out]
// A thin driver over compileONNXModel (lib/Compiler).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Compiler/Compiler.h"
#include "bitnet/Target/TargetSpec.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::bitnet;

static std::string getCPULevelsHelp() {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "\nNamed CPU levels for -mcpu (any LLVM CPU name also works):\n";
  for (auto [name, description] : getNamedCPULevels())
    os << "  " << llvm::left_justify(name, 20) << description << "\n";
  return text;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::OptionCategory category("bitnet-compile options");
  llvm::cl::opt<std::string> inputFile(llvm::cl::Positional,
                                       llvm::cl::desc("<model.onnx>"),
                                       llvm::cl::Required,
                                       llvm::cl::cat(category));
  llvm::cl::opt<std::string> outputFile(
      "o",
      llvm::cl::desc("Output file (default: stdout for mlir/llvm, "
                     "<model>.o / <model>.so in the current directory)"),
      llvm::cl::value_desc("filename"), llvm::cl::cat(category));
  llvm::cl::opt<OutputKind> emit(
      "emit", llvm::cl::desc("What to produce"),
      llvm::cl::values(
          clEnumValN(OutputKind::MLIR, "mlir",
                     "the raised bitnet-level MLIR module"),
          clEnumValN(OutputKind::LLVMIR, "llvm", "optimized LLVM IR"),
          clEnumValN(OutputKind::Object, "obj",
                     "an object file of the model (no runtime)"),
          clEnumValN(OutputKind::SharedLibrary, "so",
                     "model.so: model + runtime, the C ABI of "
                     "bitnet-c/Runtime.h")),
      llvm::cl::init(OutputKind::SharedLibrary), llvm::cl::cat(category));
  llvm::cl::opt<std::string> target(
      "target",
      llvm::cl::desc("host (default), x86_64, aarch64, riscv64 or an LLVM "
                     "Linux triple"),
      llvm::cl::init("host"), llvm::cl::cat(category));
  llvm::cl::opt<std::string> cpu(
      "mcpu", llvm::cl::desc("CPU: an LLVM CPU name or a named level "
                             "(listed at the end of --help)"),
      llvm::cl::cat(category));
  llvm::cl::opt<std::string> mattr(
      "mattr", llvm::cl::desc("Extra LLVM features, e.g. +dotprod,+i8mm"),
      llvm::cl::cat(category));
  llvm::cl::opt<bool> noRaise(
      "no-raise", llvm::cl::desc("Import without recognising BitLinears"),
      llvm::cl::init(false), llvm::cl::cat(category));
  llvm::cl::opt<bool> kvCache(
      "kv-cache",
      llvm::cl::desc("Decoders: replace past_*/present_* by an in-place KV "
                     "cache the runtime owns (for bitnet-run --generate)"),
      llvm::cl::init(false), llvm::cl::cat(category));
  llvm::cl::opt<KernelMode> kernel(
      "kernel", llvm::cl::desc("How ternary matmuls are computed"),
      llvm::cl::init(KernelMode::Auto),
      llvm::cl::values(
          clEnumValN(KernelMode::Auto, "auto",
                     "the best microkernel the target can run (default)"),
          clEnumValN(KernelMode::Int2, "int2", "the int2 microkernels"),
          clEnumValN(KernelMode::Reference, "reference",
                     "the portable reference lowering")),
      llvm::cl::cat(category));
  llvm::cl::opt<bool> printKernelPlan(
      "print-kernel-plan",
      llvm::cl::desc("Print the kernel chosen for every ternary matmul"),
      llvm::cl::init(false), llvm::cl::cat(category));
  llvm::cl::opt<bool> quiet("q", llvm::cl::desc("No progress on stderr"),
                            llvm::cl::init(false), llvm::cl::cat(category));
  llvm::cl::opt<bool> debugInfo(
      "mlir-print-debuginfo",
      llvm::cl::desc("Print the locations (ONNX node names)"),
      llvm::cl::init(false), llvm::cl::cat(category));
  // Only our options in --help, not every flag libLLVM registers.
  llvm::cl::HideUnrelatedOptions(category);
  std::string cpuLevelsHelp = getCPULevelsHelp();
  llvm::cl::extrahelp cpuLevels(cpuLevelsHelp.c_str());
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "bitnet-compile (bitnet-mlir) with LLVM " LLVM_VERSION_STRING "\n";
  });
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "bitnet-mlir compiler: ONNX model -> native model library\n\n"
      "  bitnet-compile model.onnx --target=aarch64 -mcpu=armv8.2-a+dotprod "
      "-o model.so\n");

  CompileOptions options;
  options.target = target;
  options.cpu = cpu;
  options.features = mattr;
  options.output = emit;
  options.import.raiseBitLinear = !noRaise;
  options.printDebugInfo = debugInfo;
  options.kvCache = kvCache;
  options.kernel = kernel;
  options.printKernelPlan = printKernelPlan;
  options.toolchain = getDefaultToolchainPaths(
      llvm::sys::fs::getMainExecutable(argv[0], (void *)&getCPULevelsHelp));
  // Progress only for the long outputs.
  if (!quiet && (emit == OutputKind::Object || emit == OutputKind::SharedLibrary))
    options.progress = &llvm::errs();

  std::string output = outputFile;
  if (output.empty()) {
    if (emit == OutputKind::Object || emit == OutputKind::SharedLibrary)
      output = (llvm::sys::path::stem(inputFile) +
                (emit == OutputKind::Object ? ".o" : ".so"))
                   .str();
    else
      output = "-";
  }

  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  // Diagnostics name the ONNX node; the op behind it is internal IR.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, llvm::errs());
  return failed(compileONNXModel(inputFile, output, options, context)) ? 1 : 0;
}
