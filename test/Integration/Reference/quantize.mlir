// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution of the reference lowering of bitnet.quantize: the integers and
// the exact bits of the scales (f32 scales are bit-cast to i32 and printed as
// integers: 1.0 = 1065353216, 0.5 = 1056964608).

func.func private @printMemrefI32(tensor<*xi32>)

func.func @print_q(%q: tensor<?x?xi8>) {
  %i = arith.extsi %q : tensor<?x?xi8> to tensor<?x?xi32>
  %u = tensor.cast %i : tensor<?x?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @print_bits(%s: tensor<?x?xf32>) {
  %i = arith.bitcast %s : tensor<?x?xf32> to tensor<?x?xi32>
  %u = tensor.cast %i : tensor<?x?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @main() {
  // int8 absmax, per token. Both rows have max |x| = 127, so s = 1 and every
  // x.5 is an exact tie: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4, 126.5 -> 126,
  // and the negatives mirror them. 0.49999997 (0x3EFFFFFF) is no tie -> 0.
  %x0 = arith.constant dense<[[127.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5],
                              [126.5, -3.5, 0x3EFFFFFF, -126.5, 4.5, -4.5, 5.5, -127.0]]> : tensor<2x8xf32>
  %q0, %s0 = bitnet.quantize %x0 <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %q0d = tensor.cast %q0 : tensor<2x8xi8> to tensor<?x?xi8>
  %s0d = tensor.cast %s0 : tensor<2x1xf32> to tensor<?x?xf32>
  call @print_q(%q0d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s0d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 8]
  // CHECK-NEXT: {{\[}}[127, 0, 2, 2, 0, -2, -2, 4],
  // CHECK-NEXT: [126, -4, 0, -126, 4, -4, 6, -127]]
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[}}[1065353216],
  // CHECK-NEXT: [1065353216]]

  // int8 absmax with max |x| = 254: s = 127 / 254 = 0.5 exactly, so odd x
  // are ties: 1 -> 0, 3 -> 2, 5 -> 2, 7 -> 4, -1 -> 0, -3 -> -2, -7 -> -4.
  %x1 = arith.constant dense<[[254.0, 1.0, 3.0, 5.0, -1.0, -3.0, 7.0, -7.0]]> : tensor<1x8xf32>
  %q1, %s1 = bitnet.quantize %x1 <bits = 8, method = absmax, granularity = per_token> : tensor<1x8xf32>
  %q1d = tensor.cast %q1 : tensor<1x8xi8> to tensor<?x?xi8>
  %s1d = tensor.cast %s1 : tensor<1x1xf32> to tensor<?x?xf32>
  call @print_q(%q1d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s1d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[127, 0, 2, 2, 0, -2, 4, -4]]
  // CHECK: sizes = [1, 1]
  // CHECK-NEXT: {{\[}}[1056964608]]

  // int4 absmax, s = 7 / 7 = 1: ties again; 6.5 -> 6.
  %x2 = arith.constant dense<[[7.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 6.5]]> : tensor<1x8xf32>
  %q2, %s2 = bitnet.quantize %x2 <bits = 4, method = absmax, granularity = per_token> : tensor<1x8xf32>
  %q2d = tensor.cast %q2 : tensor<1x8xi8> to tensor<?x?xi8>
  call @print_q(%q2d) : (tensor<?x?xi8>) -> ()
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[7, 0, 2, 2, 0, -2, -2, 6]]

  // All-zero row: s = 127 / 1e-5 = 1.27e7 (1262602592) and q = 0. A row
  // whose max |x| = 5e-6 is below eps gets the same scale:
  // x * s = 12.7, -63.5 (tie), 25.4, 0 -> 13, -64, 25, 0.
  %x3 = arith.constant dense<[[0.0, 0.0, 0.0, 0.0], [1.0e-6, -5.0e-6, 2.0e-6, 0.0]]> : tensor<2x4xf32>
  %q3, %s3 = bitnet.quantize %x3 <bits = 8, method = absmax, granularity = per_token> : tensor<2x4xf32>
  %q3d = tensor.cast %q3 : tensor<2x4xi8> to tensor<?x?xi8>
  %s3d = tensor.cast %s3 : tensor<2x1xf32> to tensor<?x?xf32>
  call @print_q(%q3d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s3d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[0, 0, 0, 0],
  // CHECK-NEXT: [13, -64, 25, 0]]
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[}}[1262602592],
  // CHECK-NEXT: [1262602592]]

  // int4 absmean: s = 2.6457513 (sqrt 7 in f32, 1076450301) / mean |x|.
  // Both rows have mean 1, so s = 2.6457513 exactly:
  // row 0: 2.65 -> 3, 5.29 -> 5, 1.32 -> 1; row 1: 10.58 clips to 7 / -8.
  %x4 = arith.constant dense<[[1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 0.0, 1.0],
                              [4.0, -4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<2x8xf32>
  %q4, %s4 = bitnet.quantize %x4 <bits = 4, method = absmean, granularity = per_token> : tensor<2x8xf32>
  %q4d = tensor.cast %q4 : tensor<2x8xi8> to tensor<?x?xi8>
  %s4d = tensor.cast %s4 : tensor<2x1xf32> to tensor<?x?xf32>
  call @print_q(%q4d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s4d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 8]
  // CHECK-NEXT: {{\[}}[3, -3, 5, -5, 1, -1, 0, 3],
  // CHECK-NEXT: [7, -8, 0, 0, 0, 0, 0, 0]]
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[}}[1076450301],
  // CHECK-NEXT: [1076450301]]

  // absmean sums in index order: 2^24 + 1 + 1 + 1 stays 2^24 (each + 1 is a
  // tie to even), so mean = 2^22 and s = 2.6457513 * 2^-22 (891900925).
  // Summing in any other order gives 2^24 + 4 and s = 891900922.
  // An all-zero int4 absmean row gets s = 2.6457513 / 1e-5 (1216425956).
  %x5 = arith.constant dense<[[16777216.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
  %q5, %s5 = bitnet.quantize %x5 <bits = 4, method = absmean, granularity = per_token> : tensor<2x4xf32>
  %q5d = tensor.cast %q5 : tensor<2x4xi8> to tensor<?x?xi8>
  %s5d = tensor.cast %s5 : tensor<2x1xf32> to tensor<?x?xf32>
  call @print_q(%q5d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s5d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[7, 0, 0, 0],
  // CHECK-NEXT: [0, 0, 0, 0]]
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[}}[891900925],
  // CHECK-NEXT: [1216425956]]

  // int8 absmean clipping at both ends: one nonzero of 16, so x * s = 16 *
  // sqrt(127) = 180.3 -> 127 and -180.3 -> -128.
  %x6 = arith.constant dense<[[0.0, 0.0, 0.0, 1000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [0.0, 0.0, 0.0, 0.0, 0.0, -1000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<2x16xf32>
  %q6, %s6 = bitnet.quantize %x6 <bits = 8, method = absmean, granularity = per_token> : tensor<2x16xf32>
  %q6d = tensor.cast %q6 : tensor<2x16xi8> to tensor<?x?xi8>
  call @print_q(%q6d) : (tensor<?x?xi8>) -> ()
  // CHECK-LABEL: sizes = [2, 16]
  // CHECK-NEXT: {{\[}}[0, 0, 0, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  // CHECK-NEXT: [0, 0, 0, 0, 0, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]

  // 3-bit absmean, [-4, 3]: s = 1.7320508 / 2.75 (row 0) -> +-6.3 clip to
  // 3 / -4; row 1 (mean 0.375): +-2.31 -> +-2, +-4.62 clip to 3 / -4.
  %x7 = arith.constant dense<[[10.0, -10.0, 0.0, 0.0, 0.0, 0.0, 1.0, -1.0],
                              [0.5, -0.5, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<2x8xf32>
  %q7, %s7 = bitnet.quantize %x7 <bits = 3, method = absmean, granularity = per_token> : tensor<2x8xf32>
  %q7d = tensor.cast %q7 : tensor<2x8xi8> to tensor<?x?xi8>
  %s7d = tensor.cast %s7 : tensor<2x1xf32> to tensor<?x?xf32>
  call @print_q(%q7d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s7d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 8]
  // CHECK-NEXT: {{\[}}[3, -4, 0, 0, 0, 0, 1, -1],
  // CHECK-NEXT: [2, -2, 3, -4, 0, 0, 0, 0]]
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: {{\[}}[1059142905],
  // CHECK-NEXT: [1083428154]]

  // 2-bit absmean, [-2, 1]: numerator sqrt(1) = 1, mean 2, s = 0.5:
  // x * s = 2, -2, 0.5, -0.5, 1.5, -1.5 -> 1 (clipped), -2, 0, 0, 1 (2
  // clipped), -2.
  %x8 = arith.constant dense<[[4.0, -4.0, 1.0, -1.0, 3.0, -3.0, 0.0, 0.0]]> : tensor<1x8xf32>
  %q8, %s8 = bitnet.quantize %x8 <bits = 2, method = absmean, granularity = per_token> : tensor<1x8xf32>
  %q8d = tensor.cast %q8 : tensor<1x8xi8> to tensor<?x?xi8>
  %s8d = tensor.cast %s8 : tensor<1x1xf32> to tensor<?x?xf32>
  call @print_q(%q8d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s8d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[1, -2, 0, 0, 1, -2, 0, 0]]
  // CHECK: sizes = [1, 1]
  // CHECK-NEXT: {{\[}}[1056964608]]

  // 2-bit and 3-bit absmax, max |x| = 3.
  %x9 = arith.constant dense<[[2.0, -2.0, 1.0, -1.0, 3.0, -3.0, 0.5, -0.5]]> : tensor<1x8xf32>
  %q9, %s9 = bitnet.quantize %x9 <bits = 2, method = absmax, granularity = per_token> : tensor<1x8xf32>
  %q9d = tensor.cast %q9 : tensor<1x8xi8> to tensor<?x?xi8>
  call @print_q(%q9d) : (tensor<?x?xi8>) -> ()
  // 2 bits: s = 1 / 3, x * s = +-0.67 -> +-1, +-0.33 -> 0, +-1 -> +-1,
  // +-0.17 -> 0 (absmax never reaches qmin = -2; absmean above does).
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[1, -1, 0, 0, 1, -1, 0, 0]]
  %q10, %s10 = bitnet.quantize %x9 <bits = 3, method = absmax, granularity = per_token> : tensor<1x8xf32>
  %q10d = tensor.cast %q10 : tensor<1x8xi8> to tensor<?x?xi8>
  call @print_q(%q10d) : (tensor<?x?xi8>) -> ()
  // s = 3 / 3 = 1: 0.5 and -0.5 are ties -> 0.
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[2, -2, 1, -1, 3, -3, 0, 0]]

  // per_group (group_size 4), int4 absmax: group 0 has max 7 (s = 1),
  // group 1 max 14 (s = 0.5): 7, 3.5 -> 4, -1.5 -> -2, 0.5 -> 0 | 14 -> 7,
  // 1 -> 0 (0.5), -3 -> -2 (-1.5), 5 -> 2 (2.5). Row 1 is all zero in group
  // 0 (s = 7 / 1e-5, 1227548160) and has a clip-free group 1 with max 7.
  %x11 = arith.constant dense<[[7.0, 3.5, -1.5, 0.5, 14.0, 1.0, -3.0, 5.0],
                               [0.0, 0.0, 0.0, 0.0, -7.0, 6.5, -5.5, 0.5]]> : tensor<2x8xf32>
  %q11, %s11 = bitnet.quantize %x11 <bits = 4, method = absmax, granularity = per_group, group_size = 4> : tensor<2x8xf32>
  %q11d = tensor.cast %q11 : tensor<2x8xi8> to tensor<?x?xi8>
  %s11d = tensor.cast %s11 : tensor<2x2xf32> to tensor<?x?xf32>
  call @print_q(%q11d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s11d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 8]
  // CHECK-NEXT: {{\[}}[7, 4, -2, 0, 7, 0, -2, 2],
  // CHECK-NEXT: [0, 0, 0, 0, -7, 6, -6, 0]]
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[1065353216, 1056964608],
  // CHECK-NEXT: [1227548160, 1065353216]]

  // per_tensor int8 absmax: one max (254) over both rows, s = 0.5, scale
  // shape 1x1: 0.5 -> 0, 0.25 -> 0, 1.5 -> 2, -2.5 -> -2, 3 -> 2 (1.5), -1 -> 0.
  %x12 = arith.constant dense<[[1.0, -2.0, 0.5, 3.0], [254.0, 3.0, -5.0, -1.0]]> : tensor<2x4xf32>
  %q12, %s12 = bitnet.quantize %x12 <bits = 8, method = absmax, granularity = per_tensor> : tensor<2x4xf32>
  %q12d = tensor.cast %q12 : tensor<2x4xi8> to tensor<?x?xi8>
  %s12d = tensor.cast %s12 : tensor<1x1xf32> to tensor<?x?xf32>
  call @print_q(%q12d) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s12d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[0, -1, 0, 2],
  // CHECK-NEXT: [127, 2, -2, 0]]
  // CHECK: sizes = [1, 1]
  // CHECK-NEXT: {{\[}}[1056964608]]

  // per_tensor int4 absmean on a rank-3 input: mean over all 8 elements
  // = 16 / 8 = 2 (index-order sum), s = 2.6457513 / 2 (1068061693).
  %x13 = arith.constant dense<[[[4.0, -4.0], [2.0, 0.0]], [[-1.0, 1.0], [0.0, 4.0]]]> : tensor<2x2x2xf32>
  %q13, %s13 = bitnet.quantize %x13 <bits = 4, method = absmean, granularity = per_tensor> : tensor<2x2x2xf32>
  %q13d = tensor.collapse_shape %q13 [[0, 1], [2]] : tensor<2x2x2xi8> into tensor<4x2xi8>
  %q13u = tensor.cast %q13d : tensor<4x2xi8> to tensor<?x?xi8>
  %s13c = tensor.collapse_shape %s13 [[0, 1], [2]] : tensor<1x1x1xf32> into tensor<1x1xf32>
  %s13d = tensor.cast %s13c : tensor<1x1xf32> to tensor<?x?xf32>
  call @print_q(%q13u) : (tensor<?x?xi8>) -> ()
  call @print_bits(%s13d) : (tensor<?x?xf32>) -> ()
  // x * s = +-5.29 -> +-5, 2.65 -> 3, +-1.32 -> +-1.
  // CHECK-LABEL: sizes = [4, 2]
  // CHECK-NEXT: {{\[}}[5, -5],
  // CHECK-NEXT: [3, 0],
  // CHECK-NEXT: [-1, 1],
  // CHECK-NEXT: [0, 5]]
  // CHECK: sizes = [1, 1]
  // CHECK-NEXT: {{\[}}[1068061693]]
  return
}
