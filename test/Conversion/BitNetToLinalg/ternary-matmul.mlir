// RUN: bitnet-opt %s --convert-bitnet-to-linalg --split-input-file | FileCheck %s

// The packed weight stays the dense_resource blob (viewed as [N, ceil(K/4)]
// bytes), is unpacked to i8 codes - 1, and the products are summed in i32
// with a reduction over K. No float weight tensor appears.
// CHECK-DAG: #[[UNPACK:.+]] = affine_map<(d0, d1) -> (d0, d1 floordiv 4)>
// CHECK-DAG: #[[QMAP:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[WMAP:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[AMAP:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @ternary_matmul
// CHECK-SAME: (%[[Q:.+]]: tensor<2x8xi8>)
// CHECK-NOT: bitnet.
// CHECK-NOT: tensor<3x8xf32>
// CHECK: %[[PACKED:.+]] = arith.constant dense_resource<w> : tensor<3x2xi8>
// CHECK: %[[W:.+]] = linalg.generic {indexing_maps = [#[[UNPACK]], #{{.+}}], iterator_types = ["parallel", "parallel"]} ins(%[[PACKED]] : tensor<3x2xi8>) outs(%{{.+}} : tensor<3x8xi8>)
// CHECK: linalg.index 1
// CHECK: arith.remui
// CHECK: arith.shrui
// CHECK: %[[C3:.+]] = arith.constant 3 : i8
// CHECK: %[[CODE:.+]] = arith.andi %{{.+}}, %[[C3]] : i8
// CHECK: %[[ONE:.+]] = arith.constant 1 : i8
// CHECK: %[[WV:.+]] = arith.subi %[[CODE]], %[[ONE]] : i8
// CHECK: linalg.yield %[[WV]] : i8
// CHECK: %[[ZERO:.+]] = linalg.fill ins(%{{.+}} : i32) outs(%{{.+}} : tensor<2x3xi32>)
// CHECK: %[[ACC:.+]] = linalg.generic {indexing_maps = [#[[QMAP]], #[[WMAP]], #[[AMAP]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[Q]], %[[W]] : tensor<2x8xi8>, tensor<3x8xi8>) outs(%[[ZERO]] : tensor<2x3xi32>)
// CHECK: ^bb0(%[[A:.+]]: i8, %[[B:.+]]: i8, %[[OUT:.+]]: i32):
// CHECK: %[[AE:.+]] = arith.extsi %[[A]] : i8 to i32
// CHECK: %[[BE:.+]] = arith.extsi %[[B]] : i8 to i32
// CHECK: %[[P:.+]] = arith.muli %[[AE]], %[[BE]] : i32
// CHECK: %[[SUM:.+]] = arith.addi %[[OUT]], %[[P]] : i32
// CHECK: linalg.yield %[[SUM]] : i32
// CHECK-NOT: tensor<3x8xf32>
// CHECK: return %[[ACC]] : tensor<2x3xi32>
// The blob is kept as is.
// CHECK: w: "0x01000000A6AA55555555"
func.func @ternary_matmul(%q: tensor<2x8xi8>) -> tensor<2x3xi32> {
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x8xi8>
  return %a : tensor<2x3xi32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// Batched input, K = 5 (2 bytes per row).
// CHECK-LABEL: func.func @ternary_matmul_batched_ragged
// CHECK-SAME: (%[[Q:.+]]: tensor<2x3x5xi8>)
// CHECK: %[[PACKED:.+]] = arith.constant dense_resource<w2x5> : tensor<2x2xi8>
// CHECK: %[[W:.+]] = linalg.generic {{.+}} ins(%[[PACKED]] : tensor<2x2xi8>) outs(%{{.+}} : tensor<2x5xi8>)
// CHECK: %[[ACC:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[Q]], %[[W]] : tensor<2x3x5xi8>, tensor<2x5xi8>) outs(%{{.+}} : tensor<2x3x2xi32>)
// CHECK: return %[[ACC]] : tensor<2x3x2xi32>
func.func @ternary_matmul_batched_ragged(%q: tensor<2x3x5xi8>) -> tensor<2x3x2xi32> {
  %a = bitnet.ternary_matmul %q, <2x5, plain, scales = dense<1.0> : tensor<1xf32>, data = dense_resource<w2x5> : tensor<4xi8>> : tensor<2x3x5xi8>
  return %a : tensor<2x3x2xi32>
}
{-#
  dialect_resources: {
    builtin: {
      w2x5: "0x0100000055015501"
    }
  }
#-}

// -----

// bitlinear is decomposed and lowered by the same pass: quantize, integer
// matmul on the packed blob, then the rescale epilogue (f32(acc) / s) * g.
// CHECK-LABEL: func.func @bitlinear
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NOT: bitnet.
// CHECK-NOT: tensor<3x8xf32>
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.+}} : f32 to i8
// CHECK: %[[PACKED:.+]] = arith.constant dense_resource<w> : tensor<3x2xi8>
// CHECK: %[[W:.+]] = linalg.generic {{.+}} ins(%[[PACKED]] : tensor<3x2xi8>) outs(%{{.+}} : tensor<3x8xi8>)
// CHECK: %[[ACC:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[W]] : tensor<2x8xi8>, tensor<3x8xi8>) outs(%{{.+}} : tensor<2x3xi32>)
// CHECK: %[[G:.+]] = arith.constant dense<[5.000000e-01, 2.500000e-01, 1.000000e+00]> : tensor<3xf32>
// CHECK: %[[Y:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[ACC]], %{{.+}}, %[[G]] : tensor<2x3xi32>, tensor<2x1xf32>, tensor<3xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK: ^bb0(%[[A:.+]]: i32, %[[S:.+]]: f32, %[[GV:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[F:.+]] = arith.sitofp %[[A]] : i32 to f32
// CHECK: %[[D:.+]] = arith.divf %[[F]], %[[S]] : f32
// CHECK: %[[M:.+]] = arith.mulf %[[D]], %[[GV]] : f32
// CHECK: linalg.yield %[[M]] : f32
// CHECK-NOT: tensor<3x8xf32>
// CHECK: return %[[Y]] : tensor<2x3xf32>
func.func @bitlinear(%x: tensor<2x8xf32>) -> tensor<2x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<[0.5, 0.25, 1.0]> : tensor<3xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return %y : tensor<2x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}
