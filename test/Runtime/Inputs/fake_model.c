//===- fake_model.c - A hand-written stand-in for generated code -*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Defines the two symbols of bitnet-c/ModelInterface.h the way bitnet-compile
// would, so the runtime and bitnet-run can be tested without the compiler.
// Linked with lib/bitnet/<arch>/bitnet_runtime.o into a model library.
//
// Default model "fake add": inputs a, b: float32 [2, ?sequence]; outputs
// y = a + b and shape: int64 [2] (the extents of a).
//
// -DFAKE_ECHO: one rank-1 input per dtype plus a float64 scalar, each copied
//   to an output of the same name with an "_out" suffix.
// -DFAKE_REQUIRES=<feature>: the `requires` record (default: a baseline
//   feature of the target ISA).
// -DFAKE_VERSION=<n>: the metadata format version (default 1).
// -DFAKE_MALFORMED: an `input` record with a bad rank.
//
//===----------------------------------------------------------------------===//

#include "bitnet-c/ModelInterface.h"

#include <stdlib.h>
#include <string.h>

#define FAKE_STR2(x) #x
#define FAKE_STR(x) FAKE_STR2(x)

#ifndef FAKE_VERSION
#define FAKE_VERSION 1
#endif

#ifdef FAKE_REQUIRES
#define FAKE_REQUIRES_TEXT FAKE_STR(FAKE_REQUIRES)
#elif defined(__x86_64__)
#define FAKE_REQUIRES_TEXT "sse4.2"
#elif defined(__aarch64__)
#define FAKE_REQUIRES_TEXT "neon"
#elif defined(__riscv)
#define FAKE_REQUIRES_TEXT "v"
#else
#define FAKE_REQUIRES_TEXT ""
#endif

#if defined(__x86_64__)
#define FAKE_TARGET "x86_64-unknown-linux-gnu x86-64 -"
#elif defined(__aarch64__)
#define FAKE_TARGET "aarch64-unknown-linux-gnu generic +neon"
#else
#define FAKE_TARGET "riscv64-unknown-linux-gnu generic-rv64 +v"
#endif

// clang-format off
#define FAKE_HEADER                                                            \
  "bitnet-model " FAKE_STR(FAKE_VERSION) "\n"                                  \
  "target " FAKE_TARGET "\n"                                                   \
  "requires " FAKE_REQUIRES_TEXT "\n"
// clang-format on

static size_t product(const int64_t *shape, int rank) {
  size_t count = 1;
  for (int d = 0; d < rank; ++d)
    count *= (size_t)shape[d];
  return count;
}

/// The runtime's allocator, which the generated code calls for memref.alloc.
void *_mlir_memref_to_llvm_alloc(size_t size);

/// Allocates an output like generated code does: one allocation, `data` =
/// the first element.
static void *allocateOutput(bitnet_model_output_t *output, size_t bytes) {
  output->allocated = _mlir_memref_to_llvm_alloc(bytes ? bytes : 1);
  output->data = output->allocated;
  return output->data;
}

#ifdef FAKE_ECHO

#define FAKE_ECHO_TENSORS(X)                                                   \
  X(f32, 1, 4)                                                                 \
  X(u8, 2, 1)                                                                  \
  X(i8, 3, 1)                                                                  \
  X(u16, 4, 2)                                                                 \
  X(i16, 5, 2)                                                                 \
  X(i32, 6, 4)                                                                 \
  X(i64, 7, 8)                                                                 \
  X(b, 9, 1)                                                                   \
  X(f16, 10, 2)                                                                \
  X(f64, 11, 8)                                                                \
  X(u32, 12, 4)                                                                \
  X(u64, 13, 8)

#define FAKE_INPUT_RECORD(name, dtype, size) "input " #name " " #dtype " 1 ?\n"
#define FAKE_OUTPUT_RECORD(name, dtype, size)                                  \
  "output " #name "_out " #dtype " 1 ?\n"
#define FAKE_ELEMENT_SIZE(name, dtype, size) size,

// clang-format off
const char __bitnet_model_metadata[] =
    FAKE_HEADER
    "name echo\n"
    FAKE_ECHO_TENSORS(FAKE_INPUT_RECORD)
    "input scalar 11 0\n"
    FAKE_ECHO_TENSORS(FAKE_OUTPUT_RECORD)
    "output scalar_out 11 0\n";
// clang-format on

void __bitnet_model_run(const bitnet_model_input_t *inputs,
                        bitnet_model_output_t *outputs) {
  static const size_t elementSizes[] = {FAKE_ECHO_TENSORS(FAKE_ELEMENT_SIZE)};
  enum { kNumRank1 = sizeof(elementSizes) / sizeof(elementSizes[0]) };
  for (int i = 0; i < kNumRank1; ++i) {
    size_t bytes = product(inputs[i].shape, 1) * elementSizes[i];
    memcpy(allocateOutput(&outputs[i], bytes), inputs[i].data, bytes);
    outputs[i].shape[0] = inputs[i].shape[0];
  }
  memcpy(allocateOutput(&outputs[kNumRank1], 8), inputs[kNumRank1].data, 8);
}

#else

#ifdef FAKE_MALFORMED
#define FAKE_INPUT_B "input b 1 3 2 ?sequence\n"
#else
#define FAKE_INPUT_B "input b 1 2 2 ?sequence\n"
#endif

// clang-format off
const char __bitnet_model_metadata[] =
    FAKE_HEADER
    "name fake%20add\n"
    "input a 1 2 2 ?sequence\n"
    FAKE_INPUT_B
    "output y 1 2 2 ?sequence\n"
    "output shape 7 1 2\n";
// clang-format on

void __bitnet_model_run(const bitnet_model_input_t *inputs,
                        bitnet_model_output_t *outputs) {
  size_t count = product(inputs[0].shape, 2);
  const float *a = inputs[0].data;
  const float *b = inputs[1].data;
  float *y = allocateOutput(&outputs[0], count * sizeof(float));
  for (size_t i = 0; i < count; ++i)
    y[i] = a[i] + b[i];
  outputs[0].shape[0] = inputs[0].shape[0];
  outputs[0].shape[1] = inputs[0].shape[1];

  int64_t *shape = allocateOutput(&outputs[1], 2 * sizeof(int64_t));
  shape[0] = inputs[0].shape[0];
  shape[1] = inputs[0].shape[1];
  outputs[1].shape[0] = 2;
}

#endif
