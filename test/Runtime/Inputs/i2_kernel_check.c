//===- i2_kernel_check.c - Every int2 kernel variant against a scalar sum -===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Links the runtime object of one ISA and runs each int2 variant of that ISA
// the CPU can execute on ragged shapes (K around the 128-weight block, N
// around the 4-row tile), extreme activations, strided activations and 1 or
// 3 threads. The oracle is Σ_k q·w over an int8 weight matrix, packed here
// into the i2 layout independently of the compiler's packer. Prints one line
// per variant: "<name>: <cases> ok" or "skipped (cpu)"; exits 1 on the
// first mismatch.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/I2Layout.h"
#include "kernel_check.h"

// Every registered int2 variant.
#define BITNET_I2_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  extern void _mlir_ciface_bitnet_i2_matmul_##NAME(                           \
      const BitNetMemRef2DI8 *, const BitNetMemRef1DU8 *, BitNetMemRef2DI32 *) \
      __attribute__((weak));
#include "bitnet/Kernels/Kernels.def"
#define BITNET_I2_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  {#NAME, #ARCH, FEATURES, _mlir_ciface_bitnet_i2_matmul_##NAME},
static const Variant kAll[] = {
#include "bitnet/Kernels/Kernels.def"
};

/// The i2 layout of W[rows, cols] (values in {-1, 0, 1}).
static uint8_t *packI2(const int8_t *w, int64_t rows, int64_t cols) {
  int64_t bytes = bitnetI2PackedBytes(rows, cols);
  uint8_t *packed = malloc((size_t)bytes + 1);
  memset(packed, 0x55, (size_t)bytes);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      uint8_t *byte = packed + bitnetI2CodeByte(r, k, cols);
      unsigned shift = 2 * (unsigned)(k % 128 / 32);
      *byte = (uint8_t)((*byte & ~(3u << shift)) |
                        ((unsigned)(w[r * cols + k] + 1) << shift));
    }
  return packed;
}

/// One case; `mode` 0 random, 1 all -128 / all +1 weights, 2 all 127 / -1,
/// 3 all 127 / all +1: the extremes of every partial sum the kernels keep.
static int runCase(const Variant *v, int64_t tokens, int64_t cols,
                   int64_t rows, int mode, int64_t rowPad, int colStride) {
  int8_t *w = malloc((size_t)(rows * cols));
  for (int64_t i = 0; i < rows * cols; ++i)
    w[i] = mode == 1 || mode == 3 ? 1 : mode == 2 ? -1
                                              : (int8_t)(next32() % 3) - 1;
  int64_t rowStride = cols * colStride + rowPad;
  int8_t *qData = malloc((size_t)(tokens * rowStride) + 1);
  for (int64_t i = 0; i < tokens * rowStride; ++i)
    qData[i] = mode == 1 ? -128 : mode >= 2 ? 127 : (int8_t)next32();
  uint8_t *packed = packI2(w, rows, cols);
  int32_t *acc = malloc((size_t)(tokens * rows) * sizeof(int32_t));
  memset(acc, 0x7f, (size_t)(tokens * rows) * sizeof(int32_t));

  BitNetMemRef2DI8 q = {qData, qData, 0, {tokens, cols}, {rowStride, colStride}};
  BitNetMemRef1DU8 wRef = {
      packed, packed, 0, {bitnetI2PackedBytes(rows, cols)}, {1}};
  BitNetMemRef2DI32 accRef = {acc, acc, 0, {tokens, rows}, {rows, 1}};
  v->entry(&q, &wRef, &accRef);

  int failed = 0;
  for (int64_t m = 0; m < tokens && !failed; ++m)
    for (int64_t n = 0; n < rows && !failed; ++n) {
      int32_t expected = 0;
      for (int64_t k = 0; k < cols; ++k)
        expected += (int32_t)qData[m * rowStride + k * colStride] *
                    w[n * cols + k];
      if (acc[m * rows + n] != expected) {
        printf("%s: MISMATCH M=%lld K=%lld N=%lld mode=%d colStride=%d at "
               "[%lld, %lld]: got %d, expected %d\n",
               v->name, (long long)tokens, (long long)cols, (long long)rows,
               mode, colStride, (long long)m, (long long)n, acc[m * rows + n],
               expected);
        failed = 1;
      }
    }
  free(w);
  free(qData);
  free(packed);
  free(acc);
  return failed;
}

static int checkVariant(const Variant *v) {
  // 5 and 7 tokens: a token tile plus a remainder for tiles of 4 and of 6;
  // 13: a lane tile of 12 plus one (AVX-512). 40 rows: two 16-row lane
  // registers and a ragged third.
  static const int64_t kTokens[] = {1, 2, 5, 7, 13};
  static const int64_t kCols[] = {1, 3, 31, 127, 128, 129, 255, 256, 300, 640};
  static const int64_t kRows[] = {1, 3, 4, 5, 9, 40, 64};
  int cases = 0;
  for (size_t a = 0; a < sizeof(kTokens) / sizeof(kTokens[0]); ++a)
    for (size_t b = 0; b < sizeof(kCols) / sizeof(kCols[0]); ++b)
      for (size_t c = 0; c < sizeof(kRows) / sizeof(kRows[0]); ++c) {
        if (runCase(v, kTokens[a], kCols[b], kRows[c], 0, 0, 1))
          return -1;
        ++cases;
      }
  // Saturation bounds (one token and a token tile plus a remainder, K past
  // the 16-block flush of 16-bit partial sums), padded rows, strided
  // columns, large K and M.
  for (int mode = 1; mode <= 3; ++mode)
    for (int64_t tokens = 1; tokens <= 9; tokens += 8, ++cases)
      if (runCase(v, tokens, 2560, 7, mode, 0, 1) ||
          runCase(v, tokens, 4096 + 200, 5, mode, 0, 1))
        return -1;
  if (runCase(v, 4, 300, 9, 0, 13, 1) || runCase(v, 3, 129, 5, 0, 0, 2) ||
      runCase(v, 33, 6912, 12, 0, 0, 1))
    return -1;
  return cases + 3;
}

int main(int argc, char **argv) {
  return runVariants(argc, argv, kAll, sizeof(kAll) / sizeof(kAll[0]),
                     checkVariant);
}
