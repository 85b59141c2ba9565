//===- Workspace.c - The generated code's buffer allocator --------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// memref.alloc / memref.dealloc of the generated code (lowered with
// `use-generic-functions`) and the outputs a run hands over. Small buffers
// go straight to malloc. Large ones (a 128256-float logits row, prefill
// activations) are kept for reuse after they are freed: malloc gives such a
// block back to the system when it is freed at the top of the heap, and the
// next run's allocation then faults in fresh, zeroed pages (a 2 MiB huge
// page each, with transparent huge pages) every step. A small, bounded cache
// of free blocks keeps them mapped; bitnetWorkspaceTrim empties it.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

enum {
  /// Blocks from this size on are cached when freed (glibc's initial mmap
  /// threshold: below it malloc keeps freed memory itself).
  kCachedMinBytes = 128 << 10,
  /// Free blocks kept at most, and their bytes at most.
  kCacheSlots = 8,
};
static const size_t kCacheMaxBytes = (size_t)256 << 20;

/// Stored just before every pointer handed out.
typedef struct BlockHeader {
  void *base;      // what malloc returned
  size_t capacity; // bytes usable from the handed-out pointer
} BlockHeader;

static pthread_mutex_t cacheLock = PTHREAD_MUTEX_INITIALIZER;
static BlockHeader *cache[kCacheSlots];
static size_t cachedBytes;

static BlockHeader *headerOf(void *ptr) { return (BlockHeader *)ptr - 1; }

/// The smallest cached block of `size` to 2 `size` bytes at `alignment`,
/// removed from the cache, or NULL.
static void *takeCached(size_t size, size_t alignment) {
  pthread_mutex_lock(&cacheLock);
  int best = -1;
  for (int i = 0; i < kCacheSlots; ++i) {
    BlockHeader *h = cache[i];
    if (!h || h->capacity < size || h->capacity / 2 > size ||
        (uintptr_t)(h + 1) % alignment != 0)
      continue;
    if (best < 0 || h->capacity < cache[best]->capacity)
      best = i;
  }
  void *ptr = NULL;
  if (best >= 0) {
    ptr = cache[best] + 1;
    cachedBytes -= cache[best]->capacity;
    cache[best] = NULL;
  }
  pthread_mutex_unlock(&cacheLock);
  return ptr;
}

/// Whether the cache took the block `h`.
static bool putCached(BlockHeader *h) {
  bool kept = false;
  pthread_mutex_lock(&cacheLock);
  if (cachedBytes + h->capacity <= kCacheMaxBytes)
    for (int i = 0; i < kCacheSlots && !kept; ++i)
      if (!cache[i]) {
        cache[i] = h;
        cachedBytes += h->capacity;
        kept = true;
      }
  pthread_mutex_unlock(&cacheLock);
  return kept;
}

void *bitnetWorkspaceAlloc(size_t size, size_t alignment) {
  if (alignment < sizeof(BlockHeader))
    alignment = sizeof(BlockHeader);
  if (alignment & (alignment - 1))
    return NULL;
  if (size >= kCachedMinBytes) {
    void *ptr = takeCached(size, alignment);
    if (ptr)
      return ptr;
  }
  // Room for the header and for aligning the pointer after it.
  if (size > SIZE_MAX - alignment - sizeof(BlockHeader))
    return NULL;
  void *base = malloc(size + alignment + sizeof(BlockHeader));
  if (!base)
    return NULL;
  uintptr_t first = (uintptr_t)base + sizeof(BlockHeader);
  uintptr_t aligned = (first + alignment - 1) & ~(uintptr_t)(alignment - 1);
  BlockHeader *h = headerOf((void *)aligned);
  h->base = base;
  h->capacity = size + alignment - (size_t)(aligned - first);
  return (void *)aligned;
}

void bitnetWorkspaceFree(void *ptr) {
  if (!ptr)
    return;
  BlockHeader *h = headerOf(ptr);
  if (h->capacity >= kCachedMinBytes && putCached(h))
    return;
  free(h->base);
}

void bitnetWorkspaceTrim(void) {
  pthread_mutex_lock(&cacheLock);
  for (int i = 0; i < kCacheSlots; ++i) {
    if (cache[i])
      free(cache[i]->base);
    cache[i] = NULL;
  }
  cachedBytes = 0;
  pthread_mutex_unlock(&cacheLock);
}

// The entry points of MLIR's memref-to-LLVM lowering with
// `use-generic-functions`.
void *_mlir_memref_to_llvm_alloc(size_t size) {
  return bitnetWorkspaceAlloc(size, 16);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  return bitnetWorkspaceAlloc(size, alignment);
}

void _mlir_memref_to_llvm_free(void *ptr) { bitnetWorkspaceFree(ptr); }
