/*===- bitnet-c/Runtime.h - The C ABI of a compiled model library -*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Every model.so produced by `bitnet-compile` exports exactly this API and   *|
|* nothing else. A library holds one model. Typical use:                      *|
|*                                                                            *|
|*   const bitnet_model_t *model;                                             *|
|*   bitnet_status_t st = bitnet_model_get(&model);                           *|
|*   bitnet_context_options_t opts;                                           *|
|*   bitnet_context_options_initialize(&opts);                                *|
|*   bitnet_context_t *ctx;                                                   *|
|*   st = bitnet_context_create(model, &opts, &ctx);                          *|
|*   st = bitnet_context_run(ctx, inputs, num_inputs);                        *|
|*   bitnet_tensor_t out; st = bitnet_context_output(ctx, 0, &out);           *|
|*   bitnet_context_destroy(ctx);                                             *|
|*                                                                            *|
|* Errors: every fallible call returns a bitnet_status_t. NULL means success; *|
|* otherwise the status carries a code and a message and the caller releases  *|
|* it with bitnet_status_free(). Every entry validates its arguments (null    *|
|* pointers, dtype, rank, shape, buffer sizes) and returns an error instead   *|
|* of crashing.                                                               *|
|*                                                                            *|
|* Ownership: `_create` transfers ownership to the caller, who `_destroy`s.   *|
|* Everything else returned (the model, infos, names, output tensors) is      *|
|* borrowed: the model and its infos live as long as the library is loaded;   *|
|* output tensors until the next run on, or the destruction of, the context.  *|
|*                                                                            *|
|* Thread safety: the model is immutable and may be shared by any number of   *|
|* threads. A context is used by one thread at a time; separate contexts of   *|
|* one model may run concurrently.                                            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BITNET_C_RUNTIME_H
#define BITNET_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BITNET_API_VERSION_MAJOR 1
#define BITNET_API_VERSION_MINOR 1

#if defined(__GNUC__) || defined(__clang__)
#define BITNET_API_EXPORT __attribute__((visibility("default")))
#else
#define BITNET_API_EXPORT
#endif

/*===----------------------------------------------------------------------===*
 * Status
 *===----------------------------------------------------------------------===*/

typedef enum bitnet_status_code_e {
  BITNET_STATUS_OK = 0,
  /* A null pointer, an index out of range, a malformed options struct. */
  BITNET_STATUS_INVALID_ARGUMENT = 1,
  /* An input's dtype, rank, shape or buffer size does not match the model. */
  BITNET_STATUS_SHAPE_MISMATCH = 2,
  /* A dimension or sequence length beyond what the model supports. */
  BITNET_STATUS_OUT_OF_RANGE = 3,
  /* Memory allocation failed. */
  BITNET_STATUS_RESOURCE_EXHAUSTED = 4,
  /* The library's ABI version or required CPU features do not match. */
  BITNET_STATUS_INCOMPATIBLE = 5,
  /* The call is valid but not implemented by this library. */
  BITNET_STATUS_UNIMPLEMENTED = 6,
  /* A bug: the library's own metadata is inconsistent. */
  BITNET_STATUS_INTERNAL = 7,
} bitnet_status_code_t;

typedef struct bitnet_status_s *bitnet_status_t;

/* The code of `status` (BITNET_STATUS_OK for NULL). */
BITNET_API_EXPORT bitnet_status_code_t bitnet_status_code(bitnet_status_t status);
/* The message of `status`, borrowed until bitnet_status_free ("" for NULL). */
BITNET_API_EXPORT const char *bitnet_status_message(bitnet_status_t status);
/* Releases `status`; NULL is allowed. */
BITNET_API_EXPORT void bitnet_status_free(bitnet_status_t status);
/* A constant name for `code`, e.g. "INVALID_ARGUMENT". */
BITNET_API_EXPORT const char *bitnet_status_code_string(bitnet_status_code_t code);

/*===----------------------------------------------------------------------===*
 * Versions
 *===----------------------------------------------------------------------===*/

/* (BITNET_API_VERSION_MAJOR << 16) | BITNET_API_VERSION_MINOR of the library.
 * A caller built against another major version must not use the library. */
BITNET_API_EXPORT uint32_t bitnet_api_version(void);

/*===----------------------------------------------------------------------===*
 * Model metadata
 *===----------------------------------------------------------------------===*/

/* Element types. The values are ONNX's TensorProto.DataType. */
typedef enum bitnet_dtype_e {
  BITNET_DTYPE_FLOAT32 = 1,
  BITNET_DTYPE_UINT8 = 2,
  BITNET_DTYPE_INT8 = 3,
  BITNET_DTYPE_UINT16 = 4,
  BITNET_DTYPE_INT16 = 5,
  BITNET_DTYPE_INT32 = 6,
  BITNET_DTYPE_INT64 = 7,
  BITNET_DTYPE_BOOL = 9, /* one byte per element, 0 or 1 */
  BITNET_DTYPE_FLOAT16 = 10,
  BITNET_DTYPE_FLOAT64 = 11,
  BITNET_DTYPE_UINT32 = 12,
  BITNET_DTYPE_UINT64 = 13,
} bitnet_dtype_t;

/* Size in bytes of one element of `dtype`, 0 if unknown. */
BITNET_API_EXPORT size_t bitnet_dtype_size(bitnet_dtype_t dtype);
/* A constant name for `dtype`, e.g. "float32". */
BITNET_API_EXPORT const char *bitnet_dtype_string(bitnet_dtype_t dtype);

#define BITNET_DYNAMIC_DIM ((int64_t)-1)

/* An input or output of the model as declared at compile time. */
typedef struct bitnet_tensor_info_s {
  const char *name; /* the ONNX graph input/output name */
  bitnet_dtype_t dtype;
  int32_t rank;
  /* `rank` extents; BITNET_DYNAMIC_DIM where the size is chosen at run time. */
  const int64_t *shape;
  /* `rank` entries: the ONNX dim_param of a dynamic dimension ("batch",
   * "sequence", ...) or NULL. Inputs whose dimensions share a name must be
   * given equal sizes. */
  const char *const *dim_names;
} bitnet_tensor_info_t;

typedef struct bitnet_model_s bitnet_model_t;

/* The model of this library (borrowed; lives while the library is loaded).
 * Fails with INCOMPATIBLE when the CPU lacks a feature the library was
 * compiled for, naming the feature. */
BITNET_API_EXPORT bitnet_status_t bitnet_model_get(const bitnet_model_t **out_model);
/* The ONNX graph name. */
BITNET_API_EXPORT const char *bitnet_model_name(const bitnet_model_t *model);
/* "<triple> <cpu> <features>" the library was compiled for. */
BITNET_API_EXPORT const char *bitnet_model_target(const bitnet_model_t *model);
BITNET_API_EXPORT int32_t bitnet_model_num_inputs(const bitnet_model_t *model);
BITNET_API_EXPORT int32_t bitnet_model_num_outputs(const bitnet_model_t *model);
BITNET_API_EXPORT bitnet_status_t bitnet_model_input_info(
    const bitnet_model_t *model, int32_t index, bitnet_tensor_info_t *out_info);
BITNET_API_EXPORT bitnet_status_t bitnet_model_output_info(
    const bitnet_model_t *model, int32_t index, bitnet_tensor_info_t *out_info);

/*===----------------------------------------------------------------------===*
 * Contexts and runs
 *===----------------------------------------------------------------------===*/

typedef struct bitnet_context_options_s {
  /* sizeof(bitnet_context_options_t), set by _initialize; lets the struct
   * grow at the end. */
  uint32_t struct_size;
  /* Worker threads; 0 = one per available core. */
  int32_t num_threads;
  /* Longest sequence (prompt + generated tokens) the context accepts;
   * 0 = the model's maximum. */
  int64_t max_context;
} bitnet_context_options_t;

BITNET_API_EXPORT void bitnet_context_options_initialize(bitnet_context_options_t *options);

typedef struct bitnet_context_s bitnet_context_t;

/* Creates a context; `options` may be NULL for the defaults. */
BITNET_API_EXPORT bitnet_status_t bitnet_context_create(
    const bitnet_model_t *model, const bitnet_context_options_t *options,
    bitnet_context_t **out_context);
/* Destroys `context` and the outputs it holds; NULL is allowed. */
BITNET_API_EXPORT void bitnet_context_destroy(bitnet_context_t *context);

/* A tensor passed to or returned by a run: dense, row-major, no padding. */
typedef struct bitnet_tensor_s {
  bitnet_dtype_t dtype;
  int32_t rank;
  const int64_t *shape; /* `rank` extents, all >= 0 */
  void *data;           /* may be NULL only when the tensor has no elements */
  size_t size_bytes;    /* must equal product(shape) * bitnet_dtype_size(dtype) */
} bitnet_tensor_t;

/* Runs the model on `inputs`, given in the model's input order. The inputs
 * are only read, and only during the call. */
BITNET_API_EXPORT bitnet_status_t bitnet_context_run(
    bitnet_context_t *context, const bitnet_tensor_t *inputs, int32_t num_inputs);
/* Output `index` of the last successful run, borrowed until the next run or
 * the context's destruction. */
BITNET_API_EXPORT bitnet_status_t bitnet_context_output(
    bitnet_context_t *context, int32_t index, bitnet_tensor_t *out_tensor);

/*===----------------------------------------------------------------------===*
 * Generation sessions (decoders compiled with `bitnet-compile --kv-cache`)
 *===----------------------------------------------------------------------===*/

/* One sequence being generated: the KV caches (owned by the session,
 * allocated once for max_context positions and written in place), the
 * number of positions filled, and the logits of the last token. The model
 * must have one int64 [batch, seq] token input besides its caches and
 * `kv_length`, and a float32 [batch, seq, vocab] first output. */
typedef struct bitnet_session_s bitnet_session_t;

/* Returns nonzero when `model` has a runtime-owned KV cache. */
BITNET_API_EXPORT int32_t bitnet_model_has_kv_cache(const bitnet_model_t *model);

/* Creates a session; `options` may be NULL. max_context = 0 means 2048
 * positions. */
BITNET_API_EXPORT bitnet_status_t bitnet_session_create(
    const bitnet_model_t *model, const bitnet_context_options_t *options,
    bitnet_session_t **out_session);
/* Destroys `session` and its caches; NULL is allowed. */
BITNET_API_EXPORT void bitnet_session_destroy(bitnet_session_t *session);
/* Forgets every position: the next append starts a new sequence. */
BITNET_API_EXPORT bitnet_status_t bitnet_session_reset(bitnet_session_t *session);
/* Positions filled so far, and the most the session holds. */
BITNET_API_EXPORT int64_t bitnet_session_length(const bitnet_session_t *session);
BITNET_API_EXPORT int64_t bitnet_session_capacity(const bitnet_session_t *session);

/* Appends `num_tokens` (>= 1) tokens in one run — the whole prompt (prefill),
 * then one token per step — and returns the logits after the last one as a
 * float32 [vocab] tensor, borrowed until the next call on the session.
 * OUT_OF_RANGE when the tokens do not fit in the remaining capacity (the
 * session is unchanged); INVALID_ARGUMENT for a token outside [0, vocab). */
BITNET_API_EXPORT bitnet_status_t bitnet_session_append(
    bitnet_session_t *session, const int64_t *tokens, int64_t num_tokens,
    bitnet_tensor_t *out_logits);

typedef struct bitnet_sampling_options_s {
  uint32_t struct_size;
  /* 0 = greedy (argmax, the lowest index on ties). */
  float temperature;
  /* Keep the k most likely tokens; 0 = all. */
  int32_t top_k;
  /* Keep the smallest set whose probability reaches p; 1 = all. */
  float top_p;
} bitnet_sampling_options_t;

BITNET_API_EXPORT void bitnet_sampling_options_initialize(
    bitnet_sampling_options_t *options);

/* Picks the next token from `logits` ([vocab] float32). `rng_state` is the
 * caller's random state (seed it with any value; it is advanced), unused by
 * greedy decoding. Deterministic for a given state. */
BITNET_API_EXPORT bitnet_status_t bitnet_sample(
    const float *logits, int64_t vocab, const bitnet_sampling_options_t *options,
    uint64_t *rng_state, int64_t *out_token);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_C_RUNTIME_H */
