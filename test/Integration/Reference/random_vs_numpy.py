# RUN: %python %s bitnet-opt mlir-runner %mlir_runner_utils %mlir_c_runner_utils %t
#
# Differential test of the reference lowering against a float32 NumPy model
# of the numeric contract (docs: DESIGN.md section 3, the op descriptions in
# BitNetOps.td). Seeded random inputs, with exact rounding ties, values that
# clip and all-zero rows mixed in, are compiled as constants with
# --bitnet-pipeline and executed by mlir-runner; every result is printed as
# i32 (floats bit-cast) and compared exactly. Any mismatch exits non-zero.

import math
import re
import subprocess
import sys

import numpy as np

F32 = np.float32
EPS = F32(1e-5)


# ===----------------------------------------------------------------------=== #
# The numeric contract in float32.
# ===----------------------------------------------------------------------=== #


def ref_quantize(x, bits, method, granularity, group_size=0):
    """Returns (q int32 array of x's shape, scale f32 array of rank x.ndim)."""
    x = np.asarray(x, dtype=F32)
    qmax = (1 << (bits - 1)) - 1
    qmin = -qmax - 1
    shape = x.shape
    if granularity == "per_tensor":
        g = x.reshape(1, -1)
    elif granularity == "per_group":
        g = x.reshape(-1, group_size)
    else:
        g = x.reshape(-1, shape[-1])
    n = g.shape[1]
    a = np.abs(g)
    if method == "absmax":
        stat = a.max(axis=1)
        c = F32(qmax)
    else:
        # Sum in index order (np.sum would be pairwise).
        stat = np.zeros(g.shape[0], dtype=F32)
        for k in range(n):
            stat = stat + a[:, k]
        stat = stat / F32(n)
        c = F32(math.sqrt(qmax))
    s = (c / np.maximum(stat, EPS)).astype(F32)
    q = np.clip(np.rint(g * s[:, None]), F32(qmin), F32(qmax)).astype(np.int32)
    q = q.reshape(shape)
    if granularity == "per_tensor":
        s = s.reshape((1,) * len(shape))
    elif granularity == "per_group":
        s = s.reshape(shape[:-1] + (shape[-1] // group_size,))
    else:
        s = s.reshape(shape[:-1] + (1,))
    return q, s


def ref_dequantize(q, s):
    q = np.asarray(q, dtype=np.int32)
    groups = s.shape[-1]
    if groups == 1:
        return (q.astype(F32) / s).astype(F32)
    g = q.reshape(q.shape[:-1] + (groups, q.shape[-1] // groups)).astype(F32)
    return (g / s[..., None]).astype(F32).reshape(q.shape)


def ref_ternary_matmul(q, w):
    return (np.asarray(q, dtype=np.int64) @ w.astype(np.int64).T).astype(np.int32)


def ref_rescale(acc, s, g):
    return ((acc.astype(F32) / s) * g).astype(F32)


def ref_hadamard(x, block):
    x = np.array(x, dtype=F32)
    k = x.shape[-1]
    h = 1
    while h < block:
        y = x.reshape(x.shape[:-1] + (k // (2 * h), 2, h))
        a, b = y[..., 0, :], y[..., 1, :]
        x = np.stack([a + b, a - b], axis=-2).astype(F32).reshape(x.shape)
        h *= 2
    return (x * F32(1.0 / math.sqrt(block))).astype(F32)


def ref_sparsify(x, mode, value):
    x = np.asarray(x, dtype=F32)
    n = x.shape[-1]
    rows = x.reshape(-1, n)
    out = np.zeros_like(rows)
    if mode == "topk":
        keep = math.ceil(value * n)
        for r in range(rows.shape[0]):
            order = np.argsort(-np.abs(rows[r]), kind="stable")[:keep]
            out[r, order] = rows[r, order]
    else:
        mask = np.abs(rows).astype(np.float64) >= value
        out[mask] = rows[mask]
    return out.reshape(x.shape)


def pack_plain(w):
    """Packs a [N, K] ternary matrix in the `plain` layout."""
    n, k = w.shape
    row_bytes = (k + 3) // 4
    out = bytearray()
    for r in range(n):
        codes = [int(v) + 1 for v in w[r]] + [0] * (row_bytes * 4 - k)
        for b in range(row_bytes):
            byte = 0
            for j in range(4):
                byte |= codes[4 * b + j] << (2 * j)
            out.append(byte)
    return bytes(out)


# ===----------------------------------------------------------------------=== #
# MLIR emission.
# ===----------------------------------------------------------------------=== #


def f32_lit(v):
    """An exact MLIR literal for an f32 value (hex bit pattern)."""
    return "0x%08X" % (np.array(v, dtype=F32).view(np.uint32).item())


def ttype(shape, elt):
    return "tensor<%sx%s>" % ("x".join(str(d) for d in shape), elt)


def dense(arr, elt):
    arr = np.asarray(arr)
    if elt == "f32":
        flat = [f32_lit(v) for v in arr.reshape(-1)]
    else:
        flat = [str(int(v)) for v in arr.reshape(-1)]
    # A flat literal reshaped by the type is not allowed; nest it.
    def nest(items, shape):
        if len(shape) == 1:
            return "[" + ", ".join(items) + "]"
        step = len(items) // shape[0]
        return "[" + ", ".join(nest(items[i * step:(i + 1) * step], shape[1:])
                               for i in range(shape[0])) + "]"
    return "dense<%s> : %s" % (nest(flat, list(arr.shape)), ttype(arr.shape, elt))


class Emitter:
    def __init__(self):
        self.lines = []
        self.resources = {}
        self.expected = []  # (name, flat int array)
        self.n = 0

    def fresh(self):
        self.n += 1
        return "%%v%d" % self.n

    def const(self, arr, elt):
        v = self.fresh()
        self.lines.append("  %s = arith.constant %s" % (v, dense(arr, elt)))
        return v

    def op(self, text):
        v = self.fresh()
        self.lines.append("  %s = %s" % (v, text.replace("$", v)))
        return v

    def print_int(self, name, value, shape, elt, expected):
        t = ttype(shape, elt)
        v = value
        if elt == "i8":
            v = self.op("arith.extsi %s : %s to %s" % (value, t, ttype(shape, "i32")))
        elif elt == "i32":
            # A copy, so that printing (a call that may write its operand)
            # does not conflict with later reads of the value.
            e = self.op("tensor.empty() : %s" % t)
            v = self.op("linalg.copy ins(%s : %s) outs(%s : %s) -> %s" % (
                value, t, e, t, t))
        elif elt == "f32":
            v = self.op("arith.bitcast %s : %s to %s" % (value, t, ttype(shape, "i32")))
        u = self.op("tensor.cast %s : %s to tensor<*xi32>" % (v, ttype(shape, "i32")))
        self.lines.append("  call @printMemrefI32(%s) : (tensor<*xi32>) -> ()" % u)
        exp = np.asarray(expected)
        if elt == "f32":
            exp = exp.astype(F32).view(np.int32)
        self.expected.append((name, exp.astype(np.int64).reshape(-1)))

    def module(self):
        out = ["func.func private @printMemrefI32(tensor<*xi32>)",
               "func.func @main() {"]
        out += self.lines
        out += ["  return", "}"]
        if self.resources:
            out.append("{-#\n  dialect_resources: {\n    builtin: {")
            out.append(",\n".join('      %s: "0x01000000%s"' % (k, v.hex().upper())
                                  for k, v in self.resources.items()))
            out.append("    }\n  }\n#-}")
        return "\n".join(out) + "\n"


# ===----------------------------------------------------------------------=== #
# Random inputs.
# ===----------------------------------------------------------------------=== #


def activations(rng, rows, k, qmax):
    """Random rows, some with exact ties at scale 1 or 1/2, some zero."""
    x = (rng.standard_normal((rows, k)) * rng.uniform(0.01, 4.0, (rows, 1))).astype(F32)
    for r in range(rows):
        kind = r % 5
        if kind == 1:
            # s = qmax / qmax = 1: half-integers are exact ties, some clip.
            x[r] = (rng.integers(-2 * qmax - 4, 2 * qmax + 5, k) / 2).astype(F32)
            x[r, rng.integers(k)] = F32(qmax) * (1 if rng.integers(2) else -1)
            x[r] = np.clip(x[r], -qmax, qmax)
        elif kind == 2:
            # s = qmax / (2 qmax) = 1/2: odd integers are ties.
            x[r] = rng.integers(-2 * qmax, 2 * qmax + 1, k).astype(F32)
            x[r, rng.integers(k)] = F32(2 * qmax)
        elif kind == 3 and r % 2 == 1:
            x[r] = 0
        elif kind == 4:
            x[r] *= F32(1e-7)  # below eps
    return x


def main():
    opt, runner, utils, cutils, tmp = sys.argv[1:6]
    rng = np.random.default_rng(20240601)
    e = Emitter()

    # quantize: 8/4 bits, absmax/absmean, per_token / per_group / per_tensor.
    schemes = [(8, "absmax", "per_token", 0), (4, "absmax", "per_token", 0),
               (4, "absmean", "per_token", 0), (8, "absmean", "per_token", 0),
               (4, "absmax", "per_group", 8), (4, "absmean", "per_group", 8),
               (8, "absmax", "per_tensor", 0), (2, "absmax", "per_token", 0),
               (3, "absmean", "per_token", 0)]
    for i, (bits, method, gran, gs) in enumerate(schemes):
        qmax = (1 << (bits - 1)) - 1
        x = activations(rng, 10, 24, qmax)
        shape = (2, 5, 24)
        x3 = x.reshape(shape)
        q, s = ref_quantize(x3, bits, method, gran, gs)
        xv = e.const(x3, "f32")
        extra = ", group_size = %d" % gs if gs else ""
        qv = e.fresh()
        sv = qv + "#1"
        e.lines.append("  %s:2 = bitnet.quantize %s <bits = %d, method = %s, "
                       "granularity = %s%s> : %s" % (qv, xv, bits, method, gran,
                                                     extra, ttype(shape, "f32")))
        e.print_int("quantize%d.q" % i, qv + "#0", shape, "i8", q)
        e.print_int("quantize%d.s" % i, sv, s.shape, "f32", s)
        # dequantize of the result.
        d = ref_dequantize(q, s)
        dv = e.op("bitnet.dequantize %s#0, %s : %s, %s" % (
            qv, sv, ttype(shape, "i8"), ttype(s.shape, "f32")))
        e.print_int("dequantize%d" % i, dv, shape, "f32", d)

    # kv_quantize bits 3 (and 4) on [B, H, T, D].
    for bits in (3, 4):
        qmax = (1 << (bits - 1)) - 1
        shape = (1, 2, 6, 16)
        x = activations(rng, 12, 16, qmax).reshape(shape)
        q, s = ref_quantize(x, bits, "absmax", "per_token")
        xv = e.const(x, "f32")
        qv = e.fresh()
        e.lines.append("  %s:2 = bitnet.kv_quantize %s bits %d : %s" % (
            qv, xv, bits, ttype(shape, "f32")))
        e.print_int("kv%d.q" % bits, qv + "#0", shape, "i8", q)
        e.print_int("kv%d.s" % bits, qv + "#1", s.shape, "f32", s)

    # ternary_matmul + rescale, K not a multiple of 4, per-tensor and
    # per-channel weight scales.
    for i, (n, k, per_channel) in enumerate([(7, 37, True), (5, 64, False),
                                             (3, 5, True)]):
        w = rng.integers(-1, 2, (n, k)).astype(np.int8)
        name = "w%d" % i
        e.resources[name] = pack_plain(w)
        g = (rng.uniform(0.01, 2.0, n if per_channel else 1)).astype(F32)
        shape = (2, 3, k)
        q = rng.integers(-128, 128, shape).astype(np.int8)
        acc = ref_ternary_matmul(q, w)
        qv = e.const(q, "i8")
        av = e.op("bitnet.ternary_matmul %s, <%dx%d, plain, scales = %s, data = "
                  "dense_resource<%s> : tensor<%dxi8>> : %s" % (
                      qv, n, k, dense(g, "f32"), name, len(e.resources[name]),
                      ttype(shape, "i8")))
        e.print_int("matmul%d" % i, av, (2, 3, n), "i32", acc)
        s = rng.uniform(0.5, 300.0, (2, 3, 1)).astype(F32)
        y = ref_rescale(acc, s, g)
        sv = e.const(s, "f32")
        gv = e.const(g, "f32")
        yv = e.op("bitnet.rescale %s, %s, %s : %s, %s, %s" % (
            av, sv, gv, ttype((2, 3, n), "i32"), ttype(s.shape, "f32"),
            ttype(g.shape, "f32")))
        e.print_int("rescale%d" % i, yv, (2, 3, n), "f32", y)

    # rescale alone with large accumulators (int32 -> f32 rounding) and a
    # per-tensor activation scale.
    acc = rng.integers(-(2 ** 31), 2 ** 31 - 1, (4, 9), dtype=np.int64).astype(np.int32)
    acc[0, :3] = [16777217, -16777219, 0]
    s = np.array([[rng.uniform(0.001, 1000.0)]], dtype=F32)
    g = rng.uniform(0.001, 3.0, 9).astype(F32)
    y = ref_rescale(acc, s, g)
    yv = e.op("bitnet.rescale %s, %s, %s : %s, %s, %s" % (
        e.const(acc, "i32"), e.const(s, "f32"), e.const(g, "f32"),
        ttype(acc.shape, "i32"), ttype(s.shape, "f32"), ttype(g.shape, "f32")))
    e.print_int("rescale.big", yv, acc.shape, "f32", y)

    # hadamard with several blocks.
    for block in (1, 2, 4, 8, 32, 64):
        shape = (3, 64)
        x = (rng.standard_normal(shape) * 3).astype(F32)
        x[1] = rng.integers(-5, 6, 64).astype(F32)
        y = ref_hadamard(x, block)
        yv = e.op("bitnet.hadamard %s block %d : %s" % (
            e.const(x, "f32"), block, ttype(shape, "f32")))
        e.print_int("hadamard%d" % block, yv, shape, "f32", y)

    # sparsify: topk with magnitude ties, threshold.
    for mode, value in (("topk", 0.5), ("topk", 0.3), ("topk", 0.05),
                        ("topk", 1.0 / 3.0), ("threshold", 1.0),
                        ("threshold", 0.1)):
        shape = (4, 30)
        x = rng.integers(-4, 5, shape).astype(F32) * F32(0.25)
        x[2] = (rng.standard_normal(30)).astype(F32)
        x[3, :] = 0
        x[3, 5] = F32(-1.0)
        y = ref_sparsify(x, mode, value)
        yv = e.op("bitnet.sparsify %s %s %r : %s" % (
            e.const(x, "f32"), mode, float(value), ttype(shape, "f32")))
        e.print_int("sparsify.%s.%r" % (mode, value), yv, shape, "f32", y)

    # bitlinear end to end (decomposed, then lowered) against the composition
    # of the references.
    for i, (bits, gran, had, topk, per_channel) in enumerate(
            [(8, "per_token", None, None, True), (4, "per_token", 8, 0.5, True),
             (8, "per_tensor", 32, None, False), (4, "per_token", 2, 0.3, False)]):
        n, k = 5, 32
        w = rng.integers(-1, 2, (n, k)).astype(np.int8)
        name = "bl%d" % i
        e.resources[name] = pack_plain(w)
        g = (rng.uniform(0.01, 2.0, n if per_channel else 1)).astype(F32)
        qmax = (1 << (bits - 1)) - 1
        shape = (2, 5, k)
        x = activations(rng, 10, k, qmax).reshape(shape)
        t = x
        if had:
            t = ref_hadamard(t, had)
        if topk:
            t = ref_sparsify(t, "topk", topk)
        q, s = ref_quantize(t, bits, "absmax", gran)
        y = ref_rescale(ref_ternary_matmul(q, w), s, g)
        pre = (" hadamard %d" % had if had else "") + (" topk %r" % topk if topk else "")
        yv = e.op("bitnet.bitlinear %s, <%dx%d, plain, scales = %s, data = "
                  "dense_resource<%s> : tensor<%dxi8>>, <bits = %d, method = absmax, "
                  "granularity = %s>%s : %s" % (
                      e.const(x, "f32"), n, k, dense(g, "f32"), name,
                      len(e.resources[name]), bits, gran, pre, ttype(shape, "f32")))
        e.print_int("bitlinear%d" % i, yv, (2, 5, n), "f32", y)

    src = e.module()
    mlir_path = tmp + ".mlir"
    with open(mlir_path, "w") as f:
        f.write(src)
    lowered = subprocess.run([opt, mlir_path, "--bitnet-pipeline"],
                             capture_output=True, text=True)
    if lowered.returncode != 0:
        sys.stderr.write(lowered.stderr)
        sys.exit("bitnet-opt failed on %s" % mlir_path)
    run = subprocess.run([runner, "-e", "main", "-entry-point-result=void",
                          "-shared-libs=%s,%s" % (utils, cutils)],
                         input=lowered.stdout, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        sys.exit("mlir-runner failed")

    blocks = run.stdout.split("Unranked Memref")[1:]
    if len(blocks) != len(e.expected):
        sys.exit("expected %d printed tensors, got %d" % (len(e.expected), len(blocks)))
    failures = 0
    for (name, exp), block in zip(e.expected, blocks):
        data = block.split("data =", 1)[1]
        got = np.array([int(t) for t in re.findall(r"-?\d+", data)], dtype=np.int64)
        if got.shape != exp.shape or not np.array_equal(got, exp):
            failures += 1
            bad = np.nonzero(got != exp)[0] if got.shape == exp.shape else []
            print("MISMATCH %s: %d of %d elements differ; first at %s" % (
                name, len(bad), exp.size, list(bad[:5])))
            for i in list(bad[:5]):
                print("  [%d] got %d expected %d" % (i, got[i], exp[i]))
        else:
            print("ok %s (%d elements)" % (name, exp.size))
    if failures:
        sys.exit("%d of %d comparisons failed (input: %s)" % (
            failures, len(e.expected), mlir_path))
    print("all %d comparisons bit-exact" % len(e.expected))


if __name__ == "__main__":
    main()
