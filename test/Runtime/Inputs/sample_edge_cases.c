//===- sample_edge_cases.c - bitnet_sample on non-finite logits -*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Linked with the fake model and the model runtime. Samples logits with
// +inf, -inf and NaN entries at several temperatures and prints the tokens:
// a +inf logit takes all the probability, a NaN logit none, and an infinite
// temperature makes the finite logits equally likely. Before the fix
// (found by bitnet-runtime-input-fuzzer) exp((x - max) / t) was NaN for
// every +inf logit and the pick was arbitrary.
//
// Then greedy (temperature 0) against its definition, a sequential scan:
// random logits from a small set with ties, ±0, ±inf and NaN, lengths
// around the 16-logit blocks of the vectorized search and a 128256-token
// vocabulary.
//
//===----------------------------------------------------------------------===//

#include "bitnet-c/Runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void sample(const char *label, const float *logits, int64_t vocab,
                   float temperature) {
  bitnet_sampling_options_t options;
  bitnet_sampling_options_initialize(&options);
  options.temperature = temperature;
  // The same token for 64 random states, or "mixed".
  int64_t first = -1;
  int mixed = 0;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    uint64_t state = seed * 0x9E3779B97F4A7C15ull;
    int64_t token = -1;
    bitnet_status_t status =
        bitnet_sample(logits, vocab, &options, &state, &token);
    if (status) {
      printf("%s: %s\n", label, bitnet_status_message(status));
      bitnet_status_free(status);
      return;
    }
    if (token < 0 || token >= vocab) {
      printf("%s: token %lld out of range\n", label, (long long)token);
      return;
    }
    if (first < 0)
      first = token;
    mixed |= token != first;
  }
  if (mixed)
    printf("%s: mixed\n", label);
  else
    printf("%s: %lld\n", label, (long long)first);
}

/// The first index of the largest logit, NaN never winning: the scan greedy
/// sampling is defined by.
static int64_t scanGreedy(const float *logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best] || isnan(logits[best]))
      best = i;
  return best;
}

static void checkGreedy(void) {
  const float values[] = {-INFINITY, -2.5f, -0.0f,    0.0f, 1.0f,
                          1.0f,      7.25f, INFINITY, NAN};
  enum { kValues = sizeof(values) / sizeof(values[0]) };
  static float logits[128256];
  bitnet_sampling_options_t options;
  bitnet_sampling_options_initialize(&options);
  uint64_t rng = 1;
  int cases = 0;
  for (int64_t vocab = 1; vocab <= 128256;
       vocab = vocab < 70 ? vocab + 1 : vocab * 4) {
    int64_t length = vocab > 128256 ? 128256 : vocab;
    for (int trial = 0; trial < 40; ++trial, ++cases) {
      // Few values per trial, so that ties, all-NaN and all -inf occur.
      int palette = 1 + trial % 4;
      int first = (int)(rng % kValues);
      for (int64_t i = 0; i < length; ++i) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        logits[i] = values[(first + (int)((rng >> 33) % palette)) % kValues];
      }
      int64_t token = -1;
      bitnet_status_t status =
          bitnet_sample(logits, length, &options, NULL, &token);
      if (status || token != scanGreedy(logits, length)) {
        printf("greedy: MISMATCH at %lld logits (%lld, expected %lld)\n",
               (long long)length, (long long)token,
               (long long)scanGreedy(logits, length));
        bitnet_status_free(status);
        return;
      }
    }
    if (length == 128256)
      break;
  }
  printf("greedy: %d cases ok\n", cases);
}

int main(void) {
  // The fuzzer's input: +inf at index 1, NaN at index 3.
  const float fuzzed[] = {0.0f, INFINITY, 1.0078125f, -NAN};
  sample("fuzzed t=1", fuzzed, 4, 1.0f);
  sample("fuzzed greedy", fuzzed, 4, 0.0f);
  const float twoInf[] = {1.0f, INFINITY, 2.0f, INFINITY};
  sample("two +inf t=0.7", twoInf, 4, 0.7f);
  const float negInf[] = {-INFINITY, NAN, -INFINITY};
  sample("all -inf or NaN t=1", negInf, 3, 1.0f);
  const float allNaN[] = {NAN, NAN};
  sample("all NaN t=1", allNaN, 2, 1.0f);
  const float finite[] = {-1e30f, 5.0f, -INFINITY};
  sample("finite t=inf", finite, 3, INFINITY);
  sample("finite t=1e-30", finite, 3, 1e-30f);
  checkGreedy();
  return 0;
}
