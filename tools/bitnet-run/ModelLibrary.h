//===- ModelLibrary.h - A model.so opened through its C ABI -----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// bitnet-run talks to a model library only through bitnet-c/Runtime.h,
// resolving each function with dlsym, exactly as any other client would.
// Foreign-ISA libraries are handed to a cross-built runner under qemu-user.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TOOLS_BITNET_RUN_MODELLIBRARY_H
#define BITNET_TOOLS_BITNET_RUN_MODELLIBRARY_H

#include "TensorFile.h"

#include "bitnet-c/Runtime.h"

#include <string>

namespace bitnet::run {

/// The entry points of Runtime.h, resolved in one library; the generation
/// ones (API minor version >= 1) are null in older libraries.
struct RuntimeApi {
#define BITNET_RUNTIME_FUNCTION(name) decltype(&::name) name = nullptr;
#include "bitnet-c/RuntimeFunctions.def"

  /// "CODE: message" for a failed status, which it releases.
  std::string consume(bitnet_status_t status) const;
};

/// Opens `path` with dlopen and resolves every Runtime.h function. Fails
/// for a missing file, a library that is not a bitnet model, or an ABI
/// major version other than BITNET_API_VERSION_MAJOR.
Error openModelLibrary(const std::string &path, RuntimeApi &api);

/// The ISA of an ELF file ("x86_64", "aarch64", "riscv64") in `outArch`.
Error readElfArch(const std::string &path, std::string &outArch);

/// The ISA this program was compiled for.
const char *hostArch();

/// Replaces this process with the `arch` runner (a bitnet-run built for that
/// ISA) under qemu-user, passing `argv[1..]` on. Returns only on failure.
Error execForeignRunner(const std::string &arch, const char *selfPath,
                        char **argv);

} // namespace bitnet::run

#endif // BITNET_TOOLS_BITNET_RUN_MODELLIBRARY_H
