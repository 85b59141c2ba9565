// RUN: bitnet-opt %s --split-input-file --bitnet-vectorizable-loop-order | FileCheck %s

// A MatMul as the importer writes it, loops (b, m, n, k): n moves innermost,
// after the reduction, so the inner loop runs along the contiguous output
// and weight rows.
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
func.func @matmul(%a: tensor<2x3x8xf32>, %b: tensor<8x16xf32>) -> tensor<2x3x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  %r = linalg.generic {
      indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>,
                       affine_map<(b, m, n, k) -> (k, n)>,
                       affine_map<(b, m, n, k) -> (b, m, n)>],
      iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<2x3x8xf32>, tensor<8x16xf32>) outs(%init : tensor<2x3x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x3x16xf32>
  return %r : tensor<2x3x16xf32>
}

// -----

// Q·Kᵀ reads K [n, k]: n is not K's innermost dimension, so the order stays.
// CHECK-LABEL: func.func @transposed_operand
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
func.func @transposed_operand(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %init: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                       affine_map<(m, n, k) -> (n, k)>,
                       affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<4x8xf32>, tensor<6x8xf32>) outs(%init : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}

// -----

// A reduction to a keepdims output (softmax's max) has no parallel
// innermost output dimension to move: unchanged.
// CHECK-LABEL: func.func @row_max
// CHECK: iterator_types = ["parallel", "reduction"]
func.func @row_max(%x: tensor<4x8xf32>, %init: tensor<4x1xf32>) -> tensor<4x1xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(m, k) -> (m, k)>,
                       affine_map<(m, k) -> (m, 0)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x8xf32>) outs(%init : tensor<4x1xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.maximumf %acc, %v : f32
    linalg.yield %m : f32
  } -> tensor<4x1xf32>
  return %r : tensor<4x1xf32>
}
