// RUN: bitnet-opt %s --split-input-file --bitnet-block-weight-columns | FileCheck %s

// An int8 LM head after bitnet-vectorizable-loop-order, loops (m, k, n): the
// constant W[8, 32] becomes two column blocks of 16, [2, 8, 16] (block 0
// holds columns 0-15 of rows 0-7, then block 1 columns 16-31), nb runs
// outside k, and the scales and the output are viewed as [.., 2, 16].
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
// CHECK-DAG: #[[W:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[S:.+]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d3)>
// CHECK-DAG: #[[Y:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @int8_head
// CHECK-SAME: (%[[XV:.+]]: tensor<?x8xf32>, %[[SV:.+]]: tensor<1x32xf32>, %[[INIT:.+]]: tensor<?x32xf32>)
// CHECK-DAG: %[[WB:.+]] = arith.constant dense_resource<head_columns> : tensor<2x8x16xi8>
// CHECK-DAG: %[[SB:.+]] = tensor.expand_shape %[[SV]] {{\[\[}}0], [1, 2]] output_shape [1, 2, 16] : tensor<1x32xf32> into tensor<1x2x16xf32>
// CHECK-DAG: %[[IB:.+]] = tensor.expand_shape %[[INIT]] {{\[\[}}0], [1, 2]] output_shape [%{{.+}}, 2, 16] : tensor<?x32xf32> into tensor<?x2x16xf32>
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[S]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[XV]], %[[WB]], %[[SB]] : tensor<?x8xf32>, tensor<2x8x16xi8>, tensor<1x2x16xf32>) outs(%[[IB]] : tensor<?x2x16xf32>)
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[OUT:.+]] = tensor.collapse_shape %[[R]] {{\[\[}}0], [1, 2]] : tensor<?x2x16xf32> into tensor<?x32xf32>
// CHECK: return %[[OUT]]
// CHECK: head_columns: "0x01000000000102030405060708090A0B0C0D0E0F202122232425262728292A2B2C2D2E2F404142434445464748494A4B4C4D4E4F606162636465666768696A6B6C6D6E6F808182838485868788898A8B8C8D8E8FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF101112131415161718191A1B1C1D1E1F303132333435363738393A3B3C3D3E3F505152535455565758595A5B5C5D5E5F707172737475767778797A7B7C7D7E7F909192939495969798999A9B9C9D9E9FB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF"
func.func @int8_head(%x: tensor<?x8xf32>, %s: tensor<1x32xf32>, %init: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %w = arith.constant dense_resource<head> : tensor<8x32xi8>
  %r = linalg.generic {
      indexing_maps = [affine_map<(m, k, n) -> (m, k)>,
                       affine_map<(m, k, n) -> (k, n)>,
                       affine_map<(m, k, n) -> (0, n)>,
                       affine_map<(m, k, n) -> (m, n)>],
      iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w, %s : tensor<?x8xf32>, tensor<8x32xi8>, tensor<1x32xf32>)
      outs(%init : tensor<?x32xf32>) {
  ^bb0(%a: f32, %q: i8, %g: f32, %acc: f32):
    %f = arith.sitofp %q : i8 to f32
    %d = arith.mulf %f, %g : f32
    %p = arith.mulf %a, %d : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

{-#
  dialect_resources: {
    builtin: {
      head: "0x01000000000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF"
    }
  }
#-}

// -----

// 24 columns do not split into two blocks of 16: unchanged.
// CHECK-LABEL: func.func @ragged_columns
// CHECK-NOT: expand_shape
// CHECK: iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME: tensor<8x24xi8>
func.func @ragged_columns(%x: tensor<2x8xf32>, %init: tensor<2x24xf32>) -> tensor<2x24xf32> {
  %w = arith.constant dense_resource<ragged> : tensor<8x24xi8>
  %r = linalg.generic {
      indexing_maps = [affine_map<(m, k, n) -> (m, k)>,
                       affine_map<(m, k, n) -> (k, n)>,
                       affine_map<(m, k, n) -> (m, n)>],
      iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<2x8xf32>, tensor<8x24xi8>) outs(%init : tensor<2x24xf32>) {
  ^bb0(%a: f32, %q: i8, %acc: f32):
    %f = arith.sitofp %q : i8 to f32
    %p = arith.mulf %a, %f : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<2x24xf32>
  return %r : tensor<2x24xf32>
}

{-#
  dialect_resources: {
    builtin: {
      ragged: "0x01000000000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"
    }
  }
#-}

// -----

// A weight that is not a constant (an activation, e.g. attention's V) keeps
// its layout.
// CHECK-LABEL: func.func @runtime_operand
// CHECK-NOT: expand_shape
// CHECK: iterator_types = ["parallel", "reduction", "parallel"]
func.func @runtime_operand(%p: tensor<4x8xf32>, %v: tensor<8x32xf32>, %init: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(m, k, n) -> (m, k)>,
                       affine_map<(m, k, n) -> (k, n)>,
                       affine_map<(m, k, n) -> (m, n)>],
      iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%p, %v : tensor<4x8xf32>, tensor<8x32xf32>) outs(%init : tensor<4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %acc, %m : f32
    linalg.yield %t : f32
  } -> tensor<4x32xf32>
  return %r : tensor<4x32xf32>
}
