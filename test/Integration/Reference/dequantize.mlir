// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution of the reference lowering of bitnet.dequantize: y = f32(q) / s
// (a division, not a multiplication by 1 / s). Results are printed as f32
// bits where the rounding matters.

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // Per token. Row 0, s = 0.5: 254, -256, 6, 0. Row 1, s = 3:
  // 127 / 3 = 1110005077 and -127 / 3 = -1037478571 (multiplying by
  // f32(1 / 3) would give 1110005078 and -1037478570), 1 / 3 = 1051372203,
  // -1 / 3 = -1096111445.
  %q = arith.constant dense<[[127, -128, 3, 0], [127, -127, 1, -1]]> : tensor<2x4xi8>
  %s = arith.constant dense<[[0.5], [3.0]]> : tensor<2x1xf32>
  %y = bitnet.dequantize %q, %s : tensor<2x4xi8>, tensor<2x1xf32>
  %yb = arith.bitcast %y : tensor<2x4xf32> to tensor<2x4xi32>
  %yu = tensor.cast %yb : tensor<2x4xi32> to tensor<*xi32>
  call @printMemrefI32(%yu) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[1132331008, -1015021568, 1086324736, 0],
  // CHECK-NEXT: [1110005077, -1037478571, 1051372203, -1096111445]]

  // Per group (2 groups of 4), s = [2, 0.3]: 3.5, -4, 0.5, 0 | 127 / 0.3 =
  // 423.3333 (1137945258), -128 / 0.3 (-1009429163), 10, -10.
  %qg = arith.constant dense<[[7, -8, 1, 0, 127, -128, 3, -3]]> : tensor<1x8xi8>
  %sg = arith.constant dense<[[2.0, 0.3]]> : tensor<1x2xf32>
  %yg = bitnet.dequantize %qg, %sg : tensor<1x8xi8>, tensor<1x2xf32>
  %ygb = arith.bitcast %yg : tensor<1x8xf32> to tensor<1x8xi32>
  %ygu = tensor.cast %ygb : tensor<1x8xi32> to tensor<*xi32>
  call @printMemrefI32(%ygu) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[1080033280, -1065353216, 1056964608, 0, 1137945258, -1009429163, 1092616192, -1054867456]]

  // Per tensor (scale 1x1 = 0.25) broadcast over a 2x3 input.
  %qt = arith.constant dense<[[7, -8, 1], [0, 127, -128]]> : tensor<2x3xi8>
  %st = arith.constant dense<0.25> : tensor<1x1xf32>
  %yt = bitnet.dequantize %qt, %st : tensor<2x3xi8>, tensor<1x1xf32>
  %ytu = tensor.cast %yt : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%ytu) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[28, -32, 4],
  // CHECK-NEXT: [0, 508, -512]]

  // quantize then dequantize (int8 absmax): max 100, s = 1.27 (1067618140),
  // q = 1, -3, 0, 1, 0, 127 and q / s = 0.78740156, -2.3622048, 0, ..., 100.
  %x = arith.constant dense<[[1.0, -2.0, 0.3, 0.7, 1.0e-3, 100.0]]> : tensor<1x6xf32>
  %qx, %sx = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<1x6xf32>
  %yx = bitnet.dequantize %qx, %sx : tensor<1x6xi8>, tensor<1x1xf32>
  %yxb = arith.bitcast %yx : tensor<1x6xf32> to tensor<1x6xi32>
  %yxu = tensor.cast %yxb : tensor<1x6xi32> to tensor<*xi32>
  call @printMemrefI32(%yxu) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [1, 6]
  // CHECK-NEXT: {{\[}}[1061786406, -1072222627, 0, 1061786406, 0, 1120403456]]
  return
}
