// RUN: bitnet-opt %s --bitnet-decompose-bitlinear --split-input-file | FileCheck %s

// Without pre-processing: quantize -> ternary_matmul -> rescale.
// CHECK-LABEL: func.func @plain
// CHECK-SAME: (%[[X:.+]]: tensor<2x5x8xf32>) -> tensor<2x5x3xf32>
// CHECK-NOT: bitnet.bitlinear
// CHECK-NOT: bitnet.hadamard
// CHECK-NOT: bitnet.sparsify
// CHECK-DAG: %[[G:.+]] = arith.constant dense<5.000000e-01> : tensor<1xf32>
// CHECK-DAG: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[X]] <bits = 8, method = absmax, granularity = per_token> : tensor<2x5x8xf32>
// CHECK: %[[ACC:.+]] = bitnet.ternary_matmul %[[Q]], <3x8, plain, scales = dense<5.000000e-01> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x5x8xi8>
// CHECK: %[[Y:.+]] = bitnet.rescale %[[ACC]], %[[S]], %[[G]] : tensor<2x5x3xi32>, tensor<2x5x1xf32>, tensor<1xf32>
// CHECK-NOT: bitnet.bitlinear
// CHECK: return %[[Y]] : tensor<2x5x3xf32>
func.func @plain(%x: tensor<2x5x8xf32>) -> tensor<2x5x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<2x5x8xf32>
  return %y : tensor<2x5x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// hadamard, then sparsify, then the integer part; act_bits follows the
// scheme's bits; per-channel weight scales.
// CHECK-LABEL: func.func @hadamard_topk
// CHECK-SAME: (%[[X:.+]]: tensor<2x5x8xf32>)
// CHECK-DAG: %[[G:.+]] = arith.constant dense<[5.000000e-01, 2.500000e-01, 1.000000e+00]> : tensor<3xf32>
// CHECK-DAG: %[[H:.+]] = bitnet.hadamard %[[X]] block 4 : tensor<2x5x8xf32>
// CHECK: %[[T:.+]] = bitnet.sparsify %[[H]] topk 5.000000e-01 : tensor<2x5x8xf32>
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[T]] <bits = 4, method = absmean, granularity = per_token> : tensor<2x5x8xf32>
// CHECK: %[[ACC:.+]] = bitnet.ternary_matmul %[[Q]], <3x8, plain, scales = dense<[5.000000e-01, 2.500000e-01, 1.000000e+00]> : tensor<3xf32>, data = dense_resource<w> : tensor<6xi8>> {act_bits = 4 : i64} : tensor<2x5x8xi8>
// CHECK: %[[Y:.+]] = bitnet.rescale %[[ACC]], %[[S]], %[[G]] : tensor<2x5x3xi32>, tensor<2x5x1xf32>, tensor<3xf32>
// CHECK: return %[[Y]]
func.func @hadamard_topk(%x: tensor<2x5x8xf32>) -> tensor<2x5x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<[0.5, 0.25, 1.0]> : tensor<3xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 4, method = absmean, granularity = per_token> hadamard 4 topk 0.5 : tensor<2x5x8xf32>
  return %y : tensor<2x5x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// hadamard only.
// CHECK-LABEL: func.func @hadamard_only
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>)
// CHECK: %[[H:.+]] = bitnet.hadamard %[[X]] block 8 : tensor<4x8xf32>
// CHECK-NOT: bitnet.sparsify
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[H]] <bits = 4, method = absmax, granularity = per_token>
// CHECK: %[[ACC:.+]] = bitnet.ternary_matmul %[[Q]], {{.+}} {act_bits = 4 : i64} : tensor<4x8xi8>
// CHECK: bitnet.rescale %[[ACC]], %[[S]], %{{.+}} : tensor<4x3xi32>, tensor<4x1xf32>, tensor<1xf32>
func.func @hadamard_only(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 4, method = absmax, granularity = per_token> hadamard 8 : tensor<4x8xf32>
  return %y : tensor<4x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// topk only; per-tensor activation scale; dynamic token count.
// CHECK-LABEL: func.func @topk_only_per_tensor
// CHECK-SAME: (%[[X:.+]]: tensor<?x8xf32>)
// CHECK-NOT: bitnet.hadamard
// CHECK: %[[T:.+]] = bitnet.sparsify %[[X]] topk 2.500000e-01 : tensor<?x8xf32>
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[T]] <bits = 8, method = absmax, granularity = per_tensor> : tensor<?x8xf32>
// CHECK: %[[ACC:.+]] = bitnet.ternary_matmul %[[Q]], {{.+}} : tensor<?x8xi8>
// CHECK: %[[Y:.+]] = bitnet.rescale %[[ACC]], %[[S]], %{{.+}} : tensor<?x3xi32>, tensor<1x1xf32>, tensor<1xf32>
// CHECK: return %[[Y]] : tensor<?x3xf32>
func.func @topk_only_per_tensor(%x: tensor<?x8xf32>) -> tensor<?x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_tensor> topk 0.25 : tensor<?x8xf32>
  return %y : tensor<?x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// Other ops are left alone.
// CHECK-LABEL: func.func @integer_ops_untouched
// CHECK: bitnet.hadamard
// CHECK: bitnet.quantize
func.func @integer_ops_untouched(%x: tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<2x1xf32>) {
  %h = bitnet.hadamard %x block 8 : tensor<2x8xf32>
  %q, %s = bitnet.quantize %h <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return %q, %s : tensor<2x8xi8>, tensor<2x1xf32>
}
