//===- Bindings.h - The parts of the _bitnet extension ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// _bitnet is split in two: the compiler (MLIR, in process) and the runtime
// (model.so through dlopen and bitnet-c/Runtime.h only). The Pythonic API is
// the plain Python package python/bitnet/.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_PYTHON_BINDINGS_H
#define BITNET_PYTHON_BINDINGS_H

#include <pybind11/pybind11.h>

namespace mlir::bitnet::python {

/// compile(...) and opt(...): the in-process compiler.
void populateCompilerBindings(pybind11::module_ &m);

/// Library: a loaded model.so, its metadata and runs.
void populateRuntimeBindings(pybind11::module_ &m);

} // namespace mlir::bitnet::python

#endif // BITNET_PYTHON_BINDINGS_H
