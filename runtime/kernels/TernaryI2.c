//===- TernaryI2.c - The int2 ternary matmul microkernels -----------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// acc[m, n] = Σ_k q[m, k] · Wt[n, k] in int32, exactly, for a weight in the
// `i2` layout (bitnet/Kernels/I2Layout.h). This one source is compiled once
// per variant of bitnet/Kernels/Kernels.def with -DBITNET_I2_VARIANT=NAME and
// the variant's instruction set; only the block dot product (`dotRows`)
// differs between variants, everything else (threads, ragged K, the Σq
// correction) is shared.
//
// Codes are c = w + 1 ∈ {0, 1, 2}: Σ c·q − Σ q = Σ w·q, and c is unsigned, so
// unsigned × signed byte dot products (vpmaddubsw, vpdpbusd, vwmaccsu) apply
// without sign tricks. A ragged last block reads a zero-padded copy of the
// activations: padding codes are 1, padding activations 0.
//
// Bounds (int8 activations): a 32-byte block contributes at most
// 128 · 2 · 128 = 32768 per output in magnitude, so 16-bit partial sums hold
// one block only where noted; int32 accumulators hold K < 2^23.
//
//===----------------------------------------------------------------------===//

#include "../Internal.h"
#include "bitnet/Kernels/I2Layout.h"

#include <stdlib.h>
#include <string.h>

#define BITNET_CONCAT2(a, b) a##b
#define BITNET_CONCAT(a, b) BITNET_CONCAT2(a, b)
#define BITNET_I2_ENTRY                                                        \
  BITNET_CONCAT(_mlir_ciface_bitnet_i2_matmul_, BITNET_I2_VARIANT)

#define VARIANT_x86_64_avx512vnni 1
#define VARIANT_x86_64_avx2 2
#define VARIANT_x86_64_generic 3
#define VARIANT_aarch64_dotprod 4
#define VARIANT_aarch64_neon 5
#define VARIANT_riscv64_rvv 6
#define VARIANT_riscv64_generic 7
#define VARIANT BITNET_CONCAT(VARIANT_, BITNET_I2_VARIANT)

/// Rows per dotRows call: activation loads are shared by this many rows.
/// Tokens per dotRowsTokens call (variants with BITNET_I2_TOKEN_TILES).
enum { kRowTile = 4, kTokenTile = 4 };

//===----------------------------------------------------------------------===//
// Block dot products: out[r] = Σ_b Σ_i Σ_j code(w[r], b, i, j) · q[128 b +
// 32 i + j] over `blocks` blocks, for rows = 1..kRowTile. `q` holds
// 128 · blocks readable activations.
//===----------------------------------------------------------------------===//

#if VARIANT == VARIANT_x86_64_avx2 || VARIANT == VARIANT_x86_64_avx512vnni
#include <immintrin.h>

static inline int32_t sum8(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v),
                            _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

/// The codes of slice i (columns 32 i .. 32 i + 31 of a block).
static inline __m256i codes(__m256i w, int i) {
  return _mm256_and_si256(_mm256_srli_epi16(w, 2 * i), _mm256_set1_epi8(3));
}

#if VARIANT == VARIANT_x86_64_avx512vnni
/// Accumulators are int32 lanes; vpdpbusd adds each slice's products in.
typedef __m256i Partial;
enum { kFlushBlocks = 1 << 30 };
static inline Partial partialZero(void) { return _mm256_setzero_si256(); }
static inline Partial slice(Partial acc, __m256i c, __m256i q) {
  return _mm256_dpbusd_epi32(acc, c, q);
}
static inline __m256i widen(Partial p) { return p; }
#else
/// Accumulators are int16 lanes: vpmaddubsw gives c·q + c·q with |.| <= 512
/// (c <= 2, |q| <= 128), four slices per block 2048, so 16 blocks stay in
/// [-32768, 32512] exactly; `widen` (vpmaddwd) turns them into int32 lanes.
/// Flushing once per 16 blocks rather than once per block saves a multiply
/// per block and row, the port the loop is bound by.
typedef __m256i Partial;
enum { kFlushBlocks = 16 };
static inline Partial partialZero(void) { return _mm256_setzero_si256(); }
static inline Partial slice(Partial acc, __m256i c, __m256i q) {
  return _mm256_add_epi16(acc, _mm256_maddubs_epi16(c, q));
}
static inline __m256i widen(Partial p) {
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}
#endif

static void dotRows(int rows, const uint8_t *const w[kRowTile],
                    int64_t blocks, const int8_t *q, int32_t out[kRowTile]) {
  __m256i acc[kRowTile];
  for (int r = 0; r < kRowTile; ++r)
    acc[r] = _mm256_setzero_si256();
  // Rows past `rows` repeat row 0 (see runRows): computing them is cheaper
  // than branching, and they are not stored.
  (void)rows;
  for (int64_t b0 = 0; b0 < blocks; b0 += kFlushBlocks) {
    int64_t bEnd = blocks - b0 < kFlushBlocks ? blocks : b0 + kFlushBlocks;
    Partial part[kRowTile];
    for (int r = 0; r < kRowTile; ++r)
      part[r] = partialZero();
    for (int64_t b = b0; b < bEnd; ++b) {
      __m256i qv[4];
      for (int i = 0; i < 4; ++i)
        qv[i] = _mm256_loadu_si256((const __m256i *)(q + 128 * b + 32 * i));
      for (int r = 0; r < kRowTile; ++r) {
        __m256i wv = _mm256_loadu_si256((const __m256i *)(w[r] + 32 * b));
        for (int i = 0; i < 4; ++i)
          part[r] = slice(part[r], codes(wv, i), qv[i]);
      }
    }
    for (int r = 0; r < kRowTile; ++r)
      acc[r] = _mm256_add_epi32(acc[r], widen(part[r]));
  }
  for (int r = 0; r < kRowTile; ++r)
    out[r] = sum8(acc[r]);
}

/// Prefill: a row tile's codes are unpacked once into `codes` (row r, block
/// b, slice i at codes + ((r * blocks + b) * 4 + i) * 32) and serve every
/// token tile: the inner loop is then loads, byte dot products and adds only.
#define BITNET_I2_TOKEN_TILES 1
static void unpackRows(const uint8_t *const w[kRowTile], int64_t blocks,
                       uint8_t *codesOut) {
  for (int r = 0; r < kRowTile; ++r)
    for (int64_t b = 0; b < blocks; ++b) {
      __m256i wv = _mm256_loadu_si256((const __m256i *)(w[r] + 32 * b));
      for (int i = 0; i < 4; ++i)
        _mm256_storeu_si256(
            (__m256i *)(codesOut + ((r * blocks + b) * 4 + i) * 32),
            codes(wv, i));
    }
}

/// kTokenTile tokens, two rows at a time: each activation load serves both
/// rows (8 partial accumulators, 2 code and 1 activation register).
static void dotRowsTokens(int rows, const uint8_t *unpacked, int64_t blocks,
                          const int8_t *const q[kTokenTile],
                          int32_t out[kTokenTile][kRowTile]) {
  for (int r0 = 0; r0 < rows; r0 += 2) {
    const uint8_t *c0Row = unpacked + (int64_t)r0 * blocks * 128;
    const uint8_t *c1Row = c0Row + blocks * 128;
    __m256i acc[2][kTokenTile];
    for (int r = 0; r < 2; ++r)
      for (int t = 0; t < kTokenTile; ++t)
        acc[r][t] = _mm256_setzero_si256();
    for (int64_t b0 = 0; b0 < blocks; b0 += kFlushBlocks) {
      int64_t bEnd = blocks - b0 < kFlushBlocks ? blocks : b0 + kFlushBlocks;
      Partial part[2][kTokenTile];
      for (int r = 0; r < 2; ++r)
        for (int t = 0; t < kTokenTile; ++t)
          part[r][t] = partialZero();
      for (int64_t b = b0; b < bEnd; ++b)
        for (int i = 0; i < 4; ++i) {
          __m256i c0 =
              _mm256_loadu_si256((const __m256i *)(c0Row + b * 128 + 32 * i));
          __m256i c1 =
              _mm256_loadu_si256((const __m256i *)(c1Row + b * 128 + 32 * i));
          for (int t = 0; t < kTokenTile; ++t) {
            __m256i qv = _mm256_loadu_si256(
                (const __m256i *)(q[t] + 128 * b + 32 * i));
            part[0][t] = slice(part[0][t], c0, qv);
            part[1][t] = slice(part[1][t], c1, qv);
          }
        }
      for (int r = 0; r < 2; ++r)
        for (int t = 0; t < kTokenTile; ++t)
          acc[r][t] = _mm256_add_epi32(acc[r][t], widen(part[r][t]));
    }
    for (int r = 0; r < 2; ++r)
      for (int t = 0; t < kTokenTile; ++t)
        out[t][r0 + r] = sum8(acc[r][t]);
  }
}

#elif VARIANT == VARIANT_aarch64_dotprod || VARIANT == VARIANT_aarch64_neon
#include <arm_neon.h>

/// acc += codes(w >> shift) · q for 16 bytes.
#if VARIANT == VARIANT_aarch64_dotprod
#define BITNET_NEON_DOT(acc, c, q) vdotq_s32(acc, vreinterpretq_s8_u8(c), q)
#else
static inline int32x4_t neonDot(int32x4_t acc, uint8x16_t c, int8x16_t q) {
  int8x16_t cs = vreinterpretq_s8_u8(c);
  int16x8_t p = vmull_s8(vget_low_s8(cs), vget_low_s8(q));
  p = vmlal_high_s8(p, cs, q);
  return vpadalq_s16(acc, p);
}
#define BITNET_NEON_DOT(acc, c, q) neonDot(acc, c, q)
#endif

static inline int32x4_t halfBlockDot(int32x4_t acc, uint8x16_t w,
                                     const int8_t *q) {
  const uint8x16_t mask = vdupq_n_u8(3);
  acc = BITNET_NEON_DOT(acc, vandq_u8(w, mask), vld1q_s8(q));
  acc = BITNET_NEON_DOT(acc, vandq_u8(vshrq_n_u8(w, 2), mask), vld1q_s8(q + 32));
  acc = BITNET_NEON_DOT(acc, vandq_u8(vshrq_n_u8(w, 4), mask), vld1q_s8(q + 64));
  return BITNET_NEON_DOT(acc, vshrq_n_u8(w, 6), vld1q_s8(q + 96));
}

static void dotRows(int rows, const uint8_t *const w[kRowTile],
                    int64_t blocks, const int8_t *q, int32_t out[kRowTile]) {
  for (int r = 0; r < rows; ++r) {
    int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t *wb = w[r] + 32 * b;
      const int8_t *qb = q + 128 * b;
      acc0 = halfBlockDot(acc0, vld1q_u8(wb), qb);
      acc1 = halfBlockDot(acc1, vld1q_u8(wb + 16), qb + 16);
    }
    out[r] = vaddvq_s32(vaddq_s32(acc0, acc1));
  }
}

#elif VARIANT == VARIANT_riscv64_rvv
#include <riscv_vector.h>

static void dotRows(int rows, const uint8_t *const w[kRowTile],
                    int64_t blocks, const int8_t *q, int32_t out[kRowTile]) {
  // 32 bytes fit LMUL = 2 at the minimum VLEN of the V extension (128).
  size_t vl = __riscv_vsetvl_e8m2(32);
  vint32m1_t zero = __riscv_vmv_v_x_i32m1(0, 1);
  for (int r = 0; r < rows; ++r) {
    int32_t total = 0;
    int64_t b = 0;
    while (b < blocks) {
      // 16-bit lanes gain at most 4 · 2 · 128 per block: flush every 16.
      int64_t end = blocks - b < 16 ? blocks : b + 16;
      vint16m4_t acc = __riscv_vmv_v_x_i16m4(0, vl);
      for (; b < end; ++b) {
        vuint8m2_t wv = __riscv_vle8_v_u8m2(w[r] + 32 * b, vl);
        const int8_t *qb = q + 128 * b;
        for (int i = 0; i < 4; ++i) {
          vuint8m2_t c = __riscv_vand_vx_u8m2(
              __riscv_vsrl_vx_u8m2(wv, 2 * i, vl), 3, vl);
          acc = __riscv_vwmaccsu_vv_i16m4(
              acc, __riscv_vle8_v_i8m2(qb + 32 * i, vl), c, vl);
        }
      }
      total += __riscv_vmv_x_s_i32m1_i32(
          __riscv_vwredsum_vs_i16m4_i32m1(acc, zero, vl));
    }
    out[r] = total;
  }
}

#elif VARIANT == VARIANT_x86_64_generic || VARIANT == VARIANT_riscv64_generic

// Plain C; the j loop vectorizes with whatever the baseline ISA has.
static void dotRows(int rows, const uint8_t *const w[kRowTile],
                    int64_t blocks, const int8_t *q, int32_t out[kRowTile]) {
  for (int r = 0; r < rows; ++r) {
    int32_t total = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t *wb = w[r] + 32 * b;
      const int8_t *qb = q + 128 * b;
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 32; ++j)
          total += (int32_t)((wb[j] >> (2 * i)) & 3) * qb[32 * i + j];
    }
    out[r] = total;
  }
}

#else
#error "unknown BITNET_I2_VARIANT"
#endif

//===----------------------------------------------------------------------===//
// The shared driver
//===----------------------------------------------------------------------===//

typedef struct {
  const BitNetMemRef2DI8 *q;
  const uint8_t *weights;
  BitNetMemRef2DI32 *acc;
  int64_t rows;
  int64_t rowBytes;
  /// Blocks every row reads from the activations in place.
  int64_t fullBlocks;
  /// Per token: Σ_k q, and (K ragged) the zero-padded last block.
  const int32_t *qSums;
  const int8_t *tails;
} Job;

static const int8_t *tokenRow(const BitNetMemRef2DI8 *q, int64_t m) {
  return q->aligned + q->offset + m * q->strides[0];
}

/// acc[m, n + r] = block sums - Σ q, for r < rows.
static inline void storeRows(const Job *job, int64_t m, int64_t n, int rows,
                             const int32_t *sums, const int32_t *tail) {
  BitNetMemRef2DI32 *acc = job->acc;
  int32_t *out = acc->aligned + acc->offset + m * acc->strides[0] +
                 n * acc->strides[1];
  for (int r = 0; r < rows; ++r)
    out[r * acc->strides[1]] = sums[r] + tail[r] - job->qSums[m];
}

static void runRows(void *opaque, int64_t begin, int64_t end) {
  const Job *job = opaque;
  int64_t tokens = job->q->sizes[0];
#ifdef BITNET_I2_TOKEN_TILES
  // Unpacked codes of one row tile (full blocks, then the ragged one).
  uint8_t *unpacked = NULL;
  if (tokens >= kTokenTile) {
    unpacked = malloc((size_t)(kRowTile * (job->fullBlocks + 1) * 128));
    if (!unpacked)
      abort();
  }
#endif
  for (int64_t n = begin; n < end; n += kRowTile) {
    int rows = end - n < kRowTile ? (int)(end - n) : kRowTile;
    const uint8_t *w[kRowTile];
    for (int r = 0; r < kRowTile; ++r)
      w[r] = job->weights + (n + (r < rows ? r : 0)) * job->rowBytes;
    const uint8_t *wTail[kRowTile];
    for (int r = 0; r < kRowTile; ++r)
      wTail[r] = w[r] + job->fullBlocks * BITNET_I2_BLOCK_BYTES;
    // A tile's rows are short streams (K / 4 bytes each) that the hardware
    // prefetchers barely learn before they end: fetch the tile four ahead
    // into L2 now. Decode is bound by this stream.
    const uint8_t *ahead = job->weights + (n + 4 * kRowTile) * job->rowBytes;
    const uint8_t *end = job->weights + job->rows * job->rowBytes;
    for (int64_t off = 0; off < kRowTile * job->rowBytes && ahead + off < end;
         off += 64)
      __builtin_prefetch(ahead + off, 0, 2);
    int64_t m = 0;
#ifdef BITNET_I2_TOKEN_TILES
    uint8_t *unpackedTail = unpacked + kRowTile * job->fullBlocks * 128;
    if (unpacked) {
      unpackRows(w, job->fullBlocks, unpacked);
      if (job->tails)
        unpackRows(wTail, 1, unpackedTail);
    }
    for (; m + kTokenTile <= tokens; m += kTokenTile) {
      int32_t sums[kTokenTile][kRowTile] = {{0}};
      int32_t tail[kTokenTile][kRowTile] = {{0}};
      const int8_t *q[kTokenTile], *qTail[kTokenTile];
      for (int t = 0; t < kTokenTile; ++t) {
        q[t] = tokenRow(job->q, m + t);
        qTail[t] = job->tails ? job->tails + (m + t) * BITNET_I2_BLOCK_WEIGHTS
                              : NULL;
      }
      dotRowsTokens(rows, unpacked, job->fullBlocks, q, sums);
      if (job->tails)
        dotRowsTokens(rows, unpackedTail, 1, qTail, tail);
      for (int t = 0; t < kTokenTile; ++t)
        storeRows(job, m + t, n, rows, sums[t], tail[t]);
    }
#endif
    for (; m < tokens; ++m) {
      int32_t sums[kRowTile] = {0}, tail[kRowTile] = {0};
      dotRows(rows, w, job->fullBlocks, tokenRow(job->q, m), sums);
      if (job->tails)
        dotRows(rows, wTail, 1, job->tails + m * BITNET_I2_BLOCK_WEIGHTS,
                tail);
      storeRows(job, m, n, rows, sums, tail);
    }
  }
#ifdef BITNET_I2_TOKEN_TILES
  free(unpacked);
#endif
}

void BITNET_I2_ENTRY(const BitNetMemRef2DI8 *q, const BitNetMemRef1DU8 *w,
                     BitNetMemRef2DI32 *acc) {
  int64_t tokens = q->sizes[0], cols = q->sizes[1], rows = acc->sizes[1];
  if (tokens == 0 || rows == 0)
    return;
  // The block loops read each token's activations as one contiguous row;
  // anything else (never produced by the compiler today) is copied first.
  if (q->strides[1] != 1 && cols > 1) {
    BitNetMemRef2DI8 packed = {NULL, NULL, 0, {tokens, cols}, {cols, 1}};
    packed.allocated = packed.aligned = malloc((size_t)(tokens * cols));
    if (!packed.aligned)
      abort();
    for (int64_t m = 0; m < tokens; ++m)
      for (int64_t k = 0; k < cols; ++k)
        packed.aligned[m * cols + k] = tokenRow(q, m)[k * q->strides[1]];
    BITNET_I2_ENTRY(&packed, w, acc);
    free(packed.allocated);
    return;
  }
  Job job = {q, w->aligned + w->offset, acc, rows, bitnetI2RowBytes(cols),
             cols / BITNET_I2_BLOCK_WEIGHTS, NULL, NULL};
  int64_t tailCols = cols % BITNET_I2_BLOCK_WEIGHTS;
  // One allocation for both per-token tables (a few bytes per token).
  size_t sumBytes = (size_t)tokens * sizeof(int32_t);
  size_t tailBytes = tailCols ? (size_t)tokens * BITNET_I2_BLOCK_WEIGHTS : 0;
  char *scratch = malloc(sumBytes + tailBytes);
  if (!scratch)
    abort();
  int32_t *qSums = (int32_t *)scratch;
  int8_t *tails = tailCols ? (int8_t *)(scratch + sumBytes) : NULL;
  for (int64_t m = 0; m < tokens; ++m) {
    const int8_t *row = tokenRow(q, m);
    int32_t sum = 0;
    for (int64_t k = 0; k < cols; ++k)
      sum += row[k];
    qSums[m] = sum;
    if (tails) {
      int8_t *tail = tails + m * BITNET_I2_BLOCK_WEIGHTS;
      memset(tail, 0, BITNET_I2_BLOCK_WEIGHTS);
      for (int64_t k = 0; k < tailCols; ++k)
        tail[k] = row[job.fullBlocks * BITNET_I2_BLOCK_WEIGHTS + k];
    }
  }
  job.qSums = qSums;
  job.tails = tails;
  bitnetParallelFor(rows, kRowTile, runRows, &job);
  free(scratch);
}
