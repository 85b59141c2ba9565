// RUN: bitnet-opt %s --split-input-file --convert-bitnet-to-linalg | FileCheck %s

// A kernel-selected matmul becomes a call of the runtime's microkernel on
// buffers: q [B, S, K] viewed as [M, K], the i2 blob, and an accumulator
// allocated in the result's shape, viewed as [M, N]. One declaration per
// kernel, with the C interface (memref descriptors by pointer).
// CHECK-LABEL: module
// CHECK: func.func private @bitnet_i2_matmul_x86_64_avx2(memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?xi8, strided<[?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-NOT: func.func private @bitnet_i2_matmul
// CHECK-LABEL: func.func @batched
// CHECK-SAME: (%[[Q:.+]]: tensor<?x?x8xi8>)
// CHECK: %[[Q2:.+]] = tensor.collapse_shape %[[Q]] {{\[}}[0, 1], [2]] : tensor<?x?x8xi8> into tensor<?x8xi8>
// CHECK: %[[QB:.+]] = bufferization.to_buffer %[[Q2]] read_only
// CHECK: %[[QC:.+]] = memref.cast %[[QB]] : memref<?x8xi8, strided<[?, ?], offset: ?>> to memref<?x?xi8, strided<[?, ?], offset: ?>>
// CHECK: %[[W:.+]] = arith.constant dense_resource<w_i2> : tensor<256xi8>
// CHECK: %[[WB:.+]] = bufferization.to_buffer %[[W]] read_only
// CHECK: %[[WC:.+]] = memref.cast %[[WB]]
// CHECK: %[[B:.+]] = tensor.dim %[[Q]], %c0
// CHECK: %[[S:.+]] = tensor.dim %[[Q]], %c1
// CHECK: %[[ACC:.+]] = memref.alloc(%[[B]], %[[S]]) {alignment = 64 : i64} : memref<?x?x3xi32>
// CHECK: %[[ACC2:.+]] = memref.collapse_shape %[[ACC]] {{\[}}[0, 1], [2]] : memref<?x?x3xi32> into memref<?x3xi32>
// CHECK: %[[ACCC:.+]] = memref.cast %[[ACC2]]
// CHECK: call @bitnet_i2_matmul_x86_64_avx2(%[[QC]], %[[WC]], %[[ACCC]])
// CHECK: %[[R:.+]] = bufferization.to_tensor %[[ACC]] restrict writable : memref<?x?x3xi32> to tensor<?x?x3xi32>
// CHECK: return %[[R]]
func.func @batched(%q: tensor<?x?x8xi8>) -> tensor<?x?x3xi32> {
  %a = bitnet.ternary_matmul %q, <3x8, i2, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w_i2> : tensor<256xi8>> {kernel = "i2.x86_64_avx2"} : tensor<?x?x8xi8>
  return %a : tensor<?x?x3xi32>
}

// A vector (rank 1) is one token.
// CHECK-LABEL: func.func @vector
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1]] output_shape [1, 8] : tensor<8xi8> into tensor<1x8xi8>
// CHECK: %[[ACC:.+]] = memref.alloc() {alignment = 64 : i64} : memref<3xi32>
// CHECK: memref.expand_shape %[[ACC]] {{\[}}[0, 1]] output_shape [1, 3] : memref<3xi32> into memref<1x3xi32>
// CHECK: call @bitnet_i2_matmul_x86_64_avx2
func.func @vector(%q: tensor<8xi8>) -> tensor<3xi32> {
  %a = bitnet.ternary_matmul %q, <3x8, i2, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w_i2> : tensor<256xi8>> {kernel = "i2.x86_64_avx2"} : tensor<8xi8>
  return %a : tensor<3xi32>
}
{-#
  dialect_resources: {
    builtin: {
      w_i2: "0x0100000056555656565656565555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
    }
  }
#-}
