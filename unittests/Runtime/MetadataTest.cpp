//===- MetadataTest.cpp - Metadata parsing and CPU feature checks ---------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The runtime's internal (hidden) parser and feature check, called directly:
// the unit test links the runtime object statically.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"
#include "StatusMatchers.h"

#include "gtest/gtest.h"

#include <string>

namespace {

/// Parses `text`, expecting success.
bitnet_model_s *parse(const std::string &text) {
  bitnet_model_s *model = nullptr;
  EXPECT_OK(bitnetParseMetadata(text.c_str(), &model));
  return model;
}

/// Parses `text`, expecting `code` and a message containing `needle`.
void expectParseError(const std::string &text, bitnet_status_code_t code,
                      const char *needle) {
  bitnet_model_s *model = nullptr;
  EXPECT_STATUS(bitnetParseMetadata(text.c_str(), &model), code, needle);
  EXPECT_EQ(model, nullptr);
}

const char kHeader[] = "bitnet-model 1\nname m\ntarget t cpu -\n";

TEST(Metadata, ParsesEveryRecord) {
  bitnet_model_s *model =
      parse("bitnet-model 1\n"
            "name my%25graph%0A\n"
            "target aarch64-unknown-linux-gnu cortex-a76 +neon,+dotprod\n"
            "requires neon dotprod\n"
            "input ids 7 2 ?batch ?sequence\n"
            "input % 1 0\n"
            "output logits 1 3 ?batch ? 32000\n"
            "future-record with fields\n");
  ASSERT_NE(model, nullptr);
  EXPECT_STREQ(model->name, "my%graph\n");
  EXPECT_STREQ(model->target,
               "aarch64-unknown-linux-gnu cortex-a76 +neon,+dotprod");
  EXPECT_STREQ(model->requiredFeatures, "neon dotprod");
  ASSERT_EQ(model->numInputs, 2);
  ASSERT_EQ(model->numOutputs, 1);
  EXPECT_EQ(model->outputShapeSlots, 3);

  const bitnet_tensor_info_t &ids = model->inputs[0];
  EXPECT_STREQ(ids.name, "ids");
  EXPECT_EQ(ids.dtype, BITNET_DTYPE_INT64);
  ASSERT_EQ(ids.rank, 2);
  EXPECT_EQ(ids.shape[0], BITNET_DYNAMIC_DIM);
  EXPECT_STREQ(ids.dim_names[0], "batch");
  EXPECT_STREQ(ids.dim_names[1], "sequence");

  EXPECT_STREQ(model->inputs[1].name, "");
  EXPECT_EQ(model->inputs[1].rank, 0);

  const bitnet_tensor_info_t &logits = model->outputs[0];
  EXPECT_EQ(logits.shape[1], BITNET_DYNAMIC_DIM);
  EXPECT_EQ(logits.dim_names[1], nullptr);
  EXPECT_EQ(logits.shape[2], 32000);
  EXPECT_EQ(logits.dim_names[2], nullptr);
  bitnetFreeModel(model);
}

TEST(Metadata, NoRequiresMeansNoFeatures) {
  bitnet_model_s *model = parse(std::string(kHeader) + "\r\n\n");
  ASSERT_NE(model, nullptr);
  EXPECT_STREQ(model->requiredFeatures, "");
  EXPECT_EQ(model->numInputs, 0);
  bitnetFreeModel(model);
  bitnetFreeModel(nullptr);
}

TEST(Metadata, RejectsMalformedText) {
  expectParseError("", BITNET_STATUS_INTERNAL, "metadata is empty");
  expectParseError("name m\n", BITNET_STATUS_INTERNAL,
                   "does not start with 'bitnet-model <version>'");
  expectParseError("bitnet-model 2\nname m\n", BITNET_STATUS_INCOMPATIBLE,
                   "format version 2; this runtime reads version 1");
  expectParseError("bitnet-model 1\ntarget t c -\n", BITNET_STATUS_INTERNAL,
                   "no 'name' record");
  expectParseError("bitnet-model 1\nname m\n", BITNET_STATUS_INTERNAL,
                   "no 'target' record");
  expectParseError("bitnet-model 1\nname a b\n", BITNET_STATUS_INTERNAL,
                   "line 2: malformed 'name' record");
  expectParseError(std::string(kHeader) + "input x%2 1 0\n",
                   BITNET_STATUS_INTERNAL, "line 4: malformed name 'x%2'");
  expectParseError(std::string(kHeader) + "input x%00 1 0\n",
                   BITNET_STATUS_INTERNAL, "malformed name");
  expectParseError(std::string(kHeader) + "input x 1\n", BITNET_STATUS_INTERNAL,
                   "'input' record needs a name, a dtype and a rank");
  expectParseError(std::string(kHeader) + "output y 8 0\n",
                   BITNET_STATUS_INTERNAL,
                   "output 'y' has an unknown dtype '8'");
  expectParseError(std::string(kHeader) + "input x 1 2 4\n",
                   BITNET_STATUS_INTERNAL, "input 'x' has rank '2' but 1 dims");
  expectParseError(std::string(kHeader) + "input x 1 1 -4\n",
                   BITNET_STATUS_INTERNAL, "malformed dim '-4'");
  expectParseError(std::string(kHeader) + "input x 1 1 ?%zz\n",
                   BITNET_STATUS_INTERNAL, "malformed dim name '?%zz'");
  bitnet_model_s *model = nullptr;
  EXPECT_STATUS(bitnetParseMetadata(nullptr, &model), BITNET_STATUS_INTERNAL,
                "metadata is NULL");
}

TEST(CpuFeatures, EmptyListPasses) {
  EXPECT_OK(bitnetCheckCpuFeatures(""));
  EXPECT_OK(bitnetCheckCpuFeatures("  "));
  EXPECT_OK(bitnetCheckCpuFeatures(nullptr));
}

TEST(CpuFeatures, UnknownNamesAreIncompatible) {
  EXPECT_STATUS(bitnetCheckCpuFeatures("teleport"), BITNET_STATUS_INCOMPATIBLE,
                "requires the CPU feature 'teleport', which the");
  EXPECT_STATUS(
      bitnetCheckCpuFeatures(
          "a-feature-name-much-longer-than-any-real-one-is-ever-going-to-be"),
      BITNET_STATUS_INCOMPATIBLE, "which this runtime does not know");
}

TEST(CpuFeatures, OtherIsaNamesAreUnknown) {
#if defined(__x86_64__)
  EXPECT_STATUS(bitnetCheckCpuFeatures("neon"), BITNET_STATUS_INCOMPATIBLE,
                "'neon', which the x86_64 runtime does not know");
#elif defined(__aarch64__)
  EXPECT_STATUS(bitnetCheckCpuFeatures("avx2"), BITNET_STATUS_INCOMPATIBLE,
                "'avx2', which the aarch64 runtime does not know");
#else
  EXPECT_STATUS(bitnetCheckCpuFeatures("avx2"), BITNET_STATUS_INCOMPATIBLE,
                "does not know");
#endif
}

TEST(CpuFeatures, BaselineFeaturesPass) {
#if defined(__x86_64__)
  // Every x86-64 CPU this project targets has SSE4.2.
  EXPECT_OK(bitnetCheckCpuFeatures("sse4.2"));
#elif defined(__aarch64__)
  EXPECT_OK(bitnetCheckCpuFeatures("neon"));
#endif
}

TEST(CpuFeatures, AnswersEveryKnownName) {
  // Whatever the CPU, a known name is answered (present, or "lacks").
#if defined(__x86_64__)
  const char *names[] = {"sse4.2",   "avx",      "avx2",       "fma",
                         "f16c",     "bmi2",     "avx512f",    "avx512bw",
                         "avx512dq", "avx512vl", "avx512vnni", "avxvnni"};
#elif defined(__aarch64__)
  const char *names[] = {"neon", "dotprod", "i8mm", "sve"};
#else
  const char *names[] = {"v"};
#endif
  for (const char *name : names) {
    bitnet::testing::TakenStatus taken =
        bitnet::testing::take(bitnetCheckCpuFeatures(name));
    if (taken.code != BITNET_STATUS_OK)
      EXPECT_NE(taken.message.find("which this CPU lacks"), std::string::npos)
          << taken.message;
  }
}

} // namespace
