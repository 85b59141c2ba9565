// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution of the reference lowering of bitnet.rescale:
// y = (f32(acc) / act_scale) * weight_scale, in exactly this order in f32.
// Results are printed as f32 bits.

func.func private @printMemrefI32(tensor<*xi32>)

func.func @main() {
  // Per-token act scale 0.3, one weight scale 0.7. The first two columns of
  // both rows are values where the order matters: (15 / 0.3) * 0.7 =
  // 1108082687, while 15 * (0.7 / 0.3) and (15 * 0.7) / 0.3 both give
  // 1108082688; likewise 27 -> 1115422720 (not ...719), 25 -> 1114199380
  // (not ...381), 30 -> 1116471295 (not ...296). f32(16777217) = 2^24 and
  // f32(-16777219) = -16777220 (round to nearest even); -2^31 is exact.
  %acc = arith.constant dense<[[15, 27, 16777217, -16777219], [25, 30, 0, -2147483648]]> : tensor<2x4xi32>
  %s = arith.constant dense<[[0.3], [0.3]]> : tensor<2x1xf32>
  %g = arith.constant dense<0.7> : tensor<1xf32>
  %y = bitnet.rescale %acc, %s, %g : tensor<2x4xi32>, tensor<2x1xf32>, tensor<1xf32>
  %yb = arith.bitcast %y : tensor<2x4xf32> to tensor<2x4xi32>
  %yu = tensor.cast %yb : tensor<2x4xi32> to tensor<*xi32>
  call @printMemrefI32(%yu) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[1108082687, 1115422720, 1276466517, -871017129],
  // CHECK-NEXT: [1114199380, 1116471295, 0, -812296875]]

  // Per-tensor act scale (1x1x1 = 1.5) and per-channel weight scales
  // [1, 0.1, 3] on a rank-3 accumulator: 3 / 1.5 * 1 = 2, (-6 / 1.5) * 0.1 =
  // -0.4 (-1093874483; -6 * (0.1 / 1.5) would be -1093874482), 18;
  // 0.6666667, 0.13333334, -8.
  %acc3 = arith.constant dense<[[[3, -6, 9]], [[1, 2, -4]]]> : tensor<2x1x3xi32>
  %s3 = arith.constant dense<1.5> : tensor<1x1x1xf32>
  %g3 = arith.constant dense<[1.0, 0.1, 3.0]> : tensor<3xf32>
  %y3 = bitnet.rescale %acc3, %s3, %g3 : tensor<2x1x3xi32>, tensor<1x1x1xf32>, tensor<3xf32>
  %y3b = arith.bitcast %y3 : tensor<2x1x3xf32> to tensor<2x1x3xi32>
  %y3u = tensor.cast %y3b : tensor<2x1x3xi32> to tensor<*xi32>
  call @printMemrefI32(%y3u) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [2, 1, 3]
  // CHECK-NEXT: {{\[}}{{\[}}[1073741824, -1093874483, 1099956224]],
  // CHECK-NEXT: {{\[}}[1059760811, 1040746633, -1056964608]]]

  // N = 1 with a single weight scale: the accumulator's last dimension is 1.
  %acc1 = arith.constant dense<[[7], [-7]]> : tensor<2x1xi32>
  %s1 = arith.constant dense<[[2.0], [0.5]]> : tensor<2x1xf32>
  %g1 = arith.constant dense<3.0> : tensor<1xf32>
  %y1 = bitnet.rescale %acc1, %s1, %g1 : tensor<2x1xi32>, tensor<2x1xf32>, tensor<1xf32>
  %y1b = arith.bitcast %y1 : tensor<2x1xf32> to tensor<2x1xi32>
  %y1u = tensor.cast %y1b : tensor<2x1xi32> to tensor<*xi32>
  call @printMemrefI32(%y1u) : (tensor<*xi32>) -> ()
  // 7 / 2 * 3 = 10.5 (1093140480), -7 / 0.5 * 3 = -42 (-1037565952).
  // CHECK-LABEL: sizes = [2, 1]
  // CHECK-NEXT: {{\[}}[1093140480],
  // CHECK-NEXT: [-1037565952]]
  return
}
