//===- BitNetDialect.td - BitNet dialect definition --------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_BITNETDIALECT_TD
#define BITNET_DIALECT_BITNET_IR_BITNETDIALECT_TD

include "mlir/IR/OpBase.td"

def BitNet_Dialect : Dialect {
  let name = "bitnet";
  let cppNamespace = "::mlir::bitnet";
  let summary = "Ternary (1.58-bit) neural-network layers and their integer parts";
  let description = [{
    The `bitnet` dialect models BitNet-style layers: ternary weights
    (`{-1, 0, +1}` times a float scale) applied to activations that are
    quantized on the fly to a few bits. It has two levels:

    * the layer level, `bitnet.bitlinear`: float in, float out, with the
      activation scheme (bits, absmax/absmean, granularity), an optional
      Hadamard transform and an optional top-K sparsification as attributes.
      This is what the ONNX raiser produces and what the kernel planner reads.
    * the integer level: `bitnet.hadamard`, `bitnet.sparsify`,
      `bitnet.quantize`, `bitnet.ternary_matmul` (exact int32 accumulation),
      `bitnet.rescale` (the f32 epilogue), `bitnet.dequantize` and
      `bitnet.kv_quantize`.

    Every op has an exact reference lowering to linalg/arith/math
    (`convert-bitnet-to-linalg`) that follows the numeric contract in
    docs/Dialects/BitNet/Rationale.md: round half to even, clamp after
    rounding, eps = 1e-5, no FMA contraction. Kernels are bit-identical to it.

    Packed ternary weights are `#bitnet.ternary` attributes backed by a
    `dense_resource` blob; the compilation target is a `#bitnet.target`
    attribute on the module under the `bitnet.target` name.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();

    /// The name of the module attribute holding the `#bitnet.target`.
    static constexpr ::llvm::StringLiteral getTargetAttrName() {
      return ::llvm::StringLiteral("bitnet.target");
    }

    /// On an `scf.parallel` of bitnet-parallelize-loops and the task function
    /// outlined from it (down to `llvm.func`): a positive i64, the loop
    /// iterations per chunk worth running on another thread.
    static constexpr ::llvm::StringLiteral getParallelGrainAttrName() {
      return ::llvm::StringLiteral("bitnet.parallel_grain");
    }
  }];
}

class BitNet_Op<string mnemonic, list<Trait> traits = []>
    : Op<BitNet_Dialect, mnemonic, traits>;

#endif // BITNET_DIALECT_BITNET_IR_BITNETDIALECT_TD
