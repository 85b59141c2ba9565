//===- Metadata.c - Parse __bitnet_model_metadata -----------------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Parses the line-oriented metadata text described in
// bitnet-c/ModelInterface.h into a bitnet_model_s. Records the runtime does
// not know are skipped, so a newer compiler may add records without a new
// format version; a malformed known record is an INTERNAL error.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include "bitnet-c/ModelInterface.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { kMaxTokens = 4096 };

/// One line split into tokens (pointers into a writable copy of the line).
typedef struct Line {
  char *buffer;
  char *tokens[kMaxTokens];
  int numTokens;
} Line;

static char *copyString(const char *begin, size_t length) {
  char *result = malloc(length + 1);
  if (!result)
    return NULL;
  memcpy(result, begin, length);
  result[length] = '\0';
  return result;
}

static int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/// Decodes a percent-encoded name ("%" alone is the empty name). Sets
/// `*outName` to NULL for a malformed name or out of memory (`*outOfMemory`).
static char *decodeName(const char *encoded, bool *outOfMemory) {
  *outOfMemory = false;
  size_t length = strlen(encoded);
  if (length == 1 && encoded[0] == '%')
    length = 0;
  char *result = malloc(length + 1);
  if (!result) {
    *outOfMemory = true;
    return NULL;
  }
  size_t out = 0;
  for (size_t i = 0; i < length; ++i) {
    if (encoded[i] != '%') {
      result[out++] = encoded[i];
      continue;
    }
    int high = i + 2 < length ? hexValue(encoded[i + 1]) : -1;
    int low = high >= 0 ? hexValue(encoded[i + 2]) : -1;
    if (low < 0 || (high == 0 && low == 0)) {
      free(result);
      return NULL;
    }
    result[out++] = (char)(high * 16 + low);
    i += 2;
  }
  result[out] = '\0';
  return result;
}

/// Parses a non-negative decimal integer that fills all of `text`.
static bool parseCount(const char *text, int64_t *outValue) {
  if (*text < '0' || *text > '9')
    return false;
  errno = 0;
  char *end;
  long long value = strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *outValue = value;
  return true;
}

static void freeTensorInfos(bitnet_tensor_info_t *infos, int32_t count) {
  if (!infos)
    return;
  for (int32_t i = 0; i < count; ++i) {
    free((char *)infos[i].name);
    if (infos[i].dim_names)
      for (int32_t d = 0; d < infos[i].rank; ++d)
        free((char *)infos[i].dim_names[d]);
    free((char **)infos[i].dim_names);
    free((int64_t *)infos[i].shape);
  }
  free(infos);
}

void bitnetFreeModel(struct bitnet_model_s *model) {
  if (!model)
    return;
  free(model->name);
  free(model->target);
  free(model->requiredFeatures);
  free(model->kvCacheAxis);
  freeTensorInfos(model->inputs, model->numInputs);
  freeTensorInfos(model->outputs, model->numOutputs);
  free(model);
}

/// Joins tokens [first, numTokens) of `line` with single spaces.
static char *joinTokens(const Line *line, int first) {
  size_t length = 0;
  for (int i = first; i < line->numTokens; ++i)
    length += strlen(line->tokens[i]) + 1;
  char *result = malloc(length + 1);
  if (!result)
    return NULL;
  char *out = result;
  for (int i = first; i < line->numTokens; ++i) {
    if (i != first)
      *out++ = ' ';
    size_t tokenLength = strlen(line->tokens[i]);
    memcpy(out, line->tokens[i], tokenLength);
    out += tokenLength;
  }
  *out = '\0';
  return result;
}

/// Fills `info` from the tokens of an `input`/`output` record.
static bitnet_status_t parseTensorRecord(const Line *line, int lineNumber,
                                         bitnet_tensor_info_t *info) {
  const char *kind = line->tokens[0];
  if (line->numTokens < 4)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                            "model metadata line %d: '%s' record needs a "
                            "name, a dtype and a rank",
                            lineNumber, kind);
  bool outOfMemory;
  info->name = decodeName(line->tokens[1], &outOfMemory);
  if (!info->name)
    return outOfMemory ? bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED,
                                          "out of memory")
                       : bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                          "model metadata line %d: malformed "
                                          "name '%s'",
                                          lineNumber, line->tokens[1]);
  int64_t dtype, rank;
  if (!parseCount(line->tokens[2], &dtype) || dtype > 255 ||
      bitnet_dtype_size((bitnet_dtype_t)dtype) == 0)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                            "model metadata line %d: %s '%s' has an unknown "
                            "dtype '%s'",
                            lineNumber, kind, info->name, line->tokens[2]);
  info->dtype = (bitnet_dtype_t)dtype;
  if (!parseCount(line->tokens[3], &rank) ||
      rank != (int64_t)line->numTokens - 4)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                            "model metadata line %d: %s '%s' has rank '%s' "
                            "but %d dims",
                            lineNumber, kind, info->name, line->tokens[3],
                            line->numTokens - 4);
  info->rank = (int32_t)rank;
  int64_t *shape = calloc((size_t)rank + 1, sizeof(int64_t));
  const char **dimNames = calloc((size_t)rank + 1, sizeof(char *));
  info->shape = shape;
  info->dim_names = dimNames;
  if (!shape || !dimNames)
    return bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory");
  for (int64_t d = 0; d < rank; ++d) {
    const char *dim = line->tokens[4 + d];
    if (dim[0] != '?') {
      if (!parseCount(dim, &shape[d]))
        return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                "model metadata line %d: %s '%s' has a "
                                "malformed dim '%s'",
                                lineNumber, kind, info->name, dim);
      continue;
    }
    shape[d] = BITNET_DYNAMIC_DIM;
    if (dim[1] == '\0')
      continue;
    dimNames[d] = decodeName(dim + 1, &outOfMemory);
    if (!dimNames[d])
      return outOfMemory
                 ? bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED,
                                    "out of memory")
                 : bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                    "model metadata line %d: %s '%s' has a "
                                    "malformed dim name '%s'",
                                    lineNumber, kind, info->name, dim);
  }
  return NULL;
}

/// Splits the line starting at `text` (up to '\n' or NUL) into `line`.
/// Returns the start of the next line, or NULL at the end of the text.
static const char *splitLine(const char *text, Line *line, bool *outOfMemory) {
  const char *end = strchr(text, '\n');
  size_t length = end ? (size_t)(end - text) : strlen(text);
  if (length > 0 && text[length - 1] == '\r')
    --length;
  line->buffer = copyString(text, length);
  line->numTokens = 0;
  *outOfMemory = !line->buffer;
  if (line->buffer) {
    char *cursor = line->buffer;
    while (*cursor && line->numTokens < kMaxTokens) {
      while (*cursor == ' ' || *cursor == '\t')
        *cursor++ = '\0';
      if (!*cursor)
        break;
      line->tokens[line->numTokens++] = cursor;
      while (*cursor && *cursor != ' ' && *cursor != '\t')
        ++cursor;
    }
  }
  return end ? end + 1 : NULL;
}

/// An upper bound on the number of records: the number of lines.
static int32_t countLines(const char *text) {
  int32_t count = 1;
  for (const char *p = strchr(text, '\n'); p; p = strchr(p + 1, '\n'))
    ++count;
  return count;
}

static bitnet_status_t parseLines(const char *text,
                                  struct bitnet_model_s *model, Line *line) {
  int lineNumber = 0;
  bool sawHeader = false;
  const char *cursor = text;
  while (cursor) {
    bool outOfMemory;
    cursor = splitLine(cursor, line, &outOfMemory);
    ++lineNumber;
    if (outOfMemory)
      return bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED,
                              "out of memory");
    bitnet_status_t status = NULL;
    const char *kind = line->numTokens ? line->tokens[0] : "";
    if (line->numTokens == 0) {
      // Blank lines are allowed anywhere.
    } else if (line->numTokens >= kMaxTokens) {
      status = bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                "model metadata line %d: too many fields",
                                lineNumber);
    } else if (!sawHeader) {
      int64_t version;
      if (strcmp(kind, "bitnet-model") != 0 || line->numTokens != 2 ||
          !parseCount(line->tokens[1], &version))
        status = bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                  "model metadata does not start with "
                                  "'bitnet-model <version>'");
      else if (version != BITNET_MODEL_METADATA_VERSION)
        status = bitnetMakeStatus(
            BITNET_STATUS_INCOMPATIBLE,
            "model metadata format version %lld; this runtime reads "
            "version %d",
            (long long)version, BITNET_MODEL_METADATA_VERSION);
      sawHeader = true;
    } else if (strcmp(kind, "name") == 0) {
      bool nameOutOfMemory = false;
      free(model->name);
      model->name = line->numTokens == 2
                        ? decodeName(line->tokens[1], &nameOutOfMemory)
                        : NULL;
      if (!model->name && line->numTokens == 2 && nameOutOfMemory)
        status =
            bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory");
      else if (!model->name)
        status = bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                  "model metadata line %d: malformed 'name' "
                                  "record",
                                  lineNumber);
    } else if (strcmp(kind, "target") == 0) {
      free(model->target);
      model->target = joinTokens(line, 1);
    } else if (strcmp(kind, "requires") == 0) {
      free(model->requiredFeatures);
      model->requiredFeatures = joinTokens(line, 1);
    } else if (strcmp(kind, "input") == 0) {
      status = parseTensorRecord(line, lineNumber,
                                 &model->inputs[model->numInputs++]);
    } else if (strcmp(kind, "kv-cache") == 0) {
      int64_t index, axis;
      if (line->numTokens != 4 || !parseCount(line->tokens[1], &index) ||
          !parseCount(line->tokens[2], &axis) || index >= model->numInputs ||
          axis >= model->inputs[index].rank)
        status = bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                  "model metadata line %d: malformed "
                                  "'kv-cache' record",
                                  lineNumber);
      else
        model->kvCacheAxis[index] = (int32_t)axis;
    } else if (strcmp(kind, "kv-length") == 0) {
      int64_t index;
      if (line->numTokens != 2 || !parseCount(line->tokens[1], &index) ||
          index >= model->numInputs || model->inputs[index].rank != 0 ||
          model->inputs[index].dtype != BITNET_DTYPE_INT64)
        status = bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                                  "model metadata line %d: malformed "
                                  "'kv-length' record",
                                  lineNumber);
      else
        model->kvLengthInput = (int32_t)index;
    } else if (strcmp(kind, "output") == 0) {
      bitnet_tensor_info_t *info = &model->outputs[model->numOutputs++];
      status = parseTensorRecord(line, lineNumber, info);
      if (!status)
        model->outputShapeSlots += info->rank;
    }
    free(line->buffer);
    line->buffer = NULL;
    if (status)
      return status;
  }
  if (!sawHeader)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL, "model metadata is empty");
  if (!model->name)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                            "model metadata has no 'name' record");
  if (!model->target)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                            "model metadata has no 'target' record");
  bool hasCache = false;
  for (int32_t i = 0; i < model->numInputs; ++i)
    hasCache |= model->kvCacheAxis[i] >= 0;
  if (hasCache != (model->kvLengthInput >= 0))
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL,
                            "model metadata has KV caches without a "
                            "'kv-length' input, or the reverse");
  if (!model->requiredFeatures)
    model->requiredFeatures = copyString("", 0);
  if (!model->requiredFeatures)
    return bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory");
  return NULL;
}

bitnet_status_t bitnetParseMetadata(const char *text,
                                    struct bitnet_model_s **outModel) {
  *outModel = NULL;
  if (!text)
    return bitnetMakeStatus(BITNET_STATUS_INTERNAL, "model metadata is NULL");
  struct bitnet_model_s *model = calloc(1, sizeof(struct bitnet_model_s));
  Line *line = calloc(1, sizeof(Line));
  size_t maxRecords = (size_t)countLines(text);
  if (model) {
    model->inputs = calloc(maxRecords, sizeof(bitnet_tensor_info_t));
    model->outputs = calloc(maxRecords, sizeof(bitnet_tensor_info_t));
    model->kvCacheAxis = malloc(maxRecords * sizeof(int32_t));
    model->kvLengthInput = -1;
    if (model->kvCacheAxis)
      for (size_t i = 0; i < maxRecords; ++i)
        model->kvCacheAxis[i] = -1;
  }
  bitnet_status_t status;
  if (!model || !line || !model->inputs || !model->outputs ||
      !model->kvCacheAxis)
    status =
        bitnetMakeStatus(BITNET_STATUS_RESOURCE_EXHAUSTED, "out of memory");
  else
    status = parseLines(text, model, line);
  if (line)
    free(line->buffer);
  free(line);
  if (status) {
    bitnetFreeModel(model);
    return status;
  }
  *outModel = model;
  return NULL;
}
