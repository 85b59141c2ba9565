#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Shrinks an ONNX crash input while a fuzzer binary still crashes on it.

Usage: reduce_onnx.py COMMAND CRASH.onnx OUT.onnx

COMMAND is the fuzzer binary, or any command line (one argument, split like
a shell would) to which the input file is appended, e.g.
"build/bin/bitnet-compile --emit=mlir".

Greedily drops graph outputs, nodes, initializers, graph inputs, value_info,
attributes and node inputs/outputs, and truncates initializer data, keeping
each change that still crashes (non-zero exit with a sanitizer, libFuzzer or
LLVM error). libFuzzer's -minimize_crash works on bytes and is slow on
protobufs; this works on the ModelProto, so fixtures stay a few hundred
bytes. With REDUCE_GREP=TEXT set, a candidate is kept while the output
contains TEXT instead (to shrink an input that no longer crashes while
keeping the diagnostic of its fix).
"""
import os
import shlex
import subprocess
import sys
import tempfile

import onnx

CRASH_MARKERS = (b"ERROR: AddressSanitizer", b"runtime error:",
                 b"ERROR: libFuzzer", b"LLVM ERROR", b"Assertion",
                 b"CHECK failed", b"Stack dump")


def crashes(fuzzer, model):
    with tempfile.NamedTemporaryFile(suffix=".onnx") as f:
        f.write(model.SerializeToString())
        f.flush()
        cmd = shlex.split(fuzzer)
        if cmd[0].endswith("-fuzzer"):
            cmd.append("-rss_limit_mb=4096")
        p = subprocess.run(cmd + [f.name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env={"ASAN_OPTIONS": "detect_leaks=0"}, timeout=120)
    if os.environ.get("REDUCE_GREP"):
        return os.environ["REDUCE_GREP"].encode() in p.stdout
    return p.returncode != 0 and any(m in p.stdout for m in CRASH_MARKERS)


def try_remove(fuzzer, model, container_of, label):
    """Removes single entries of the repeated field container_of(model)."""
    changed = True
    while changed:
        changed = False
        k = 0
        while k < len(container_of(model)):
            cand = onnx.ModelProto()
            cand.CopyFrom(model)
            del container_of(cand)[k]
            if crashes(fuzzer, cand):
                model = cand
                changed = True
                print("dropped %s %d" % (label, k), file=sys.stderr)
            else:
                k += 1
    return model


def main():
    fuzzer, src, dst = sys.argv[1:4]
    model = onnx.ModelProto()
    with open(src, "rb") as f:
        model.ParseFromString(f.read())
    if not crashes(fuzzer, model):
        sys.exit("the input does not crash")
    g = lambda m: m.graph
    for label, get in (("output", lambda m: g(m).output),
                       ("node", lambda m: g(m).node),
                       ("initializer", lambda m: g(m).initializer),
                       ("input", lambda m: g(m).input),
                       ("value_info", lambda m: g(m).value_info),
                       ("metadata", lambda m: m.metadata_props)):
        model = try_remove(fuzzer, model, get, label)
    for n in range(len(model.graph.node)):
        for label, get in (
                ("attribute", lambda m, n=n: g(m).node[n].attribute),
                ("node input", lambda m, n=n: g(m).node[n].input),
                ("node output", lambda m, n=n: g(m).node[n].output)):
            model = try_remove(fuzzer, model, get, label)
    for field in ("doc_string", "producer_name", "producer_version"):
        cand = onnx.ModelProto()
        cand.CopyFrom(model)
        cand.ClearField(field)
        if crashes(fuzzer, cand):
            model = cand
    with open(dst, "wb") as f:
        f.write(model.SerializeToString())
    print("%s: %d bytes" % (dst, model.ByteSize()), file=sys.stderr)


if __name__ == "__main__":
    main()
