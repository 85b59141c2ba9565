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
//===----------------------------------------------------------------------===//

#include "bitnet-c/Runtime.h"

#include <math.h>
#include <stdio.h>

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
  return 0;
}
