//===- KernelBench.cpp - Throughput of the integer microkernels ---------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Google Benchmark of every int2 and int8 variant (bitnet/Kernels/Kernels.def)
// this CPU runs, on 1 and 2 threads: int2 at the BitNet b1.58 2B projection
// shapes (N x K: 2560 x 2560, 6912 x 2560, 2560 x 6912), int8 at its W8A8 LM
// head (128256 x 2560, 328 MB: decode only):
//   decode/...   1 token: a GEMV streaming its weights from DRAM (each
//                iteration reads another copy of the matrix, 512 MiB in all)
//   prefill/...  128 tokens: a GEMM whose weights stay in cache
// Counters: GMAC/s; for decode also the weight bytes read per second (GB/s)
// and `floor`, that rate over a plain read of the same buffer measured first
// in the same run with the same thread count (1.0 = at the memory floor).
//
//   build/bin/bitnet-kernel-bench [--benchmark_filter=decode]
//
//===----------------------------------------------------------------------===//

extern "C" {
#include "../../runtime/Internal.h"
#include "../ReadProbe.h"
#include "bitnet/Kernels/I2Layout.h"
#include "bitnet/Kernels/I8Layout.h"
}

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Kernel = void (*)(const BitNetMemRef2DI8 *, const BitNetMemRef1DU8 *,
                        BitNetMemRef2DI32 *);
using PackedBytes = int64_t (*)(int64_t rows, int64_t cols);

struct Variant {
  const char *family; // "i2" or "i8"
  const char *name;
  const char *features;
  Kernel entry;
  PackedBytes packedBytes;
};

#define BITNET_I2_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  extern "C" void _mlir_ciface_bitnet_i2_matmul_##NAME(                        \
      const BitNetMemRef2DI8 *, const BitNetMemRef1DU8 *, BitNetMemRef2DI32 *) \
      __attribute__((weak));
#include "bitnet/Kernels/Kernels.def"
#define BITNET_I8_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  extern "C" void _mlir_ciface_bitnet_i8_matmul_##NAME(                        \
      const BitNetMemRef2DI8 *, const BitNetMemRef1DU8 *, BitNetMemRef2DI32 *) \
      __attribute__((weak));
#include "bitnet/Kernels/Kernels.def"
#define BITNET_I2_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  {"i2", #NAME, FEATURES, _mlir_ciface_bitnet_i2_matmul_##NAME,                \
   bitnetI2PackedBytes},
#define BITNET_I8_KERNEL(NAME, ARCH, FEATURES, PRIORITY)                       \
  {"i8", #NAME, FEATURES, _mlir_ciface_bitnet_i8_matmul_##NAME,                \
   bitnetI8PackedBytes},
const Variant kVariants[] = {
#include "bitnet/Kernels/Kernels.def"
};

constexpr int64_t kDecodeBytes = int64_t(512) << 20;

/// One buffer of packed ternary rows (random codes 0..2; any byte is an int8
/// code), reused by every
/// benchmark: kDecodeBytes, so decode reads each matrix copy from DRAM, from
/// huge pages as model.so's weights are (ReadProbe.h).
const uint8_t *weightPool() {
  static uint8_t *pool = [] {
    auto *bytes = static_cast<uint8_t *>(bitnetReadProbeAlloc(kDecodeBytes));
    if (!bytes)
      std::abort();
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (int64_t i = 0; i < kDecodeBytes; ++i) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      uint8_t packed = 0;
      for (int i = 0; i < 4; ++i)
        packed |= uint8_t((state >> (8 * i)) % 3) << (2 * i);
      bytes[i] = packed;
    }
    return bytes;
  }();
  return pool;
}

/// Sets the pool bitnetParallelFor uses on this thread for one benchmark.
struct ScopedPool {
  explicit ScopedPool(int threads)
      : pool(threads > 1 ? bitnetThreadPoolCreate(threads) : nullptr) {
    bitnetSetCurrentThreadPool(pool);
  }
  ~ScopedPool() {
    bitnetSetCurrentThreadPool(nullptr);
    bitnetThreadPoolDestroy(pool);
  }
  BitNetThreadPool *pool;
};

/// GB/s of a read-only pass over the weight pool with `threads` threads, the
/// best of 5: the floor the decode GEMV is measured against.
double streamGBps(int threads) {
  const uint8_t *pool = weightPool();
  ScopedPool scoped(threads);
  struct Sum {
    const uint64_t *words;
    uint64_t total[64];
  } sum = {reinterpret_cast<const uint64_t *>(pool), {}};
  auto body = [](void *arg, int64_t begin, int64_t end) {
    auto *s = static_cast<Sum *>(arg);
    s->total[begin % 64] +=
        bitnetReadProbeSum(s->words + begin * 4096, (end - begin) * 4096);
  };
  int64_t chunks = kDecodeBytes / 8 / 4096;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    bitnetParallelFor(chunks, chunks / threads, body, &sum);
    std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    best = std::max(best, kDecodeBytes / took.count() / 1e9);
  }
  benchmark::DoNotOptimize(sum.total);
  return best;
}

void runMatmul(benchmark::State &state, const Variant *variant, int64_t tokens,
               int64_t rows, int64_t cols, int threads, double floorGBps) {
  const uint8_t *pool = weightPool();
  int64_t matrixBytes = variant->packedBytes(rows, cols);
  int64_t copies = tokens == 1 ? kDecodeBytes / matrixBytes : 1;
  std::vector<int8_t> q(tokens * cols);
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = int8_t(i * 37 % 255 - 127);
  std::vector<int32_t> out(tokens * rows);
  BitNetMemRef2DI8 qRef = {q.data(), q.data(), 0, {tokens, cols}, {cols, 1}};
  BitNetMemRef2DI32 accRef = {
      out.data(), out.data(), 0, {tokens, rows}, {rows, 1}};
  ScopedPool scoped(threads);
  int64_t copy = 0;
  for (auto _ : state) {
    auto *w = const_cast<uint8_t *>(pool) + copy * matrixBytes;
    BitNetMemRef1DU8 wRef = {w, w, 0, {matrixBytes}, {1}};
    variant->entry(&qRef, &wRef, &accRef);
    benchmark::DoNotOptimize(out.data());
    copy = (copy + 1) % copies;
  }
  double macs = double(tokens) * rows * cols;
  state.counters["GMAC/s"] = benchmark::Counter(
      macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (tokens == 1) {
    state.counters["GB/s"] = benchmark::Counter(
        matrixBytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["stream GB/s"] = floorGBps;
  }
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  struct Shape {
    int64_t rows, cols;
    bool prefill;
  };
  const std::vector<Shape> i2Shapes = {
      {2560, 2560, true}, {6912, 2560, true}, {2560, 6912, true}};
  const std::vector<Shape> i8Shapes = {{128256, 2560, false}};
  double floor[3] = {0, streamGBps(1), streamGBps(2)};
  std::printf("read-only stream over %lld MiB: %.1f GB/s (1 thread), %.1f "
              "GB/s (2 threads)\n",
              (long long)(kDecodeBytes >> 20), floor[1], floor[2]);
  for (const Variant &v : kVariants) {
    if (!v.entry)
      continue;
    if (bitnet_status_t status = bitnetCheckCpuFeatures(v.features)) {
      bitnet_status_free(status); // this CPU lacks the variant's features
      continue;
    }
    bool isI2 = std::strcmp(v.family, "i2") == 0;
    for (int64_t tokens : {int64_t(1), int64_t(128)})
      for (const Shape &shape : isI2 ? i2Shapes : i8Shapes)
        for (int threads : {1, 2}) {
          if (tokens > 1 && !shape.prefill)
            continue;
          std::string name = std::string(tokens == 1 ? "decode/" : "prefill/") +
                             v.family + "/" + v.name + "/" +
                             std::to_string(shape.rows) + "x" +
                             std::to_string(shape.cols) +
                             "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), runMatmul, &v, tokens,
                                       shape.rows, shape.cols, threads,
                                       floor[threads])
              ->UseRealTime()
              ->Unit(benchmark::kMicrosecond);
        }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
