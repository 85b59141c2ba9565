// RUN: bitnet-opt %s --convert-bitnet-to-linalg --split-input-file -verify-diagnostics

// The reference lowering only reads the plain and int8 layouts; a matmul in a kernel
// layout must name its kernel (the verifier says so first).
func.func @ternary_matmul_i2(%q: tensor<4x8xi8>) -> tensor<4x2xi32> {
  // expected-error @+1 {{'bitnet.ternary_matmul' op a weight in the i2 layout needs a kernel (the reference reads plain or int8)}}
  %a = bitnet.ternary_matmul %q, <2x8, i2, scales = dense<1.0> : tensor<1xf32>, data = dense_resource<wi2> : tensor<256xi8>> : tensor<4x8xi8>
  return %a : tensor<4x2xi32>
}
{-#
  dialect_resources: {
    builtin: {
      wi2: "0x0100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

func.func @bitlinear_lut(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'bitnet.bitlinear' op the reference lowering reads the plain or int8 weight layout, got lut}}
  %y = bitnet.bitlinear %x, <2x8, lut, scales = dense<1.0> : tensor<1xf32>, data = dense_resource<wlut> : tensor<6xi8>>, <bits = 8, method = absmax, granularity = per_token> : tensor<4x8xf32>
  return %y : tensor<4x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      wlut: "0x01000000000000000000"
    }
  }
#-}

// -----

// A resource declared but never given bytes (e.g. printed with elided
// resources) cannot be lowered.
func.func @missing_weight_bytes(%q: tensor<2x8xi8>) -> tensor<3xi32> {
  // expected-error @+1 {{the bytes of weight resource 'missing' are not available}}
  %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<missing> : tensor<6xi8>> : tensor<2x8xi8>
  %c = arith.constant dense<0> : tensor<3xi32>
  return %c : tensor<3xi32>
}
