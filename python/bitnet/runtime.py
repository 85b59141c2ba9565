# ===- runtime.py - bitnet.load and Model ---------------------------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""Loading a model.so in process and running it on NumPy arrays.

The library is dlopen'ed (RTLD_LOCAL, one handle per library file) and used
only through the C ABI of include/bitnet-c/Runtime.h.
"""

import os
import platform
from typing import (Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple,
                    Union)

import numpy as np

from . import _bitnet

__all__ = ["IncompatibleModelError", "Model", "TensorInfo", "load"]

IncompatibleModelError = _bitnet.IncompatibleModelError
IncompatibleModelError.__doc__ = (
    "The library cannot run in this process: it was built for another ISA, "
    "for CPU features this CPU lacks, or for another ABI version.")
IncompatibleModelError.__module__ = "bitnet"

# ELF e_machine -> ISA name, for the ISAs bitnet-compile targets.
_ELF_MACHINES = {62: "x86_64", 183: "aarch64", 243: "riscv64"}
_HOST_ISA = {"amd64": "x86_64", "arm64": "aarch64"}.get(
    platform.machine().lower(), platform.machine().lower())


class TensorInfo(NamedTuple):
    """An input or output as declared by the model. `shape` holds ints for
    static extents and, for dynamic ones, the ONNX dim name (e.g. "batch")
    or None."""

    name: str
    dtype: np.dtype
    shape: Tuple[Union[int, str, None], ...]


def _elf_isa(path: str) -> Optional[str]:
    """The ISA of an ELF file (its e_machine name), None if not ELF."""
    with open(path, "rb") as f:
        header = f.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    order = "little" if header[5] == 1 else "big"
    machine = int.from_bytes(header[18:20], order)
    return _ELF_MACHINES.get(machine, f"e_machine {machine}")


def _infos(entries) -> List[TensorInfo]:
    infos = []
    for name, dtype, shape, dim_names in entries:
        dims = tuple(d if d >= 0 else n for d, n in zip(shape, dim_names))
        infos.append(TensorInfo(name, np.dtype(dtype), dims))
    return infos


class Model:
    """A compiled model loaded in process (see bitnet.load).

    Calls are thread safe: concurrent runs of one Model each use their own
    runtime context, and the GIL is released while the model runs.
    """

    def __init__(self, path: str, threads: Optional[int] = None):
        self.path = path
        self._library = _bitnet.Library(path, threads or 0)
        self.name: str = self._library.name
        self.target: str = self._library.target
        self.inputs: List[TensorInfo] = _infos(self._library.inputs())
        self.outputs: List[TensorInfo] = _infos(self._library.outputs())

    def __repr__(self):
        target = " ".join(self.target.split()[:2])  # triple and cpu
        return (f"<bitnet.Model {self.name!r} ({target}) "
                f"inputs={self.inputs} outputs={self.outputs}>")

    def _bind(self, arrays, named) -> List[np.ndarray]:
        """The inputs in model order, checked and C-contiguous."""
        names = [info.name for info in self.inputs]
        if len(arrays) > len(names):
            raise ValueError(f"model {self.name!r} takes {len(names)} inputs "
                             f"({', '.join(names)}), got {len(arrays)}")
        values = dict(zip(names, arrays))
        for name, value in named.items():
            if name not in names:
                raise ValueError(f"model {self.name!r} has no input {name!r} "
                                 f"(inputs: {', '.join(names)})")
            if name in values:
                raise ValueError(f"input {name!r} given twice")
            values[name] = value
        missing = [n for n in names if n not in values]
        if missing:
            listed = ", ".join(map(repr, missing))
            raise ValueError(
                f"missing input(s) {listed} of model {self.name!r}")
        return [self._check(info, values[info.name]) for info in self.inputs]

    @staticmethod
    def _check(info: TensorInfo, value) -> np.ndarray:
        if not isinstance(value, np.ndarray):
            value = np.asarray(value, dtype=info.dtype)
        if value.dtype != info.dtype:
            raise ValueError(f"input {info.name!r}: dtype {value.dtype}, "
                             f"expected {info.dtype}")
        if value.ndim != len(info.shape):
            raise ValueError(f"input {info.name!r}: rank {value.ndim} "
                             f"(shape {value.shape}), expected rank "
                             f"{len(info.shape)} (shape {info.shape})")
        for axis, (got, want) in enumerate(zip(value.shape, info.shape)):
            if isinstance(want, int) and got != want:
                raise ValueError(f"input {info.name!r}: dim {axis} is {got}, "
                                 f"expected {want} (shape {info.shape})")
        return np.ascontiguousarray(value)

    def run(self, *arrays, **named) -> Dict[str, np.ndarray]:
        """Runs the model. Inputs are given in model order and/or by name;
        arrays that are C-contiguous with the right dtype are passed without
        a copy. Returns {output name: new array}.

        Raises ValueError for a wrong input (count, name, dtype, rank or
        extent, also when the runtime reports it) and RuntimeError for other
        runtime failures.
        """
        inputs = self._bind(arrays, named)
        outputs = self._library.run(inputs)
        return {info.name: out for info, out in zip(self.outputs, outputs)}

    __call__ = run

    def generate(self, prompt: Union[str, bytes, Sequence[int]],
                 max_new_tokens: int = 64, temperature: float = 0.0,
                 top_k: Optional[int] = None, top_p: Optional[float] = None,
                 seed: Optional[int] = None,
                 max_context: Optional[int] = None) -> Iterator[int]:
        """Generates tokens after `prompt`, yielding each token id as it
        comes: prefill of the whole prompt in one run, then one run per
        token through the runtime-owned KV cache (the model must be compiled
        with kv_cache=True). The same arguments give the same tokens as
        `bitnet-run --generate` (seed None = 1, as there).

        prompt: text or bytes (byte-level, vocab-256 models) or token ids.
        temperature: 0 = greedy; top_k / top_p restrict sampling.
        max_context: cache positions (None = the runtime's default, 2048);
          generation stops early when the context is full.

        Raises ValueError for an empty prompt, a prompt longer than the
        context or a token outside the vocabulary, and RuntimeError for a
        model without a KV cache.
        """
        if not self._library.has_kv_cache:
            raise RuntimeError(
                f"model {self.name!r} has no runtime-owned KV cache: compile "
                f"the decoder with bitnet.compile(..., kv_cache=True) or "
                f"bitnet-compile --kv-cache")
        if isinstance(prompt, str):
            prompt = prompt.encode("utf-8")
        ids = [int(t) for t in prompt]
        if not ids:
            raise ValueError("the prompt is empty: generation needs at least "
                             "one token")
        session = _bitnet.Session(self._library, max_context or 0)
        logits = session.append(ids)
        state = 1 if seed is None else int(seed)
        for step in range(max_new_tokens):
            token, state = self._library.sample(
                logits, float(temperature), int(top_k or 0),
                float(1.0 if top_p is None else top_p), state)
            yield token
            if step + 1 == max_new_tokens or \
                    session.length >= session.capacity:
                return
            logits = session.append([token])

    def generate_text(self, prompt: Union[str, bytes], max_new_tokens: int = 64,
                      **kwargs) -> str:
        """The continuation of `prompt` as text (byte-level models): the
        generated bytes decoded as UTF-8 (invalid sequences replaced)."""
        return bytes(self.generate(prompt, max_new_tokens, **kwargs)).decode(
            "utf-8", "replace")


def load(path: Union[str, os.PathLike],
         threads: Optional[int] = None) -> Model:
    """Loads a model.so compiled by bitnet.compile or bitnet-compile.

    threads: worker threads of each run; None (or 0) = one per core.

    Raises IncompatibleModelError when the library is for another ISA (run
    it with `bitnet-run`, which uses qemu-user) or needs CPU features this
    CPU lacks, FileNotFoundError when there is no such file, and
    RuntimeError when it is not a model library.
    """
    path = os.path.abspath(os.fspath(path))
    if threads is not None and (not isinstance(threads, int) or threads < 0):
        raise ValueError(
            f"threads must be None or an int >= 0, not {threads!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model library '{path}'")
    isa = _elf_isa(path)
    if isa is not None and isa != _HOST_ISA:
        raise IncompatibleModelError(
            f"'{path}' is a {isa} library and cannot be loaded in-process on "
            f"this {_HOST_ISA} machine; run it with `bitnet-run {path}`, "
            f"which runs foreign libraries under qemu-user")
    return Model(path, threads)
