//===- _bitnet.cpp - The _bitnet Python extension module --------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

PYBIND11_MODULE(_bitnet, m) {
  m.doc() = "bitnet-mlir native bindings (use the `bitnet` package)";
  mlir::bitnet::python::populateCompilerBindings(m);
  mlir::bitnet::python::populateRuntimeBindings(m);
}
