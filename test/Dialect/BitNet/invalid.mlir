// RUN: bitnet-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the bitnet dialect (BitNetAttrs.cpp,
// BitNetDialect.cpp, BitNetOps.cpp), plus the inferred-type and ODS type
// checks of every op.

func.func @quant_bits(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{bits must be 2, 3, 4 or 8, got 5}}
  %q, %s = bitnet.quantize %x <bits = 5, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return
}

// -----

func.func @quant_per_group_no_size(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{per_group granularity needs a positive group_size}}
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_group> : tensor<2x8xf32>
  return
}

// -----

func.func @quant_per_group_negative_size(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{per_group granularity needs a positive group_size}}
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_group, group_size = -4> : tensor<2x8xf32>
  return
}

// -----

func.func @quant_group_size_not_per_group(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{group_size is only meaningful with per_group granularity}}
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token, group_size = 4> : tensor<2x8xf32>
  return
}

// -----

// expected-error @+1 {{bits must be 2, 3, 4 or 8, got 16}}
func.func @quant_attr_standalone() attributes {q = #bitnet.quant<bits = 16, method = absmean, granularity = per_tensor>} {
  return
}

// -----

func.func @ternary_dims_rank(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{expected <rows>x<cols>}}
  %a = bitnet.ternary_matmul %q, <3x8x2, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_zero_rows(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{weight shape must be positive, got 0x8}}
  %a = bitnet.ternary_matmul %q, <0x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_scales_f64(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{scales must be a rank-1 f32 tensor}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf64>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_scales_rank2(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{scales must be a rank-1 f32 tensor}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1x1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_scales_count(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{expected 1 or 3 scales, got 2}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<[0.5, 0.5]> : tensor<2xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_scale_zero(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{scales must be finite and positive, got 0}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.0> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_scale_negative(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{scales must be finite and positive, got -2.500000e-01}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<[0.5, -0.25, 1.0]> : tensor<3xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_scale_inf(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{scales must be finite and positive, got INF}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0x7F800000> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_scale_nan(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{scales must be finite and positive, got nan}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0x7FC00000> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_data_i16(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{packed data must be a rank-1 tensor of i8}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<3xi16>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_data_rank2(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{packed data must be a rank-1 tensor of i8}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<3x2xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_plain_bytes(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{layout plain of a 3x8 matrix needs 6 bytes, got 5}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<5xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_plain_bytes_ragged(%q: tensor<2x9xi8>) {
  // expected-error @+1 {{layout plain of a 3x9 matrix needs 9 bytes, got 6}}
  %a = bitnet.ternary_matmul %q, <3x9, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x9xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_i2_bytes(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{layout i2 of a 3x8 matrix needs 256 bytes, got 6}}
  %a = bitnet.ternary_matmul %q, <3x8, i2, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_lut_bytes(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{layout lut of a 3x8 matrix needs 9 bytes, got 6}}
  %a = bitnet.ternary_matmul %q, <3x8, lut, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// The blob is known when the attribute is parsed: TernaryAttr::verify checks
// the codes.
{-#
  dialect_resources: {
    builtin: {
      bad: "0x0100000055555555FD55"
    }
  }
#-}
func.func @ternary_code3_attr(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{invalid ternary code 3 in packed byte 4}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<bad> : tensor<6xi8>> : tensor<2x8xi8>
  return
}

// -----

// The blob follows the IR (the printed order): the op verifier checks the
// codes.
func.func @ternary_matmul_code3(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op invalid ternary code 3 in packed byte 5 of the weight}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<bad> : tensor<6xi8>> : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      bad: "0x010000005555555555C0"
    }
  }
#-}

// -----

func.func @bitlinear_code3(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op invalid ternary code 3 in packed byte 0 of the weight}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<bad> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      bad: "0x0100000003AA55555555"
    }
  }
#-}

// -----

// expected-error @+1 {{unsupported target triple 'armv7-unknown-linux-gnueabihf': expected an x86_64, aarch64 or riscv64 triple}}
module attributes {bitnet.target = #bitnet.target<triple = "armv7-unknown-linux-gnueabihf">} {
}

// -----

// expected-error @+1 {{unsupported target triple '': expected an x86_64, aarch64 or riscv64 triple}}
module attributes {bitnet.target = #bitnet.target<triple = "">} {
}

// -----

// expected-error @+1 {{target feature 'avx2' must look like +name or -name}}
module attributes {bitnet.target = #bitnet.target<triple = "x86_64-unknown-linux-gnu", features = "+fma,avx2">} {
}

// -----

// expected-error @+1 {{target feature '' must look like +name or -name}}
module attributes {bitnet.target = #bitnet.target<triple = "aarch64-unknown-linux-gnu", features = "+neon,,+dotprod">} {
}

// -----

// expected-error @+1 {{target feature '+' must look like +name or -name}}
module attributes {bitnet.target = #bitnet.target<triple = "aarch64-unknown-linux-gnu", features = "+">} {
}

// -----

// expected-error @+1 {{vlen is only meaningful for riscv64, got 256}}
module attributes {bitnet.target = #bitnet.target<triple = "aarch64-unknown-linux-gnu", vlen = 256>} {
}

// -----

// expected-error @+1 {{vlen must be 0 or a power of two in [128, 65536], got 64}}
module attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu", features = "+v", vlen = 64>} {
}

// -----

// expected-error @+1 {{vlen must be 0 or a power of two in [128, 65536], got 384}}
module attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu", features = "+v", vlen = 384>} {
}

// -----

// expected-error @+1 {{vlen must be 0 or a power of two in [128, 65536], got 131072}}
module attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu", features = "+v", vlen = 131072>} {
}

// -----

// expected-error @+1 {{vlen must be 0 or a power of two in [128, 65536], got -128}}
module attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu", features = "+v", vlen = -128>} {
}

// -----

// expected-error @+1 {{unknown bitnet attribute 'bitnet.targets'}}
module attributes {bitnet.targets = #bitnet.target<triple = "x86_64-unknown-linux-gnu">} {
}

// -----

module {
  // expected-error @+1 {{'bitnet.target' may only be set on a module}}
  func.func @target_on_func() attributes {bitnet.target = #bitnet.target<triple = "x86_64-unknown-linux-gnu">} {
    return
  }
}

// -----

// expected-error @+1 {{'bitnet.target' must be a #bitnet.target attribute}}
module attributes {bitnet.target = "x86_64-unknown-linux-gnu"} {
}

// -----

func.func @bitlinear_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<f32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_rank0_generic(%x: tensor<f32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op input must have rank >= 1}}
  %y = "bitnet.bitlinear"(%x) <{scheme = #bitnet.quant<bits = 8, method = absmax, granularity = per_token>, weight = #bitnet.ternary<3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>}> : (tensor<f32>) -> tensor<f32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_feature_dim(%x: tensor<2x7xf32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op input feature dimension 7 does not match the weight's 8 columns}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<2x7xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_per_group(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op activation granularity must be per_token or per_tensor: one scale has to cover a whole row}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_group, group_size = 4> : tensor<2x8xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_hadamard_not_pow2(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op hadamard block size must be a positive power of two, got 3}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> hadamard 3 : tensor<2x8xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_hadamard_zero(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op hadamard block size must be a positive power of two, got 0}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> hadamard 0 : tensor<2x8xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_hadamard_not_divide(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op hadamard block size 16 does not divide the last dimension 8}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> hadamard 16 : tensor<2x8xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_topk_zero(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op top-k ratio must be in (0, 1], got 0}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> topk 0.0 : tensor<2x8xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_topk_above_one(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.bitlinear' op top-k ratio must be in (0, 1], got 1.5}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> hadamard 8 topk 1.5 : tensor<2x8xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_f16(%x: tensor<2x8xf16>) {
  // expected-error @+1 {{'bitnet.bitlinear' op operand #0 must be ranked tensor of 32-bit float values}}
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf16>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @bitlinear_inferred_type(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'bitnet.bitlinear' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x8xf32>'}}
  // expected-error @+1 {{'bitnet.bitlinear' op failed to infer returned types}}
  %y = "bitnet.bitlinear"(%x) <{scheme = #bitnet.quant<bits = 8, method = absmax, granularity = per_token>, weight = #bitnet.ternary<3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @hadamard_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{'bitnet.hadamard' op input must have rank >= 1}}
  %h = bitnet.hadamard %x block 1 : tensor<f32>
  return
}

// -----

func.func @hadamard_not_pow2(%x: tensor<2x12xf32>) {
  // expected-error @+1 {{'bitnet.hadamard' op hadamard block size must be a positive power of two, got 6}}
  %h = bitnet.hadamard %x block 6 : tensor<2x12xf32>
  return
}

// -----

func.func @hadamard_negative(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.hadamard' op hadamard block size must be a positive power of two, got -4}}
  %h = bitnet.hadamard %x block -4 : tensor<2x8xf32>
  return
}

// -----

func.func @hadamard_not_divide(%x: tensor<2x12xf32>) {
  // expected-error @+1 {{'bitnet.hadamard' op hadamard block size 8 does not divide the last dimension 12}}
  %h = bitnet.hadamard %x block 8 : tensor<2x12xf32>
  return
}

// -----

func.func @hadamard_result_type(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'bitnet.hadamard' op inferred type(s) 'tensor<2x8xf32>' are incompatible with return type(s) of operation 'tensor<2x?xf32>'}}
  // expected-error @+1 {{'bitnet.hadamard' op failed to infer returned types}}
  %h = "bitnet.hadamard"(%x) <{block_size = 4 : i64}> : (tensor<2x8xf32>) -> tensor<2x?xf32>
  return
}

// -----

func.func @sparsify_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{'bitnet.sparsify' op input must have rank >= 1}}
  %s = bitnet.sparsify %x topk 0.5 : tensor<f32>
  return
}

// -----

func.func @sparsify_topk_zero(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.sparsify' op top-k ratio must be in (0, 1], got 0}}
  %s = bitnet.sparsify %x topk 0.0 : tensor<2x8xf32>
  return
}

// -----

func.func @sparsify_topk_negative(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.sparsify' op top-k ratio must be in (0, 1], got -5.000000e-01}}
  %s = bitnet.sparsify %x topk -0.5 : tensor<2x8xf32>
  return
}

// -----

func.func @sparsify_topk_above_one(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.sparsify' op top-k ratio must be in (0, 1], got 1.25}}
  %s = bitnet.sparsify %x topk 1.25 : tensor<2x8xf32>
  return
}

// -----

func.func @sparsify_threshold_negative(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.sparsify' op threshold must be finite and >= 0, got -1}}
  %s = bitnet.sparsify %x threshold -1.0 : tensor<2x8xf32>
  return
}

// -----

func.func @sparsify_threshold_inf(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.sparsify' op threshold must be finite and >= 0, got INF}}
  %s = bitnet.sparsify %x threshold 0x7FF0000000000000 : tensor<2x8xf32>
  return
}

// -----

func.func @sparsify_threshold_nan(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.sparsify' op threshold must be finite and >= 0, got nan}}
  %s = bitnet.sparsify %x threshold 0x7FF8000000000000 : tensor<2x8xf32>
  return
}

// -----

func.func @quantize_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<f32>
  return
}

// -----

func.func @quantize_rank0_generic(%x: tensor<f32>) {
  // expected-error @+1 {{'bitnet.quantize' op input must have rank >= 1}}
  %q:2 = "bitnet.quantize"(%x) <{scheme = #bitnet.quant<bits = 8, method = absmax, granularity = per_token>}> : (tensor<f32>) -> (tensor<i8>, tensor<f32>)
  return
}

// -----

func.func @quantize_group_not_divide(%x: tensor<2x40xf32>) {
  // expected-error @+1 {{'bitnet.quantize' op group size 32 does not divide the last dimension 40}}
  %q, %s = bitnet.quantize %x <bits = 4, method = absmean, granularity = per_group, group_size = 32> : tensor<2x40xf32>
  return
}

// -----

func.func @quantize_inferred_type(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'bitnet.quantize' op inferred type(s) 'tensor<2x8xi8>', 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2x8xi8>', 'tensor<2x2xf32>'}}
  // expected-error @+1 {{'bitnet.quantize' op failed to infer returned types}}
  %q:2 = "bitnet.quantize"(%x) <{scheme = #bitnet.quant<bits = 8, method = absmax, granularity = per_token>}> : (tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<2x2xf32>)
  return
}

// -----

func.func @quantize_inferred_per_tensor(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'bitnet.quantize' op inferred type(s) 'tensor<2x8xi8>', 'tensor<1x1xf32>' are incompatible with return type(s) of operation 'tensor<2x8xi8>', 'tensor<2x1xf32>'}}
  // expected-error @+1 {{'bitnet.quantize' op failed to infer returned types}}
  %q:2 = "bitnet.quantize"(%x) <{scheme = #bitnet.quant<bits = 8, method = absmax, granularity = per_tensor>}> : (tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<2x1xf32>)
  return
}

// -----

func.func @dequantize_rank0(%q: tensor<i8>, %s: tensor<f32>) {
  // expected-error @+1 {{'bitnet.dequantize' op input must have rank >= 1}}
  %y = bitnet.dequantize %q, %s : tensor<i8>, tensor<f32>
  return
}

// -----

func.func @dequantize_scale_rank(%q: tensor<2x8xi8>, %s: tensor<2xf32>) {
  // expected-error @+1 {{'bitnet.dequantize' op scale rank 1 differs from the input rank 2}}
  %y = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2xf32>
  return
}

// -----

func.func @dequantize_scale_dim(%q: tensor<2x8xi8>, %s: tensor<3x1xf32>) {
  // expected-error @+1 {{'bitnet.dequantize' op scale dimension 0 is 3, expected 2}}
  %y = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<3x1xf32>
  return
}

// -----

func.func @dequantize_scale_groups(%q: tensor<2x8xi8>, %s: tensor<2x3xf32>) {
  // expected-error @+1 {{'bitnet.dequantize' op scale last dimension 3 does not divide the input's 8}}
  %y = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x3xf32>
  return
}

// -----

func.func @dequantize_scale_zero_groups(%q: tensor<2x8xi8>, %s: tensor<2x0xf32>) {
  // expected-error @+1 {{'bitnet.dequantize' op scale last dimension 0 does not divide the input's 8}}
  %y = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x0xf32>
  return
}

// -----

func.func @dequantize_inferred_type(%q: tensor<2x8xi8>, %s: tensor<2x1xf32>) {
  // expected-error @+2 {{'bitnet.dequantize' op inferred type(s) 'tensor<2x8xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{'bitnet.dequantize' op failed to infer returned types}}
  %y = "bitnet.dequantize"(%q, %s) : (tensor<2x8xi8>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @ternary_matmul_rank0(%q: tensor<i8>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<i8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_matmul_rank0_generic(%q: tensor<i8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op input must have rank >= 1}}
  %a = "bitnet.ternary_matmul"(%q) <{act_bits = 8 : i64, weight = #bitnet.ternary<3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>}> : (tensor<i8>) -> tensor<i32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_matmul_feature_dim(%q: tensor<2x16xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op input feature dimension 16 does not match the weight's 8 columns}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x16xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_matmul_act_bits_high(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op act_bits must be in [2, 8], got 9}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> {act_bits = 9 : i64} : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_matmul_act_bits_low(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op act_bits must be in [2, 8], got 1}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> {act_bits = 1 : i64} : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_matmul_empty_kernel(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op unknown kernel ''}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> {kernel = ""} : tensor<2x8xi8>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_matmul_inferred_type(%q: tensor<2x8xi8>) {
  // expected-error @+2 {{'bitnet.ternary_matmul' op inferred type(s) 'tensor<2x3xi32>' are incompatible with return type(s) of operation 'tensor<2x8xi32>'}}
  // expected-error @+1 {{'bitnet.ternary_matmul' op failed to infer returned types}}
  %a = "bitnet.ternary_matmul"(%q) <{act_bits = 8 : i64, weight = #bitnet.ternary<3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>}> : (tensor<2x8xi8>) -> tensor<2x8xi32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @ternary_matmul_i32_input(%q: tensor<2x8xi32>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op operand #0 must be ranked tensor of 8-bit signless integer values}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

func.func @rescale_rank0(%acc: tensor<i32>, %s: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'bitnet.rescale' op accumulator must have rank >= 1}}
  %y = bitnet.rescale %acc, %s, %g : tensor<i32>, tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @rescale_act_scale_rank(%acc: tensor<2x3xi32>, %s: tensor<1xf32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'bitnet.rescale' op act_scale rank 1 differs from the accumulator rank 2}}
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<1xf32>, tensor<1xf32>
  return
}

// -----

func.func @rescale_act_scale_last(%acc: tensor<2x3xi32>, %s: tensor<2x3xf32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'bitnet.rescale' op act_scale must have last dimension 1 (one scale per row), got 3}}
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x3xf32>, tensor<1xf32>
  return
}

// -----

func.func @rescale_act_scale_dim(%acc: tensor<2x5x3xi32>, %s: tensor<2x4x1xf32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'bitnet.rescale' op act_scale dimension 1 is 4, expected 1 or 5}}
  %y = bitnet.rescale %acc, %s, %g : tensor<2x5x3xi32>, tensor<2x4x1xf32>, tensor<1xf32>
  return
}

// -----

func.func @rescale_weight_scales(%acc: tensor<2x3xi32>, %s: tensor<2x1xf32>, %g: tensor<2xf32>) {
  // expected-error @+1 {{'bitnet.rescale' op expected 1 or 3 weight scales, got 2}}
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<2xf32>
  return
}

// -----

func.func @rescale_weight_scale_rank(%acc: tensor<2x3xi32>, %s: tensor<2x1xf32>, %g: tensor<1x3xf32>) {
  // expected-error @+1 {{'bitnet.rescale' op operand #2 must be 1D tensor of 32-bit float values}}
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<1x3xf32>
  return
}

// -----

func.func @rescale_inferred_type(%acc: tensor<2x3xi32>, %s: tensor<2x1xf32>, %g: tensor<1xf32>) {
  // expected-error @+2 {{'bitnet.rescale' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x1xf32>'}}
  // expected-error @+1 {{'bitnet.rescale' op failed to infer returned types}}
  %y = "bitnet.rescale"(%acc, %s, %g) : (tensor<2x3xi32>, tensor<2x1xf32>, tensor<1xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @kv_quantize_rank0(%k: tensor<f32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %q, %s = bitnet.kv_quantize %k bits 3 : tensor<f32>
  return
}

// -----

func.func @kv_quantize_rank0_generic(%k: tensor<f32>) {
  // expected-error @+1 {{'bitnet.kv_quantize' op input must have rank >= 1}}
  %q:2 = "bitnet.kv_quantize"(%k) <{bits = 3 : i64}> : (tensor<f32>) -> (tensor<i8>, tensor<f32>)
  return
}

// -----

func.func @kv_quantize_bits(%k: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{'bitnet.kv_quantize' op bits must be 3, 4 or 8, got 2}}
  %q, %s = bitnet.kv_quantize %k bits 2 : tensor<1x2x4x8xf32>
  return
}

// -----

func.func @kv_quantize_inferred_type(%k: tensor<1x2x4x8xf32>) {
  // expected-error @+2 {{'bitnet.kv_quantize' op inferred type(s) 'tensor<1x2x4x8xi8>', 'tensor<1x2x4x1xf32>' are incompatible with return type(s) of operation 'tensor<1x2x4x8xi8>', 'tensor<1x2x1x1xf32>'}}
  // expected-error @+1 {{'bitnet.kv_quantize' op failed to infer returned types}}
  %q:2 = "bitnet.kv_quantize"(%k) <{bits = 8 : i64}> : (tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xi8>, tensor<1x2x1x1xf32>)
  return
}

// -----

func.func @ternary_too_many_rows(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{weight shape 4294967296x8 exceeds the limit of 2147483647 rows or columns}}
  %a = bitnet.ternary_matmul %q, <4294967296x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}

// -----

func.func @ternary_matmul_unknown_kernel(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op unknown kernel 'i2.pdp11'}}
  %a = bitnet.ternary_matmul %q, <3x8, i2, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<256xi8>> {kernel = "i2.pdp11"} : tensor<2x8xi8>
  return
}

// -----

func.func @ternary_matmul_kernel_plain_layout(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op kernel 'i2.x86_64_avx2' reads the i2 layout, the weight is plain}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> {kernel = "i2.x86_64_avx2"} : tensor<2x8xi8>
  return
}

// -----

func.func @ternary_matmul_i2_without_kernel(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op a weight in the i2 layout needs a kernel (the reference reads plain or int8)}}
  %a = bitnet.ternary_matmul %q, <3x8, i2, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<256xi8>> : tensor<2x8xi8>
  return
}

// -----

func.func @ternary_matmul_i8_without_kernel(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op a weight in the i8 layout needs a kernel (the reference reads plain or int8)}}
  %a = bitnet.ternary_matmul %q, <3x8, i8, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<256xi8>> : tensor<2x8xi8>
  return
}

// -----

func.func @ternary_matmul_int8_kernel_on_i2(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op kernel 'i8.x86_64_generic' reads the i8 layout, the weight is i2}}
  %a = bitnet.ternary_matmul %q, <3x8, i2, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<256xi8>> {kernel = "i8.x86_64_generic"} : tensor<2x8xi8>
  return
}

// -----

func.func @ternary_matmul_int2_kernel_on_i8(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{'bitnet.ternary_matmul' op kernel 'i2.x86_64_generic' reads the i2 layout, the weight is i8}}
  %a = bitnet.ternary_matmul %q, <3x8, i8, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<256xi8>> {kernel = "i2.x86_64_generic"} : tensor<2x8xi8>
  return
}

// -----

func.func @int8_bytes(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{layout int8 of a 3x8 matrix needs 24 bytes, got 6}}
  %a = bitnet.ternary_matmul %q, <3x8, int8, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return
}

// -----

func.func @i8_bytes(%q: tensor<2x8xi8>) {
  // expected-error @+1 {{layout i8 of a 3x8 matrix needs 256 bytes, got 24}}
  %a = bitnet.ternary_matmul %q, <3x8, i8, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<24xi8>> {kernel = "i8.x86_64_generic"} : tensor<2x8xi8>
  return
}
