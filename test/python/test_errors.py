# ===- test_errors.py - Failures of compile, load and run -----------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#

import os
import platform

import numpy as np
import pytest

import bitnet
from conftest import MODELS_DIR, ONNX_INPUTS, read_data_set


def test_missing_file():
    with pytest.raises(bitnet.CompileError) as info:
        bitnet.compile("/nonexistent/model.onnx")
    assert "/nonexistent/model.onnx" in str(info.value)
    assert info.value.diagnostics[0].severity == "error"


def test_not_onnx(tmp_path):
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"\x00\x01 this is not a protobuf \xff\xff")
    with pytest.raises(bitnet.CompileError, match="garbage.onnx"):
        bitnet.compile(bad)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="emit"):
        bitnet.compile(ONNX_INPUTS / "unsupported.onnx", emit="exe")
    with pytest.raises(TypeError):
        bitnet.compile(42)


def test_bad_target():
    path = MODELS_DIR / "mlp" / "mlp_int8.onnx"
    with pytest.raises(bitnet.CompileError, match="sparc|target"):
        bitnet.compile(path, target="sparc")


def test_unsupported_op_names_nodes():
    with pytest.raises(bitnet.CompileError) as info:
        bitnet.compile(ONNX_INPUTS / "unsupported.onnx")
    error = info.value
    assert isinstance(error, RuntimeError)
    assert "2 unsupported nodes" in str(error)
    assert "'first_bad' (Det)" in str(error)
    assert error.nodes == ["first_bad", "second_bad"]


def test_wrong_inputs(mlp_int8):
    (x,), _ = read_data_set("mlp/mlp_int8")
    with pytest.raises(ValueError, match="dtype float64, expected float32"):
        mlp_int8(x.astype(np.float64))
    with pytest.raises(ValueError, match="rank 1"):
        mlp_int8(x[0])
    with pytest.raises(ValueError, match="dim 1 is 63, expected 64"):
        mlp_int8(x[:, :63])
    with pytest.raises(ValueError, match="takes 1 inputs"):
        mlp_int8(x, x)
    with pytest.raises(ValueError, match="no input 'y'"):
        mlp_int8(y=x)
    with pytest.raises(ValueError, match="given twice"):
        mlp_int8(x, x=x)
    with pytest.raises(ValueError, match="missing input"):
        mlp_int8()
    # Lists are converted to the input's dtype.
    assert mlp_int8([[0.5] * 64])["logits"].shape == (1, 10)


def test_runtime_shape_mismatch_is_value_error(decode):
    # Dims sharing a name ('past') must agree: the runtime checks that, and
    # its SHAPE_MISMATCH status becomes a ValueError.
    inputs, _ = read_data_set("tinylm/b158_run3_decode_int8", 1)
    inputs[2] = inputs[2][:, :, :-1, :].copy()
    with pytest.raises(ValueError, match="SHAPE_MISMATCH.*past"):
        decode(*inputs)


def _has_runtime(arch):
    return os.path.exists(os.path.join(bitnet.resource_dir(), arch,
                                       "bitnet_runtime.o"))


def test_foreign_isa(compiled, tmp_path):
    if not _has_runtime("aarch64"):
        pytest.skip("no aarch64 runtime (cross libc not installed)")
    path = bitnet.compile(MODELS_DIR / "mlp" / "mlp_int8.onnx",
                          target="aarch64", output=tmp_path / "mlp-a64.so")
    with pytest.raises(bitnet.IncompatibleModelError) as info:
        bitnet.load(path)
    assert isinstance(info.value, RuntimeError)
    assert "aarch64" in str(info.value)
    assert "in-process" in str(info.value)
    assert "bitnet-run" in str(info.value)


@pytest.mark.skipif(platform.machine() != "x86_64" or
                    "avx512f" in open("/proc/cpuinfo").read(),
                    reason="needs an x86-64 CPU without AVX-512")
def test_missing_cpu_feature(compiled, tmp_path):
    path = bitnet.compile(MODELS_DIR / "mlp" / "mlp_int8.onnx",
                          cpu="x86-64-v4", output=tmp_path / "mlp-v4.so")
    with pytest.raises(bitnet.IncompatibleModelError,
                       match="INCOMPATIBLE: .*avx512"):
        bitnet.load(path)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        bitnet.load(tmp_path / "missing.so")
    not_a_library = tmp_path / "text.so"
    not_a_library.write_text("hello")
    with pytest.raises(RuntimeError, match="cannot load"):
        bitnet.load(not_a_library)
    with pytest.raises(ValueError, match="threads"):
        bitnet.load(not_a_library, threads=-1)
