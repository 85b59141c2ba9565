# ===- test_weights.py - How model.so's weights reach memory --------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""A large model.so leaves the compiler out of the page cache, so that its
first load reads it cold into the huge folios the runtime asks for
(MADV_HUGEPAGE); the load then maps every weight page at once
(MADV_POPULATE_READ). runtime/Weights.c and lib/Target/ModelLibrary.cpp."""

import ctypes
import mmap
import os
import subprocess
import sys

import pytest

import bitnet

from conftest import ONNX_INPUTS

_LIBC = ctypes.CDLL(None, use_errno=True)


def _cached_bytes(path):
    """Bytes of `path` in the page cache (mincore over a mapping that is
    never touched)."""
    size = os.path.getsize(path)
    page = mmap.PAGESIZE
    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_COPY)
    try:
        # The temporary buffer export ends with this statement, so the
        # mapping can be closed below.
        address = ctypes.addressof(ctypes.c_char.from_buffer(mapped))
        vec = (ctypes.c_ubyte * ((size + page - 1) // page))()
        rc = _LIBC.mincore(ctypes.c_void_p(address), ctypes.c_size_t(size),
                           vec)
        assert rc == 0, os.strerror(ctypes.get_errno())
        return sum(v & 1 for v in vec) * page
    finally:
        mapped.close()


@pytest.fixture(scope="module")
def large_layer(tmp_path_factory):
    """A 64 MiB W8A8 layer (gen_fixtures.py --w8a8-large) and its data set."""
    out = tmp_path_factory.mktemp("w8a8_large")
    subprocess.run([sys.executable, str(ONNX_INPUTS / "gen_fixtures.py"),
                    "--w8a8-large", str(out)], check=True)
    path = bitnet.compile(str(out / "bl_w8a8_large_int8.onnx"),
                          output=out / "large.so")
    return path, out / "bl_w8a8_large"


def test_compiled_library_left_uncached(large_layer):
    path, _ = large_layer
    assert _cached_bytes(path) < os.path.getsize(path) // 20


# Loads the model, prints the resident bytes of its first read-only mapping
# (the weights) before any run, then checks a run.
_LOAD_AND_RUN = r"""
import sys
import numpy as np
import bitnet

def resident(path):
    with open("/proc/self/smaps") as smaps:
        lines = smaps.read().splitlines()
    for i, line in enumerate(lines):
        head = line.split()
        if head[-1] == path and head[1] == "r--p" and int(head[2], 16) == 0:
            for field in lines[i + 1:]:
                if field.startswith("Rss:"):
                    return int(field.split()[1]) * 1024
    sys.exit("no read-only mapping of " + path)

path, data = sys.argv[1], sys.argv[2]
model = bitnet.load(path, threads=2)
print(resident(path))
y = model.run(np.load(data + "/input_0.npy"))["y"]
want = np.load(data + "/output_0.npy")
assert np.array_equal(y, want), np.abs(y - want).max()
"""


def test_weights_populated_at_load(large_layer):
    path, data = large_layer
    done = subprocess.run([sys.executable, "-c", _LOAD_AND_RUN, path,
                           str(data)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # 8192 x 8193 int8 weights: 64 MiB, all resident before the first run.
    assert int(done.stdout) >= 64 << 20
