# ===- test_generate.py - Model.generate --------------------------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""Generation with the bundled tinylm decoder through the in-place KV cache:
the same tokens as `bitnet-run --generate`, and clear errors."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import bitnet

from conftest import TEST_DIR

DECODER = TEST_DIR.parent / "examples" / "tinylm" / "b158_run3_decode_int8.onnx"
PROMPT = "A fool and his money are"
# PyTorch's greedy continuation of PROMPT (../shared/models/README.md).
EXPECTED = " the starter the starter of the\nsaid the start of the start of t"


@pytest.fixture(scope="module")
def decoder_path():
    return bitnet.compile(DECODER, kv_cache=True)


@pytest.fixture(scope="module")
def decoder(decoder_path):
    return bitnet.load(decoder_path)


def test_greedy_text(decoder):
    assert decoder.generate_text(PROMPT, 64) == EXPECTED


def test_streams_token_ids(decoder):
    tokens = list(decoder.generate(list(PROMPT.encode()), 8))
    assert tokens == list(EXPECTED.encode()[:8])


def test_matches_bitnet_run(decoder, decoder_path):
    run = Path(os.environ.get("BITNET_TOOLS_DIR", "")) / "bitnet-run"
    if not run.exists():
        found = shutil.which("bitnet-run")
        if not found:
            pytest.skip("bitnet-run not found")
        run = Path(found)
    args = [str(run), decoder_path, "--generate", "--prompt", PROMPT,
            "--max-new-tokens", "24", "--temperature", "0.8", "--top-k", "20",
            "--seed", "7", "--print-ids"]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    ids = [int(t) for t in out.stdout.split()][len(PROMPT):]
    ours = list(decoder.generate(PROMPT, 24, temperature=0.8, top_k=20,
                                 seed=7))
    assert ours == ids


def test_context_limit_stops(decoder):
    tokens = list(decoder.generate(PROMPT, 64, max_context=30))
    assert len(tokens) == 30 - len(PROMPT) + 1


def test_errors(decoder):
    with pytest.raises(ValueError, match="empty"):
        list(decoder.generate("", 4))
    with pytest.raises(ValueError, match="do not fit"):
        list(decoder.generate(PROMPT, 4, max_context=10))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        list(decoder.generate([1, 300], 4))


def test_model_without_cache(tmp_path):
    plain = bitnet.load(bitnet.compile(DECODER))
    with pytest.raises(RuntimeError, match="kv_cache=True"):
        list(plain.generate(PROMPT, 4))
