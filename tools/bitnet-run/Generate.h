//===- Generate.h - bitnet-run --generate -------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TOOLS_BITNET_RUN_GENERATE_H
#define BITNET_TOOLS_BITNET_RUN_GENERATE_H

#include <cstdint>
#include <string>
#include <vector>

namespace bitnet::run {
struct RuntimeApi;

struct GenerateOptions {
  bool enabled = false;
  bool hasPrompt = false;
  /// The prompt as text (bytes) or, with useIds, as token ids.
  std::string prompt;
  bool useIds = false;
  std::vector<int64_t> promptIds;
  int64_t maxNewTokens = 64;
  double temperature = 0;
  int32_t topK = 0;
  double topP = 1;
  uint64_t seed = 1;
  int64_t maxContext = 0;
  int32_t threads = 0;
  bool printIds = false;
  /// A Hugging Face tokenizer.json: encodes --prompt TEXT and decodes the
  /// tokens to text. Empty: the byte-level built-in for vocab-256 models.
  std::string tokenizerPath;
};

/// Generates from the prompt with the library's session API, streaming the
/// tokens to stdout (text through the tokenizer or, without one, bytes for a
/// vocabulary of 256; else ids) and printing prefill and decode speeds to
/// stderr. Returns the exit code.
int runGenerate(const RuntimeApi &api, const GenerateOptions &options);

} // namespace bitnet::run

#endif // BITNET_TOOLS_BITNET_RUN_GENERATE_H
