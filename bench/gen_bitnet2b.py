#!/usr/bin/python3
"""Synthetic BitNet b1.58 2B-shaped decoder in ONNX (decode graph with KV cache).

usage: gen_bitnet2b.py --out DIR [--layers 30] [--vocab 128256] [--hidden 2560]
                       [--heads 20] [--kv-heads 5] [--head-dim 128] [--ffn 6912]
                       [--head float32|int8pc|int8a8] [--seed 0] [--name model.onnx]

Writes DIR/<name> and its external data DIR/<name>.data (one file for all
tensors of >= 1024 bytes, as onnx.save_model(..., save_as_external_data=True,
all_tensors_to_one_file=True, size_threshold=1024) lays it out). The tensors are
streamed straight into the data file, so a 5 GB model is written with well under
1 GB of Python memory; the result is the same format that onnx.save_model
produces (TensorProto.data_location = EXTERNAL, external_data location /
offset / length).

The graph is the node-for-node analogue of ../shared/models/tinylm
b158_run3_decode_int8.onnx (torch 1.13 trace of tinylm.py/export_tinylm.py with
the int8 export mode of bitq.py), only with other sizes:

  per layer   RMSNorm -> int8 absmax quantizer (shared by q, k, v) -> 3 BitLinears,
              RoPE (rotate-half, theta 10000) on q and k,
              present_key = Concat(past_key, k, axis=2), present_value likewise,
              GQA attention by broadcasting ([b,HKV,G,t,D] x [b,HKV,1,D,T]),
              scores * 1/sqrt(D), Where(causal mask, ., -inf), Softmax,
              SubLN RMSNorm -> int8 quantizer -> o BitLinear, residual,
              RMSNorm -> int8 quantizer (shared by gate, up) -> ReLU(gate)^2 * up,
              SubLN RMSNorm -> int8 quantizer -> down BitLinear, residual
  BitLinear   int8 {-1,0,1} weight [in, out] -> Cast(float) -> Mul(g [1]) -> MatMul
              after Abs -> ReduceMax(-1) -> Clip(min=1e-5 (f64 Constant -> Cast -> Cast))
              -> Div(127, .) = s; Mul(x, s) -> Round -> Clip(-128, 127 (i64 -> Cast)) -> Div(q, s)
  positions   past = Gather(Shape(past_key_0), 2); Range(past, past + seq) -> Cast -> Mul(inv_freq)
  mask        LessOrEqual(Range(0, past+seq)[None, :], Range(past, past+seq)[:, None])
  embedding   float32 Gather [vocab, hidden]
  LM head     --head float32: float32 [hidden, vocab] MatMul (default)
              --head int8pc : int8 [hidden, vocab] (values -127..127, NOT ternary) ->
                              Cast(float) -> Mul(g [1, vocab]) -> MatMul (weight-only int8,
                              per output channel)
              --head int8a8 : the same int8 weights (same draws), after the BitLinear int8
                              absmax activation quantizer: W8A8 (llama.cpp likewise quantizes
                              the activations of its Q6_K head to 8 bits, Q8_K)

Weights are random (numpy default_rng(seed)): ternary values uniform over
{-1, 0, 1}, g = 1/sqrt(in), norm weights 1, embedding N(0, 1), head N(0, 1/hidden).
Inputs: input_ids int64 [batch, seq], past_key_i / past_value_i float
[batch, HKV, past, D]; outputs logits [batch, seq, vocab], present_* [batch, HKV, total, D].
"""
import argparse, json, math, os, sys, time
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

OPSET = 17
EPS = 1e-5
THRESHOLD = 1024  # onnx.save_model's default size_threshold for external data
INT64_MAX = 9223372036854775807


class Writer:
    """Builds the graph; big initializers are streamed into one external data file."""

    def __init__(self, data_path, location):
        self.f = open(data_path, "wb")
        self.location = location
        self.nodes, self.inits = [], []
        self.uid = 0
        self.bytes_external = 0

    def init(self, name, arr):
        arr = np.ascontiguousarray(arr)
        if arr.nbytes < THRESHOLD:
            self.inits.append(numpy_helper.from_array(arr, name))
            return name
        t = TensorProto()
        t.name = name
        t.data_type = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]
        t.dims.extend(arr.shape)
        off = self.f.tell()
        # write in chunks of at most 256 MiB so that no big temporary copy is made
        flat = arr.reshape(-1).view(np.uint8)
        step = 1 << 28
        for i in range(0, flat.size, step):
            self.f.write(flat[i:i + step].tobytes())
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.location), ("offset", str(off)), ("length", str(arr.nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.inits.append(t)
        self.bytes_external += arr.nbytes
        return name

    def node(self, op, inputs, name, n_out=1, **attrs):
        outs = [f"{name}_output_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, name, value, dtype):
        arr = np.array(value, dtype=dtype)
        return self.node("Constant", [], name, value=numpy_helper.from_array(arr))

    def close(self):
        self.f.close()


def build(args, w, rng):
    H, L, HQ, HKV, D, FF, V = args.hidden, args.layers, args.heads, args.kv_heads, args.head_dim, args.ffn, args.vocab
    assert HQ % HKV == 0 and D % 2 == 0
    G = HQ // HKV
    n = w.node
    c = w.const
    u = [0]

    def unsq0(x, pfx):  # torch-style Unsqueeze of a scalar for a shape Concat
        u[0] += 1
        a = c(f"Constant_u{u[0]}", [0], np.int64)
        return n("Unsqueeze", [x, a], f"{pfx}/Unsqueeze_u{u[0]}")

    def shape_of(pfx, tag, parts):
        return n("Concat", [unsq0(p, pfx) for p in parts], f"{pfx}/Concat_{tag}", axis=0)

    # ---------------------------------------------------------------- global part
    w.init("m.embed.weight", rng.standard_normal((V, H), dtype=np.float32))
    inv = (1.0 / (10000.0 ** (np.arange(0, D, 2, dtype=np.float32) / D))).astype(np.float32)
    w.init("m.inv_freq", inv)
    shp = n("Shape", ["input_ids"], "/m/Shape")
    seq = n("Gather", [shp, c("/m/Constant", 1, np.int64)], "/m/Gather", axis=0)
    x = n("Gather", ["m.embed.weight", "input_ids"], "/m/embed/Gather")
    c_hkv = c("/m/Constant_1", HKV, np.int64)
    c_grp = c("/m/Constant_1g", G, np.int64)
    shp1 = n("Shape", ["past_key_0"], "/m/Shape_1")
    past = n("Gather", [shp1, c("/m/Constant_2", 2, np.int64)], "/m/Gather_1", axis=0)
    total = n("Add", [past, seq], "/m/Add")
    c_hq = c("/m/Constant_3", HQ, np.int64)
    r0 = n("Cast", [past], "/m/Cast", to=TensorProto.INT64)
    r1 = n("Cast", [total], "/m/Cast_1", to=TensorProto.INT64)
    rng_pos = n("Range", [r0, r1, c("/m/Constant_4", 1, np.int64)], "/m/Range")
    posf = n("Cast", [rng_pos], "/m/Cast_2", to=TensorProto.FLOAT)
    pu = n("Unsqueeze", [posf, c("/m/Constant_5", [-1], np.int64)], "/m/Unsqueeze")
    zero = c("/m/Constant_6", 0, np.int64)
    iu = n("Unsqueeze", ["m.inv_freq", c("/m/Constant_7", [0], np.int64)], "/m/Unsqueeze_1")
    ang = n("Mul", [pu, iu], "/m/Mul")
    ang2 = n("Concat", [ang, ang], "/m/Concat", axis=-1)
    cos = n("Cos", [ang2], "/m/Cos")
    sin = n("Sin", [ang2], "/m/Sin")
    qi = n("Unsqueeze", [rng_pos, c("/m/Constant_8", [-1], np.int64)], "/m/Unsqueeze_2")
    z = n("Cast", [zero], "/m/Cast_3", to=TensorProto.INT64)
    t4 = n("Cast", [total], "/m/Cast_4", to=TensorProto.INT64)
    kj = n("Range", [z, t4, c("/m/Constant_9", 1, np.int64)], "/m/Range_1")
    kj = n("Unsqueeze", [kj, c("/m/Constant_10", [0], np.int64)], "/m/Unsqueeze_3")
    mask = n("LessOrEqual", [kj, qi], "/m/LessOrEqual")
    ninf = c("/m/Constant_ninf", -np.inf, np.float32)

    def rmsnorm(x, pfx, wname, dim):
        w.init(wname, np.ones(dim, dtype=np.float32))
        sq = n("Mul", [x, x], f"{pfx}/Mul")
        mean = n("ReduceMean", [sq], f"{pfx}/ReduceMean", axes=[-1], keepdims=1)
        a = n("Add", [mean, c(f"{pfx}/Constant", EPS, np.float32)], f"{pfx}/Add")
        r = n("Sqrt", [a], f"{pfx}/Sqrt")
        d = n("Div", [x, r], f"{pfx}/Div")
        return n("Mul", [d, wname], f"{pfx}/Mul_1")

    def quant(x, pfx, qc):
        """int8 absmax activation quantizer -> dequantized Div(q, s)."""
        ab = n("Abs", [x], f"{pfx}/Abs")
        mx = n("ReduceMax", [ab], f"{pfx}/ReduceMax", axes=[-1], keepdims=1)
        e = n("Cast", [qc["eps"]], f"{pfx}/Cast", to=TensorProto.FLOAT)
        e = n("Cast", [e], f"{pfx}/Cast_1", to=TensorProto.FLOAT)
        cl = n("Clip", [mx, e, ""], f"{pfx}/Clip")
        s = n("Div", [c(f"{pfx}/Constant_1", 127.0, np.float32), cl], f"{pfx}/Div")
        m = n("Mul", [x, s], f"{pfx}/Mul")
        r = n("Round", [m], f"{pfx}/Round")
        lo = n("Cast", [qc["lo"]], f"{pfx}/Cast_2", to=TensorProto.FLOAT)
        hi = n("Cast", [qc["hi"]], f"{pfx}/Cast_3", to=TensorProto.FLOAT)
        q = n("Clip", [r, lo, hi], f"{pfx}/Clip_1")
        return n("Div", [q, s], f"{pfx}/Div_1")

    def bitlinear_w(xq, pfx, wpfx, din, dout):
        wi = w.init(f"{wpfx}.w_i8", rng.integers(-1, 2, size=(din, dout), dtype=np.int8))
        g = w.init(f"{wpfx}.g", np.array([1.0 / math.sqrt(din)], dtype=np.float32))
        wf = n("Cast", [wi], f"{pfx}/Cast_4", to=TensorProto.FLOAT)
        we = n("Mul", [wf, g], f"{pfx}/Mul_1")
        return n("MatMul", [xq, we], f"{pfx}/MatMul")

    def rope(t, pfx, i):
        m1 = n("Mul", [t, cos], f"{pfx}/Mul_r{i}a")
        s1 = n("Slice", [t, c(f"{pfx}/C_r{i}0", [0], np.int64), c(f"{pfx}/C_r{i}1", [D // 2], np.int64),
                         c(f"{pfx}/C_r{i}2", [3], np.int64), c(f"{pfx}/C_r{i}3", [1], np.int64)], f"{pfx}/Slice_r{i}a")
        s2 = n("Slice", [t, c(f"{pfx}/C_r{i}4", [D // 2], np.int64), c(f"{pfx}/C_r{i}5", [INT64_MAX], np.int64),
                         c(f"{pfx}/C_r{i}6", [3], np.int64), c(f"{pfx}/C_r{i}7", [1], np.int64)], f"{pfx}/Slice_r{i}b")
        ng = n("Neg", [s2], f"{pfx}/Neg_r{i}")
        rh = n("Concat", [ng, s1], f"{pfx}/Concat_r{i}", axis=-1)
        m2 = n("Mul", [rh, sin], f"{pfx}/Mul_r{i}b")
        return n("Add", [m1, m2], f"{pfx}/Add_r{i}")

    presents = []
    for li in range(L):
        P = f"/m/layers.{li}"
        W = f"m.layers.{li}"
        b = n("Gather", [n("Shape", [x], f"{P}/Shape"), c(f"{P}/Constant", 0, np.int64)], f"{P}/Gather", axis=0)
        t = n("Gather", [n("Shape", [x], f"{P}/Shape_1"), c(f"{P}/Constant_1", 1, np.int64)], f"{P}/Gather_1", axis=0)
        qc = {"eps": c(f"{P}/q/Constant", EPS, np.float64),
              "lo": c(f"{P}/q/Constant_2", -128, np.int64),
              "hi": c(f"{P}/q/Constant_3", 127, np.int64)}
        c_d = c(f"{P}/Constant_2", D, np.int64)
        h = rmsnorm(x, f"{P}/attn_norm", f"{W}.attn_norm.weight", H)
        hq = quant(h, f"{P}/q", qc)
        q = bitlinear_w(hq, f"{P}/q", f"{W}.q", H, HQ * D)
        q = n("Reshape", [q, shape_of(P, "q", [b, t, c_hq, c_d])], f"{P}/Reshape")
        q = n("Transpose", [q], f"{P}/Transpose", perm=[0, 2, 1, 3])
        k = bitlinear_w(hq, f"{P}/k", f"{W}.k", H, HKV * D)
        k = n("Reshape", [k, shape_of(P, "k", [b, t, c_hkv, c_d])], f"{P}/Reshape_1")
        k = n("Transpose", [k], f"{P}/Transpose_1", perm=[0, 2, 1, 3])
        v = bitlinear_w(hq, f"{P}/v", f"{W}.v", H, HKV * D)
        v = n("Reshape", [v, shape_of(P, "v", [b, t, c_hkv, c_d])], f"{P}/Reshape_2")
        v = n("Transpose", [v], f"{P}/Transpose_2", perm=[0, 2, 1, 3])
        q = rope(q, P, 0)
        k = rope(k, P, 1)
        w.nodes.append(helper.make_node("Concat", [f"past_key_{li}", k], [f"present_key_{li}"],
                                             name=f"{P}/Concat_5", axis=2))
        w.nodes.append(helper.make_node("Concat", [f"past_value_{li}", v], [f"present_value_{li}"],
                                        name=f"{P}/Concat_6", axis=2))
        presents += [f"present_key_{li}", f"present_value_{li}"]
        qg = n("Reshape", [q, shape_of(P, "qg", [b, c_hkv, c_grp, t, c_d])], f"{P}/Reshape_3")
        kk = n("Unsqueeze", [f"present_key_{li}", c(f"{P}/Constant_19", [2], np.int64)], f"{P}/Unsqueeze_17")
        kk = n("Transpose", [kk], f"{P}/Transpose_3", perm=[0, 1, 2, 4, 3])
        s = n("MatMul", [qg, kk], f"{P}/MatMul")
        s = n("Mul", [s, c(f"{P}/Constant_20", 1.0 / math.sqrt(D), np.float32)], f"{P}/Mul_4")
        s = n("Where", [mask, s, ninf], f"{P}/Where")
        p = n("Softmax", [s], f"{P}/Softmax", axis=-1)
        vv = n("Unsqueeze", [f"present_value_{li}", c(f"{P}/Constant_21", [2], np.int64)], f"{P}/Unsqueeze_18")
        a = n("MatMul", [p, vv], f"{P}/MatMul_1")
        a = n("Reshape", [a, shape_of(P, "a", [b, c_hq, t, c_d])], f"{P}/Reshape_4")
        a = n("Transpose", [a], f"{P}/Transpose_4", perm=[0, 2, 1, 3])
        a = n("Reshape", [a, shape_of(P, "a2", [b, t, c(f"{P}/Constant_22", HQ * D, np.int64)])], f"{P}/Reshape_5")
        a = rmsnorm(a, f"{P}/attn_sub_norm", f"{W}.attn_sub_norm.weight", HQ * D)
        o = bitlinear_w(quant(a, f"{P}/o", qc), f"{P}/o", f"{W}.o", HQ * D, H)
        x = n("Add", [x, o], f"{P}/Add_2")
        h = rmsnorm(x, f"{P}/ffn_norm", f"{W}.ffn_norm.weight", H)
        hq = quant(h, f"{P}/gate", qc)
        gt = bitlinear_w(hq, f"{P}/gate", f"{W}.gate", H, FF)
        r = n("Relu", [gt], f"{P}/Relu")
        r2 = n("Mul", [r, r], f"{P}/Mul_5")
        up = bitlinear_w(hq, f"{P}/up", f"{W}.up", H, FF)
        f = n("Mul", [r2, up], f"{P}/Mul_6")
        f = rmsnorm(f, f"{P}/ffn_sub_norm", f"{W}.ffn_sub_norm.weight", FF)
        dn = bitlinear_w(quant(f, f"{P}/down", qc), f"{P}/down", f"{W}.down", FF, H)
        x = n("Add", [x, dn], f"{P}/Add_3")
        if args.verbose:
            print(f"layer {li} written", file=sys.stderr, flush=True)

    y = rmsnorm(x, "/m/norm", "m.norm.weight", H)
    std = np.float32(1.0 / math.sqrt(H))
    if args.head == "float32":
        # generate in row blocks to bound the temporary float64 memory
        head = np.empty((H, V), dtype=np.float32)
        for i in range(0, H, 256):
            head[i:i + 256] = rng.standard_normal((min(256, H - i), V), dtype=np.float32) * std
        w.init("m.head", head)
        del head
        hw = "m.head"
    else:
        hi8 = rng.integers(-127, 128, size=(H, V), dtype=np.int8)
        w.init("m.head_i8", hi8)
        del hi8
        w.init("m.head_g", np.full((1, V), std / 40.0, dtype=np.float32))
        hw = n("Mul", [n("Cast", ["m.head_i8"], "/m/head/Cast", to=TensorProto.FLOAT), "m.head_g"], "/m/head/Mul")
        if args.head == "int8a8":
            y = quant(y, "/m/head/act", qc)
    w.nodes.append(helper.make_node("MatMul", [y, hw], ["logits"], name="/m/MatMul"))
    return presents


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="model.onnx")
    ap.add_argument("--layers", type=int, default=30)
    ap.add_argument("--vocab", type=int, default=128256)
    ap.add_argument("--hidden", type=int, default=2560)
    ap.add_argument("--heads", type=int, default=20)
    ap.add_argument("--kv-heads", type=int, default=5)
    ap.add_argument("--head-dim", type=int, default=128)
    ap.add_argument("--ffn", type=int, default=6912)
    ap.add_argument("--head", choices=["float32", "int8pc", "int8a8"], default="float32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, args.name)
    loc = args.name + ".data"
    w = Writer(os.path.join(args.out, loc), loc)
    rng = np.random.default_rng(args.seed)
    presents = build(args, w, rng)
    w.close()

    L, HKV, D, V = args.layers, args.kv_heads, args.head_dim, args.vocab
    def vi(name, elem, dims):
        return helper.make_tensor_value_info(name, elem, dims)
    inputs = [vi("input_ids", TensorProto.INT64, ["batch", "seq"])]
    for i in range(L):
        for kv in ("key", "value"):
            inputs.append(vi(f"past_{kv}_{i}", TensorProto.FLOAT, ["batch", HKV, "past", D]))
    outputs = [vi("logits", TensorProto.FLOAT, ["batch", "seq", V])]
    outputs += [vi(p, TensorProto.FLOAT, ["batch", HKV, "total", D]) for p in presents]
    graph = helper.make_graph(w.nodes, "main_graph", inputs, outputs, initializer=w.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="bitnet-mlir bench/gen_bitnet2b.py")
    model.ir_version = 8
    onnx.save_model(model, path)  # the tensors are already external
    onnx.checker.check_model(path)
    nparam = 0
    for t in w.inits:
        nparam += int(np.prod(t.dims)) if len(t.dims) else 1
    tern = L * (args.hidden * (args.heads + 2 * HKV) * D + args.heads * D * args.hidden
                + 3 * args.hidden * args.ffn)
    info = dict(path=path, data=os.path.join(args.out, loc),
                onnx_bytes=os.path.getsize(path), data_bytes=os.path.getsize(os.path.join(args.out, loc)),
                params=nparam, ternary_params=tern, bitlinears=7 * L, nodes=len(w.nodes),
                layers=L, vocab=V, hidden=args.hidden, heads=args.heads, kv_heads=HKV, head_dim=D,
                ffn=args.ffn, head=args.head, seed=args.seed, seconds=round(time.time() - t0, 1))
    json.dump(info, open(os.path.join(args.out, args.name + ".json"), "w"), indent=1)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
