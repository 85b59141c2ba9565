//===- Passes.td - BitNet dialect passes --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_TRANSFORMS_PASSES_TD
#define BITNET_DIALECT_BITNET_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def BitNetDecomposeBitLinear : Pass<"bitnet-decompose-bitlinear"> {
  let summary = "Expand bitnet.bitlinear into its integer-level parts";
  let description = [{
    Rewrites each `bitnet.bitlinear` into the sequence that defines it:
    `bitnet.hadamard` (if any), `bitnet.sparsify` (if any), `bitnet.quantize`,
    `bitnet.ternary_matmul` and `bitnet.rescale`, with the weight scales
    materialized as an `arith.constant`. The kernel planner works on this
    form; the reference lowering runs it first.

    Example:
    ```mlir
    %y = bitnet.bitlinear %x, <...>, <bits = 8, method = absmax,
                                      granularity = per_token> : tensor<2x96xf32>
    // becomes
    %q, %s = bitnet.quantize %x <...> : tensor<2x96xf32>
    %acc = bitnet.ternary_matmul %q, <...> : tensor<2x96xi8>
    %g = arith.constant dense<...> : tensor<1xf32>
    %y = bitnet.rescale %acc, %s, %g : ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def BitNetFuseSiblingMatmuls : Pass<"bitnet-fuse-sibling-matmuls"> {
  let summary = "Merge the ternary matmuls that read the same activations";
  let description = [{
    `bitnet.ternary_matmul` ops in one block that read the same quantized
    activations (after CSE: the q, k and v projections of an attention
    layer, the gate and up projections of a gated FFN) and have the same
    `K`, weight layout (`plain` or `int8`) and `act_bits` become one matmul
    over their weights stacked along `N`, whose accumulators are sliced
    back out (`tensor.extract_slice` along the last dimension). The
    products are exact integers, so every result is bit-identical; what
    changes is that a decode step streams one weight instead of two or
    three, in one parallel region instead of several. The stacked weight
    has one scale per row (the matmul does not apply them; the
    `bitnet.rescale` of each slice still does). Weights already in a kernel
    layout (after `bitnet-select-kernels`) are left alone.

    ```mlir
    %a = bitnet.ternary_matmul %q, <640x2560, plain, ...> : tensor<1x2560xi8>
    %b = bitnet.ternary_matmul %q, <2560x2560, plain, ...> : tensor<1x2560xi8>
    // becomes
    %ab = bitnet.ternary_matmul %q, <3200x2560, plain, ...> : tensor<1x2560xi8>
    %a = tensor.extract_slice %ab[0, 0] [1, 640] [1, 1]
    %b = tensor.extract_slice %ab[0, 640] [1, 2560] [1, 1]
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def BitNetKVCache : Pass<"bitnet-kv-cache", "::mlir::ModuleOp"> {
  let summary = "Turn past/present Concat pairs into an in-place KV cache";
  let description = [{
    Decoder exports carry the attention cache as inputs `past_*` and outputs
    `present_* = Concat(past_*, new, axis)`: run as written, every step copies
    the whole cache. This pass rewrites the `entry` function so that the
    runtime owns the cache:

    * each `past` argument whose only uses are that `tensor.concat` and
      `tensor.dim` becomes a cache buffer of capacity C along the concat axis
      (`bitnet.kv_cache = <axis>`, written in place: `bufferization.writable`);
    * a new last argument `kv_length : tensor<i64>` gives the number of valid
      positions P; `tensor.dim past, axis` becomes P;
    * the concat becomes `tensor.insert_slice new into cache[.., P, ..]`
      followed by `tensor.extract_slice` of positions [0, P + n) that attention
      reads;
    * the `present` results disappear (their names are kept in
      `bitnet.kv_cache_output`);
    * a cache that the graph reads only transposed, positions swapped with
      the last dim (keys: scores = q · Kᵀ, directly or through an
      `expand_shape` that adds unit dims for grouped-query attention), is
      stored that way, `[..., D, C]` with `bitnet.kv_cache` the last axis:
      only the new keys are transposed, and the scores read a view of the
      cache instead of a transposed copy of all of it at every step (2B-model
      decode at 128 to 384 positions, one Intel thread: 12.4 to 13.4
      tokens/s). Results are bit-identical: the same products in the same
      order.

    The caller guarantees P + n <= C (the runtime's session API checks it).
    Memory is the cache once; a step writes only the new positions.

    ```mlir
    // before
    func.func @main(%ids: tensor<?x?xi64>, %past: tensor<?x2x?x32xf32>)
        -> (tensor<?x?x256xf32>, tensor<?x2x?x32xf32>) {
      %p = tensor.dim %past, %c2 : tensor<?x2x?x32xf32>
      %present = tensor.concat dim(2) %past, %k : (...) -> tensor<?x2x?x32xf32>
      ...
      return %logits, %present : ...
    }
    // after
    func.func @main(%ids: tensor<?x?xi64>,
                    %cache: tensor<?x2x?x32xf32> {bitnet.kv_cache = 2 : i64},
                    %len: tensor<i64>) -> tensor<?x?x256xf32> {
      %p = arith.index_cast (tensor.extract %len[]) : i64 to index
      %all = tensor.insert_slice %k into %cache[0, 0, %p, 0] [...] [1, 1, 1, 1]
      %present = tensor.extract_slice %all[0, 0, 0, 0] [..., %p + n, 32] [...]
      ...
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::bufferization::BufferizationDialect"];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "The function whose past/present pairs become a cache">,
  ];
}

def BitNetLastPositionLogits
    : Pass<"bitnet-last-position-logits", "::mlir::ModuleOp"> {
  let summary = "Compute a decoder's logits for the last position only";
  let description = [{
    Generation reads only the logits of the last position of each call, but
    an exported decoder computes `[batch, seq, vocab]`: for a 128-token
    prompt, 128 LM-head products of which 127 are discarded, and the LM head
    is the largest matrix of a small-vocabulary-unfriendly model. This pass
    slices the `entry` function's first result to the last position
    (`[batch, 1, vocab]`) and bubbles the slice up through the linalg ops
    that produce it (upstream's `BubbleUpExtractSliceOpPattern`); an LM head
    that is a `bitnet.bitlinear` with per-token activation scales (a W8A8
    head) takes the slice of its input rows instead (per-tensor scales
    depend on every position, so that head runs whole). The final norm and
    the LM head then run on one position. Values are unchanged
    (the same elements, computed the same way). The runtime's sessions accept
    either logits shape; `bitnet-compile --kv-cache` enables it.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "The function whose first result are the logits">,
  ];
}

def BitNetSelectKernels : Pass<"bitnet-select-kernels", "::mlir::ModuleOp"> {
  let summary = "Choose a microkernel for every ternary matmul and pack its "
                "weight for it";
  let description = [{
    For each `bitnet.ternary_matmul` without a `kernel`, picks the best
    variant of the kernel registry (bitnet/Kernels/Kernels.def) that the
    module's target can run: the architecture comes from the module's
    `bitnet.target` triple, the CPU features from `cpu-features` (the
    resolved feature list the driver also records as the library's
    `requires`) plus the `+name` entries of the target's feature string.
    Ternary weights take the int2 family, 8-bit weights (the `int8` layout
    of a W8A8 layer) the int8 family. The weight is repacked from `plain`
    (`int8`) into the kernel's layout `i2` (`i8`), a new resource blob, and
    the op gets `kernel = "<family>.<variant>"`, which the lowering turns
    into a call of the runtime's microkernel. Every variant computes the
    exact int32 products, so the choice never changes a result.

    `kernel=reference` leaves every op to the reference lowering;
    `kernel=int2` (and `auto`, until other ternary families exist) uses the
    int2 family for ternary weights, and fails if the target has none. A module without `bitnet.target` is left alone (nothing reads the
    host). With `print-plan`, each choice is reported as a remark at the op.

    ```mlir
    module attributes {bitnet.target = #bitnet.target<
        triple = "x86_64-unknown-linux-gnu", cpu = "x86-64-v3">} {
      %acc = bitnet.ternary_matmul %q, <40x96, plain, ...> : tensor<1x96xi8>
    }
    // bitnet-select-kernels{cpu-features="avx2 fma"}
      %acc = bitnet.ternary_matmul %q, <40x96, i2, ...>
               {kernel = "i2.x86_64_avx2"} : tensor<1x96xi8>
    ```
  }];
  let options = [
    Option<"kernel", "kernel", "std::string", /*default=*/"\"auto\"",
           "Kernel family: auto, int2 or reference">,
    Option<"cpuFeatures", "cpu-features", "std::string", /*default=*/"\"\"",
           "The target's CPU features (ModelInterface.h vocabulary), space "
           "separated">,
    Option<"printPlan", "print-plan", "bool", /*default=*/"false",
           "Report each choice as a remark">
  ];
}

#endif // BITNET_DIALECT_BITNET_TRANSFORMS_PASSES_TD
