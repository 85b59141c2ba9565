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

#endif // BITNET_DIALECT_BITNET_TRANSFORMS_PASSES_TD
