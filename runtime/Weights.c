//===- Weights.c - Mapping the weights of model.so ----------------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The weights are read-only data of model.so, mapped from the file. Decode
// streams all of them once per token, and with 4 KiB pages every 4 KiB of the
// stream costs a TLB miss and a page walk: 2 MiB pages gave +1-3 % decode
// tokens/s on one and two threads of an Intel server core (BitNet-2B shape)
// and +20 % to a plain read loop. model.so's segments are 2 MiB aligned in
// the file and in memory, so the kernel maps them with huge pages wherever
// the page cache holds the file in 2 MiB folios. It does for a file read cold
// into a MADV_HUGEPAGE mapping (which this file arranges, and bitnet-compile
// leaves its output uncached for), not for one cached when it was written
// (by cp, say).
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 // Linux 5.14
#endif

/// Maps one read-only data segment [start, end) for streaming.
static void mapReadOnlySegment(uintptr_t start, uintptr_t end) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  start &= ~(page - 1);
  // Cold pages then come into the page cache as huge folios (where the
  // kernel has transparent huge pages; elsewhere the advice is ignored).
  (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
  // Map everything now, in one call, rather than by a page fault per page in
  // the middle of the first run (expensive in VMs). Older kernels reject the
  // advice; the pages then fault in on first use.
  (void)madvise((void *)start, end - start, MADV_POPULATE_READ);
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
