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

/// The entry points of Runtime.h, resolved in one library.
struct RuntimeApi {
  decltype(&bitnet_status_code) statusCode = nullptr;
  decltype(&bitnet_status_message) statusMessage = nullptr;
  decltype(&bitnet_status_free) statusFree = nullptr;
  decltype(&bitnet_status_code_string) statusCodeString = nullptr;
  decltype(&bitnet_api_version) apiVersion = nullptr;
  decltype(&bitnet_dtype_size) dtypeSize = nullptr;
  decltype(&bitnet_dtype_string) dtypeString = nullptr;
  decltype(&bitnet_model_get) modelGet = nullptr;
  decltype(&bitnet_model_name) modelName = nullptr;
  decltype(&bitnet_model_target) modelTarget = nullptr;
  decltype(&bitnet_model_num_inputs) modelNumInputs = nullptr;
  decltype(&bitnet_model_num_outputs) modelNumOutputs = nullptr;
  decltype(&bitnet_model_input_info) modelInputInfo = nullptr;
  decltype(&bitnet_model_output_info) modelOutputInfo = nullptr;
  decltype(&bitnet_context_options_initialize) contextOptionsInitialize =
      nullptr;
  decltype(&bitnet_context_create) contextCreate = nullptr;
  decltype(&bitnet_context_destroy) contextDestroy = nullptr;
  decltype(&bitnet_context_run) contextRun = nullptr;
  decltype(&bitnet_context_output) contextOutput = nullptr;
  // Generation sessions (API minor version >= 1); null in older libraries.
  decltype(&bitnet_model_has_kv_cache) modelHasKVCache = nullptr;
  decltype(&bitnet_session_create) sessionCreate = nullptr;
  decltype(&bitnet_session_destroy) sessionDestroy = nullptr;
  decltype(&bitnet_session_append) sessionAppend = nullptr;
  decltype(&bitnet_session_length) sessionLength = nullptr;
  decltype(&bitnet_session_capacity) sessionCapacity = nullptr;
  decltype(&bitnet_sampling_options_initialize) samplingOptionsInitialize =
      nullptr;
  decltype(&bitnet_sample) sample = nullptr;

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
