// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution of the reference lowering of bitnet.kv_quantize: absmax per
// (token, KV head) vector of the last axis, s = qmax / clamp(max|x|, 1e-5),
// q = clamp(round_half_even(x * s), -2^(bits-1), 2^(bits-1) - 1). Scales
// are printed as their f32 bits (1.0 = 1065353216, 0.5 = 1056964608).

func.func private @printMemrefI32(tensor<*xi32>)

func.func @main() {
  // [batch 1, heads 2, tokens 2, head_dim 8], 3 bits:
  // (h0, t0) max 3 -> s = 1: the x.5 entries are ties (0.5 -> 0, 1.5 -> 2,
  //   2.5 -> 2 and negated);
  // (h0, t1) max 6 -> s = 0.5: odd integers are ties, same result;
  // (h1, t0) all zero -> s = 3 / 1e-5 (1217559552), q = 0;
  // (h1, t1) max 5e-6 < eps -> the same s: 0.3 -> 0, -1.5 -> -2 (tie),
  //   0.6 -> 1, 1.2 -> 1.
  %x = arith.constant dense<[[[[3.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, -3.0],
                               [6.0, 1.0, 3.0, 5.0, -1.0, -3.0, -5.0, -6.0]],
                              [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                               [1.0e-6, -5.0e-6, 2.0e-6, 0.0, 0.0, 0.0, 0.0, 4.0e-6]]]]> : tensor<1x2x2x8xf32>
  %q, %s = bitnet.kv_quantize %x bits 3 : tensor<1x2x2x8xf32>
  %qc = tensor.collapse_shape %q [[0, 1, 2], [3]] : tensor<1x2x2x8xi8> into tensor<4x8xi8>
  %qi = arith.extsi %qc : tensor<4x8xi8> to tensor<4x8xi32>
  %qu = tensor.cast %qi : tensor<4x8xi32> to tensor<*xi32>
  call @printMemrefI32(%qu) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [4, 8]
  // CHECK-NEXT: {{\[}}[3, 0, 2, 2, 0, -2, -2, -3],
  // CHECK-NEXT: [3, 0, 2, 2, 0, -2, -2, -3],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0],
  // CHECK-NEXT: [0, -2, 1, 0, 0, 0, 0, 1]]
  %sb = arith.bitcast %s : tensor<1x2x2x1xf32> to tensor<1x2x2x1xi32>
  %su = tensor.cast %sb : tensor<1x2x2x1xi32> to tensor<*xi32>
  call @printMemrefI32(%su) : (tensor<*xi32>) -> ()
  // CHECK: sizes = [1, 2, 2, 1]
  // CHECK-NEXT: {{\[}}{{\[}}{{\[}}[1065353216],
  // CHECK-NEXT: [1056964608]],
  // CHECK-NEXT: {{\[}}[1217559552],
  // CHECK-NEXT: [1217559552]]]]

  // 4 bits, max 14 -> s = 0.5: -13 -> -6 (-6.5), -9 -> -4 (-4.5), 1 -> 0,
  // 3 -> 2, 5 -> 2, 2 -> 1.
  %x4 = arith.constant dense<[[[14.0, 1.0, 3.0, -13.0, 5.0, -9.0, 0.0, 2.0]]]> : tensor<1x1x8xf32>
  %q4, %s4 = bitnet.kv_quantize %x4 bits 4 : tensor<1x1x8xf32>
  %q4i = arith.extsi %q4 : tensor<1x1x8xi8> to tensor<1x1x8xi32>
  %q4u = tensor.cast %q4i : tensor<1x1x8xi32> to tensor<*xi32>
  call @printMemrefI32(%q4u) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [1, 1, 8]
  // CHECK-NEXT: {{\[}}{{\[}}[7, 0, 2, -6, 2, -4, 0, 1]]]
  %s4b = arith.bitcast %s4 : tensor<1x1x1xf32> to tensor<1x1x1xi32>
  %s4u = tensor.cast %s4b : tensor<1x1x1xi32> to tensor<*xi32>
  call @printMemrefI32(%s4u) : (tensor<*xi32>) -> ()
  // CHECK: sizes = [1, 1, 1]
  // CHECK-NEXT: {{\[}}{{\[}}[1056964608]]]

  // 8 bits, max 127 -> s = 1: -126.5 -> -126, 0.5 -> 0, 1.5 -> 2,
  // -2.5 -> -2, 3.5 -> 4.
  %x8 = arith.constant dense<[[[127.0, -126.5, 0.5, 1.5, -2.5, 3.5, 0.0, -127.0]]]> : tensor<1x1x8xf32>
  %q8, %s8 = bitnet.kv_quantize %x8 bits 8 : tensor<1x1x8xf32>
  %q8i = arith.extsi %q8 : tensor<1x1x8xi8> to tensor<1x1x8xi32>
  %q8u = tensor.cast %q8i : tensor<1x1x8xi32> to tensor<*xi32>
  call @printMemrefI32(%q8u) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [1, 1, 8]
  // CHECK-NEXT: {{\[}}{{\[}}[127, -126, 0, 2, -2, 4, 0, -127]]]
  return
}
