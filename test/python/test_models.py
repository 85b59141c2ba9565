# ===- test_models.py - Compile and run the shared models -----------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""bitnet.compile + bitnet.load on the shared models, against the expected
outputs of their test data sets (tolerances as in
test/Integration/Models/check_models.py)."""

from pathlib import Path

import numpy as np
import pytest

import bitnet
from conftest import MODELS_DIR, assert_outputs, read_data_set


@pytest.mark.parametrize("mode,atol", [("fake", 2e-2), ("float", 1e-4),
                                       ("int8", 1e-4), ("qint", 1e-4)])
def test_mlp(compiled, mode, atol):
    model = bitnet.load(compiled(f"mlp/mlp_{mode}"))
    inputs, expected = read_data_set(f"mlp/mlp_{mode}")
    assert_outputs(model(*inputs), expected, atol)


def test_mlp_metadata(mlp_int8):
    assert [i.name for i in mlp_int8.inputs] == ["x"]
    assert mlp_int8.inputs[0].dtype == np.float32
    assert mlp_int8.inputs[0].shape == ("batch", 64)
    assert mlp_int8.outputs[0] == bitnet.TensorInfo("logits", np.float32,
                                                    ("batch", 10))
    assert "x86_64" in mlp_int8.target or "aarch64" in mlp_int8.target or \
        "riscv64" in mlp_int8.target


def test_mlp_named_and_dynamic_batch(mlp_int8):
    (x,), (logits,) = read_data_set("mlp/mlp_int8")
    out = mlp_int8.run(x=x)
    assert list(out) == ["logits"]
    np.testing.assert_allclose(out["logits"], logits, atol=1e-4, rtol=0)
    # Rows are independent: a smaller batch gives the same rows.
    few = mlp_int8(x[:3])["logits"]
    np.testing.assert_allclose(few, logits[:3], atol=1e-4, rtol=0)


def test_non_contiguous_input(mlp_int8):
    (x,), (logits,) = read_data_set("mlp/mlp_int8")
    strided = np.asfortranarray(x)
    assert not strided.flags.c_contiguous
    out = mlp_int8(strided)["logits"]
    np.testing.assert_allclose(out, logits, atol=1e-4, rtol=0)


def test_outputs_are_copies(mlp_int8):
    (x,), _ = read_data_set("mlp/mlp_int8")
    first = mlp_int8(x)["logits"]
    kept = first.copy()
    mlp_int8(x * 2)
    np.testing.assert_array_equal(first, kept)
    assert first.flags.owndata or first.base is not None
    first[0, 0] = 1234.0  # writable


def test_tinylm_prefill(prefill):
    assert [i.name for i in prefill.inputs] == ["input_ids"]
    assert prefill.inputs[0].dtype == np.int64
    inputs, expected = read_data_set("tinylm/b158_run3_prefill_int8")
    assert_outputs(prefill(*inputs), expected, 1e-4)


@pytest.mark.parametrize("data_set", [0, 1])
def test_tinylm_decode(decode, data_set):
    assert len(decode.inputs) == 9 and len(decode.outputs) == 9
    assert decode.inputs[1].shape == ("batch", 2, "past", 32)
    inputs, expected = read_data_set("tinylm/b158_run3_decode_int8", data_set)
    assert_outputs(decode(*inputs), expected, 1e-4)


def test_model_proto_and_bytes_input(tmp_path):
    onnx = pytest.importorskip("onnx")
    path = MODELS_DIR / "mlp" / "mlp_int8.onnx"
    if not path.exists():
        pytest.skip("no shared models")
    proto = onnx.load(str(path))
    inputs, expected = read_data_set("mlp/mlp_int8")
    from_proto = bitnet.compile(proto)
    assert from_proto.endswith(".so")
    assert_outputs(bitnet.load(from_proto)(*inputs), expected, 1e-4)
    # bytes, with an explicit output path.
    out = tmp_path / "from_bytes.so"
    assert bitnet.compile(path.read_bytes(), output=out) == str(out)
    assert_outputs(bitnet.load(out)(*inputs), expected, 1e-4)


def test_emit_mlir(tmp_path):
    path = MODELS_DIR / "mlp" / "mlp_int8.onnx"
    if not path.exists():
        pytest.skip("no shared models")
    out = bitnet.compile(path, emit="mlir", debug_info=True)
    assert out.endswith(".mlir")
    text = Path(out).read_text()
    assert "bitnet.bitlinear" in text
    assert "loc(" in text
    # The raised module goes through bitnet.opt.
    assert "bitnet.bitlinear" in bitnet.opt(text, "canonicalize")


def test_kernels_bit_identical():
    """The int2 microkernels and the reference lowering give the same bytes;
    threads change nothing; an unknown kernel family is a ValueError."""
    path = str(MODELS_DIR / "patterns" / "int8_int8.onnx")
    inputs, _ = read_data_set("patterns/int8_int8")
    reference = bitnet.load(bitnet.compile(path, kernel="reference"))
    fast = bitnet.load(bitnet.compile(path, kernel="int2"), threads=3)
    for a, b in zip(reference(*inputs).values(), fast(*inputs).values()):
        assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError, match="kernel must be"):
        bitnet.compile(path, kernel="lut")
