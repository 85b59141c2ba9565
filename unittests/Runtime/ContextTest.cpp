//===- ContextTest.cpp - Contexts, input validation and outputs -----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Runs the fake model (y = a + b, shape = extents of a; a and b are
// float32 [2, ?sequence]) through every validation path of
// bitnet_context_run.
//
//===----------------------------------------------------------------------===//

#include "StatusMatchers.h"

#include "bitnet-c/Runtime.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

class ContextTest : public ::testing::Test {
protected:
  void SetUp() override {
    EXPECT_OK(bitnet_model_get(&model));
    ASSERT_NE(model, nullptr);
    EXPECT_OK(bitnet_context_create(model, nullptr, &context));
    ASSERT_NE(context, nullptr);
  }
  void TearDown() override { bitnet_context_destroy(context); }

  /// Two valid [2, seq] inputs: a = 0, 1, 2, ...; b = 10, 20, 30, ...
  void makeInputs(int64_t seq) {
    shapeA = {2, seq};
    shapeB = {2, seq};
    a.resize(2 * seq);
    b.resize(2 * seq);
    for (int64_t i = 0; i < 2 * seq; ++i) {
      a[i] = static_cast<float>(i);
      b[i] = 10.0f * static_cast<float>(i + 1);
    }
    inputs[0] = {BITNET_DTYPE_FLOAT32, 2, shapeA.data(), a.data(),
                 a.size() * sizeof(float)};
    inputs[1] = {BITNET_DTYPE_FLOAT32, 2, shapeB.data(), b.data(),
                 b.size() * sizeof(float)};
  }

  bitnet_status_t run() { return bitnet_context_run(context, inputs, 2); }

  const bitnet_model_t *model = nullptr;
  bitnet_context_t *context = nullptr;
  std::vector<int64_t> shapeA, shapeB;
  std::vector<float> a, b;
  bitnet_tensor_t inputs[2];
};

TEST_F(ContextTest, RunsAndReturnsOutputs) {
  makeInputs(3);
  EXPECT_OK(run());
  bitnet_tensor_t y;
  EXPECT_OK(bitnet_context_output(context, 0, &y));
  EXPECT_EQ(y.dtype, BITNET_DTYPE_FLOAT32);
  ASSERT_EQ(y.rank, 2);
  EXPECT_EQ(y.shape[0], 2);
  EXPECT_EQ(y.shape[1], 3);
  ASSERT_EQ(y.size_bytes, 6 * sizeof(float));
  const float *values = static_cast<const float *>(y.data);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(values[i], a[i] + b[i]);

  bitnet_tensor_t shape;
  EXPECT_OK(bitnet_context_output(context, 1, &shape));
  EXPECT_EQ(shape.dtype, BITNET_DTYPE_INT64);
  ASSERT_EQ(shape.rank, 1);
  EXPECT_EQ(shape.shape[0], 2);
  ASSERT_EQ(shape.size_bytes, 2 * sizeof(int64_t));
  EXPECT_EQ(static_cast<const int64_t *>(shape.data)[0], 2);
  EXPECT_EQ(static_cast<const int64_t *>(shape.data)[1], 3);
}

TEST_F(ContextTest, RunsAgainWithAnotherLength) {
  makeInputs(3);
  EXPECT_OK(run());
  makeInputs(5);
  EXPECT_OK(run());
  bitnet_tensor_t y;
  EXPECT_OK(bitnet_context_output(context, 0, &y));
  EXPECT_EQ(y.shape[1], 5);
  EXPECT_EQ(static_cast<const float *>(y.data)[9], a[9] + b[9]);
}

TEST_F(ContextTest, EmptyInputsMayHaveNullData) {
  makeInputs(0);
  inputs[0].data = nullptr;
  inputs[1].data = nullptr;
  EXPECT_OK(run());
  bitnet_tensor_t y;
  EXPECT_OK(bitnet_context_output(context, 0, &y));
  EXPECT_EQ(y.size_bytes, 0u);
  EXPECT_EQ(y.shape[1], 0);
}

TEST_F(ContextTest, FailedRunKeepsPreviousOutputs) {
  makeInputs(3);
  EXPECT_OK(run());
  inputs[1].dtype = BITNET_DTYPE_INT32;
  EXPECT_STATUS(run(), BITNET_STATUS_SHAPE_MISMATCH, "dtype int32");
  bitnet_tensor_t y;
  EXPECT_OK(bitnet_context_output(context, 0, &y));
  EXPECT_EQ(y.shape[1], 3);
}

TEST_F(ContextTest, RejectsNullArguments) {
  makeInputs(3);
  EXPECT_STATUS(bitnet_context_run(nullptr, inputs, 2),
                BITNET_STATUS_INVALID_ARGUMENT, "context is NULL");
  EXPECT_STATUS(bitnet_context_run(context, nullptr, 2),
                BITNET_STATUS_INVALID_ARGUMENT, "inputs is NULL");
  inputs[0].shape = nullptr;
  EXPECT_STATUS(run(), BITNET_STATUS_INVALID_ARGUMENT,
                "input 'a': shape is NULL for rank 2");
  makeInputs(3);
  inputs[1].data = nullptr;
  EXPECT_STATUS(run(), BITNET_STATUS_INVALID_ARGUMENT,
                "input 'b': data is NULL for 6 elements");
}

TEST_F(ContextTest, RejectsWrongInputCount) {
  makeInputs(3);
  EXPECT_STATUS(bitnet_context_run(context, inputs, 1),
                BITNET_STATUS_INVALID_ARGUMENT,
                "the model takes 2 inputs, got 1");
  EXPECT_STATUS(bitnet_context_run(context, inputs, -1),
                BITNET_STATUS_INVALID_ARGUMENT,
                "the model takes 2 inputs, got -1");
}

TEST_F(ContextTest, RejectsWrongDtype) {
  makeInputs(3);
  inputs[0].dtype = BITNET_DTYPE_FLOAT64;
  EXPECT_STATUS(run(), BITNET_STATUS_SHAPE_MISMATCH,
                "input 'a': dtype float64, expected float32");
  // 14 is ONNX's complex64, which the runtime does not support.
  inputs[0].dtype = static_cast<bitnet_dtype_t>(14);
  EXPECT_STATUS(run(), BITNET_STATUS_SHAPE_MISMATCH,
                "input 'a': dtype unknown, expected float32");
}

TEST_F(ContextTest, RejectsWrongRank) {
  makeInputs(3);
  inputs[1].rank = 1;
  EXPECT_STATUS(run(), BITNET_STATUS_SHAPE_MISMATCH,
                "input 'b': rank 1, expected 2");
}

TEST_F(ContextTest, RejectsWrongStaticDim) {
  makeInputs(3);
  shapeA[0] = 3;
  EXPECT_STATUS(run(), BITNET_STATUS_SHAPE_MISMATCH,
                "input 'a' dim 0: got 3, expected 2");
}

TEST_F(ContextTest, RejectsNegativeExtent) {
  makeInputs(3);
  shapeB[1] = -3;
  EXPECT_STATUS(run(), BITNET_STATUS_SHAPE_MISMATCH,
                "input 'b' dim 1: extent -3 is negative");
}

TEST_F(ContextTest, RejectsWrongSizeBytes) {
  makeInputs(3);
  inputs[0].size_bytes -= 1;
  EXPECT_STATUS(run(), BITNET_STATUS_SHAPE_MISMATCH,
                "input 'a': size_bytes is 23, expected 24 (6 elements of "
                "float32)");
}

TEST_F(ContextTest, RejectsOverflowingShape) {
  makeInputs(3);
  shapeA[1] = INT64_MAX / 2;
  EXPECT_STATUS(run(), BITNET_STATUS_OUT_OF_RANGE,
                "input 'a': the size in bytes of the shape overflows");
}

TEST_F(ContextTest, RejectsInconsistentNamedDims) {
  makeInputs(3);
  shapeB[1] = 4;
  b.resize(8);
  inputs[1].data = b.data();
  inputs[1].size_bytes = 8 * sizeof(float);
  EXPECT_STATUS(run(), BITNET_STATUS_SHAPE_MISMATCH,
                "input 'b' dim 1 ('sequence'): got 4, but input 'a' dim 1 "
                "('sequence') is 3");
}

TEST_F(ContextTest, OutputValidatesArguments) {
  bitnet_tensor_t tensor;
  EXPECT_STATUS(bitnet_context_output(context, 0, &tensor),
                BITNET_STATUS_INVALID_ARGUMENT, "no successful run yet");
  makeInputs(1);
  EXPECT_OK(run());
  EXPECT_STATUS(bitnet_context_output(nullptr, 0, &tensor),
                BITNET_STATUS_INVALID_ARGUMENT, "context is NULL");
  EXPECT_STATUS(bitnet_context_output(context, 0, nullptr),
                BITNET_STATUS_INVALID_ARGUMENT, "out_tensor is NULL");
  EXPECT_STATUS(bitnet_context_output(context, 2, &tensor),
                BITNET_STATUS_INVALID_ARGUMENT,
                "index 2 is out of range; the model has 2 outputs");
}

TEST(ContextCreate, ValidatesArguments) {
  const bitnet_model_t *model = nullptr;
  EXPECT_OK(bitnet_model_get(&model));
  bitnet_context_t *context = nullptr;
  EXPECT_STATUS(bitnet_context_create(model, nullptr, nullptr),
                BITNET_STATUS_INVALID_ARGUMENT, "out_context is NULL");
  EXPECT_STATUS(bitnet_context_create(nullptr, nullptr, &context),
                BITNET_STATUS_INVALID_ARGUMENT, "model is NULL");
  EXPECT_EQ(context, nullptr);

  bitnet_context_options_t options;
  bitnet_context_options_initialize(&options);
  EXPECT_EQ(options.struct_size, sizeof(options));
  EXPECT_EQ(options.num_threads, 0);
  EXPECT_EQ(options.max_context, 0);

  options.struct_size = 4;
  EXPECT_STATUS(bitnet_context_create(model, &options, &context),
                BITNET_STATUS_INVALID_ARGUMENT, "struct_size is 4");
  bitnet_context_options_initialize(&options);
  options.num_threads = -2;
  EXPECT_STATUS(bitnet_context_create(model, &options, &context),
                BITNET_STATUS_INVALID_ARGUMENT, "num_threads is -2");
  bitnet_context_options_initialize(&options);
  options.max_context = -1;
  EXPECT_STATUS(bitnet_context_create(model, &options, &context),
                BITNET_STATUS_INVALID_ARGUMENT, "max_context is -1");

  bitnet_context_options_initialize(&options);
  options.num_threads = 3;
  options.max_context = 128;
  EXPECT_OK(bitnet_context_create(model, &options, &context));
  EXPECT_NE(context, nullptr);
  bitnet_context_destroy(context);
  bitnet_context_destroy(nullptr);
  bitnet_context_options_initialize(nullptr);
}

TEST(ContextCreate, ContextsAreIndependent) {
  const bitnet_model_t *model = nullptr;
  EXPECT_OK(bitnet_model_get(&model));
  bitnet_context_t *first = nullptr, *second = nullptr;
  EXPECT_OK(bitnet_context_create(model, nullptr, &first));
  EXPECT_OK(bitnet_context_create(model, nullptr, &second));
  int64_t shape[2] = {2, 1};
  float a[2] = {1, 2}, b[2] = {3, 4};
  bitnet_tensor_t inputs[2] = {{BITNET_DTYPE_FLOAT32, 2, shape, a, sizeof(a)},
                               {BITNET_DTYPE_FLOAT32, 2, shape, b, sizeof(b)}};
  EXPECT_OK(bitnet_context_run(first, inputs, 2));
  bitnet_tensor_t y;
  EXPECT_STATUS(bitnet_context_output(second, 0, &y),
                BITNET_STATUS_INVALID_ARGUMENT, "no successful run yet");
  EXPECT_OK(bitnet_context_output(first, 0, &y));
  EXPECT_EQ(static_cast<const float *>(y.data)[1], 6.0f);
  bitnet_context_destroy(first);
  bitnet_context_destroy(second);
}

TEST(ContextCreate, ThreadsRunSeparateContexts) {
  // The model is shared; each thread owns its context.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      const bitnet_model_t *model = nullptr;
      bitnet_context_t *context = nullptr;
      if (bitnet_model_get(&model) ||
          bitnet_context_create(model, nullptr, &context)) {
        ++failures;
        return;
      }
      for (int iteration = 0; iteration < 200; ++iteration) {
        int64_t shape[2] = {2, 1 + iteration % 7};
        std::vector<float> a(2 * shape[1], float(t)),
            b(2 * shape[1], float(iteration));
        bitnet_tensor_t inputs[2] = {
            {BITNET_DTYPE_FLOAT32, 2, shape, a.data(), a.size() * 4},
            {BITNET_DTYPE_FLOAT32, 2, shape, b.data(), b.size() * 4}};
        bitnet_tensor_t y;
        if (bitnet_context_run(context, inputs, 2) ||
            bitnet_context_output(context, 0, &y) || y.shape[1] != shape[1] ||
            static_cast<const float *>(y.data)[2 * shape[1] - 1] !=
                float(t + iteration))
          ++failures;
      }
      bitnet_context_destroy(context);
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
}

} // namespace
