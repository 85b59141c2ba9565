/*===- bitnet-c/ModelInterface.h - Compiler <-> runtime contract -*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Internal to a model.so: the two hidden symbols the compiler generates and  *|
|* the runtime (linked into the same library) consumes. Not part of the       *|
|* public API (bitnet-c/Runtime.h) and never exported.                        *|
|*                                                                            *|
|* 1. `__bitnet_model_metadata`: a NUL-terminated text, one record per line,  *|
|*    fields separated by single spaces:                                      *|
|*                                                                            *|
|*      bitnet-model <format-version = 1>                                     *|
|*      name <graph-name>                                                     *|
|*      target <triple> <cpu> <llvm-features or ->                            *|
|*      requires <feature>...          (CPU features checked at load time)    *|
|*      input <name> <dtype> <rank> <dim>...                                  *|
|*      output <name> <dtype> <rank> <dim>...                                 *|
|*                                                                            *|
|*    Names are percent-encoded: bytes outside 0x21..0x7E, and '%', become    *|
|*    %XX (two upper-case hex digits); an empty name is "%". <dtype> is the   *|
|*    ONNX TensorProto.DataType number (bitnet_dtype_t). A <dim> is a decimal *|
|*    extent, "?" for an anonymous dynamic extent, or "?<name>" for a named   *|
|*    (ONNX dim_param) one. `input`/`output` lines come in the model's order. *|
|*    A decoder compiled with --kv-cache (bitnet-kv-cache) adds              *|
|*      kv-cache <input-index> <axis> <present-output-name>                   *|
|*      kv-length <input-index>                                               *|
|*    for each input that is a runtime-owned cache, written in place at       *|
|*    positions [L, L + n) of <axis> where L is the rank-0 int64 kv-length    *|
|*    input and n the number of new tokens; the caller guarantees L + n <=    *|
|*    the cache's extent on <axis>.                                           *|
|*    `requires` names use this vocabulary (unknown names make the runtime    *|
|*    refuse the model): x86: sse4.2 avx avx2 fma f16c bmi2 avx512f avx512bw  *|
|*    avx512dq avx512vl avx512vnni avxvnni; aarch64: neon dotprod i8mm sve;   *|
|*    riscv64: v.                                                             *|
|*                                                                            *|
|* 2. `__bitnet_model_run(inputs, outputs)`: runs the graph once. The caller  *|
|*    has validated every input against the metadata (dtypes, ranks, static   *|
|*    extents, equal sizes for equal dim names); the model reads the inputs   *|
|*    and never writes them. For each output the model allocates the buffer   *|
|*    with malloc(), stores the malloc'ed pointer in `allocated` (release it  *|
|*    with free()), the first element in `data`, and the extents in `shape`,  *|
|*    which the caller provides with room for the output's rank.              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BITNET_C_MODELINTERFACE_H
#define BITNET_C_MODELINTERFACE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BITNET_MODEL_METADATA_VERSION 1

typedef struct bitnet_model_input_s {
  const void *data;
  const int64_t *shape;
} bitnet_model_input_t;

typedef struct bitnet_model_output_s {
  void *allocated;
  void *data;
  int64_t *shape;
} bitnet_model_output_t;

extern const char __bitnet_model_metadata[];
void __bitnet_model_run(const bitnet_model_input_t *inputs,
                        bitnet_model_output_t *outputs);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_C_MODELINTERFACE_H */
