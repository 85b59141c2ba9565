#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""ONNX backend node tests (Debian libonnx-testdata), compiled and run.

For every node test that imports and lowers (the candidates of
test/Import/ONNX/node_tests.py minus its expected-failures list):
`bitnet-compile model.onnx -o test.so`, then for each test_data_set
`bitnet-run test.so --input-dir D --expect-dir D` with ONNX's backend-test
tolerances (rtol 1e-3, atol 1e-7). Prints the pass count per op and every
failure, and requires the failures to be exactly the list in
node-tests-run-xfail.txt (`<test> # reason` per line; --update rewrites it).
"""

# REQUIRES: onnx-node-tests, runtime-host
# RUN: %python %s --compile bitnet-compile --run bitnet-run \
# RUN:   --xfail %S/node-tests-run-xfail.txt --tmp %t | FileCheck %s
# CHECK: node tests run: {{[0-9]+}} compiled
# CHECK: unexpected failures: 0
# CHECK: unexpected passes: 0
# CHECK: OK

import argparse
import collections
import concurrent.futures
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
IMPORT_TESTS = os.path.join(HERE, "..", "..", "Import", "ONNX")
spec = importlib.util.spec_from_file_location(
    "node_tests", os.path.join(IMPORT_TESTS, "node_tests.py"))
node_tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(node_tests)


def read_list(path):
    out = {}
    if path and os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition("#")
                out[name.strip()] = reason.strip()
    return out


def prepare_inputs(model_path, test_dir, data_set, out_dir):
    """The data set's inputs renumbered for `model_path`, whose graph may
    have lost inputs to node_tests.bind_axes."""
    original = onnx.load(os.path.join(test_dir, "model.onnx"),
                         load_external_data=False)
    model = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in original.graph.initializer}
    names = [i.name for i in original.graph.input if i.name not in inits]
    kept = {i.name for i in model.graph.input}
    os.makedirs(out_dir, exist_ok=True)
    k = 0
    for idx, name in enumerate(names):
        if name not in kept:
            continue
        src = os.path.join(data_set, f"input_{idx}.pb")
        shutil.copy(src, os.path.join(out_dir, f"input_{k}.pb"))
        k += 1


def run_one(args, test, path, ops):
    test_dir = os.path.dirname(path)
    model = path
    if set(ops) & set(node_tests.AXES_SLOTS):
        model = node_tests.bind_axes(test, path, args.tmp)
    lib = os.path.join(args.tmp, test + ".so")
    r = subprocess.run([args.compile, "-q", model, "-o", lib],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        return "compile: " + node_tests.first_error(r.stderr)
    for ds in sorted(d for d in os.listdir(test_dir)
                     if d.startswith("test_data_set_")):
        data_set = os.path.join(test_dir, ds)
        inputs = os.path.join(args.tmp, test + "." + ds)
        prepare_inputs(model, test_dir, data_set, inputs)
        r = subprocess.run([args.run, lib, "--input-dir", inputs,
                            "--expect-dir", data_set, "--rtol", "1e-3",
                            "--atol", "1e-7"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            text = (r.stdout + r.stderr).strip().splitlines()
            bad = [l for l in text if "MISMATCH" in l or "error" in l]
            return f"{ds}: " + (bad[0] if bad else text[-1] if text else
                                f"exit {r.returncode}")[:200]
    os.remove(lib)
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--compile", default="bitnet-compile")
    p.add_argument("--run", default="bitnet-run")
    p.add_argument("--data", default=node_tests.DATA)
    p.add_argument("--xfail", help="expected run failures")
    p.add_argument("--tmp", default="/tmp/bitnet-node-run")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--update", action="store_true")
    p.add_argument("-k", dest="filter")
    args = p.parse_args()
    os.makedirs(args.tmp, exist_ok=True)
    import_xfail = read_list(os.path.join(IMPORT_TESTS,
                                          "node-tests-xfail.txt"))
    cands = [(t, path, ops) for t, path, ops in node_tests.candidates(args.data)
             if t not in import_xfail and
             (not args.filter or re.search(args.filter, t))]

    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_one, args, t, path, ops): (t, ops)
                   for t, path, ops in cands}
        for f in concurrent.futures.as_completed(futures):
            t, ops = futures[f]
            try:
                results[t] = (f.result(), ops)
            except subprocess.TimeoutExpired:
                results[t] = ("timeout", ops)

    per_op = collections.defaultdict(lambda: [0, 0])
    for t, (err, ops) in results.items():
        for op in ops:
            per_op[op][0 if err is None else 1] += 1
    print(f"node tests run: {len(results)} compiled and run (host)")
    print(f"{'op':<20} pass fail")
    for op in sorted(per_op):
        print(f"{op:<20} {per_op[op][0]:>4} {per_op[op][1]:>4}")
    failed = {t: e for t, (e, _) in results.items() if e is not None}
    print(f"total: {len(results) - len(failed)} pass, {len(failed)} fail")
    for t in sorted(failed):
        print(f"  {t}: {failed[t]}")

    expected = read_list(args.xfail)
    if args.filter:
        expected = {t: r for t, r in expected.items() if t in results}
    unexpected_fail = sorted(set(failed) - set(expected))
    unexpected_pass = sorted(set(expected) - set(failed))
    print(f"unexpected failures: {len(unexpected_fail)}")
    for t in unexpected_fail:
        print(f"  {t}: {failed[t]}")
    print(f"unexpected passes: {len(unexpected_pass)}")
    for t in unexpected_pass:
        print(f"  {t}")
    if args.update and args.xfail:
        with open(args.xfail, "w") as f:
            for t in sorted(failed):
                f.write(f"{t} # {failed[t]}\n")
        print("updated", args.xfail)
        return 0
    if unexpected_fail or unexpected_pass:
        print("FAILED: update the expected-failures list")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
