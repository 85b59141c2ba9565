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
// A decode step streams its matmuls' weights in the same order every time,
// and between two parallel regions the caller runs the small loops alone
// (norms, quantization, attention's serial parts: 8 % of a 2-thread 2B-model
// step). Kernels name the weights of their region (bitnetParallelStream);
// the pool learns which stream follows which, and a worker out of chunks
// requests the second half of the next region's weights, the part guided
// chunks will give it, until the next job arrives. That puts its memory
// stream to work while it would otherwise wait.
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
/// Slots of the table of weight-stream successors: 2^kSuccessorBits, more
/// than the matmuls of a decode step.
enum { kSuccessorBits = 11, kSuccessorSlots = 1 << kSuccessorBits };
/// How much of the next stream an idle worker requests (half of a 2 MiB L2).
enum { kIdlePrefetchBytes = 1 << 20 };

/// A weight stream and the one that was streamed after it.
typedef struct {
  const uint8_t *stream;
  const uint8_t *next;
  size_t nextBytes;
} Successor;

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

  /// For each weight stream of a parallel region, the one the region after
  /// it streamed last time (open addressing on the address), and the last.
  Successor successors[kSuccessorSlots];
  const uint8_t *lastStream;
};

/// The slot of `stream` in the successor table, or the free slot it would
/// take; NULL if neither is found.
static Successor *findSuccessor(BitNetThreadPool *pool, const uint8_t *stream) {
  size_t slot = (size_t)((((uintptr_t)stream >> 6) * 0x9E3779B97F4A7C15u) >>
                         (64 - kSuccessorBits));
  for (int probe = 0; probe < kSuccessorSlots; ++probe) {
    Successor *candidate = &pool->successors[slot];
    if (!candidate->stream || candidate->stream == stream)
      return candidate;
    slot = (slot + 1) & (kSuccessorSlots - 1);
  }
  return NULL;
}

typedef struct Job {
  BitNetParallelBody body;
  void *arg;
  int64_t count;
  int64_t threads;
  int64_t grain;
  atomic_int_fast64_t next;
  /// The weight stream expected next (learned), for idle workers to request.
  const uint8_t *nextStream;
  size_t nextStreamBytes;
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
      while ((generation = atomic_load_explicit(&pool->generation,
                                                memory_order_acquire)) == seen)
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
    const uint8_t *next = NULL;
    size_t nextBytes = 0;
    if (job) {
      runChunks(job);
      next = job->nextStream;
      nextBytes = job->nextStreamBytes;
    }
    atomic_fetch_sub_explicit(&pool->joined, 1, memory_order_release);
    // Idle until the next job: request (into L2) the second half of the
    // weights the next region is expected to stream, the part guided chunks
    // give the workers. Prefetches never fault, so a stale guess is
    // harmless. 2B-model decode on two Intel threads: +3.5 % tokens/s
    // (8 alternating rounds), prefill +3 %.
    if (next) {
      size_t half = nextBytes / 2 / 64 * 64;
      size_t bytes = nextBytes - half < kIdlePrefetchBytes ? nextBytes - half
                                                           : kIdlePrefetchBytes;
      for (size_t off = 0; off < bytes; off += 64) {
        if ((off & 4095) == 0 &&
            atomic_load_explicit(&pool->generation, memory_order_relaxed) !=
                seen)
          break;
        __builtin_prefetch(next + half + off, 0, 2);
      }
    }
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

/// Learns that `stream` follows the previous region's stream, and returns
/// in `next` what followed `stream` last time (NULL if unknown). A model
/// with more streams than slots just learns fewer of them.
static void learnNextStream(BitNetThreadPool *pool, const uint8_t *stream,
                            size_t streamBytes, const uint8_t **next,
                            size_t *nextBytes) {
  *next = NULL;
  *nextBytes = 0;
  if (!stream)
    return;
  if (pool->lastStream) {
    Successor *slot = findSuccessor(pool, pool->lastStream);
    if (slot) {
      slot->stream = pool->lastStream;
      slot->next = stream;
      slot->nextBytes = streamBytes;
    }
  }
  pool->lastStream = stream;
  Successor *slot = findSuccessor(pool, stream);
  if (slot && slot->stream) {
    *next = slot->next;
    *nextBytes = slot->nextBytes;
  }
}

void bitnetParallelFor(int64_t count, int64_t grain, BitNetParallelBody body,
                       void *arg) {
  bitnetParallelStream(count, grain, body, arg, NULL, 0);
}

void bitnetParallelStream(int64_t count, int64_t grain, BitNetParallelBody body,
                          void *arg, const void *weights, size_t weightBytes) {
  if (count <= 0)
    return;
  if (grain < 1)
    grain = 1;
  BitNetThreadPool *pool = currentPool;
  if (!pool || count <= grain) {
    body(arg, 0, count);
    return;
  }
  const uint8_t *nextStream;
  size_t nextStreamBytes;
  learnNextStream(pool, weights, weightBytes, &nextStream, &nextStreamBytes);
  Job job = {body,  arg, count,      pool->numWorkers + 1,
             grain, 0,   nextStream, nextStreamBytes};
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
