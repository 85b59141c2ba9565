//===- Weights.c - Mapping the weights of model.so ----------------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The weights are read-only data of model.so, mapped from the file. Decode
// streams all of them once per token, and streams them faster from private
// anonymous memory on transparent huge pages, the memory the benchmarks'
// read probe measures, than from the page cache: on an Intel server core
// (BitNet-2B shape, 2 GB) +8 % decode tokens/s on one thread and +10 % on
// two over 4 KiB file pages, and +6 % over file huge pages, which the page
// cache holds only for files read cold, not for a file just written by the
// linker or cp. So the whole huge pages of the read-only segments are
// copied into anonymous huge pages and moved over the file mapping at the
// same addresses: the generated code, which addresses the weights directly,
// is unaffected. The costs: the load copies the weights (about 1 s per GB
// where the kernel must compact memory for huge pages), the copy is not
// shared between processes, and prefill ran 10 % slower in the same
// measurements (cause not found). BITNET_WEIGHTS=file keeps the file
// mapping. Everything is best effort: on any failure the file mapping stays.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 // Linux 5.14
#endif

/// Bytes moved per mremap: whole huge pages, few enough system calls, and a
/// bounded transient growth of the resident set (the copy is resident before
/// the file pages it replaces are unmapped).
enum { kRemapBatchBytes = 32 << 20 };

/// The PMD huge page size if transparent huge pages can back an madvised
/// anonymous mapping, else 0.
static size_t transparentHugePageSize(void) {
  char mode[128] = "";
  FILE *file = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!file)
    return 0;
  bool usable = fgets(mode, sizeof(mode), file) && !strstr(mode, "[never]");
  fclose(file);
  if (!usable)
    return 0;
  unsigned long bytes = 0;
  file = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
  if (file) {
    if (fscanf(file, "%lu", &bytes) != 1)
      bytes = 0;
    fclose(file);
  }
  // A power of two, or nothing.
  return bytes && !(bytes & (bytes - 1)) ? (size_t)bytes : 0;
}

/// Replaces [begin, end), whole huge pages of a read-only file mapping, by
/// an anonymous copy on transparent huge pages at the same addresses.
static void moveToAnonymousHugePages(uintptr_t begin, uintptr_t end,
                                     size_t hugePage) {
  for (uintptr_t at = begin; at < end; at += kRemapBatchBytes) {
    size_t bytes = end - at < kRemapBatchBytes ? end - at : kRemapBatchBytes;
    // Over-allocate by one huge page to align the copy: huge pages back only
    // aligned ranges, and mremap keeps them only between aligned addresses.
    size_t reserved = bytes + hugePage;
    char *raw = mmap(NULL, reserved, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
      return;
    char *copy = (char *)(((uintptr_t)raw + hugePage - 1) & ~(hugePage - 1));
    if (copy > raw)
      munmap(raw, (size_t)(copy - raw));
    if (raw + reserved > copy + bytes)
      munmap(copy + bytes, (size_t)(raw + reserved - (copy + bytes)));
    if (madvise(copy, bytes, MADV_HUGEPAGE) != 0) {
      munmap(copy, bytes);
      return;
    }
    memcpy(copy, (const void *)at, bytes);
    if (mprotect(copy, bytes, PROT_READ) != 0 ||
        mremap(copy, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED,
               (void *)at) == MAP_FAILED) {
      munmap(copy, bytes);
      return;
    }
  }
}

/// Maps one read-only data segment [start, end) for streaming.
static void mapReadOnlySegment(uintptr_t start, uintptr_t end) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  start &= ~(page - 1);
  const char *mode = getenv("BITNET_WEIGHTS");
  size_t hugePage =
      mode && !strcmp(mode, "file") ? 0 : transparentHugePageSize();
  // Cold pages are then read into huge folios.
  if (hugePage)
    (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
  // Map everything now, in one call, rather than by a page fault per page in
  // the middle of the first run (expensive in VMs). Older kernels reject the
  // advice; the pages then fault in on first use.
  (void)madvise((void *)start, end - start, MADV_POPULATE_READ);
  if (!hugePage)
    return;
  uintptr_t hugeBegin = (start + hugePage - 1) & ~(hugePage - 1);
  uintptr_t hugeEnd = end & ~(hugePage - 1);
  if (hugeBegin >= hugeEnd)
    return;
  moveToAnonymousHugePages(hugeBegin, hugeEnd, hugePage);
}

/// dl_iterate_phdr callback: in the library that holds `address`, maps every
/// read-only data segment.
static int mapLibraryWeights(struct dl_phdr_info *info, size_t size,
                             void *address) {
  (void)size;
  uintptr_t target = (uintptr_t)address;
  bool ours = false;
  for (int i = 0; i < info->dlpi_phnum && !ours; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    ours = ph->p_type == PT_LOAD && target >= start &&
           target < start + ph->p_memsz;
  }
  if (!ours)
    return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || (ph->p_flags & (PF_W | PF_X)))
      continue;
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    mapReadOnlySegment(start, start + ph->p_filesz);
  }
  return 1;
}

void bitnetMapWeights(const void *anchor) {
  dl_iterate_phdr(mapLibraryWeights, (void *)anchor);
}
