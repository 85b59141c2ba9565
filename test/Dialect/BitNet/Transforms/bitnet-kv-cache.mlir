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

// -----

// Keys that attention reads only transposed (scores = q · Kᵀ, through the
// GQA expand) are stored transposed, positions last: the scores read a view
// of the cache, and only the new keys are transposed.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[CACHE:[^:]+]]: tensor<?x2x4x?xf32> {bitnet.kv_cache = 3 : i64, bitnet.kv_cache_output = "present", onnx.dim_params = ["batch", "", "", "kv_capacity"], onnx.name = "past"}, %[[NEW:[^:]+]]: tensor<?x2x?x4xf32>, %[[LEN:[^:]+]]: tensor<i64>
// CHECK-SAME: -> (tensor<?x2x1x4x?xf32> {onnx.name = "scores_keys"}, index)
// CHECK: %[[L:.+]] = arith.index_cast
// CHECK: %[[NEWT:.+]] = linalg.transpose ins(%[[NEW]] : tensor<?x2x?x4xf32>) outs(%{{.+}} : tensor<?x2x4x?xf32>) permutation = [0, 1, 3, 2]
// CHECK: %[[ALL:.+]] = tensor.insert_slice %[[NEWT]] into %[[CACHE]][0, 0, 0, %[[L]]]
// CHECK: %[[TOTAL:.+]] = arith.addi %[[L]], %{{.+}}
// CHECK: %[[PRESENT:.+]] = tensor.extract_slice %[[ALL]][0, 0, 0, 0] [%[[B:.+]], 2, 4, %[[TOTAL]]] [1, 1, 1, 1]
// CHECK: %[[VIEW:.+]] = tensor.expand_shape %[[PRESENT]] {{\[}}[0], [1], [2, 3], [4]] output_shape [%[[B]], 2, 1, 4, %[[TOTAL]]] : tensor<?x2x4x?xf32> into tensor<?x2x1x4x?xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return %[[VIEW]], %[[TOTAL]] : tensor<?x2x1x4x?xf32>, index
func.func @main(%past: tensor<?x2x?x4xf32> {onnx.name = "past", onnx.dim_params = ["batch", "", "past", ""]},
                %new: tensor<?x2x?x4xf32>)
    -> (tensor<?x2x1x4x?xf32> {onnx.name = "scores_keys"}, index, tensor<?x2x?x4xf32> {onnx.name = "present"}) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %present = tensor.concat dim(2) %past, %new : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %b = tensor.dim %present, %c0 : tensor<?x2x?x4xf32>
  %t = tensor.dim %present, %c2 : tensor<?x2x?x4xf32>
  %x = tensor.expand_shape %present [[0], [1], [2, 3], [4]] output_shape [%b, 2, 1, %t, 4] : tensor<?x2x?x4xf32> into tensor<?x2x1x?x4xf32>
  %xb = tensor.dim %x, %c0 : tensor<?x2x1x?x4xf32>
  %xt = tensor.dim %x, %c3 : tensor<?x2x1x?x4xf32>
  %init = tensor.empty(%xb, %xt) : tensor<?x2x1x4x?xf32>
  %keys = linalg.transpose ins(%x : tensor<?x2x1x?x4xf32>) outs(%init : tensor<?x2x1x4x?xf32>) permutation = [0, 1, 2, 4, 3]
  return %keys, %t, %present : tensor<?x2x1x4x?xf32>, index, tensor<?x2x?x4xf32>
}

// -----

// A transpose that does not swap positions with the last dim keeps the
// ONNX layout.
// CHECK-LABEL: func.func @main
// CHECK-SAME: tensor<?x2x?x4xf32> {bitnet.kv_cache = 2 : i64
// CHECK: linalg.transpose
func.func @main(%past: tensor<?x2x?x4xf32>, %new: tensor<?x2x?x4xf32>)
    -> (tensor<?x?x2x4xf32>, tensor<?x2x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %present = tensor.concat dim(2) %past, %new : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %b = tensor.dim %present, %c0 : tensor<?x2x?x4xf32>
  %t = tensor.dim %present, %c2 : tensor<?x2x?x4xf32>
  %init = tensor.empty(%b, %t) : tensor<?x?x2x4xf32>
  %heads = linalg.transpose ins(%present : tensor<?x2x?x4xf32>) outs(%init : tensor<?x?x2x4xf32>) permutation = [0, 2, 1, 3]
  return %heads, %present : tensor<?x?x2x4xf32>, tensor<?x2x?x4xf32>
}

// -----

// Keys transposed directly (no expand): the transposed read is the cache
// window itself.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[CACHE:[^:]+]]: tensor<?x2x4x?xf32> {bitnet.kv_cache = 3 : i64
// CHECK: %[[PRESENT:.+]] = tensor.extract_slice
// CHECK-NOT: linalg.transpose
// CHECK: return %[[PRESENT]] : tensor<?x2x4x?xf32>
func.func @main(%past: tensor<?x2x?x4xf32>, %new: tensor<?x2x?x4xf32>)
    -> (tensor<?x2x4x?xf32>, tensor<?x2x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %present = tensor.concat dim(2) %past, %new : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %b = tensor.dim %present, %c0 : tensor<?x2x?x4xf32>
  %t = tensor.dim %present, %c2 : tensor<?x2x?x4xf32>
  %init = tensor.empty(%b, %t) : tensor<?x2x4x?xf32>
  %keys = linalg.transpose ins(%present : tensor<?x2x?x4xf32>) outs(%init : tensor<?x2x4x?xf32>) permutation = [0, 1, 3, 2]
  return %keys, %present : tensor<?x2x4x?xf32>, tensor<?x2x?x4xf32>
}

// -----

// An extent read at a computed index cannot be renumbered: the ONNX layout
// stays.
// CHECK-LABEL: func.func @main
// CHECK-SAME: tensor<?x2x?x4xf32> {bitnet.kv_cache = 2 : i64
// CHECK: linalg.transpose
func.func @main(%past: tensor<?x2x?x4xf32>, %new: tensor<?x2x?x4xf32>, %i: index)
    -> (tensor<?x2x4x?xf32>, index, tensor<?x2x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %present = tensor.concat dim(2) %past, %new : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %b = tensor.dim %present, %c0 : tensor<?x2x?x4xf32>
  %t = tensor.dim %present, %c2 : tensor<?x2x?x4xf32>
  %any = tensor.dim %present, %i : tensor<?x2x?x4xf32>
  %init = tensor.empty(%b, %t) : tensor<?x2x4x?xf32>
  %keys = linalg.transpose ins(%present : tensor<?x2x?x4xf32>) outs(%init : tensor<?x2x4x?xf32>) permutation = [0, 1, 3, 2]
  return %keys, %any, %present : tensor<?x2x4x?xf32>, index, tensor<?x2x?x4xf32>
}
