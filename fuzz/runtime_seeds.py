#!/usr/bin/env python3
##===- fuzz/runtime_seeds.py - Seeds for bitnet-runtime-input-fuzzer ---===##
##
## SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
##
## Usage: runtime_seeds.py OUT_DIR [ONNX_NODE_TEST_DIR]
##
## Writes one seed per path of fuzz/runtime-input-fuzzer.cpp, each prefixed
## with its selector byte: .npy files (every dtype, empty and scalar shapes,
## version 2.0), the TensorProto .pb files of the ONNX node tests (< 64 KB),
## metadata texts like those bitnet-compile emits, sampling requests, raw
## tensor descriptors and session scripts (a fake decoder per layout and
## defect, each with the same script of appends, resets and edge cases).
##===------------------------------------------------------------------===##
import os
import struct
import sys

out = sys.argv[1]
node_dir = sys.argv[2] if len(sys.argv) > 2 else ""
os.makedirs(out, exist_ok=True)
count = 0


def seed(name, mode, payload):
    global count
    path = os.path.join(out, "%04d-%s" % (count, name))
    with open(path, "wb") as f:
        f.write(bytes([mode]) + payload)
    count += 1


def npy(descr, shape, data, version=1):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, dims)
    prefix = 10 if version == 1 else 12
    total = (prefix + len(header) + 1 + 63) // 64 * 64
    header = header.ljust(total - prefix - 1) + "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + data


# 0: .npy
seed("a.npy", 0, npy("<f4", [2, 3], struct.pack("<6f", *range(6))))
seed("empty.npy", 0, npy("<f4", [2, 0], b""))
seed("scalar.npy", 0, npy("<f8", [], struct.pack("<d", 1.5)))
seed("v2.npy", 0, npy("<f4", [2, 1], struct.pack("<2f", 1, 2), version=2))
for code, size in [("|u1", 1), ("|i1", 1), ("<u2", 2), ("<i2", 2),
                   ("<i4", 4), ("<i8", 8), ("|b1", 1), ("<f2", 2),
                   ("<u4", 4), ("<u8", 8)]:
    seed("%s.npy" % code[1:], 0, npy(code, [3], bytes(3 * size)))

# 1: TensorProto
if os.path.isdir(node_dir):
    pbs = []
    for test in sorted(os.listdir(node_dir)):
        data_dir = os.path.join(node_dir, test, "test_data_set_0")
        if not os.path.isdir(data_dir):
            continue
        for name in sorted(os.listdir(data_dir)):
            path = os.path.join(data_dir, name)
            if name.endswith(".pb") and os.path.getsize(path) < 65536:
                pbs.append((test, name, path))
    # Every 4th file keeps the seed set small but varied in dtypes.
    for test, name, path in pbs[::4]:
        with open(path, "rb") as f:
            seed("%s-%s" % (test, name), 1, f.read())

# 2: metadata text
HEADER = ("bitnet-model 1\ntarget x86_64-unknown-linux-gnu x86-64 -\n"
          "requires sse4.2\n")
seed("fake.meta", 2, (HEADER + "name fake%20add\ninput a 1 2 2 ?sequence\n"
                      "input b 1 2 2 ?sequence\noutput y 1 2 2 ?sequence\n"
                      "output shape 7 1 2\n").encode())
seed("kv.meta", 2, (HEADER + "name decoder\ninput tokens 7 2 1 ?seq\n"
                    "input past 1 4 1 4 ?past 16\ninput kv_length 7 0\n"
                    "kv-cache 1 2\nkv-length 2\n"
                    "output logits 1 3 1 ?seq 100\n"
                    "output present 1 4 1 4 ?total 16\n").encode())
seed("empty-name.meta", 2, (HEADER + "name %\ninput % 3 1 ?\n"
                            "output o%41 11 0\n").encode())
seed("crlf.meta", 2, (HEADER + "name x\r\nunknown-record 1 2 3\r\n\r\n"
                      "input x 13 3 1 ? ?b%2Fc\r\n").encode())

# 3: sampling: flags, temperature, top_k, top_p, [struct_size], rng, logits
seed("greedy.sample", 3, struct.pack("<BfifQ4f", 0, 0, 0, 1, 7,
                                     0.5, 2.0, -1.0, 2.0))
seed("topk.sample", 3, struct.pack("<BfifQ5f", 0, 0.8, 2, 0.9, 42,
                                   1, 2, 3, 4, 5))
seed("inf.sample", 3, struct.pack("<BfifQ3f", 0, 1.0, 0, 1.0, 1,
                                  float("inf"), 1.0, float("-inf")))

# 4: raw tensors: count, then per tensor dtype, rank, extents, byte size
def raw(dtype, extents, nbytes):
    return (struct.pack("<Bb", dtype, len(extents)) + bytes(extents) +
            struct.pack("<H", nbytes))
seed("ok.raw", 4, bytes([2]) + raw(1, [2, 3], 24) + raw(1, [2, 3], 24) +
     raw(1, [], 0) + b"\x00")
seed("mismatch.raw", 4, bytes([2]) + raw(1, [2, 3], 24) + raw(1, [2, 4], 32) +
     raw(7, [1], 8) + b"\x01")

# 5: session scripts: the decoder (layout, defect, vocab, static past, per
# cache a shape byte and its static extents, the input order), the options
# (flags, [struct_size], threads, context kind [+ value]), then operations.
def session(layout=0, defect=0, vocab=15, past=0, caches=((0, [1]),),
            order=b"\0\0", flags=0, struct_size=None, threads=1,
            context=(1, b"\x10"), ops=b""):
    out = bytes([layout, defect, vocab, past])
    for shape, extents in caches:
        out += bytes([shape] + extents)
    out += order + bytes([flags])
    if struct_size is not None:
        out += struct.pack("<I", struct_size)
    out += struct.pack("<b", threads) + bytes([context[0]]) + context[1]
    return out + ops

APPEND3 = b"\x00\x02\x01\x02\x03"       # 3 tokens
GREEDY = b"\x06"                          # sample greedily, append it
FILL = b"\x03\x05"                        # fill the context
RESET = b"\x05"
ODD = b"".join(b"\x04" + bytes([k]) for k in range(8))
SECOND = b"\x87" + b"\x80\x00\x07" + b"\x86" + b"\x83\x01"
SCRIPT = APPEND3 + GREEDY + GREEDY + FILL + FILL + RESET + APPEND3 + ODD + \
    SECOND + b"\x07\x07" + APPEND3
seed("basic.session", 5, session(ops=SCRIPT))
# Two rank-4 caches ([1, heads, past, dim] and [1, past, a, b]), logits of
# the last position only, 3 threads, the default 2048 positions.
seed("two-caches.session", 5,
     session(layout=3, caches=((3, [3, 1]), (1, [1, 2])), order=b"\1\2\0",
             threads=3, context=(0, b""), ops=SCRIPT))
for k, name in enumerate(["token-int32", "token-rank1", "extra-input",
                          "dynamic-vocab", "int-logits", "zero-vocab",
                          "dynamic-cache-dim", "no-cache", "static-past",
                          "decode-only", "static-batch", "no-tokens",
                          "wrong-logit-rows"], start=1):
    order = {"extra-input": b"\0\0\0", "no-tokens": b"\0"}.get(name,
                                                                b"\0\0")
    seed("%s.session" % name, 5,
         session(defect=0x80 + k, past=15, order=order, ops=SCRIPT))
seed("huge-context.session", 5,
     session(context=(3, struct.pack("<q", 2**63 - 1)), ops=APPEND3))
seed("negative-context.session", 5,
     session(context=(3, struct.pack("<q", -5)), ops=APPEND3))
seed("null-options.session", 5, session(flags=1 | 4 | 8, ops=SCRIPT))
seed("small-struct.session", 5, session(flags=2, struct_size=4, ops=APPEND3))
print("runtime seeds: %d" % count)
