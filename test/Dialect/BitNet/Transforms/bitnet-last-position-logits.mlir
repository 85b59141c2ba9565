// RUN: bitnet-opt %s --split-input-file --bitnet-last-position-logits | FileCheck %s

// The LM head (and the elementwise op before it) run on the last position.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> tensor<?x1x6xf32>
// CHECK: %[[LAST:.+]] = arith.subi
// CHECK: %[[H:.+]] = tensor.extract_slice %{{.+}}[0, %[[LAST]], 0] [%{{.+}}, 1, 4] [1, 1, 1] : tensor<?x?x4xf32> to tensor<?x1x4xf32>
// CHECK: linalg.generic {{.+}} ins(%[[H]] : tensor<?x1x4xf32>)
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<?x1x4xf32>, tensor<4x6xf32>) outs(%{{.+}} : tensor<?x1x6xf32>)
// CHECK-NOT: tensor<?x?x6xf32>
// CHECK: return %{{.+}} : tensor<?x1x6xf32>
func.func @main(%h: tensor<?x?x4xf32>, %w: tensor<4x6xf32>) -> tensor<?x?x6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %b = tensor.dim %h, %c0 : tensor<?x?x4xf32>
  %s = tensor.dim %h, %c1 : tensor<?x?x4xf32>
  %e0 = tensor.empty(%b, %s) : tensor<?x?x4xf32>
  %relu = linalg.generic {
      indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>,
                       affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
      iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h : tensor<?x?x4xf32>) outs(%e0 : tensor<?x?x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.maximumf %x, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x?x4xf32>
  %e = tensor.empty(%b, %s) : tensor<?x?x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?x6xf32>) -> tensor<?x?x6xf32>
  %r = linalg.generic {
      indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>,
                       affine_map<(b, m, n, k) -> (k, n)>,
                       affine_map<(b, m, n, k) -> (b, m, n)>],
      iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%relu, %w : tensor<?x?x4xf32>, tensor<4x6xf32>) outs(%init : tensor<?x?x6xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %sum = arith.addf %acc, %p : f32
    linalg.yield %sum : f32
  } -> tensor<?x?x6xf32>
  return %r : tensor<?x?x6xf32>
}

// -----

// Not [batch, seq, vocab]: unchanged.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> tensor<?x6xf32>
// CHECK-NOT: extract_slice
func.func @main(%x: tensor<?x6xf32>) -> tensor<?x6xf32> {
  return %x : tensor<?x6xf32>
}

// -----

// A W8A8 LM head (a bitlinear with an int8 weight, per-token scales) runs on
// the last position, and so does the elementwise op before it.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> tensor<?x1x6xf32>
// CHECK: %[[LAST:.+]] = arith.subi
// CHECK: %[[H:.+]] = tensor.extract_slice %{{.+}}[0, %[[LAST]], 0] [%{{.+}}, 1, 4] [1, 1, 1] : tensor<?x?x4xf32> to tensor<?x1x4xf32>
// CHECK: %[[RELU:.+]] = linalg.generic {{.+}} ins(%[[H]] : tensor<?x1x4xf32>)
// CHECK: %[[Y:.+]] = bitnet.bitlinear %[[RELU]], <6x4, int8, {{.+}}> : tensor<?x1x4xf32>
// CHECK-NOT: tensor<?x?x6xf32>
// CHECK: return %[[Y]] : tensor<?x1x6xf32>
func.func @main(%h: tensor<?x?x4xf32>) -> tensor<?x?x6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %b = tensor.dim %h, %c0 : tensor<?x?x4xf32>
  %s = tensor.dim %h, %c1 : tensor<?x?x4xf32>
  %e0 = tensor.empty(%b, %s) : tensor<?x?x4xf32>
  %relu = linalg.generic {
      indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>,
                       affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
      iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h : tensor<?x?x4xf32>) outs(%e0 : tensor<?x?x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.maximumf %x, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x?x4xf32>
  %r = bitnet.bitlinear %relu, <6x4, int8, scales = dense<0.5> : tensor<1xf32>,
         data = dense_resource<w6x4> : tensor<24xi8>>,
         <bits = 8, method = absmax, granularity = per_token> : tensor<?x?x4xf32>
  return %r : tensor<?x?x6xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w6x4: "0x0100000001FE03FC05FA07F809F60BF40DF20FF011EE13EC15EA17E8"
    }
  }
#-}
// -----

// Per-tensor activation scales depend on every position: the head is not
// sliced (the slice stays after it).
// CHECK-LABEL: func.func @main
// CHECK: %[[Y:.+]] = bitnet.bitlinear %{{.+}} : tensor<?x?x4xf32>
// CHECK: %[[S:.+]] = tensor.extract_slice %[[Y]]
// CHECK: return %[[S]] : tensor<?x1x6xf32>
func.func @main(%h: tensor<?x?x4xf32>) -> tensor<?x?x6xf32> {
  %r = bitnet.bitlinear %h, <6x4, int8, scales = dense<0.5> : tensor<1xf32>,
         data = dense_resource<w6x4> : tensor<24xi8>>,
         <bits = 8, method = absmax, granularity = per_tensor> : tensor<?x?x4xf32>
  return %r : tensor<?x?x6xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w6x4: "0x0100000001FE03FC05FA07F809F60BF40DF20FF011EE13EC15EA17E8"
    }
  }
#-}
