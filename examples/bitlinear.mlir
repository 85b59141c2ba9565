// A BitLinear layer (ternary weights [4 x 8], per-tensor scale 0.5) applied to
// two tokens with BitNet b1.58 int8 absmax activations, and the same layer in
// BitNet v2 style (Hadamard block 8, then int4 absmax). Run:
//   bitnet-opt examples/bitlinear.mlir --bitnet-pipeline \
//     | mlir-runner -e main -entry-point-result=void \
//         -shared-libs=libmlir_runner_utils.so,libmlir_c_runner_utils.so
//
// Weight rows: [1,0,-1,1,0,0,1,-1], all +1, all -1, [1,-1,1,-1,...]; packed
// in the plain layout (2-bit codes w+1, low bits first) in the blob below.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %x = arith.constant dense<[[0.5, -1.0, 2.0, 0.25, 0.0, 1.5, -2.0, 0.1],
                             [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]>
      : tensor<2x8xf32>

  // b1.58: y = dequant(int8 absmax(x)) . (Wt * 0.5)^T
  %y = bitnet.bitlinear %x,
      <4x8, plain, scales = dense<0.5> : tensor<1xf32>,
       data = dense_resource<layer0> : tensor<8xi8>>,
      <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  %py = tensor.cast %y : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%py) : (tensor<*xf32>) -> ()

  // v2: a Hadamard transform of block 8 first, then int4 absmax.
  %z = bitnet.bitlinear %x,
      <4x8, plain, scales = dense<0.5> : tensor<1xf32>,
       data = dense_resource<layer0> : tensor<8xi8>>,
      <bits = 4, method = absmax, granularity = per_token> hadamard 8
      : tensor<2x8xf32>
  %pz = tensor.cast %z : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pz) : (tensor<*xf32>) -> ()
  return
}

{-#
  dialect_resources: {
    builtin: {
      layer0: "0x010000008625AAAA00002222"
    }
  }
#-}
