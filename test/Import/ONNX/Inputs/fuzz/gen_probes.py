#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Generates the hand-written crash probes of fuzz-regressions.test.

Run from anywhere: /usr/bin/python3 gen_probes.py  (writes next to itself).
Each graph folds one constant node with an out-of-range axis, permutation or
integer overflow; all of them crashed (assertion or UBSan) in ConstFold.cpp
or in the shape tracking of Emit.cpp before they were fixed.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1


def save(name, nodes, inits, opset=11):
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, name, [], [y], initializer=inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="gen_probes")
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def i64(name, value):
    return numpy_helper.from_array(np.array(value, np.int64), name)


def main():
    c = numpy_helper.from_array(np.ones((2, 3), np.float32), "c")
    save("probe_squeeze_axis",
         [helper.make_node("Squeeze", ["c"], ["y"], axes=[7])], [c])
    save("probe_concat_axis",
         [helper.make_node("Concat", ["c", "c"], ["y"], axis=5)], [c])
    save("probe_slice_axis",
         [helper.make_node("Slice", ["c", "s", "e", "a"], ["y"])],
         [c, i64("s", [0]), i64("e", [1]), i64("a", [9])])
    save("probe_transpose_perm",
         [helper.make_node("Transpose", ["c"], ["y"], perm=[5, 0])], [c])
    save("probe_transpose_dup_perm",
         [helper.make_node("Transpose", ["c"], ["y"], perm=[0, 0])], [c])
    # Integer folds whose result does not fit int64 (UB in C++).
    save("probe_div_int64_min",
         [helper.make_node("Div", ["a", "b"], ["y"])],
         [i64("a", [INT64_MIN]), i64("b", [-1])])
    save("probe_add_overflow",
         [helper.make_node("Add", ["a", "b"], ["y"])],
         [i64("a", [INT64_MAX]), i64("b", [1])])
    save("probe_mul_overflow",
         [helper.make_node("Mul", ["a", "b"], ["y"])],
         [i64("a", [2**40]), i64("b", [2**40])])
    save("probe_neg_int64_min",
         [helper.make_node("Neg", ["a"], ["y"])], [i64("a", [INT64_MIN])])


if __name__ == "__main__":
    main()
