#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Generates the tiny ONNX fixtures of test/Import/ONNX (onnx 1.12 helper).

Run from anywhere: /usr/bin/python3 gen_fixtures.py  (writes next to itself).
The BitLinear graphs mirror the exporter of ../shared/models (see its
README.md: export modes float / int8 / qint / fake, activation schemes).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F, I8, I64 = TensorProto.FLOAT, TensorProto.INT8, TensorProto.INT64


def save(graph, name, opset=17):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="gen_fixtures")
    path = os.path.join(HERE, name)
    onnx.save(model, path)
    return path


def const(name, value, dtype=None):
    arr = np.array(value, dtype=dtype)
    return helper.make_node("Constant", [], [name], name=name,
                            value=numpy_helper.from_array(arr, name))


def elementwise():
    x = helper.make_tensor_value_info("x", F, ["batch", 4])
    y = helper.make_tensor_value_info("y", F, ["batch", 4])
    nodes = [
        const("c", np.array([1.0, 2.0, 3.0, 4.0], np.float32)),
        helper.make_node("Add", ["x", "c"], ["a"], name="add"),
        helper.make_node("Sub", ["a", "x"], ["s"], name="sub"),
        helper.make_node("Mul", ["s", "x"], ["m"], name="mul"),
        helper.make_node("Div", ["m", "c"], ["d"], name="div"),
        helper.make_node("Abs", ["d"], ["ab"], name="abs"),
        helper.make_node("Round", ["ab"], ["r"], name="round"),
        helper.make_node("Relu", ["r"], ["re"], name="relu"),
        const("lo", np.array(-1.0, np.float32)),
        const("hi", np.array(5.0, np.float32)),
        helper.make_node("Clip", ["re", "lo", "hi"], ["cl"], name="clip"),
        helper.make_node("Sqrt", ["cl"], ["sq"], name="sqrt"),
        helper.make_node("Neg", ["sq"], ["y"], name="neg"),
    ]
    save(helper.make_graph(nodes, "elementwise", [x], [y]), "elementwise.onnx")


def reduce_softmax():
    x = helper.make_tensor_value_info("x", F, [2, "seq", 8])
    outs = [helper.make_tensor_value_info(n, F, None) for n in ("mean", "max", "sm")]
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["mean"], name="rmean", axes=[-1],
                         keepdims=1),
        helper.make_node("ReduceMax", ["x"], ["max"], name="rmax", axes=[1],
                         keepdims=0),
        helper.make_node("Softmax", ["x"], ["sm"], name="softmax", axis=-1),
    ]
    save(helper.make_graph(nodes, "reduce", [x], outs), "reduce.onnx")


def shape_fold():
    # Shape -> Gather -> Unsqueeze -> Concat -> Reshape on a static input is
    # folded at import time; Transpose and MatMul remain.
    x = helper.make_tensor_value_info("x", F, [2, 3, 4])
    y = helper.make_tensor_value_info("y", F, None)
    w = numpy_helper.from_array(np.arange(24, dtype=np.float32).reshape(12, 2) / 8, "w")
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"], name="shape"),
        const("i0", np.array(0, np.int64)),
        helper.make_node("Gather", ["shp", "i0"], ["b"], name="gather", axis=0),
        const("ax", np.array([0], np.int64)),
        helper.make_node("Unsqueeze", ["b", "ax"], ["bu"], name="unsqueeze"),
        const("m1", np.array([-1], np.int64)),
        helper.make_node("Concat", ["bu", "m1"], ["ns"], name="concat", axis=0),
        helper.make_node("Reshape", ["x", "ns"], ["r"], name="reshape"),
        helper.make_node("MatMul", ["r", "w"], ["mm"], name="matmul"),
        helper.make_node("Transpose", ["mm"], ["y"], name="transpose", perm=[1, 0]),
    ]
    save(helper.make_graph(nodes, "shape_fold", [x], [y], [w]), "shape_fold.onnx")


def dyn_reshape():
    """Reshape / Expand whose target shape mixes runtime dims (Shape ->
    Gather -> Unsqueeze -> Concat) with constant entries, and a Div entry."""
    x = helper.make_tensor_value_info("x", F, ["batch", "seq", 8])
    y = helper.make_tensor_value_info("y", F, ["batch", "seq", 2, 4])
    nodes = [
        helper.make_node("Shape", ["x"], ["sh"], name="shape"),
        const("i0", np.array(0, np.int64)),
        const("i1", np.array(1, np.int64)),
        const("i2", np.array(2, np.int64)),
        const("ax", np.array([0], np.int64)),
        const("four", np.array([4], np.int64)),
        helper.make_node("Gather", ["sh", "i0"], ["b"], name="gather_b", axis=0),
        helper.make_node("Gather", ["sh", "i1"], ["s"], name="gather_s", axis=0),
        helper.make_node("Gather", ["sh", "i2"], ["h"], name="gather_h", axis=0),
        helper.make_node("Div", ["h", "four"], ["hd"], name="div"),
        helper.make_node("Unsqueeze", ["b", "ax"], ["bu"], name="unsq_b"),
        helper.make_node("Unsqueeze", ["s", "ax"], ["su"], name="unsq_s"),
        helper.make_node("Concat", ["bu", "su", "hd", "four"], ["tgt"],
                         name="concat", axis=0),
        helper.make_node("Reshape", ["x", "tgt"], ["r"], name="reshape"),
        const("c", np.arange(8, dtype=np.float32).reshape(2, 4)),
        helper.make_node("Expand", ["c", "tgt"], ["e"], name="expand"),
        helper.make_node("Add", ["r", "e"], ["y"], name="add"),
    ]
    save(helper.make_graph(nodes, "dyn_reshape", [x], [y]), "dyn_reshape.onnx")


def unsupported():
    x = helper.make_tensor_value_info("x", F, [2, 4])
    y = helper.make_tensor_value_info("y", F, None)
    nodes = [
        helper.make_node("Det", ["x"], ["a"], name="first_bad"),
        helper.make_node("Relu", ["a"], ["b"], name="fine"),
        helper.make_node("Hardmax", ["b"], ["y"], name="second_bad"),
    ]
    save(helper.make_graph(nodes, "unsupported", [x], [y]), "unsupported.onnx")


SCHEMES = {  # name: (reduce op, numerator, lo, hi)
    "int8": ("ReduceMax", 127.0, -128.0, 127.0),
    "int4max": ("ReduceMax", 7.0, -8.0, 7.0),
    "int4mean": ("ReduceMean", 2.6457513, -8.0, 7.0),
}


def act_quant(x, scheme, nodes):
    red, c, lo, hi = SCHEMES[scheme]
    nodes += [
        helper.make_node("Abs", [x], ["q_abs"], name="q/Abs"),
        helper.make_node(red, ["q_abs"], ["q_red"], name="q/Reduce", axes=[-1],
                         keepdims=1),
        const("q_eps64", np.array(1e-5, np.float64)),
        helper.make_node("Cast", ["q_eps64"], ["q_eps"], name="q/CastEps", to=F),
        helper.make_node("Clip", ["q_red", "q_eps", ""], ["q_clip"], name="q/ClipEps"),
        const("q_c", np.array(c, np.float32)),
        helper.make_node("Div", ["q_c", "q_clip"], ["s"], name="q/Scale"),
        helper.make_node("Mul", [x, "s"], ["q_mul"], name="q/Mul"),
        helper.make_node("Round", ["q_mul"], ["q_round"], name="q/Round"),
        const("q_lo64", np.array(lo, np.float64)),
        const("q_hi64", np.array(hi, np.float64)),
        helper.make_node("Cast", ["q_lo64"], ["q_lo"], name="q/CastLo", to=F),
        helper.make_node("Cast", ["q_hi64"], ["q_hi"], name="q/CastHi", to=F),
        helper.make_node("Clip", ["q_round", "q_lo", "q_hi"], ["q"], name="q/Clip"),
    ]
    return "q", "s"


def bitlinear(mode, scheme, name, wt=None, g=None, pre=None, k=8, n=4):
    rng = np.random.default_rng(7)
    if wt is None:
        wt = rng.integers(-1, 2, size=(k, n)).astype(np.int8)  # [in, out]
    if g is None:
        g = np.array([0.25], np.float32)
    x = helper.make_tensor_value_info("x", F, ["batch", k])
    y = helper.make_tensor_value_info("y", F, None)
    nodes, inits = [], []
    xin = "x"
    if pre == "topk":
        nodes += [
            helper.make_node("Abs", ["x"], ["t_abs"], name="t/Abs"),
            const("t_k", np.array([k // 2], np.int64)),
            helper.make_node("TopK", ["t_abs", "t_k"], ["t_v", "t_i"], name="t/TopK",
                             axis=-1),
            const("t_zeros", np.zeros((2, k), np.float32)),
            const("t_ones", np.ones((2, k // 2), np.float32)),
            helper.make_node("ScatterElements", ["t_zeros", "t_i", "t_ones"],
                             ["t_mask"], name="t/Scatter", axis=-1),
            helper.make_node("Mul", ["x", "t_mask"], ["x_sparse"], name="t/Mul"),
        ]
        x = helper.make_tensor_value_info("x", F, [2, k])
        xin = "x_sparse"
    elif pre == "hadamard":
        h = np.array([[1.0]])
        while h.shape[0] < 4:
            h = np.block([[h, h], [h, -h]])
        hb = np.kron(np.eye(k // 4), h / 2.0).astype(np.float32)
        inits.append(numpy_helper.from_array(hb, "hmat"))
        nodes.append(helper.make_node("MatMul", ["x", "hmat"], ["x_had"], name="h/MatMul"))
        xin = "x_had"
    q, s = act_quant(xin, scheme, nodes)
    if mode in ("float", "int8", "fake"):
        nodes.append(helper.make_node("Div", [q, s], ["xq"], name="bl/Dequant"))
        if mode == "float":
            inits.append(numpy_helper.from_array((wt * g).astype(np.float32), "w"))
            wname = "w"
        elif mode == "int8":
            inits += [numpy_helper.from_array(wt, "w_i8"), numpy_helper.from_array(g, "g")]
            nodes += [helper.make_node("Cast", ["w_i8"], ["w_f"], name="bl/CastW", to=F),
                      helper.make_node("Mul", ["w_f", "g"], ["w_eff"], name="bl/MulG")]
            wname = "w_eff"
        else:
            latent = (wt * 0.3 + rng.normal(0, 0.02, wt.shape)).astype(np.float32)
            inits.append(numpy_helper.from_array(latent, "w_fake"))
            nodes += [
                helper.make_node("Abs", ["w_fake"], ["f_abs"], name="f/Abs"),
                helper.make_node("ReduceMean", ["f_abs"], ["f_mean"], name="f/Mean",
                                 keepdims=0),
                helper.make_node("Clip", ["f_mean", "q_eps", ""], ["f_g"], name="f/Clip"),
                helper.make_node("Div", ["w_fake", "f_g"], ["f_div"], name="f/Div"),
                helper.make_node("Round", ["f_div"], ["f_round"], name="f/Round"),
                const("f_m1", np.array(-1.0, np.float32)),
                const("f_p1", np.array(1.0, np.float32)),
                helper.make_node("Clip", ["f_round", "f_m1", "f_p1"], ["f_t"],
                                 name="f/ClipT"),
                helper.make_node("Mul", ["f_t", "f_g"], ["w_eff"], name="f/MulG"),
            ]
            wname = "w_eff"
        nodes.append(helper.make_node("MatMul", ["xq", wname], ["y"], name="bl/MatMul"))
    else:  # qint
        inits += [numpy_helper.from_array(wt, "w_i8"), numpy_helper.from_array(g, "g")]
        nodes += [
            helper.make_node("Cast", [q], ["q8"], name="bl/CastQ", to=I8),
            helper.make_node("MatMulInteger", ["q8", "w_i8"], ["acc"], name="bl/MMI"),
            helper.make_node("Cast", ["acc"], ["accf"], name="bl/CastAcc", to=F),
            helper.make_node("Div", ["g", s], ["gs"], name="bl/GS"),
            helper.make_node("Mul", ["accf", "gs"], ["y"], name="bl/Out"),
        ]
    save(helper.make_graph(nodes, name, [x], [y], inits), name + ".onnx")


def bad_files():
    good = open(os.path.join(HERE, "elementwise.onnx"), "rb").read()
    open(os.path.join(HERE, "truncated.onnx"), "wb").write(good[: len(good) // 2])
    open(os.path.join(HERE, "empty.onnx"), "wb").write(b"")
    open(os.path.join(HERE, "garbage.onnx"), "wb").write(
        bytes((i * 37 + 11) % 256 for i in range(200)))
    # An initializer whose external data file does not exist.
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "missing_weights.bin"), ("offset", "0"),
                       ("length", "64")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    x = helper.make_tensor_value_info("x", F, [2, 4])
    y = helper.make_tensor_value_info("y", F, None)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                          "external", [x], [y], [w])
    save(g, "external_missing.onnx")


def main():
    elementwise()
    reduce_softmax()
    shape_fold()
    dyn_reshape()
    unsupported()
    for mode in ("float", "int8", "qint", "fake"):
        for scheme in SCHEMES:
            bitlinear(mode, scheme, f"bl_{mode}_{scheme}")
    wt = np.random.default_rng(3).integers(-1, 2, size=(8, 4)).astype(np.int8)
    g_row = np.array([[0.5, 0.25, 0.125, 1.0]], np.float32)
    bitlinear("float", "int8", "bl_float_perchannel", wt=wt, g=g_row)
    bitlinear("int8", "int8", "bl_int8_perchannel", wt=wt, g=g_row)
    # Not ternary: one weight is one ulp above g.
    w_bad = (wt * np.float32(0.25)).astype(np.float32)
    w_bad[0, 0] = np.nextafter(np.float32(0.25), np.float32(1.0))
    bitlinear("float", "int8", "bl_neg_ulp", wt=w_bad, g=np.array([1.0], np.float32))
    bitlinear("int8", "int8", "bl_topk", pre="topk")
    bitlinear("float", "int4max", "bl_hadamard", pre="hadamard")
    bad_files()


if __name__ == "__main__":
    main()
