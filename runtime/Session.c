//===- Session.c - Generation sessions over a runtime-owned KV cache -*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A session owns the KV caches of one sequence (batch 1), allocated once for
// `capacity` positions. Each append runs the model on the new tokens with
// kv_length = the positions filled so far; the compiled code writes the new
// keys/values in place (bitnet-kv-cache), so a step costs no cache copy.
// The session checks every bound the generated code relies on.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { kDefaultCapacity = 2048 };
/// Each cache starts on its own cache line.
enum { kCacheAlign = 64 };

struct bitnet_session_s {
  const bitnet_model_t *model;
  bitnet_context_t *context;
  int32_t tokenInput;
  int64_t vocab;
  int64_t capacity;
  int64_t length;
  /// Per input: the tensor handed to the model (caches point at owned
  /// buffers; the token input and kv_length are filled per append).
  bitnet_tensor_t *inputs;
  int64_t *shapes; // room for every input's rank
  /// Every cache, one after the other, in one mapping (see allocateCaches).
  void *cacheBlock;
  size_t cacheBlockBytes;
  int64_t tokenShape[2];
  int64_t lengthValue;
  int64_t logitsShape[1];
};

int32_t bitnet_model_has_kv_cache(const bitnet_model_t *model) {
  return model && model->kvLengthInput >= 0;
}

void bitnet_session_destroy(bitnet_session_t *session) {
  if (!session)
    return;
  if (session->cacheBlock)
    munmap(session->cacheBlock, session->cacheBlockBytes);
  free(session->inputs);
  free(session->shapes);
  bitnet_context_destroy(session->context);
  free(session);
}

/// Checks that `model` has the shape the session drives and finds its token
/// input and vocabulary size.
static bitnet_status_t checkDecoder(const bitnet_model_t *model,
                                    int32_t *tokenInput, int64_t *vocab) {
  if (model->kvLengthInput < 0)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_session_create: model '%s' has no "
                            "runtime-owned KV cache (compile the decoder "
                            "with bitnet-compile --kv-cache)",
                            model->name);
  *tokenInput = -1;
  for (int32_t i = 0; i < model->numInputs; ++i) {
    if (model->kvCacheAxis[i] >= 0 || i == model->kvLengthInput)
      continue;
    const bitnet_tensor_info_t *info = &model->inputs[i];
    if (*tokenInput >= 0 || info->dtype != BITNET_DTYPE_INT64 ||
        info->rank != 2)
      return bitnetMakeStatus(
          BITNET_STATUS_UNIMPLEMENTED,
          "bitnet_session_create: input '%s' is neither the int64 [batch, "
          "seq] token input nor a cache; sessions support decoders whose "
          "only other input is the token ids",
          info->name);
    *tokenInput = i;
  }
  if (*tokenInput < 0)
    return bitnetMakeStatus(BITNET_STATUS_UNIMPLEMENTED,
                            "bitnet_session_create: the model has no int64 "
                            "[batch, seq] token input");
  const bitnet_tensor_info_t *logits =
      model->numOutputs > 0 ? &model->outputs[0] : NULL;
  if (!logits || logits->dtype != BITNET_DTYPE_FLOAT32 || logits->rank != 3 ||
      logits->shape[2] <= 0)
    return bitnetMakeStatus(BITNET_STATUS_UNIMPLEMENTED,
                            "bitnet_session_create: the first output must be "
                            "float32 [batch, seq, vocab] logits with a static "
                            "vocab");
  *vocab = logits->shape[2];
  return NULL;
}

/// A cache's bytes in the shared mapping (allocateCaches): whole lines.
static size_t cacheSlotBytes(const bitnet_tensor_t *cache) {
  return (cache->size_bytes + kCacheAlign - 1) / kCacheAlign * kCacheAlign;
}

/// Places every cache input (size_bytes set) in one zeroed anonymous mapping,
/// 2 MiB aligned and advised for huge pages. Attention reads each layer's
/// cache and a step writes one position into it, which in a transposed K
/// cache touches one line every `capacity` elements: on 4 KiB pages each of
/// those is a TLB miss (a 2B-model step wrote 640 floats in 24 us per layer).
static bitnet_status_t allocateCaches(bitnet_session_t *session) {
  enum { kHugePage = 2 << 20 };
  const bitnet_model_t *model = session->model;
  size_t total = 0;
  for (int32_t i = 0; i < model->numInputs; ++i)
    if (model->kvCacheAxis[i] >= 0) {
      if (total >
          SIZE_MAX - kHugePage - kCacheAlign - session->inputs[i].size_bytes)
        return bitnetMakeStatus(BITNET_STATUS_OUT_OF_RANGE,
                                "bitnet_session_create: the caches of %lld "
                                "positions are too large",
                                (long long)session->capacity);
      total += cacheSlotBytes(&session->inputs[i]);
    }
  if (total == 0)
    return NULL;
  // Over-map by a huge page and trim to an aligned start.
  size_t mapped = total + kHugePage;
  char *block = mmap(NULL, mapped, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED)
    return bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED,
                            "bitnet_session_create: cannot allocate %zu bytes "
                            "of KV cache (%lld positions)",
                            total, (long long)session->capacity);
  size_t head = (size_t)(-(uintptr_t)block & (kHugePage - 1));
  if (head)
    munmap(block, head);
  if (mapped - head > total)
    munmap(block + head + total, mapped - head - total);
  block += head;
  session->cacheBlock = block;
  session->cacheBlockBytes = total;
  (void)madvise(block, total, MADV_HUGEPAGE);
  for (int32_t i = 0; i < model->numInputs; ++i)
    if (model->kvCacheAxis[i] >= 0) {
      session->inputs[i].data = block;
      block += cacheSlotBytes(&session->inputs[i]);
    }
  return NULL;
}

bitnet_status_t bitnet_session_create(const bitnet_model_t *model,
                                      const bitnet_context_options_t *options,
                                      bitnet_session_t **out_session) {
  if (!out_session)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_session_create: out_session is NULL");
  *out_session = NULL;
  if (!model)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_session_create: model is NULL");
  int32_t tokenInput;
  int64_t vocab;
  bitnet_status_t status = checkDecoder(model, &tokenInput, &vocab);
  if (status)
    return status;

  bitnet_session_t *session = calloc(1, sizeof(bitnet_session_t));
  if (!session)
    return bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory");
  session->model = model;
  status = bitnet_context_create(model, options, &session->context);
  if (status) {
    bitnet_session_destroy(session);
    return status;
  }
  int64_t capacity = options && options->max_context > 0 ? options->max_context
                                                         : kDefaultCapacity;
  session->tokenInput = tokenInput;
  session->vocab = vocab;
  session->capacity = capacity;
  size_t numInputs = (size_t)model->numInputs;
  int64_t slots = 0;
  for (int32_t i = 0; i < model->numInputs; ++i)
    slots += model->inputs[i].rank;
  session->inputs = calloc(numInputs, sizeof(bitnet_tensor_t));
  session->shapes = calloc((size_t)slots + 1, sizeof(int64_t));
  if (!session->inputs || !session->shapes) {
    bitnet_session_destroy(session);
    return bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory");
  }

  int64_t *shape = session->shapes;
  for (int32_t i = 0; i < model->numInputs; ++i) {
    const bitnet_tensor_info_t *info = &model->inputs[i];
    bitnet_tensor_t *input = &session->inputs[i];
    input->dtype = info->dtype;
    input->rank = info->rank;
    input->shape = shape;
    shape += info->rank;
    int32_t axis = model->kvCacheAxis[i];
    if (axis < 0)
      continue;
    // A cache: batch 1 on a dynamic leading dim, `capacity` on its axis,
    // every other extent static.
    uint64_t count = 1;
    for (int32_t d = 0; d < info->rank; ++d) {
      int64_t extent = info->shape[d];
      if (d == axis)
        extent = capacity;
      else if (extent == BITNET_DYNAMIC_DIM && d == 0)
        extent = 1;
      else if (extent == BITNET_DYNAMIC_DIM) {
        bitnet_session_destroy(session);
        return bitnetMakeStatus(BITNET_STATUS_UNIMPLEMENTED,
                                "bitnet_session_create: cache '%s' dim %d is "
                                "dynamic; only the batch and cache axes may be",
                                info->name, d);
      }
      ((int64_t *)input->shape)[d] = extent;
      if (extent != 0 && count > UINT64_MAX / (uint64_t)extent) {
        bitnet_session_destroy(session);
        return bitnetMakeStatus(BITNET_STATUS_OUT_OF_RANGE,
                                "bitnet_session_create: cache '%s' with %lld "
                                "positions overflows",
                                info->name, (long long)capacity);
      }
      count *= (uint64_t)extent;
    }
    size_t elementSize = bitnet_dtype_size(info->dtype);
    if (elementSize == 0 || count > SIZE_MAX / elementSize) {
      bitnet_session_destroy(session);
      return bitnetMakeStatus(BITNET_STATUS_OUT_OF_RANGE,
                              "bitnet_session_create: cache '%s' is too large",
                              info->name);
    }
    input->size_bytes = (size_t)count * elementSize;
  }
  status = allocateCaches(session);
  if (status) {
    bitnet_session_destroy(session);
    return status;
  }
  bitnet_tensor_t *length = &session->inputs[model->kvLengthInput];
  length->data = &session->lengthValue;
  length->size_bytes = sizeof(int64_t);
  bitnet_tensor_t *tokens = &session->inputs[tokenInput];
  tokens->shape = session->tokenShape;
  session->logitsShape[0] = vocab;
  *out_session = session;
  return NULL;
}

bitnet_status_t bitnet_session_reset(bitnet_session_t *session) {
  if (!session)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_session_reset: session is NULL");
  session->length = 0;
  return NULL;
}

int64_t bitnet_session_length(const bitnet_session_t *session) {
  return session ? session->length : 0;
}

int64_t bitnet_session_capacity(const bitnet_session_t *session) {
  return session ? session->capacity : 0;
}

bitnet_status_t bitnet_session_append(bitnet_session_t *session,
                                      const int64_t *tokens, int64_t num_tokens,
                                      bitnet_tensor_t *out_logits) {
  if (!session)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_session_append: session is NULL");
  if (!out_logits)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_session_append: out_logits is NULL");
  if (num_tokens <= 0)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_session_append: no tokens (an empty "
                            "prompt cannot start a sequence)");
  if (!tokens)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_session_append: tokens is NULL");
  if (num_tokens > session->capacity - session->length)
    return bitnetMakeStatus(BITNET_STATUS_OUT_OF_RANGE,
                            "bitnet_session_append: %lld tokens do not fit: "
                            "%lld of %lld context positions are used",
                            (long long)num_tokens, (long long)session->length,
                            (long long)session->capacity);
  for (int64_t i = 0; i < num_tokens; ++i)
    if (tokens[i] < 0 || tokens[i] >= session->vocab)
      return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                              "bitnet_session_append: token %lld at position "
                              "%lld is outside the vocabulary [0, %lld)",
                              (long long)tokens[i], (long long)i,
                              (long long)session->vocab);

  bitnet_tensor_t *input = &session->inputs[session->tokenInput];
  session->tokenShape[0] = 1;
  session->tokenShape[1] = num_tokens;
  input->data = (void *)tokens;
  input->size_bytes = (size_t)num_tokens * sizeof(int64_t);
  session->lengthValue = session->length;
  bitnet_status_t status =
      bitnetContextRun(session->context, session->inputs,
                       session->model->numInputs, /*allowCaches=*/true);
  if (status)
    return status;
  bitnet_tensor_t logits;
  status = bitnet_context_output(session->context, 0, &logits);
  if (status)
    return status;
  // Every position's logits, or (bitnet-last-position-logits) the last's.
  if (logits.rank != 3 || logits.shape[0] != 1 ||
      (logits.shape[1] != num_tokens && logits.shape[1] != 1) ||
      logits.shape[2] != session->vocab)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                            "bitnet_session_append: the logits have an "
                            "unexpected shape");
  session->length += num_tokens;
  out_logits->dtype = BITNET_DTYPE_FLOAT32;
  out_logits->rank = 1;
  out_logits->shape = session->logitsShape;
  out_logits->data = (float *)logits.data +
                     (size_t)(logits.shape[1] - 1) * (size_t)session->vocab;
  out_logits->size_bytes = (size_t)session->vocab * sizeof(float);
  return NULL;
}
