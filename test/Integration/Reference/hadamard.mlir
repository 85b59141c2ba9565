// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution of the reference lowering of bitnet.hadamard: butterflies over
// distances 1, 2, ..., B/2 ((a, b) -> (a + b, a - b)), then one
// multiplication by f32(1 / sqrt(B)). Results are printed as f32 bits:
// f32(1/sqrt(2)) = 0.70710677 (1060439283), f32(1/sqrt(32)) = 0.17677669
// (1043662067, negated -1103821581).

func.func private @printMemrefI32(tensor<*xi32>)

func.func @print_bits(%x: tensor<?x?xf32>) {
  %b = arith.bitcast %x : tensor<?x?xf32> to tensor<?x?xi32>
  %u = tensor.cast %b : tensor<?x?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

// Out-of-line transforms, so that hadamard(hadamard(x)) is executed rather
// than folded to x.
func.func @h2(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %y = bitnet.hadamard %x block 2 : tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
func.func @h4(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %y = bitnet.hadamard %x block 4 : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
func.func @h32(%x: tensor<3x32xf32>) -> tensor<3x32xf32> {
  %y = bitnet.hadamard %x block 32 : tensor<3x32xf32>
  return %y : tensor<3x32xf32>
}

func.func @main() {
  // Block 1 is the identity (-0.0 and the 1e-3 bits survive).
  %x1 = arith.constant dense<[[1.5, -2.0, 1.0e-3, -0.0]]> : tensor<1x4xf32>
  %y1 = bitnet.hadamard %x1 block 1 : tensor<1x4xf32>
  %y1d = tensor.cast %y1 : tensor<1x4xf32> to tensor<?x?xf32>
  call @print_bits(%y1d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 4]
  // CHECK-NEXT: {{\[}}[1069547520, -1073741824, 981668463, -2147483648]]

  // Block 2: (1, 2) -> (3, -1) * 0.70710677 = 2.1213202, -0.70710677;
  // (3, 5) -> (8, -2) * 0.70710677 = 5.656854, -1.4142135.
  %x2 = arith.constant dense<[[1.0, 2.0, 3.0, 5.0], [0.5, -0.25, 1.0e-3, 7.0]]> : tensor<2x4xf32>
  %y2 = call @h2(%x2) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %y2d = tensor.cast %y2 : tensor<2x4xf32> to tensor<?x?xf32>
  call @print_bits(%y2d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[1074250678, -1087044365, 1085605107, -1078655757],
  // CHECK-NEXT: [1043662067, 1057473462, 1084123679, -1063362934]]
  // Applied twice: x up to rounding (1 -> 0.99999988, 2 -> 1.9999999, ...).
  %z2 = call @h2(%y2) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %z2d = tensor.cast %z2 : tensor<2x4xf32> to tensor<?x?xf32>
  call @print_bits(%z2d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[1065353214, 1073741823, 1077936127, 1084227584],
  // CHECK-NEXT: [1056964607, -1098907650, 981666085, 1088421887]]

  // Block 4 on two blocks: 0.5 * H4 [1, 2, 3, 4] = [5, -1, -2, 0] and
  // 0.5 * H4 [-1, 0.5, 0, 2] = [0.75, -1.75, -1.25, 0.25]; the scale 0.5 is
  // exact, so applying it twice gives x back exactly.
  %x4 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, -1.0, 0.5, 0.0, 2.0]]> : tensor<1x8xf32>
  %y4 = call @h4(%x4) : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %y4d = tensor.cast %y4 : tensor<1x8xf32> to tensor<?x?xf32>
  call @print_bits(%y4d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[1084227584, -1082130432, -1073741824, 0, 1061158912, -1075838976, -1080033280, 1048576000]]
  %z4 = call @h4(%y4) : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %z4d = tensor.cast %z4 : tensor<1x8xf32> to tensor<?x?xf32>
  call @print_bits(%z4d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [1, 8]
  // CHECK-NEXT: {{\[}}[1065353216, 1073741824, 1077936128, 1082130432, -1082130432, 1056964608, 0, 1073741824]]

  // Block 32. Row 0 (all ones) -> [32 * 0.17677669 = 5.656854, 0, ...];
  // row 1 (e_5) -> row 5 of H32 / sqrt(32): +-0.17677669 with the sign
  // (-1)^popcount(i & 5); row 2 = [-16, ..., 15].
  %x32 = arith.constant dense<[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [-16.0, -15.0, -14.0, -13.0, -12.0, -11.0, -10.0, -9.0, -8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]> : tensor<3x32xf32>
  %y32 = call @h32(%x32) : (tensor<3x32xf32>) -> tensor<3x32xf32>
  %y32d = tensor.cast %y32 : tensor<3x32xf32> to tensor<?x?xf32>
  call @print_bits(%y32d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 32]
  // CHECK-NEXT: {{\[}}[1085605107, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  // CHECK-NEXT: [1043662067, -1103821581, 1043662067, -1103821581, -1103821581, 1043662067, -1103821581, 1043662067, 1043662067, -1103821581, 1043662067, -1103821581, -1103821581, 1043662067, -1103821581, 1043662067, 1043662067, -1103821581, 1043662067, -1103821581, -1103821581, 1043662067, -1103821581, 1043662067, 1043662067, -1103821581, 1043662067, -1103821581, -1103821581, 1043662067, -1103821581, 1043662067],
  // CHECK-NEXT: [-1070267149, -1070267149, -1061878541, 0, -1053489933, 0, 0, 0, -1045101325, 0, 0, 0, 0, 0, 0, 0, -1036712717, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]
  // Applied twice: 32 * 0.17677669^2 is not 1, so ones come back as
  // 0.99999994 (1065353215) and 0 stays 0.
  %z32 = call @h32(%y32) : (tensor<3x32xf32>) -> tensor<3x32xf32>
  %z32d = tensor.cast %z32 : tensor<3x32xf32> to tensor<?x?xf32>
  call @print_bits(%z32d) : (tensor<?x?xf32>) -> ()
  // CHECK-LABEL: sizes = [3, 32]
  // CHECK-NEXT: {{\[}}[1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215],
  // CHECK-NEXT: [0, 0, 0, 0, 0, 1065353215, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  // CHECK-NEXT: [-1048576001, -1049624576, -1050673153, -1051721728, -1052770305, -1053818880, -1054867456, -1055916032, -1056964609, -1059061761, -1061158913, -1063256064, -1065353217, -1069547521, -1073741824, -1082130429, 0, 1065353219, 1073741824, 1077936127, 1082130431, 1084227584, 1086324735, 1088421887, 1090519039, 1091567616, 1092616192, 1093664768, 1094713343, 1095761920, 1096810495, 1097859072]]
  return
}
