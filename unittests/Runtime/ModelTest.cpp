//===- ModelTest.cpp - Status, dtype and model metadata API ---------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "StatusMatchers.h"

#include "bitnet-c/Runtime.h"

#include "gtest/gtest.h"

#include <cstring>
#include <string>

namespace {

TEST(Status, NullIsOk) {
  EXPECT_EQ(bitnet_status_code(nullptr), BITNET_STATUS_OK);
  EXPECT_STREQ(bitnet_status_message(nullptr), "");
  bitnet_status_free(nullptr);
}

TEST(Status, CodeStrings) {
  EXPECT_STREQ(bitnet_status_code_string(BITNET_STATUS_OK), "OK");
  EXPECT_STREQ(bitnet_status_code_string(BITNET_STATUS_INVALID_ARGUMENT),
               "INVALID_ARGUMENT");
  EXPECT_STREQ(bitnet_status_code_string(BITNET_STATUS_SHAPE_MISMATCH),
               "SHAPE_MISMATCH");
  EXPECT_STREQ(bitnet_status_code_string(BITNET_STATUS_OUT_OF_RANGE),
               "OUT_OF_RANGE");
  EXPECT_STREQ(bitnet_status_code_string(BITNET_STATUS_RESOURCE_EXHAUSTED),
               "RESOURCE_EXHAUSTED");
  EXPECT_STREQ(bitnet_status_code_string(BITNET_STATUS_INCOMPATIBLE),
               "INCOMPATIBLE");
  EXPECT_STREQ(bitnet_status_code_string(BITNET_STATUS_UNIMPLEMENTED),
               "UNIMPLEMENTED");
  EXPECT_STREQ(bitnet_status_code_string(BITNET_STATUS_INTERNAL), "INTERNAL");
}

TEST(Version, MatchesHeader) {
  EXPECT_EQ(bitnet_api_version(), (uint32_t(BITNET_API_VERSION_MAJOR) << 16) |
                                      BITNET_API_VERSION_MINOR);
}

TEST(Dtype, SizesAndNames) {
  struct Row {
    bitnet_dtype_t dtype;
    size_t size;
    const char *name;
  };
  const Row rows[] = {
      {BITNET_DTYPE_FLOAT32, 4, "float32"},
      {BITNET_DTYPE_UINT8, 1, "uint8"},
      {BITNET_DTYPE_INT8, 1, "int8"},
      {BITNET_DTYPE_UINT16, 2, "uint16"},
      {BITNET_DTYPE_INT16, 2, "int16"},
      {BITNET_DTYPE_INT32, 4, "int32"},
      {BITNET_DTYPE_INT64, 8, "int64"},
      {BITNET_DTYPE_BOOL, 1, "bool"},
      {BITNET_DTYPE_FLOAT16, 2, "float16"},
      {BITNET_DTYPE_FLOAT64, 8, "float64"},
      {BITNET_DTYPE_UINT32, 4, "uint32"},
      {BITNET_DTYPE_UINT64, 8, "uint64"},
  };
  for (const Row &row : rows) {
    EXPECT_EQ(bitnet_dtype_size(row.dtype), row.size) << row.name;
    EXPECT_STREQ(bitnet_dtype_string(row.dtype), row.name);
  }
  // 8 is ONNX's string, which the runtime does not support.
  EXPECT_EQ(bitnet_dtype_size(static_cast<bitnet_dtype_t>(8)), 0u);
  EXPECT_STREQ(bitnet_dtype_string(static_cast<bitnet_dtype_t>(8)), "unknown");
}

TEST(Model, GetRejectsNull) {
  EXPECT_STATUS(bitnet_model_get(nullptr), BITNET_STATUS_INVALID_ARGUMENT,
                "out_model is NULL");
}

TEST(Model, FakeModelMetadata) {
  const bitnet_model_t *model = nullptr;
  EXPECT_OK(bitnet_model_get(&model));
  ASSERT_NE(model, nullptr);
  // The same immutable model every time.
  const bitnet_model_t *again = nullptr;
  EXPECT_OK(bitnet_model_get(&again));
  EXPECT_EQ(model, again);

  EXPECT_STREQ(bitnet_model_name(model), "fake add");
  EXPECT_NE(std::strstr(bitnet_model_target(model), "-linux-gnu "), nullptr);
  ASSERT_EQ(bitnet_model_num_inputs(model), 2);
  ASSERT_EQ(bitnet_model_num_outputs(model), 2);

  bitnet_tensor_info_t info;
  EXPECT_OK(bitnet_model_input_info(model, 1, &info));
  EXPECT_STREQ(info.name, "b");
  EXPECT_EQ(info.dtype, BITNET_DTYPE_FLOAT32);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.shape[0], 2);
  EXPECT_EQ(info.shape[1], BITNET_DYNAMIC_DIM);
  EXPECT_EQ(info.dim_names[0], nullptr);
  EXPECT_STREQ(info.dim_names[1], "sequence");

  EXPECT_OK(bitnet_model_output_info(model, 1, &info));
  EXPECT_STREQ(info.name, "shape");
  EXPECT_EQ(info.dtype, BITNET_DTYPE_INT64);
  ASSERT_EQ(info.rank, 1);
  EXPECT_EQ(info.shape[0], 2);
}

TEST(Model, InfoValidatesArguments) {
  const bitnet_model_t *model = nullptr;
  EXPECT_OK(bitnet_model_get(&model));
  bitnet_tensor_info_t info;
  EXPECT_STATUS(bitnet_model_input_info(nullptr, 0, &info),
                BITNET_STATUS_INVALID_ARGUMENT, "model is NULL");
  EXPECT_STATUS(bitnet_model_input_info(model, 0, nullptr),
                BITNET_STATUS_INVALID_ARGUMENT, "out_info is NULL");
  EXPECT_STATUS(bitnet_model_input_info(model, 2, &info),
                BITNET_STATUS_INVALID_ARGUMENT,
                "index 2 is out of range; the model has 2 inputs");
  EXPECT_STATUS(bitnet_model_output_info(model, -1, &info),
                BITNET_STATUS_INVALID_ARGUMENT,
                "index -1 is out of range; the model has 2 outputs");
}

TEST(Model, AccessorsTolerateNull) {
  EXPECT_STREQ(bitnet_model_name(nullptr), "");
  EXPECT_STREQ(bitnet_model_target(nullptr), "");
  EXPECT_EQ(bitnet_model_num_inputs(nullptr), 0);
  EXPECT_EQ(bitnet_model_num_outputs(nullptr), 0);
}

} // namespace
