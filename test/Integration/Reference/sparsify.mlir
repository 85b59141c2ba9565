// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution of the reference lowering of bitnet.sparsify. Kept entries are
// copied unchanged, the others become +0.0; results are printed as f32 bits
// (3.0 = 1077936128, -3.0 = -1069547520, 2.0 = 1073741824, 1.0 = 1065353216,
// -1.0 = -1082130432, -0.0 = -2147483648).

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @print_bits(%x: tensor<?x?xf32>) {
  %b = arith.bitcast %x : tensor<?x?xf32> to tensor<?x?xi32>
  %u = tensor.cast %b : tensor<?x?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @main() {
  // topk 0.5 of 8 keeps 4 per row; equal magnitudes: the lower index wins.
  // Row 0: |3| at 1, 2, 7, then |2| at 3 (not 4 or 5).
  // Row 1: all magnitudes equal -> indices 0..3.
  // Row 2: 1 at 2, then the zeros at 0, 1, 3 (+0.0 and -0.0 tie; -0.0 is
  //   copied as -0.0), the rest become +0.0.
  %x0 = arith.constant dense<[[1.0, -3.0, 3.0, 2.0, -2.0, 2.0, 0.5, -3.0],
                              [-1.0, 1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0],
                              [0.0, -0.0, 1.0, -0.0, -0.0, -0.0, -0.0, -0.0]]> : tensor<3x8xf32>
  %y0 = bitnet.sparsify %x0 topk 0.5 : tensor<3x8xf32>
  %y0d = tensor.cast %y0 : tensor<3x8xf32> to tensor<?x?xf32>
  call @print_bits(%y0d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 8]
  // CHECK-NEXT: {{\[}}[0, -1069547520, 1077936128, 1073741824, 0, 0, 0, -1069547520],
  // CHECK-NEXT: [-1082130432, 1065353216, -1082130432, 1065353216, 0, 0, 0, 0],
  // CHECK-NEXT: [0, -2147483648, 1065353216, -2147483648, 0, 0, 0, 0]]

  // topk 0.3 of 8: ceil(2.4) = 3, on a rank-3 input (one row per token).
  %x1 = arith.constant dense<[[[0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]],
                              [[8.0, 7.0, -6.0, 5.0, 4.0, 3.0, 2.0, 1.0]]]> : tensor<2x1x8xf32>
  %y1 = bitnet.sparsify %x1 topk 0.3 : tensor<2x1x8xf32>
  %y1u = tensor.cast %y1 : tensor<2x1x8xf32> to tensor<*xf32>
  call @printMemrefF32(%y1u) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 1, 8]
  // CHECK-NEXT: {{\[}}{{\[}}[0, 0, 0, 0, 0, -0.6, 0.7, -0.8]],
  // CHECK-NEXT: {{\[}}[8, 7, -6, 0, 0, 0, 0, 0]]]

  // The count is ceil(r * n) in f64: 0.28 * 25 = 7.000000000000001, so 8
  // entries (18..25) are kept (in f32 the product rounds to 7).
  %x2 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0,
                               14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0]]> : tensor<1x25xf32>
  %y2 = bitnet.sparsify %x2 topk 0.28 : tensor<1x25xf32>
  %y2u = tensor.cast %y2 : tensor<1x25xf32> to tensor<*xf32>
  call @printMemrefF32(%y2u) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 25]
  // CHECK-NEXT: {{\[}}[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 18, 19, 20, 21, 22, 23, 24, 25]]

  // threshold 0.5 keeps |x| >= 0.5: 0.5 and -0.5 exactly (ties kept),
  // 0.49999997 (0x3EFFFFFF) dropped, 0.50000006 (0x3F000001) kept; -0.0
  // becomes +0.0.
  %x3 = arith.constant dense<[[0.5, -0.5, 0x3EFFFFFF, -0.75, 0.0, 2.0, -0.0, 0x3F000001]]> : tensor<1x8xf32>
  %y3 = bitnet.sparsify %x3 threshold 0.5 : tensor<1x8xf32>
  %y3d = tensor.cast %y3 : tensor<1x8xf32> to tensor<?x?xf32>
  call @print_bits(%y3d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[1056964608, -1090519040, 0, -1086324736, 0, 1073741824, 0, 1056964609]]

  // The threshold is compared in f64: f32(0.1) = 0.10000000149011612 is
  // below t = 0.1000000015 (which would round to f32(0.1)) and dropped;
  // 0x3DCCCCCE = 0.10000000894 is kept, with either sign.
  %x4 = arith.constant dense<[[0x3DCCCCCD, 0x3DCCCCCE, 0xBDCCCCCE, 1.0]]> : tensor<1x4xf32>
  %y4 = bitnet.sparsify %x4 threshold 0.1000000015 : tensor<1x4xf32>
  %y4d = tensor.cast %y4 : tensor<1x4xf32> to tensor<?x?xf32>
  call @print_bits(%y4d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 4]
  // CHECK-NEXT: {{\[}}[0, 1036831950, -1110651698, 1065353216]]

  // threshold 0 keeps everything, -0.0 and the smallest denormal included.
  %x5 = arith.constant dense<[[0.0, -0.0, -1.0, 0x00000001]]> : tensor<1x4xf32>
  %y5 = bitnet.sparsify %x5 threshold 0.0 : tensor<1x4xf32>
  %y5d = tensor.cast %y5 : tensor<1x4xf32> to tensor<?x?xf32>
  call @print_bits(%y5d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 4]
  // CHECK-NEXT: {{\[}}[0, -2147483648, -1082130432, 1]]
  return
}
