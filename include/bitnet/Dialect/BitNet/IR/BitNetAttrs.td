//===- BitNetAttrs.td - BitNet attributes -------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_BITNETATTRS_TD
#define BITNET_DIALECT_BITNET_IR_BITNETATTRS_TD

include "bitnet/Dialect/BitNet/IR/BitNetDialect.td"
include "bitnet/Dialect/BitNet/IR/BitNetEnums.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

class BitNet_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<BitNet_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def BitNet_QuantMethodAttr
    : EnumAttr<BitNet_Dialect, BitNet_QuantMethod, "quant_method"> {
  let assemblyFormat = "$value";
}
def BitNet_GranularityAttr
    : EnumAttr<BitNet_Dialect, BitNet_Granularity, "granularity"> {
  let assemblyFormat = "$value";
}
def BitNet_TernaryLayoutAttr
    : EnumAttr<BitNet_Dialect, BitNet_TernaryLayout, "layout"> {
  let assemblyFormat = "$value";
}
def BitNet_SparsifyModeAttr
    : EnumAttr<BitNet_Dialect, BitNet_SparsifyMode, "sparsify_mode"> {
  let assemblyFormat = "$value";
}

//===----------------------------------------------------------------------===//
// QuantSchemeAttr
//===----------------------------------------------------------------------===//

def BitNet_QuantSchemeAttr : BitNet_Attr<"QuantScheme", "quant"> {
  let summary = "An activation quantization scheme";
  let description = [{
    How a float activation becomes `bits`-bit signed integers. With
    `qmax = 2^(bits-1) - 1`, the scale of each group of elements is

    * `absmax`:  `s = qmax / clamp(max |x|, eps, +inf)`
    * `absmean`: `s = f32(sqrt(qmax)) / clamp(mean |x|, eps, +inf)`
      (√7 = 2.6457513 for BitNet a4.8's 4 bits; the mean is the sum in index
      order divided by the group size)

    and `q = clamp(round_half_even(x * s), -2^(bits-1), 2^(bits-1) - 1)`,
    `eps = 1e-5`. The group is the last axis (`per_token`), the whole tensor
    (`per_tensor`) or consecutive runs of `group_size` elements of the last
    axis (`per_group`).

    ```mlir
    #bitnet.quant<bits = 8, method = absmax, granularity = per_token>
    #bitnet.quant<bits = 4, method = absmean, granularity = per_group, group_size = 32>
    ```
  }];
  let parameters = (ins
    "unsigned":$bits,
    EnumParameter<BitNet_QuantMethod>:$method,
    EnumParameter<BitNet_Granularity>:$granularity,
    DefaultValuedParameter<"int64_t", "0">:$group_size
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Largest representable integer, 2^(bits-1) - 1.
    int64_t getQMax() const { return (int64_t(1) << (getBits() - 1)) - 1; }
    /// Smallest representable integer, -2^(bits-1).
    int64_t getQMin() const { return -(int64_t(1) << (getBits() - 1)); }
    /// The numerator c of s = c / clamp(stat, eps, +inf), as an f32.
    float getScaleNumerator() const;
    /// Number of scale groups along a last axis of `dim` elements, or
    /// ShapedType::kDynamic when `dim` is dynamic and the count depends on it.
    int64_t getNumGroups(int64_t dim) const;
  }];
}

//===----------------------------------------------------------------------===//
// TernaryAttr
//===----------------------------------------------------------------------===//

def BitNet_TernaryAttr : BitNet_Attr<"Ternary", "ternary"> {
  let summary = "Packed ternary (or 8-bit) weights with their float scales";
  let description = [{
    A ternary weight matrix `W[N, K] = Wt[N, K] * g`, `Wt ∈ {-1, 0, +1}`,
    stored packed in a `dense_resource` blob of bytes (never as a float
    tensor) and its positive f32 scales `g`: one per tensor (`tensor<1xf32>`)
    or one per output row (`tensor<Nxf32>`). `N` (rows) is the number of
    output features, `K` (cols) the number of input features.

    Layouts:
    * `plain` — the canonical form after raising: 2-bit codes `c = w + 1`
      (`0, 1, 2`; `3` is invalid), row-major, four codes per byte starting at
      the least significant bits; every row starts on a new byte, so the blob
      has `N * ceil(K / 4)` bytes.
    * `i2`, `lut` — kernel layouts produced by weight packing. Their byte
      counts are defined by the kernel layouts (`i2`: tiles of 4 rows
      interleaved in 64-byte units, `bitnet/Kernels/I2Layout.h`); the
      reference lowering only reads `plain`.
    * `int8` — the one non-ternary form: `Wt` holds 8-bit integers
      (`-128..127`), one signed byte per weight, row-major, `N * K` bytes.
      A BitLinear-shaped layer with 8-bit weights (a W8A8 LM head: the
      same activation quantizer, integer products and epilogue) raises to
      it, so it shares the exact integer contract and the kernels. Read by
      the reference lowering like `plain`.
    * `i8` — the int8 kernels' layout of an `int8` weight (codes `w + 128`
      in tiles of 4 rows interleaved in 64-byte units,
      `bitnet/Kernels/I8Layout.h`), produced by weight packing.

    ```mlir
    #bitnet.ternary<40x96, plain, scales = dense<0.0807> : tensor<1xf32>,
                    data = dense_resource<w0> : tensor<960xi8>>
    ```
  }];
  let parameters = (ins
    "int64_t":$rows,
    "int64_t":$cols,
    EnumParameter<BitNet_TernaryLayout>:$layout,
    "::mlir::DenseElementsAttr":$scales,
    "::mlir::DenseResourceElementsAttr":$data
  );
  let assemblyFormat = [{
    `<` custom<Dims>($rows, $cols) `,` $layout `,` `scales` `=` $scales `,`
    `data` `=` $data `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes per packed row in the `plain` layout.
    static int64_t getPlainRowBytes(int64_t cols) { return (cols + 3) / 4; }
    /// True if there is one scale per output row.
    bool isPerChannel() const { return getScales().getNumElements() != 1; }
    /// True for the 8-bit (not ternary) layouts.
    bool isInt8() const {
      return getLayout() == TernaryLayout::int8 ||
             getLayout() == TernaryLayout::i8;
    }
    /// True for the layouts the reference lowering reads.
    bool isCanonical() const {
      return getLayout() == TernaryLayout::plain ||
             getLayout() == TernaryLayout::int8;
    }
  }];
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

def BitNet_TargetAttr : BitNet_Attr<"Target", "target"> {
  let summary = "The CPU a module is compiled for";
  let description = [{
    Set on the module as `bitnet.target`. Everything target-specific (kernel
    selection, code generation) reads this attribute; nothing reads the host.

    * `triple`: an LLVM target triple whose architecture is x86_64, aarch64 or
      riscv64.
    * `cpu`: an LLVM CPU name (`x86-64-v3`, `neoverse-n1`, ...), may be empty.
    * `features`: comma-separated LLVM features, each `+name` or `-name`.
    * `vlen`: the RISC-V vector register width in bits (a power of two,
      >= 128), or 0 for vector-length agnostic code; 0 on other ISAs.

    ```mlir
    module attributes {bitnet.target = #bitnet.target<
        triple = "riscv64-unknown-linux-gnu", cpu = "", features = "+v",
        vlen = 256>} {}
    ```
  }];
  let parameters = (ins
    StringRefParameter<"LLVM target triple">:$triple,
    StringRefParameter<"LLVM CPU name", "\"\"">:$cpu,
    StringRefParameter<"LLVM feature list", "\"\"">:$features,
    DefaultValuedParameter<"int64_t", "0">:$vlen
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // BITNET_DIALECT_BITNET_IR_BITNETATTRS_TD
