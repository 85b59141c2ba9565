//===- Int8.c - The int8-weight matmul microkernels -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// acc[m, n] = Σ_k q[m, k] · W[n, k] in int32 for an int8 weight W in the `i8`
// layout (bitnet/Kernels/I8Layout.h), e.g. a W8A8 LM head. This one source is
// compiled once per BITNET_I8_KERNEL variant of bitnet/Kernels/Kernels.def
// with -DBITNET_I8_VARIANT=NAME and the variant's instruction set; only the
// row-tile dot products (`dotRows`, `dotRowsTokens`) differ between variants,
// the driver (threads, activation copy, the Σq correction) is shared and
// follows TernaryI2.c.
//
// Codes are c = w + 128, unsigned, so unsigned × signed byte dot products
// (vpdpbusd) apply: Σ w·q = Σ c·q − 128 Σ q. Variants with only signed
// products (sdot) flip the codes back to w = c ^ 0x80 and skip the
// correction (kCodeBias). The kernels read a copy of each token's
// activations zero-padded to whole units: padding codes 128 meet zeros, and
// Σq covers the real columns only.
//
// Bounds: every partial sum wraps modulo 2^32 (vpdpbusd, vpaddd, sdot and
// uint32_t in C never saturate), and Σ c·q − 128 Σ q ≡ Σ w·q (mod 2^32), so
// the int32 result is Σ w·q exactly whenever that fits int32, which
// |Σ w·q| <= 128 · 128 · K guarantees for K <= 2^17, and otherwise the same
// truncation an int64 accumulator would store: no limit on K is relied on,
// and no flush to wider sums is needed.
//
//===----------------------------------------------------------------------===//

#include "../Internal.h"
#include "bitnet/Kernels/I8Layout.h"

#include <stdlib.h>
#include <string.h>

#define BITNET_CONCAT2(a, b) a##b
#define BITNET_CONCAT(a, b) BITNET_CONCAT2(a, b)
#define BITNET_I8_ENTRY                                                        \
  BITNET_CONCAT(_mlir_ciface_bitnet_i8_matmul_, BITNET_I8_VARIANT)

#define VARIANT_x86_64_avx512vnni 1
#define VARIANT_x86_64_avx2 2
#define VARIANT_x86_64_generic 3
#define VARIANT_aarch64_dotprod 4
#define VARIANT_aarch64_generic 5
#define VARIANT_riscv64_generic 6
#define VARIANT BITNET_CONCAT(VARIANT_, BITNET_I8_VARIANT)

/// Rows per dotRows call (one tile of the layout: activation loads are
/// shared by its rows) and tokens per dotRowsTokens call.
enum {
  kRowTile = BITNET_I8_TILE_ROWS,
  kUnitBytes = BITNET_I8_UNIT_BYTES,
  kTokenTile = 4
};

/// Software prefetch distances of the weight stream (prefetchUnit).
enum { kPrefetchBytes = 4096, kNonTemporalBytes = 4096 };

#if VARIANT == VARIANT_x86_64_avx512vnni || VARIANT == VARIANT_x86_64_avx2
#include <immintrin.h>

/// dotRowsWith requests its own weight stream (prefetchUnit).
#define BITNET_I8_DOT_ROWS_PREFETCH

/// Requests the weight stream ahead of the unit step at `unit` (one unit of
/// each of the tile's rows: 4 lines) as `prefetch` says (Internal.h):
/// - NONTEMPORAL (AMD Zen): all 4 lines, non-temporal, kNonTemporalBytes
///   ahead, as the int2 kernels do (TernaryI2.c has the measurements). The
///   128256 x 2560 head on Zen 5 (bitnet-kernel-bench, 3 alternating
///   rounds): 33.5-34.2 GB/s on 1 thread and 48.7-49.5 on 2, against
///   29.3-30.8 and 39.7-41.2 with one L2 request per step.
/// - L2_TWICE (Intel): one line into L2 kPrefetchBytes ahead per step, the
///   hardware prefetchers doing the rest (this kernel's first policy, kept).
static inline __attribute__((always_inline)) void
prefetchUnit(BitNetWeightPrefetch prefetch, const uint8_t *unit) {
  if (prefetch == BITNET_WEIGHT_PREFETCH_NONTEMPORAL) {
    for (int r = 0; r < kRowTile; ++r)
      _mm_prefetch((const char *)unit + kNonTemporalBytes + kUnitBytes * r,
                   _MM_HINT_NTA);
  } else {
    _mm_prefetch((const char *)unit + kPrefetchBytes, _MM_HINT_T1);
  }
}
#endif

//===----------------------------------------------------------------------===//
// Row-tile dot products: out[r] = Σ_u Σ_j code(r, u, j) · q[64 u + j] over
// `units` units of the tile at `tile`, for its kRowTile rows (padding rows
// hold code 128 and are computed, not stored); with kCodeBias 0, w instead of
// the code. `q` holds 64 · units activations. Sums wrap modulo 2^32.
//===----------------------------------------------------------------------===//

#if VARIANT == VARIANT_x86_64_avx512vnni
#include <immintrin.h>

enum { kCodeBias = BITNET_I8_ZERO_CODE };

/// Decode streams the whole weight (a 128256 x 2560 LM head is 328 MB) once
/// per token: one activation load serves the 4 rows' vpdpbusd, and the tile
/// (one sequential stream, I8Layout.h) is requested ahead of use as
/// `prefetch` says (prefetchUnit). Prefetches past the weights do not fault.
static inline __attribute__((always_inline)) void
dotRowsWith(BitNetWeightPrefetch prefetch, const uint8_t *tile, int64_t units,
            const int8_t *q, uint32_t out[kRowTile]) {
  __m512i acc[kRowTile];
  for (int r = 0; r < kRowTile; ++r)
    acc[r] = _mm512_setzero_si512();
  for (int64_t u = 0; u < units; ++u) {
    const uint8_t *unit = tile + bitnetI8UnitInRow(u);
    prefetchUnit(prefetch, unit);
    __m512i qv = _mm512_loadu_si512(q + kUnitBytes * u);
    for (int r = 0; r < kRowTile; ++r)
      acc[r] = _mm512_dpbusd_epi32(
          acc[r], _mm512_loadu_si512(unit + kUnitBytes * r), qv);
  }
  for (int r = 0; r < kRowTile; ++r)
    out[r] = (uint32_t)_mm512_reduce_add_epi32(acc[r]);
}

/// Prefill: the 4 rows x 4 tokens output tile in registers (16 of the 32
/// zmm, plus 4 activations and a code): per unit 8 loads feed 16 vpdpbusd,
/// and the tile's codes stay in L1 across token tiles.
#define BITNET_I8_TOKEN_TILES 1
static void dotRowsTokens(const uint8_t *tile, int64_t units,
                          const int8_t *const q[kTokenTile],
                          uint32_t out[kTokenTile][kRowTile]) {
  __m512i acc[kRowTile][kTokenTile];
  for (int r = 0; r < kRowTile; ++r)
    for (int t = 0; t < kTokenTile; ++t)
      acc[r][t] = _mm512_setzero_si512();
  for (int64_t u = 0; u < units; ++u) {
    const uint8_t *unit = tile + bitnetI8UnitInRow(u);
    _mm_prefetch((const char *)unit + kPrefetchBytes, _MM_HINT_T1);
    __m512i qv[kTokenTile];
    for (int t = 0; t < kTokenTile; ++t)
      qv[t] = _mm512_loadu_si512(q[t] + kUnitBytes * u);
    for (int r = 0; r < kRowTile; ++r) {
      __m512i c = _mm512_loadu_si512(unit + kUnitBytes * r);
      for (int t = 0; t < kTokenTile; ++t)
        acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], c, qv[t]);
    }
  }
  for (int r = 0; r < kRowTile; ++r)
    for (int t = 0; t < kTokenTile; ++t)
      out[t][r] = (uint32_t)_mm512_reduce_add_epi32(acc[r][t]);
}

#elif VARIANT == VARIANT_x86_64_avx2
#include <immintrin.h>

enum { kCodeBias = BITNET_I8_ZERO_CODE };

/// vpmaddubsw would saturate (255 · 127 + 255 · 127 > 32767): codes are
/// zero-extended and activations sign-extended to 16 bits instead, and
/// vpmaddwd adds pairs of exact products (|c·q + c·q| <= 65280) into int32.
static inline __m256i unitDot(__m256i acc, const uint8_t *codes,
                              const __m256i qv[4]) {
  __m256i s[4];
  for (int i = 0; i < 4; ++i)
    s[i] = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128(
                                 (const __m128i *)(codes + 16 * i))),
                             qv[i]);
  return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_add_epi32(s[0], s[1]),
                                                _mm256_add_epi32(s[2], s[3])));
}

static inline uint32_t sum8(__m256i v) {
  __m128i s =
      _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return (uint32_t)_mm_cvtsi128_si32(s);
}

static inline __attribute__((always_inline)) void
dotRowsWith(BitNetWeightPrefetch prefetch, const uint8_t *tile, int64_t units,
            const int8_t *q, uint32_t out[kRowTile]) {
  __m256i acc[kRowTile];
  for (int r = 0; r < kRowTile; ++r)
    acc[r] = _mm256_setzero_si256();
  for (int64_t u = 0; u < units; ++u) {
    const uint8_t *unit = tile + bitnetI8UnitInRow(u);
    prefetchUnit(prefetch, unit);
    __m256i qv[4];
    for (int i = 0; i < 4; ++i)
      qv[i] = _mm256_cvtepi8_epi16(
          _mm_loadu_si128((const __m128i *)(q + kUnitBytes * u + 16 * i)));
    for (int r = 0; r < kRowTile; ++r)
      acc[r] = unitDot(acc[r], unit + kUnitBytes * r, qv);
  }
  for (int r = 0; r < kRowTile; ++r)
    out[r] = sum8(acc[r]);
}

#elif VARIANT == VARIANT_aarch64_dotprod
#include <arm_neon.h>

/// sdot multiplies signed bytes only (usdot needs i8mm): the codes are
/// flipped back to w = c ^ 0x80, so no correction.
enum { kCodeBias = 0 };

static void dotRows(const uint8_t *tile, int64_t units, const int8_t *q,
                    uint32_t out[kRowTile], BitNetWeightPrefetch prefetch) {
  (void)prefetch; // the hardware prefetchers stream the tile
  const uint8x16_t flip = vdupq_n_u8(0x80);
  int32x4_t acc[kRowTile][2];
  for (int r = 0; r < kRowTile; ++r)
    acc[r][0] = acc[r][1] = vdupq_n_s32(0);
  for (int64_t u = 0; u < units; ++u) {
    const uint8_t *unit = tile + bitnetI8UnitInRow(u);
    int8x16_t qv[4];
    for (int i = 0; i < 4; ++i)
      qv[i] = vld1q_s8(q + kUnitBytes * u + 16 * i);
    for (int r = 0; r < kRowTile; ++r)
      for (int i = 0; i < 4; ++i) {
        int8x16_t w = vreinterpretq_s8_u8(
            veorq_u8(vld1q_u8(unit + kUnitBytes * r + 16 * i), flip));
        acc[r][i % 2] = vdotq_s32(acc[r][i % 2], w, qv[i]);
      }
  }
  for (int r = 0; r < kRowTile; ++r)
    out[r] = (uint32_t)vaddvq_s32(vaddq_s32(acc[r][0], acc[r][1]));
}

#elif VARIANT == VARIANT_x86_64_generic ||                                     \
    VARIANT == VARIANT_aarch64_generic || VARIANT == VARIANT_riscv64_generic

enum { kCodeBias = BITNET_I8_ZERO_CODE };

// Plain C; the j loop vectorizes with whatever the baseline ISA has.
static void dotRows(const uint8_t *tile, int64_t units, const int8_t *q,
                    uint32_t out[kRowTile], BitNetWeightPrefetch prefetch) {
  (void)prefetch;
  for (int r = 0; r < kRowTile; ++r) {
    uint32_t total = 0;
    for (int64_t u = 0; u < units; ++u) {
      const uint8_t *codes = tile + bitnetI8UnitInRow(u) + kUnitBytes * r;
      const int8_t *qu = q + kUnitBytes * u;
      for (int j = 0; j < kUnitBytes; ++j)
        total += (uint32_t)(codes[j] * qu[j]);
    }
    out[r] = total;
  }
}

#else
#error "unknown BITNET_I8_VARIANT"
#endif

#ifdef BITNET_I8_DOT_ROWS_PREFETCH
/// One copy of the loop per policy, chosen once per tile.
static void dotRows(const uint8_t *tile, int64_t units, const int8_t *q,
                    uint32_t out[kRowTile], BitNetWeightPrefetch prefetch) {
  if (prefetch == BITNET_WEIGHT_PREFETCH_NONTEMPORAL)
    dotRowsWith(BITNET_WEIGHT_PREFETCH_NONTEMPORAL, tile, units, q, out);
  else
    dotRowsWith(BITNET_WEIGHT_PREFETCH_L2_TWICE, tile, units, q, out);
}
#endif

//===----------------------------------------------------------------------===//
// The shared driver
//===----------------------------------------------------------------------===//

typedef struct {
  const uint8_t *weights;
  BitNetMemRef2DI32 *acc;
  int64_t tokens;
  /// Units per row and bytes per row tile.
  int64_t units;
  int64_t tileBytes;
  /// Per token, actBytes (whole units) apart: the zero-padded activations.
  const int8_t *acts;
  int64_t actBytes;
  /// Per token: Σ_k q over the real columns.
  const int64_t *qSums;
  /// Bytes of the packed weights, and how dotRows requests them.
  int64_t weightBytes;
  BitNetWeightPrefetch prefetch;
} Job;

static const int8_t *tokenRow(const BitNetMemRef2DI8 *q, int64_t m) {
  return q->aligned + q->offset + m * q->strides[0];
}

/// Copies token m's activations into `out` (actBytes), zero-padded past K.
/// Returns Σ_k q.
static int64_t layoutActivations(const BitNetMemRef2DI8 *q, int64_t m,
                                 int64_t actBytes, int8_t *out) {
  const int8_t *row = tokenRow(q, m);
  int64_t cols = q->sizes[1], stride = q->strides[1];
  if (stride == 1 || cols == 1)
    memcpy(out, row, (size_t)cols);
  else
    for (int64_t k = 0; k < cols; ++k)
      out[k] = row[k * stride];
  memset(out + cols, 0, (size_t)(actBytes - cols));
  int64_t sum = 0;
  for (int64_t k = 0; k < cols; ++k)
    sum += out[k];
  return sum;
}

/// acc[m, n + r] = sums[r] − kCodeBias · Σq for r < rows, modulo 2^32.
static inline void storeRows(const Job *job, int64_t m, int64_t n, int rows,
                             const uint32_t *sums) {
  BitNetMemRef2DI32 *acc = job->acc;
  int32_t *out =
      acc->aligned + acc->offset + m * acc->strides[0] + n * acc->strides[1];
  uint32_t bias = (uint32_t)kCodeBias * (uint32_t)job->qSums[m];
  for (int r = 0; r < rows; ++r)
    out[r * acc->strides[1]] = (int32_t)(sums[r] - bias);
}

static void runRows(void *opaque, int64_t begin, int64_t end) {
  const Job *job = opaque;
#ifdef BITNET_I8_DOT_ROWS_PREFETCH
  // dotRows requests lines ahead of its position, so the first ones of this
  // chunk's stream would come in on demand: fetch them now (decode).
  if (job->tokens < kTokenTile)
    bitnetPrefetchChunkStart(job->weights + begin / kRowTile * job->tileBytes,
                             job->weights + job->weightBytes,
                             job->prefetch == BITNET_WEIGHT_PREFETCH_NONTEMPORAL
                                 ? kNonTemporalBytes
                                 : kPrefetchBytes,
                             job->prefetch);
#endif
  // Chunks start on a tile (grain kRowTile); each tile's codes serve every
  // token while they are in L1.
  for (int64_t n = begin; n < end; n += kRowTile) {
    int rows = end - n < kRowTile ? (int)(end - n) : kRowTile;
    const uint8_t *tile = job->weights + n / kRowTile * job->tileBytes;
    int64_t m = 0;
#ifdef BITNET_I8_TOKEN_TILES
    for (; m + kTokenTile <= job->tokens; m += kTokenTile) {
      uint32_t sums[kTokenTile][kRowTile];
      const int8_t *q[kTokenTile];
      for (int t = 0; t < kTokenTile; ++t)
        q[t] = job->acts + (m + t) * job->actBytes;
      dotRowsTokens(tile, job->units, q, sums);
      for (int t = 0; t < kTokenTile; ++t)
        storeRows(job, m + t, n, rows, sums[t]);
    }
#endif
    for (; m < job->tokens; ++m) {
      uint32_t sums[kRowTile];
      dotRows(tile, job->units, job->acts + m * job->actBytes, sums,
              job->prefetch);
      storeRows(job, m, n, rows, sums);
    }
  }
}

void BITNET_I8_ENTRY(const BitNetMemRef2DI8 *q, const BitNetMemRef1DU8 *w,
                     BitNetMemRef2DI32 *acc) {
  int64_t tokens = q->sizes[0], cols = q->sizes[1], rows = acc->sizes[1];
  if (tokens == 0 || rows == 0)
    return;
  int64_t actBytes = bitnetI8RowBytes(cols);
  // One 64-byte aligned allocation (the activation loads are shared by a
  // tile's rows and should not split lines): the copies, then the sums.
  size_t actsBytes = (size_t)(tokens * actBytes);
  size_t sumsBytes = ((size_t)tokens * sizeof(int64_t) + 63) / 64 * 64;
  char *scratch = aligned_alloc(64, actsBytes + sumsBytes);
  if (!scratch)
    abort();
  int8_t *acts = (int8_t *)scratch;
  int64_t *qSums = (int64_t *)(scratch + actsBytes);
  for (int64_t m = 0; m < tokens; ++m)
    qSums[m] = layoutActivations(q, m, actBytes, acts + m * actBytes);
  Job job = {w->aligned + w->offset,
             acc,
             tokens,
             actBytes / kUnitBytes,
             bitnetI8TileBytes(cols),
             acts,
             actBytes,
             qSums,
             bitnetI8PackedBytes(rows, cols),
             bitnetWeightPrefetch()};
  bitnetParallelStream(rows, kRowTile, runRows, &job, job.weights,
                       (size_t)job.weightBytes);
  free(scratch);
}
