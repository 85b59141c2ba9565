/*===- ReadProbe.h - The read-bandwidth probe of the benchmarks --*- C -*-===//
 *
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===//
 *
 * The one read loop and buffer that define "stream bandwidth", the floor the
 * decode benchmarks divide by: bench/stream_read.c (whole model,
 * run_bitnet2b.py) and bitnet-kernel-bench (GEMV). C and C++.
 *
 *===----------------------------------------------------------------------===*/
#ifndef BITNET_BENCH_READPROBE_H
#define BITNET_BENCH_READPROBE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/// A buffer of `bytes`, 2 MiB aligned and advised to transparent huge
/// pages: model.so's weights are mapped with 2 MiB pages where the page cache
/// holds large folios (FilePmdMapped in smaps), and 4 KiB pages would charge
/// the probe TLB misses (10-15 % of a one-thread stream) that decode does not
/// pay. NULL if out of memory.
static inline void *bitnetReadProbeAlloc(size_t bytes) {
  void *buffer = aligned_alloc((size_t)2 << 20, bytes);
#ifdef MADV_HUGEPAGE
  if (buffer)
    madvise(buffer, bytes, MADV_HUGEPAGE);
#endif
  return buffer;
}

/// The sum of `count` words: eight independent 64-byte accumulators per 512
/// bytes, enough loads in flight that it measures the memory system rather
/// than a dependency chain (four scalar accumulators read 25-50 % slower on
/// one Intel server core).
static inline uint64_t bitnetReadProbeSum(const uint64_t *words, size_t count) {
  typedef uint64_t Line __attribute__((vector_size(64)));
  Line acc[8];
  memset(acc, 0, sizeof(acc));
  size_t i = 0, whole = count & ~(size_t)63;
  for (; i < whole; i += 64)
    for (int k = 0; k < 8; ++k) {
      Line line;
      memcpy(&line, words + i + 8 * k, sizeof(line));
      acc[k] += line;
    }
  uint64_t sum = 0;
  for (; i < count; ++i)
    sum += words[i];
  for (int k = 0; k < 8; ++k)
    for (int e = 0; e < 8; ++e)
      sum += acc[k][e];
  return sum;
}

#endif // BITNET_BENCH_READPROBE_H
