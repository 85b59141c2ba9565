#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""ONNX backend node tests (Debian libonnx-testdata) through the importer.

For every node test whose graph uses only supported ops, runs
`bitnet-compile model.onnx --emit=mlir`, then (unless --import-only)
`bitnet-opt --bitnet-pipeline=lower-to=llvm`, prints per-op pass/fail counts
and the failures, and compares the failures with the expected-failures list
(one `<test> # reason` per line). A test that fails but is not listed, or is
listed but passes, makes the run fail: update the list with --update.

Numerics are not checked here (the node tests' outputs are for codegen).
"""

# REQUIRES: onnx-node-tests
# RUN: %python %s --compile bitnet-compile --opt bitnet-opt \
# RUN:   --xfail %S/node-tests-xfail.txt --tmp %t | FileCheck %s
# CHECK: node tests: {{[0-9]+}} candidates
# CHECK: unexpected failures: 0
# CHECK: unexpected passes: 0
# CHECK: OK

import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data/node"

SUPPORTED = {
    "Abs", "Add", "And", "Cast", "Ceil", "Clip", "Concat", "Constant",
    "ConstantOfShape", "Cos", "Div", "Equal", "Erf", "Exp", "Expand", "Floor",
    "Gather", "GatherElements", "Gemm", "Greater", "GreaterOrEqual",
    "Identity", "LayerNormalization", "Less", "LessOrEqual", "Log", "MatMul",
    "MatMulInteger", "Max", "Min", "Mod", "Mul", "Neg", "Not", "Or", "Pow",
    "Range", "Reciprocal", "ReduceMax", "ReduceMean", "ReduceMin",
    "ReduceSum", "Relu", "Reshape", "Round", "ScatterElements", "Shape",
    "Sigmoid", "Sign", "Sin", "Slice", "Softmax", "Sqrt", "Squeeze", "Sub",
    "Tanh", "TopK", "Transpose", "Trilu", "Unsqueeze", "Where", "Xor",
}


def graph_ops(graph, ops):
    for node in graph.node:
        ops.add(node.op_type if node.domain in ("", "ai.onnx")
                else node.domain + "." + node.op_type)
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                graph_ops(a.g, ops)
    return ops


def candidates(data):
    out = []
    for test in sorted(os.listdir(data)):
        path = os.path.join(data, test, "model.onnx")
        if not os.path.isfile(path):
            continue
        try:
            model = onnx.load(path, load_external_data=False)
        except Exception:  # noqa: BLE001 - unreadable test data: skip
            continue
        ops = graph_ops(model.graph, set())
        if ops and ops <= SUPPORTED:
            out.append((test, path, sorted(ops)))
    return out


def first_error(text):
    for line in text.splitlines():
        m = re.search(r"error: (.*)", line)
        if m:
            msg = re.sub(r"^loc\(.*?\)\): ", "", m.group(1))
            msg = re.sub(r"^'[^']*': ", "", msg)
            msg = re.sub(r"^node '[^']*' \(", "(", msg)
            return msg[:200]
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[0][:200] if lines else "no diagnostic"


# Operands that fix the rank or layout of the result must be constant for
# the importer; node tests feed them as graph inputs, so they are bound to
# test_data_set_0's values (like onnx-mlir's backend tests).
AXES_SLOTS = {"Unsqueeze": [1], "Squeeze": [1], "ReduceSum": [1],
              "ReduceMean": [1], "ReduceMax": [1], "ReduceMin": [1],
              "Slice": [3]}


def bind_axes(test, path, tmp):
    """Returns the model to compile: `path`, or a copy with its axes inputs
    turned into initializers."""
    model = onnx.load(path)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    bind = set()
    for node in model.graph.node:
        for k in AXES_SLOTS.get(node.op_type, []):
            if k < len(node.input) and node.input[k] in inputs:
                bind.add(node.input[k])
    if not bind:
        return path
    data = os.path.join(os.path.dirname(path), "test_data_set_0")
    for idx, name in enumerate(inputs):
        if name in bind:
            t = onnx.TensorProto()
            with open(os.path.join(data, f"input_{idx}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            t.name = name
            model.graph.initializer.append(t)
    keep = [i for i in model.graph.input if i.name not in bind]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    out = os.path.join(tmp, test + ".bound.onnx")
    onnx.save(model, out)
    return out


def run_one(args, test, path, ops):
    mlir = os.path.join(args.tmp, test + ".mlir")
    if set(ops) & set(AXES_SLOTS):
        path = bind_axes(test, path, args.tmp)
    try:
        r = subprocess.run([args.compile, path, "--emit=mlir", "-o", mlir],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            return "import", first_error(r.stderr)
        if args.import_only:
            return None
        r = subprocess.run([args.opt, mlir, "--bitnet-pipeline=lower-to=llvm"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            return "lower", first_error(r.stderr)
        left = leftover_ops(r.stdout)
        if left:
            return "lower", "not lowered to LLVM: " + ", ".join(left)
        if args.run:
            try:
                err = check_numerics(args, test, path, mlir)
            except Exception as e:  # noqa: BLE001 - report, keep going
                err = f"harness: {e}"
            if err:
                return "numerics", err
    except subprocess.TimeoutExpired:
        return "timeout", "timed out"
    finally:
        if not args.keep and os.path.exists(mlir):
            os.remove(mlir)
    return None


PRINT = {"f32": "F32", "f64": "F64", "i8": "I8", "i16": "I16", "i32": "I32",
         "i64": "I64", "i1": "I8"}


def split_types(sig):
    """Top-level tensor types of a signature fragment."""
    return re.findall(r"tensor<[^>]*>", sig)


def elt_of(ty):
    return re.match(r"tensor<(?:[0-9?]+x)*([a-z0-9]+)>", ty).group(1)


def wrapper(mlir, inputs):
    """An @entry that calls @main on constant inputs and prints each result."""
    sig = re.search(r"func\.func @main\((.*)\) -> \((.*)\) \{", mlir)
    if not sig:
        sig = re.search(r"func\.func @main\((.*)\)() \{", mlir)
    args = split_types(re.sub(r"\{[^}]*\}", "", sig.group(1)))
    results = split_types(re.sub(r"\{[^}]*\}", "", sig.group(2)))
    lines = ["func.func @entry() {"]
    names = []
    for k, (arr, ty) in enumerate(zip(inputs, args)):
        elt = elt_of(ty)
        shape = "x".join(str(d) for d in arr.shape)
        st = f"tensor<{shape + 'x' if shape else ''}{'i8' if elt == 'i1' else elt}>"
        if arr.size == 0:
            lines.append(f"  %c{k} = tensor.empty() : {st}")
        else:
            raw = (arr.astype(np.uint8) if elt == "i1" else arr).tobytes().hex()
            lines.append(f'  %c{k} = arith.constant dense<"0x{raw.upper()}"> : {st}')
        cur = f"%c{k}"
        if elt == "i1":
            bt = st.replace("i8>", "i1>")
            lines.append(f"  %b{k} = arith.trunci {cur} : {st} to {bt}")
            cur, st = f"%b{k}", bt
        if st != ty:
            lines.append(f"  %a{k} = tensor.cast {cur} : {st} to {ty}")
            cur = f"%a{k}"
        names.append(cur)
    rs = ", ".join(f"%r{k}" for k in range(len(results)))
    lines.append(f"  {rs + ' = ' if results else ''}call @main({', '.join(names)}) : "
                 f"({', '.join(args)}) -> ({', '.join(results)})")
    decls = set()
    for k, ty in enumerate(results):
        elt = elt_of(ty)
        cur = f"%r{k}"
        if elt in ("i1", "i8", "i16"):
            # Printed as i32 (printMemrefI8 prints characters).
            t32 = ty.replace(elt + ">", "i32>")
            ext = "extui" if elt == "i1" else "extsi"
            lines.append(f"  %e{k} = arith.{ext} {cur} : {ty} to {t32}")
            cur, ty, elt = f"%e{k}", t32, "i32"
        lines.append(f"  %u{k} = tensor.cast {cur} : {ty} to tensor<*x{elt}>")
        lines.append(f"  call @printMemref{PRINT[elt]}(%u{k}) : (tensor<*x{elt}>) -> ()")
        decls.add(f"func.func private @printMemref{PRINT[elt]}(tensor<*x{elt}>) "
                  "attributes {llvm.emit_c_interface}")
    lines.append("  return\n}")
    body = "\n".join(lines + sorted(decls))
    # Insert before the module's closing brace (before any resources).
    end = mlir.rfind("\n}")
    return mlir[:end] + "\n" + body + mlir[end:]


def parse_prints(text):
    out = []
    for chunk in text.split("Unranked Memref")[1:]:
        sizes = re.search(r"sizes = \[([0-9, ]*)\]", chunk).group(1)
        shape = [int(x) for x in sizes.split(",") if x.strip()]
        if 0 in shape:
            out.append(np.zeros(shape))
            continue
        data = chunk.split("data =", 1)[1]
        vals = re.findall(r"-?nan|-?inf|-?[0-9.]+(?:e[-+]?[0-9]+)?", data)
        out.append(np.array([float(v) for v in vals], np.float64).reshape(shape))
    return out


def check_numerics(args, test, model_path, mlir_path):
    """Runs test_data_set_0 through the lowered module; None if it matches."""
    model = onnx.load(model_path)
    inits = {i.name for i in model.graph.initializer}
    data = os.path.join(os.path.dirname(
        os.path.join(args.data, test, "model.onnx")), "test_data_set_0")
    orig = onnx.load(os.path.join(args.data, test, "model.onnx"),
                     load_external_data=False)
    orig_inputs = [i.name for i in orig.graph.input
                   if i.name not in {x.name for x in orig.graph.initializer}]
    inputs = []
    for idx, name in enumerate(orig_inputs):
        if name in inits:
            continue
        t = onnx.TensorProto()
        with open(os.path.join(data, f"input_{idx}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        inputs.append(numpy_helper.to_array(t))
    expected = []
    for idx in range(len(model.graph.output)):
        t = onnx.TensorProto()
        with open(os.path.join(data, f"output_{idx}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        expected.append(numpy_helper.to_array(t))
    mlir = open(mlir_path).read()
    src = os.path.join(args.tmp, test + ".run.mlir")
    with open(src, "w") as f:
        f.write(wrapper(mlir, inputs))
    r = subprocess.run([args.opt, src, "--bitnet-pipeline=lower-to=llvm"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode:
        return "wrapper: " + first_error(r.stderr)
    libs = ",".join(os.path.join(args.llvm_lib, f"libmlir_{n}runner_utils.so")
                    for n in ("c_", ""))
    r = subprocess.run([args.runner, "-e", "entry", "-entry-point-result=void",
                        f"-shared-libs={libs}"], input=r.stdout,
                       capture_output=True, text=True, timeout=120)
    if r.returncode:
        return "run: " + (first_error(r.stderr) or "crashed")
    got = parse_prints(r.stdout)
    if len(got) != len(expected):
        return f"run: {len(got)} outputs, expected {len(expected)}"
    for k, (g, e) in enumerate(zip(got, expected)):
        if e.dtype.kind == "u":
            e = e.astype(e.dtype.str.replace("u", "i")) if e.dtype.itemsize > 1 \
                else e.view(np.int8)
        if list(g.shape) != list(e.shape):
            return f"output {k}: shape {list(g.shape)}, expected {list(e.shape)}"
        e = e.astype(np.float64)
        if not np.allclose(g, e, rtol=1e-4, atol=1e-5, equal_nan=True):
            bad = np.argmax(np.abs(g - e))
            return (f"output {k}: max |diff| {np.nanmax(np.abs(g - e)):.3g} "
                    f"(at {bad}: {g.flat[bad]} vs {e.flat[bad]})")
    return None


def leftover_ops(text):
    """Ops of the lowered module that are not in the llvm dialect."""
    ops = set()
    for line in text.splitlines():
        m = re.match(r'\s*(?:%[^=]*= )?"?([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_.]*)',
                     line)
        if m and m.group(1) not in ("llvm", "module", "builtin"):
            ops.add(m.group(1) + "." + m.group(2))
    return sorted(ops)


def read_xfail(path):
    xfail = {}
    if path and os.path.exists(path):
        for line in open(path):
            name, _, reason = line.partition("#")
            name = name.strip()
            if name:
                xfail[name] = reason.strip()
    return xfail


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--compile", default="bitnet-compile")
    p.add_argument("--opt", default="bitnet-opt")
    p.add_argument("--data", default=DATA)
    p.add_argument("--xfail", help="expected-failures list")
    p.add_argument("--tmp", default="/tmp/bitnet-node-tests")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--import-only", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the .mlir files")
    p.add_argument("--update", action="store_true",
                   help="rewrite the xfail list from this run")
    p.add_argument("-k", dest="filter", help="only tests matching this regex")
    p.add_argument("--run", action="store_true",
                   help="also run test_data_set_0 with mlir-runner and compare "
                        "(rtol 1e-4, atol 1e-5; not part of the lit test)")
    p.add_argument("--runner", default="/usr/lib/llvm-22/bin/mlir-runner")
    p.add_argument("--llvm-lib", default="/usr/lib/llvm-22/lib")
    args = p.parse_args()
    os.makedirs(args.tmp, exist_ok=True)

    tests = candidates(args.data)
    if args.filter:
        tests = [t for t in tests if re.search(args.filter, t[0])]
    print(f"node tests: {len(tests)} candidates")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda t: run_one(args, t[0], t[1], t[2]),
                                tests))

    per_op = collections.defaultdict(lambda: [0, 0])
    failures = {}
    for (test, _, ops), res in zip(tests, results):
        for op in ops:
            per_op[op][0 if res is None else 1] += 1
        if res is not None:
            failures[test] = f"{res[0]}: {res[1]}"
    print(f"{'op':<20} pass fail")
    for op in sorted(per_op):
        print(f"{op:<20} {per_op[op][0]:4} {per_op[op][1]:4}")
    print(f"total: {len(tests) - len(failures)} pass, {len(failures)} fail")
    for test in sorted(failures):
        print(f"FAIL {test}: {failures[test]}")

    all_xfail = read_xfail(args.xfail)
    xfail = dict(all_xfail)
    if args.filter:
        xfail = {k: v for k, v in xfail.items() if re.search(args.filter, k)}
    unexpected = sorted(set(failures) - set(xfail))
    passes = sorted(set(xfail) - set(failures))
    print(f"unexpected failures: {len(unexpected)}")
    for t in unexpected:
        print(f"  {t}: {failures[t]}")
    print(f"unexpected passes: {len(passes)}")
    for t in passes:
        print(f"  {t}")
    if args.update and args.xfail:
        # Entries outside the -k filter are kept.
        keep = {t: r for t, r in all_xfail.items() if t not in xfail}
        keep.update({t: xfail.get(t) or failures[t] for t in failures})
        with open(args.xfail, "w") as f:
            for t in sorted(keep):
                f.write(f"{t} # {keep[t]}\n")
    if unexpected or passes:
        print("FAILED: update the expected-failures list")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
