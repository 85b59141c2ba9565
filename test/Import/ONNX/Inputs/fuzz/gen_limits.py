#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Generates the size-limit fixtures of test/Import/ONNX/limits.test.

Run from anywhere: /usr/bin/python3 gen_limits.py  (writes next to itself).
Every model declares a huge shape but carries tiny or no data, so the files
stay a few hundred bytes; the importer must reject each with a diagnostic
instead of allocating, overflowing or building an invalid type.
"""
import os

from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
F, I64 = TensorProto.FLOAT, TensorProto.INT64
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def save(name, nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, name, inputs, outputs,
                              initializer=list(initializers))
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="gen_limits")
    # No onnx.checker: these models are invalid on purpose.
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def tensor(name, dims, dtype=F, raw=b"", floats=None, int64s=None):
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    if raw:
        t.raw_data = raw
    if floats:
        t.float_data.extend(floats)
    if int64s:
        t.int64_data.extend(int64s)
    return t


def identity_of_initializer(name, init):
    """y = Identity(w) with w the given initializer."""
    y = helper.make_tensor_value_info("y", init.data_type, None)
    save(name, [helper.make_node("Identity", ["w"], ["y"], name="id")], [], [y],
         [init])


def main():
    # Initializers: a dimension above INT32_MAX (the bitnet dialect's limit),
    # an element count overflowing int64, a byte size overflowing int64, and
    # a plausible huge count with one value (must not be allocated first).
    identity_of_initializer("init_dim_over_int32",
                            tensor("w", [INT32_MAX + 1], floats=[1.0]))
    identity_of_initializer("init_dim_int64max",
                            tensor("w", [INT64_MAX, 2], floats=[1.0]))
    identity_of_initializer("init_count_overflow",
                            tensor("w", [INT32_MAX] * 3, floats=[1.0]))
    identity_of_initializer("init_bytes_overflow",
                            tensor("w", [2**30, 2**30, 4], raw=b"\0" * 4))
    identity_of_initializer("init_huge_empty",
                            tensor("w", [65536, 65536, 1024], floats=[1.0]))
    identity_of_initializer("init_huge_raw",
                            tensor("w", [INT32_MAX, 8], raw=b"\0" * 8))

    # A Constant node whose value declares a huge shape.
    y = helper.make_tensor_value_info("y", F, None)
    save("constant_huge", [helper.make_node(
        "Constant", [], ["y"], name="c",
        value=tensor("v", [INT32_MAX, INT32_MAX], floats=[0.5]))], [], [y])

    # Graph inputs: a dimension above INT32_MAX, a negative dimension other
    # than "unknown", and dimensions whose product overflows int64.
    for name, dims in (("input_dim_over_int32", [4, INT32_MAX + 1]),
                       ("input_dim_negative", [4, -3]),
                       ("input_count_overflow",
                        [INT32_MAX, INT32_MAX, INT32_MAX])):
        x = helper.make_tensor_value_info("x", F, dims)
        y = helper.make_tensor_value_info("y", F, None)
        save(name, [helper.make_node("Relu", ["x"], ["y"], name="relu")], [x],
             [y])

    # ConstantOfShape / Expand / Reshape to a shape whose product overflows
    # or is far too large to fold on the host.
    shape = tensor("shape", [3], I64, int64s=[INT32_MAX, INT32_MAX, 16])
    y = helper.make_tensor_value_info("y", F, None)
    save("constant_of_shape_huge", [helper.make_node(
        "ConstantOfShape", ["shape"], ["y"], name="cos",
        value=tensor("v", [1], floats=[1.0]))], [], [y], [shape])
    x = helper.make_tensor_value_info("x", F, [1])
    save("expand_huge", [helper.make_node("Expand", ["x", "shape"], ["y"],
                                          name="expand")], [x], [y], [shape])
    big = tensor("shape", [2], I64, int64s=[INT32_MAX + 1, 1])
    save("reshape_dim_over_int32", [helper.make_node(
        "Reshape", ["x", "shape"], ["y"], name="reshape")], [x], [y], [big])

    # External data whose offset + length overflows int64.
    w = tensor("w", [2])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "limits.bin"), ("offset", str(INT64_MAX)),
                       ("length", "8")):
        e = w.external_data.add()
        e.key, e.value = key, value
    identity_of_initializer("external_offset_overflow", w)
    with open(os.path.join(HERE, "limits.bin"), "wb") as f:
        f.write(b"\0" * 8)


if __name__ == "__main__":
    main()
