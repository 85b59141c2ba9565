//===- kernel_check.h - What the kernel check programs share -----*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The harness of i2_kernel_check.c and i8_kernel_check.c: the variant table's
// row type, a deterministic random source, and the driver that runs one
// family's variants of the host ISA on a thread pool. Each program defines
// its table (from Kernels.def), its oracle and its cases.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TEST_RUNTIME_KERNEL_CHECK_H
#define BITNET_TEST_RUNTIME_KERNEL_CHECK_H

#include "../../../runtime/Internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#define HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#define HOST_ARCH "aarch64"
#elif defined(__riscv)
#define HOST_ARCH "riscv64"
#endif

typedef void (*KernelEntry)(const BitNetMemRef2DI8 *, const BitNetMemRef1DU8 *,
                            BitNetMemRef2DI32 *);

typedef struct {
  const char *name;
  const char *arch;
  const char *features;
  KernelEntry entry;
} Variant;

static uint64_t rngState = 0x9e3779b97f4a7c15ull;
static uint32_t next32(void) {
  rngState ^= rngState << 13;
  rngState ^= rngState >> 7;
  rngState ^= rngState << 17;
  return (uint32_t)(rngState >> 11);
}

/// Runs `check` (cases passed, or -1 after printing a mismatch) on every
/// variant of `all` for this ISA that the CPU can execute, on a pool of
/// argv[1] threads (default 1). Variants of other ISAs are not in this
/// runtime object (weak references resolve to NULL) and are skipped by name.
/// Returns main's exit code.
static int runVariants(int argc, char **argv, const Variant *all, size_t count,
                       int (*check)(const Variant *)) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  BitNetThreadPool *pool = bitnetThreadPoolCreate(threads);
  if (threads > 1 && !pool) {
    printf("cannot start %d threads\n", threads);
    return 1;
  }
  bitnetSetCurrentThreadPool(pool);
  int rc = 0;
  for (size_t i = 0; i < count && rc == 0; ++i) {
    const Variant *v = &all[i];
    if (strcmp(v->arch, HOST_ARCH) != 0)
      continue;
    if (!v->entry) {
      printf("%s: MISSING from the runtime object\n", v->name);
      rc = 1;
      continue;
    }
    bitnet_status_t status = bitnetCheckCpuFeatures(v->features);
    if (status) {
      bitnet_status_free(status);
      printf("%s: skipped (cpu)\n", v->name);
      continue;
    }
    int cases = check(v);
    if (cases < 0)
      rc = 1;
    else
      printf("%s: %d cases ok, %d threads\n", v->name, cases, threads);
  }
  bitnetSetCurrentThreadPool(NULL);
  bitnetThreadPoolDestroy(pool);
  return rc;
}

#endif // BITNET_TEST_RUNTIME_KERNEL_CHECK_H
