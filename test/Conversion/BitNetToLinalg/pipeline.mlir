// RUN: bitnet-opt %s '--bitnet-pipeline=kernel=reference lower-to=llvm' | FileCheck %s --check-prefix=LLVM
// RUN: bitnet-opt %s '--bitnet-pipeline=kernel=reference lower-to=linalg' | FileCheck %s --check-prefix=LINALG

// lower-to=llvm leaves only LLVM dialect operations; the packed weight is a
// byte global initialised from the same resource.
// LLVM-NOT: {{(^|[^._a-z])(bitnet|linalg|tensor|memref|arith|math|scf|cf|func|affine|bufferization|index)\.[a-z_]+}}
// LLVM-NOT: unrealized_conversion_cast
// LLVM: llvm.mlir.global private constant @{{.+}}(dense_resource<w> : tensor<3x2xi8>) {{.+}} : !llvm.array<3 x array<2 x i8>>
// LLVM-NOT: {{(^|[^._a-z])(bitnet|linalg|tensor|memref|arith|math|scf|cf|func|affine|bufferization|index)\.[a-z_]+}}
// LLVM-NOT: unrealized_conversion_cast
// LLVM-NOT: array<8 x f32>
// LLVM-LABEL: llvm.func @bitlinear
// LLVM-NOT: {{(^|[^._a-z])(bitnet|linalg|tensor|memref|arith|math|scf|cf|func|affine|bufferization|index)\.[a-z_]+}}
// LLVM-NOT: unrealized_conversion_cast
// LLVM: llvm.intr.roundeven
// LLVM-NOT: {{(^|[^._a-z])(bitnet|linalg|tensor|memref|arith|math|scf|cf|func|affine|bufferization|index)\.[a-z_]+}}
// LLVM-NOT: unrealized_conversion_cast
// LLVM: llvm.fptosi
// LLVM-NOT: {{(^|[^._a-z])(bitnet|linalg|tensor|memref|arith|math|scf|cf|func|affine|bufferization|index)\.[a-z_]+}}
// LLVM-NOT: unrealized_conversion_cast
// LLVM: llvm.return
// LLVM-NOT: {{(^|[^._a-z])(bitnet|linalg|tensor|memref|arith|math|scf|cf|func|affine|bufferization|index)\.[a-z_]+}}
// LLVM-NOT: unrealized_conversion_cast
// LLVM: w: "0x01000000A6AA55555555"

// lower-to=linalg stops on tensors.
// LINALG-LABEL: func.func @bitlinear
// LINALG-NOT: bitnet.
// LINALG: arith.constant dense_resource<w> : tensor<3x2xi8>
// LINALG: linalg.generic
// LINALG-NOT: bitnet.
// LINALG-NOT: memref
// LINALG: return %{{.+}} : tensor<2x5x3xf32>
func.func @bitlinear(%x: tensor<2x5x8xf32>) -> tensor<2x5x3xf32> {
  %y = bitnet.bitlinear %x, <3x8, plain, scales = dense<[0.5, 0.25, 1.0]> : tensor<3xf32>, data = dense_resource<w> : tensor<6xi8>>, <bits = 4, method = absmean, granularity = per_token> hadamard 4 topk 0.5 : tensor<2x5x8xf32>
  return %y : tensor<2x5x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}
