//===- Passes.td - BitNet conversion passes -----------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_CONVERSION_PASSES_TD
#define BITNET_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertBitNetToLinalg : Pass<"convert-bitnet-to-linalg"> {
  let summary = "The reference lowering of every bitnet op";
  let description = [{
    Lowers every `bitnet` op to `linalg.generic`, `tensor`, `arith` and
    `math` ops that implement the numeric contract exactly (round half to
    even, clamp after rounding, eps = 1e-5, index-order sums, no FMA). This
    is the portable meaning of a `bitnet` program and the oracle kernels are
    tested against. `bitnet.bitlinear` is decomposed first. Weights must be
    in the `plain` layout; they are unpacked at run time from the packed
    blob (2 bits per weight in the binary). A `bitnet.ternary_matmul` whose
    `kernel` was chosen by `bitnet-select-kernels` becomes a call of that
    runtime microkernel instead (on buffers, through `bufferization.to_buffer`
    / `to_tensor`); run it on the module so the declarations can be added.

    A `bitnet` op left over is an error (dialect conversion).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // BITNET_CONVERSION_PASSES_TD
