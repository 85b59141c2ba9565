#!/usr/bin/env python3
"""Greedy generation with the KV cache == step-by-step recomputation.

Compiles the tinylm decode graph with --kv-cache and the prefill graph
without, for one target. Generates N tokens greedily with
`bitnet-run --generate` (prefill of the prompt in one call, then one token
per step through the in-place cache), then runs the prefill graph once on
prompt + generated[:-1]: causal attention makes its logits at position
P - 1 + t exactly the recomputation of step t, so argmax there must be
generated[t] for every t. Prints one summary line; exits 1 on a mismatch.
"""

import argparse
import os
import subprocess
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--decode", required=True)
    p.add_argument("--prefill", required=True)
    p.add_argument("--compile", default="bitnet-compile")
    p.add_argument("--run", default="bitnet-run")
    p.add_argument("--target", default="host")
    p.add_argument("--cpu", default="")
    p.add_argument("--prompt", default="A fool and his money are")
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--tmp", required=True)
    args = p.parse_args()
    os.makedirs(args.tmp, exist_ok=True)
    cpu = ["-mcpu=" + args.cpu] if args.cpu else []
    dec = os.path.join(args.tmp, "decode.so")
    pre = os.path.join(args.tmp, "prefill.so")
    subprocess.run([args.compile, "-q", args.decode, "--kv-cache",
                    "--target=" + args.target, "-o", dec] + cpu, check=True)
    subprocess.run([args.compile, "-q", args.prefill,
                    "--target=" + args.target, "-o", pre] + cpu, check=True)

    r = subprocess.run([args.run, dec, "--generate", "--prompt", args.prompt,
                        "--max-new-tokens", str(args.tokens), "--print-ids"],
                       capture_output=True, text=True, check=True)
    ids = [int(t) for t in r.stdout.split()]
    prompt = list(args.prompt.encode())
    assert ids[:len(prompt)] == prompt, "the prompt is not echoed"
    generated = ids[len(prompt):]
    assert len(generated) == args.tokens, f"{len(generated)} tokens"

    seq = np.array([prompt + generated[:-1]], dtype=np.int64)
    np.save(os.path.join(args.tmp, "input_ids.npy"), seq)
    subprocess.run([args.run, pre, "--input",
                    "input_ids=" + os.path.join(args.tmp, "input_ids.npy"),
                    "--output-dir", args.tmp], check=True,
                   stdout=subprocess.DEVNULL)
    logits = np.load(os.path.join(args.tmp, "output_0.npy"))[0]
    recomputed = logits[len(prompt) - 1:].argmax(axis=-1).tolist()
    matches = sum(a == b for a, b in zip(recomputed, generated))
    text = bytes(generated).decode("utf-8", "replace")
    print(f"generated: {text!r}")
    print(f"generation: target={args.target} tokens={len(generated)} "
          f"match={matches}")
    if matches != len(generated):
        first = next(i for i, (a, b) in enumerate(zip(recomputed, generated))
                     if a != b)
        print(f"first mismatch at step {first}: cached {generated[first]}, "
              f"recomputed {recomputed[first]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
