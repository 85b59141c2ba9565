// RUN: bitnet-opt %s --bitnet-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// RUN: bitnet-opt %s --bitnet-pipeline=lower-to=linalg --convert-elementwise-to-linalg --bitnet-fuse-elementwise | FileCheck %s --check-prefix=FUSED

// bitnet-fuse-elementwise puts a multiply and the add of its product in one
// loop body; the result must still round the product before the add (no FMA
// contraction). a = b = 1 + 2^-12: a * b = 1 + 2^-11 + 2^-24 rounds (a tie,
// to even) to 1 + 2^-11, and adding c = -(1 + 2^-11) gives exactly 0. A
// fused multiply-add would give 2^-24 (bits 864026624).

func.func private @printMemrefI32(tensor<*xi32>)

// A function of its own, so that the canonicalizer cannot fold the
// constants through it.
// FUSED-LABEL: func.func @square_plus
// FUSED: linalg.generic
// FUSED: arith.mulf
// FUSED-NEXT: arith.addf
// FUSED-NOT: linalg.generic
// FUSED: func.func @main
func.func @square_plus(%a: tensor<2xf32>, %c: tensor<2xf32>) -> tensor<2xf32> {
  %p = arith.mulf %a, %a : tensor<2xf32>
  %s = arith.addf %p, %c : tensor<2xf32>
  return %s : tensor<2xf32>
}

func.func @main() {
  %a = arith.constant dense<[1.000244140625, 2.0]> : tensor<2xf32>
  %c = arith.constant dense<[-1.00048828125, 1.0]> : tensor<2xf32>
  %s = call @square_plus(%a, %c) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %bits = arith.bitcast %s : tensor<2xf32> to tensor<2xi32>
  %u = tensor.cast %bits : tensor<2xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  // CHECK-LABEL: sizes = [2]
  // CHECK-NEXT: [0, 1084227584]
  return
}
