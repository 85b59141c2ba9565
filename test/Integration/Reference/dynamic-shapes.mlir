// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// The reference lowering on dynamically shaped tensors (tensor<?x?xf32> made
// with tensor.cast from constants, passed through a function so that the
// shapes are not refined back): the same numbers as with static shapes.

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @print_i8(%q: tensor<?x?xi8>) {
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

func.func @print_f32(%s: tensor<?x?xf32>) {
  %u = tensor.cast %s : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @run(%x: tensor<?x?xf32>, %x4: tensor<?x?x?xf32>) {
  // int8 absmax per token: ties at s = 1 (row 0) and s = 0.5 (row 1), an
  // all-zero row (s = 1.27e7 = 1262602592).
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<?x?xf32>
  call @print_i8(%q) : (tensor<?x?xi8>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[127, 0, 2, 2, 0, -2, -2, 4],
  // CHECK-NEXT: [127, 0, 2, 2, 0, -2, 4, -4],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]
  %sd = tensor.cast %s : tensor<?x1xf32> to tensor<?x?xf32>
  call @print_bits(%sd) : (tensor<?x?xf32>) -> ()
  // CHECK: sizes = [3, 1]
  // CHECK-NEXT: {{\[}}[1065353216],
  // CHECK-NEXT: [1056964608],
  // CHECK-NEXT: [1262602592]]

  // int4 absmean per group of 4, s = 2.6457513 / mean: row 0 group means
  // 32.875 and 2 (1068061693: 2.6457513 / 2), row 1 65.75 and 4.5; the zero
  // row gets 2.6457513 / 1e-5 (1216425956).
  %qg, %sg = bitnet.quantize %x <bits = 4, method = absmean, granularity = per_group, group_size = 4> : tensor<?x?xf32>
  call @print_i8(%qg) : (tensor<?x?xi8>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[7, 0, 0, 0, -1, -2, -3, 5],
  // CHECK-NEXT: [7, 0, 0, 0, -1, -2, 4, -4],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]
  call @print_bits(%sg) : (tensor<?x?xf32>) -> ()
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: {{\[}}[1034211901, 1068061693],
  // CHECK-NEXT: [1025823293, 1058440076],
  // CHECK-NEXT: [1216425956, 1216425956]]

  // dequantize per group with a dynamic token count (q / s per group of 4;
  // a fully dynamic [?, ?] per-group scale is not lowered).
  %qg8 = tensor.cast %qg : tensor<?x?xi8> to tensor<?x8xi8>
  %sg2 = tensor.cast %sg : tensor<?x?xf32> to tensor<?x2xf32>
  %dg = bitnet.dequantize %qg8, %sg2 : tensor<?x8xi8>, tensor<?x2xf32>
  %dgd = tensor.cast %dg : tensor<?x8xf32> to tensor<?x?xf32>
  call @print_bits(%dgd) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[1118696778, 0, 0, 0, -1086225264, -1077836656, -1072618644, 1081206195],
  // CHECK-NEXT: [1127085386, 0, 0, 0, -1076251359, -1067862751, 1088009505, -1059474143],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]

  // per_tensor: max 254 over everything, s = 0.5 (1056964608).
  %qt, %st = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_tensor> : tensor<?x?xf32>
  call @print_i8(%qt) : (tensor<?x?xi8>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[64, 0, 1, 1, 0, -1, -1, 2],
  // CHECK-NEXT: [127, 0, 2, 2, 0, -2, 4, -4],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]
  %std = tensor.cast %st : tensor<1x1xf32> to tensor<?x?xf32>
  call @print_bits(%std) : (tensor<?x?xf32>) -> ()
  // CHECK: sizes = [1, 1]
  // CHECK-NEXT: {{\[}}[1056964608]]

  // dequantize per token.
  %d = bitnet.dequantize %q, %s : tensor<?x?xi8>, tensor<?x1xf32>
  call @print_f32(%d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[127, 0, 2, 2, 0, -2, -2, 4],
  // CHECK-NEXT: [254, 0, 4, 4, 0, -4, 8, -8],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]

  // ternary_matmul (K = 8, N = 3) and rescale with per-channel scales.
  //   Wt = [[1, 1, 1, 1, 1, 1, 1, 1], [1, -1, 0, 0, 1, -1, 0, 1],
  //         [-1, 0, 1, 0, -1, 0, 1, 0]]
  // q row 0 = [127, 0, 2, 2, 0, -2, -2, 4] -> [131, 133, -127];
  // q row 1 = [127, 0, 2, 2, 0, -2, 4, -4] -> [129, 125, -121].
  %acc = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<[0.5, 0.25, 2.0]> : tensor<3xf32>, data = dense_resource<w3> : tensor<6xi8>> : tensor<?x?xi8>
  %g = arith.constant dense<[0.5, 0.25, 2.0]> : tensor<3xf32>
  %y = bitnet.rescale %acc, %s, %g : tensor<?x3xi32>, tensor<?x1xf32>, tensor<3xf32>
  %accu = tensor.cast %acc : tensor<?x3xi32> to tensor<*xi32>
  call @printMemrefI32(%accu) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [3, 3]
  // CHECK-NEXT: {{\[}}[131, 133, -127],
  // CHECK-NEXT: [129, 125, -121],
  // CHECK-NEXT: [0, 0, 0]]
  %yd = tensor.cast %y : tensor<?x3xf32> to tensor<?x?xf32>
  call @print_f32(%yd) : (tensor<?x?xf32>) -> ()
  // (acc / s) * g: row 0 s = 1, row 1 s = 0.5.
  // CHECK-LABEL: sizes = [3, 3]
  // CHECK-NEXT: {{\[}}[65.5, 33.25, -254],
  // CHECK-NEXT: [129, 62.5, -484],
  // CHECK-NEXT: [0, 0, 0]]

  // hadamard block 4 (exact scale 0.5; printed as floats) and block 2
  // (f32 bits).
  %h = bitnet.hadamard %x block 4 : tensor<?x?xf32>
  call @print_f32(%h) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[65.75, 62.75, 61.75, 63.75, -0.5, -2.5, -1.5, 3.5],
  // CHECK-NEXT: [131.5, 125.5, 123.5, 127.5, -2, 8, -2, -6],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]
  %h2 = bitnet.hadamard %x block 2 : tensor<?x?xf32>
  call @print_bits(%h2) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[1119113198, 1119020516, 1077216499, -1087044365, -1078655757, 1060439283, 1060439283, -1064844362],
  // CHECK-NEXT: [1127501806, 1127409124, 1085605107, -1078655757, -1070267149, 1068827891, 0, 1092510805],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]

  // sparsify topk 0.5 and threshold 2.5 (|x| = 2.5 is kept).
  %sp = bitnet.sparsify %x topk 0.5 : tensor<?x?xf32>
  call @print_f32(%sp) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[127, 0, 0, 2.5, 0, 0, -2.5, 3.5],
  // CHECK-NEXT: [254, 0, 0, 5, 0, 0, 7, -7],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]
  %th = bitnet.sparsify %x threshold 2.5 : tensor<?x?xf32>
  call @print_f32(%th) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[127, 0, 0, 2.5, 0, 0, -2.5, 3.5],
  // CHECK-NEXT: [254, 0, 3, 5, 0, -3, 7, -7],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]

  // bitlinear end to end: y = rescale(ternary_matmul(quantize(x))) above.
  %bl = bitnet.bitlinear %x, <3x8, plain, scales = dense<[0.5, 0.25, 2.0]> : tensor<3xf32>, data = dense_resource<w3> : tensor<6xi8>>,
          <bits = 8, method = absmax, granularity = per_token> : tensor<?x?xf32>
  %bld = tensor.cast %bl : tensor<?x3xf32> to tensor<?x?xf32>
  call @print_f32(%bld) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 3]
  // CHECK-NEXT: {{\[}}[65.5, 33.25, -254],
  // CHECK-NEXT: [129, 62.5, -484],
  // CHECK-NEXT: [0, 0, 0]]

  // kv_quantize bits 3 on [?, ?, ?]: rows of the [1, 3, 8] view of x.
  %kq, %ks = bitnet.kv_quantize %x4 bits 3 : tensor<?x?x?xf32>
  %kqc = tensor.collapse_shape %kq [[0, 1], [2]] : tensor<?x?x?xi8> into tensor<?x?xi8>
  call @print_i8(%kqc) : (tensor<?x?xi8>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[3, 0, 0, 0, 0, 0, 0, 0],
  // CHECK-NEXT: [3, 0, 0, 0, 0, 0, 0, 0],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 0, 0, 0]]
  %ksc = tensor.collapse_shape %ks [[0, 1], [2]] : tensor<?x?x1xf32> into tensor<?x1xf32>
  %ksd = tensor.cast %ksc : tensor<?x1xf32> to tensor<?x?xf32>
  call @print_bits(%ksd) : (tensor<?x?xf32>) -> ()
  // 3 / 127 (1019314950), 3 / 254 (1010926342), 3 / 1e-5 (1217559552).
  // CHECK: sizes = [3, 1]
  // CHECK-NEXT: {{\[}}[1019314950],
  // CHECK-NEXT: [1010926342],
  // CHECK-NEXT: [1217559552]]
  return
}

func.func @main() {
  %c = arith.constant dense<[[127.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5],
                             [254.0, 1.0, 3.0, 5.0, -1.0, -3.0, 7.0, -7.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<3x8xf32>
  %x = tensor.cast %c : tensor<3x8xf32> to tensor<?x?xf32>
  %c4 = tensor.expand_shape %c [[0, 1], [2]] output_shape [1, 3, 8] : tensor<3x8xf32> into tensor<1x3x8xf32>
  %x4 = tensor.cast %c4 : tensor<1x3x8xf32> to tensor<?x?x?xf32>
  call @run(%x, %x4) : (tensor<?x?xf32>, tensor<?x?x?xf32>) -> ()
  return
}

{-#
  dialect_resources: {
    builtin: {
      w3: "0x01000000AAAA52926464"
    }
  }
#-}
