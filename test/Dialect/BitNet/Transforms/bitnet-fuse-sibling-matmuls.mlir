// RUN: bitnet-opt %s --split-input-file --bitnet-fuse-sibling-matmuls | FileCheck %s

// Three projections of one input become one matmul over their weights
// stacked along N (the blobs one after the other, a scale per row) and
// slices of its accumulators.
// CHECK-LABEL: func.func @stacked
// CHECK-SAME: (%[[Q:.+]]: tensor<?x8xi8>)
// CHECK: %[[ACC:.+]] = bitnet.ternary_matmul %[[Q]], <5x8, plain, scales = dense<[5.000000e-01, 5.000000e-01, 2.500000e-01, 1.000000e+00, 2.000000e+00]> : tensor<5xf32>, data = dense_resource<wa_stacked> : tensor<10xi8>> : tensor<?x8xi8>
// CHECK-NOT: bitnet.ternary_matmul
// CHECK: %[[M:.+]] = tensor.dim %[[ACC]], %{{.+}} : tensor<?x5xi32>
// CHECK: %[[A:.+]] = tensor.extract_slice %[[ACC]][0, 0] [%[[M]], 2] [1, 1] : tensor<?x5xi32> to tensor<?x2xi32>
// CHECK: %[[B:.+]] = tensor.extract_slice %[[ACC]][0, 2] [%[[M]], 1] [1, 1] : tensor<?x5xi32> to tensor<?x1xi32>
// CHECK: %[[C:.+]] = tensor.extract_slice %[[ACC]][0, 3] [%[[M]], 2] [1, 1] : tensor<?x5xi32> to tensor<?x2xi32>
// CHECK: return %[[A]], %[[B]], %[[C]]
// CHECK: wa_stacked: "0x01000000A6AA5555AA6A5A55A5A5"
func.func @stacked(%q: tensor<?x8xi8>) -> (tensor<?x2xi32>, tensor<?x1xi32>, tensor<?x2xi32>) {
  %a = bitnet.ternary_matmul %q, <2x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<wa> : tensor<4xi8>> : tensor<?x8xi8>
  %b = bitnet.ternary_matmul %q, <1x8, plain, scales = dense<0.25> : tensor<1xf32>, data = dense_resource<wb> : tensor<2xi8>> : tensor<?x8xi8>
  %c = bitnet.ternary_matmul %q, <2x8, plain, scales = dense<[1.0, 2.0]> : tensor<2xf32>, data = dense_resource<wc> : tensor<4xi8>> : tensor<?x8xi8>
  return %a, %b, %c : tensor<?x2xi32>, tensor<?x1xi32>, tensor<?x2xi32>
}
{-#
  dialect_resources: {
    builtin: {
      wa: "0x01000000A6AA5555",
      wb: "0x01000000AA6A",
      wc: "0x010000005A55A5A5"
    }
  }
#-}

// -----

// Only matmuls that agree on the input, K, the layout and act_bits are
// stacked: here only %a and %e.
// CHECK-LABEL: func.func @not_siblings
// CHECK: bitnet.ternary_matmul %arg0, <2x8, plain, {{.+}} data = dense_resource<w_stacked> : tensor<4xi8>> : tensor<1x8xi8>
// CHECK: bitnet.ternary_matmul %arg1, <1x8, plain
// CHECK: bitnet.ternary_matmul %arg0, <1x8, plain, {{.+}} {act_bits = 4 : i64}
// CHECK: bitnet.ternary_matmul %arg0, <1x8, int8
// CHECK-NOT: bitnet.ternary_matmul
func.func @not_siblings(%q: tensor<1x8xi8>, %r: tensor<1x8xi8>) -> (tensor<1x1xi32>, tensor<1x1xi32>, tensor<1x1xi32>, tensor<1x1xi32>, tensor<1x1xi32>) {
  %a = bitnet.ternary_matmul %q, <1x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<2xi8>> : tensor<1x8xi8>
  %b = bitnet.ternary_matmul %r, <1x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<2xi8>> : tensor<1x8xi8>
  %c = bitnet.ternary_matmul %q, <1x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<2xi8>> {act_bits = 4 : i64} : tensor<1x8xi8>
  %d = bitnet.ternary_matmul %q, <1x8, int8, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w8> : tensor<8xi8>> : tensor<1x8xi8>
  %e = bitnet.ternary_matmul %q, <1x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<2xi8>> : tensor<1x8xi8>
  return %a, %b, %c, %d, %e : tensor<1x1xi32>, tensor<1x1xi32>, tensor<1x1xi32>, tensor<1x1xi32>, tensor<1x1xi32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA",
      w8: "0x0100000001FF7F8000000000"
    }
  }
#-}
