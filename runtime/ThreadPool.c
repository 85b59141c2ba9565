//===- ThreadPool.c - The worker threads of a context ---------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A context with N threads owns N - 1 workers; the thread that calls
// bitnet_context_run is the N-th. Generated code never sees the pool: the
// microkernels call bitnetParallelFor, which finds the pool of the run in
// progress on the calling thread (a thread-local set by bitnetContextRun).
//
// One parallel region at a time per pool. The caller publishes a job and
// bumps `generation`; workers spin briefly (a decode step opens a few hundred
// regions, each a few microseconds to a millisecond long), then sleep on a
// condition variable. Iterations are handed out in chunks through an atomic
// counter; the integer kernels give the same result for any split.
//
// The caller runs chunks too and waits only for workers that actually joined
// the job (`joined`, a hazard count on the published job pointer): on a
// machine with more threads than free cores, a worker that is not scheduled
// in time simply misses the job instead of stalling the whole model.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define BITNET_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define BITNET_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define BITNET_CPU_RELAX() ((void)0)
#endif

/// Spin iterations of a worker before it sleeps.
enum { kSpinIterations = 1 << 14 };

struct BitNetThreadPool {
  int32_t numWorkers;
  pthread_t *workers;

  pthread_mutex_t mutex;
  pthread_cond_t wake;
  /// Bumped (under `mutex`) for every job and for shutdown.
  atomic_uint_fast64_t generation;
  bool shutdown;

  /// The job in progress (on the caller's stack), or NULL between jobs.
  _Atomic(struct Job *) job;
  /// Workers that may be reading `job`; the caller waits for 0 after
  /// clearing it.
  atomic_int joined;
};

typedef struct Job {
  BitNetParallelBody body;
  void *arg;
  int64_t count;
  int64_t threads;
  int64_t grain;
  atomic_int_fast64_t next;
} Job;

// initial-exec: model.so links only libc and libm, not the loader that
// defines __tls_get_addr; one pointer fits glibc's static TLS reserve for
// dlopened libraries.
static _Thread_local BitNetThreadPool *currentPool
    __attribute__((tls_model("initial-exec")));

/// Takes chunks of the current job until none is left.
/// Guided self-scheduling: each claim takes 1/threads of what is left,
/// rounded up to whole grains. The first chunks are long runs of the weight
/// streams and the last ones a grain each, so the threads finish together
/// without many chunk starts (fixed chunks of 1/8 left a thread idle for up
/// to one chunk at every region end: 2B-model decode on two Intel threads
/// 25.3 -> 26.2 tokens/s, prefill 163 -> 190).
static void runChunks(Job *job) {
  int64_t begin = atomic_load_explicit(&job->next, memory_order_relaxed);
  for (;;) {
    int64_t size;
    do {
      if (begin >= job->count)
        return;
      int64_t remaining = job->count - begin;
      size = (remaining + job->threads - 1) / job->threads;
      size = (size + job->grain - 1) / job->grain * job->grain;
      if (size > remaining)
        size = remaining;
    } while (!atomic_compare_exchange_weak_explicit(
        &job->next, &begin, begin + size, memory_order_relaxed,
        memory_order_relaxed));
    job->body(job->arg, begin, begin + size);
    begin = atomic_load_explicit(&job->next, memory_order_relaxed);
  }
}

static void *workerMain(void *opaque) {
  BitNetThreadPool *pool = opaque;
  uint_fast64_t seen = 0;
  for (;;) {
    uint_fast64_t generation =
        atomic_load_explicit(&pool->generation, memory_order_acquire);
    for (int spin = 0; generation == seen && spin < kSpinIterations; ++spin) {
      BITNET_CPU_RELAX();
      generation =
          atomic_load_explicit(&pool->generation, memory_order_acquire);
    }
    if (generation == seen) {
      pthread_mutex_lock(&pool->mutex);
      while ((generation = atomic_load_explicit(
                  &pool->generation, memory_order_acquire)) == seen)
        pthread_cond_wait(&pool->wake, &pool->mutex);
      pthread_mutex_unlock(&pool->mutex);
    }
    seen = generation;
    if (pool->shutdown)
      return NULL;
    // Announce the read before looking at the job (sequentially consistent
    // with the caller's clear-then-check), so the caller never returns while
    // this worker holds its job.
    atomic_fetch_add(&pool->joined, 1);
    Job *job = atomic_load(&pool->job);
    if (job)
      runChunks(job);
    atomic_fetch_sub_explicit(&pool->joined, 1, memory_order_release);
  }
}

BitNetThreadPool *bitnetThreadPoolCreate(int32_t numThreads) {
  if (numThreads <= 1)
    return NULL;
  BitNetThreadPool *pool = calloc(1, sizeof(BitNetThreadPool));
  if (!pool)
    return NULL;
  pool->workers = calloc((size_t)numThreads - 1, sizeof(pthread_t));
  if (!pool->workers) {
    free(pool);
    return NULL;
  }
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  for (int32_t i = 0; i < numThreads - 1; ++i) {
    if (pthread_create(&pool->workers[i], NULL, workerMain, pool) != 0)
      break;
    ++pool->numWorkers;
  }
  if (pool->numWorkers == 0) {
    bitnetThreadPoolDestroy(pool);
    return NULL;
  }
  return pool;
}

void bitnetThreadPoolDestroy(BitNetThreadPool *pool) {
  if (!pool)
    return;
  pthread_mutex_lock(&pool->mutex);
  pool->shutdown = true;
  atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (int32_t i = 0; i < pool->numWorkers; ++i)
    pthread_join(pool->workers[i], NULL);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  free(pool->workers);
  free(pool);
}

BitNetThreadPool *bitnetSetCurrentThreadPool(BitNetThreadPool *pool) {
  BitNetThreadPool *previous = currentPool;
  currentPool = pool;
  return previous;
}

int64_t bitnetParallelWidth(void) {
  return currentPool ? currentPool->numWorkers + 1 : 1;
}

void bitnetParallelFor(int64_t count, int64_t grain, BitNetParallelBody body,
                       void *arg) {
  if (count <= 0)
    return;
  if (grain < 1)
    grain = 1;
  BitNetThreadPool *pool = currentPool;
  if (!pool || count <= grain) {
    body(arg, 0, count);
    return;
  }
  Job job = {body, arg, count, pool->numWorkers + 1, grain, 0};
  atomic_store(&pool->job, &job);
  pthread_mutex_lock(&pool->mutex);
  atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);

  runChunks(&job);
  // Every chunk is taken; wait for the workers still running one. A worker
  // that wakes up later finds no job.
  atomic_store(&pool->job, NULL);
  for (int spin = 0; atomic_load(&pool->joined) != 0; ++spin) {
    if (spin < kSpinIterations)
      BITNET_CPU_RELAX();
    else
      sched_yield();
  }
}
