#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Generates the tiny ONNX fixtures of test/Import/ONNX (onnx 1.12 helper).

Run from anywhere: /usr/bin/python3 gen_fixtures.py  (writes next to itself).
`gen_fixtures.py --w8a8-large DIR` writes, into DIR, the one fixture too big
to commit (a 64 MiB W8A8 layer), for the test that generates it at run time.
The BitLinear graphs mirror the exporter of ../shared/models (see its
README.md: export modes float / int8 / qint / fake, activation schemes).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
# Where save() and the data sets write: HERE, or --w8a8-large's DIR.
OUT = HERE
F, I8, I64 = TensorProto.FLOAT, TensorProto.INT8, TensorProto.INT64


def save(graph, name, opset=17):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="gen_fixtures")
    path = os.path.join(OUT, name)
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


def node_model(name, nodes, inputs, outputs, inits=(), opset=17):
    """One small graph; inputs/outputs are (name, elem type, shape)."""
    ins = [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs]
    outs = [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs]
    save(helper.make_graph(nodes, name, ins, outs, list(inits)), name + ".onnx",
         opset=opset)


def index_ops():
    """Data-dependent indices: clamped in the generated code."""
    node_model("gather_clamp", [
        helper.make_node("Gather", ["table", "ids"], ["y"], name="gather", axis=0)],
        [("ids", I64, ["batch", "seq"])], [("y", F, None)],
        [numpy_helper.from_array(np.arange(32, dtype=np.float32).reshape(8, 4),
                                 "table")])
    node_model("gather_elements", [
        helper.make_node("GatherElements", ["x", "idx"], ["y"], name="ge", axis=1)],
        [("x", F, [3, 4]), ("idx", I64, [3, 2])], [("y", F, None)])
    node_model("scatter_elements", [
        helper.make_node("ScatterElements", ["x", "idx", "upd"], ["y"],
                         name="scatter", axis=-1, reduction="add")],
        [("x", F, ["n", 5]), ("idx", I64, ["n", 2]), ("upd", F, ["n", 2])],
        [("y", F, None)])
    node_model("topk_dyn", [
        helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk", axis=-1,
                         largest=0)],
        [("x", F, [2, 6]), ("k", I64, [1])], [("v", F, None), ("i", I64, None)])
    node_model("slice_dyn", [
        helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["a"],
                         name="slice_rt"),
        const("s2", np.array([-1], np.int64)),
        const("e2", np.array([-100], np.int64)),
        const("a2", np.array([0], np.int64)),
        const("p2", np.array([-2], np.int64)),
        helper.make_node("Slice", ["x", "s2", "e2", "a2", "p2"], ["b"],
                         name="slice_neg")],
        [("x", F, ["n", 6]), ("starts", I64, [1]), ("ends", I64, [1])],
        [("a", F, None), ("b", F, None)],
        [numpy_helper.from_array(np.array([1], np.int64), "axes")])
    node_model("range_float", [
        helper.make_node("Range", ["start", "limit", "delta"], ["y"], name="range")],
        [("start", F, []), ("limit", F, []), ("delta", F, [])], [("y", F, None)])


def dynamic_shapes():
    """Sizes the importer cannot prove equal: broadcast at run time with
    clamped reads, checked reshapes, sliced matmul / concat operands."""
    node_model("bcast_dyn", [helper.make_node("Add", ["a", "b"], ["y"], name="add")],
               [("a", F, ["n", 4]), ("b", F, ["m", 4])], [("y", F, None)])
    node_model("bcast_same", [helper.make_node("Mul", ["a", "b"], ["y"], name="mul")],
               [("a", F, ["n", 4]), ("b", F, ["n", 4])], [("y", F, None)])
    node_model("matmul_dyn", [helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
               [("a", F, [2, "k"]), ("b", F, [3, 5])], [("y", F, None)])
    node_model("reshape_dyn", [helper.make_node("Reshape", ["x", "shape"], ["y"],
                                                name="reshape")],
               [("x", F, [2, 3, 4]), ("shape", I64, [2])], [("y", F, None)])
    node_model("expand_dyn", [helper.make_node("Expand", ["x", "shape"], ["y"],
                                               name="expand")],
               [("x", F, [3, 1]), ("shape", I64, [3])], [("y", F, None)])
    node_model("concat_dyn", [helper.make_node("Concat", ["a", "b"], ["y"],
                                               name="concat", axis=1)],
               [("a", F, ["n", 2]), ("b", F, ["m", 3])], [("y", F, None)])
    node_model("squeeze_dyn_axes", [helper.make_node("Squeeze", ["x", "axes"], ["y"],
                                                     name="squeeze")],
               [("x", F, [1, 3]), ("axes", I64, [1])], [("y", F, None)])


def nn_ops():
    rng = np.random.default_rng(5)
    node_model("gemm", [
        helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="gemm", transA=1,
                         transB=1, alpha=0.5, beta=2.0)],
        [("a", F, [3, 2])], [("y", F, None)],
        [numpy_helper.from_array(rng.normal(size=(4, 3)).astype(np.float32), "b"),
         numpy_helper.from_array(np.arange(4, dtype=np.float32), "c")])
    node_model("layernorm", [
        helper.make_node("LayerNormalization", ["x", "scale", "bias"],
                         ["y", "mean", "inv"], name="ln", axis=-1, epsilon=1e-3)],
        [("x", F, ["n", 4])], [("y", F, None), ("mean", F, None), ("inv", F, None)],
        [numpy_helper.from_array(np.ones(4, np.float32) * 2, "scale"),
         numpy_helper.from_array(np.ones(4, np.float32), "bias")])
    node_model("trilu", [
        helper.make_node("Trilu", ["x", "k"], ["y"], name="trilu", upper=0)],
        [("x", F, [3, 4]), ("k", I64, [])], [("y", F, None)])
    node_model("constant_of_shape", [
        helper.make_node("Shape", ["x"], ["shp"], name="shape"),
        helper.make_node("ConstantOfShape", ["shp"], ["y"], name="cos",
                         value=numpy_helper.from_array(np.array([7], np.int32)))],
        [("x", F, ["n", 3])], [("y", TensorProto.INT32, None)])
    node_model("softmax_v11", [
        helper.make_node("Softmax", ["x"], ["y"], name="softmax")],
        [("x", F, [2, 3, 4])], [("y", F, None)], opset=11)


def dtypes():
    U8 = TensorProto.UINT8
    node_model("cast_uint", [
        helper.make_node("Cast", ["x"], ["f"], name="to_float", to=F),
        helper.make_node("Cast", ["f"], ["u"], name="to_uint", to=U8),
        helper.make_node("Max", ["u", "x"], ["y"], name="max")],
        [("x", U8, [4])], [("f", F, None), ("y", U8, None)])
    node_model("mod_int", [
        helper.make_node("Mod", ["a", "b"], ["y"], name="mod")],
        [("a", TensorProto.INT32, [4]), ("b", TensorProto.INT32, [4])],
        [("y", TensorProto.INT32, None)])
    node_model("clip_dyn", [
        helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clip")],
        [("x", TensorProto.INT64, [4]), ("lo", TensorProto.INT64, []),
         ("hi", TensorProto.INT64, [])], [("y", TensorProto.INT64, None)])
    node_model("float16_input", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
               [("x", TensorProto.FLOAT16, [4])], [("y", TensorProto.FLOAT16, None)])


def sylvester(n):
    h = np.array([[1.0]])
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


def hadamard_forms():
    """Hadamard on a [..., K/B, B] view: MatMul(H_B) or butterflies, then
    Reshape back to [..., K] (the v2 and patterns/ forms), with B = 4."""
    b = 4
    hb = (sylvester(b) / np.sqrt(b)).astype(np.float32)

    def view_nodes(x, out, last):
        # Reshape x [batch, 8] to [batch, ..., last] with a runtime batch.
        return [
            helper.make_node("Shape", [x], [out + "_shp"], name=out + "/Shape"),
            const(out + "_i0", np.array(0, np.int64)),
            helper.make_node("Gather", [out + "_shp", out + "_i0"], [out + "_b"],
                             name=out + "/Gather", axis=0),
            const(out + "_ax", np.array([0], np.int64)),
            helper.make_node("Unsqueeze", [out + "_b", out + "_ax"], [out + "_bu"],
                             name=out + "/Unsqueeze"),
            const(out + "_tail", np.array(last, np.int64)),
            helper.make_node("Concat", [out + "_bu", out + "_tail"], [out + "_t"],
                             name=out + "/Concat", axis=0),
            helper.make_node("Reshape", [x, out + "_t"], [out], name=out + "/Reshape"),
        ]

    def with_pre(name, pre_nodes, xin, inits, xshape=("batch", 8)):
        nodes = list(pre_nodes)
        q, s = act_quant(xin, "int8", nodes)
        rng = np.random.default_rng(7)
        wt = rng.integers(-1, 2, size=(8, 4)).astype(np.int8)
        inits = list(inits) + [numpy_helper.from_array(wt, "w_i8"),
                               numpy_helper.from_array(np.array([0.25], np.float32), "g")]
        nodes += [helper.make_node("Div", [q, s], ["xq"], name="bl/Dequant"),
                  helper.make_node("Cast", ["w_i8"], ["w_f"], name="bl/CastW", to=F),
                  helper.make_node("Mul", ["w_f", "g"], ["w_eff"], name="bl/MulG"),
                  helper.make_node("MatMul", ["xq", "w_eff"], ["y"], name="bl/MatMul")]
        x = helper.make_tensor_value_info("x", F, list(xshape))
        y = helper.make_tensor_value_info("y", F, None)
        save(helper.make_graph(nodes, name, [x], [y], inits), name + ".onnx")

    # Block MatMul form.
    pre = view_nodes("x", "xv", [2, b])
    pre.append(helper.make_node("MatMul", ["xv", "hb"], ["xh"], name="h/MatMul"))
    pre += [
        helper.make_node("Shape", ["x"], ["x_shp"], name="back/Shape"),
        const("back_i0", np.array(0, np.int64)),
        helper.make_node("Gather", ["x_shp", "back_i0"], ["x_b"], name="back/Gather",
                         axis=0),
        const("back_ax", np.array([0], np.int64)),
        helper.make_node("Unsqueeze", ["x_b", "back_ax"], ["x_bu"],
                         name="back/Unsqueeze"),
        const("back_k", np.array([8], np.int64)),
        helper.make_node("Concat", ["x_bu", "back_k"], ["back_t"], name="back/Concat",
                         axis=0),
        helper.make_node("Reshape", ["xh", "back_t"], ["xr"], name="back/Reshape"),
    ]
    with_pre("bl_hadamard_block", pre, "xr", [numpy_helper.from_array(hb, "hb")])
    # Same, but one entry of H is one ulp off: not a Hadamard transform.
    hbad = hb.copy()
    hbad[1, 1] = np.nextafter(hbad[1, 1], np.float32(0))
    with_pre("bl_hadamard_ulp", pre, "xr", [numpy_helper.from_array(hbad, "hb")])
    # Butterfly form on static shapes: [2, 8] -> [2, 2, 4] -> stages -> [2, 8].
    nodes = [const("v_t", np.array([2, 2, b], np.int64)),
             helper.make_node("Reshape", ["x", "v_t"], ["v0"], name="bf/Reshape")]
    cur, h, k = "v0", 1, 0
    while h < b:
        nodes += [
            const(f"s{k}_t", np.array([2, 2, b // (2 * h), 2, h], np.int64)),
            helper.make_node("Reshape", [cur, f"s{k}_t"], [f"s{k}_y"],
                             name=f"bf{k}/Split"),
            const(f"s{k}_0", np.array([0], np.int64)),
            const(f"s{k}_1", np.array([1], np.int64)),
            const(f"s{k}_2", np.array([2], np.int64)),
            const(f"s{k}_ax", np.array([-2], np.int64)),
            helper.make_node("Slice", [f"s{k}_y", f"s{k}_0", f"s{k}_1", f"s{k}_ax"],
                             [f"s{k}_a"], name=f"bf{k}/SliceA"),
            helper.make_node("Slice", [f"s{k}_y", f"s{k}_1", f"s{k}_2", f"s{k}_ax"],
                             [f"s{k}_b"], name=f"bf{k}/SliceB"),
            helper.make_node("Add", [f"s{k}_a", f"s{k}_b"], [f"s{k}_add"],
                             name=f"bf{k}/Add"),
            helper.make_node("Sub", [f"s{k}_a", f"s{k}_b"], [f"s{k}_sub"],
                             name=f"bf{k}/Sub"),
            helper.make_node("Concat", [f"s{k}_add", f"s{k}_sub"], [f"s{k}_cat"],
                             name=f"bf{k}/Concat", axis=-2),
            const(f"s{k}_bt", np.array([2, 2, b], np.int64)),
            helper.make_node("Reshape", [f"s{k}_cat", f"s{k}_bt"], [f"s{k}_out"],
                             name=f"bf{k}/Back"),
        ]
        cur, h, k = f"s{k}_out", h * 2, k + 1
    nodes += [const("bf_c", np.array(1.0 / np.sqrt(b), np.float32)),
              helper.make_node("Mul", [cur, "bf_c"], ["bf_m"], name="bf/Mul"),
              const("bf_out_t", np.array([2, 8], np.int64)),
              helper.make_node("Reshape", ["bf_m", "bf_out_t"], ["xr"],
                               name="bf/Out")]
    with_pre("bl_hadamard_bfly", nodes, "xr", [], xshape=(2, 8))


def topk_dynamic_mask():
    """a4.8 top-K as exported by the tinylm graphs: zeros from
    ConstantOfShape(Shape(x)), ones from Expand(1, Shape(indices))."""
    k = 8
    nodes = [
        helper.make_node("Abs", ["x"], ["t_abs"], name="t/Abs"),
        const("t_k", np.array([k // 2], np.int64)),
        helper.make_node("TopK", ["t_abs", "t_k"], ["t_v", "t_i"], name="t/TopK",
                         axis=-1),
        helper.make_node("Shape", ["x"], ["t_shp"], name="t/Shape"),
        helper.make_node("ConstantOfShape", ["t_shp"], ["t_zeros"], name="t/Zeros",
                         value=numpy_helper.from_array(np.array([0], np.float32))),
        helper.make_node("Shape", ["t_i"], ["t_ishp"], name="t/ShapeI"),
        const("t_one64", np.array(1.0, np.float64)),
        helper.make_node("Cast", ["t_one64"], ["t_one"], name="t/Cast", to=F),
        helper.make_node("Expand", ["t_one", "t_ishp"], ["t_ones"], name="t/Expand"),
        helper.make_node("ScatterElements", ["t_zeros", "t_i", "t_ones"], ["t_mask"],
                         name="t/Scatter", axis=-1),
        helper.make_node("Mul", ["x", "t_mask"], ["x_sparse"], name="t/Mul"),
    ]
    q, s = act_quant("x_sparse", "int8", nodes)
    rng = np.random.default_rng(7)
    wt = rng.integers(-1, 2, size=(k, 4)).astype(np.int8)
    inits = [numpy_helper.from_array((wt * 0.25).astype(np.float32), "w")]
    nodes += [helper.make_node("Div", [q, s], ["xq"], name="bl/Dequant"),
              helper.make_node("MatMul", ["xq", "w"], ["y"], name="bl/MatMul")]
    x = helper.make_tensor_value_info("x", F, ["batch", "seq", k])
    y = helper.make_tensor_value_info("y", F, None)
    save(helper.make_graph(nodes, "bl_topk_dyn", [x], [y], inits), "bl_topk_dyn.onnx")


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


def int8_weight_matmul():
    """A non-ternary int8 weight with per-column scales (an int8 LM head):
    MatMul(x, Mul(Cast(w_int8), g)), and a data set computed in float64."""
    rng = np.random.default_rng(11)
    w = rng.integers(-127, 128, size=(64, 80)).astype(np.int8)
    g = (rng.random((1, 80)) * 0.01 + 0.001).astype(np.float32)
    nodes = [
        helper.make_node("Cast", ["w"], ["wf"], name="cast_w", to=F),
        helper.make_node("Mul", ["wf", "g"], ["wd"], name="dequant_w"),
        helper.make_node("MatMul", ["x", "wd"], ["y"], name="head"),
    ]
    node_model("int8_weight_matmul", nodes, [("x", F, ["batch", 64])],
               [("y", F, ["batch", 80])],
               inits=[numpy_helper.from_array(w, "w"),
                      numpy_helper.from_array(g, "g")])
    data = os.path.join(HERE, "int8_weight_matmul")
    os.makedirs(data, exist_ok=True)
    x = rng.standard_normal((3, 64)).astype(np.float32)
    wd = (w.astype(np.float32) * g).astype(np.float64)
    np.save(os.path.join(data, "input_0.npy"), x)
    np.save(os.path.join(data, "output_0.npy"),
            (x.astype(np.float64) @ wd).astype(np.float32))


def w8a8_bitlinear(k=100, n=37, name="bl_w8a8", modes=("int8", "qint")):
    """BitLinear-shaped layers with 8-bit (not ternary) weights, a W8A8 LM
    head: the int8 and qint export forms, by default K = 100 and N = 37
    (ragged for the 64-column units and 4-row tiles of the int8 kernels),
    per-channel g, and a data set computed with the numeric contract
    (DESIGN.md §3) in numpy: the int8 absmax quantizer, exact integer
    products, (f32(acc) / s) * g."""
    rng = np.random.default_rng(13)
    wt = rng.integers(-128, 128, size=(k, n)).astype(np.int8)
    wt[0, :] = -128
    wt[1, :] = 127
    g = (rng.random((1, n)) * 0.01 + 0.001).astype(np.float32)
    for mode in modes:
        bitlinear(mode, "int8", f"{name}_{mode}", wt=wt,
                  g=g if mode == "int8" else g.reshape(n), k=k, n=n)
    data = os.path.join(OUT, name)
    os.makedirs(data, exist_ok=True)
    x = rng.standard_normal((3, k)).astype(np.float32)
    x[1] *= 100.0
    absmax = np.maximum(np.abs(x).max(axis=-1, keepdims=True), np.float32(1e-5))
    s = (np.float32(127.0) / absmax).astype(np.float32)
    q = np.clip(np.round((x * s).astype(np.float32)), -128, 127).astype(np.int64)
    # Exact in int64; in blocks of weight rows to bound the temporaries.
    acc = np.zeros((3, n), np.int64)
    for r in range(0, k, 1024):
        acc += q[:, r:r + 1024] @ wt[r:r + 1024].astype(np.int64)
    y = (acc.astype(np.float32) / s).astype(np.float32) * g.reshape(1, n)
    np.save(os.path.join(data, "input_0.npy"), x)
    np.save(os.path.join(data, "output_0.npy"), y.astype(np.float32))


def matmul_nbits():
    """com.microsoft.MatMulNBits, bits=2: codes {1, 2, 3} around the default
    zero point 2 (ternary), and explicit packed uint8 zero points; K ragged
    against the block size. Data sets computed in float64. Plus bits=4
    (rejected with a diagnostic)."""
    rng = np.random.default_rng(12)
    k, n, bs = 300, 24, 64
    blocks = (k + bs - 1) // bs
    for name, with_zp, bits in (("matmul_nbits2", False, 2),
                                ("matmul_nbits2_zp", True, 2),
                                ("matmul_nbits4", False, 4)):
        q = rng.integers(1 if not with_zp else 0, 4, size=(n, blocks * bs))
        q[:, k:] = 0
        packed = np.zeros((n, blocks, bs * 2 // 8), np.uint8)
        for j in range(bs):
            packed[:, :, j // 4] |= (q.reshape(n, blocks, bs)[:, :, j] << (2 * (j % 4))).astype(np.uint8)
        scales = (rng.random((n, blocks)) * 0.1 + 0.01).astype(np.float32)
        zps = rng.integers(0, 4, size=(n, blocks)) if with_zp else np.full((n, blocks), 2)
        zp_packed = np.zeros((n, (blocks * 2 + 7) // 8), np.uint8)
        for b_ in range(blocks):
            zp_packed[:, b_ // 4] |= (zps[:, b_] << (2 * (b_ % 4))).astype(np.uint8)
        inputs = ["a", "b", "scales"] + (["zp"] if with_zp else [])
        node = helper.make_node("MatMulNBits", inputs, ["y"], name="nbits",
                                domain="com.microsoft", K=k, N=n, bits=bits,
                                block_size=bs)
        inits = [numpy_helper.from_array(packed, "b"),
                 numpy_helper.from_array(scales.reshape(-1), "scales")]
        if with_zp:
            inits.append(numpy_helper.from_array(zp_packed.reshape(-1), "zp"))
        graph = helper.make_graph(
            [node], name,
            [helper.make_tensor_value_info("a", F, ["batch", k])],
            [helper.make_tensor_value_info("y", F, ["batch", n])], inits)
        model = helper.make_model(
            graph, producer_name="gen_fixtures",
            opset_imports=[helper.make_opsetid("", 17),
                           helper.make_opsetid("com.microsoft", 1)])
        onnx.save(model, os.path.join(HERE, name + ".onnx"))
        if bits != 2:
            continue
        w = np.zeros((n, k))
        for j in range(k):
            w[:, j] = (q[:, j] - zps[:, j // bs]) * scales[:, j // bs].astype(np.float64)
        a = rng.standard_normal((3, k)).astype(np.float32)
        data = os.path.join(HERE, name)
        os.makedirs(data, exist_ok=True)
        np.save(os.path.join(data, "input_0.npy"), a)
        np.save(os.path.join(data, "output_0.npy"),
                (a.astype(np.float64) @ w.T).astype(np.float32))


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
    index_ops()
    dynamic_shapes()
    nn_ops()
    dtypes()
    hadamard_forms()
    topk_dynamic_mask()
    int8_weight_matmul()
    w8a8_bitlinear()
    matmul_nbits()


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--w8a8-large":
        # 8192 x 8193 int8 weights: past 2^26 elements, the limit of
        # constant folding, which the int8 packing must not inherit.
        OUT = sys.argv[2]
        w8a8_bitlinear(k=8192, n=8193, name="bl_w8a8_large", modes=("int8",))
    else:
        main()
