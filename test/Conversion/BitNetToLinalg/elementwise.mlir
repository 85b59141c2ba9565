// RUN: bitnet-opt %s --convert-bitnet-to-linalg --split-input-file | FileCheck %s

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[BCAST:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @dequantize_per_token
// CHECK-SAME: (%[[Q:.+]]: tensor<2x8xi8>, %[[S:.+]]: tensor<2x1xf32>)
// CHECK-NOT: bitnet.
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[BCAST]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[Q]], %[[S]] : tensor<2x8xi8>, tensor<2x1xf32>)
// CHECK: ^bb0(%[[A:.+]]: i8, %[[B:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[F:.+]] = arith.sitofp %[[A]] : i8 to f32
// CHECK: %[[D:.+]] = arith.divf %[[F]], %[[B]] : f32
// CHECK: linalg.yield %[[D]] : f32
// CHECK: return %[[Y]]
func.func @dequantize_per_token(%q: tensor<2x8xi8>, %s: tensor<2x1xf32>) -> tensor<2x8xf32> {
  %a = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x1xf32>
  return %a : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @dequantize_per_group
// CHECK-SAME: (%[[Q:.+]]: tensor<2x8xi8>, %[[S:.+]]: tensor<2x2xf32>)
// CHECK-NOT: bitnet.
// CHECK: %[[G:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2]] output_shape [2, 2, 4] : tensor<2x8xi8> into tensor<2x2x4xi8>
// CHECK: %[[Y:.+]] = linalg.generic {{.+}} ins(%[[G]], %[[S]] : tensor<2x2x4xi8>, tensor<2x2xf32>)
// CHECK: arith.sitofp
// CHECK: arith.divf
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[Y]] {{\[}}[0], [1, 2]] : tensor<2x2x4xf32> into tensor<2x8xf32>
// CHECK: return %[[C]]
func.func @dequantize_per_group(%q: tensor<2x8xi8>, %s: tensor<2x2xf32>) -> tensor<2x8xf32> {
  %a = bitnet.dequantize %q, %s : tensor<2x8xi8>, tensor<2x2xf32>
  return %a : tensor<2x8xf32>
}

// -----

// (f32(acc) / s) * g, in this order; one weight scale is broadcast.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ONE:.+]] = affine_map<(d0, d1) -> (0)>
// CHECK-LABEL: func.func @rescale
// CHECK-SAME: (%[[ACC:.+]]: tensor<2x3xi32>, %[[S:.+]]: tensor<2x1xf32>, %[[G:.+]]: tensor<1xf32>)
// CHECK-NOT: bitnet.
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ONE]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[ACC]], %[[S]], %[[G]] : tensor<2x3xi32>, tensor<2x1xf32>, tensor<1xf32>)
// CHECK: ^bb0(%[[A:.+]]: i32, %[[SV:.+]]: f32, %[[GV:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[F:.+]] = arith.sitofp %[[A]] : i32 to f32
// CHECK: %[[D:.+]] = arith.divf %[[F]], %[[SV]] : f32
// CHECK: %[[M:.+]] = arith.mulf %[[D]], %[[GV]] : f32
// CHECK: linalg.yield %[[M]] : f32
// CHECK: return %[[Y]]
func.func @rescale(%acc: tensor<2x3xi32>, %s: tensor<2x1xf32>, %g: tensor<1xf32>) -> tensor<2x3xf32> {
  %y = bitnet.rescale %acc, %s, %g : tensor<2x3xi32>, tensor<2x1xf32>, tensor<1xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Block 4: two butterfly stages (h = 1, 2), then * f32(1/sqrt(4)) = 0.5.
// CHECK-LABEL: func.func @hadamard
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NOT: bitnet.
// CHECK: tensor.expand_shape %[[X]] {{.+}} into tensor<2x4x2xf32>
// CHECK: tensor.expand_shape {{.+}} into tensor<2x4x2x1xf32>
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK: linalg.index 2
// CHECK: arith.addf
// CHECK: arith.subf
// CHECK: arith.select
// CHECK: tensor.expand_shape {{.+}} into tensor<2x2x2x2xf32>
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.subf
// CHECK: arith.select
// CHECK: %[[Y:.+]] = linalg.generic
// CHECK: %[[NORM:.+]] = arith.constant 5.000000e-01 : f32
// CHECK: arith.mulf %{{.+}}, %[[NORM]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @hadamard(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %h = bitnet.hadamard %x block 4 : tensor<2x8xf32>
  return %h : tensor<2x8xf32>
}

// -----

// top-k: the rank of each entry (a reduction over the row), k = ceil(r * n)
// in f64, keep rank < k.
// CHECK-LABEL: func.func @sparsify_topk
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NOT: bitnet.
// CHECK: %[[RANK:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[X]] : tensor<2x8xf32>, tensor<2x8xf32>) outs(%{{.+}} : tensor<2x8xi32>)
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpi ult
// CHECK: %[[R:.+]] = arith.constant 5.000000e-01 : f64
// CHECK: %[[RN:.+]] = arith.mulf %[[R]], %{{.+}} : f64
// CHECK: %[[CEIL:.+]] = math.ceil %[[RN]] : f64
// CHECK: %[[K:.+]] = arith.fptosi %[[CEIL]] : f64 to i32
// CHECK: %[[Y:.+]] = linalg.generic {{.+}} ins(%[[X]], %[[RANK]] : tensor<2x8xf32>, tensor<2x8xi32>)
// CHECK: ^bb0(%[[V:.+]]: f32, %[[RK:.+]]: i32, %{{.+}}: f32):
// CHECK: %[[KEEP:.+]] = arith.cmpi slt, %[[RK]], %[[K]] : i32
// CHECK: arith.select %[[KEEP]], %[[V]], %{{.+}} : f32
// CHECK: return %[[Y]]
func.func @sparsify_topk(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.sparsify %x topk 0.5 : tensor<2x8xf32>
  return %a : tensor<2x8xf32>
}

// -----

// threshold: |x| >= t compared in f64.
// CHECK-LABEL: func.func @sparsify_threshold
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NOT: bitnet.
// CHECK-NOT: reduction
// CHECK: %[[Y:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<2x8xf32>)
// CHECK: %[[ABS:.+]] = math.absf
// CHECK: %[[EXT:.+]] = arith.extf %[[ABS]] : f32 to f64
// CHECK: %[[T:.+]] = arith.constant 1.000000e-01 : f64
// CHECK: %[[KEEP:.+]] = arith.cmpf oge, %[[EXT]], %[[T]] : f64
// CHECK: arith.select %[[KEEP]]
// CHECK: return %[[Y]]
func.func @sparsify_threshold(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.sparsify %x threshold 0.1 : tensor<2x8xf32>
  return %a : tensor<2x8xf32>
}
