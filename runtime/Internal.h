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
#include <stddef.h>
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

/// Maps the read-only data segments of the library holding `anchor` (the
/// weights) in at once, asking for huge pages.
void bitnetMapWeights(const void *anchor);

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

/// How the GEMV kernels request their weight stream ahead of use. The best
/// policy differs between CPU designs as much as 25 % of decode speed
/// (docs/Kernels.md), so it is chosen per CPU, once, by
/// bitnetWeightPrefetch.
typedef enum BitNetWeightPrefetch {
  /// Every line into L2 twice, 16 and 8 KB ahead (Intel server cores).
  BITNET_WEIGHT_PREFETCH_L2_TWICE = 0,
  /// Every line once, non-temporal, 4 KB ahead (AMD Zen).
  BITNET_WEIGHT_PREFETCH_NONTEMPORAL = 1,
} BitNetWeightPrefetch;
/// The policy for this CPU, or the one the environment variable
/// BITNET_WEIGHT_PREFETCH names (`l2-twice`, `nontemporal`), to compare
/// them on a new CPU. Thread-safe; decided once per process.
BitNetWeightPrefetch bitnetWeightPrefetch(void);
/// INVALID_ARGUMENT if BITNET_WEIGHT_PREFETCH is set to anything else.
bitnet_status_t bitnetCheckWeightPrefetchOverride(void);
/// Requests the first `lead` bytes of a thread's chunk of a weight stream,
/// from `first` and not past `end`, as `prefetch` says. Kernels that request
/// lines `lead` bytes ahead of their position call it before the chunk's
/// loop, which would otherwise start with `lead` bytes of demand misses.
static inline void bitnetPrefetchChunkStart(const uint8_t *first,
                                            const uint8_t *end, int64_t lead,
                                            BitNetWeightPrefetch prefetch) {
  for (int64_t off = 0; off < lead && first + off < end; off += 64) {
    if (prefetch == BITNET_WEIGHT_PREFETCH_NONTEMPORAL)
      __builtin_prefetch(first + off, 0, 0);
    else
      __builtin_prefetch(first + off, 0, 2);
  }
}

/// Buffers of the generated code and of run outputs (Workspace.c): like
/// aligned_alloc / free (alignment a power of two), except that large
/// blocks are kept for reuse when freed. Thread-safe.
void *bitnetWorkspaceAlloc(size_t size, size_t alignment);
/// Frees a block of bitnetWorkspaceAlloc; NULL is allowed.
void bitnetWorkspaceFree(void *ptr);
/// Releases the blocks kept for reuse.
void bitnetWorkspaceTrim(void);
/// MLIR's memref-to-LLVM allocation functions (`use-generic-functions`).
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);

/// MLIR's unranked memref, as passed to memrefCopy.
typedef struct BitNetUnrankedMemRef {
  int64_t rank;
  void *descriptor;
} BitNetUnrankedMemRef;

/// Copies the elements of `src` into `dst` (same rank and sizes, any
/// strides). Called by MLIR-generated code for non-contiguous copies.
void memrefCopy(int64_t elemSize, BitNetUnrankedMemRef *src,
                BitNetUnrankedMemRef *dst);

//===----------------------------------------------------------------------===//
// Threads (ThreadPool.c)
//===----------------------------------------------------------------------===//

/// The workers of one context; NULL means "run on the calling thread".
typedef struct BitNetThreadPool BitNetThreadPool;

/// A pool that, with the calling thread, runs `numThreads` threads; NULL
/// for one thread or when no worker could be started.
BitNetThreadPool *bitnetThreadPoolCreate(int32_t numThreads);
/// Stops and joins the workers; NULL is allowed.
void bitnetThreadPoolDestroy(BitNetThreadPool *pool);
/// Makes `pool` the one bitnetParallelFor uses on this thread; returns the
/// previous one.
BitNetThreadPool *bitnetSetCurrentThreadPool(BitNetThreadPool *pool);

/// Iterations [begin, end) of a parallel loop.
typedef void (*BitNetParallelBody)(void *arg, int64_t begin, int64_t end);
/// Runs body over [0, count) in chunks that are multiples of `grain` (the
/// last may be shorter), on the current pool's threads; returns when all
/// are done.
void bitnetParallelFor(int64_t count, int64_t grain, BitNetParallelBody body,
                       void *arg);
/// bitnetParallelFor over a loop that streams `weightBytes` of read-only
/// weights at `weights`; idle workers request the stream expected next.
void bitnetParallelStream(int64_t count, int64_t grain, BitNetParallelBody body,
                          void *arg, const void *weights, size_t weightBytes);
/// The threads bitnetParallelFor may use on this thread (1 without a pool):
/// generated code splits contractions into this many runs.
int64_t bitnetParallelWidth(void);

//===----------------------------------------------------------------------===//
// Microkernels (kernels/)
//===----------------------------------------------------------------------===//

/// MLIR's ranked memref descriptors, as passed to `llvm.emit_c_interface`
/// functions.
typedef struct BitNetMemRef1DU8 {
  uint8_t *allocated;
  uint8_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} BitNetMemRef1DU8;
typedef struct BitNetMemRef2DI8 {
  int8_t *allocated;
  int8_t *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} BitNetMemRef2DI8;
typedef struct BitNetMemRef2DI32 {
  int32_t *allocated;
  int32_t *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} BitNetMemRef2DI32;

/// One declaration per registered int2 variant: acc[M, N] = q[M, K] ·
/// Wt[N, K]ᵀ with the weight in the `i2` layout (bitnet/Kernels/I2Layout.h).
#define BITNET_I2_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  void _mlir_ciface_bitnet_i2_matmul_##NAME(const BitNetMemRef2DI8 *q,         \
                                            const BitNetMemRef1DU8 *w,         \
                                            BitNetMemRef2DI32 *acc);
#include "bitnet/Kernels/Kernels.def"

/// One declaration per registered int8 variant: the same contract with the
/// weight in the `i8` layout (bitnet/Kernels/I8Layout.h).
#define BITNET_I8_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  void _mlir_ciface_bitnet_i8_matmul_##NAME(const BitNetMemRef2DI8 *q,         \
                                            const BitNetMemRef1DU8 *w,         \
                                            BitNetMemRef2DI32 *acc);
#include "bitnet/Kernels/Kernels.def"

#ifdef __cplusplus
}
#endif

#endif // BITNET_RUNTIME_INTERNAL_H
