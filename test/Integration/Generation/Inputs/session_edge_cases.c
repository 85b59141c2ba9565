// Session edge cases on a compiled KV-cache decoder (argv[1]): empty and
// out-of-vocabulary prompts, prompts longer than the context, the context
// limit, reset, two independent sessions, and bitnet_context_run refusing a
// model whose cache it cannot bound. Prints one line per check.
#include "bitnet-c/Runtime.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYM(name) __typeof__(&name) p_##name = (__typeof__(&name))dlsym(lib, #name)

static int failures = 0;
static void check(int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAIL", what);
  failures += !ok;
}

int main(int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    printf("FAIL: dlopen: %s\n", dlerror());
    return 1;
  }
  SYM(bitnet_model_get);
  SYM(bitnet_status_code);
  SYM(bitnet_status_message);
  SYM(bitnet_status_free);
  SYM(bitnet_context_options_initialize);
  SYM(bitnet_context_create);
  SYM(bitnet_context_destroy);
  SYM(bitnet_context_run);
  SYM(bitnet_session_create);
  SYM(bitnet_session_destroy);
  SYM(bitnet_session_reset);
  SYM(bitnet_session_append);
  SYM(bitnet_session_length);
  SYM(bitnet_model_has_kv_cache);
  SYM(bitnet_sample);

  const bitnet_model_t *model;
  bitnet_status_t st = p_bitnet_model_get(&model);
  check(!st && p_bitnet_model_has_kv_cache(model), "model with a KV cache");

  bitnet_context_options_t opts;
  p_bitnet_context_options_initialize(&opts);
  opts.max_context = 8;
  bitnet_session_t *a, *b;
  check(!p_bitnet_session_create(model, &opts, &a) &&
            !p_bitnet_session_create(model, &opts, &b),
        "two sessions of 8 positions");

  bitnet_tensor_t logits;
  int64_t prompt[9] = {'A', ' ', 'f', 'o', 'o', 'l', ' ', 'a', 'n'};
  st = p_bitnet_session_append(a, prompt, 0, &logits);
  check(p_bitnet_status_code(st) == BITNET_STATUS_INVALID_ARGUMENT,
        "an empty prompt is rejected");
  printf("  %s\n", p_bitnet_status_message(st));
  p_bitnet_status_free(st);

  st = p_bitnet_session_append(a, prompt, 9, &logits);
  check(p_bitnet_status_code(st) == BITNET_STATUS_OUT_OF_RANGE &&
            p_bitnet_session_length(a) == 0,
        "a prompt longer than the context is rejected, session unchanged");
  printf("  %s\n", p_bitnet_status_message(st));
  p_bitnet_status_free(st);

  int64_t bad[2] = {'A', 256};
  st = p_bitnet_session_append(a, bad, 2, &logits);
  check(p_bitnet_status_code(st) == BITNET_STATUS_INVALID_ARGUMENT,
        "a token outside the vocabulary is rejected");
  printf("  %s\n", p_bitnet_status_message(st));
  p_bitnet_status_free(st);

  // Fill session a to its limit, one token at a time after a 4-token prompt.
  int64_t tokens[8];
  int n = 0;
  st = p_bitnet_session_append(a, prompt, 4, &logits);
  while (!st) {
    int64_t next;
    p_bitnet_sample(logits.data, 256, NULL, NULL, &next);
    tokens[n++] = next;
    st = p_bitnet_session_append(a, &next, 1, &logits);
  }
  check(p_bitnet_status_code(st) == BITNET_STATUS_OUT_OF_RANGE &&
            p_bitnet_session_length(a) == 8 && n == 5,
        "generation stops at the context limit (8 = 4 + 4 steps)");
  p_bitnet_status_free(st);

  // Session b, interleaved with nothing, must produce the same tokens; then
  // a reset session a must reproduce them too.
  int64_t tokensB[4];
  st = p_bitnet_session_append(b, prompt, 4, &logits);
  for (int i = 0; i < 4 && !st; ++i) {
    p_bitnet_sample(logits.data, 256, NULL, NULL, &tokensB[i]);
    st = p_bitnet_session_append(b, &tokensB[i], 1, &logits);
  }
  check(!st && memcmp(tokens, tokensB, sizeof tokensB) == 0,
        "a second session does not see the first one's state");
  p_bitnet_status_free(st);

  check(!p_bitnet_session_reset(a) && p_bitnet_session_length(a) == 0,
        "reset empties the session");
  int64_t again[4];
  st = p_bitnet_session_append(a, prompt, 4, &logits);
  for (int i = 0; i < 4 && !st; ++i) {
    p_bitnet_sample(logits.data, 256, NULL, NULL, &again[i]);
    st = p_bitnet_session_append(a, &again[i], 1, &logits);
  }
  check(!st && memcmp(again, tokensB, sizeof again) == 0,
        "after reset the same prompt gives the same tokens");
  p_bitnet_status_free(st);

  bitnet_context_t *ctx;
  p_bitnet_context_create(model, NULL, &ctx);
  st = p_bitnet_context_run(ctx, NULL, 0);
  check(st != NULL, "bitnet_context_run refuses direct runs of a cached model");
  p_bitnet_status_free(st);
  p_bitnet_context_destroy(ctx);

  p_bitnet_session_destroy(a);
  p_bitnet_session_destroy(b);
  printf("session checks: %d failed\n", failures);
  return failures != 0;
}
