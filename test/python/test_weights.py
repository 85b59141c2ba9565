# ===- test_weights.py - Where model.so's weights live after loading ------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""At load, the runtime copies the whole huge pages of model.so's read-only
data (the weights) into private anonymous memory on transparent huge pages at
the same addresses (runtime/Weights.c); BITNET_WEIGHTS=file keeps the file
mapping. Either way the outputs are bit-exact. A model is loaded once per
process, so each way runs in its own interpreter."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bitnet

from conftest import ONNX_INPUTS

# Runs the model on the data set and prints the bytes of private anonymous
# memory inside the address range the library was loaded at.
_LOAD_AND_RUN = r"""
import sys
import numpy as np
import bitnet

path, data = sys.argv[1], sys.argv[2]
model = bitnet.load(path, threads=2)
y = model.run(np.load(data + "/input_0.npy"))["y"]
want = np.load(data + "/output_0.npy")
assert np.array_equal(y, want), np.abs(y - want).max()

ranges, fields = [], []
with open("/proc/self/smaps") as smaps:
    for line in smaps:
        head = line.split()
        if "-" in head[0] and ":" not in head[0]:
            start, end = (int(a, 16) for a in head[0].split("-"))
            offset = int(head[2], 16)
            ranges.append((start, end, offset,
                           head[-1] if len(head) > 5 else ""))
            fields.append({})
        elif head[-1] == "kB":
            fields[-1][head[0].rstrip(":")] = int(head[1]) * 1024
# The first segment maps file offset 0 at the load address; the copy replaced
# the start of that mapping, so the address comes from the first remaining
# file page.
ours = [r for r in ranges if r[3] == path]
low = min(ours, key=lambda r: r[2])
low, high = low[0] - low[2], max(r[1] for r in ours)
inside = [f for r, f in zip(ranges, fields) if low <= r[0] and r[1] <= high]
print(sum(f.get("Anonymous", 0) for f in inside))
"""


def _transparent_huge_pages():
    try:
        mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return False
    return "[never]" not in mode


@pytest.fixture(scope="module")
def large_layer(tmp_path_factory):
    """A 64 MiB W8A8 layer (gen_fixtures.py --w8a8-large) and its data set."""
    out = tmp_path_factory.mktemp("w8a8_large")
    subprocess.run([sys.executable, str(ONNX_INPUTS / "gen_fixtures.py"),
                    "--w8a8-large", str(out)], check=True)
    path = bitnet.compile(str(out / "bl_w8a8_large_int8.onnx"),
                          output=out / "large.so")
    return path, out / "bl_w8a8_large"


def _anonymous_bytes(large_layer, weights=None):
    path, data = large_layer
    env = dict(os.environ)
    env.pop("BITNET_WEIGHTS", None)
    if weights:
        env["BITNET_WEIGHTS"] = weights
    done = subprocess.run([sys.executable, "-c", _LOAD_AND_RUN, path,
                           str(data)], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_weights_copied_to_anonymous_memory(large_layer):
    if not _transparent_huge_pages():
        pytest.skip("transparent huge pages are disabled")
    # All whole 2 MiB pages of the 64 MiB segment, whether or not the kernel
    # found huge pages for them.
    assert _anonymous_bytes(large_layer) >= 60 << 20


def test_weights_file_mapping_kept(large_layer):
    # Only the small writable segments (relocations) may be private.
    assert _anonymous_bytes(large_layer, "file") < 4 << 20
