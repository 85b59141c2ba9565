// RUN: bitnet-opt %s --convert-bitnet-to-linalg --split-input-file | FileCheck %s

// int8 absmax per token: max|x| reduction, s = 127 / max(stat, eps),
// q = fptosi(min(max(roundeven(x * s), -128), 127)).
// CHECK-LABEL: func.func @quantize_absmax_per_token
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NOT: bitnet.
// CHECK: %[[G:.+]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [2, 1, 8] : tensor<2x8xf32> into tensor<2x1x8xf32>
// CHECK: %[[INIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x1xf32>)
// CHECK: %[[STAT:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[G]] : tensor<2x1x8xf32>) outs(%[[INIT]] : tensor<2x1xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[S:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[STAT]] : tensor<2x1xf32>)
// CHECK-DAG: %[[EPS:.+]] = arith.constant 9.99999974E-6 : f32
// CHECK-DAG: %[[C:.+]] = arith.constant 1.270000e+02 : f32
// CHECK: %[[CL:.+]] = arith.maximumf %{{.+}}, %[[EPS]] : f32
// CHECK: arith.divf %[[C]], %[[CL]] : f32
// CHECK: %[[Q:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[G]], %[[S]] : tensor<2x1x8xf32>, tensor<2x1xf32>) outs(%{{.+}} : tensor<2x1x8xi8>)
// CHECK: ^bb0(%[[IN:.+]]: f32, %[[SC:.+]]: f32, %{{.+}}: i8):
// CHECK: %[[M:.+]] = arith.mulf %[[IN]], %[[SC]] : f32
// CHECK: %[[R:.+]] = math.roundeven %[[M]] : f32
// CHECK-DAG: %[[LO:.+]] = arith.constant -1.280000e+02 : f32
// CHECK-DAG: %[[HI:.+]] = arith.constant 1.270000e+02 : f32
// CHECK: %[[MX:.+]] = arith.maximumf %[[R]], %[[LO]] : f32
// CHECK: %[[MN:.+]] = arith.minimumf %[[MX]], %[[HI]] : f32
// CHECK: %[[I:.+]] = arith.fptosi %[[MN]] : f32 to i8
// CHECK: linalg.yield %[[I]] : i8
// CHECK: %[[QC:.+]] = tensor.collapse_shape %[[Q]] {{\[}}[0], [1, 2]] : tensor<2x1x8xi8> into tensor<2x8xi8>
// CHECK: return %[[QC]], %[[S]] : tensor<2x8xi8>, tensor<2x1xf32>
func.func @quantize_absmax_per_token(%x: tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<2x1xf32>) {
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<2x8xf32>
  return %q, %s : tensor<2x8xi8>, tensor<2x1xf32>
}

// -----

// int4 absmean per tensor: sum|x| reduction over all 16 elements, mean =
// sum / 16, s = f32(sqrt 7) / max(mean, eps), clamp to [-8, 7].
// CHECK-LABEL: func.func @quantize_absmean_per_tensor
// CHECK-NOT: bitnet.
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1]] : tensor<2x8xf32> into tensor<16xf32>
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%{{.+}} : tensor<1x16xf32>) outs(%{{.+}} : tensor<1xf32>)
// CHECK: math.absf
// CHECK: arith.addf
// CHECK: %[[N:.+]] = arith.constant 1.600000e+01 : f32
// CHECK: linalg.generic
// CHECK: arith.divf %{{.+}}, %[[N]] : f32
// CHECK-DAG: arith.constant 9.99999974E-6 : f32
// CHECK-DAG: arith.constant 2.64575124 : f32
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]}
// CHECK: math.roundeven
// CHECK-DAG: arith.constant -8.000000e+00 : f32
// CHECK-DAG: arith.constant 7.000000e+00 : f32
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.fptosi %{{.+}} : f32 to i8
// CHECK: %[[S:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0, 1]] output_shape [1, 1] : tensor<1xf32> into tensor<1x1xf32>
// CHECK: return %{{.+}}, %[[S]] : tensor<2x8xi8>, tensor<1x1xf32>
func.func @quantize_absmean_per_tensor(%x: tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<1x1xf32>) {
  %q, %s = bitnet.quantize %x <bits = 4, method = absmean, granularity = per_tensor> : tensor<2x8xf32>
  return %q, %s : tensor<2x8xi8>, tensor<1x1xf32>
}

// -----

// Per group of 4: the last axis is viewed as [groups, 4].
// CHECK-LABEL: func.func @quantize_per_group
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NOT: bitnet.
// CHECK: %[[G:.+]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [2, 2, 4] : tensor<2x8xf32> into tensor<2x2x4xf32>
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[G]] : tensor<2x2x4xf32>) outs(%{{.+}} : tensor<2x2xf32>)
// CHECK: arith.maximumf
// CHECK: %[[S:.+]] = linalg.generic
// CHECK: arith.constant 7.000000e+00 : f32
// CHECK: math.roundeven
// CHECK: arith.fptosi
// CHECK: %[[Q:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2]] : tensor<2x2x4xi8> into tensor<2x8xi8>
// CHECK: return %[[Q]], %[[S]] : tensor<2x8xi8>, tensor<2x2xf32>
func.func @quantize_per_group(%x: tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<2x2xf32>) {
  %q, %s = bitnet.quantize %x <bits = 4, method = absmax, granularity = per_group, group_size = 4> : tensor<2x8xf32>
  return %q, %s : tensor<2x8xi8>, tensor<2x2xf32>
}

// -----

// KV 3-bit: s = 3 / max(max|x|, eps) per (token, head); q in [-4, 3].
// CHECK-LABEL: func.func @kv_quantize_3bit
// CHECK-NOT: bitnet.
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<1x2x4x1x8xf32>) outs(%{{.+}} : tensor<1x2x4x1xf32>)
// CHECK: arith.maximumf
// CHECK: %[[S:.+]] = linalg.generic
// CHECK: arith.constant 3.000000e+00 : f32
// CHECK: math.roundeven
// CHECK-DAG: arith.constant -4.000000e+00 : f32
// CHECK-DAG: arith.constant 3.000000e+00 : f32
// CHECK: arith.fptosi %{{.+}} : f32 to i8
// CHECK: %[[Q:.+]] = tensor.collapse_shape
// CHECK: return %[[Q]], %[[S]] : tensor<1x2x4x8xi8>, tensor<1x2x4x1xf32>
func.func @kv_quantize_3bit(%k: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xi8>, tensor<1x2x4x1xf32>) {
  %q, %s = bitnet.kv_quantize %k bits 3 : tensor<1x2x4x8xf32>
  return %q, %s : tensor<1x2x4x8xi8>, tensor<1x2x4x1xf32>
}

// -----

// Dynamic token count: sizes come from tensor.dim.
// CHECK-LABEL: func.func @quantize_dynamic
// CHECK-SAME: (%[[X:.+]]: tensor<?x8xf32>)
// CHECK-NOT: bitnet.
// CHECK: tensor.dim %[[X]]
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<?x1x8xf32>)
// CHECK: math.roundeven
// CHECK: return %{{.+}}, %{{.+}} : tensor<?x8xi8>, tensor<?x1xf32>
func.func @quantize_dynamic(%x: tensor<?x8xf32>) -> (tensor<?x8xi8>, tensor<?x1xf32>) {
  %q, %s = bitnet.quantize %x <bits = 8, method = absmax, granularity = per_token> : tensor<?x8xf32>
  return %q, %s : tensor<?x8xi8>, tensor<?x1xf32>
}
