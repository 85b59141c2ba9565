//===- Compiler.cpp - ONNX model to native library, in process -----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Compiler/Compiler.h"
#include "bitnet/Compiler/ResourcePrinting.h"
#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "bitnet/Pipelines/Pipelines.h"
#include "bitnet/Target/ModelLibrary.h"
#include "bitnet/Target/TargetSpec.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Chrono.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include <chrono>

using namespace mlir;
using namespace mlir::bitnet;

void mlir::bitnet::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<BitNetDialect>();
}

namespace {
/// Prints "bitnet-compile: <stage> ... <ms>" lines when progress is on.
class Progress {
public:
  explicit Progress(llvm::raw_ostream *os) : os(os) {}
  void begin(StringRef stage) {
    start = std::chrono::steady_clock::now();
    if (os)
      *os << "bitnet-compile: " << stage << " ..." << "\n";
  }
  void end() {
    if (!os)
      return;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    *os << "bitnet-compile:   done in " << ms << " ms\n";
    os->flush();
  }

private:
  llvm::raw_ostream *os;
  std::chrono::steady_clock::time_point start;
};
} // namespace

static LogicalResult writeText(StringRef outputPath, Location loc,
                               function_ref<void(llvm::raw_ostream &)> write) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputPath, &error);
  if (!output)
    return emitError(loc) << error;
  write(output->os());
  output->keep();
  return success();
}

LogicalResult mlir::bitnet::compileONNXModel(StringRef inputPath,
                                             StringRef outputPath,
                                             const CompileOptions &options,
                                             MLIRContext &context) {
  Location fileLoc = FileLineColLoc::get(&context, inputPath, 0, 0);
  Progress progress(options.progress);

  // Resolve the target first: a typo in --target should not cost an import.
  llvm::Expected<TargetSpec> spec =
      resolveTarget(options.target, options.cpu, options.features);
  if (!spec)
    return emitError(fileLoc) << llvm::toString(spec.takeError());
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(*spec);
  if (!tm)
    return emitError(fileLoc) << llvm::toString(tm.takeError());

  // A missing output directory should not cost a whole compile either.
  if (outputPath != "-") {
    StringRef dir = llvm::sys::path::parent_path(outputPath);
    if (!dir.empty() && !llvm::sys::fs::is_directory(dir))
      return emitError(fileLoc) << "cannot write '" << outputPath
                                << "': no directory '" << dir << "'";
  }

  progress.begin(("importing " + inputPath).str());
  FailureOr<OwningOpRef<ModuleOp>> module =
      importONNXFile(inputPath, &context, options.import);
  if (failed(module))
    return failure();
  // The raised IR of a host compile stays host-independent (tests, diffs
  // between machines); every explicit target is recorded.
  if (options.output != OutputKind::MLIR || options.target != "host")
    (**module)->setAttr("bitnet.target", spec->getAttr(&context));
  progress.end();

  if (options.output == OutputKind::MLIR) {
    OpPrintingFlags flags;
    if (options.printDebugInfo)
      flags.enableDebugInfo();
    // Upstream's op->print, with large weight blobs streamed (same text).
    return writeText(outputPath, fileLoc, [&](llvm::raw_ostream &os) {
      printOpStreamingResources(**module, os, flags);
      os << "\n";
    });
  }

  progress.begin("lowering to the LLVM dialect (bitnet-pipeline)");
  BitNetPipelineOptions pipelineOptions;
  pipelineOptions.lowerTo = LowerTo::LLVM;
  pipelineOptions.modelInterface = true;
  pipelineOptions.kvCache = options.kvCache;
  pipelineOptions.entry = options.import.entryName;
  pipelineOptions.requiredFeatures = getRequiredCPUFeatures(**tm);
  pipelineOptions.kernel = options.kernel;
  pipelineOptions.printKernelPlan = options.printKernelPlan;
  PassManager pm(&context);
  buildBitNetPipeline(pm, pipelineOptions);
  if (failed(pm.run(**module)))
    return failure();
  progress.end();

  progress.begin("translating to LLVM IR and optimizing (O2) for " +
                 spec->triple + " " + spec->cpu);
  llvm::LLVMContext llvmContext;
  llvm::Expected<std::unique_ptr<llvm::Module>> llvmModule =
      translateModelToLLVMIR(**module, llvmContext, **tm);
  if (!llvmModule)
    return emitError(fileLoc) << llvm::toString(llvmModule.takeError());
  progress.end();
  if (options.output == OutputKind::LLVMIR)
    return writeText(outputPath, fileLoc, [&](llvm::raw_ostream &os) {
      (*llvmModule)->print(os, nullptr);
    });

  progress.begin("generating code");
  SmallVector<char, 0> object;
  if (llvm::Error error = emitObject(**llvmModule, **tm, object))
    return emitError(fileLoc) << llvm::toString(std::move(error));
  progress.end();
  if (options.output == OutputKind::Object) {
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> output =
        openOutputFile(outputPath, &error);
    if (!output)
      return emitError(fileLoc) << error;
    output->os().write(object.data(), object.size());
    output->keep();
    return success();
  }

  progress.begin(("linking " + outputPath).str());
  if (llvm::Error error =
          linkModelLibrary(object, *spec, options.toolchain, outputPath))
    return emitError(fileLoc) << llvm::toString(std::move(error));
  progress.end();
  return success();
}
