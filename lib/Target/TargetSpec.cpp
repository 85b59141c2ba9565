//===- TargetSpec.cpp - The CPU a model library is compiled for ----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/TargetSpec.h"
#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include <mutex>

extern "C" {
#define BITNET_DECLARE_TARGET(T)                                               \
  void LLVMInitialize##T##TargetInfo();                                        \
  void LLVMInitialize##T##Target();                                            \
  void LLVMInitialize##T##TargetMC();                                          \
  void LLVMInitialize##T##AsmPrinter();
BITNET_DECLARE_TARGET(X86)
BITNET_DECLARE_TARGET(AArch64)
BITNET_DECLARE_TARGET(RISCV)
#undef BITNET_DECLARE_TARGET
}

using namespace mlir;
using namespace mlir::bitnet;

namespace {
/// A named CPU level: the LLVM CPU and the features it adds.
struct CPULevel {
  StringRef name;
  llvm::Triple::ArchType arch;
  StringRef llvmCPU;
  StringRef features;
  StringRef description;
};
} // namespace

static const CPULevel kCPULevels[] = {
    {"x86-64", llvm::Triple::x86_64, "x86-64", "", "SSE2 baseline"},
    {"x86-64-v2", llvm::Triple::x86_64, "x86-64-v2", "", "SSE4.2, POPCNT"},
    {"x86-64-v3", llvm::Triple::x86_64, "x86-64-v3", "",
     "AVX2, FMA, BMI2 (Haswell, Zen 1)"},
    {"x86-64-v4", llvm::Triple::x86_64, "x86-64-v4", "+avx512vnni",
     "AVX-512 F/BW/DQ/VL + VNNI (Cascade Lake, Ice Lake, Zen 4)"},
    {"armv8-a", llvm::Triple::aarch64, "generic", "+neon", "NEON baseline"},
    {"armv8.2-a+dotprod", llvm::Triple::aarch64, "generic",
     "+v8.2a,+neon,+dotprod", "NEON + SDOT/UDOT (Cortex-A76, Neoverse N1)"},
    {"armv8.6-a", llvm::Triple::aarch64, "generic",
     "+v8.6a,+neon,+dotprod,+i8mm",
     "NEON + dot product + SMMLA (Neoverse V1/N2, Apple M2)"},
    {"rv64gc", llvm::Triple::riscv64, "generic-rv64", "",
     "RV64GC, scalar"},
    {"rv64gcv", llvm::Triple::riscv64, "generic-rv64", "+v",
     "RV64GC + RVV 1.0, vector-length agnostic"},
};

/// Features every Linux RV64 target has; lp64d needs D.
static constexpr StringLiteral kRV64Base = "+m,+a,+f,+d,+c";

ArrayRef<std::pair<StringRef, StringRef>> mlir::bitnet::getNamedCPULevels() {
  static const SmallVector<std::pair<StringRef, StringRef>> levels = [] {
    SmallVector<std::pair<StringRef, StringRef>> result;
    for (const CPULevel &level : kCPULevels)
      result.emplace_back(level.name, level.description);
    return result;
  }();
  return levels;
}

StringRef TargetSpec::getArchName() const {
  return llvm::Triple::getArchTypeName(llvm::Triple(triple).getArch());
}

TargetAttr TargetSpec::getAttr(MLIRContext *context) const {
  return TargetAttr::get(context, triple, cpu, features, /*vlen=*/0);
}

static void initializeTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
#define BITNET_INITIALIZE_TARGET(T)                                            \
  LLVMInitialize##T##TargetInfo();                                             \
  LLVMInitialize##T##Target();                                                 \
  LLVMInitialize##T##TargetMC();                                               \
  LLVMInitialize##T##AsmPrinter();
    BITNET_INITIALIZE_TARGET(X86)
    BITNET_INITIALIZE_TARGET(AArch64)
    BITNET_INITIALIZE_TARGET(RISCV)
#undef BITNET_INITIALIZE_TARGET
  });
}

static llvm::Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Host features as a deterministic (sorted) LLVM feature string.
static std::string getHostFeatures() {
  SmallVector<std::string> features;
  for (const auto &entry : llvm::sys::getHostCPUFeatures())
    features.push_back((entry.second ? "+" : "-") + entry.first().str());
  llvm::sort(features);
  return llvm::join(features, ",");
}

llvm::Expected<TargetSpec> mlir::bitnet::resolveTarget(StringRef target,
                                                       StringRef cpu,
                                                       StringRef features) {
  TargetSpec spec;
  std::string hostFeatures;
  std::string tripleName;
  if (target.empty() || target == "host") {
    tripleName = llvm::sys::getProcessTriple();
    if (cpu.empty()) {
      cpu = llvm::sys::getHostCPUName();
      hostFeatures = getHostFeatures();
    }
  } else if (target == "x86_64" || target == "x86-64" || target == "amd64") {
    tripleName = "x86_64-unknown-linux-gnu";
  } else if (target == "aarch64" || target == "arm64") {
    tripleName = "aarch64-unknown-linux-gnu";
  } else if (target == "riscv64" || target == "rv64") {
    tripleName = "riscv64-unknown-linux-gnu";
  } else {
    tripleName = llvm::Triple::normalize(target);
  }
  llvm::Triple triple(tripleName);
  llvm::Triple::ArchType arch = triple.getArch();
  if (arch != llvm::Triple::x86_64 && arch != llvm::Triple::aarch64 &&
      arch != llvm::Triple::riscv64)
    return makeError("unsupported target '" + target +
                     "': the architecture must be x86_64, aarch64 or riscv64");
  if (triple.getOS() != llvm::Triple::Linux)
    return makeError("unsupported target '" + target +
                     "': only Linux targets are supported");
  spec.triple = triple.str();

  SmallVector<std::string> featureList;
  if (arch == llvm::Triple::riscv64) {
    featureList.push_back(kRV64Base.str());
    spec.abi = "lp64d";
  }
  if (cpu.empty())
    cpu = arch == llvm::Triple::x86_64    ? "x86-64"
          : arch == llvm::Triple::aarch64 ? "armv8-a"
                                          : "rv64gc";
  const CPULevel *level = llvm::find_if(
      kCPULevels, [&](const CPULevel &l) { return l.name == cpu; });
  if (level != std::end(kCPULevels)) {
    if (level->arch != arch)
      return makeError("CPU level '" + cpu + "' is for " +
                       llvm::Triple::getArchTypeName(level->arch) + ", not " +
                       llvm::Triple::getArchTypeName(arch));
    spec.cpu = level->llvmCPU.str();
    if (!level->features.empty())
      featureList.push_back(level->features.str());
  } else {
    spec.cpu = cpu.str();
  }
  if (!hostFeatures.empty())
    featureList.push_back(hostFeatures);
  if (!features.empty())
    featureList.push_back(features.str());
  spec.features = llvm::join(featureList, ",");
  return spec;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
mlir::bitnet::createTargetMachine(const TargetSpec &spec) {
  initializeTargets();
  llvm::Triple triple(spec.triple);
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("no LLVM target for '" + spec.triple + "': " + error);

  // Reject unknown CPUs and features up front: LLVM would only warn.
  std::unique_ptr<llvm::MCSubtargetInfo> probe(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!probe->isCPUStringValid(spec.cpu))
    return makeError("unknown CPU '" + spec.cpu + "' for " +
                     triple.getArchName() +
                     " (use an LLVM CPU name or a named level; see --help)");
  SmallVector<StringRef> features;
  StringRef(spec.features).split(features, ',', -1, /*KeepEmpty=*/false);
  for (StringRef feature : features) {
    StringRef name = feature.ltrim("+-");
    if (feature == name)
      return makeError("feature '" + feature + "' must start with + or -");
    if (llvm::none_of(probe->getAllProcessorFeatures(),
                      [&](const llvm::SubtargetFeatureKV &kv) {
                        return name == kv.Key;
                      }))
      return makeError("unknown feature '" + name + "' for " +
                       triple.getArchName());
  }

  llvm::TargetOptions options;
  options.AllowFPOpFusion = llvm::FPOpFusion::Strict;
  options.MCOptions.ABIName = spec.abi;
  // x86-64's small code model reaches only +-2 GB: a model whose weights
  // and embedding tables pass that cannot link. The medium model moves
  // large data (over 64 KiB) to .lrodata with 64-bit addressing and keeps
  // code and small data as fast as before. AArch64 (ADRP, +-4 GB) and
  // RISC-V keep their defaults.
  std::optional<llvm::CodeModel::Model> codeModel;
  if (triple.getArch() == llvm::Triple::x86_64)
    codeModel = llvm::CodeModel::Medium;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, spec.cpu, spec.features, options, llvm::Reloc::PIC_, codeModel,
      llvm::CodeGenOptLevel::Default));
  if (!tm)
    return makeError("cannot create an LLVM target machine for '" +
                     spec.triple + "'");
  return tm;
}

std::string mlir::bitnet::getRequiredCPUFeatures(const llvm::TargetMachine &tm) {
  // (runtime vocabulary, LLVM feature) per architecture; ModelInterface.h.
  static const std::pair<StringRef, StringRef> kX86[] = {
      {"sse4.2", "sse4.2"},         {"avx", "avx"},
      {"avx2", "avx2"},             {"fma", "fma"},
      {"f16c", "f16c"},             {"bmi2", "bmi2"},
      {"avx512f", "avx512f"},       {"avx512bw", "avx512bw"},
      {"avx512dq", "avx512dq"},     {"avx512vl", "avx512vl"},
      {"avx512vnni", "avx512vnni"}, {"avxvnni", "avxvnni"}};
  static const std::pair<StringRef, StringRef> kAArch64[] = {
      {"neon", "neon"}, {"dotprod", "dotprod"}, {"i8mm", "i8mm"},
      {"sve", "sve"}};
  static const std::pair<StringRef, StringRef> kRISCV[] = {{"v", "v"}};
  ArrayRef<std::pair<StringRef, StringRef>> table;
  switch (tm.getTargetTriple().getArch()) {
  case llvm::Triple::x86_64:
    table = kX86;
    break;
  case llvm::Triple::aarch64:
    table = kAArch64;
    break;
  case llvm::Triple::riscv64:
    table = kRISCV;
    break;
  default:
    break;
  }
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  SmallVector<StringRef> required;
  for (auto [name, llvmName] : table)
    if (sti->checkFeatures(("+" + llvmName).str()))
      required.push_back(name);
  return llvm::join(required, " ");
}
