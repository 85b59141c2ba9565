//===- Model.c - The model of this library and its metadata -------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The metadata is parsed and the CPU checked once per library (pthread_once);
// the result, a model or the reason there is none, is immutable afterwards
// and shared by every thread. It is released when the library is unloaded.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include "bitnet-c/ModelInterface.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_once_t modelOnce = PTHREAD_ONCE_INIT;
static struct bitnet_model_s *theModel;
/// Why there is no model: kept for the library's lifetime and copied into
/// every bitnet_model_get result, since the caller frees what it receives.
static bitnet_status_t modelError;

static void initializeModel(void) {
  struct bitnet_model_s *model;
  bitnet_status_t status = bitnetParseMetadata(__bitnet_model_metadata, &model);
  if (!status) {
    status = bitnetCheckCpuFeatures(model->requiredFeatures);
    if (status) {
      bitnetFreeModel(model);
      model = NULL;
    }
  }
  // The weights are constants of this library, read-only data next to the
  // metadata.
  if (model)
    bitnetMapWeights(__bitnet_model_metadata);
  theModel = model;
  modelError = status;
}

__attribute__((destructor)) static void releaseModel(void) {
  bitnetFreeModel(theModel);
  theModel = NULL;
  bitnet_status_free(modelError);
  modelError = NULL;
}

bitnet_status_t bitnet_model_get(const bitnet_model_t **out_model) {
  if (!out_model)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "bitnet_model_get: out_model is NULL");
  *out_model = NULL;
  if (pthread_once(&modelOnce, initializeModel) != 0)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                            "bitnet_model_get: pthread_once failed");
  if (modelError)
    return bitnetMakeStatus(bitnet_status_code(modelError), "%s",
                            bitnet_status_message(modelError));
  *out_model = theModel;
  return NULL;
}

const char *bitnet_model_name(const bitnet_model_t *model) {
  return model ? model->name : "";
}

const char *bitnet_model_target(const bitnet_model_t *model) {
  return model ? model->target : "";
}

int32_t bitnet_model_num_inputs(const bitnet_model_t *model) {
  return model ? model->numInputs : 0;
}

int32_t bitnet_model_num_outputs(const bitnet_model_t *model) {
  return model ? model->numOutputs : 0;
}

static bitnet_status_t getInfo(const char *function,
                               const bitnet_model_t *model, int32_t index,
                               bitnet_tensor_info_t *outInfo, int output) {
  if (!model)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT, "%s: model is NULL",
                            function);
  if (!outInfo)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "%s: out_info is NULL", function);
  int32_t count = output ? model->numOutputs : model->numInputs;
  if (index < 0 || index >= count)
    return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                            "%s: index %d is out of range; the model has %d "
                            "%s",
                            function, index, count,
                            output ? "outputs" : "inputs");
  *outInfo = output ? model->outputs[index] : model->inputs[index];
  return NULL;
}

bitnet_status_t bitnet_model_input_info(const bitnet_model_t *model,
                                        int32_t index,
                                        bitnet_tensor_info_t *out_info) {
  return getInfo("bitnet_model_input_info", model, index, out_info, 0);
}

bitnet_status_t bitnet_model_output_info(const bitnet_model_t *model,
                                         int32_t index,
                                         bitnet_tensor_info_t *out_info) {
  return getInfo("bitnet_model_output_info", model, index, out_info, 1);
}
