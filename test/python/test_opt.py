# ===- test_opt.py - bitnet.opt -------------------------------------------===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#

import pytest

import bitnet

INVOLUTION = """
func.func @hadamard_involution(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = bitnet.hadamard %x block 8 : tensor<2x8xf32>
  %b = bitnet.hadamard %a block 8 : tensor<2x8xf32>
  return %b : tensor<2x8xf32>
}
"""


def test_canonicalize_folds_involution():
    out = bitnet.opt(INVOLUTION, "canonicalize")
    assert "func.func @hadamard_involution" in out
    assert "bitnet.hadamard" not in out
    assert "return %arg0" in out
    # The anchored spelling is accepted too.
    assert bitnet.opt(INVOLUTION, "builtin.module(canonicalize)") == out


def test_empty_pipeline_round_trips():
    out = bitnet.opt(INVOLUTION, "")
    assert out.count("bitnet.hadamard") == 2


def test_bitnet_pass_registered():
    # A bitnet pass and a nested upstream pipeline parse and run.
    out = bitnet.opt(INVOLUTION, "func.func(cse),convert-bitnet-to-linalg")
    assert "bitnet.hadamard" not in out


def test_parse_error():
    with pytest.raises(bitnet.CompileError) as info:
        bitnet.opt("func.func @f( {", "canonicalize")
    assert "<input>:1:" in str(info.value)


def test_unknown_pass():
    with pytest.raises(bitnet.CompileError, match="no-such-pass"):
        bitnet.opt(INVOLUTION, "no-such-pass")


def test_verifier_error():
    bad = """
func.func @f(%x: tensor<2x6xf32>) -> tensor<2x6xf32> {
  %h = bitnet.hadamard %x block 4 : tensor<2x6xf32>
  return %h : tensor<2x6xf32>
}
"""
    with pytest.raises(bitnet.CompileError) as info:
        bitnet.opt(bad, "canonicalize")
    assert ("block size 4 does not divide the last dimension 6"
            in str(info.value))
    assert str(info.value).startswith("<input>:3:")


def test_error_at_onnx_node():
    # Ops located by the importer's NameLoc(node, NameLoc(op type)): the
    # error names the node.
    bad = """
func.func @f(%x: tensor<2x6xf32>) -> tensor<2x6xf32> {
  %h = bitnet.hadamard %x block 4 : tensor<2x6xf32>
      loc("/blocks.0/had"("Hadamard"))
  return %h : tensor<2x6xf32>
}
"""
    with pytest.raises(bitnet.CompileError) as info:
        bitnet.opt(bad, "canonicalize")
    assert info.value.nodes == ["/blocks.0/had"]
    assert str(info.value).startswith("'/blocks.0/had' (Hadamard): error: ")
