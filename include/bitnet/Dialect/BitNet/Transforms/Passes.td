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
      `bitnet.kv_cache_output`).

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

#endif // BITNET_DIALECT_BITNET_TRANSFORMS_PASSES_TD
