# ===- conftest.py - Fixtures of the bitnet Python tests ------------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""Paths come from the environment set by ctest (python/CMakeLists.txt):
PYTHONPATH=<build>/python_packages, BITNET_SHARED_MODELS_DIR,
BITNET_TEST_SOURCE_DIR. Compiled models are session fixtures: a tinylm graph
takes seconds to compile, so each is compiled once."""

import os
from pathlib import Path

import numpy as np
import pytest

import bitnet

TEST_DIR = Path(os.environ.get("BITNET_TEST_SOURCE_DIR",
                               Path(__file__).resolve().parent.parent))
MODELS_DIR = Path(os.environ.get("BITNET_SHARED_MODELS_DIR",
                                 TEST_DIR.parent.parent / "shared" / "models"))
ONNX_INPUTS = TEST_DIR / "Import" / "ONNX" / "Inputs"


def read_data_set(graph: str, n: int = 0):
    """([inputs], [outputs]) of test_data_set_<n> of `graph` (family/name)."""
    from onnx import TensorProto, numpy_helper

    folder = MODELS_DIR / graph / f"test_data_set_{n}"

    def read(prefix):
        arrays = []
        for i in range(len(list(folder.glob(prefix + "_*.pb")))):
            tensor = TensorProto()
            tensor.ParseFromString((folder / f"{prefix}_{i}.pb").read_bytes())
            arrays.append(numpy_helper.to_array(tensor))
        return arrays

    return read("input"), read("output")


def assert_outputs(got: dict, expected: list, atol: float):
    assert len(got) == len(expected)
    for (name, out), want in zip(got.items(), expected):
        assert out.dtype == want.dtype, name
        assert out.shape == want.shape, name
        err = float(np.max(np.abs(out - want))) if out.size else 0.0
        assert err <= atol, f"{name}: max abs err {err} > {atol}"


def _require_models():
    if not MODELS_DIR.is_dir():
        pytest.skip(f"no shared models at {MODELS_DIR}")


_compiled = {}


@pytest.fixture(scope="session")
def compiled():
    """compiled(graph) -> the model.so of models/<graph>.onnx, built once."""
    _require_models()

    def get(graph: str) -> str:
        if graph not in _compiled:
            _compiled[graph] = bitnet.compile(MODELS_DIR / (graph + ".onnx"))
        return _compiled[graph]

    return get


@pytest.fixture(scope="session")
def mlp_int8(compiled):
    return bitnet.load(compiled("mlp/mlp_int8"))


@pytest.fixture(scope="session")
def prefill(compiled):
    return bitnet.load(compiled("tinylm/b158_run3_prefill_int8"))


@pytest.fixture(scope="session")
def decode(compiled):
    return bitnet.load(compiled("tinylm/b158_run3_decode_int8"))
