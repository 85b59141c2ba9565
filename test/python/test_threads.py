# ===- test_threads.py - Concurrent runs ----------------------------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""Runs release the GIL and take their own runtime context, so one Model
(or two) can be called from several threads at once."""

import threading

import numpy as np

import bitnet

from conftest import read_data_set


def _hammer(calls, errors):
    threads = [threading.Thread(target=_guard(call, errors)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def _guard(call, errors):
    def run():
        try:
            call()
        except Exception as e:  # reported by the main thread
            errors.append(e)
    return run


def test_one_model_two_threads(mlp_int8):
    (x,), (logits,) = read_data_set("mlp/mlp_int8")
    halves = [(x[:16], logits[:16]), (x[16:], logits[16:])]

    def make(inp, want):
        def call():
            for _ in range(20):
                got = mlp_int8(inp)["logits"]
                np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
        return call

    _hammer([make(*h) for h in halves], [])


def test_two_models_two_threads(mlp_int8, prefill):
    (x,), (logits,) = read_data_set("mlp/mlp_int8")
    ids, (want_prefill,) = read_data_set("tinylm/b158_run3_prefill_int8")

    def mlp():
        for _ in range(10):
            np.testing.assert_allclose(mlp_int8(x)["logits"], logits,
                                       atol=1e-4, rtol=0)

    def lm():
        for _ in range(3):
            np.testing.assert_allclose(prefill(*ids)["logits"], want_prefill,
                                       atol=1e-4, rtol=0)

    _hammer([mlp, lm], [])


def test_generated_loops_thread_count_independent(compiled):
    """The generated loop nests (norms, attention, the LM head) run their
    output tiles on the pool: 1 and 3 threads give the same bytes."""
    path = compiled("tinylm/b158_run3_prefill_int8")
    ids, _ = read_data_set("tinylm/b158_run3_prefill_int8")
    one = bitnet.load(path, threads=1)(*ids)
    three = bitnet.load(path, threads=3)(*ids)
    assert one.keys() == three.keys()
    for name in one:
        assert one[name].tobytes() == three[name].tobytes(), name
