// RUN: bitnet-opt %s | bitnet-opt | FileCheck %s
// RUN: bitnet-opt %s --mlir-print-op-generic | bitnet-opt | FileCheck %s
// RUN: bitnet-opt %s --verify-roundtrip

// Round-trip of every bitnet op and attribute, in custom and generic form.

// CHECK: module attributes {bitnet.target = #bitnet.target<triple = "x86_64-unknown-linux-gnu", cpu = "x86-64-v3", features = "+avx2,+fma,-avx512f">}
module attributes {bitnet.target = #bitnet.target<triple = "x86_64-unknown-linux-gnu", cpu = "x86-64-v3", features = "+avx2,+fma,-avx512f">} {

// CHECK-LABEL: func.func @bitlinear_minimal
// CHECK-SAME: (%[[X:.+]]: tensor<2x5x8xf32>)
// CHECK: %[[Y:.+]] = bitnet.bitlinear %[[X]], <3x8, plain, scales = dense<5.000000e-01> : tensor<1xf32>, data = dense_resource<w3x8> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<2x5x8xf32>
// CHECK-NOT: hadamard
// CHECK-NOT: topk
// CHECK: return %[[Y]] : tensor<2x5x3xf32>
func.func @bitlinear_minimal(%x: tensor<2x5x8xf32>) -> tensor<2x5x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w3x8> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<2x5x8xf32>
  return %y : tensor<2x5x3xf32>
}

// CHECK-LABEL: func.func @bitlinear_hadamard_topk_per_channel
// CHECK-SAME: (%[[X:.+]]: tensor<?x8xf32>)
// CHECK: %[[Y:.+]] = bitnet.bitlinear %[[X]], <3x8, plain, scales = dense<[5.000000e-01, 2.500000e-01, 1.000000e+00]> : tensor<3xf32>, data = dense_resource<w3x8> : tensor<6xi8>>, <bits = 4, method = absmean, granularity = per_tensor> hadamard 4 topk 5.000000e-01 : tensor<?x8xf32>
// CHECK: return %[[Y]] : tensor<?x3xf32>
func.func @bitlinear_hadamard_topk_per_channel(%x: tensor<?x8xf32>) -> tensor<?x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<[0.5, 0.25, 1.0]> : tensor<3xf32>, data = dense_resource<w3x8> : tensor<6xi8>>, <bits = 4, method = absmean, granularity = per_tensor> hadamard 4 topk 0.5 : tensor<?x8xf32>
  return %y : tensor<?x3xf32>
}

// CHECK-LABEL: func.func @bitlinear_topk_only
// CHECK: bitnet.bitlinear
// CHECK-SAME: <bits = 2, method = absmax, granularity = per_token> topk 2.500000e-01 : tensor<4x8xf32>
// CHECK-NOT: hadamard
func.func @bitlinear_topk_only(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w3x8> : tensor<6xi8>>, <bits = 2, method = absmax, granularity = per_token> topk 0.25 : tensor<4x8xf32>
  return %y : tensor<4x3xf32>
}

// CHECK-LABEL: func.func @hadamard
// CHECK-SAME: (%[[X:.+]]: tensor<2x?x32xf32>)
// CHECK: %[[H:.+]] = bitnet.hadamard %[[X]] block 32 : tensor<2x?x32xf32>
// CHECK: return %[[H]]
func.func @hadamard(%x: tensor<2x?x32xf32>) -> tensor<2x?x32xf32> {
  %h = bitnet.hadamard %x block 32 : tensor<2x?x32xf32>
  return %h : tensor<2x?x32xf32>
}

// CHECK-LABEL: func.func @hadamard_dynamic_last
// CHECK: bitnet.hadamard %{{.+}} block 16 : tensor<3x?xf32>
func.func @hadamard_dynamic_last(%x: tensor<3x?xf32>) -> tensor<3x?xf32> {
  %h = bitnet.hadamard %x block 16 : tensor<3x?xf32>
  return %h : tensor<3x?xf32>
}

// CHECK-LABEL: func.func @sparsify
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[T:.+]] = bitnet.sparsify %[[X]] topk 5.000000e-01 : tensor<2x8xf32>
// CHECK: %[[S:.+]] = bitnet.sparsify %[[T]] threshold 1.250000e-01 : tensor<2x8xf32>
// CHECK: %[[Z:.+]] = bitnet.sparsify %[[S]] threshold 0.000000e+00 : tensor<2x8xf32>
// CHECK: return %[[Z]]
func.func @sparsify(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %t = bitnet.sparsify %x topk 0.5 : tensor<2x8xf32>
  %s = bitnet.sparsify %t threshold 0.125 : tensor<2x8xf32>
  %z = bitnet.sparsify %s threshold 0.0 : tensor<2x8xf32>
  return %z : tensor<2x8xf32>
}

// CHECK-LABEL: func.func @quantize_per_token
// CHECK-SAME: (%[[X:.+]]: tensor<2x5x96xf32>)
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[X]] <bits = 8, method = absmax, granularity = per_token> : tensor<2x5x96xf32>
// CHECK: return %[[Q]], %[[S]] : tensor<2x5x96xi8>, tensor<2x5x1xf32>
func.func @quantize_per_token(%x: tensor<2x5x96xf32>) -> (tensor<2x5x96xi8>, tensor<2x5x1xf32>) {
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<2x5x96xf32>
  return %q, %s : tensor<2x5x96xi8>, tensor<2x5x1xf32>
}

// CHECK-LABEL: func.func @quantize_per_tensor
// CHECK: bitnet.quantize %{{.+}} <bits = 4, method = absmean, granularity = per_tensor> : tensor<2x5x96xf32>
// CHECK: return %{{.+}}, %{{.+}} : tensor<2x5x96xi8>, tensor<1x1x1xf32>
func.func @quantize_per_tensor(%x: tensor<2x5x96xf32>) -> (tensor<2x5x96xi8>, tensor<1x1x1xf32>) {
  %q, %s = bitnet.quantize %x <bits = 4, method = absmean, granularity = per_tensor> : tensor<2x5x96xf32>
  return %q, %s : tensor<2x5x96xi8>, tensor<1x1x1xf32>
}

// CHECK-LABEL: func.func @quantize_per_group
// CHECK: bitnet.quantize %{{.+}} <bits = 4, method = absmean, granularity = per_group, group_size = 32> : tensor<2x96xf32>
// CHECK: return %{{.+}}, %{{.+}} : tensor<2x96xi8>, tensor<2x3xf32>
func.func @quantize_per_group(%x: tensor<2x96xf32>) -> (tensor<2x96xi8>, tensor<2x3xf32>) {
  %q, %s = bitnet.quantize %x <bits = 4, method = absmean, granularity = per_group, group_size = 32> : tensor<2x96xf32>
  return %q, %s : tensor<2x96xi8>, tensor<2x3xf32>
}

// CHECK-LABEL: func.func @quantize_per_group_dynamic
// CHECK: bitnet.quantize %{{.+}} <bits = 3, method = absmax, granularity = per_group, group_size = 8> : tensor<?x?xf32>
// CHECK: return %{{.+}}, %{{.+}} : tensor<?x?xi8>, tensor<?x?xf32>
func.func @quantize_per_group_dynamic(%x: tensor<?x?xf32>) -> (tensor<?x?xi8>, tensor<?x?xf32>) {
  %q, %s = bitnet.quantize %x <bits = 3, method = absmax, granularity = per_group, group_size = 8> : tensor<?x?xf32>
  return %q, %s : tensor<?x?xi8>, tensor<?x?xf32>
}

// CHECK-LABEL: func.func @quantize_dynamic_per_token
// CHECK: bitnet.quantize %{{.+}} <bits = 2, method = absmax, granularity = per_token> : tensor<?x?xf32>
// CHECK: return %{{.+}}, %{{.+}} : tensor<?x?xi8>, tensor<?x1xf32>
func.func @quantize_dynamic_per_token(%x: tensor<?x?xf32>) -> (tensor<?x?xi8>, tensor<?x1xf32>) {
  %q, %s = bitnet.quantize %x <bits = 2, method = absmax, granularity = per_token> : tensor<?x?xf32>
  return %q, %s : tensor<?x?xi8>, tensor<?x1xf32>
}

// CHECK-LABEL: func.func @dequantize
// CHECK-SAME: (%[[Q:.+]]: tensor<2x96xi8>, %[[S:.+]]: tensor<2x1xf32>, %[[G:.+]]: tensor<2x3xf32>, %[[T:.+]]: tensor<1x1xf32>)
// CHECK: %[[A:.+]] = bitnet.dequantize %[[Q]], %[[S]] : tensor<2x96xi8>, tensor<2x1xf32>
// CHECK: %[[B:.+]] = bitnet.dequantize %[[Q]], %[[G]] : tensor<2x96xi8>, tensor<2x3xf32>
// CHECK: %[[C:.+]] = bitnet.dequantize %[[Q]], %[[T]] : tensor<2x96xi8>, tensor<1x1xf32>
// CHECK: return %[[A]], %[[B]], %[[C]] : tensor<2x96xf32>, tensor<2x96xf32>, tensor<2x96xf32>
func.func @dequantize(%q: tensor<2x96xi8>, %s: tensor<2x1xf32>, %g: tensor<2x3xf32>, %t: tensor<1x1xf32>) -> (tensor<2x96xf32>, tensor<2x96xf32>, tensor<2x96xf32>) {
  %a = bitnet.dequantize %q, %s : tensor<2x96xi8>, tensor<2x1xf32>
  %b = bitnet.dequantize %q, %g : tensor<2x96xi8>, tensor<2x3xf32>
  %c = bitnet.dequantize %q, %t : tensor<2x96xi8>, tensor<1x1xf32>
  return %a, %b, %c : tensor<2x96xf32>, tensor<2x96xf32>, tensor<2x96xf32>
}

// CHECK-LABEL: func.func @dequantize_dynamic
// CHECK: bitnet.dequantize %{{.+}}, %{{.+}} : tensor<?x?xi8>, tensor<?x1xf32>
// CHECK: return %{{.+}} : tensor<?x?xf32>
func.func @dequantize_dynamic(%q: tensor<?x?xi8>, %s: tensor<?x1xf32>) -> tensor<?x?xf32> {
  %a = bitnet.dequantize %q, %s : tensor<?x?xi8>, tensor<?x1xf32>
  return %a : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @ternary_matmul
// CHECK-SAME: (%[[Q:.+]]: tensor<2x5x8xi8>)
// CHECK: %[[A:.+]] = bitnet.ternary_matmul %[[Q]], <3x8, plain, scales = dense<5.000000e-01> : tensor<1xf32>, data = dense_resource<w3x8> : tensor<6xi8>> : tensor<2x5x8xi8>
// CHECK-NOT: act_bits
// CHECK: return %[[A]] : tensor<2x5x3xi32>
func.func @ternary_matmul(%q: tensor<2x5x8xi8>) -> tensor<2x5x3xi32> {
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w3x8> : tensor<6xi8>> : tensor<2x5x8xi8>
  return %a : tensor<2x5x3xi32>
}

// A kernel-selected matmul: the i2 layout (128 weights of a row in 32 bytes)
// and the registered variant that reads it.
// CHECK-LABEL: func.func @ternary_matmul_kernel_act_bits
// CHECK-SAME: (%[[Q:.+]]: tensor<?x8xi8>)
// CHECK: %[[A:.+]] = bitnet.ternary_matmul %[[Q]], <3x8, i2, scales = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>, data = dense_resource<w3x8i2> : tensor<256xi8>> {act_bits = 4 : i64, kernel = "i2.x86_64_avx2"} : tensor<?x8xi8>
// CHECK: return %[[A]] : tensor<?x3xi32>
func.func @ternary_matmul_kernel_act_bits(%q: tensor<?x8xi8>) -> tensor<?x3xi32> {
  %a = bitnet.ternary_matmul %q, <3x8, i2, scales = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>, data = dense_resource<w3x8i2> : tensor<256xi8>> {act_bits = 4 : i64, kernel = "i2.x86_64_avx2"} : tensor<?x8xi8>
  return %a : tensor<?x3xi32>
}

// K not a multiple of 4: ceil(5/4) = 2 bytes per row.
// CHECK-LABEL: func.func @ternary_matmul_ragged_row
// CHECK: bitnet.ternary_matmul %{{.+}}, <2x5, plain, scales = dense<1.000000e+00> : tensor<1xf32>, data = dense_resource<w2x5> : tensor<4xi8>> : tensor<1x5xi8>
// CHECK: return %{{.+}} : tensor<1x2xi32>
func.func @ternary_matmul_ragged_row(%q: tensor<1x5xi8>) -> tensor<1x2xi32> {
  %a = bitnet.ternary_matmul %q, <2x5, plain, scales = dense<1.0> : tensor<1xf32>, data = dense_resource<w2x5> : tensor<4xi8>> : tensor<1x5xi8>
  return %a : tensor<1x2xi32>
}

// CHECK-LABEL: func.func @rescale
// CHECK-SAME: (%[[ACC:.+]]: tensor<2x5x3xi32>, %[[S:.+]]: tensor<2x5x1xf32>, %[[G:.+]]: tensor<1xf32>, %[[GN:.+]]: tensor<3xf32>, %[[ST:.+]]: tensor<1x1x1xf32>)
// CHECK: %[[A:.+]] = bitnet.rescale %[[ACC]], %[[S]], %[[G]] : tensor<2x5x3xi32>, tensor<2x5x1xf32>, tensor<1xf32>
// CHECK: %[[B:.+]] = bitnet.rescale %[[ACC]], %[[ST]], %[[GN]] : tensor<2x5x3xi32>, tensor<1x1x1xf32>, tensor<3xf32>
// CHECK: return %[[A]], %[[B]] : tensor<2x5x3xf32>, tensor<2x5x3xf32>
func.func @rescale(%acc: tensor<2x5x3xi32>, %s: tensor<2x5x1xf32>, %g: tensor<1xf32>, %gn: tensor<3xf32>, %st: tensor<1x1x1xf32>) -> (tensor<2x5x3xf32>, tensor<2x5x3xf32>) {
  %a = bitnet.rescale %acc, %s, %g : tensor<2x5x3xi32>, tensor<2x5x1xf32>, tensor<1xf32>
  %b = bitnet.rescale %acc, %st, %gn : tensor<2x5x3xi32>, tensor<1x1x1xf32>, tensor<3xf32>
  return %a, %b : tensor<2x5x3xf32>, tensor<2x5x3xf32>
}

// CHECK-LABEL: func.func @rescale_dynamic
// CHECK: bitnet.rescale %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x?xi32>, tensor<?x1xf32>, tensor<?xf32>
// CHECK: return %{{.+}} : tensor<?x?xf32>
func.func @rescale_dynamic(%acc: tensor<?x?xi32>, %s: tensor<?x1xf32>, %g: tensor<?xf32>) -> tensor<?x?xf32> {
  %a = bitnet.rescale %acc, %s, %g : tensor<?x?xi32>, tensor<?x1xf32>, tensor<?xf32>
  return %a : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @kv_quantize
// CHECK-SAME: (%[[K:.+]]: tensor<1x2x24x32xf32>, %[[V:.+]]: tensor<?x2x?x32xf32>)
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.kv_quantize %[[K]] bits 3 : tensor<1x2x24x32xf32>
// CHECK: %[[Q4:.+]], %[[S4:.+]] = bitnet.kv_quantize %[[V]] bits 4 : tensor<?x2x?x32xf32>
// CHECK: %[[Q8:.+]], %[[S8:.+]] = bitnet.kv_quantize %[[K]] bits 8 : tensor<1x2x24x32xf32>
// CHECK: return %[[Q]], %[[S]], %[[Q4]], %[[S4]], %[[Q8]] : tensor<1x2x24x32xi8>, tensor<1x2x24x1xf32>, tensor<?x2x?x32xi8>, tensor<?x2x?x1xf32>, tensor<1x2x24x32xi8>
func.func @kv_quantize(%k: tensor<1x2x24x32xf32>, %v: tensor<?x2x?x32xf32>) -> (tensor<1x2x24x32xi8>, tensor<1x2x24x1xf32>, tensor<?x2x?x32xi8>, tensor<?x2x?x1xf32>, tensor<1x2x24x32xi8>) {
  %q, %s = bitnet.kv_quantize %k bits 3 : tensor<1x2x24x32xf32>
  %q4, %s4 = bitnet.kv_quantize %v bits 4 : tensor<?x2x?x32xf32>
  %q8, %s8 = bitnet.kv_quantize %k bits 8 : tensor<1x2x24x32xf32>
  return %q, %s, %q4, %s4, %q8 : tensor<1x2x24x32xi8>, tensor<1x2x24x1xf32>, tensor<?x2x?x32xi8>, tensor<?x2x?x1xf32>, tensor<1x2x24x32xi8>
}

// The attributes in their full (unstripped) form, as discardable attributes.
// CHECK-LABEL: func.func @attributes
// CHECK-SAME: quant = #bitnet.quant<bits = 4, method = absmean, granularity = per_group, group_size = 32>
// CHECK-SAME: ternary = #bitnet.ternary<3x8, plain, scales = dense<5.000000e-01> : tensor<1xf32>, data = dense_resource<w3x8> : tensor<6xi8>>
func.func @attributes() attributes {quant = #bitnet.quant<bits = 4, method = absmean, granularity = per_group, group_size = 32>, ternary = #bitnet.ternary<3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w3x8> : tensor<6xi8>>} {
  return
}

// A full pipeline at the integer level.
// CHECK-LABEL: func.func @integer_level
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>, %[[G:.+]]: tensor<1xf32>)
// CHECK: %[[H:.+]] = bitnet.hadamard %[[X]] block 8
// CHECK: %[[T:.+]] = bitnet.sparsify %[[H]] topk
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[T]]
// CHECK: %[[ACC:.+]] = bitnet.ternary_matmul %[[Q]],
// CHECK: %[[Y:.+]] = bitnet.rescale %[[ACC]], %[[S]], %[[G]]
// CHECK: return %[[Y]]
func.func @integer_level(%x: tensor<2x8xf32>, %g: tensor<1xf32>) -> tensor<2x3xf32> {
  %h = bitnet.hadamard %x block 8 : tensor<2x8xf32>
  %t = bitnet.sparsify %h topk 0.75 : tensor<2x8xf32>
  %q, %s = bitnet.quantize %t <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %acc = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w3x8> : tensor<6xi8>> : tensor<2x8xi8>
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<1xf32>
  return %y : tensor<2x3xf32>
}

// Nested modules may carry their own target.
// CHECK: module @arm attributes {bitnet.target = #bitnet.target<triple = "aarch64-unknown-linux-gnu", cpu = "neoverse-n1", features = "+neon,+dotprod">}
module @arm attributes {bitnet.target = #bitnet.target<triple = "aarch64-unknown-linux-gnu", cpu = "neoverse-n1", features = "+neon,+dotprod">} {
}
// CHECK: module @rvv256 attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu", features = "+v", vlen = 256>}
module @rvv256 attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu", cpu = "", features = "+v", vlen = 256>} {
}
// Vector-length agnostic RISC-V (vlen = 0 is the default and elided).
// CHECK: module @rvv_vla attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu", cpu = "spacemit-x60", features = "+v,+zvfh">}
module @rvv_vla attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu", cpu = "spacemit-x60", features = "+v,+zvfh", vlen = 0>} {
}
// Only the triple is required.
// CHECK: module @bare attributes {bitnet.target = #bitnet.target<triple = "x86_64-pc-windows-msvc">}
module @bare attributes {bitnet.target = #bitnet.target<triple = "x86_64-pc-windows-msvc">} {
}

}

// The packed blobs survive the round trip.
// CHECK: {-#
// CHECK: dialect_resources: {
// CHECK: builtin: {
// CHECK-DAG: w3x8: "0x01000000A6AA55555555"
// CHECK-DAG: w2x5: "0x0100000055015501"
{-#
  dialect_resources: {
    builtin: {
      w3x8: "0x01000000A6AA55555555",
      w2x5: "0x0100000055015501"
    }
  }
#-}
