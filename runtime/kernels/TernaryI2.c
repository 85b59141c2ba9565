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
// without sign tricks. The kernels read a copy of the activations, zero-padded
// to whole blocks (padding codes are 1, padding activations 0) and laid out in
// the order the variant's block loop reads them (kBlockGroup).
//
// Bounds (int8 activations): a 32-byte block contributes at most
// 128 · 2 · 128 = 32768 per output in magnitude, so 16-bit partial sums hold
// one block only where noted; int32 accumulators hold K < 2^23.
//
//===----------------------------------------------------------------------===//

#include "../Internal.h"
#include "bitnet/Kernels/I2Layout.h"

#include <stdbool.h>
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

/// Tokens per dotRowsTokens call (variants with BITNET_I2_TOKEN_TILES): the
/// register tile is 4 rows x 4 tokens on AVX-512 (16 of 32 zmm) and
/// 2 rows x 6 tokens on AVX2 (12 of 16 ymm: 8 loads feed 12 vpmaddubsw
/// rather than 6 feeding 8; about 5 % faster than 2 x 4 on a quiet Zen 3,
/// 113 against 108 GMAC/s for 128 tokens x 2560 x 2560).
#if VARIANT == VARIANT_x86_64_avx2
#define BITNET_I2_TOKEN_TILE 6
#else
#define BITNET_I2_TOKEN_TILE 4
#endif

/// Rows per dotRows call: activation loads are shared by this many rows.
enum { kRowTile = BITNET_I2_TILE_ROWS, kTokenTile = BITNET_I2_TOKEN_TILE };

/// Software prefetch distance of the weight stream. On Zen 3 8 KB beat one
/// of 4 tiles (10 KB at K = 2560, 27 KB at K = 6912) on long rows, and the
/// distance in bytes does not grow with K. kNonTemporalBytes is the
/// distance of BITNET_WEIGHT_PREFETCH_NONTEMPORAL (dotRows).
enum { kPrefetchBytes = 8192, kNonTemporalBytes = 4096 };

//===----------------------------------------------------------------------===//
// Block dot products: out[r] = Σ_b Σ_i Σ_j code(w[r], b, i, j) · q[128 b +
// 32 i + j] over `blocks` blocks, for rows = 1..kRowTile. `q` holds
// 128 · blocks readable activations.
//===----------------------------------------------------------------------===//

#if VARIANT == VARIANT_x86_64_avx512vnni
#include <immintrin.h>

/// Two blocks per 512-bit step: the codes of blocks 2p and 2p + 1 are one
/// 64-byte load, so the activation copy interleaves them slice by slice
/// (slice i of block 2p, then of block 2p + 1).
#define BITNET_I2_BLOCK_GROUP 2

/// The codes of slice i of both blocks of a pair.
static inline __m512i codePair(__m512i w, int i) {
  return _mm512_and_si512(_mm512_srli_epi16(w, 2 * i), _mm512_set1_epi8(3));
}

/// The 64 code bytes of pair p (one unit of the layout).
static inline __m512i loadPair(const uint8_t *w, int64_t p) {
  return _mm512_loadu_si512(w + bitnetI2BlockInRow(2 * p));
}

/// dotRows prefetches its own weight stream (runRows does not, for GEMV).
#define BITNET_I2_DOT_ROWS_PREFETCH

/// vpdpbusd accumulates four byte products per int32 lane: no overflow for
/// K < 2^23, so no 16-bit partial sums to flush.
///
/// Slice i is masked in place (w & 3 << 2i = 4^i c) rather than shifted
/// down, into its own accumulator, which thus holds 4^i times its sum (every
/// lane a multiple of 4^i, so the final arithmetic shift is exact; |lane| <=
/// 4^3 * 2 * 128 * 4 * K / 256 = 256 K). Decode streams the weights with a
/// limited out-of-order window: 11 rather than 14 uops per 64-byte line keep
/// more of it for loads in flight.
///
/// The tile's pairs are one stream (I2Layout.h), requested one pair (4
/// lines) per step ahead of use, spread among the dot products rather than
/// a tile's worth at once, as `prefetch` says (Internal.h):
/// - L2_TWICE: into L2, 2 kPrefetchBytes and kPrefetchBytes ahead. Spreading
///   gave +10 % decode tokens/s at 1 and 2 threads on an Intel server core,
///   where the burst left the fill buffers idle between tiles; the second
///   request +2 % on one Intel thread, +1 % on two (4 alternating rounds of
///   the 2B model), where moving the one request anywhere between 4 and 16
///   KB ahead changed nothing.
/// - NONTEMPORAL: once, non-temporal, kNonTemporalBytes ahead. On Zen 5 the
///   requests to L2 made the stream slower than none at all (22 against 25
///   GB/s, bitnet-kernel-bench, 1 thread, medians of 4 rounds); over 8 more
///   rounds the Intel policy streamed 25 GB/s, one non-temporal line per
///   pair 34 and all four 36. 8 KB ahead, sparser requests and T0-T2 hints
///   were slower.
/// Prefetches past the weights do not fault.
static inline __attribute__((always_inline)) void
dotRowsWith(BitNetWeightPrefetch prefetch, const uint8_t *const w[kRowTile],
            int64_t blocks, const int8_t *q, int32_t out[kRowTile]) {
  __m512i acc[kRowTile][4];
  __m512i mask[4];
  for (int i = 0; i < 4; ++i) {
    mask[i] = _mm512_set1_epi8((char)(3 << (2 * i)));
    for (int r = 0; r < kRowTile; ++r)
      acc[r][i] = _mm512_setzero_si512();
  }
  int64_t pairs = (blocks + 1) / 2;
  for (int64_t p = 0; p < pairs; ++p) {
    __m512i qv[4];
    for (int i = 0; i < 4; ++i)
      qv[i] = _mm512_loadu_si512(q + 256 * p + 64 * i);
    const char *pair = (const char *)w[0] + bitnetI2BlockInRow(2 * p);
    if (prefetch == BITNET_WEIGHT_PREFETCH_NONTEMPORAL) {
      for (int i = 0; i < kRowTile; ++i)
        _mm_prefetch(pair + kNonTemporalBytes + 64 * i, _MM_HINT_NTA);
    } else {
      for (int i = 0; i < kRowTile; ++i)
        _mm_prefetch(pair + kPrefetchBytes + 64 * i, _MM_HINT_T1);
      for (int i = 0; i < kRowTile; ++i)
        _mm_prefetch(pair + 2 * kPrefetchBytes + 64 * i, _MM_HINT_T1);
    }
    for (int r = 0; r < kRowTile; ++r) {
      __m512i wv = loadPair(w[r], p);
      for (int i = 0; i < 4; ++i)
        acc[r][i] = _mm512_dpbusd_epi32(acc[r][i],
                                        _mm512_and_si512(wv, mask[i]), qv[i]);
    }
  }
  for (int r = 0; r < kRowTile; ++r) {
    __m512i sum = acc[r][0];
    for (int i = 1; i < 4; ++i)
      sum = _mm512_add_epi32(sum, _mm512_srai_epi32(acc[r][i], 2 * i));
    out[r] = _mm512_reduce_add_epi32(sum);
  }
}

/// One copy of the loop per policy, chosen once per tile.
static void dotRows(int rows, const uint8_t *const w[kRowTile], int64_t blocks,
                    const int8_t *q, int32_t out[kRowTile],
                    BitNetWeightPrefetch prefetch) {
  (void)rows; // the tile's padding rows past `rows` are zeros, not stored
  if (prefetch == BITNET_WEIGHT_PREFETCH_NONTEMPORAL)
    dotRowsWith(BITNET_WEIGHT_PREFETCH_NONTEMPORAL, w, blocks, q, out);
  else
    dotRowsWith(BITNET_WEIGHT_PREFETCH_L2_TWICE, w, blocks, q, out);
}

/// Prefill: a row tile's codes are unpacked once, 64 bytes per (row, pair,
/// slice) at unpacked + ((r * pairs + p) * 4 + i) * 64, the order of the
/// activation copy, so both walk slices s = 4 p + i at stride 64.
#define BITNET_I2_TOKEN_TILES 1
static void unpackRows(const uint8_t *const w[kRowTile], int64_t blocks,
                       uint8_t *unpacked) {
  int64_t pairs = (blocks + 1) / 2;
  for (int r = 0; r < kRowTile; ++r)
    for (int64_t p = 0; p < pairs; ++p) {
      __m512i wv = loadPair(w[r], p);
      for (int i = 0; i < 4; ++i)
        _mm512_storeu_si512(unpacked + ((r * pairs + p) * 4 + i) * 64,
                            codePair(wv, i));
    }
}

/// The whole kRowTile x kTokenTile output tile in registers (16 of the 32
/// zmm), with the tokens' activations in 4 more and one code register: per
/// slice 8 loads feed 16 vpdpbusd.
static void dotRowsTokens(int rows, const uint8_t *unpacked, int64_t blocks,
                          const int8_t *const q[kTokenTile],
                          int32_t out[kTokenTile][kRowTile]) {
  (void)rows;
  int64_t slices = (blocks + 1) / 2 * 4;
  __m512i acc[kRowTile][kTokenTile];
  for (int r = 0; r < kRowTile; ++r)
    for (int t = 0; t < kTokenTile; ++t)
      acc[r][t] = _mm512_setzero_si512();
  for (int64_t s = 0; s < slices; ++s) {
    __m512i qv[kTokenTile];
    for (int t = 0; t < kTokenTile; ++t)
      qv[t] = _mm512_loadu_si512(q[t] + 64 * s);
    for (int r = 0; r < kRowTile; ++r) {
      __m512i c = _mm512_loadu_si512(unpacked + (r * slices + s) * 64);
      for (int t = 0; t < kTokenTile; ++t)
        acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], c, qv[t]);
    }
  }
  for (int r = 0; r < kRowTile; ++r)
    for (int t = 0; t < kTokenTile; ++t)
      out[t][r] = _mm512_reduce_add_epi32(acc[r][t]);
}

/// Prefill with the rows in the lanes (tokens >= kLaneMinTokens), the layout
/// of VNNI GEMM tiles (as mmt4d's): an unpacked code vector holds 4
/// consecutive columns of 16 rows, one row per 32-bit lane, and meets the
/// same 4 activations of a token broadcast to every lane, so a vpdpbusd adds
/// to 16 outputs and no horizontal sum is left. A tile is kLaneRegs x 16 rows
/// by up to kLaneTokens tokens (24 of the 32 zmm), per step 2 code loads and
/// 12 broadcasts for 24 vpdpbusd. The activations of a token tile are
/// interleaved by step (laneInterleave), so that one pointer with constant
/// offsets reaches all 12 broadcasts.
#define BITNET_I2_LANE_GEMM 1
enum { kLaneRegs = 2, kLaneRows = 16 * kLaneRegs, kLaneTokens = 12 };
/// Below this many tokens, unpacking a row group into lanes costs more than
/// it saves: the per-row tiles above run instead.
enum { kLaneMinTokens = 8 };

/// Transposes 16 x 16 dwords: afterwards r[d] lane i is what r[i] lane d was.
static inline void transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  // r[4 g + c], 128-bit lane L: rows 4 g .. 4 g + 3 at dword 4 L + c.
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // A 4 x 4 transpose of 128-bit lanes across r[c], r[4 + c], ... .
  for (int c = 0; c < 4; ++c) {
    __m512i lo0 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x44);
    __m512i hi0 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xee);
    __m512i lo1 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0x44);
    __m512i hi1 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0xee);
    t[c] = _mm512_shuffle_i32x4(lo0, lo1, 0x88);
    t[4 + c] = _mm512_shuffle_i32x4(lo0, lo1, 0xdd);
    t[8 + c] = _mm512_shuffle_i32x4(hi0, hi1, 0x88);
    t[12 + c] = _mm512_shuffle_i32x4(hi0, hi1, 0xdd);
  }
  for (int i = 0; i < 16; ++i)
    r[i] = t[i];
}

/// Unpacks rows n0 .. n0 + 16 regs - 1 into lane vectors: step p (columns
/// 4 p .. 4 p + 3) of register z at out + (p * regs + z) * 64. Rows past the
/// packed ones read the last packed row; their outputs are not stored.
static void laneUnpack(const uint8_t *weights, int64_t rows, int64_t cols,
                       int64_t n0, int regs, int64_t units, uint8_t *out) {
  int64_t lastRow = (rows + kRowTile - 1) / kRowTile * kRowTile - 1;
  const __m512i mask = _mm512_set1_epi8(3);
  for (int z = 0; z < regs; ++z) {
    const uint8_t *row[16];
    for (int r = 0; r < 16; ++r) {
      int64_t n = n0 + 16 * z + r;
      row[r] = weights + bitnetI2RowOffset(n < lastRow ? n : lastRow, cols);
    }
    for (int64_t u = 0; u < units; ++u) {
      // v[r]: row r's unit u, 64 bytes = blocks 2 u and 2 u + 1.
      __m512i v[16];
      for (int r = 0; r < 16; ++r)
        v[r] = _mm512_loadu_si512(row[r] + bitnetI2BlockInRow(2 * u));
      transpose16(v);
      // v[d] lane r: bytes 4 d .. 4 d + 3 of row r's unit, whose slice-i
      // codes are columns 128 b + 32 i + 4 (d % 8) + 0..3, b = 2 u + d / 8:
      // step 32 b + 8 i + d % 8.
      for (int d = 0; d < 16; ++d)
        for (int i = 0; i < 4; ++i) {
          int64_t p = 32 * (2 * u + d / 8) + 8 * i + d % 8;
          _mm512_storeu_si512(
              out + (p * regs + z) * 64,
              _mm512_and_si512(_mm512_srli_epi32(v[d], 2 * i), mask));
        }
    }
  }
}

/// Moves token t (of its tile) from column order (`row`, steps dwords) to
/// dword t of each step of the tile's interleaved copy.
static void laneInterleave(const int8_t *row, int64_t steps, int t,
                           int8_t *tile) {
  for (int64_t p = 0; p < steps; ++p)
    memcpy(tile + (p * kLaneTokens + t) * 4, row + 4 * p, 4);
}

/// acc[z][t] lane r = Σ over `steps` of codes · q[t], for T tokens and
/// `regs` registers of rows; always inlined with constant T and regs.
static inline __attribute__((always_inline)) void
laneTile(int T, int regs, const uint8_t *codes, int64_t steps, const int8_t *q,
         int32_t out[kLaneTokens][kLaneRows]) {
  __m512i acc[kLaneRegs][kLaneTokens];
  for (int z = 0; z < regs; ++z)
    for (int t = 0; t < T; ++t)
      acc[z][t] = _mm512_setzero_si512();
  for (int64_t p = 0; p < steps; ++p) {
    __m512i c[kLaneRegs];
    for (int z = 0; z < regs; ++z)
      c[z] = _mm512_loadu_si512(codes + (p * regs + z) * 64);
    for (int t = 0; t < T; ++t) {
      int32_t four;
      memcpy(&four, q + (p * kLaneTokens + t) * 4, sizeof(four));
      __m512i qv = _mm512_set1_epi32(four);
      for (int z = 0; z < regs; ++z)
        acc[z][t] = _mm512_dpbusd_epi32(acc[z][t], c[z], qv);
    }
  }
  for (int z = 0; z < regs; ++z)
    for (int t = 0; t < T; ++t)
      _mm512_storeu_si512(out[t] + 16 * z, acc[z][t]);
}

#define BITNET_LANE_CASE(T, REGS)                                              \
  case T:                                                                      \
    laneTile(T, REGS, codes, steps, q, out);                                   \
    break;
// clang-format off
#define BITNET_LANE_CASES(REGS)                                                \
  BITNET_LANE_CASE(1, REGS) BITNET_LANE_CASE(2, REGS)                          \
  BITNET_LANE_CASE(3, REGS) BITNET_LANE_CASE(4, REGS)                          \
  BITNET_LANE_CASE(5, REGS) BITNET_LANE_CASE(6, REGS)                          \
  BITNET_LANE_CASE(7, REGS) BITNET_LANE_CASE(8, REGS)                          \
  BITNET_LANE_CASE(9, REGS) BITNET_LANE_CASE(10, REGS)                         \
  BITNET_LANE_CASE(11, REGS) BITNET_LANE_CASE(12, REGS)
// clang-format on

/// out[t][r] = Σ_k q[t][k] · code(n0 + r, k) for `tokens` <= kLaneTokens
/// interleaved at `q`.
static void laneTiles(int tokens, int regs, const uint8_t *codes, int64_t steps,
                      const int8_t *q, int32_t out[kLaneTokens][kLaneRows]) {
  if (regs == kLaneRegs) {
    switch (tokens) { BITNET_LANE_CASES(2) }
  } else {
    switch (tokens) { BITNET_LANE_CASES(1) }
  }
}
#undef BITNET_LANE_CASES
#undef BITNET_LANE_CASE

#elif VARIANT == VARIANT_x86_64_avx2
#include <immintrin.h>

static inline int32_t sum8(__m256i v) {
  __m128i s =
      _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

/// The codes of slice i (columns 32 i .. 32 i + 31 of a block).
static inline __m256i codes(__m256i w, int i) {
  return _mm256_and_si256(_mm256_srli_epi16(w, 2 * i), _mm256_set1_epi8(3));
}

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

static void dotRows(int rows, const uint8_t *const w[kRowTile], int64_t blocks,
                    const int8_t *q, int32_t out[kRowTile]) {
  __m256i acc[kRowTile];
  for (int r = 0; r < kRowTile; ++r)
    acc[r] = _mm256_setzero_si256();
  // The tile's rows past `rows` are padding (zero weights): computing them
  // is cheaper than branching, and they are not stored.
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
        __m256i wv =
            _mm256_loadu_si256((const __m256i *)(w[r] + bitnetI2BlockInRow(b)));
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
      __m256i wv =
          _mm256_loadu_si256((const __m256i *)(w[r] + bitnetI2BlockInRow(b)));
      for (int i = 0; i < 4; ++i)
        _mm256_storeu_si256(
            (__m256i *)(codesOut + ((r * blocks + b) * 4 + i) * 32),
            codes(wv, i));
    }
}

/// kTokenTile tokens, two rows at a time: each activation load serves both
/// rows (12 partial accumulators, 2 code and 1 activation register). Codes
/// and activations are both slices of 32 bytes in column order, so the loop
/// runs over slices; one step per iteration keeps the 15 live registers in
/// the 16 ymm (unrolling the four slices of a block spilled accumulators).
static void dotRowsTokens(int rows, const uint8_t *unpacked, int64_t blocks,
                          const int8_t *const q[kTokenTile],
                          int32_t out[kTokenTile][kRowTile]) {
  int64_t slices = 4 * blocks;
  for (int r0 = 0; r0 < rows; r0 += 2) {
    const uint8_t *c0Row = unpacked + (int64_t)r0 * slices * 32;
    const uint8_t *c1Row = c0Row + slices * 32;
    __m256i acc[2][kTokenTile];
    for (int r = 0; r < 2; ++r)
      for (int t = 0; t < kTokenTile; ++t)
        acc[r][t] = _mm256_setzero_si256();
    for (int64_t s0 = 0; s0 < slices; s0 += 4 * kFlushBlocks) {
      int64_t sEnd =
          slices - s0 < 4 * kFlushBlocks ? slices : s0 + 4 * kFlushBlocks;
      Partial part[2][kTokenTile];
      for (int r = 0; r < 2; ++r)
        for (int t = 0; t < kTokenTile; ++t)
          part[r][t] = partialZero();
#pragma clang loop unroll(disable)
      for (int64_t s = s0; s < sEnd; ++s) {
        __m256i c0 = _mm256_loadu_si256((const __m256i *)(c0Row + 32 * s));
        __m256i c1 = _mm256_loadu_si256((const __m256i *)(c1Row + 32 * s));
        for (int t = 0; t < kTokenTile; ++t) {
          __m256i qv = _mm256_loadu_si256((const __m256i *)(q[t] + 32 * s));
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
  acc =
      BITNET_NEON_DOT(acc, vandq_u8(vshrq_n_u8(w, 2), mask), vld1q_s8(q + 32));
  acc =
      BITNET_NEON_DOT(acc, vandq_u8(vshrq_n_u8(w, 4), mask), vld1q_s8(q + 64));
  return BITNET_NEON_DOT(acc, vshrq_n_u8(w, 6), vld1q_s8(q + 96));
}

static void dotRows(int rows, const uint8_t *const w[kRowTile], int64_t blocks,
                    const int8_t *q, int32_t out[kRowTile]) {
  for (int r = 0; r < rows; ++r) {
    int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t *wb = w[r] + bitnetI2BlockInRow(b);
      const int8_t *qb = q + 128 * b;
      acc0 = halfBlockDot(acc0, vld1q_u8(wb), qb);
      acc1 = halfBlockDot(acc1, vld1q_u8(wb + 16), qb + 16);
    }
    out[r] = vaddvq_s32(vaddq_s32(acc0, acc1));
  }
}

#elif VARIANT == VARIANT_riscv64_rvv
#include <riscv_vector.h>

static void dotRows(int rows, const uint8_t *const w[kRowTile], int64_t blocks,
                    const int8_t *q, int32_t out[kRowTile]) {
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
        vuint8m2_t wv = __riscv_vle8_v_u8m2(w[r] + bitnetI2BlockInRow(b), vl);
        const int8_t *qb = q + 128 * b;
        for (int i = 0; i < 4; ++i) {
          vuint8m2_t c =
              __riscv_vand_vx_u8m2(__riscv_vsrl_vx_u8m2(wv, 2 * i, vl), 3, vl);
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
static void dotRows(int rows, const uint8_t *const w[kRowTile], int64_t blocks,
                    const int8_t *q, int32_t out[kRowTile]) {
  for (int r = 0; r < rows; ++r) {
    int32_t total = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t *wb = w[r] + bitnetI2BlockInRow(b);
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

#ifndef BITNET_I2_BLOCK_GROUP
#define BITNET_I2_BLOCK_GROUP 1
#endif
/// Blocks the variant's loop reads as one step; the activation copy holds
/// slice i of the group's blocks side by side (see layoutActivations).
enum { kBlockGroup = BITNET_I2_BLOCK_GROUP };

typedef struct {
  const uint8_t *weights;
  BitNetMemRef2DI32 *acc;
  int64_t tokens;
  int64_t rows;
  /// K, and the bytes of one row tile and of the whole packed weight.
  int64_t cols;
  int64_t tileBytes;
  int64_t weightBytes;
  /// Blocks per row, the ragged last one included.
  int64_t blocks;
  /// Per token, actBytes apart: the activations as the block loops read them.
  const int8_t *acts;
  int64_t actBytes;
  /// Per token: Σ_k q.
  const int32_t *qSums;
  /// Whether the lane tiles run (activations then in column order).
  int lanes;
  /// How dotRows requests the weight stream (variants that prefetch).
  BitNetWeightPrefetch prefetch;
} Job;

static const int8_t *tokenRow(const BitNetMemRef2DI8 *q, int64_t m) {
  return q->aligned + q->offset + m * q->strides[0];
}

/// Copies token m's activations into `out` (actBytes), zero-padded to whole
/// block groups: slice i (32 columns) of block b goes to
/// ((b / G) * 4 + i) * 32 G + (b % G) * 32, which for G = 1 is column order.
/// Returns Σ_k q.
static int32_t layoutActivations(const BitNetMemRef2DI8 *q, int64_t m,
                                 int64_t group, int64_t actBytes, int8_t *out) {
  const int8_t *row = tokenRow(q, m);
  int64_t cols = q->sizes[1], stride = q->strides[1];
  int32_t sum = 0;
  memset(out, 0, (size_t)actBytes);
  for (int64_t k0 = 0; k0 < cols; k0 += 32) {
    int64_t b = k0 / BITNET_I2_BLOCK_WEIGHTS,
            i = k0 % BITNET_I2_BLOCK_WEIGHTS / 32;
    int8_t *dst = out + ((b / group) * 4 + i) * 32 * group + (b % group) * 32;
    int64_t n = cols - k0 < 32 ? cols - k0 : 32;
    if (stride == 1 || cols == 1)
      memcpy(dst, row + k0, (size_t)n);
    else
      for (int64_t j = 0; j < n; ++j)
        dst[j] = row[(k0 + j) * stride];
    for (int64_t j = 0; j < n; ++j)
      sum += dst[j];
  }
  return sum;
}

/// acc[m, n + r] = block sums - Σ q, for r < rows.
static inline void storeRows(const Job *job, int64_t m, int64_t n, int rows,
                             const int32_t *sums) {
  BitNetMemRef2DI32 *acc = job->acc;
  int32_t *out =
      acc->aligned + acc->offset + m * acc->strides[0] + n * acc->strides[1];
  for (int r = 0; r < rows; ++r)
    out[r * acc->strides[1]] = sums[r] - job->qSums[m];
}

#ifdef BITNET_I2_LANE_GEMM
/// Rows [begin, end) with the lane tiles: each group of kLaneRows rows is
/// unpacked once and serves every token.
static void runLaneRows(const Job *job, int64_t begin, int64_t end) {
  int64_t units = bitnetI2RowBytes(job->cols) / 64, steps = units * 64;
  uint8_t *codes = malloc((size_t)(steps * kLaneRows * 4));
  if (!codes)
    abort();
  for (int64_t n0 = begin; n0 < end; n0 += kLaneRows) {
    int64_t rows = end - n0 < kLaneRows ? end - n0 : kLaneRows;
    int regs = (int)((rows + 15) / 16);
    laneUnpack(job->weights, job->rows, job->cols, n0, regs, units, codes);
    for (int64_t m = 0; m < job->tokens; m += kLaneTokens) {
      int tokens =
          job->tokens - m < kLaneTokens ? (int)(job->tokens - m) : kLaneTokens;
      int32_t sums[kLaneTokens][kLaneRows];
      laneTiles(tokens, regs, codes, steps, job->acts + m * job->actBytes,
                sums);
      for (int t = 0; t < tokens; ++t)
        storeRows(job, m + t, n0, (int)rows, sums[t]);
    }
  }
  free(codes);
}
#endif

static void runRows(void *opaque, int64_t begin, int64_t end) {
  const Job *job = opaque;
#ifdef BITNET_I2_LANE_GEMM
  if (job->lanes) {
    runLaneRows(job, begin, end);
    return;
  }
#endif
#ifdef BITNET_I2_TOKEN_TILES
  // Unpacked codes of one row tile.
  uint8_t *unpacked = NULL;
  if (job->tokens >= kTokenTile) {
    unpacked = malloc((size_t)(kRowTile * job->actBytes));
    if (!unpacked)
      abort();
  }
#endif
#ifdef BITNET_I2_DOT_ROWS_PREFETCH
  // dotRows requests lines ahead of its position (16 KB for L2_TWICE), so
  // the first ones of this chunk's stream would come in on demand: fetch
  // them now. +3-4 % decode tokens/s on one Intel thread (5 alternating
  // rounds of the 2B model, whose GEMVs are one chunk each there), +0-1.5 %
  // on two.
  if (job->tokens < kTokenTile)
    bitnetPrefetchChunkStart(job->weights + begin / kRowTile * job->tileBytes,
                             job->weights + job->weightBytes,
                             job->prefetch == BITNET_WEIGHT_PREFETCH_NONTEMPORAL
                                 ? kNonTemporalBytes
                                 : 2 * kPrefetchBytes,
                             job->prefetch);
#endif
  for (int64_t n = begin; n < end; n += kRowTile) {
    int rows = end - n < kRowTile ? (int)(end - n) : kRowTile;
    // The tile is one sequential stream (see I2Layout.h); row r's units are
    // 64 bytes after row r - 1's.
    const uint8_t *tile = job->weights + n / kRowTile * job->tileBytes;
    const uint8_t *w[kRowTile];
    for (int r = 0; r < kRowTile; ++r)
      w[r] = tile + bitnetI2RowOffset(r, job->cols);
      // Decode is bound by this stream: fetch kPrefetchBytes ahead into L2,
      // a tile's worth per tile, on top of the hardware prefetchers (unless
      // dotRows spreads that over its steps).
#ifdef BITNET_I2_DOT_ROWS_PREFETCH
    bool prefetchTile = job->tokens >= kTokenTile;
#else
    bool prefetchTile = true;
#endif
    const uint8_t *ahead = tile + kPrefetchBytes;
    const uint8_t *weightsEnd = job->weights + job->weightBytes;
    for (int64_t off = 0;
         prefetchTile && off < job->tileBytes && ahead + off < weightsEnd;
         off += 64)
      __builtin_prefetch(ahead + off, 0, 2);
    int64_t m = 0;
#ifdef BITNET_I2_TOKEN_TILES
    if (unpacked)
      unpackRows(w, job->blocks, unpacked);
    for (; m + kTokenTile <= job->tokens; m += kTokenTile) {
      int32_t sums[kTokenTile][kRowTile] = {{0}};
      const int8_t *q[kTokenTile];
      for (int t = 0; t < kTokenTile; ++t)
        q[t] = job->acts + (m + t) * job->actBytes;
      dotRowsTokens(rows, unpacked, job->blocks, q, sums);
      for (int t = 0; t < kTokenTile; ++t)
        storeRows(job, m + t, n, rows, sums[t]);
    }
#endif
    for (; m < job->tokens; ++m) {
      int32_t sums[kRowTile] = {0};
#ifdef BITNET_I2_DOT_ROWS_PREFETCH
      dotRows(rows, w, job->blocks, job->acts + m * job->actBytes, sums,
              job->prefetch);
#else
      dotRows(rows, w, job->blocks, job->acts + m * job->actBytes, sums);
#endif
      storeRows(job, m, n, rows, sums);
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
  int64_t blocks =
      (cols + BITNET_I2_BLOCK_WEIGHTS - 1) / BITNET_I2_BLOCK_WEIGHTS;
  int64_t groups = (blocks + kBlockGroup - 1) / kBlockGroup;
  Job job = {w->aligned + w->offset,
             acc,
             tokens,
             rows,
             cols,
             bitnetI2TileBytes(cols),
             bitnetI2PackedBytes(rows, cols),
             blocks,
             NULL,
             groups * kBlockGroup * BITNET_I2_BLOCK_WEIGHTS,
             NULL,
             0,
             bitnetWeightPrefetch()};
  // One allocation for the copy, the sums (a few bytes per token) and, for
  // the lane tiles, one token in column order before it is interleaved.
  int64_t grain = kRowTile;
  size_t actsBytes = (size_t)(tokens * job.actBytes), rowBytes = 0;
#ifdef BITNET_I2_LANE_GEMM
  if (tokens >= kLaneMinTokens) {
    // Whole units in column order, in whole token tiles (the last one's
    // unused slots are never read); chunks of whole lane registers.
    job.lanes = 1;
    job.actBytes = bitnetI2RowBytes(cols) * 4;
    actsBytes = (size_t)((tokens + kLaneTokens - 1) / kLaneTokens *
                         kLaneTokens * job.actBytes);
    rowBytes = (size_t)job.actBytes;
    grain = kLaneRows / kLaneRegs;
  }
#endif
  char *scratch =
      malloc(actsBytes + rowBytes + (size_t)tokens * sizeof(int32_t));
  if (!scratch)
    abort();
  int8_t *acts = (int8_t *)scratch;
  int32_t *qSums = (int32_t *)(scratch + actsBytes + rowBytes);
  for (int64_t m = 0; m < tokens; ++m) {
#ifdef BITNET_I2_LANE_GEMM
    if (job.lanes) {
      int8_t *row = acts + actsBytes;
      qSums[m] = layoutActivations(q, m, 1, job.actBytes, row);
      laneInterleave(row, job.actBytes / 4, (int)(m % kLaneTokens),
                     acts + m / kLaneTokens * kLaneTokens * job.actBytes);
      continue;
    }
#endif
    qSums[m] = layoutActivations(q, m, kBlockGroup, job.actBytes,
                                 acts + m * job.actBytes);
  }
  job.acts = acts;
  job.qSums = qSums;
  bitnetParallelStream(rows, grain, runRows, &job, job.weights,
                       (size_t)job.weightBytes);
  free(scratch);
}
