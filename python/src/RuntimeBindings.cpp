//===- RuntimeBindings.cpp - model.so through the C ABI ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A Library is one dlopen(RTLD_LOCAL) handle of a model.so, used only through
// the functions of bitnet-c/Runtime.h found with dlsym. Runs take a context
// from a pool (creating one when all are busy), so threads sharing a Library
// run concurrently, each on its own context, as Runtime.h allows.
//
// Statuses become exceptions: INVALID_ARGUMENT, SHAPE_MISMATCH and
// OUT_OF_RANGE raise ValueError, INCOMPATIBLE raises IncompatibleModelError
// (a RuntimeError), anything else RuntimeError; the message is
// "<CODE>: <runtime message>".
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "bitnet-c/Runtime.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace py = pybind11;

namespace {
/// A failed call of the C API (code, "<CODE>: message").
struct StatusError {
  bitnet_status_code_t code;
  std::string message;
};

/// The functions of Runtime.h, resolved in one library; the generation ones
/// (API minor version >= 1) are null in older libraries.
struct RuntimeApi {
#define BITNET_RUNTIME_FUNCTION(name) decltype(&::name) name = nullptr;
#include "bitnet-c/RuntimeFunctions.def"
};

class Library {
public:
  Library(const std::string &path, int32_t numThreads) : path(path) {
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *error = dlerror();
      throw std::runtime_error("cannot load '" + path +
                               "': " + (error ? error : "dlopen failed"));
    }
    try {
      resolve();
      check(api.bitnet_model_get(&model));
    } catch (...) {
      dlclose(handle);
      throw;
    }
    api.bitnet_context_options_initialize(&options);
    options.num_threads = numThreads;
  }

  ~Library() {
    for (bitnet_context_t *context : idle)
      api.bitnet_context_destroy(context);
    dlclose(handle);
  }

  Library(const Library &) = delete;
  Library &operator=(const Library &) = delete;

  std::string name() const { return api.bitnet_model_name(model); }
  std::string target() const { return api.bitnet_model_target(model); }
  uint32_t apiVersion() const { return api.bitnet_api_version(); }

  /// [(name, dtype name, shape with -1 for dynamic, dim names or None)].
  py::list infos(bool inputs) const {
    int32_t count = inputs ? api.bitnet_model_num_inputs(model)
                           : api.bitnet_model_num_outputs(model);
    py::list list;
    for (int32_t i = 0; i < count; ++i) {
      bitnet_tensor_info_t info = getInfo(inputs, i);
      py::list shape, dimNames;
      for (int32_t d = 0; d < info.rank; ++d) {
        shape.append(info.shape[d]);
        const char *dimName = info.dim_names ? info.dim_names[d] : nullptr;
        dimNames.append(dimName ? py::object(py::str(dimName)) : py::none());
      }
      list.append(py::make_tuple(info.name, api.bitnet_dtype_string(info.dtype),
                                 shape, dimNames));
    }
    return list;
  }

  /// Runs on `inputs` (C-contiguous, in the model's order and dtypes) and
  /// returns new arrays holding copies of the outputs.
  py::list run(const std::vector<py::array> &inputs) {
    int32_t numInputs = api.bitnet_model_num_inputs(model);
    if (static_cast<int32_t>(inputs.size()) != numInputs)
      throw py::value_error("expected " + std::to_string(numInputs) +
                            " inputs, got " + std::to_string(inputs.size()));
    std::vector<std::vector<int64_t>> shapes(inputs.size());
    std::vector<bitnet_tensor_t> tensors(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const py::array &array = inputs[i];
      bitnet_tensor_info_t info = getInfo(true, static_cast<int32_t>(i));
      if (!(array.flags() & py::array::c_style) ||
          array.itemsize() !=
              static_cast<py::ssize_t>(api.bitnet_dtype_size(info.dtype)))
        throw py::value_error(std::string("input '") + info.name +
                              "': expected a C-contiguous " +
                              api.bitnet_dtype_string(info.dtype) + " array");
      shapes[i].assign(array.shape(), array.shape() + array.ndim());
      tensors[i] = {info.dtype, static_cast<int32_t>(array.ndim()),
                    shapes[i].data(), const_cast<void *>(array.data()),
                    static_cast<size_t>(array.nbytes())};
    }

    ContextLease lease(*this);
    bitnet_status_t status;
    {
      py::gil_scoped_release release;
      status = api.bitnet_context_run(lease.context, tensors.data(), numInputs);
    }
    check(status);

    py::list outputs;
    for (int32_t i = 0, e = api.bitnet_model_num_outputs(model); i < e; ++i) {
      bitnet_tensor_t tensor;
      check(api.bitnet_context_output(lease.context, i, &tensor));
      std::vector<py::ssize_t> shape(tensor.shape, tensor.shape + tensor.rank);
      py::array array(py::dtype(api.bitnet_dtype_string(tensor.dtype)), shape);
      if (static_cast<size_t>(array.nbytes()) != tensor.size_bytes)
        throw std::runtime_error("INTERNAL: output " + std::to_string(i) +
                                 " has an inconsistent size");
      if (tensor.size_bytes)
        std::memcpy(array.mutable_data(), tensor.data, tensor.size_bytes);
      outputs.append(std::move(array));
    }
    return outputs;
  }

  bool hasKVCache() const {
    return api.bitnet_model_has_kv_cache &&
           api.bitnet_model_has_kv_cache(model);
  }

  /// A generation session; see Session below.
  bitnet_session_t *createSession(int64_t maxContext) {
    if (!api.bitnet_session_create)
      throw std::runtime_error("'" + path + "' predates the generation API; "
                               "recompile it");
    bitnet_context_options_t sessionOptions = options;
    sessionOptions.max_context = maxContext;
    bitnet_session_t *session = nullptr;
    check(api.bitnet_session_create(model, &sessionOptions, &session));
    return session;
  }

  /// Appends tokens and returns a copy of the last position's logits.
  py::array_t<float> append(bitnet_session_t *session,
                            const std::vector<int64_t> &tokens) {
    bitnet_tensor_t logits;
    bitnet_status_t status;
    {
      py::gil_scoped_release release;
      status = api.bitnet_session_append(
          session, tokens.data(), static_cast<int64_t>(tokens.size()),
          &logits);
    }
    check(status);
    py::array_t<float> out(logits.shape[0]);
    std::memcpy(out.mutable_data(), logits.data, logits.size_bytes);
    return out;
  }

  void reset(bitnet_session_t *session) {
    check(api.bitnet_session_reset(session));
  }
  int64_t length(bitnet_session_t *session) const {
    return api.bitnet_session_length(session);
  }
  int64_t capacity(bitnet_session_t *session) const {
    return api.bitnet_session_capacity(session);
  }
  void destroySession(bitnet_session_t *session) {
    api.bitnet_session_destroy(session);
  }

  /// (token, new random state) chosen by the runtime's bitnet_sample.
  std::pair<int64_t, uint64_t> sample(py::array_t<float> logits,
                                      float temperature, int32_t topK,
                                      float topP, uint64_t state) {
    bitnet_sampling_options_t sampling;
    api.bitnet_sampling_options_initialize(&sampling);
    sampling.temperature = temperature;
    sampling.top_k = topK;
    sampling.top_p = topP;
    auto view = logits.unchecked<1>();
    int64_t token = 0;
    check(api.bitnet_sample(view.data(0), view.shape(0), &sampling, &state,
                            &token));
    return {token, state};
  }

private:
  /// A context taken from the pool for one run, returned when done.
  struct ContextLease {
    explicit ContextLease(Library &library) : library(library) {
      {
        std::lock_guard<std::mutex> lock(library.mutex);
        if (!library.idle.empty()) {
          context = library.idle.back();
          library.idle.pop_back();
          return;
        }
      }
      library.check(library.api.bitnet_context_create(
          library.model, &library.options, &context));
    }
    ~ContextLease() {
      std::lock_guard<std::mutex> lock(library.mutex);
      library.idle.push_back(context);
    }
    Library &library;
    bitnet_context_t *context = nullptr;
  };

  template <typename Fn>
  void lookup(Fn &fn, const char *symbol) {
    fn = reinterpret_cast<Fn>(dlsym(handle, symbol));
    if (!fn)
      throw std::runtime_error("'" + path + "' is not a bitnet model library " +
                               "(no " + symbol + ")");
  }

  void resolve() {
#define BITNET_RUNTIME_REQUIRED(name) lookup(api.name, #name);
#define BITNET_RUNTIME_OPTIONAL(name)                                          \
  api.name = reinterpret_cast<decltype(api.name)>(dlsym(handle, #name));
#include "bitnet-c/RuntimeFunctions.def"
    uint32_t major = api.bitnet_api_version() >> 16;
    if (major != BITNET_API_VERSION_MAJOR)
      throw StatusError{BITNET_STATUS_INCOMPATIBLE,
                        "INCOMPATIBLE: '" + path + "' has ABI version " +
                            std::to_string(major) + ", expected " +
                            std::to_string(BITNET_API_VERSION_MAJOR)};
  }

  /// Throws the StatusError of a failed call (after freeing the status).
  void check(bitnet_status_t status) const {
    if (!status)
      return;
    StatusError error{api.bitnet_status_code(status), ""};
    error.message = std::string(api.bitnet_status_code_string(error.code)) +
                    ": " + api.bitnet_status_message(status);
    api.bitnet_status_free(status);
    throw error;
  }

  bitnet_tensor_info_t getInfo(bool input, int32_t index) const {
    bitnet_tensor_info_t info;
    check(input ? api.bitnet_model_input_info(model, index, &info)
                : api.bitnet_model_output_info(model, index, &info));
    return info;
  }

  std::string path;
  void *handle = nullptr;
  RuntimeApi api;
  const bitnet_model_t *model = nullptr;
  bitnet_context_options_t options;
  std::mutex mutex;
  std::vector<bitnet_context_t *> idle;
};
} // namespace

void mlir::bitnet::python::populateRuntimeBindings(py::module_ &m) {
  static py::exception<StatusError> incompatible(m, "IncompatibleModelError",
                                                 PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error)
        std::rethrow_exception(error);
    } catch (const StatusError &status) {
      switch (status.code) {
      case BITNET_STATUS_INVALID_ARGUMENT:
      case BITNET_STATUS_SHAPE_MISMATCH:
      case BITNET_STATUS_OUT_OF_RANGE:
        PyErr_SetString(PyExc_ValueError, status.message.c_str());
        return;
      case BITNET_STATUS_INCOMPATIBLE:
        PyErr_SetString(incompatible.ptr(), status.message.c_str());
        return;
      default:
        PyErr_SetString(PyExc_RuntimeError, status.message.c_str());
        return;
      }
    }
  });

  py::class_<Library>(m, "Library")
      .def(py::init<const std::string &, int32_t>(), py::arg("path"),
           py::arg("num_threads"))
      .def_property_readonly("name", &Library::name)
      .def_property_readonly("target", &Library::target)
      .def_property_readonly("api_version", &Library::apiVersion)
      .def("inputs", [](const Library &lib) { return lib.infos(true); })
      .def("outputs", [](const Library &lib) { return lib.infos(false); })
      .def("run", &Library::run, py::arg("inputs"))
      .def_property_readonly("has_kv_cache", &Library::hasKVCache)
      .def("sample", &Library::sample, py::arg("logits"),
           py::arg("temperature"), py::arg("top_k"), py::arg("top_p"),
           py::arg("state"));

  // One generation session: holds its library alive (keep_alive) and
  // destroys the runtime session with the Python object.
  struct Session {
    Library *library;
    bitnet_session_t *session;
    ~Session() { library->destroySession(session); }
  };
  py::class_<Session>(m, "Session")
      .def(py::init([](Library &library, int64_t maxContext) {
             return new Session{&library, library.createSession(maxContext)};
           }),
           py::arg("library"), py::arg("max_context"), py::keep_alive<1, 2>())
      .def("append",
           [](Session &s, const std::vector<int64_t> &tokens) {
             return s.library->append(s.session, tokens);
           })
      .def("reset", [](Session &s) { s.library->reset(s.session); })
      .def_property_readonly(
          "length", [](Session &s) { return s.library->length(s.session); })
      .def_property_readonly("capacity", [](Session &s) {
        return s.library->capacity(s.session);
      });
}
