//===- CpuFeatures.c - Check required CPU features at load time ---*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The one place where the runtime asks the CPU what it supports: CPUID and
// XGETBV on x86-64, the auxiliary vector on aarch64 and riscv64. Only the
// checks of the ISA being built are compiled; a feature of another ISA, or
// a name outside the ModelInterface.h vocabulary, is unknown and refused.
// It also picks the kernels' weight-prefetch policy for the CPU design.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) || (defined(__riscv) && __riscv_xlen == 64)
#include <sys/auxv.h>
#endif

/// Whether the CPU has `name`: 1 yes, 0 no, -1 unknown name.
typedef int (*FeatureProbe)(const char *name);

#if defined(__x86_64__)

#define BITNET_RUNTIME_ISA "x86_64"

typedef struct X86Registers {
  unsigned leaf1Ecx;
  unsigned leaf7Ebx, leaf7Ecx;
  unsigned leaf7Sub1Eax;
  unsigned long long xcr0;
} X86Registers;

static X86Registers readX86Registers(void) {
  X86Registers regs = {0, 0, 0, 0, 0};
  unsigned eax, ebx, ecx, edx;
  unsigned maxLeaf = __get_cpuid_max(0, NULL);
  if (maxLeaf >= 1 && __get_cpuid(1, &eax, &ebx, &ecx, &edx))
    regs.leaf1Ecx = ecx;
  if (maxLeaf >= 7 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    regs.leaf7Ebx = ebx;
    regs.leaf7Ecx = ecx;
    if (eax >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx))
      regs.leaf7Sub1Eax = eax;
  }
  // OSXSAVE: the OS saves the extended registers; XCR0 says which ones.
  if (regs.leaf1Ecx & (1u << 27)) {
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    regs.xcr0 = ((unsigned long long)high << 32) | low;
  }
  return regs;
}

static int probeFeature(const char *name) {
  X86Registers r = readX86Registers();
  // XMM and YMM state (AVX), plus opmask and ZMM state (AVX-512).
  bool osAvx = (r.xcr0 & 0x6) == 0x6;
  bool osAvx512 = osAvx && (r.xcr0 & 0xe0) == 0xe0;
  bool avx = osAvx && (r.leaf1Ecx & (1u << 28));
  bool avx512f = osAvx512 && (r.leaf7Ebx & (1u << 16));
  if (strcmp(name, "sse4.2") == 0)
    return (r.leaf1Ecx >> 20) & 1;
  if (strcmp(name, "avx") == 0)
    return avx;
  if (strcmp(name, "avx2") == 0)
    return avx && (r.leaf7Ebx & (1u << 5));
  if (strcmp(name, "fma") == 0)
    return avx && (r.leaf1Ecx & (1u << 12));
  if (strcmp(name, "f16c") == 0)
    return avx && (r.leaf1Ecx & (1u << 29));
  if (strcmp(name, "bmi2") == 0)
    return (r.leaf7Ebx >> 8) & 1;
  if (strcmp(name, "avx512f") == 0)
    return avx512f;
  if (strcmp(name, "avx512bw") == 0)
    return avx512f && (r.leaf7Ebx & (1u << 30));
  if (strcmp(name, "avx512dq") == 0)
    return avx512f && (r.leaf7Ebx & (1u << 17));
  if (strcmp(name, "avx512vl") == 0)
    return avx512f && (r.leaf7Ebx & (1u << 31));
  if (strcmp(name, "avx512vnni") == 0)
    return avx512f && (r.leaf7Ecx & (1u << 11));
  if (strcmp(name, "avxvnni") == 0)
    return avx && (r.leaf7Sub1Eax & (1u << 4));
  return -1;
}

/// CPUID's vendor string (leaf 0: EBX, EDX, ECX) is "AuthenticAMD".
static bool isAmd(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
    return false;
  char vendor[13];
  memcpy(vendor, &ebx, 4);
  memcpy(vendor + 4, &edx, 4);
  memcpy(vendor + 8, &ecx, 4);
  vendor[12] = '\0';
  return strcmp(vendor, "AuthenticAMD") == 0;
}

/// On a Zen 5 core the int2 decode kernel streamed 25 GB/s with the Intel
/// policy and 36 with the non-temporal one (bitnet-kernel-bench, 1 thread,
/// medians of 8 rounds), no faster than without software prefetch with the
/// former; the 2B model decoded 31.9 -> 39.8 tokens/s on 1 thread and 53.2
/// -> 65.5 on 2.
static BitNetWeightPrefetch probeWeightPrefetch(void) {
  return isAmd() ? BITNET_WEIGHT_PREFETCH_NONTEMPORAL
                 : BITNET_WEIGHT_PREFETCH_L2_TWICE;
}

#elif defined(__aarch64__)

#define BITNET_RUNTIME_ISA "aarch64"

// The bits of <asm/hwcap.h>, spelled out so older headers still build.
enum {
  kHwcapAsimd = 1 << 1,
  kHwcapAsimdDp = 1 << 20,
  kHwcapSve = 1 << 22,
  kHwcap2I8mm = 1 << 13,
};

static int probeFeature(const char *name) {
  unsigned long hwcap = getauxval(AT_HWCAP);
  unsigned long hwcap2 = getauxval(AT_HWCAP2);
  if (strcmp(name, "neon") == 0)
    return (hwcap & kHwcapAsimd) != 0;
  if (strcmp(name, "dotprod") == 0)
    return (hwcap & kHwcapAsimdDp) != 0;
  if (strcmp(name, "sve") == 0)
    return (hwcap & kHwcapSve) != 0;
  if (strcmp(name, "i8mm") == 0)
    return (hwcap2 & kHwcap2I8mm) != 0;
  return -1;
}

#elif defined(__riscv) && __riscv_xlen == 64

#define BITNET_RUNTIME_ISA "riscv64"

static int probeFeature(const char *name) {
  // AT_HWCAP has one bit per single-letter extension, 'A' at bit 0.
  unsigned long hwcap = getauxval(AT_HWCAP);
  if (strcmp(name, "v") == 0)
    return (hwcap >> ('V' - 'A')) & 1;
  return -1;
}

#else

#define BITNET_RUNTIME_ISA "this ISA"

static int probeFeature(const char *name) {
  (void)name;
  return -1;
}

#endif

#if !defined(__x86_64__)
/// Only the x86-64 kernels prefetch by policy.
static BitNetWeightPrefetch probeWeightPrefetch(void) {
  return BITNET_WEIGHT_PREFETCH_L2_TWICE;
}
#endif

bitnet_status_t bitnetCheckCpuFeatures(const char *features) {
  if (!features)
    return NULL;
  const char *cursor = features;
  char name[64];
  while (*cursor) {
    while (*cursor == ' ')
      ++cursor;
    size_t length = strcspn(cursor, " ");
    if (length == 0)
      break;
    if (length >= sizeof(name))
      return bitnetMakeStatus(BITNET_STATUS_INCOMPATIBLE,
                              "this library requires the CPU feature "
                              "'%.*s', which this runtime does not know",
                              (int)length, cursor);
    memcpy(name, cursor, length);
    name[length] = '\0';
    cursor += length;
    int present = probeFeature(name);
    if (present < 0)
      return bitnetMakeStatus(BITNET_STATUS_INCOMPATIBLE,
                              "this library requires the CPU feature '%s', "
                              "which the " BITNET_RUNTIME_ISA
                              " runtime does not know",
                              name);
    if (!present)
      return bitnetMakeStatus(BITNET_STATUS_INCOMPATIBLE,
                              "this library requires the CPU feature '%s', "
                              "which this CPU lacks",
                              name);
  }
  return NULL;
}

/// BITNET_WEIGHT_PREFETCH, if set to a policy's name: 1 and the policy, 0
/// if unset or empty, -1 for any other value.
static int weightPrefetchOverride(BitNetWeightPrefetch *policy) {
  const char *value = getenv("BITNET_WEIGHT_PREFETCH");
  if (!value || !*value)
    return 0;
  if (strcmp(value, "l2-twice") == 0)
    *policy = BITNET_WEIGHT_PREFETCH_L2_TWICE;
  else if (strcmp(value, "nontemporal") == 0)
    *policy = BITNET_WEIGHT_PREFETCH_NONTEMPORAL;
  else
    return -1;
  return 1;
}

bitnet_status_t bitnetCheckWeightPrefetchOverride(void) {
  BitNetWeightPrefetch policy;
  if (weightPrefetchOverride(&policy) >= 0)
    return NULL;
  return bitnetMakeStatus(BITNET_STATUS_INVALID_ARGUMENT,
                          "BITNET_WEIGHT_PREFETCH is '%s', expected "
                          "'l2-twice' or 'nontemporal' (or unset)",
                          getenv("BITNET_WEIGHT_PREFETCH"));
}

BitNetWeightPrefetch bitnetWeightPrefetch(void) {
  // 0 = not asked yet; the policy + 1 otherwise. Racing first calls store
  // the same value.
  static int cached;
  int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (value == 0) {
    BitNetWeightPrefetch policy;
    if (weightPrefetchOverride(&policy) <= 0)
      policy = probeWeightPrefetch();
    value = (int)policy + 1;
    __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
  }
  return (BitNetWeightPrefetch)(value - 1);
}
