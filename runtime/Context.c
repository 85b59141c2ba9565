//===- Context.c - Contexts, input validation and runs ------------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A context owns the outputs of its last successful run. Each run validates
// every input against the model's metadata before calling the generated
// __bitnet_model_run, which relies on that validation (ModelInterface.h).
// The new outputs go to a second set of buffers, so a failed run leaves the
// previous outputs intact.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include "bitnet-c/ModelInterface.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// The outputs of one run: the model's view plus the sizes in bytes.
typedef struct OutputSet {
  bitnet_model_output_t *outputs;
  int64_t *shapes;
  size_t *sizes;
} OutputSet;

struct bitnet_context_s {
  const bitnet_model_t *model;
  int32_t numThreads;
  /// numThreads - 1 workers, started by the first run; NULL for one thread.
  BitNetThreadPool *threadPool;
  bool threadPoolStarted;
  int64_t maxContext;
  bool hasOutputs;
  OutputSet current;
  OutputSet next;
  bitnet_model_input_t *modelInputs;
};

void bitnet_context_options_initialize(bitnet_context_options_t *options) {
  if (!options)
    return;
  memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
}

static void releaseBuffers(OutputSet *set, int32_t count) {
  for (int32_t i = 0; i < count; ++i) {
    bitnetWorkspaceFree(set->outputs[i].allocated);
    set->outputs[i].allocated = NULL;
    set->outputs[i].data = NULL;
  }
}

static bool allocateOutputSet(OutputSet *set, const bitnet_model_t *model) {
  size_t count = (size_t)model->numOutputs + 1;
  set->outputs = calloc(count, sizeof(bitnet_model_output_t));
  set->shapes = calloc((size_t)model->outputShapeSlots + 1, sizeof(int64_t));
  set->sizes = calloc(count, sizeof(size_t));
  if (!set->outputs || !set->shapes || !set->sizes)
    return false;
  int64_t *shape = set->shapes;
  for (int32_t i = 0; i < model->numOutputs; ++i) {
    set->outputs[i].shape = shape;
    shape += model->outputs[i].rank;
  }
  return true;
}

static void freeOutputSet(OutputSet *set) {
  free(set->outputs);
  free(set->shapes);
  free(set->sizes);
}

void bitnet_context_destroy(bitnet_context_t *context) {
  if (!context)
    return;
  if (context->current.outputs)
    releaseBuffers(&context->current, context->model->numOutputs);
  freeOutputSet(&context->current);
  freeOutputSet(&context->next);
  bitnetThreadPoolDestroy(context->threadPool);
  free(context->modelInputs);
  free(context);
  // What a run freed for reuse goes back too (other contexts refill it).
  bitnetWorkspaceTrim();
}

bitnet_status_t bitnet_context_create(const bitnet_model_t *model,
                                      const bitnet_context_options_t *options,
                                      bitnet_context_t **out_context) {
  if (!out_context)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_create: out_context is NULL");
  *out_context = NULL;
  if (!model)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_create: model is NULL");
  bitnet_context_options_t defaults;
  bitnet_context_options_initialize(&defaults);
  if (!options)
    options = &defaults;
  if (options->struct_size < sizeof(bitnet_context_options_t))
    return bitnetMakeStatus(
        BITNET_STATUS_INVALID_ARGUMENT,
        "bitnet_context_create: options->struct_size is %u, expected at "
        "least %u (call bitnet_context_options_initialize)",
        (unsigned)options->struct_size,
        (unsigned)sizeof(bitnet_context_options_t));
  if (options->num_threads < 0)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_create: num_threads is %d, "
                            "expected >= 0",
                            options->num_threads);
  if (options->max_context < 0)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_create: max_context is %lld, "
                            "expected >= 0",
                            (long long)options->max_context);

  bitnet_status_t status = bitnetCheckWeightPrefetchOverride();
  if (status)
    return status;

  bitnet_context_t *context = calloc(1, sizeof(bitnet_context_t));
  if (!context)
    return bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory");
  context->model = model;
  context->numThreads = options->num_threads;
  if (context->numThreads == 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    context->numThreads = cores > 0 ? (int32_t)cores : 1;
  }
  context->maxContext = options->max_context;
  context->modelInputs =
      calloc((size_t)model->numInputs + 1, sizeof(bitnet_model_input_t));
  if (!context->modelInputs || !allocateOutputSet(&context->current, model) ||
      !allocateOutputSet(&context->next, model)) {
    bitnet_context_destroy(context);
    return bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory");
  }
  *out_context = context;
  return NULL;
}

/// The number of elements of `shape` and their size in bytes; false on
/// overflow.
static bool computeSizes(const int64_t *shape, int32_t rank, size_t elementSize,
                         uint64_t *outCount, size_t *outBytes) {
  uint64_t count = 1;
  for (int32_t d = 0; d < rank; ++d)
    if (__builtin_mul_overflow(count, (uint64_t)shape[d], &count))
      return false;
  uint64_t bytes;
  if (__builtin_mul_overflow(count, (uint64_t)elementSize, &bytes) ||
      bytes > (uint64_t)SIZE_MAX)
    return false;
  *outCount = count;
  *outBytes = (size_t)bytes;
  return true;
}

/// Checks one input on its own (everything but cross-input dim names).
static bitnet_status_t validateInput(const bitnet_tensor_info_t *info,
                                     const bitnet_tensor_t *input) {
  const char *name = info->name;
  if (input->dtype != info->dtype)
    return bitnetMakeStatus(
        BITNET_STATUS_SHAPE_MISMATCH, "input '%s': dtype %s, expected %s", name,
        bitnet_dtype_string(input->dtype), bitnet_dtype_string(info->dtype));
  if (input->rank != info->rank)
    return bitnetMakeStatus(BITNET_STATUS_SHAPE_MISMATCH,
                            "input '%s': rank %d, expected %d", name,
                            input->rank, info->rank);
  if (input->rank > 0 && !input->shape)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "input '%s': shape is NULL for rank %d", name,
                            input->rank);
  for (int32_t d = 0; d < input->rank; ++d) {
    int64_t got = input->shape[d];
    if (got < 0)
      return bitnetMakeStatus(BITNET_STATUS_SHAPE_MISMATCH,
                              "input '%s' dim %d: extent %lld is negative",
                              name, d, (long long)got);
    int64_t expected = info->shape[d];
    if (expected != BITNET_DYNAMIC_DIM && got != expected)
      return bitnetMakeStatus(BITNET_STATUS_SHAPE_MISMATCH,
                              "input '%s' dim %d: got %lld, expected %lld",
                              name, d, (long long)got, (long long)expected);
  }
  uint64_t count;
  size_t bytes;
  size_t elementSize = bitnet_dtype_size(info->dtype);
  if (!computeSizes(input->shape, input->rank, elementSize, &count, &bytes))
    return bitnetMakeStatus(BITNET_STATUS_OUT_OF_RANGE,
                            "input '%s': the size in bytes of the shape "
                            "overflows",
                            name);
  if (input->size_bytes != bytes)
    return bitnetMakeStatus(BITNET_STATUS_SHAPE_MISMATCH,
                            "input '%s': size_bytes is %zu, expected %zu "
                            "(%llu elements of %s)",
                            name, input->size_bytes, bytes,
                            (unsigned long long)count,
                            bitnet_dtype_string(info->dtype));
  if (!input->data && count != 0)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "input '%s': data is NULL for %llu elements", name,
                            (unsigned long long)count);
  return NULL;
}

/// Checks that dims sharing a name have equal extents across all inputs.
static bitnet_status_t validateDimNames(const bitnet_model_t *model,
                                        const bitnet_tensor_t *inputs) {
  for (int32_t i = 0; i < model->numInputs; ++i) {
    const bitnet_tensor_info_t *info = &model->inputs[i];
    for (int32_t d = 0; d < info->rank; ++d) {
      const char *dimName = info->dim_names[d];
      if (!dimName)
        continue;
      // The first dim with this name, in input order, is the reference.
      for (int32_t j = 0; j <= i; ++j) {
        const bitnet_tensor_info_t *other = &model->inputs[j];
        int32_t end = j == i ? d : other->rank;
        int32_t e = 0;
        while (e < end && (!other->dim_names[e] ||
                           strcmp(other->dim_names[e], dimName) != 0))
          ++e;
        if (e == end)
          continue;
        int64_t got = inputs[i].shape[d];
        int64_t reference = inputs[j].shape[e];
        if (got != reference)
          return bitnetMakeStatus(
              BITNET_STATUS_SHAPE_MISMATCH,
              "input '%s' dim %d ('%s'): got %lld, but input '%s' dim %d "
              "('%s') is %lld",
              info->name, d, dimName, (long long)got, other->name, e, dimName,
              (long long)reference);
        break;
      }
    }
  }
  return NULL;
}

/// Checks what the generated code returned; a violation is a compiler bug.
static bitnet_status_t validateOutputs(const bitnet_model_t *model,
                                       OutputSet *set) {
  for (int32_t i = 0; i < model->numOutputs; ++i) {
    const bitnet_tensor_info_t *info = &model->outputs[i];
    const bitnet_model_output_t *output = &set->outputs[i];
    for (int32_t d = 0; d < info->rank; ++d) {
      int64_t extent = output->shape[d];
      if (extent < 0 ||
          (info->shape[d] != BITNET_DYNAMIC_DIM && extent != info->shape[d]))
        return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                "output '%s' dim %d: the model produced "
                                "extent %lld, expected %lld",
                                info->name, d, (long long)extent,
                                (long long)info->shape[d]);
    }
    uint64_t count;
    if (!computeSizes(output->shape, info->rank, bitnet_dtype_size(info->dtype),
                      &count, &set->sizes[i]))
      return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                              "output '%s': the size in bytes overflows",
                              info->name);
    if (count != 0 && !output->data)
      return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                              "output '%s': the model produced no data",
                              info->name);
  }
  return NULL;
}

bitnet_status_t bitnet_context_run(bitnet_context_t *context,
                                   const bitnet_tensor_t *inputs,
                                   int32_t num_inputs) {
  return bitnetContextRun(context, inputs, num_inputs, /*allowCaches=*/false);
}

bitnet_status_t bitnetContextRun(bitnet_context_t *context,
                                 const bitnet_tensor_t *inputs,
                                 int32_t num_inputs, bool allowCaches) {
  if (!context)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_run: context is NULL");
  const bitnet_model_t *model = context->model;
  // The model writes its caches at positions the caller cannot check here;
  // only the session API, which owns them, may run such a model.
  if (model->kvLengthInput >= 0 && !allowCaches)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_run: this model owns a KV cache "
                            "(compiled with --kv-cache); run it through the "
                            "session API (bitnet_session_create)");
  if (num_inputs != model->numInputs)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_run: the model takes %d inputs, "
                            "got %d",
                            model->numInputs, num_inputs);
  if (!inputs && num_inputs > 0)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_run: inputs is NULL");
  for (int32_t i = 0; i < num_inputs; ++i) {
    bitnet_status_t status = validateInput(&model->inputs[i], &inputs[i]);
    if (status)
      return status;
  }
  bitnet_status_t status = validateDimNames(model, inputs);
  if (status)
    return status;

  for (int32_t i = 0; i < num_inputs; ++i) {
    context->modelInputs[i].data = inputs[i].data;
    context->modelInputs[i].shape = inputs[i].shape;
  }
  OutputSet *next = &context->next;
  for (int32_t i = 0; i < model->numOutputs; ++i) {
    next->outputs[i].allocated = NULL;
    next->outputs[i].data = NULL;
  }
  // Threads start with the first run, not with the context: a context that
  // is never run (or only validated) costs no threads. If they cannot be
  // started, the run uses the calling thread alone (same results).
  if (!context->threadPoolStarted) {
    context->threadPool = bitnetThreadPoolCreate(context->numThreads);
    context->threadPoolStarted = true;
  }
  BitNetThreadPool *previousPool =
      bitnetSetCurrentThreadPool(context->threadPool);
  __bitnet_model_run(context->modelInputs, next->outputs);
  bitnetSetCurrentThreadPool(previousPool);
  status = validateOutputs(model, next);
  if (status) {
    releaseBuffers(next, model->numOutputs);
    return status;
  }
  if (context->hasOutputs)
    releaseBuffers(&context->current, model->numOutputs);
  OutputSet previous = context->current;
  context->current = *next;
  *next = previous;
  context->hasOutputs = true;
  return NULL;
}

bitnet_status_t bitnet_context_output(bitnet_context_t *context, int32_t index,
                                      bitnet_tensor_t *out_tensor) {
  if (!context)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_output: context is NULL");
  if (!out_tensor)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_output: out_tensor is NULL");
  const bitnet_model_t *model = context->model;
  if (index < 0 || index >= model->numOutputs)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_output: index %d is out of range; "
                            "the model has %d outputs",
                            index, model->numOutputs);
  if (!context->hasOutputs)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_context_output: the context has no "
                            "successful run yet");
  const bitnet_model_output_t *output = &context->current.outputs[index];
  out_tensor->dtype = model->outputs[index].dtype;
  out_tensor->rank = model->outputs[index].rank;
  out_tensor->shape = output->shape;
  out_tensor->data = output->data;
  out_tensor->size_bytes = context->current.sizes[index];
  return NULL;
}
