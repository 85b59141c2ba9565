// RUN: bitnet-opt %s --bitnet-kv-cache --split-input-file | FileCheck %s

// A past/present pair becomes a cache written in place at kv_length; the
// present result disappears and the past length reads kv_length.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[IDS:[^:]+]]: tensor<?x?xi64>, %[[CACHE:[^:]+]]: tensor<?x2x?x4xf32> {bitnet.kv_cache = 2 : i64, bitnet.kv_cache_output = "present", onnx.dim_params = ["batch", "", "kv_capacity", ""], onnx.name = "past"}, %[[NEW:[^:]+]]: tensor<?x2x?x4xf32>, %[[LEN:[^:]+]]: tensor<i64> {onnx.elem_type = 7 : i32, onnx.name = "kv_length"})
// CHECK-SAME: -> (tensor<?x2x?x4xf32> {onnx.name = "out"})
// CHECK: %[[L64:.+]] = tensor.extract %[[LEN]][] : tensor<i64>
// CHECK: %[[L:.+]] = arith.index_cast %[[L64]] : i64 to index
// CHECK: %[[ALL:.+]] = tensor.insert_slice %[[NEW]] into %[[CACHE]][0, 0, %[[L]], 0] [%{{.+}}, 2, %[[N:.+]], 4] [1, 1, 1, 1]
// CHECK: %[[TOTAL:.+]] = arith.addi %[[L]], %[[N]]
// CHECK: %[[PRESENT:.+]] = tensor.extract_slice %[[ALL]][0, 0, 0, 0] [%{{.+}}, 2, %[[TOTAL]], 4] [1, 1, 1, 1]
// CHECK-NOT: tensor.concat
// CHECK: %[[OUT:.+]] = arith.addf %[[PRESENT]], %[[PRESENT]]
// CHECK: return %[[OUT]] : tensor<?x2x?x4xf32>
func.func @main(%ids: tensor<?x?xi64>,
                %past: tensor<?x2x?x4xf32> {onnx.name = "past", onnx.dim_params = ["batch", "", "past", ""]},
                %new: tensor<?x2x?x4xf32>)
    -> (tensor<?x2x?x4xf32> {onnx.name = "out"}, tensor<?x2x?x4xf32> {onnx.name = "present"}) {
  %present = tensor.concat dim(2) %past, %new : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %out = arith.addf %present, %present : tensor<?x2x?x4xf32>
  return %out, %present : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
}

// -----

// tensor.dim of the cache axis becomes the valid length; others stay.
// CHECK-LABEL: func.func @main
// CHECK: %[[L:.+]] = arith.index_cast
// CHECK: %[[B:.+]] = tensor.dim %{{.+}}, %c0
// CHECK: return %[[L]], %[[B]], %{{.+}} : index, index, tensor<1x?xf32>
func.func @main(%past: tensor<1x?xf32>, %new: tensor<1x?xf32>)
    -> (index, index, tensor<1x?xf32>, tensor<1x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %p = tensor.dim %past, %c1 : tensor<1x?xf32>
  %b = tensor.dim %past, %c0 : tensor<1x?xf32>
  %present = tensor.concat dim(1) %past, %new : (tensor<1x?xf32>, tensor<1x?xf32>) -> tensor<1x?xf32>
  %neg = arith.negf %present : tensor<1x?xf32>
  return %p, %b, %neg, %present : index, index, tensor<1x?xf32>, tensor<1x?xf32>
}

// -----

// A past that is also read directly is not a cache: nothing changes.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%{{.+}}: tensor<?x4xf32>, %{{.+}}: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK: tensor.concat
func.func @main(%past: tensor<?x4xf32>, %new: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %present = tensor.concat dim(0) %past, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %twice = arith.addf %past, %past : tensor<?x4xf32>
  return %twice, %present : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// A concat that is not returned (no present output) is left alone.
// CHECK-LABEL: func.func @main
// CHECK: tensor.concat
func.func @main(%past: tensor<?x4xf32>, %new: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %present = tensor.concat dim(0) %past, %new : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %neg = arith.negf %present : tensor<?x4xf32>
  return %neg : tensor<?x4xf32>
}
