//===- runtime-input-fuzzer.cpp - libFuzzer target for runtime inputs -----===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The inputs a server built on a compiled model would take from its clients,
// fed to the code that handles them. The first byte picks the path (modulo
// 5), the rest is its input:
//   0  .npy bytes        -> bitnet::run::parseNpy (tools/bitnet-run), then
//                           the tensor is run through the C ABI
//   1  TensorProto bytes -> bitnet::run::parseTensorProto, then the same
//   2  metadata text     -> bitnetParseMetadata (runtime/Metadata.c), then
//                           the info queries, the CPU-feature check and
//                           bitnet_context_create on the parsed model
//   3  sampling          -> bitnet_sample (options, logits incl. NaN/inf)
//   4  raw tensors       -> bitnet_context_run with arbitrary dtype, rank,
//                           shape, size_bytes and input count
// The model behind the C ABI is test/Runtime/Inputs/fake_model.c ("fake
// add": a, b float32 [2, ?sequence]), linked in with the runtime sources,
// which are compiled with ASan + UBSan + coverage. Every error must come back
// as a message or a status; anything else (a sanitizer report, a failed
// round trip, an abort) is a bug.
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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const uint8_t *rest = data + 1;
  size_t restSize = size - 1;
  switch (data[0] % 5) {
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
  }
  return 0;
}
