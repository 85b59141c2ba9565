//===- bitnet-run.cpp - Run a compiled model library ------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// bitnet-run model.so [--info] [--input-dir DIR] [--input NAME=FILE]...
//                     [--output-dir DIR] [--expect-dir DIR [--rtol R]
//                     [--atol A]] [--threads N] [--repeat N]
// bitnet-run model.so --generate (--prompt TEXT | --prompt-ids I,J,...)
//                     [--tokenizer tokenizer.json] [sampling options]
//
// Loads a model library through its C ABI only, feeds it .pb/.npy inputs,
// and writes, compares or prints the outputs. A library for another ISA is
// run by the runner built for that ISA under qemu-user. Deliberately free of
// MLIR and LLVM so the same source cross-compiles into those runners.
//
//===----------------------------------------------------------------------===//

#include "Generate.h"
#include "ModelLibrary.h"
#include "TensorFile.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace bitnet::run {
namespace {

const char kUsage[] =
    "usage: bitnet-run MODEL.so [options]\n"
    "\n"
    "Runs a model library compiled by bitnet-compile (any ISA: foreign ones\n"
    "run under qemu-user).\n"
    "\n"
    "options:\n"
    "  --info               print the model's name, target, inputs and "
    "outputs\n"
    "  --input-dir DIR      read input_<i>.pb or input_<i>.npy, in input "
    "order\n"
    "  --input NAME=FILE    read input NAME from FILE (.npy or .pb)\n"
    "  --output-dir DIR     write output_<i>.npy, in output order\n"
    "  --expect-dir DIR     compare with output_<i>.pb or output_<i>.npy\n"
    "  --rtol R             relative tolerance for floats (default 1e-3)\n"
    "  --atol A             absolute tolerance for floats (default 1e-7)\n"
    "  --threads N          worker threads (default 0: one per core)\n"
    "  --repeat N           run N times and print the timing\n"
    "\n"
    "generation (decoders compiled with bitnet-compile --kv-cache):\n"
    "  --generate           generate text from a prompt\n"
    "  --prompt TEXT        the prompt (bytes for vocab-256 models, or\n"
    "                       encoded by --tokenizer)\n"
    "  --prompt-ids I,J,..  the prompt as token ids\n"
    "  --tokenizer FILE     a Hugging Face tokenizer.json to encode the\n"
    "                       prompt and print the tokens as text: byte-level\n"
    "                       BPE with the GPT-2 or Llama-3 split regex, added\n"
    "                       tokens, TemplateProcessing and the ByteLevel\n"
    "                       decoder; other features are rejected\n"
    "  --max-new-tokens N   tokens to generate (default 64)\n"
    "  --temperature T      0 (default) = greedy\n"
    "  --top-k K            sample among the K most likely tokens\n"
    "  --top-p P            sample from the smallest set with mass P\n"
    "  --seed S             random seed of sampling (default 1)\n"
    "  --max-context N      cache positions (default 2048)\n"
    "  --print-ids          print token ids, not bytes or text\n"
    "\n"
    "environment: BITNET_QEMU_CPU overrides the qemu -cpu of foreign runs.\n";

struct Options {
  std::string modelPath;
  bool info = false;
  std::string inputDir;
  std::vector<std::pair<std::string, std::string>> namedInputs;
  std::string outputDir;
  std::string expectDir;
  double rtol = 1e-3;
  double atol = 1e-7;
  int32_t threads = 0;
  int64_t repeat = 0;
  GenerateOptions generate;
};

int fail(const std::string &message) {
  std::fprintf(stderr, "bitnet-run: error: %s\n", message.c_str());
  return 1;
}

int usageError(const std::string &message) {
  std::fprintf(stderr, "bitnet-run: error: %s\n%s", message.c_str(), kUsage);
  return 2;
}

bool parseDouble(const std::string &text, double &out) {
  char *end;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0' && out >= 0;
}

bool parseInt(const std::string &text, int64_t low, int64_t high,
              int64_t &out) {
  char *end;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < low || value > high)
    return false;
  out = value;
  return true;
}

/// Parses argv into `options`; returns an exit code when it should stop.
std::optional<int> parseArgs(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (!options.modelPath.empty())
        return usageError("more than one model library: '" + options.modelPath +
                          "' and '" + arg + "'");
      options.modelPath = arg;
      continue;
    }
    if (arg == "--info") {
      options.info = true;
      continue;
    }
    if (arg == "--generate") {
      options.generate.enabled = true;
      continue;
    }
    if (arg == "--print-ids") {
      options.generate.printIds = true;
      continue;
    }
    // Every other option takes a value: --opt VALUE or --opt=VALUE.
    std::string name = arg, value;
    size_t equals = arg.find('=');
    if (arg.compare(0, 2, "--") == 0 && equals != std::string::npos) {
      name = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    }
    static const char *const kValued[] = {
        "--input-dir", "--input",      "--output-dir",     "--expect-dir",
        "--rtol",      "--atol",       "--threads",        "--repeat",
        "--prompt",    "--prompt-ids", "--max-new-tokens", "--temperature",
        "--top-k",     "--top-p",      "--seed",           "--max-context",
        "--tokenizer"};
    if (std::find(std::begin(kValued), std::end(kValued), name) ==
        std::end(kValued))
      return usageError("unknown option '" + name + "'");
    if (equals == std::string::npos || arg.compare(0, 2, "--") != 0) {
      if (i + 1 >= argc)
        return usageError("option '" + arg + "' needs a value");
      value = argv[++i];
    }
    int64_t number;
    if (name == "--input-dir") {
      options.inputDir = value;
    } else if (name == "--input") {
      size_t split = value.find('=');
      if (split == std::string::npos || split == 0)
        return usageError("--input expects NAME=FILE, got '" + value + "'");
      options.namedInputs.emplace_back(value.substr(0, split),
                                       value.substr(split + 1));
    } else if (name == "--output-dir") {
      options.outputDir = value;
    } else if (name == "--expect-dir") {
      options.expectDir = value;
    } else if (name == "--prompt") {
      options.generate.prompt = value;
      options.generate.hasPrompt = true;
    } else if (name == "--tokenizer") {
      options.generate.tokenizerPath = value;
    } else if (name == "--prompt-ids") {
      options.generate.hasPrompt = true;
      options.generate.promptIds.clear();
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        std::string item = value.substr(
            start, comma == std::string::npos ? std::string::npos
                                              : comma - start);
        int64_t id;
        if (!parseInt(item, 0, INT64_MAX, id))
          return usageError("--prompt-ids expects comma-separated token ids, "
                            "got '" + value + "'");
        options.generate.promptIds.push_back(id);
        if (comma == std::string::npos)
          break;
        start = comma + 1;
      }
      options.generate.useIds = true;
    } else if (name == "--max-new-tokens") {
      if (!parseInt(value, 0, INT32_MAX, number))
        return usageError("--max-new-tokens expects an integer >= 0, got '" +
                          value + "'");
      options.generate.maxNewTokens = number;
    } else if (name == "--temperature") {
      if (!parseDouble(value, options.generate.temperature))
        return usageError("--temperature expects a number >= 0, got '" +
                          value + "'");
    } else if (name == "--top-k") {
      if (!parseInt(value, 0, INT32_MAX, number))
        return usageError("--top-k expects an integer >= 0, got '" + value +
                          "'");
      options.generate.topK = static_cast<int32_t>(number);
    } else if (name == "--top-p") {
      if (!parseDouble(value, options.generate.topP) ||
          options.generate.topP <= 0 || options.generate.topP > 1)
        return usageError("--top-p expects a number in (0, 1], got '" +
                          value + "'");
    } else if (name == "--seed") {
      if (!parseInt(value, 0, INT64_MAX, number))
        return usageError("--seed expects an integer >= 0, got '" + value +
                          "'");
      options.generate.seed = static_cast<uint64_t>(number);
    } else if (name == "--max-context") {
      if (!parseInt(value, 1, INT64_MAX, number))
        return usageError("--max-context expects an integer >= 1, got '" +
                          value + "'");
      options.generate.maxContext = number;
    } else if (name == "--rtol") {
      if (!parseDouble(value, options.rtol))
        return usageError("--rtol expects a non-negative number, got '" +
                          value + "'");
    } else if (name == "--atol") {
      if (!parseDouble(value, options.atol))
        return usageError("--atol expects a non-negative number, got '" +
                          value + "'");
    } else if (name == "--threads") {
      if (!parseInt(value, 0, INT32_MAX, number))
        return usageError("--threads expects an integer >= 0, got '" + value +
                          "'");
      options.threads = static_cast<int32_t>(number);
    } else if (name == "--repeat") {
      if (!parseInt(value, 1, INT32_MAX, number))
        return usageError("--repeat expects an integer >= 1, got '" + value +
                          "'");
      options.repeat = number;
    }
  }
  if (options.modelPath.empty())
    return usageError("no model library given");
  return std::nullopt;
}

bool fileExists(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

/// "[2, ?sequence, ?]" for a declared shape.
std::string formatInfoShape(const bitnet_tensor_info_t &info) {
  std::string result = "[";
  for (int32_t d = 0; d < info.rank; ++d) {
    if (d)
      result += ", ";
    if (info.shape[d] != BITNET_DYNAMIC_DIM)
      result += std::to_string(info.shape[d]);
    else
      result += std::string("?") +
                (info.dim_names && info.dim_names[d] ? info.dim_names[d] : "");
  }
  return result + "]";
}

/// The model of a loaded library and its tensor infos.
struct Model {
  const RuntimeApi *api = nullptr;
  const bitnet_model_t *handle = nullptr;
  std::vector<bitnet_tensor_info_t> inputs;
  std::vector<bitnet_tensor_info_t> outputs;
};

Error loadModel(const RuntimeApi &api, const std::string &path, Model &model) {
  model.api = &api;
  if (bitnet_status_t status = api.bitnet_model_get(&model.handle))
    return "'" + path + "': " + api.consume(status);
  model.inputs.resize(api.bitnet_model_num_inputs(model.handle));
  model.outputs.resize(api.bitnet_model_num_outputs(model.handle));
  for (size_t i = 0; i < model.inputs.size(); ++i)
    if (bitnet_status_t status = api.bitnet_model_input_info(
            model.handle, static_cast<int32_t>(i), &model.inputs[i]))
      return api.consume(status);
  for (size_t i = 0; i < model.outputs.size(); ++i)
    if (bitnet_status_t status = api.bitnet_model_output_info(
            model.handle, static_cast<int32_t>(i), &model.outputs[i]))
      return api.consume(status);
  return std::nullopt;
}

void printInfo(const Model &model) {
  const RuntimeApi &api = *model.api;
  std::printf("name: %s\n", api.bitnet_model_name(model.handle));
  std::printf("target: %s\n", api.bitnet_model_target(model.handle));
  auto printTensors = [&](const char *title,
                          const std::vector<bitnet_tensor_info_t> &infos) {
    std::printf("%s: %zu\n", title, infos.size());
    for (size_t i = 0; i < infos.size(); ++i)
      std::printf("  %zu '%s': %s %s\n", i, infos[i].name,
                  api.bitnet_dtype_string(infos[i].dtype),
                  formatInfoShape(infos[i]).c_str());
  };
  printTensors("inputs", model.inputs);
  printTensors("outputs", model.outputs);
}

/// Collects the inputs from --input-dir and --input, in the model's order.
/// Extra input_<i> files beyond the model's inputs are kept, so the runtime
/// reports the count mismatch.
Error gatherInputs(const Options &options, const Model &model,
                   std::vector<Tensor> &tensors) {
  std::vector<bool> present;
  if (!options.inputDir.empty()) {
    struct stat info;
    if (stat(options.inputDir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
      return "input directory '" + options.inputDir + "' does not exist";
    for (size_t i = 0;; ++i) {
      std::string stem = options.inputDir + "/input_" + std::to_string(i);
      std::string path;
      if (fileExists(stem + ".pb"))
        path = stem + ".pb";
      else if (fileExists(stem + ".npy"))
        path = stem + ".npy";
      else
        break;
      tensors.emplace_back();
      present.push_back(true);
      if (Error error = readTensorFile(path, tensors.back()))
        return error;
    }
  }
  if (tensors.size() < model.inputs.size()) {
    tensors.resize(model.inputs.size());
    present.resize(model.inputs.size(), false);
  }
  for (const auto &[name, path] : options.namedInputs) {
    size_t index = 0;
    while (index < model.inputs.size() && name != model.inputs[index].name)
      ++index;
    if (index == model.inputs.size()) {
      std::string known;
      for (const bitnet_tensor_info_t &info : model.inputs)
        known += std::string(known.empty() ? "" : ", ") + "'" + info.name + "'";
      return "--input: the model has no input '" + name +
             "' (inputs: " + (known.empty() ? "none" : known) + ")";
    }
    if (Error error = readTensorFile(path, tensors[index]))
      return error;
    present[index] = true;
  }
  for (size_t i = 0; i < model.inputs.size(); ++i)
    if (!present[i])
      return "no value for input " + std::to_string(i) + " '" +
             model.inputs[i].name + "' (give --input-dir with input_" +
             std::to_string(i) + ".pb or .npy, or --input " +
             model.inputs[i].name + "=FILE)";
  return std::nullopt;
}

/// Runs the model `repeat` times (at least once) and copies the outputs.
Error runModel(const Options &options, const Model &model,
               const std::vector<Tensor> &inputs,
               std::vector<Tensor> &outputs) {
  const RuntimeApi &api = *model.api;
  bitnet_context_options_t contextOptions;
  api.bitnet_context_options_initialize(&contextOptions);
  contextOptions.num_threads = options.threads;
  bitnet_context_t *context = nullptr;
  if (bitnet_status_t status =
          api.bitnet_context_create(model.handle, &contextOptions, &context))
    return "cannot create a context: " + api.consume(status);

  std::vector<bitnet_tensor_t> tensors(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    tensors[i].dtype = inputs[i].dtype;
    tensors[i].rank = static_cast<int32_t>(inputs[i].shape.size());
    tensors[i].shape = inputs[i].shape.data();
    tensors[i].data = const_cast<uint8_t *>(inputs[i].data.data());
    tensors[i].size_bytes = inputs[i].data.size();
  }
  int64_t runs = std::max<int64_t>(options.repeat, 1);
  std::vector<double> times;
  Error error;
  for (int64_t run = 0; run < runs && !error; ++run) {
    auto start = std::chrono::steady_clock::now();
    bitnet_status_t status = api.bitnet_context_run(
        context, tensors.data(), static_cast<int32_t>(tensors.size()));
    auto stop = std::chrono::steady_clock::now();
    if (status)
      error = "run failed: " + api.consume(status);
    times.push_back(
        std::chrono::duration<double, std::milli>(stop - start).count());
  }
  for (size_t i = 0; i < model.outputs.size() && !error; ++i) {
    bitnet_tensor_t tensor;
    if (bitnet_status_t status = api.bitnet_context_output(
            context, static_cast<int32_t>(i), &tensor)) {
      error = "cannot read output " + std::to_string(i) + ": " +
              api.consume(status);
      break;
    }
    Tensor &out = outputs.emplace_back();
    out.name = model.outputs[i].name;
    out.dtype = tensor.dtype;
    out.shape.assign(tensor.shape, tensor.shape + tensor.rank);
    const uint8_t *data = static_cast<const uint8_t *>(tensor.data);
    if (tensor.size_bytes)
      out.data.assign(data, data + tensor.size_bytes);
  }
  api.bitnet_context_destroy(context);
  if (error)
    return error;
  if (options.repeat > 0) {
    std::sort(times.begin(), times.end());
    size_t n = times.size();
    double median =
        n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    std::printf("timing: runs=%zu median_ms=%.3f min_ms=%.3f\n", n, median,
                times.front());
  }
  return std::nullopt;
}

/// Element `i` of a tensor as a double, for error statistics.
double elementValue(const Tensor &tensor, uint64_t i) {
  const uint8_t *p = tensor.data.data() + i * elementSize(tensor.dtype);
  auto load = [p](auto value) {
    std::memcpy(&value, p, sizeof(value));
    return value;
  };
  switch (tensor.dtype) {
  case BITNET_DTYPE_FLOAT32:
    return load(float());
  case BITNET_DTYPE_FLOAT64:
    return load(double());
  case BITNET_DTYPE_FLOAT16:
    return halfToFloat(load(uint16_t()));
  case BITNET_DTYPE_UINT8:
  case BITNET_DTYPE_BOOL:
    return load(uint8_t());
  case BITNET_DTYPE_INT8:
    return load(int8_t());
  case BITNET_DTYPE_UINT16:
    return load(uint16_t());
  case BITNET_DTYPE_INT16:
    return load(int16_t());
  case BITNET_DTYPE_INT32:
    return load(int32_t());
  case BITNET_DTYPE_UINT32:
    return load(uint32_t());
  case BITNET_DTYPE_INT64:
    return static_cast<double>(load(int64_t()));
  case BITNET_DTYPE_UINT64:
    return static_cast<double>(load(uint64_t()));
  }
  return 0;
}

bool isFloat(bitnet_dtype_t dtype) {
  return dtype == BITNET_DTYPE_FLOAT32 || dtype == BITNET_DTYPE_FLOAT64 ||
         dtype == BITNET_DTYPE_FLOAT16;
}

/// Element `i` for messages: exact for integers.
std::string formatElement(const Tensor &tensor, uint64_t i) {
  char buffer[64];
  const uint8_t *p = tensor.data.data() + i * elementSize(tensor.dtype);
  if (isFloat(tensor.dtype)) {
    std::snprintf(buffer, sizeof(buffer), "%.9g", elementValue(tensor, i));
  } else if (tensor.dtype == BITNET_DTYPE_INT64) {
    int64_t value;
    std::memcpy(&value, p, sizeof(value));
    std::snprintf(buffer, sizeof(buffer), "%" PRId64, value);
  } else if (tensor.dtype == BITNET_DTYPE_UINT64) {
    uint64_t value;
    std::memcpy(&value, p, sizeof(value));
    std::snprintf(buffer, sizeof(buffer), "%" PRIu64, value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.0f", elementValue(tensor, i));
  }
  return buffer;
}

/// The multi-index of flat index `i`.
std::string formatIndex(const std::vector<int64_t> &shape, uint64_t i) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = static_cast<int64_t>(i % static_cast<uint64_t>(shape[d]));
    i /= static_cast<uint64_t>(shape[d]);
  }
  return formatShape(index);
}

/// Compares `got` with `expected`, prints one line; true when they match.
bool compareOutput(size_t index, const Tensor &got, const Tensor &expected,
                   double rtol, double atol) {
  std::printf("output %zu '%s': ", index, got.name.c_str());
  if (got.dtype != expected.dtype || got.shape != expected.shape) {
    std::printf("MISMATCH: got %s %s, expected %s %s\n", dtypeName(got.dtype),
                formatShape(got.shape).c_str(), dtypeName(expected.dtype),
                formatShape(expected.shape).c_str());
    return false;
  }
  bool floating = isFloat(got.dtype);
  size_t size = elementSize(got.dtype);
  double maxAbs = 0, maxRel = 0;
  std::optional<uint64_t> firstBad;
  uint64_t count = got.numElements();
  for (uint64_t i = 0; i < count; ++i) {
    double a = elementValue(got, i);
    double e = elementValue(expected, i);
    bool ok;
    if (floating) {
      ok = (std::isnan(a) && std::isnan(e)) || a == e ||
           std::fabs(a - e) <= atol + rtol * std::fabs(e);
    } else {
      ok = std::memcmp(got.data.data() + i * size,
                       expected.data.data() + i * size, size) == 0;
    }
    if (!(std::isnan(a) && std::isnan(e)) && a != e) {
      double abs = std::isnan(a) || std::isnan(e) ? INFINITY : std::fabs(a - e);
      maxAbs = std::max(maxAbs, abs);
      if (e != 0)
        maxRel = std::max(maxRel, abs / std::fabs(e));
    }
    if (!ok && !firstBad)
      firstBad = i;
  }
  std::printf("max_abs_err=%g max_rel_err=%g", maxAbs, maxRel);
  if (!firstBad) {
    std::printf(" ok\n");
    return true;
  }
  std::printf(" MISMATCH at index %" PRIu64 " %s: got %s, expected %s\n",
              *firstBad, formatIndex(got.shape, *firstBad).c_str(),
              formatElement(got, *firstBad).c_str(),
              formatElement(expected, *firstBad).c_str());
  return false;
}

/// Compares every output with the files of --expect-dir.
int checkOutputs(const Options &options, const std::vector<Tensor> &outputs) {
  bool allOk = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string stem = options.expectDir + "/output_" + std::to_string(i);
    std::string path = fileExists(stem + ".pb") ? stem + ".pb" : stem + ".npy";
    if (!fileExists(path)) {
      fail("no expected value for output " + std::to_string(i) + " '" +
           outputs[i].name + "' (" + stem + ".pb or .npy)");
      allOk = false;
      continue;
    }
    Tensor expected;
    if (Error error = readTensorFile(path, expected)) {
      fail(*error);
      allOk = false;
      continue;
    }
    allOk &= compareOutput(i, outputs[i], expected, options.rtol, options.atol);
  }
  return allOk ? 0 : 1;
}

/// Prints each output's dtype, shape and first values.
void printOutputs(const std::vector<Tensor> &outputs) {
  const uint64_t kMaxShown = 16;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &out = outputs[i];
    std::printf("output %zu '%s': %s %s = [", i, out.name.c_str(),
                dtypeName(out.dtype), formatShape(out.shape).c_str());
    uint64_t count = out.numElements();
    for (uint64_t e = 0; e < count && e < kMaxShown; ++e)
      std::printf("%s%s", e ? ", " : "", formatElement(out, e).c_str());
    std::printf("%s]\n", count > kMaxShown ? ", ..." : "");
  }
}

/// A model allocates its activations on every run. glibc serves the large
/// ones (prefill: megabytes) with fresh mmaps that page-fault on first touch
/// and unmaps them on free, every run; a tool that owns its process keeps
/// them in the heap instead. (A library must not change this for its host.)
static void keepActivationsInHeap() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

int runMain(int argc, char **argv) {
  keepActivationsInHeap();
  Options options;
  if (std::optional<int> exitCode = parseArgs(argc, argv, options))
    return *exitCode;

  std::string arch;
  if (Error error = readElfArch(options.modelPath, arch))
    return fail(*error);
  if (arch != hostArch()) {
    Error error = execForeignRunner(arch, argv[0], argv);
    return fail(*error);
  }

  RuntimeApi api;
  if (Error error = openModelLibrary(options.modelPath, api))
    return fail(*error);
  Model model;
  if (Error error = loadModel(api, options.modelPath, model))
    return fail(*error);
  if (options.info) {
    printInfo(model);
    return 0;
  }
  if (options.generate.enabled) {
    options.generate.threads = options.threads;
    return runGenerate(api, options.generate);
  }

  std::vector<Tensor> inputs;
  if (Error error = gatherInputs(options, model, inputs))
    return fail(*error);
  std::vector<Tensor> outputs;
  if (Error error = runModel(options, model, inputs, outputs))
    return fail(*error);

  if (!options.outputDir.empty()) {
    struct stat info;
    if (stat(options.outputDir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
      return fail("output directory '" + options.outputDir +
                  "' does not exist");
    for (size_t i = 0; i < outputs.size(); ++i)
      if (Error error = writeNpyFile(options.outputDir + "/output_" +
                                         std::to_string(i) + ".npy",
                                     outputs[i]))
        return fail(*error);
  }
  if (!options.expectDir.empty())
    return checkOutputs(options, outputs);
  if (options.outputDir.empty())
    printOutputs(outputs);
  return 0;
}

} // namespace
} // namespace bitnet::run

int main(int argc, char **argv) { return bitnet::run::runMain(argc, argv); }
