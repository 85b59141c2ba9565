//===- BitNetOps.td - BitNet operations ---------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_BITNETOPS_TD
#define BITNET_DIALECT_BITNET_IR_BITNETOPS_TD

include "bitnet/Dialect/BitNet/IR/BitNetAttrs.td"
include "bitnet/Dialect/BitNet/IR/BitNetDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def BitNet_F32Tensor : RankedTensorOf<[F32]>;
def BitNet_I8Tensor : RankedTensorOf<[I8]>;
def BitNet_I32Tensor : RankedTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Layer level
//===----------------------------------------------------------------------===//

def BitNet_BitLinearOp : BitNet_Op<"bitlinear", [Pure, InferTypeOpAdaptor]> {
  let summary = "A BitLinear layer: quantized activations times ternary weights";
  let description = [{
    `y = dequant(quant(pre(x))) · (Wt · g)ᵀ` over the last axis of `x`
    (`[..., K]` → `[..., N]`), where `pre` is, in this order, the optional
    normalized Hadamard transform of block `hadamard` and the optional top-K
    sparsification keeping the fraction `topk` of each token, and `quant` is
    the activation scheme. It means exactly:

    ```
    %h      = bitnet.hadamard %x block B           (if hadamard)
    %t      = bitnet.sparsify %h topk r            (if topk)
    %q, %s  = bitnet.quantize %t <scheme>
    %acc    = bitnet.ternary_matmul %q, <weight>
    %y      = bitnet.rescale %acc, %s, g
    ```

    which is what `bitnet-decompose-bitlinear` produces. The granularity must
    be `per_token` or `per_tensor`: the int32 accumulator sums over all of
    `K`, so one activation scale must cover a whole row.

    ```mlir
    %y = bitnet.bitlinear %x, <40x96, plain, scales = dense<0.08> : tensor<1xf32>,
           data = dense_resource<w> : tensor<960xi8>>,
           <bits = 4, method = absmax, granularity = per_token> hadamard 32
           : tensor<2x5x96xf32>
    ```
  }];
  let arguments = (ins
    BitNet_F32Tensor:$input,
    BitNet_TernaryAttr:$weight,
    BitNet_QuantSchemeAttr:$scheme,
    OptionalAttr<I64Attr>:$hadamard,
    OptionalAttr<F64Attr>:$topk
  );
  let results = (outs BitNet_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight `,` $scheme (`hadamard` $hadamard^)? (`topk` $topk^)?
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Float pre-processing
//===----------------------------------------------------------------------===//

def BitNet_HadamardOp : BitNet_Op<"hadamard",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Normalized block Walsh-Hadamard transform of the last axis";
  let description = [{
    Applies `H_B / sqrt(B)` (Sylvester `H_B`) to every run of `block_size = B`
    consecutive elements of the last axis. `B` is a power of two that divides
    the last dimension.

    The exact float result is defined by the fast transform: `log2(B)`
    butterfly stages over distances `h = 1, 2, 4, ..., B/2`, each replacing
    the pair `(a, b) = (x[i], x[i + h])` (for `i` with bit `h` clear) by
    `(a + b, a - b)`, then one multiplication of every element by
    `f32(1 / sqrt(B))`. The transform is an involution, so
    `hadamard(hadamard(x))` folds to `x` (equal up to rounding), and block 1
    is the identity.

    ```mlir
    %y = bitnet.hadamard %x block 32 : tensor<2x5x96xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Tensor:$input, I64Attr:$block_size);
  let results = (outs BitNet_F32Tensor:$output);
  let assemblyFormat = "$input `block` $block_size attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BitNet_SparsifyOp : BitNet_Op<"sparsify",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Keep the largest-magnitude entries of each token";
  let description = [{
    Zeroes all but some entries of every row of the last axis (`n` elements):

    * `topk r` keeps the `ceil(r * n)` entries of largest magnitude
      (`0 < r <= 1`, computed in f64); among equal magnitudes the lower index
      wins (ONNX `TopK` order).
    * `threshold t` keeps the entries with `|x| >= t` (`t >= 0`).

    Kept entries are copied unchanged. `topk 1.0` folds to its input.

    ```mlir
    %y = bitnet.sparsify %x topk 5.000000e-01 : tensor<2x5x96xf32>
    ```
  }];
  let arguments = (ins
    BitNet_F32Tensor:$input,
    BitNet_SparsifyModeAttr:$mode,
    F64Attr:$value
  );
  let results = (outs BitNet_F32Tensor:$output);
  let assemblyFormat = "$input $mode $value attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Integer level
//===----------------------------------------------------------------------===//

def BitNet_QuantizeOp : BitNet_Op<"quantize", [Pure, InferTypeOpAdaptor]> {
  let summary = "Quantize float activations to signed integers and scales";
  let description = [{
    Quantizes `input` with `scheme` (see `#bitnet.quant`): returns the
    integers `q` (stored in i8, within the scheme's `bits`) and the f32
    scales `s` such that `q / s` approximates `input`.

    The scale tensor has the input's rank: its last dimension is the number
    of groups (1 for `per_token`, `K / group_size` for `per_group`) and, for
    `per_tensor`, every dimension is 1.

    Canonicalization: re-quantizing `dequantize(q, s)` with the same `absmax`
    scheme that produced `q` gives `q` back exactly, so that use is replaced.

    ```mlir
    %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token>
               : tensor<2x5x96xf32>
    // %q : tensor<2x5x96xi8>, %s : tensor<2x5x1xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Tensor:$input, BitNet_QuantSchemeAttr:$scheme);
  let results = (outs BitNet_I8Tensor:$q, BitNet_F32Tensor:$scale);
  let assemblyFormat = "$input $scheme attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def BitNet_DequantizeOp : BitNet_Op<"dequantize", [Pure, InferTypeOpAdaptor]> {
  let summary = "Integers and scales back to floats";
  let description = [{
    `y = f32(q) / s`, the scale broadcast over its group (the shapes follow
    `bitnet.quantize`: `scale` has the rank of `q`, its last dimension
    divides that of `q`, and each other dimension equals that of `q` or all
    of them are 1).

    ```mlir
    %y = bitnet.dequantize %q, %s : tensor<2x5x96xi8>, tensor<2x5x1xf32>
    ```
  }];
  let arguments = (ins BitNet_I8Tensor:$input, BitNet_F32Tensor:$scale);
  let results = (outs BitNet_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def BitNet_TernaryMatmulOp : BitNet_Op<"ternary_matmul",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "Exact int32 products of integer activations and ternary weights";
  let description = [{
    `acc[..., n] = Σ_k q[..., k] · Wt[n, k]` in int32, for `q : [..., K]` and
    the packed weight `Wt : [N, K]`; exact, so every kernel, ISA, tiling and
    thread count gives the same result. `act_bits` promises that every
    activation fits in that many signed bits (kernels for 4-bit activations
    rely on it). `kernel` names the microkernel chosen by kernel selection;
    without it the reference lowering is used. The weight scales are not
    applied here (see `bitnet.rescale`).

    ```mlir
    %acc = bitnet.ternary_matmul %q, <40x96, plain, scales = dense<0.08> : tensor<1xf32>,
             data = dense_resource<w> : tensor<960xi8>> : tensor<2x5x96xi8>
    // %acc : tensor<2x5x40xi32>
    ```
  }];
  let arguments = (ins
    BitNet_I8Tensor:$input,
    BitNet_TernaryAttr:$weight,
    DefaultValuedAttr<I64Attr, "8">:$act_bits,
    OptionalAttr<StrAttr>:$kernel
  );
  let results = (outs BitNet_I32Tensor:$acc);
  let assemblyFormat = "$input `,` $weight attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def BitNet_RescaleOp : BitNet_Op<"rescale", [Pure, InferTypeOpAdaptor]> {
  let summary = "The BitLinear epilogue: int32 accumulators to floats";
  let description = [{
    `y[..., n] = (f32(acc[..., n]) / act_scale[..., 0]) · weight_scale[n]`,
    evaluated in exactly this order in f32. `act_scale` has the rank of `acc`
    with last dimension 1 (per token, or all ones per tensor);
    `weight_scale` has 1 or `N` elements. A constant zero accumulator folds
    to zeros.

    ```mlir
    %y = bitnet.rescale %acc, %s, %g
           : tensor<2x5x40xi32>, tensor<2x5x1xf32>, tensor<1xf32>
    ```
  }];
  let arguments = (ins
    BitNet_I32Tensor:$acc,
    BitNet_F32Tensor:$act_scale,
    TensorRankOf<[F32], [1]>:$weight_scale
  );
  let results = (outs BitNet_F32Tensor:$output);
  let assemblyFormat = [{
    $acc `,` $act_scale `,` $weight_scale attr-dict `:` type($acc) `,`
    type($act_scale) `,` type($weight_scale)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BitNet_KVQuantizeOp : BitNet_Op<"kv_quantize", [Pure, InferTypeOpAdaptor]> {
  let summary = "Quantize keys or values per token and head";
  let description = [{
    For a cache tensor `[..., heads, tokens, head_dim]`, quantizes every
    `head_dim` vector (one token of one KV head) with absmax:
    `s = qmax / clamp(max |x|, eps, +inf)`,
    `q = clamp(round_half_even(x · s), -2^(bits-1), 2^(bits-1) - 1)`,
    `bits ∈ {3, 4, 8}` (BitNet a4.8 uses 3: `q ∈ [-4, 3]`). `scale` has
    the input's shape with last dimension 1. Separate from `bitnet.quantize`
    because the KV cache stores these values packed and attention reads them
    directly.

    ```mlir
    %q, %s = bitnet.kv_quantize %k bits 3 : tensor<1x2x24x32xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Tensor:$input, I64Attr:$bits);
  let results = (outs BitNet_I8Tensor:$q, BitNet_F32Tensor:$scale);
  let assemblyFormat = "$input `bits` $bits attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif // BITNET_DIALECT_BITNET_IR_BITNETOPS_TD
