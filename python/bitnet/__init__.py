# ===- __init__.py - The bitnet Python package ----------------------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""bitnet-mlir from Python: compile ternary/BitNet ONNX models to native
libraries in process, and load and run them on NumPy arrays.

    import bitnet
    m = bitnet.load(bitnet.compile("model.onnx"))
    print(m(x))

See docs/Python.md.
"""

from .compiler import CompileError, Diagnostic, compile, opt, resource_dir
from .runtime import IncompatibleModelError, Model, TensorInfo, load

__all__ = [
    "CompileError",
    "Diagnostic",
    "IncompatibleModelError",
    "Model",
    "TensorInfo",
    "compile",
    "load",
    "opt",
    "resource_dir",
]
