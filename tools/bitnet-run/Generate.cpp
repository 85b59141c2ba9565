//===- Generate.cpp - bitnet-run --generate -------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Prefill of the whole prompt in one session append, then one token per
// step, sampled by the runtime's bitnet_sample. Text goes through a
// tokenizer.json when one is given, else byte-level tokenization for
// vocabulary-256 models; token ids otherwise.
//
//===----------------------------------------------------------------------===//

#include "Generate.h"
#include "ModelLibrary.h"
#include "Tokenizer.h"

#include <chrono>
#include <cstdio>

namespace bitnet::run {

static int fail(const std::string &message) {
  std::fprintf(stderr, "bitnet-run: error: %s\n", message.c_str());
  return 1;
}

int runGenerate(const RuntimeApi &api, const GenerateOptions &options) {
  if (!api.bitnet_session_create || !api.bitnet_sample)
    return fail("this model library predates the generation API (runtime "
                "minor version 1); recompile it");
  const bitnet_model_t *model = nullptr;
  if (bitnet_status_t status = api.bitnet_model_get(&model))
    return fail(api.consume(status));
  if (!api.bitnet_model_has_kv_cache(model))
    return fail("--generate needs a decoder compiled with "
                "'bitnet-compile --kv-cache' (this model has no KV cache)");
  if (!options.hasPrompt)
    return fail("--generate needs --prompt TEXT or --prompt-ids I,J,...");
  Tokenizer tokenizer;
  bool useTokenizer = !options.tokenizerPath.empty();
  if (useTokenizer)
    if (Error error = Tokenizer::fromFile(options.tokenizerPath, tokenizer))
      return fail(*error);

  bitnet_context_options_t contextOptions;
  api.bitnet_context_options_initialize(&contextOptions);
  contextOptions.num_threads = options.threads;
  contextOptions.max_context = options.maxContext;
  bitnet_session_t *session = nullptr;
  if (bitnet_status_t status =
          api.bitnet_session_create(model, &contextOptions, &session))
    return fail(api.consume(status));

  bitnet_tensor_info_t logitsInfo;
  if (bitnet_status_t status =
          api.bitnet_model_output_info(model, 0, &logitsInfo)) {
    api.bitnet_session_destroy(session);
    return fail(api.consume(status));
  }
  int64_t vocab = logitsInfo.shape[2];
  auto failAfterSession = [&](const std::string &message) {
    api.bitnet_session_destroy(session);
    return fail(message);
  };
  // A tokenizer id past the logits could never be generated, and one of
  // its encodings would index past the embedding: the pair does not match.
  if (useTokenizer && tokenizer.vocabSize() > vocab)
    return failAfterSession("the tokenizer '" + options.tokenizerPath +
                            "' has " + std::to_string(tokenizer.vocabSize()) +
                            " tokens but the model's logits have only " +
                            std::to_string(vocab));
  bool text = !options.printIds && (useTokenizer || vocab == 256);
  std::vector<int64_t> prompt = options.promptIds;
  if (!options.useIds && useTokenizer) {
    if (Error error = tokenizer.encode(options.prompt, prompt))
      return failAfterSession(*error);
  } else if (!options.useIds) {
    if (vocab != 256)
      return failAfterSession(
          "--prompt TEXT needs a byte-level (vocab 256) model or "
          "--tokenizer; this one has " +
          std::to_string(vocab) + " tokens: use --tokenizer or --prompt-ids");
    for (unsigned char c : options.prompt)
      prompt.push_back(c);
  }
  if (prompt.empty())
    return failAfterSession(
        "the prompt is empty: generation needs at least one token");
  // (Without a tokenizer the runtime reports such ids itself.)
  for (size_t i = 0; useTokenizer && i < prompt.size(); ++i)
    if (prompt[i] >= vocab)
      return failAfterSession("prompt token " + std::to_string(i) + " (id " +
                              std::to_string(prompt[i]) +
                              ") is outside the model's vocabulary [0, " +
                              std::to_string(vocab) + ")");

  bitnet_sampling_options_t sampling;
  api.bitnet_sampling_options_initialize(&sampling);
  sampling.temperature = static_cast<float>(options.temperature);
  sampling.top_k = options.topK;
  sampling.top_p = static_cast<float>(options.topP);
  uint64_t rng = options.seed;

  // A token's bytes go out as they come: a UTF-8 character split across
  // tokens completes with its last byte.
  auto emit = [&](int64_t token, bool first) {
    if (text && useTokenizer) {
      const std::string &bytes = tokenizer.decode(token);
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    } else if (text) {
      std::fputc(static_cast<int>(token), stdout);
    } else {
      std::printf(first ? "%lld" : " %lld", static_cast<long long>(token));
    }
    std::fflush(stdout);
  };
  for (size_t i = 0; i < prompt.size(); ++i)
    emit(prompt[i], i == 0);

  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  bitnet_tensor_t logits;
  if (bitnet_status_t status = api.bitnet_session_append(
          session, prompt.data(), static_cast<int64_t>(prompt.size()),
          &logits)) {
    api.bitnet_session_destroy(session);
    return fail(api.consume(status));
  }
  double prefillSeconds =
      std::chrono::duration<double>(Clock::now() - start).count();

  int64_t generated = 0;
  bool contextFull = false;
  start = Clock::now();
  while (generated < options.maxNewTokens) {
    int64_t token;
    if (bitnet_status_t status =
            api.bitnet_sample(static_cast<const float *>(logits.data), vocab,
                              &sampling, &rng, &token)) {
      api.bitnet_session_destroy(session);
      return fail(api.consume(status));
    }
    emit(token, false);
    ++generated;
    if (generated == options.maxNewTokens)
      break;
    if (api.bitnet_session_length(session) >=
        api.bitnet_session_capacity(session)) {
      contextFull = true;
      break;
    }
    if (bitnet_status_t status =
            api.bitnet_session_append(session, &token, 1, &logits)) {
      api.bitnet_session_destroy(session);
      return fail(api.consume(status));
    }
  }
  double decodeSeconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  std::fputc('\n', stdout);
  std::fflush(stdout);
  if (contextFull)
    std::fprintf(stderr,
                 "bitnet-run: stopped at the context limit (%lld positions)\n",
                 static_cast<long long>(api.bitnet_session_capacity(session)));
  // Decode speed counts the steps that ran the model (one per token after
  // the first, which comes from the prefill logits).
  std::fprintf(stderr,
               "prefill: %zu tokens in %.1f ms (%.1f tokens/s); decode: "
               "%lld tokens in %.1f ms (%.1f tokens/s)\n",
               prompt.size(), prefillSeconds * 1e3,
               prompt.size() / (prefillSeconds > 0 ? prefillSeconds : 1e-9),
               static_cast<long long>(generated), decodeSeconds * 1e3,
               generated > 1 ? (generated - 1) / decodeSeconds : 0.0);
  api.bitnet_session_destroy(session);
  return 0;
}

} // namespace bitnet::run
