// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution of the reference lowering of bitnet.ternary_matmul:
// acc[..., n] = sum_k q[..., k] * Wt[n, k] in i32, with Wt unpacked from the
// `plain` layout (codes w + 1, four per byte from the least significant bits,
// each row starting on a new byte). The weight scales are not applied.

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // K = 5 (not a multiple of 4: two bytes per row, the last one with three
  // padding slots holding code 2, i.e. +1, which must be ignored), N = 3,
  // per-channel scales:
  //   Wt = [[ 1, -1,  0,  1, -1],   bytes 0x92 0xA8
  //         [-1, -1, -1, -1, -1],   bytes 0x00 0xA8
  //         [ 0,  1,  1,  0,  1]]   bytes 0x69 0xAA
  // q row 0 = [127, -128, 5, -7, 100]: 127 + 128 - 7 - 100 = 148,
  //   -(127 - 128 + 5 - 7 + 100) = -97, -128 + 5 + 100 = -23;
  // q row 1 = -128 everywhere: 0, 640, -384.
  %q = arith.constant dense<[[127, -128, 5, -7, 100], [-128, -128, -128, -128, -128]]> : tensor<2x5xi8>
  %acc = bitnet.ternary_matmul %q, <3x5, plain, scales = dense<[0.5, 2.0, 0.25]> : tensor<3xf32>, data = dense_resource<w5> : tensor<6xi8>> : tensor<2x5xi8>
  %accc = tensor.empty() : tensor<2x3xi32>
  %accp = linalg.copy ins(%acc : tensor<2x3xi32>) outs(%accc : tensor<2x3xi32>) -> tensor<2x3xi32>
  %accu = tensor.cast %accp : tensor<2x3xi32> to tensor<*xi32>
  call @printMemrefI32(%accu) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[148, -97, -23],
  // CHECK-NEXT: [0, 640, -384]]

  // With the per-channel weight scales g = [0.5, 2, 0.25] and activation
  // scales s = [2, 4]: (acc / s) * g = [37, -97, -2.875], [0, 320, -24].
  %s = arith.constant dense<[[2.0], [4.0]]> : tensor<2x1xf32>
  %g = arith.constant dense<[0.5, 2.0, 0.25]> : tensor<3xf32>
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<3xf32>
  %yu = tensor.cast %y : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%yu) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[37, -97, -2.875],
  // CHECK-NEXT: [0, 320, -24]]

  // Rank-3 input [2, 1, 6], K = 6 (padding code 0 = -1 in the last byte),
  // 4-bit activations, one scale for the tensor:
  //   Wt = [[1, 1, 1, 1, 1, 1], [-1, 0, 1, -1, 0, 1]]
  // [7, -8, 3, -1, 0, 5] -> 6, 2; [-8 x 6] -> -48, 0.
  %q3 = arith.constant dense<[[[7, -8, 3, -1, 0, 5]], [[-8, -8, -8, -8, -8, -8]]]> : tensor<2x1x6xi8>
  %acc3 = bitnet.ternary_matmul %q3, <2x6, plain, scales = dense<0.125> : tensor<1xf32>, data = dense_resource<w6> : tensor<4xi8>> {act_bits = 4} : tensor<2x1x6xi8>
  %acc3u = tensor.cast %acc3 : tensor<2x1x2xi32> to tensor<*xi32>
  call @printMemrefI32(%acc3u) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [2, 1, 2]
  // CHECK-NEXT: {{\[}}{{\[}}[6, 2]],
  // CHECK-NEXT: {{\[}}[-48, 0]]]

  // Largest magnitude: K = 9, every q = -128 and every weight -1 -> 1152;
  // alternating signs -> -128.
  %q9 = arith.constant dense<-128> : tensor<1x9xi8>
  %acc9 = bitnet.ternary_matmul %q9, <2x9, plain, scales = dense<1.0> : tensor<1xf32>, data = dense_resource<w9> : tensor<6xi8>> : tensor<1x9xi8>
  %acc9u = tensor.cast %acc9 : tensor<1x2xi32> to tensor<*xi32>
  call @printMemrefI32(%acc9u) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [1, 2]
  // CHECK-NEXT: {{\[}}[1152, -128]]
  return
}

{-#
  dialect_resources: {
    builtin: {
      w5: "0x0100000092A800A869AA",
      w6: "0x01000000AA0A2409",
      w9: "0x01000000000000222202"
    }
  }
#-}
