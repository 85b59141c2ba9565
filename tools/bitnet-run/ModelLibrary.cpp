//===- ModelLibrary.cpp - A model.so opened through its C ABI ---*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "ModelLibrary.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace bitnet::run {

std::string RuntimeApi::consume(bitnet_status_t status) const {
  // The members, not the (unlinked) global declarations.
  std::string result = std::string(this->bitnet_status_code_string(
                           this->bitnet_status_code(status))) +
                       ": " + this->bitnet_status_message(status);
  this->bitnet_status_free(status);
  return result;
}

namespace {

/// e_machine values of the ISAs bitnet-compile targets.
struct MachineRow {
  unsigned machine;
  const char *arch;
  /// The qemu CPU to emulate when BITNET_QEMU_CPU is unset; "" = qemu's.
  const char *defaultCpu;
};

const MachineRow kMachines[] = {
    {62, "x86_64", ""},
    {183, "aarch64", ""},
    {243, "riscv64", "rv64,v=true,vlen=256,elen=64,vext_spec=v1.0"},
};

template <typename Fn>
bool resolve(void *handle, const char *name, Fn &out) {
  out = reinterpret_cast<Fn>(dlsym(handle, name));
  return out != nullptr;
}

bool isExecutable(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

/// `program` looked up in PATH, or "" when it is not there.
std::string findInPath(const std::string &program) {
  const char *path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos)
      end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (isExecutable(candidate))
      return candidate;
    start = end + 1;
  }
  return "";
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

const char *hostArch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

Error readElfArch(const std::string &path, std::string &outArch) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return "cannot open '" + path + "': " + std::strerror(errno);
  unsigned char header[20];
  size_t got = std::fread(header, 1, sizeof(header), file);
  std::fclose(file);
  if (got < sizeof(header) || std::memcmp(header,
                                          "\x7f"
                                          "ELF",
                                          4) != 0)
    return "'" + path + "' is not a bitnet model library (not an ELF file)";
  // e_machine sits at byte 18 in both ELF classes; EI_DATA gives the order.
  bool littleEndian = header[5] == 1;
  unsigned machine = littleEndian ? header[18] | (header[19] << 8)
                                  : (header[18] << 8) | header[19];
  if (header[4] == 2 && littleEndian)
    for (const MachineRow &row : kMachines)
      if (row.machine == machine) {
        outArch = row.arch;
        return std::nullopt;
      }
  return "'" + path + "' is an ELF file for machine " +
         std::to_string(machine) + " (" + (header[4] == 2 ? "64" : "32") +
         "-bit), which bitnet-run cannot run (x86_64, aarch64 and riscv64 "
         "only)";
}

Error openModelLibrary(const std::string &path, RuntimeApi &api) {
  std::string loadPath =
      path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = dlopen(loadPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *message = dlerror();
    return "cannot load '" + path +
           "': " + (message ? message : "dlopen failed");
  }
  if (!resolve(handle, "bitnet_api_version", api.bitnet_api_version))
    return "'" + path +
           "' is not a bitnet model library (no bitnet_api_version symbol)";
  uint32_t version = api.bitnet_api_version();
  if ((version >> 16) != BITNET_API_VERSION_MAJOR)
    return "'" + path + "' uses bitnet ABI version " +
           std::to_string(version >> 16) + "." +
           std::to_string(version & 0xffff) +
           ", but this bitnet-run supports " +
           std::to_string(BITNET_API_VERSION_MAJOR) + ".x";

  const char *missing = nullptr;
#define BITNET_RUNTIME_REQUIRED(name)                                          \
  if (!resolve(handle, #name, api.name) && !missing)                           \
    missing = #name;
#define BITNET_RUNTIME_OPTIONAL(name) resolve(handle, #name, api.name);
#include "bitnet-c/RuntimeFunctions.def"
  if (missing)
    return "'" + path + "' is an incomplete bitnet model library (no " +
           missing + " symbol)";
  // The handle stays open for the life of the process.
  return std::nullopt;
}

Error execForeignRunner(const std::string &arch, const char *selfPath,
                        char **argv) {
  const MachineRow *row = nullptr;
  for (const MachineRow &candidate : kMachines)
    if (arch == candidate.arch)
      row = &candidate;
  if (!row)
    return "no runner for ISA '" + arch + "'";

  char self[PATH_MAX];
  ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string selfExe =
      length > 0 ? std::string(self, static_cast<size_t>(length)) : selfPath;
  std::string runner =
      directoryOf(selfExe) + "/../lib/bitnet/" + arch + "/bitnet-run";
  if (!isExecutable(runner))
    return "the model library is for " + arch + ", but there is no " + arch +
           " runner at '" + runner + "' (bitnet-run cross-compiled for " +
           arch + ")";
  std::string qemuName = "qemu-" + arch;
  std::string qemu = findInPath(qemuName);
  if (qemu.empty())
    return "the model library is for " + arch + "; running it needs " +
           qemuName + " (qemu-user), which is not in PATH";
  std::string sysroot = "/usr/" + arch + "-linux-gnu";
  struct stat info;
  if (stat(sysroot.c_str(), &info) != 0)
    return "the model library is for " + arch + "; running it needs the " +
           arch + " C library in '" + sysroot + "', which does not exist";

  const char *cpuOverride = std::getenv("BITNET_QEMU_CPU");
  std::string cpu = cpuOverride ? cpuOverride : row->defaultCpu;
  std::vector<std::string> args = {qemu, "-L", sysroot};
  if (!cpu.empty()) {
    args.push_back("-cpu");
    args.push_back(cpu);
  }
  args.push_back(runner);
  for (char **arg = argv + 1; *arg; ++arg)
    args.push_back(*arg);
  std::vector<char *> rawArgs;
  for (std::string &arg : args)
    rawArgs.push_back(arg.data());
  rawArgs.push_back(nullptr);
  std::fflush(stdout);
  execv(qemu.c_str(), rawArgs.data());
  return "cannot run '" + qemu + "': " + std::strerror(errno);
}

} // namespace bitnet::run
