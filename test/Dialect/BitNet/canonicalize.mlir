// RUN: bitnet-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @hadamard_involution
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NOT: bitnet.hadamard
// CHECK: return %[[X]]
func.func @hadamard_involution(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.hadamard %x block 4 : tensor<2x8xf32>
  %b = bitnet.hadamard %a block 4 : tensor<2x8xf32>
  return %b : tensor<2x8xf32>
}

// -----

// Three applications leave one.
// CHECK-LABEL: func.func @hadamard_involution_odd
// CHECK-SAME: (%[[X:.+]]: tensor<?x16xf32>)
// CHECK: %[[H:.+]] = bitnet.hadamard %[[X]] block 16
// CHECK-NOT: bitnet.hadamard
// CHECK: return %[[H]]
func.func @hadamard_involution_odd(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %a = bitnet.hadamard %x block 16 : tensor<?x16xf32>
  %b = bitnet.hadamard %a block 16 : tensor<?x16xf32>
  %c = bitnet.hadamard %b block 16 : tensor<?x16xf32>
  return %c : tensor<?x16xf32>
}

// -----

// H_8 H_4 is not the identity.
// CHECK-LABEL: func.func @hadamard_different_blocks
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[A:.+]] = bitnet.hadamard %[[X]] block 4
// CHECK: %[[B:.+]] = bitnet.hadamard %[[A]] block 8
// CHECK: return %[[B]]
func.func @hadamard_different_blocks(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.hadamard %x block 4 : tensor<2x8xf32>
  %b = bitnet.hadamard %a block 8 : tensor<2x8xf32>
  return %b : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @hadamard_block_one
// CHECK-SAME: (%[[X:.+]]: tensor<2x7xf32>)
// CHECK-NOT: bitnet.hadamard
// CHECK: return %[[X]]
func.func @hadamard_block_one(%x: tensor<2x7xf32>) -> tensor<2x7xf32> {
  %a = bitnet.hadamard %x block 1 : tensor<2x7xf32>
  return %a : tensor<2x7xf32>
}

// -----

// A single transform stays.
// CHECK-LABEL: func.func @hadamard_single
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[A:.+]] = bitnet.hadamard %[[X]] block 2
// CHECK: return %[[A]]
func.func @hadamard_single(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.hadamard %x block 2 : tensor<2x8xf32>
  return %a : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @sparsify_topk_one
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NOT: bitnet.sparsify
// CHECK: return %[[X]]
func.func @sparsify_topk_one(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.sparsify %x topk 1.0 : tensor<2x8xf32>
  return %a : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @sparsify_topk_half
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[A:.+]] = bitnet.sparsify %[[X]] topk 5.000000e-01
// CHECK: return %[[A]]
func.func @sparsify_topk_half(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.sparsify %x topk 0.5 : tensor<2x8xf32>
  return %a : tensor<2x8xf32>
}

// -----

// threshold 0 zeroes NaNs (NaN >= 0 is false): not the identity.
// CHECK-LABEL: func.func @sparsify_threshold_zero
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[A:.+]] = bitnet.sparsify %[[X]] threshold 0.000000e+00
// CHECK: return %[[A]]
func.func @sparsify_threshold_zero(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.sparsify %x threshold 0.0 : tensor<2x8xf32>
  return %a : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @rescale_zero_acc
// CHECK: %[[Z:.+]] = arith.constant dense<0.000000e+00> : tensor<2x3xf32>
// CHECK-NOT: bitnet.rescale
// CHECK: return %[[Z]]
func.func @rescale_zero_acc() -> tensor<2x3xf32> {
  %acc = arith.constant dense<0> : tensor<2x3xi32>
  %s = arith.constant dense<[[12.5], [0.25]]> : tensor<2x1xf32>
  %g = arith.constant dense<[0.5, 1.0, -2.0]> : tensor<3xf32>
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @rescale_zero_acc_dynamic_scale
// CHECK-SAME: (%[[S:.+]]: tensor<2x1xf32>)
// CHECK-DAG: %[[ACC:.+]] = arith.constant dense<0> : tensor<2x3xi32>
// CHECK-DAG: %[[G:.+]] = arith.constant dense<5.000000e-01> : tensor<1xf32>
// CHECK: %[[Y:.+]] = bitnet.rescale %[[ACC]], %[[S]], %[[G]]
// CHECK: return %[[Y]]
func.func @rescale_zero_acc_dynamic_scale(%s: tensor<2x1xf32>) -> tensor<2x3xf32> {
  %acc = arith.constant dense<0> : tensor<2x3xi32>
  %g = arith.constant dense<0.5> : tensor<1xf32>
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<1xf32>
  return %y : tensor<2x3xf32>
}

// -----

// 0 / 0 is NaN: a zero scale blocks the fold.
// CHECK-LABEL: func.func @rescale_zero_acc_zero_scale
// CHECK: %[[Y:.+]] = bitnet.rescale
// CHECK: return %[[Y]]
func.func @rescale_zero_acc_zero_scale() -> tensor<2x3xf32> {
  %acc = arith.constant dense<0> : tensor<2x3xi32>
  %s = arith.constant dense<[[0.0], [1.0]]> : tensor<2x1xf32>
  %g = arith.constant dense<0.5> : tensor<1xf32>
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<1xf32>
  return %y : tensor<2x3xf32>
}

// -----

// 0 * inf is NaN: a non-finite weight scale blocks the fold.
// CHECK-LABEL: func.func @rescale_zero_acc_inf_scale
// CHECK: %[[Y:.+]] = bitnet.rescale
// CHECK: return %[[Y]]
func.func @rescale_zero_acc_inf_scale() -> tensor<2x3xf32> {
  %acc = arith.constant dense<0> : tensor<2x3xi32>
  %s = arith.constant dense<1.0> : tensor<2x1xf32>
  %g = arith.constant dense<0x7F800000> : tensor<1xf32>
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<1xf32>
  return %y : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @rescale_nonzero_acc
// CHECK: %[[Y:.+]] = bitnet.rescale
// CHECK: return %[[Y]]
func.func @rescale_nonzero_acc() -> tensor<2x3xf32> {
  %acc = arith.constant dense<[[0, 0, 0], [0, 1, 0]]> : tensor<2x3xi32>
  %s = arith.constant dense<1.0> : tensor<2x1xf32>
  %g = arith.constant dense<0.5> : tensor<1xf32>
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<1xf32>
  return %y : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @requantize_absmax
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[X]] <bits = 8, method = absmax, granularity = per_token>
// CHECK-NOT: bitnet.quantize
// CHECK: return %[[Q]]
func.func @requantize_absmax(%x: tensor<2x8xf32>) -> tensor<2x8xi8> {
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %d = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x1xf32>
  %q2, %s2 = bitnet.quantize %d <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return %q2 : tensor<2x8xi8>
}

// -----

// Only the integers are reused: the new scale is not bit-identical.
// CHECK-LABEL: func.func @requantize_absmax_scale_used
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[X]]
// CHECK: %[[D:.+]] = bitnet.dequantize %[[Q]], %[[S]]
// CHECK: %[[Q2:.+]], %[[S2:.+]] = bitnet.quantize %[[D]]
// CHECK: return %[[Q]], %[[S2]]
func.func @requantize_absmax_scale_used(%x: tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<2x1xf32>) {
  %q, %s = bitnet.quantize %x <bits = 4, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %d = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x1xf32>
  %q2, %s2 = bitnet.quantize %d <bits = 4, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return %q2, %s2 : tensor<2x8xi8>, tensor<2x1xf32>
}

// -----

// CHECK-LABEL: func.func @requantize_absmean
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[X]] <bits = 4, method = absmean, granularity = per_token>
// CHECK: %[[D:.+]] = bitnet.dequantize %[[Q]], %[[S]]
// CHECK: %[[Q2:.+]], %{{.+}} = bitnet.quantize %[[D]] <bits = 4, method = absmean, granularity = per_token>
// CHECK: return %[[Q2]]
func.func @requantize_absmean(%x: tensor<2x8xf32>) -> tensor<2x8xi8> {
  %q, %s = bitnet.quantize %x <bits = 4, method = absmean, granularity = per_token> : tensor<2x8xf32>
  %d = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x1xf32>
  %q2, %s2 = bitnet.quantize %d <bits = 4, method = absmean, granularity = per_token> : tensor<2x8xf32>
  return %q2 : tensor<2x8xi8>
}

// -----

// CHECK-LABEL: func.func @requantize_different_bits
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[X]] <bits = 8, method = absmax, granularity = per_token>
// CHECK: %[[D:.+]] = bitnet.dequantize %[[Q]], %[[S]]
// CHECK: %[[Q2:.+]], %{{.+}} = bitnet.quantize %[[D]] <bits = 4, method = absmax, granularity = per_token>
// CHECK: return %[[Q2]]
func.func @requantize_different_bits(%x: tensor<2x8xf32>) -> tensor<2x8xi8> {
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %d = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x1xf32>
  %q2, %s2 = bitnet.quantize %d <bits = 4, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return %q2 : tensor<2x8xi8>
}

// -----

// CHECK-LABEL: func.func @requantize_different_granularity
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[Q:.+]], %[[S:.+]] = bitnet.quantize %[[X]] <bits = 8, method = absmax, granularity = per_token>
// CHECK: %[[D:.+]] = bitnet.dequantize %[[Q]], %[[S]]
// CHECK: %[[Q2:.+]], %{{.+}} = bitnet.quantize %[[D]] <bits = 8, method = absmax, granularity = per_tensor>
// CHECK: return %[[Q2]]
func.func @requantize_different_granularity(%x: tensor<2x8xf32>) -> tensor<2x8xi8> {
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %d = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x1xf32>
  %q2, %s2 = bitnet.quantize %d <bits = 8, method = absmax, granularity = per_tensor> : tensor<2x8xf32>
  return %q2 : tensor<2x8xi8>
}

// -----

// Dequantized with a scale that is not the producer's: not a round trip.
// CHECK-LABEL: func.func @requantize_other_scale
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>, %[[T:.+]]: tensor<2x1xf32>)
// CHECK: %[[Q:.+]], %{{.+}} = bitnet.quantize %[[X]]
// CHECK: %[[D:.+]] = bitnet.dequantize %[[Q]], %[[T]]
// CHECK: %[[Q2:.+]], %{{.+}} = bitnet.quantize %[[D]]
// CHECK: return %[[Q2]]
func.func @requantize_other_scale(%x: tensor<2x8xf32>, %t: tensor<2x1xf32>) -> tensor<2x8xi8> {
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %d = bitnet.dequantize %q, %t : tensor<2x8xi8>, tensor<2x1xf32>
  %q2, %s2 = bitnet.quantize %d <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return %q2 : tensor<2x8xi8>
}
