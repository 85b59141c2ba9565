// RUN: bitnet-opt %s --split-input-file --bitnet-select-kernels='cpu-features=avx2' | FileCheck %s --check-prefix=AVX2
// RUN: bitnet-opt %s --split-input-file --bitnet-select-kernels | FileCheck %s --check-prefix=BASE
// RUN: bitnet-opt %s --split-input-file --bitnet-select-kernels='cpu-features={avx2 avx512vnni avx512vl avx512bw}' | FileCheck %s --check-prefix=VNNI
// RUN: bitnet-opt %s --split-input-file --bitnet-select-kernels='kernel=reference cpu-features=avx2' | FileCheck %s --check-prefix=REF
// RUN: bitnet-opt %s --split-input-file --bitnet-select-kernels='cpu-features=avx2 print-plan' -o /dev/null 2>&1 | FileCheck %s --check-prefix=PLAN
// RUN: not bitnet-opt %s --split-input-file --bitnet-select-kernels='kernel=lut' -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// The weight is repacked into the i2 layout (128 columns per 32-byte block,
// byte j holding columns j, 32 + j, 64 + j, 96 + j; tiles of 4 rows, each
// row's blocks in 64-byte units): row 0 = codes 2 1 2 2 2 2 2 2
// (w = 1 0 1 1 1 1 1 1), rows 1, 2 and the tile's padding row 3 = zero
// weights (code 1, bytes 0x55). A weight used twice is packed once.
// AVX2-LABEL: func.func @x86
// AVX2: %[[A:.+]] = bitnet.ternary_matmul %{{.+}}, <3x8, i2, scales = dense<5.000000e-01> : tensor<1xf32>, data = dense_resource<w_i2> : tensor<256xi8>> {kernel = "i2.x86_64_avx2"}
// AVX2: %[[B:.+]] = bitnet.ternary_matmul %{{.+}}, <3x8, i2, {{.+}} data = dense_resource<w_i2> : tensor<256xi8>> {act_bits = 4 : i64, kernel = "i2.x86_64_avx2"}
// AVX2: w_i2: "0x0100000056555656565656565555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
// BASE: kernel = "i2.x86_64_generic"
// VNNI: kernel = "i2.x86_64_avx512vnni"
// REF-NOT: kernel =
// REF: <3x8, plain
// PLAN: remark: kernel i2.x86_64_avx2 for 3x8 weight
// BAD: bitnet-select-kernels: unknown kernel family 'lut' (expected auto, int2 or reference)
module attributes {bitnet.target = #bitnet.target<triple = "x86_64-unknown-linux-gnu", cpu = "x86-64-v3">} {
  func.func @x86(%q: tensor<2x5x8xi8>) -> (tensor<2x5x3xi32>, tensor<2x5x3xi32>) {
    %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<2x5x8xi8>
    %b = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> {act_bits = 4 : i64} : tensor<2x5x8xi8>
    return %a, %b : tensor<2x5x3xi32>, tensor<2x5x3xi32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// The target's own "+feature" entries count; other ISAs get their variants;
// without a target nothing is chosen (nothing reads the host).
// AVX2-LABEL: func.func @aarch64
// AVX2: kernel = "i2.aarch64_dotprod"
// BASE-LABEL: func.func @aarch64
// BASE: kernel = "i2.aarch64_dotprod"
module attributes {bitnet.target = #bitnet.target<triple = "aarch64-unknown-linux-gnu", cpu = "generic", features = "+neon,+dotprod">} {
  func.func @aarch64(%q: tensor<1x8xi8>) -> tensor<1x3xi32> {
    %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<1x8xi8>
    return %a : tensor<1x3xi32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// BASE-LABEL: func.func @riscv
// BASE: kernel = "i2.riscv64_generic"
module attributes {bitnet.target = #bitnet.target<triple = "riscv64-unknown-linux-gnu">} {
  func.func @riscv(%q: tensor<1x8xi8>) -> tensor<1x3xi32> {
    %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<1x8xi8>
    return %a : tensor<1x3xi32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// BASE-LABEL: func.func @no_target
// BASE-NOT: kernel =
module {
  func.func @no_target(%q: tensor<1x8xi8>) -> tensor<1x3xi32> {
    %a = bitnet.ternary_matmul %q, <3x8, plain, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w> : tensor<6xi8>> : tensor<1x8xi8>
    return %a : tensor<1x3xi32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000A6AA55555555"
    }
  }
#-}

// -----

// An 8-bit weight takes the int8 family and is repacked into the i8 layout:
// codes w + 128 (the sign bit flipped), 64 columns per unit, tiles of 4 rows
// interleaved by unit; padding columns and the tile's padding row 3 hold the
// zero code 0x80. Rows: 1 -1 127 -128 0 0 0 0 / zeros / 5 x 8.
// AVX2-LABEL: func.func @int8_weight
// AVX2: bitnet.ternary_matmul %{{.+}}, <3x8, i8, scales = dense<5.000000e-01> : tensor<1xf32>, data = dense_resource<w8_i8> : tensor<256xi8>> {kernel = "i8.x86_64_avx2"}
// AVX2: w8_i8: "0x01000000817FFF0080808080{{((80){56})}}{{((80){64})}}8585858585858585{{((80){56})}}{{((80){64})}}"
// BASE-LABEL: func.func @int8_weight
// BASE: kernel = "i8.x86_64_generic"
// VNNI-LABEL: func.func @int8_weight
// VNNI: kernel = "i8.x86_64_avx512vnni"
// REF-LABEL: func.func @int8_weight
// REF-NOT: kernel =
// REF: <3x8, int8
// PLAN: remark: kernel i8.x86_64_avx2 for 3x8 weight
module attributes {bitnet.target = #bitnet.target<triple = "x86_64-unknown-linux-gnu", cpu = "x86-64-v3">} {
  func.func @int8_weight(%q: tensor<2x8xi8>) -> tensor<2x3xi32> {
    %a = bitnet.ternary_matmul %q, <3x8, int8, scales = dense<0.5> : tensor<1xf32>, data = dense_resource<w8> : tensor<24xi8>> : tensor<2x8xi8>
    return %a : tensor<2x3xi32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      w8: "0x0100000001FF7F800000000000000000000000000505050505050505"
    }
  }
#-}
