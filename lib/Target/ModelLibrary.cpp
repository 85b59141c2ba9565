//===- ModelLibrary.cpp - LLVM IR, objects and model.so -------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/ModelLibrary.h"
#include "bitnet/Target/ModelInterface.h"
#include "bitnet/Target/TargetSpec.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

#include <fcntl.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::bitnet;

static llvm::Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

ToolchainPaths mlir::bitnet::getDefaultToolchainPaths(StringRef mainExecutable) {
  ToolchainPaths paths;
  if (const char *env = std::getenv("BITNET_RESOURCE_DIR")) {
    paths.resourceDir = env;
  } else {
    SmallString<256> dir(llvm::sys::path::parent_path(mainExecutable));
    llvm::sys::path::append(dir, "..", "lib", "bitnet");
    llvm::sys::path::remove_dots(dir, /*remove_dot_dot=*/true);
    paths.resourceDir = dir.str().str();
  }
#ifdef BITNET_LLD_EXECUTABLE
  if (llvm::sys::fs::can_execute(BITNET_LLD_EXECUTABLE))
    paths.lld = BITNET_LLD_EXECUTABLE;
#endif
  for (StringRef name : {"ld.lld-22", "ld.lld"}) {
    if (!paths.lld.empty())
      break;
    if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName(name))
      paths.lld = *found;
  }
  return paths;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
mlir::bitnet::translateModelToLLVMIR(ModuleOp module,
                                     llvm::LLVMContext &llvmContext,
                                     llvm::TargetMachine &tm) {
  // A fixed module name: nothing of the host (paths) reaches the library.
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "model");
  if (!llvmModule)
    return makeError("translation to LLVM IR failed");
  llvmModule->setSourceFileName("model");
  llvmModule->setTargetTriple(tm.getTargetTriple());
  llvmModule->setDataLayout(tm.createDataLayout());

  auto isInterface = [](const llvm::GlobalValue &gv) {
    return gv.getName() == kModelRunSymbol ||
           gv.getName() == kModelMetadataSymbol;
  };
  for (llvm::GlobalValue &gv : llvmModule->global_values()) {
    if (gv.isDeclaration())
      continue;
    if (isInterface(gv)) {
      gv.setLinkage(llvm::GlobalValue::ExternalLinkage);
      gv.setVisibility(llvm::GlobalValue::HiddenVisibility);
    } else {
      gv.setLinkage(llvm::GlobalValue::InternalLinkage);
    }
  }
  if (!llvmModule->getFunction(kModelRunSymbol) ||
      !llvmModule->getNamedGlobal(kModelMetadataSymbol))
    return makeError("the module has no model interface (run "
                     "bitnet-generate-model-interface)");
  // Per-function target attributes, so inlining and the vectorizer's cost
  // model see the target's features. With AVX-512, full-width vectors even
  // where the CPU's tuning prefers 256 bits (Intel server cores): the loops
  // left to the vectorizer (an int8 LM head, attention) are bound by the
  // uops they spend per byte streamed from memory, not by the clock.
  bool preferZmm = tm.getTargetTriple().getArch() == llvm::Triple::x86_64 &&
                   tm.getMCSubtargetInfo()->checkFeatures("+avx512f");
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", tm.getTargetCPU());
    if (!tm.getTargetFeatureString().empty())
      f.addFnAttr("target-features", tm.getTargetFeatureString());
    if (preferZmm)
      f.addFnAttr("prefer-vector-width", "512");
  }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(*llvmModule, mam);
  return llvmModule;
}

llvm::Error mlir::bitnet::emitObject(llvm::Module &module,
                                     llvm::TargetMachine &tm,
                                     SmallVectorImpl<char> &object) {
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             llvm::CodeGenFileType::ObjectFile))
    return makeError("the LLVM target cannot emit object files");
  pm.run(module);
  return llvm::Error::success();
}

/// The first existing `dir/name` among `dirs`.
static std::optional<std::string> findIn(ArrayRef<std::string> dirs,
                                         StringRef name) {
  for (const std::string &dir : dirs) {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    if (llvm::sys::fs::exists(path))
      return path.str().str();
  }
  return std::nullopt;
}

/// libgcc.a of the newest GCC for `multiarch` (native or cross), for the
/// compiler support routines LLVM may call (e.g. half-precision conversions).
static std::optional<std::string> findLibgcc(StringRef multiarch) {
  std::optional<std::string> best;
  int bestVersion = -1;
  for (StringRef root : {"/usr/lib/gcc", "/usr/lib/gcc-cross"}) {
    SmallString<128> dir(root);
    llvm::sys::path::append(dir, multiarch);
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      int version;
      if (llvm::sys::path::filename(it->path()).getAsInteger(10, version))
        continue;
      SmallString<256> lib(it->path());
      llvm::sys::path::append(lib, "libgcc.a");
      if (version > bestVersion && llvm::sys::fs::exists(lib)) {
        bestVersion = version;
        best = lib.str().str();
      }
    }
  }
  return best;
}

/// Writes a large model.so out to disk and drops it from the page cache, so
/// that its first load reads it cold: the runtime maps the weights with
/// MADV_HUGEPAGE, and the page cache then holds them in 2 MiB folios that
/// map with huge pages (1-3 % faster decode than the 4 KiB pages a file
/// cached while it was written gets; runtime/Weights.c). Best effort.
static void dropFromPageCache(StringRef path) {
#if defined(__linux__) && defined(POSIX_FADV_DONTNEED)
  // Small libraries do not stream enough weights to care.
  constexpr uint64_t kMinBytes = uint64_t(32) << 20;
  uint64_t size = 0;
  if (llvm::sys::fs::file_size(path, size) || size < kMinBytes)
    return;
  int fd = ::open(path.str().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  // Dirty pages stay cached: write them first.
  if (::fdatasync(fd) == 0)
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
#else
  (void)path;
#endif
}

llvm::Error mlir::bitnet::linkModelLibrary(ArrayRef<char> object,
                                           const TargetSpec &spec,
                                           const ToolchainPaths &toolchain,
                                           StringRef outputPath) {
  StringRef arch = spec.getArchName();
  if (toolchain.lld.empty())
    return makeError("cannot find ld.lld (install Debian's lld-22)");
  SmallString<256> runtime(toolchain.resourceDir);
  llvm::sys::path::append(runtime, arch, "bitnet_runtime.o");
  if (!llvm::sys::fs::exists(runtime))
    return makeError("no runtime for " + arch + " at '" + runtime +
                     "' (was bitnet-mlir built with the " + arch +
                     " cross toolchain?)");
  std::string multiarch = (arch + "-linux-gnu").str();
  SmallVector<std::string> libDirs = {"/lib/" + multiarch,
                                      "/usr/lib/" + multiarch,
                                      "/usr/" + multiarch + "/lib"};
  std::optional<std::string> libc = findIn(libDirs, "libc.so.6");
  std::optional<std::string> libm = findIn(libDirs, "libm.so.6");
  if (!libc || !libm)
    return makeError("cannot find libc.so.6/libm.so.6 for " + arch +
                     " (install Debian's libc6-dev-" +
                     (arch == "x86_64" ? "amd64" : arch == "aarch64" ? "arm64"
                                                                     : arch) +
                     "-cross)");

  SmallString<128> objectPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("bitnet-model", "o", objectPath))
    return makeError("cannot create a temporary file: " + ec.message());
  auto removeObject =
      llvm::scope_exit([&] { llvm::sys::fs::remove(objectPath); });
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(objectPath, ec);
    if (ec)
      return makeError("cannot write '" + objectPath + "': " + ec.message());
    os.write(object.data(), object.size());
  }

  // Link next to the output, then rename: a failed link leaves no file.
  std::string tmpOutput = (outputPath + ".tmp").str();
  auto removeTmp = llvm::scope_exit([&] { llvm::sys::fs::remove(tmpOutput); });
  std::optional<std::string> libgcc = findLibgcc(multiarch);
  // Segments 2 MiB aligned in the file and in memory: the weights can then
  // be mapped with huge pages from the page cache.
  SmallVector<StringRef> args = {toolchain.lld,
                                 "-shared",
                                 "--build-id=none",
                                 "--no-undefined",
                                 "-z",
                                 "noexecstack",
                                 "-z",
                                 "relro",
                                 "-z",
                                 "now",
                                 "-z",
                                 "max-page-size=0x200000",
                                 "--gc-sections",
                                 "-o",
                                 tmpOutput,
                                 objectPath,
                                 runtime};
  if (libgcc)
    args.push_back(*libgcc);
  args.append({"--as-needed", *libm, *libc});

  SmallString<128> logPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("bitnet-lld", "log", logPath))
    return makeError("cannot create a temporary file: " + ec.message());
  auto removeLog = llvm::scope_exit([&] { llvm::sys::fs::remove(logPath); });
  std::optional<StringRef> redirects[] = {std::nullopt, logPath.str(),
                                          logPath.str()};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(toolchain.lld, args, std::nullopt,
                                     redirects, 0, 0, &execError);
  if (rc != 0) {
    std::string log;
    if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
      log = (*buffer)->getBuffer().trim().str();
    return makeError("linking '" + outputPath + "' with " + toolchain.lld +
                     " failed" + (execError.empty() ? "" : ": " + execError) +
                     (log.empty() ? "" : ":\n" + log));
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmpOutput, outputPath))
    return makeError("cannot write '" + outputPath + "': " + ec.message());
  dropFromPageCache(outputPath);
  return llvm::Error::success();
}
