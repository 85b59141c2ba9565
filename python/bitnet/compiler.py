# ===- compiler.py - bitnet.compile and bitnet.opt ------------------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""The in-process compiler: ONNX model -> model.so (or MLIR, LLVM IR, .o)."""

import atexit
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, List, NamedTuple, Optional, Union

from . import _bitnet

if TYPE_CHECKING:  # onnx is only needed by callers passing a ModelProto.
    import onnx

__all__ = ["CompileError", "Diagnostic", "compile", "opt", "resource_dir"]

_SUFFIXES = {"so": ".so", "obj": ".o", "llvm": ".ll", "mlir": ".mlir"}

# "'node' (OpType)": how importer messages name ONNX nodes.
_NODE_IN_MESSAGE = re.compile(r"'([^']+)' \(([A-Za-z][\w.]*)\)")


class Diagnostic(NamedTuple):
    """One MLIR diagnostic: severity ("error", "note", ...), where it points
    ("file:line:col" or "'node' (OpType)", may be empty), the message and the
    ONNX node names of its location."""

    severity: str
    where: str
    message: str
    nodes: List[str]

    def __str__(self):
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.severity}: {self.message}"


class CompileError(RuntimeError):
    """A compilation (or bitnet.opt) failed.

    str(error) is the full diagnostic text; `diagnostics` holds the
    Diagnostic entries and `nodes` the ONNX node names they mention (from
    their locations and messages), in order, without repetitions.
    """

    def __init__(self, diagnostics: List[Diagnostic], summary: str = ""):
        self.diagnostics = list(diagnostics)
        nodes = []
        for diag in self.diagnostics:
            found = list(diag.nodes)
            found += [m.group(1)
                      for m in _NODE_IN_MESSAGE.finditer(diag.message)]
            nodes += [n for n in found if n and n not in nodes]
        self.nodes = nodes
        text = "\n".join(str(d) for d in self.diagnostics)
        super().__init__(text or summary or "compilation failed")


def _raise_if_failed(ok, diagnostics, summary):
    """Raises CompileError on failure; warnings of a success become Python
    warnings."""
    diags = [Diagnostic(*d) for d in diagnostics]
    if not ok:
        raise CompileError(diags, summary)
    for diag in diags:
        if diag.severity == "warning":
            warnings.warn(str(diag), stacklevel=3)


def resource_dir() -> str:
    """The directory holding <arch>/bitnet_runtime.o: $BITNET_RESOURCE_DIR,
    else the lib/bitnet of the build tree or install prefix this package is
    in (build/lib/bitnet, <prefix>/lib/bitnet); "" if there is none."""
    env = os.environ.get("BITNET_RESOURCE_DIR")
    if env:
        return env
    try:
        from ._site import RESOURCE_DIR_RELATIVE
    except ImportError:  # Not built by CMake (e.g. a source checkout).
        return ""
    path = Path(__file__).resolve().parent / RESOURCE_DIR_RELATIVE
    return str(path.resolve()) if path.is_dir() else ""


_TEMP_DIR = None


def _temp_dir() -> str:
    """A directory for outputs and serialized models, removed at exit."""
    global _TEMP_DIR
    if _TEMP_DIR is None:
        _TEMP_DIR = tempfile.mkdtemp(prefix="bitnet-")
        atexit.register(shutil.rmtree, _TEMP_DIR, ignore_errors=True)
    return _TEMP_DIR


def _temp_file(stem: str, suffix: str) -> str:
    fd, path = tempfile.mkstemp(prefix=stem + "-", suffix=suffix,
                                dir=_temp_dir())
    os.close(fd)
    return path


def _model_path(model) -> str:
    """A file holding `model` (a path, an onnx.ModelProto or bytes)."""
    if isinstance(model, (str, os.PathLike)):
        return os.fspath(model)
    if hasattr(model, "SerializeToString"):  # onnx.ModelProto
        stem = getattr(getattr(model, "graph", None), "name", "") or "model"
        model = model.SerializeToString()
    elif isinstance(model, (bytes, bytearray, memoryview)):
        stem = "model"
    else:
        raise TypeError("model must be a path, an onnx.ModelProto or bytes, "
                        f"not {type(model).__name__}")
    stem = re.sub(r"[^\w.-]", "_", stem)
    path = _temp_file(stem, ".onnx")
    with open(path, "wb") as f:
        f.write(model)
    return path


def compile(model: Union[str, os.PathLike, bytes, "onnx.ModelProto"],
            target: str = "host", cpu: Optional[str] = None,
            features: Optional[str] = None,
            output: Optional[Union[str, os.PathLike]] = None,
            emit: str = "so", *, raise_bitlinear: bool = True,
            debug_info: bool = False, kv_cache: bool = False,
            kernel: str = "auto") -> str:
    """Compiles an ONNX model in process and returns the output's path.

    model: a path to an .onnx file, an onnx.ModelProto or its serialized
      bytes (both written to a temporary file first).
    target: "host", "x86_64", "aarch64", "riscv64" or an LLVM Linux triple.
    cpu: an LLVM CPU name or a named level (bitnet-compile --help lists
      them); None for the target's baseline.
    features: extra LLVM features, e.g. "+dotprod,+i8mm".
    output: where to write; None writes a new uniquely named file in a
      temporary directory of this process, removed when Python exits.
    emit: "so" (model.so), "obj" (object without the runtime), "llvm" (LLVM
      IR text) or "mlir" (the raised bitnet-level module).
    raise_bitlinear: recognise BitLinears (bitnet-compile --no-raise when
      False).
    debug_info: print locations (ONNX node names) in MLIR output.
    kv_cache: give a decoder's past_*/present_* pairs an in-place KV cache
      owned by the runtime (bitnet-compile --kv-cache), for Model.generate.
    kernel: how ternary matmuls run: "auto" (the best microkernel of the
      target), "int2" or "reference" (bitnet-compile --kernel).

    Raises CompileError with the diagnostics on failure.
    """
    if emit not in _SUFFIXES:
        raise ValueError(
            f"emit must be one of {sorted(_SUFFIXES)}, not {emit!r}")
    input_path = _model_path(model)
    if output is None:
        stem = Path(input_path).stem
        output = _temp_file(stem, _SUFFIXES[emit])
    output = os.path.abspath(os.fspath(output))
    ok, _, diagnostics = _bitnet.compile(
        input_path, output, target, cpu or "", features or "", emit,
        resource_dir(), raise_bitlinear, debug_info, kv_cache, kernel)
    _raise_if_failed(ok, diagnostics, f"compiling '{input_path}' failed")
    return output


def opt(mlir_text: str, pipeline: str, *, debug_info: bool = False) -> str:
    """Parses `mlir_text`, runs the pass pipeline on it and returns the
    printed module, like `bitnet-opt --pass-pipeline=...`.

    pipeline: textual pass pipeline, e.g. "canonicalize,cse",
      "func.func(bitnet-fuse)" or "bitnet-pipeline"; an enclosing
      "builtin.module(...)" is optional. Every upstream MLIR pass and the
      bitnet passes and pipelines are registered.

    Raises CompileError on a parse, pipeline or pass failure.
    """
    ok, text, diagnostics = _bitnet.opt(mlir_text, pipeline, debug_info)
    _raise_if_failed(ok, diagnostics, "bitnet.opt failed")
    return text
