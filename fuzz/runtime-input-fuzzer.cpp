//===- runtime-input-fuzzer.cpp - libFuzzer target for runtime inputs -----===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The inputs a server built on a compiled model would take from its clients,
// fed to the code that handles them. The first byte picks the path (modulo
// 6), the rest is its input:
//   0  .npy bytes        -> bitnet::run::parseNpy (tools/bitnet-run), then
//                           the tensor is run through the C ABI
//   1  TensorProto bytes -> bitnet::run::parseTensorProto, then the same
//   2  metadata text     -> bitnetParseMetadata (runtime/Metadata.c), then
//                           the info queries, the CPU-feature check and
//                           bitnet_context_create on the parsed model
//   3  sampling          -> bitnet_sample (options, logits incl. NaN/inf)
//   4  raw tensors       -> bitnet_context_run with arbitrary dtype, rank,
//                           shape, size_bytes and input count
//   5  a session script  -> the generation-session C ABI (create, append,
//                           reset, length, capacity, destroy) on a fake
//                           decoder with KV caches whose layout the input
//                           picks, with fuzzed options, prompt lengths
//                           (0, negative, past the context), tokens, resets,
//                           NULL and mismatched arguments; every result is
//                           checked against a model of the session
// The model behind bitnet_model_get is test/Runtime/Inputs/fake_model.c
// ("fake add": a, b float32 [2, ?sequence]), linked in with the runtime
// sources, which are compiled with ASan + UBSan + coverage; fake_model.c's
// run function is renamed bitnetFakeAddRun (fuzz/CMakeLists.txt) and this
// file's __bitnet_model_run forwards to it, or to the fake decoder while a
// session script runs. Every error must come back as a message or a status;
// anything else (a sanitizer report, a failed round trip or property, an
// abort) is a bug.
//
//===----------------------------------------------------------------------===//

#include "TensorFile.h"

#include "Internal.h"
#include "bitnet-c/Runtime.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using bitnet::run::Tensor;

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "runtime-input-fuzzer: %s\n", what);
  std::abort();
}

/// Releases `status`; a NULL or empty-message failure is a bug.
bool check(bitnet_status_t status) {
  if (!status)
    return true;
  if (bitnet_status_code(status) == BITNET_STATUS_OK ||
      !*bitnet_status_message(status))
    fail("a failed status without a code or a message");
  bitnet_status_free(status);
  return false;
}

const bitnet_model_t *fakeModel() {
  static const bitnet_model_t *model = [] {
    const bitnet_model_t *result = nullptr;
    if (!check(bitnet_model_get(&result)))
      fail("the fake model does not load");
    return result;
  }();
  return model;
}

bitnet_context_t *newContext(const bitnet_model_t *model) {
  bitnet_context_options_t options;
  bitnet_context_options_initialize(&options);
  options.num_threads = 1;
  bitnet_context_t *context = nullptr;
  if (!check(bitnet_context_create(model, &options, &context)))
    return nullptr;
  return context;
}

/// Runs the fake model with `tensor` as both inputs, then checks the outputs
/// against a + b.
void runFakeModel(const Tensor &tensor) {
  bitnet_context_t *context = newContext(fakeModel());
  if (!context)
    fail("cannot create a context for the fake model");
  bitnet_tensor_t input;
  input.dtype = tensor.dtype;
  input.rank = static_cast<int32_t>(tensor.shape.size());
  input.shape = tensor.shape.data();
  input.data = const_cast<uint8_t *>(tensor.data.data());
  input.size_bytes = tensor.data.size();
  bitnet_tensor_t inputs[2] = {input, input};
  if (check(bitnet_context_run(context, inputs, 2))) {
    if (tensor.dtype != BITNET_DTYPE_FLOAT32 || tensor.shape.size() != 2 ||
        tensor.shape[0] != 2)
      fail("the runtime accepted an input the fake model does not take");
    bitnet_tensor_t y, shape;
    if (!check(bitnet_context_output(context, 0, &y)) ||
        !check(bitnet_context_output(context, 1, &shape)))
      fail("no outputs after a successful run");
    if (y.size_bytes != tensor.data.size() || shape.size_bytes != 16)
      fail("wrong output sizes");
    const float *a = reinterpret_cast<const float *>(tensor.data.data());
    for (size_t i = 0; i < tensor.data.size() / 4; ++i) {
      float expected = a[i] + a[i];
      float got = static_cast<const float *>(y.data)[i];
      if (std::memcmp(&expected, &got, 4) != 0 &&
          !(std::isnan(expected) && std::isnan(got)))
        fail("wrong output values");
    }
  }
  bitnet_context_destroy(context);
}

/// parse(serialize(t)) == t for a parsed .npy tensor.
void checkNpyRoundTrip(const Tensor &tensor) {
  Tensor again;
  if (bitnet::run::parseNpy(bitnet::run::serializeNpy(tensor), again))
    fail("a parsed .npy tensor does not parse after reserializing");
  if (again.dtype != tensor.dtype || again.shape != tensor.shape ||
      again.data != tensor.data)
    fail("a .npy tensor changed in a round trip");
}

void fuzzTensorFile(bool npy, const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  Tensor tensor;
  bitnet::run::Error error = npy ? bitnet::run::parseNpy(bytes, tensor)
                                 : bitnet::run::parseTensorProto(bytes, tensor);
  if (error) {
    if (error->empty())
      fail("an empty error message");
    return;
  }
  if (tensor.data.size() !=
      tensor.numElements() * bitnet::run::elementSize(tensor.dtype))
    fail("a parsed tensor whose data does not match its shape");
  (void)bitnet::run::formatShape(tensor.shape);
  checkNpyRoundTrip(tensor);
  runFakeModel(tensor);
}

void fuzzMetadata(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  struct bitnet_model_s *model = nullptr;
  if (!check(bitnetParseMetadata(text.c_str(), &model))) {
    if (model)
      fail("bitnetParseMetadata failed but returned a model");
    return;
  }
  (void)std::strlen(bitnet_model_name(model));
  (void)std::strlen(bitnet_model_target(model));
  for (int32_t i = -1; i <= bitnet_model_num_inputs(model); ++i) {
    bitnet_tensor_info_t info;
    if (check(bitnet_model_input_info(model, i, &info)))
      for (int32_t d = 0; d < info.rank; ++d)
        if (info.dim_names[d])
          (void)std::strlen(info.dim_names[d]);
  }
  for (int32_t i = -1; i <= bitnet_model_num_outputs(model); ++i) {
    bitnet_tensor_info_t info;
    if (check(bitnet_model_output_info(model, i, &info)))
      (void)std::strlen(info.name);
  }
  check(bitnetCheckCpuFeatures(model->requiredFeatures));
  (void)bitnet_model_has_kv_cache(model);
  bitnet_context_destroy(newContext(model));
  bitnetFreeModel(model);
}

/// Reads little-endian bytes from the input, zeros past its end.
struct ByteSource {
  const uint8_t *data;
  size_t size;
  template <typename T> T take() {
    T value{};
    size_t n = sizeof(T) < size ? sizeof(T) : size;
    std::memcpy(&value, data, n);
    data += n;
    size -= n;
    return value;
  }
};

void fuzzSampling(const uint8_t *data, size_t size) {
  ByteSource in{data, size};
  bitnet_sampling_options_t options;
  bitnet_sampling_options_initialize(&options);
  uint8_t flags = in.take<uint8_t>();
  options.temperature = in.take<float>();
  options.top_k = in.take<int32_t>();
  options.top_p = in.take<float>();
  if (flags & 1)
    options.struct_size = in.take<uint32_t>();
  uint64_t rng = in.take<uint64_t>();
  std::vector<float> logits(in.size / sizeof(float));
  if (!logits.empty())
    std::memcpy(logits.data(), in.data, logits.size() * sizeof(float));
  int64_t vocab = static_cast<int64_t>(logits.size());
  if (flags & 2)
    vocab = -vocab; // a negative vocabulary must be rejected
  int64_t token = -1;
  if (!check(bitnet_sample(logits.empty() && (flags & 4) ? nullptr
                                                           : logits.data(),
                           vocab, (flags & 8) ? nullptr : &options, &rng,
                           &token)))
    return;
  if (token < 0 || token >= vocab)
    fail("bitnet_sample returned a token outside [0, vocab)");
  // A NaN logit is never picked unless all are NaN; a +inf logit always is,
  // and greedy decoding picks a maximum.
  bool allNaN = true, anyPosInf = false;
  float maxLogit = -INFINITY;
  for (float logit : logits) {
    allNaN &= std::isnan(logit);
    anyPosInf |= std::isinf(logit) && logit > 0;
    if (logit > maxLogit)
      maxLogit = logit;
  }
  float picked = logits[token];
  if (std::isnan(picked) && !allNaN)
    fail("bitnet_sample picked a NaN logit");
  if (anyPosInf && !(std::isinf(picked) && picked > 0))
    fail("bitnet_sample did not pick a +inf logit");
  bool greedy = !(flags & 8) && options.temperature == 0;
  if ((greedy || (flags & 8)) && !allNaN && picked != maxLogit)
    fail("greedy bitnet_sample did not pick the maximum");
}

void fuzzRawTensors(const uint8_t *data, size_t size) {
  ByteSource in{data, size};
  uint8_t numInputs = in.take<uint8_t>() % 4;
  bitnet_tensor_t inputs[3];
  std::vector<int64_t> shapes[3];
  std::vector<uint8_t> buffers[3];
  for (int i = 0; i < 3; ++i) {
    bitnet_tensor_t &t = inputs[i];
    t.dtype = static_cast<bitnet_dtype_t>(in.take<uint8_t>() % 16);
    int8_t rank = in.take<int8_t>();
    t.rank = rank;
    shapes[i].resize(rank > 0 ? rank : 0);
    for (int64_t &extent : shapes[i]) {
      // Mostly small extents, sometimes anything.
      uint8_t kind = in.take<uint8_t>();
      extent = kind < 0xf0 ? kind % 8 : in.take<int64_t>();
    }
    t.shape = rank > 0 ? shapes[i].data() : nullptr;
    uint16_t bytes = in.take<uint16_t>() % 1024;
    buffers[i].assign(bytes, 0x3f);
    t.data = bytes ? buffers[i].data() : nullptr;
    t.size_bytes = bytes;
  }
  bitnet_context_t *context = newContext(fakeModel());
  if (!context)
    fail("cannot create a context for the fake model");
  if (check(bitnet_context_run(context, numInputs ? inputs : nullptr,
                               numInputs))) {
    bitnet_tensor_t y;
    if (!check(bitnet_context_output(context, 0, &y)))
      fail("no output after a successful run");
  }
  bitnet_tensor_t out;
  check(bitnet_context_output(context, in.take<int8_t>(), &out));
  bitnet_context_destroy(context);
}

//===----------------------------------------------------------------------===//
// Path 5: generation sessions over a fake decoder with KV caches
//===----------------------------------------------------------------------===//

/// One KV cache of the fake decoder: float32 [batch, d1, ..., d(rank-1)]
/// with the positions on `axis` (>= 1), batch 1 and every other extent
/// static in 1..4. Slot h of position p (h < outer * inner, the product of
/// the other extents) holds (token(p) + 1) * (h + 1).
struct FakeCache {
  int32_t input = -1;
  int32_t rank = 3;
  int32_t axis = 1;
  int64_t extents[4] = {1, 1, 1, 1}; // [0] and [axis] unused
  int64_t outer = 1;                 // product of the extents in (0, axis)
  int64_t inner = 1;                 // product of the extents after axis
};

/// How the decoder departs from what the session API supports. TokenInt32
/// to NoCache and NoTokens make bitnet_session_create fail; StaticPast and
/// DecodeOnly make appends fail unless the capacity / token count matches;
/// WrongLogitRows (generated code returning [1, n + 1, vocab] logits) makes
/// every append that reaches the model fail with INTERNAL.
enum class Defect : uint8_t {
  None,
  TokenInt32,      // int32 token ids
  TokenRank1,      // tokens [sequence]
  ExtraInput,      // a float input that is neither tokens nor a cache
  DynamicVocab,    // logits [batch, sequence, ?vocab]
  IntLogits,       // int64 logits
  ZeroVocab,       // logits [batch, sequence, 0]
  DynamicCacheDim, // a cache extent besides batch and positions is dynamic
  NoCache,         // no kv-cache / kv-length records
  StaticPast,      // the cache axis is a static extent
  DecodeOnly,      // tokens [batch, 1]
  StaticBatch,     // batch 1 everywhere instead of ?batch (supported)
  NoTokens,        // no token input (only the caches and kv_length)
  WrongLogitRows,  // the model returns n + 1 rows of logits
  Count
};

struct FakeDecoder {
  Defect defect = Defect::None;
  int32_t tokenInput = -1;
  int32_t lengthInput = -1;
  std::vector<FakeCache> caches;
  int64_t vocab = 1;
  int64_t staticPast = 0; // Defect::StaticPast
  // Logits [1, 1, vocab] instead of [1, n, vocab].
  bool lastPositionOnly = false;
  std::string metadata;
};

/// The harness's model of one session.
struct SessionModel {
  bitnet_session_t *session = nullptr;
  int64_t capacity = 0;
  std::vector<int64_t> history;        // tokens since the last reset
  std::vector<const void *> cacheData; // per cache, as first seen
  bitnet_tensor_t logits{};            // of the last successful append
  bool hasLogits = false;
};

/// Set while a session script runs / an append runs (single-threaded
/// harness; the decoder itself may run on the context's workers).
const FakeDecoder *activeDecoder = nullptr;
SessionModel *activeSession = nullptr;

/// The logit of token `v` after position `position`, where `sum` is
/// sum(token(q) + 1) over positions q <= position: depends on every
/// position of the cache, so a lost or stale position shows.
float fakeLogit(int64_t sum, int64_t position, int64_t v) {
  return static_cast<float>((sum * 31 + v * (position + 1)) % 65521);
}

struct LogitsJob {
  float *logits;
  int64_t vocab;
  const int64_t *sums;      // per row
  const int64_t *positions; // per row
};

void fillLogits(void *arg, int64_t begin, int64_t end) {
  const auto *job = static_cast<const LogitsJob *>(arg);
  for (int64_t i = begin; i < end; ++i) {
    int64_t row = i / job->vocab;
    job->logits[i] =
        fakeLogit(job->sums[row], job->positions[row], i % job->vocab);
  }
}

/// The generated code of the fake decoder. Checks what ModelInterface.h and
/// Session.c promise it (batch 1, L + n within every cache, caches written
/// in place and never moved, kv_length = the positions filled, tokens in the
/// vocabulary), writes the new positions and returns the logits.
void runFakeDecoder(const FakeDecoder &d, const bitnet_model_input_t *inputs,
                    bitnet_model_output_t *outputs) {
  SessionModel *state = activeSession;
  if (!state)
    fail("the fake decoder ran outside bitnet_session_append");
  const int64_t *tokenShape = inputs[d.tokenInput].shape;
  if (tokenShape[0] != 1 || tokenShape[1] < 1)
    fail("the session ran the decoder with tokens other than [1, n >= 1]");
  int64_t n = tokenShape[1];
  const auto *tokens = static_cast<const int64_t *>(inputs[d.tokenInput].data);
  int64_t length = *static_cast<const int64_t *>(inputs[d.lengthInput].data);
  if (length != static_cast<int64_t>(state->history.size()))
    fail("kv_length is not the number of positions filled");
  for (int64_t j = 0; j < n; ++j)
    if (tokens[j] < 0 || tokens[j] >= d.vocab)
      fail("the session passed a token outside the vocabulary");
  std::vector<float *> caches;
  for (size_t c = 0; c < d.caches.size(); ++c) {
    const FakeCache &cache = d.caches[c];
    const int64_t *shape = inputs[cache.input].shape;
    if (shape[0] != 1)
      fail("a KV cache with a batch other than 1");
    for (int32_t k = 1; k < cache.rank; ++k)
      if (k != cache.axis && shape[k] != cache.extents[k])
        fail("a KV cache extent differs from the metadata");
    if (shape[cache.axis] != state->capacity)
      fail("a KV cache without `capacity` positions");
    if (n > shape[cache.axis] - length)
      fail("the session let the decoder write past the end of a KV cache");
    const void *data = inputs[cache.input].data;
    if (!state->cacheData[c])
      state->cacheData[c] = data;
    else if (state->cacheData[c] != data)
      fail("a KV cache moved between appends (not written in place)");
    caches.push_back(const_cast<float *>(static_cast<const float *>(data)));
  }
  int64_t capacity = state->capacity;
  auto slot = [&](size_t c, int64_t o, int64_t p, int64_t i) -> float & {
    const FakeCache &cache = d.caches[c];
    return caches[c][(o * capacity + p) * cache.inner + i];
  };
  // The positions already filled must hold what earlier appends wrote.
  for (size_t c = 0; c < d.caches.size(); ++c)
    for (int64_t p = 0; p < length; ++p)
      for (int64_t o = 0; o < d.caches[c].outer; ++o)
        for (int64_t i = 0; i < d.caches[c].inner; ++i) {
          float expected = static_cast<float>((state->history[p] + 1) *
                                              (o * d.caches[c].inner + i + 1));
          if (slot(c, o, p, i) != expected)
            fail("a KV cache position lost its value");
        }
  for (int64_t j = 0; j < n; ++j)
    for (size_t c = 0; c < d.caches.size(); ++c)
      for (int64_t o = 0; o < d.caches[c].outer; ++o)
        for (int64_t i = 0; i < d.caches[c].inner; ++i)
          slot(c, o, length + j, i) = static_cast<float>(
              (tokens[j] + 1) * (o * d.caches[c].inner + i + 1));

  int64_t rows = d.lastPositionOnly ? 1 : n;
  if (d.defect == Defect::WrongLogitRows)
    rows = n + 1;
  std::vector<int64_t> sums(rows), positions(rows);
  int64_t sum = 0;
  for (int64_t p = 0; p < length + n; ++p) {
    sum += static_cast<int64_t>(slot(0, 0, p, 0)); // token(p) + 1
    int64_t row = d.lastPositionOnly ? p - (length + n - 1) : p - length;
    if (row >= 0 && row < rows) {
      sums[row] = sum;
      positions[row] = p;
    }
  }
  size_t count = static_cast<size_t>(rows * d.vocab);
  // Allocated as generated code does: the runtime frees it.
  auto *logits = static_cast<float *>(
      _mlir_memref_to_llvm_alloc(count * sizeof(float)));
  if (!logits)
    fail("out of memory");
  outputs[0].allocated = logits;
  outputs[0].data = logits;
  outputs[0].shape[0] = 1;
  outputs[0].shape[1] = rows;
  outputs[0].shape[2] = d.vocab;
  LogitsJob job{logits, d.vocab, sums.data(), positions.data()};
  // On the context's thread pool, like the generated kernels.
  bitnetParallelFor(static_cast<int64_t>(count), 16, fillLogits, &job);
}

/// Builds a decoder (metadata text and layout) from the input.
FakeDecoder makeDecoder(ByteSource &in) {
  FakeDecoder d;
  uint8_t layout = in.take<uint8_t>();
  uint8_t defect = in.take<uint8_t>();
  d.defect = defect < 0x80
                 ? Defect::None
                 : static_cast<Defect>((defect - 0x80) %
                                       static_cast<int>(Defect::Count));
  d.vocab = 1 + in.take<uint8_t>() % 64;
  d.lastPositionOnly = layout & 1;
  d.staticPast = 1 + in.take<uint8_t>() % 16;
  size_t numCaches = 1 + ((layout >> 1) & 1);
  for (size_t c = 0; c < numCaches; ++c) {
    FakeCache cache;
    uint8_t shape = in.take<uint8_t>();
    cache.rank = 3 + (shape & 1);
    cache.axis = 1 + (shape >> 1) % (cache.rank - 1);
    for (int32_t k = 1; k < cache.rank; ++k) {
      if (k == cache.axis)
        continue;
      cache.extents[k] = 1 + in.take<uint8_t>() % 4;
      (k < cache.axis ? cache.outer : cache.inner) *= cache.extents[k];
    }
    d.caches.push_back(cache);
  }

  // The inputs in an order the input picks: tokens, the caches, kv_length
  // and (Defect::ExtraInput) a float input.
  enum { kTokens = -1, kLength = -2, kExtra = -3 };
  std::vector<int> order = {kLength};
  if (d.defect != Defect::NoTokens)
    order.push_back(kTokens);
  for (size_t c = 0; c < numCaches; ++c)
    order.push_back(static_cast<int>(c));
  if (d.defect == Defect::ExtraInput)
    order.push_back(kExtra);
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[in.take<uint8_t>() % i]);

  bool staticBatch = d.defect == Defect::StaticBatch;
  const char *batch = staticBatch ? "1" : "?batch";
  std::string text = "bitnet-model 1\n"
                     "target x86_64-unknown-linux-gnu x86-64 -\n"
                     "name fake%20decoder\n";
  std::string records;
  for (size_t index = 0; index < order.size(); ++index) {
    int item = order[index];
    if (item == kTokens) {
      d.tokenInput = static_cast<int32_t>(index);
      if (d.defect == Defect::TokenInt32)
        text += std::string("input tokens 6 2 ") + batch + " ?sequence\n";
      else if (d.defect == Defect::TokenRank1)
        text += "input tokens 7 1 ?sequence\n";
      else if (d.defect == Defect::DecodeOnly)
        text += std::string("input tokens 7 2 ") + batch + " 1\n";
      else
        text += std::string("input tokens 7 2 ") + batch + " ?sequence\n";
    } else if (item == kLength) {
      d.lengthInput = static_cast<int32_t>(index);
      text += "input kv_length 7 0\n";
      records += "kv-length " + std::to_string(index) + "\n";
    } else if (item == kExtra) {
      text += "input x 1 1 4\n";
    } else {
      FakeCache &cache = d.caches[item];
      cache.input = static_cast<int32_t>(index);
      text += "input past_" + std::to_string(item) + " 1 " +
              std::to_string(cache.rank) + " " + batch;
      bool madeDynamic = false;
      for (int32_t k = 1; k < cache.rank; ++k) {
        if (k == cache.axis)
          text += d.defect == Defect::StaticPast
                      ? " " + std::to_string(d.staticPast)
                      : std::string(" ?past_sequence");
        else if (d.defect == Defect::DynamicCacheDim && item == 0 &&
                 !madeDynamic) {
          text += " ?heads";
          madeDynamic = true;
        } else
          text += " " + std::to_string(cache.extents[k]);
      }
      text += "\n";
      records += "kv-cache " + std::to_string(index) + " " +
                 std::to_string(cache.axis) + " present_" +
                 std::to_string(item) + "\n";
    }
  }
  std::string vocab = d.defect == Defect::DynamicVocab ? "?vocab"
                      : d.defect == Defect::ZeroVocab  ? "0"
                                                      : std::to_string(d.vocab);
  text += std::string("output logits ") +
          (d.defect == Defect::IntLogits ? "7" : "1") + " 3 " + batch +
          " ?sequence " + vocab + "\n";
  if (d.defect != Defect::NoCache)
    text += records;
  d.metadata = text;
  return d;
}

/// Whether `status` failed with one of `codes` (and a message); a success
/// or another code is a bug.
void expectFailure(bitnet_status_t status,
                   const std::vector<bitnet_status_code_t> &codes,
                   const char *what) {
  if (!status) {
    std::fprintf(stderr, "runtime-input-fuzzer: %s succeeded\n", what);
    fail("a call that must fail succeeded");
  }
  bitnet_status_code_t code = bitnet_status_code(status);
  bool expected = false;
  for (bitnet_status_code_t c : codes)
    expected |= c == code;
  if (!expected) {
    std::fprintf(stderr, "runtime-input-fuzzer: %s: %s: %s\n", what,
                 bitnet_status_code_string(code),
                 bitnet_status_message(status));
    fail("a call failed with an unexpected status code");
  }
  check(status);
}

void expectSuccess(bitnet_status_t status, const char *what) {
  if (status) {
    std::fprintf(stderr, "runtime-input-fuzzer: %s: %s: %s\n", what,
                 bitnet_status_code_string(bitnet_status_code(status)),
                 bitnet_status_message(status));
    fail("a valid call failed");
  }
}

/// What bitnet_session_create must do with these options.
struct CreateExpectation {
  std::vector<bitnet_status_code_t> codes; // empty: must succeed
  int64_t capacity = 0;
};

CreateExpectation expectCreate(const FakeDecoder &d,
                               const bitnet_context_options_t *options) {
  CreateExpectation e;
  switch (d.defect) {
  case Defect::TokenInt32:
  case Defect::TokenRank1:
  case Defect::ExtraInput:
  case Defect::DynamicVocab:
  case Defect::IntLogits:
  case Defect::ZeroVocab:
  case Defect::DynamicCacheDim:
  case Defect::NoTokens:
    e.codes.push_back(BITNET_STATUS_UNIMPLEMENTED);
    break;
  case Defect::NoCache:
    e.codes.push_back(BITNET_STATUS_INVALID_ARGUMENT);
    break;
  default:
    break;
  }
  if (options && (options->struct_size < sizeof(bitnet_context_options_t) ||
                  options->num_threads < 0 || options->max_context < 0))
    e.codes.push_back(BITNET_STATUS_INVALID_ARGUMENT);
  e.capacity =
      options && options->max_context > 0 ? options->max_context : 2048;
  // The harness only asks for small capacities or ones whose float32 cache
  // needs more than 2^64 bytes (never one in between, which would only
  // exhaust memory).
  if (e.capacity >= (int64_t(1) << 62))
    e.codes.push_back(BITNET_STATUS_OUT_OF_RANGE);
  return e;
}

void createSession(const FakeDecoder &d, const bitnet_model_t *model,
                   const bitnet_context_options_t *options,
                   SessionModel &state) {
  CreateExpectation e = expectCreate(d, options);
  bitnet_session_t *session = reinterpret_cast<bitnet_session_t *>(&state);
  bitnet_status_t status = bitnet_session_create(model, options, &session);
  if (!e.codes.empty()) {
    expectFailure(status, e.codes, "bitnet_session_create");
    if (session)
      fail("a failed bitnet_session_create left *out_session set");
    return;
  }
  expectSuccess(status, "bitnet_session_create");
  if (!session)
    fail("bitnet_session_create succeeded without a session");
  state.session = session;
  state.capacity = e.capacity;
  state.history.clear();
  state.cacheData.assign(d.caches.size(), nullptr);
  state.hasLogits = false;
  if (bitnet_session_capacity(session) != e.capacity)
    fail("bitnet_session_capacity is not max_context (or 2048)");
}

void destroySession(SessionModel &state) {
  bitnet_session_destroy(state.session);
  state = SessionModel();
}

/// Appends `tokens[0, numTokens)` (tokens may be shorter when numTokens
/// cannot fit: the session must reject it before reading them) and checks
/// the outcome against the model of the session.
void append(const FakeDecoder &d, SessionModel &state, const int64_t *tokens,
            size_t tokensSize, int64_t numTokens, bool nullOutput) {
  std::vector<bitnet_status_code_t> codes;
  int64_t length = static_cast<int64_t>(state.history.size());
  if (!state.session || nullOutput || numTokens <= 0 || !tokens)
    codes.push_back(BITNET_STATUS_INVALID_ARGUMENT);
  if (state.session && numTokens > state.capacity - length)
    codes.push_back(BITNET_STATUS_OUT_OF_RANGE);
  if (tokens && numTokens > 0 && static_cast<uint64_t>(numTokens) <= tokensSize)
    for (int64_t j = 0; j < numTokens; ++j)
      if (tokens[j] < 0 || tokens[j] >= d.vocab) {
        codes.push_back(BITNET_STATUS_INVALID_ARGUMENT);
        break;
      }
  if ((d.defect == Defect::StaticPast && state.capacity != d.staticPast) ||
      (d.defect == Defect::DecodeOnly && numTokens != 1))
    codes.push_back(BITNET_STATUS_SHAPE_MISMATCH);
  if (codes.empty() && static_cast<uint64_t>(numTokens) > tokensSize)
    fail("harness: a valid append without its tokens");
  if (codes.empty() && d.defect == Defect::WrongLogitRows)
    codes.push_back(BITNET_STATUS_INTERNAL);

  bitnet_tensor_t out;
  std::memset(&out, 0, sizeof(out));
  activeSession = &state;
  bitnet_status_t status = bitnet_session_append(
      state.session, tokens, numTokens, nullOutput ? nullptr : &out);
  activeSession = nullptr;
  state.hasLogits = false;
  if (!codes.empty()) {
    expectFailure(status, codes, "bitnet_session_append");
    if (state.session && bitnet_session_length(state.session) != length)
      fail("a failed bitnet_session_append changed the session length");
    return;
  }
  expectSuccess(status, "bitnet_session_append");
  state.history.insert(state.history.end(), tokens, tokens + numTokens);
  if (bitnet_session_length(state.session) !=
      static_cast<int64_t>(state.history.size()))
    fail("bitnet_session_length is not the number of tokens appended");
  if (out.dtype != BITNET_DTYPE_FLOAT32 || out.rank != 1 || !out.shape ||
      out.shape[0] != d.vocab ||
      out.size_bytes != static_cast<size_t>(d.vocab) * sizeof(float) ||
      !out.data)
    fail("the logits of an append are not float32 [vocab]");
  int64_t sum = 0;
  for (int64_t token : state.history)
    sum += token + 1;
  int64_t position = static_cast<int64_t>(state.history.size()) - 1;
  const auto *logits = static_cast<const float *>(out.data);
  for (int64_t v = 0; v < d.vocab; ++v)
    if (logits[v] != fakeLogit(sum, position, v))
      fail("the logits of an append are not those of its last token");
  state.logits = out;
  state.hasLogits = true;
}

/// Token ids: mostly in the vocabulary, sometimes just outside or extreme.
int64_t takeToken(ByteSource &in, int64_t vocab) {
  uint8_t raw = in.take<uint8_t>();
  if (raw < 0xf0)
    return raw % vocab;
  const int64_t special[8] = {-1,        vocab,  vocab + 1, INT64_MIN,
                              INT64_MAX, -vocab, 2 * vocab, int64_t(1) << 40};
  return special[raw & 7];
}

void fuzzSession(const uint8_t *data, size_t size) {
  ByteSource in{data, size};
  FakeDecoder d = makeDecoder(in);
  struct bitnet_model_s *model = nullptr;
  if (!check(bitnetParseMetadata(d.metadata.c_str(), &model))) {
    std::fprintf(stderr, "%s", d.metadata.c_str());
    fail("harness: the fake decoder's metadata does not parse");
  }
  if (bitnet_model_has_kv_cache(model) != (d.defect != Defect::NoCache))
    fail("bitnet_model_has_kv_cache is wrong");

  // Options: NULL, or with any struct_size, thread count and context length
  // (small, the default, negative, or so large the caches overflow).
  uint8_t flags = in.take<uint8_t>();
  bitnet_context_options_t options;
  bitnet_context_options_initialize(&options);
  if (flags & 2)
    options.struct_size = in.take<uint32_t>();
  int8_t threads = in.take<int8_t>();
  options.num_threads = threads < 0 ? threads : threads % 4;
  switch (in.take<uint8_t>() % 4) {
  case 0:
    break;
  case 1:
  case 2:
    options.max_context = in.take<uint8_t>() % 65;
    break;
  default: {
    int64_t value = in.take<int64_t>();
    options.max_context =
        value >= 0 && value < (int64_t(1) << 62) ? value % 5000 : value;
    break;
  }
  }
  const bitnet_context_options_t *optionsPtr = (flags & 1) ? nullptr : &options;

  // NULL and mismatched arguments.
  bitnet_session_t *session = nullptr;
  expectFailure(bitnet_session_create(nullptr, optionsPtr, &session),
                {BITNET_STATUS_INVALID_ARGUMENT}, "session_create(NULL model)");
  expectFailure(bitnet_session_create(model, optionsPtr, nullptr),
                {BITNET_STATUS_INVALID_ARGUMENT},
                "session_create(NULL out_session)");
  if (flags & 4)
    expectFailure(bitnet_session_create(fakeModel(), optionsPtr, &session),
                  {BITNET_STATUS_INVALID_ARGUMENT},
                  "session_create(a model without a KV cache)");
  if (bitnet_session_length(nullptr) != 0 ||
      bitnet_session_capacity(nullptr) != 0)
    fail("the length or capacity of a NULL session is not 0");
  expectFailure(bitnet_session_reset(nullptr), {BITNET_STATUS_INVALID_ARGUMENT},
                "session_reset(NULL)");
  bitnet_session_destroy(nullptr);
  if ((flags & 8) && d.defect != Defect::NoCache) {
    // A decoder that owns its caches only runs through the session API.
    bitnet_context_t *context = nullptr;
    if (check(bitnet_context_create(model, nullptr, &context))) {
      std::vector<bitnet_tensor_t> inputs(
          static_cast<size_t>(bitnet_model_num_inputs(model)));
      expectFailure(bitnet_context_run(context, inputs.data(),
                                       static_cast<int32_t>(inputs.size())),
                    {BITNET_STATUS_INVALID_ARGUMENT},
                    "context_run(a model with a KV cache)");
      bitnet_tensor_t out;
      expectFailure(bitnet_context_output(context, 0, &out),
                    {BITNET_STATUS_INVALID_ARGUMENT},
                    "context_output(before any run)");
      bitnet_context_destroy(context);
    }
  }

  activeDecoder = &d;
  SessionModel sessions[2];
  createSession(d, model, optionsPtr, sessions[0]);
  std::vector<int64_t> tokens;
  for (int op = 0; op < 48 && in.size > 0; ++op) {
    uint8_t byte = in.take<uint8_t>();
    SessionModel &state = sessions[byte >> 7];
    int64_t length = static_cast<int64_t>(state.history.size());
    int64_t remaining = state.capacity - length;
    switch (byte % 8) {
    case 0:
    case 1:
    case 2: { // a prompt or a step of 1..8 tokens
      int64_t n = 1 + in.take<uint8_t>() % 8;
      tokens.resize(static_cast<size_t>(n));
      for (int64_t &token : tokens)
        token = takeToken(in, d.vocab);
      append(d, state, tokens.data(), tokens.size(), n, false);
      break;
    }
    case 3: { // fill the context exactly; a step once it is full
      int64_t n = remaining > 0 ? remaining : 1;
      uint8_t seed = in.take<uint8_t>();
      tokens.resize(static_cast<size_t>(n));
      for (int64_t j = 0; j < n; ++j)
        tokens[j] = (j * 7 + seed) % d.vocab;
      append(d, state, tokens.data(), tokens.size(), n, false);
      break;
    }
    case 4: { // degenerate appends
      tokens.assign(16, 0);
      switch (in.take<uint8_t>() % 8) {
      case 0:
        append(d, state, tokens.data(), tokens.size(), 0, false);
        break;
      case 1:
        append(d, state, tokens.data(), tokens.size(), -1, false);
        break;
      case 2:
        append(d, state, tokens.data(), tokens.size(), INT64_MIN, false);
        break;
      case 3:
        append(d, state, tokens.data(), tokens.size(), INT64_MAX, false);
        break;
      case 4: // one past the remaining context
        if (remaining + 1 <= 65536) {
          tokens.assign(static_cast<size_t>(remaining + 1), 0);
          append(d, state, tokens.data(), tokens.size(), remaining + 1, false);
        }
        break;
      case 5: // past the whole context
        append(d, state, tokens.data(), tokens.size(),
               state.capacity + 1 > 16 ? state.capacity + 1 : 17, false);
        break;
      case 6:
        append(d, state, nullptr, 0, 1, false);
        break;
      case 7:
        append(d, state, tokens.data(), tokens.size(), 1, true);
        break;
      }
      break;
    }
    case 5: // reset
      if (state.session) {
        expectSuccess(bitnet_session_reset(state.session), "session_reset");
        state.history.clear();
        state.hasLogits = false;
        if (bitnet_session_length(state.session) != 0)
          fail("bitnet_session_length after a reset is not 0");
      } else {
        expectFailure(bitnet_session_reset(nullptr),
                      {BITNET_STATUS_INVALID_ARGUMENT}, "session_reset(NULL)");
      }
      break;
    case 6: { // a greedy generation step from the last logits
      if (!state.hasLogits)
        break;
      int64_t token = -1;
      expectSuccess(bitnet_sample(static_cast<const float *>(state.logits.data),
                                  d.vocab, nullptr, nullptr, &token),
                    "bitnet_sample(greedy)");
      const auto *logits = static_cast<const float *>(state.logits.data);
      int64_t best = 0;
      for (int64_t v = 1; v < d.vocab; ++v)
        if (logits[v] > logits[best])
          best = v;
      if (token != best)
        fail("greedy bitnet_sample did not pick the first maximum");
      append(d, state, &token, 1, 1, false);
      break;
    }
    case 7: // destroy, or create again (a second session is independent)
      if (state.session)
        destroySession(state);
      else
        createSession(d, model, optionsPtr, state);
      break;
    }
    if (bitnet_session_length(state.session) !=
            static_cast<int64_t>(state.history.size()) ||
        bitnet_session_capacity(state.session) !=
            (state.session ? state.capacity : 0))
      fail("bitnet_session_length or _capacity disagrees with the model");
  }
  destroySession(sessions[0]);
  destroySession(sessions[1]);
  activeDecoder = nullptr;
  bitnetFreeModel(model);
}

} // namespace

extern "C" void bitnetFakeAddRun(const bitnet_model_input_t *inputs,
                                 bitnet_model_output_t *outputs);

/// The model of every context: the fake decoder while a session script
/// runs, fake_model.c's "fake add" otherwise.
extern "C" void __bitnet_model_run(const bitnet_model_input_t *inputs,
                                   bitnet_model_output_t *outputs) {
  if (activeDecoder)
    runFakeDecoder(*activeDecoder, inputs, outputs);
  else
    bitnetFakeAddRun(inputs, outputs);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const uint8_t *rest = data + 1;
  size_t restSize = size - 1;
  switch (data[0] % 6) {
  case 0:
    fuzzTensorFile(/*npy=*/true, rest, restSize);
    break;
  case 1:
    fuzzTensorFile(/*npy=*/false, rest, restSize);
    break;
  case 2:
    fuzzMetadata(rest, restSize);
    break;
  case 3:
    fuzzSampling(rest, restSize);
    break;
  case 4:
    fuzzRawTensors(rest, restSize);
    break;
  case 5:
    fuzzSession(rest, restSize);
    break;
  }
  return 0;
}
