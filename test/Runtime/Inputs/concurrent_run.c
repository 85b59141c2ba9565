//===- concurrent_run.c - One model, many threads, separate contexts -*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Links with the fake model (y = a + b, shape = extents of a) and the model
// runtime, either the shipped object or the runtime sources compiled with
// -fsanitize=thread (tsan-concurrency.test). All threads start together so
// that the first bitnet_model_get calls race on the one-time metadata parse;
// each thread then owns a context, runs it many times with its own inputs,
// checks every output and reads the shared model's infos. Prints one line per
// thread and "ok" or the number of failures.
//
//===----------------------------------------------------------------------===//

#include "bitnet-c/Runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { kThreads = 6, kIterations = 300 };

static pthread_barrier_t start;

typedef struct {
  int id;
  int failures;
  int runs;
} Worker;

static int check(bitnet_status_t status, Worker *w, const char *what) {
  if (!status)
    return 1;
  fprintf(stderr, "thread %d: %s: %s\n", w->id, what,
          bitnet_status_message(status));
  bitnet_status_free(status);
  ++w->failures;
  return 0;
}

static void *work(void *arg) {
  Worker *w = arg;
  pthread_barrier_wait(&start);
  const bitnet_model_t *model = NULL;
  if (!check(bitnet_model_get(&model), w, "bitnet_model_get"))
    return NULL;
  bitnet_context_options_t options;
  bitnet_context_options_initialize(&options);
  options.num_threads = 1 + w->id % 3;
  bitnet_context_t *context = NULL;
  if (!check(bitnet_context_create(model, &options, &context), w,
             "bitnet_context_create"))
    return NULL;
  for (int it = 0; it < kIterations; ++it) {
    int64_t seq = 1 + (it + w->id) % 9;
    int64_t shape[2] = {2, seq};
    float a[18], b[18];
    for (int i = 0; i < 2 * seq; ++i) {
      a[i] = (float)(w->id * 1000 + i);
      b[i] = (float)it;
    }
    bitnet_tensor_t inputs[2] = {
        {BITNET_DTYPE_FLOAT32, 2, shape, a, (size_t)(2 * seq) * sizeof(float)},
        {BITNET_DTYPE_FLOAT32, 2, shape, b, (size_t)(2 * seq) * sizeof(float)}};
    if (!check(bitnet_context_run(context, inputs, 2), w, "bitnet_context_run"))
      continue;
    bitnet_tensor_t y, extents;
    if (!check(bitnet_context_output(context, 0, &y), w, "output 0") ||
        !check(bitnet_context_output(context, 1, &extents), w, "output 1"))
      continue;
    const float *yv = y.data;
    const int64_t *ev = extents.data;
    int bad = y.rank != 2 || y.shape[0] != 2 || y.shape[1] != seq ||
              extents.rank != 1 || ev[0] != 2 || ev[1] != seq;
    for (int i = 0; !bad && i < 2 * seq; ++i)
      bad = yv[i] != a[i] + b[i];
    if (bad) {
      fprintf(stderr, "thread %d: wrong output in run %d\n", w->id, it);
      ++w->failures;
    }
    // The model and its infos are shared by every thread.
    bitnet_tensor_info_t info;
    if (check(bitnet_model_input_info(model, it % 2, &info), w, "input_info") &&
        info.rank != 2) {
      fprintf(stderr, "thread %d: wrong input info\n", w->id);
      ++w->failures;
    }
    ++w->runs;
  }
  bitnet_context_destroy(context);
  return NULL;
}

int main(void) {
  pthread_t threads[kThreads];
  Worker workers[kThreads];
  pthread_barrier_init(&start, NULL, kThreads);
  for (int t = 0; t < kThreads; ++t) {
    workers[t] = (Worker){t, 0, 0};
    if (pthread_create(&threads[t], NULL, work, &workers[t]) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      return 2;
    }
  }
  int failures = 0;
  for (int t = 0; t < kThreads; ++t) {
    pthread_join(threads[t], NULL);
    printf("thread %d: %d runs, %d failures\n", t, workers[t].runs,
           workers[t].failures);
    failures += workers[t].failures;
  }
  pthread_barrier_destroy(&start);
  if (failures) {
    printf("%d failures\n", failures);
    return 1;
  }
  printf("ok\n");
  return 0;
}
