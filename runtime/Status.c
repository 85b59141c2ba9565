//===- Status.c - Status objects and enum names -------------------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A status is one heap block: the struct followed by its message. The
// out-of-memory status is static so that reporting an allocation failure
// cannot itself fail; bitnet_status_free ignores it.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <stdio.h>
#include <stdlib.h>

struct bitnet_status_s {
  bitnet_status_code_t code;
  const char *message;
};

static struct bitnet_status_s outOfMemoryStatus = {
    BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory"};

bitnet_status_t bitnetMakeStatus(bitnet_status_code_t code, const char *format,
                                 ...) {
  if (code == BITNET_STATUS_OK)
    return NULL;
  va_list args;
  va_start(args, format);
  int length = vsnprintf(NULL, 0, format, args);
  va_end(args);
  if (length < 0)
    length = 0;
  struct bitnet_status_s *status =
      malloc(sizeof(struct bitnet_status_s) + (size_t)length + 1);
  if (!status)
    return &outOfMemoryStatus;
  char *message = (char *)(status + 1);
  va_start(args, format);
  vsnprintf(message, (size_t)length + 1, format, args);
  va_end(args);
  status->code = code;
  status->message = message;
  return status;
}

bitnet_status_code_t bitnet_status_code(bitnet_status_t status) {
  return status ? status->code : BITNET_STATUS_OK;
}

const char *bitnet_status_message(bitnet_status_t status) {
  return status ? status->message : "";
}

void bitnet_status_free(bitnet_status_t status) {
  if (status && status != &outOfMemoryStatus)
    free(status);
}

const char *bitnet_status_code_string(bitnet_status_code_t code) {
  switch (code) {
  case BITNET_STATUS_OK:
    return "OK";
  case BITNET_STATUS_INVALID_ARGUMENT:
    return "INVALID_ARGUMENT";
  case BITNET_STATUS_SHAPE_MISMATCH:
    return "SHAPE_MISMATCH";
  case BITNET_STATUS_OUT_OF_RANGE:
    return "OUT_OF_RANGE";
  case BITNET_STATUS_RESOURCE_EXHAUSTED:
    return "RESOURCE_EXHAUSTED";
  case BITNET_STATUS_INCOMPATIBLE:
    return "INCOMPATIBLE";
  case BITNET_STATUS_UNIMPLEMENTED:
    return "UNIMPLEMENTED";
  case BITNET_STATUS_INTERNAL:
    return "INTERNAL";
  }
  return "UNKNOWN";
}

uint32_t bitnet_api_version(void) {
  return ((uint32_t)BITNET_API_VERSION_MAJOR << 16) |
         (uint32_t)BITNET_API_VERSION_MINOR;
}

size_t bitnet_dtype_size(bitnet_dtype_t dtype) {
  switch (dtype) {
  case BITNET_DTYPE_UINT8:
  case BITNET_DTYPE_INT8:
  case BITNET_DTYPE_BOOL:
    return 1;
  case BITNET_DTYPE_UINT16:
  case BITNET_DTYPE_INT16:
  case BITNET_DTYPE_FLOAT16:
    return 2;
  case BITNET_DTYPE_FLOAT32:
  case BITNET_DTYPE_INT32:
  case BITNET_DTYPE_UINT32:
    return 4;
  case BITNET_DTYPE_INT64:
  case BITNET_DTYPE_FLOAT64:
  case BITNET_DTYPE_UINT64:
    return 8;
  }
  return 0;
}

const char *bitnet_dtype_string(bitnet_dtype_t dtype) {
  switch (dtype) {
  case BITNET_DTYPE_FLOAT32:
    return "float32";
  case BITNET_DTYPE_UINT8:
    return "uint8";
  case BITNET_DTYPE_INT8:
    return "int8";
  case BITNET_DTYPE_UINT16:
    return "uint16";
  case BITNET_DTYPE_INT16:
    return "int16";
  case BITNET_DTYPE_INT32:
    return "int32";
  case BITNET_DTYPE_INT64:
    return "int64";
  case BITNET_DTYPE_BOOL:
    return "bool";
  case BITNET_DTYPE_FLOAT16:
    return "float16";
  case BITNET_DTYPE_FLOAT64:
    return "float64";
  case BITNET_DTYPE_UINT32:
    return "uint32";
  case BITNET_DTYPE_UINT64:
    return "uint64";
  }
  return "unknown";
}
