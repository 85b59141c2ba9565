//===- Internal.h - Shared internals of the model runtime ---------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Declarations shared by the runtime's translation units. Everything here has
// hidden visibility (the runtime is built with -fvisibility=hidden); only the
// functions of bitnet-c/Runtime.h leave the model library. The unit tests
// link the runtime object statically and may call these directly.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_RUNTIME_INTERNAL_H
#define BITNET_RUNTIME_INTERNAL_H

#include "bitnet-c/ModelInterface.h"
#include "bitnet-c/Runtime.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The generated symbols stay inside model.so even if the compiler emitted
// them with default visibility: the most restrictive visibility of a symbol
// wins at link time, and only Runtime.h may be exported.
extern const char __bitnet_model_metadata[]
    __attribute__((visibility("hidden")));
void __bitnet_model_run(const bitnet_model_input_t *inputs,
                        bitnet_model_output_t *outputs)
    __attribute__((visibility("hidden")));

/// The parsed `__bitnet_model_metadata`. One instance per library, built once
/// and immutable afterwards.
struct bitnet_model_s {
  char *name;
  char *target;
  /// The `requires` features, space separated ("" when there are none).
  char *requiredFeatures;
  int32_t numInputs;
  int32_t numOutputs;
  bitnet_tensor_info_t *inputs;
  bitnet_tensor_info_t *outputs;
  /// Sum of the output ranks: room for every output shape.
  int64_t outputShapeSlots;
  /// Per input: the axis of a runtime-owned KV cache (`kv-cache` record), or
  /// -1 for an ordinary input.
  int32_t *kvCacheAxis;
  /// The rank-0 int64 input holding the valid cache length (`kv-length`),
  /// or -1 when the model has no KV cache.
  int32_t kvLengthInput;
};

/// Runs `context` on validated-by-this-call `inputs`. `allowCaches` lets the
/// session API feed the caches it owns; bitnet_context_run passes false.
bitnet_status_t bitnetContextRun(bitnet_context_t *context,
                                 const bitnet_tensor_t *inputs,
                                 int32_t numInputs, bool allowCaches);

/// A status with `code` and a printf-formatted message. Never returns NULL
/// for a non-OK code: out of memory yields the static RESOURCE_EXHAUSTED
/// status.
bitnet_status_t bitnetMakeStatus(bitnet_status_code_t code, const char *format,
                                 ...) __attribute__((format(printf, 2, 3)));

/// Parses a metadata text into `*outModel` (owned by the caller, released
/// with bitnetFreeModel). Returns INTERNAL for a malformed text and
/// INCOMPATIBLE for an unknown format version.
bitnet_status_t bitnetParseMetadata(const char *text,
                                    struct bitnet_model_s **outModel);
/// Releases a model built by bitnetParseMetadata; NULL is allowed.
void bitnetFreeModel(struct bitnet_model_s *model);

/// Checks that the CPU has every feature of `features` (space separated
/// names of the ModelInterface.h vocabulary). Returns INCOMPATIBLE naming
/// the first missing or unknown feature.
bitnet_status_t bitnetCheckCpuFeatures(const char *features);

/// MLIR's unranked memref, as passed to memrefCopy.
typedef struct BitNetUnrankedMemRef {
  int64_t rank;
  void *descriptor;
} BitNetUnrankedMemRef;

/// Copies the elements of `src` into `dst` (same rank and sizes, any
/// strides). Called by MLIR-generated code for non-contiguous copies.
void memrefCopy(int64_t elemSize, BitNetUnrankedMemRef *src,
                BitNetUnrankedMemRef *dst);

#ifdef __cplusplus
}
#endif

#endif // BITNET_RUNTIME_INTERNAL_H
