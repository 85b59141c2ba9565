// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// End-to-end execution of bitnet.bitlinear (decomposed, then the reference
// lowering), compared with a computation by hand.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // int8 absmax per token, per-channel weight scales g = [0.5, 0.25, 2]:
  //   Wt = [[ 1, 1, 1, 1,  1,  1, 1, 1],   bytes 0xAA 0xAA
  //         [ 1,-1, 0, 0,  1, -1, 0, 1],   bytes 0x52 0x92
  //         [-1, 0, 1, 0, -1,  0, 1, 0]]   bytes 0x64 0x64
  // Row 0: max 127, s = 1, q = [127, -64, 32, 0, 2, -2, 10, -127]
  //   (0.5 -> 0, 1.5 -> 2, -2.5 -> -2); acc = [-22, 68, -87];
  //   y = (acc / 1) * g = [-11, 17, -174].
  // Row 1: max 254, s = 0.5, q = [127, 1, -2, 3, 0, 2, 0, -127];
  //   acc = [4, -3, -129]; y = (acc / 0.5) * g = [4, -1.5, -516].
  %x = arith.constant dense<[[127.0, -64.0, 32.0, 0.5, 1.5, -2.5, 10.0, -127.0],
                             [254.0, 2.0, -4.0, 6.0, 1.0, 3.0, 0.0, -254.0]]> : tensor<2x8xf32>
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<[0.5, 0.25, 2.0]> : tensor<3xf32>, data = dense_resource<w3> : tensor<6xi8>>,
         <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %yu = tensor.cast %y : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%yu) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[-11, 17, -174],
  // CHECK-NEXT: [4, -1.5, -516]]

  // The same with one per-tensor activation scale: max 254 over both rows,
  // s = 0.5; row 0 becomes q = [64, -32, 16, 0, 1, -1, 5, -64] (63.5 -> 64,
  // 0.25 -> 0, 0.75 -> 1, -1.25 -> -1), acc = [-11, 34, -44],
  // y = (acc / 0.5) * g = [-11, 17, -176]; row 1 is unchanged.
  %yt = bitnet.bitlinear %x, <3x8, plain, scales = dense<[0.5, 0.25, 2.0]> : tensor<3xf32>, data = dense_resource<w3> : tensor<6xi8>>,
          <bits = 8, method = absmax, granularity = per_tensor> : tensor<2x8xf32>
  %ytu = tensor.cast %yt : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%ytu) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[-11, 17, -176],
  // CHECK-NEXT: [4, -1.5, -516]]

  // BitNet v2 style: hadamard 4, then topk 0.5, then int4 absmax per token,
  // one weight scale 0.25, on a rank-3 input [1, 2, 8]:
  //   Wt = [[1, 1, 1, 1, 1, 1, 1, 1], [-1, 1, -1, 1, 1, 1, 1, -1]]
  // Token 0: x = [3, 1, 5, 5, 1.75, 0.75, 0.25, 2.25]
  //   hadamard 4 -> [7, 1, -3, 1, 2.5, -0.5, 0, 1.5]
  //   topk 4     -> [7, 0, -3, 0, 2.5, 0, 0, 1.5]
  //   s = 7 / 7 = 1, q = [7, 0, -3, 0, 2, 0, 0, 2] (2.5 -> 2, 1.5 -> 2)
  //   acc = [8, -4], y = (acc / 1) * 0.25 = [2, -1].
  //   (Without hadamard and topk it would be [4.464286, -0.53571427].)
  // Token 1: all zero -> s = 7 / 1e-5, q = 0, y = [0, 0].
  %x3 = arith.constant dense<[[[3.0, 1.0, 5.0, 5.0, 1.75, 0.75, 0.25, 2.25],
                               [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x8xf32>
  %y3 = bitnet.bitlinear %x3, <2x8, plain, scales = dense<0.25> : tensor<1xf32>, data = dense_resource<w2> : tensor<4xi8>>,
          <bits = 4, method = absmax, granularity = per_token> hadamard 4 topk 0.5 : tensor<1x2x8xf32>
  %y3u = tensor.cast %y3 : tensor<1x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%y3u) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 2, 2]
  // CHECK-NEXT: {{\[}}{{\[}}[2, -1],
  // CHECK-NEXT: [0, 0]]]
  return
}

{-#
  dialect_resources: {
    builtin: {
      w3: "0x01000000AAAA52926464",
      w2: "0x01000000AAAA882A"
    }
  }
#-}
