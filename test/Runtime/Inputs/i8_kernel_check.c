//===- i8_kernel_check.c - Every int8 kernel variant against a scalar sum -===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Links the runtime object of one ISA and runs each int8-weight variant of
// that ISA the CPU can execute on ragged shapes (K around the 64-byte unit, N
// around the 4-row tile, M = 1..9 around the 4-token tile), extreme weights
// and activations, strided activations and results, and 1 or 3 threads. The
// oracle is Σ_k q·w in int64 over an int8 weight matrix, packed here into the
// i8 layout independently of the compiler's packer. Prints one line per
// variant: "<name>: <cases> cases ok, <threads> threads" or "skipped (cpu)";
// exits 1 on the first mismatch.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/I8Layout.h"
#include "kernel_check.h"

// Every registered int8 variant.
#define BITNET_I8_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  extern void _mlir_ciface_bitnet_i8_matmul_##NAME(                            \
      const BitNetMemRef2DI8 *, const BitNetMemRef1DU8 *, BitNetMemRef2DI32 *) \
      __attribute__((weak));
#include "bitnet/Kernels/Kernels.def"
#define BITNET_I8_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  {#NAME, #ARCH, FEATURES, _mlir_ciface_bitnet_i8_matmul_##NAME},
static const Variant kAll[] = {
#include "bitnet/Kernels/Kernels.def"
};

/// Bytes of the i8 layout of W[rows, cols], from I8Layout.h's prose: whole
/// tiles of 4 rows, each row ceil(cols / 64) units of 64 bytes.
static int64_t packedBytes(int64_t rows, int64_t cols) {
  return (rows + 3) / 4 * 4 * ((cols + 63) / 64) * 64;
}

/// The i8 layout of W[rows, cols]: code w + 128, unit u of the tile's 4 rows
/// in turn, code 128 past `cols` and in the rows past `rows`.
static uint8_t *packI8(const int8_t *w, int64_t rows, int64_t cols) {
  int64_t bytes = packedBytes(rows, cols), units = (cols + 63) / 64;
  uint8_t *packed = malloc((size_t)bytes + 1);
  memset(packed, 128, (size_t)bytes);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k)
      packed[r / 4 * 4 * units * 64 + k / 64 * 256 + r % 4 * 64 + k % 64] =
          (uint8_t)(w[r * cols + k] + 128);
  return packed;
}

/// A value of `mode`'s distribution: 0 uniform, 1 the lowest, 2 the highest,
/// 3 either extreme at random.
static int8_t draw(int mode) {
  switch (mode) {
  case 1:
    return -128;
  case 2:
    return 127;
  case 3:
    return next32() & 1 ? 127 : -128;
  default:
    return (int8_t)next32();
  }
}

/// One case: weights drawn by `wMode`, activations by `qMode` (see draw);
/// activations strided by colStride with rowPad bytes after each token, and
/// results strided by accStride.
static int runCase(const Variant *v, int64_t tokens, int64_t cols, int64_t rows,
                   int wMode, int qMode, int64_t rowPad, int colStride,
                   int accStride) {
  int8_t *w = malloc((size_t)(rows * cols) + 1);
  for (int64_t i = 0; i < rows * cols; ++i)
    w[i] = draw(wMode);
  int64_t rowStride = cols * colStride + rowPad;
  int8_t *qData = malloc((size_t)(tokens * rowStride) + 1);
  for (int64_t i = 0; i < tokens * rowStride; ++i)
    qData[i] = draw(qMode);
  uint8_t *packed = packI8(w, rows, cols);
  int64_t accRow = rows * accStride + 3;
  int32_t *acc = malloc((size_t)(tokens * accRow) * sizeof(int32_t));
  memset(acc, 0x7f, (size_t)(tokens * accRow) * sizeof(int32_t));

  BitNetMemRef2DI8 q = {
      qData, qData, 0, {tokens, cols}, {rowStride, colStride}};
  BitNetMemRef1DU8 wRef = {packed, packed, 0, {packedBytes(rows, cols)}, {1}};
  BitNetMemRef2DI32 accRef = {acc, acc, 0, {tokens, rows}, {accRow, accStride}};
  v->entry(&q, &wRef, &accRef);

  int failed = packedBytes(rows, cols) != bitnetI8PackedBytes(rows, cols);
  if (failed)
    printf("%s: MISMATCH of the packed size for K=%lld N=%lld\n", v->name,
           (long long)cols, (long long)rows);
  for (int64_t m = 0; m < tokens && !failed; ++m)
    for (int64_t n = 0; n < rows && !failed; ++n) {
      int64_t expected = 0;
      for (int64_t k = 0; k < cols; ++k)
        expected +=
            (int64_t)qData[m * rowStride + k * colStride] * w[n * cols + k];
      int32_t got = acc[m * accRow + n * accStride];
      if (expected != (int32_t)expected || got != expected) {
        printf("%s: MISMATCH M=%lld K=%lld N=%lld modes=%d/%d colStride=%d "
               "at [%lld, %lld]: got %d, expected %lld\n",
               v->name, (long long)tokens, (long long)cols, (long long)rows,
               wMode, qMode, colStride, (long long)m, (long long)n, got,
               (long long)expected);
        failed = 1;
      }
      // Only the real rows are stored.
      for (int s = 1; s < accStride && !failed; ++s)
        if (acc[m * accRow + n * accStride + s] != 0x7f7f7f7f) {
          printf("%s: MISMATCH: wrote between results\n", v->name);
          failed = 1;
        }
    }
  for (int64_t m = 0; m < tokens && !failed; ++m)
    for (int64_t i = rows * accStride; i < accRow; ++i)
      if (acc[m * accRow + i] != 0x7f7f7f7f) {
        printf("%s: MISMATCH: wrote past row %lld (N=%lld)\n", v->name,
               (long long)m, (long long)rows);
        failed = 1;
      }
  free(w);
  free(qData);
  free(packed);
  free(acc);
  return failed;
}

static int checkVariant(const Variant *v) {
  // M: token tiles of 4 and remainders; K around the 64-byte unit; N around
  // the 4-row tile.
  static const int64_t kTokens[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  static const int64_t kCols[] = {1, 3, 63, 64, 65, 127, 128, 129, 200, 640};
  static const int64_t kRows[] = {1, 3, 4, 5, 7, 8, 9, 13};
  int cases = 0;
#define CASE(...)                                                              \
  do {                                                                         \
    if (runCase(v, __VA_ARGS__))                                               \
      return -1;                                                               \
    ++cases;                                                                   \
  } while (0)
  for (size_t a = 0; a < sizeof(kTokens) / sizeof(kTokens[0]); ++a)
    for (size_t b = 0; b < sizeof(kCols) / sizeof(kCols[0]); ++b)
      for (size_t c = 0; c < sizeof(kRows) / sizeof(kRows[0]); ++c)
        CASE(kTokens[a], kCols[b], kRows[c], 0, 0, 0, 1, 1);
  // Every pair of extremes (weights -128 and 127, activations -128 and 127,
  // and both at random), one token and a token tile plus a remainder.
  for (int wMode = 1; wMode <= 3; ++wMode)
    for (int qMode = 1; qMode <= 3; ++qMode)
      for (int64_t tokens = 1; tokens <= 9; tokens += 4) {
        CASE(tokens, 2560, 7, wMode, qMode, 0, 1, 1);
        CASE(tokens, 4096 + 200, 5, wMode, qMode, 0, 1, 1);
      }
  // Σ c·q past int32 while Σ w·q fits (127 · 127 · 100000 < 2^31 <
  // 255 · 127 · 100000); the largest |Σ w·q| that fits (128 · 128 · 131071).
  CASE(5, 100000, 5, 2, 2, 0, 1, 1);
  CASE(5, 131071, 5, 1, 1, 0, 1, 1);
  // Padded and strided activations, strided results, a larger M and N.
  CASE(4, 300, 9, 0, 0, 13, 1, 1);
  CASE(3, 129, 5, 0, 0, 0, 2, 1);
  CASE(9, 65, 11, 0, 3, 7, 3, 2);
  CASE(33, 2560, 40, 0, 0, 0, 1, 1);
#undef CASE
  return cases;
}

int main(int argc, char **argv) {
  return runVariants(argc, argv, kAll, sizeof(kAll) / sizeof(kAll[0]),
                     checkVariant);
}
