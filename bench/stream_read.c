/* Read-bandwidth probe for the decode floor of bench/run_bitnet2b.sh.
 *
 *   clang-22 -O2 -pthread bench/stream_read.c -o stream_read
 *   ./stream_read [MiB=1024] [threads=1] [reps=5]
 *
 * Allocates MiB mebibytes (touched first, so the pages exist), then each rep
 * has `threads` threads sum disjoint slices of the buffer (ReadProbe.h: the
 * loop and buffer the kernel bench uses too). Prints the best rep:
 *   stream_read: threads=T bytes=N best_s=X GBps=Y   (GB = 1e9 bytes)
 * Only reads are counted (no write-allocate traffic), which is what decode
 * does with the weights. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ReadProbe.h"

typedef struct {
  const uint64_t *p;
  size_t n;
  uint64_t sum;
} Job;

static void *work(void *arg) {
  Job *j = arg;
  j->sum = bitnetReadProbeSum(j->p, j->n);
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 1024;
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  int reps = argc > 3 ? atoi(argv[3]) : 5;
  if (threads < 1 || threads > 64 || reps < 1)
    return 2;
  size_t bytes = mib << 20, words = bytes / 8;
  uint64_t *buf = bitnetReadProbeAlloc(bytes);
  if (!buf) {
    perror("aligned_alloc");
    return 1;
  }
  for (size_t i = 0; i < words; ++i)
    buf[i] = i * 0x9E3779B97F4A7C15ull;
  double best = 1e30;
  uint64_t total = 0;
  for (int r = 0; r < reps; ++r) {
    pthread_t tid[64];
    Job jobs[64];
    size_t per = words / threads;
    double t0 = now();
    for (int t = 0; t < threads; ++t) {
      jobs[t].p = buf + t * per;
      jobs[t].n = t == threads - 1 ? words - t * per : per;
      pthread_create(&tid[t], NULL, work, &jobs[t]);
    }
    for (int t = 0; t < threads; ++t) {
      pthread_join(tid[t], NULL);
      total += jobs[t].sum;
    }
    double dt = now() - t0;
    if (dt < best)
      best = dt;
  }
  printf("stream_read: threads=%d bytes=%zu best_s=%.4f GBps=%.2f (checksum %llx)\n", threads, bytes,
         best, bytes / best / 1e9, (unsigned long long)total);
  free(buf);
  return 0;
}
