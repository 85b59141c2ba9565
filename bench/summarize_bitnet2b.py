#!/usr/bin/python3
"""Summarize bench/run_bitnet2b.py results (JSON lines) and extrapolate to the 2B shape.

usage: summarize_bitnet2b.py RESULTS.jsonl [--layers 30] [--vocab 128256]

Prints one table row per measured configuration, then
  * a least-squares fit of the importer's peak RSS over the runs that imported:
      RSS = c0 + a * (ternary weights, elements) + b * (float32 initializer bytes)
    and its value at the full shape;
  * for runs with the same vocab at >= 2 layer counts: per-token time
      t(L) = fixed + per_layer * L   (prefill per prompt token, decode per token)
    and the 2B estimate  t = fixed * (vocab_full / vocab_run) + per_layer * layers_full
    (the fixed part is the LM head, measured to dominate it, scaled with the vocab; an
    estimate, not a measurement), with the decode floor of the full shape at the best
    measured stream bandwidth and the ratios to the peers quoted in issue #7.
"""
import argparse, json, sys
import numpy as np

PEERS = {
    "bitnet.cpp I2_S": {"decode": {1: 8.6, 2: 13.2}, "prefill": {1: 38.2, 2: 67.3}},
    "llama.cpp TQ2_0": {"decode": {1: 8.5, 2: 15.7}, "prefill": {1: 23.4, 2: 46.0}},
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--layers", type=int, default=30)
    ap.add_argument("--vocab", type=int, default=128256)
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    a = ap.parse_args()
    runs = [json.loads(l) for l in open(a.results) if l.strip()]
    print("| config | on disk GB | import: wall s | import: peak RSS GB (x disk) | compile: wall s (import stage s) | compile: peak RSS GB | model.so GB |"
          " prefill tok/s T=1 / T=2 | decode tok/s T=1 / T=2 | run peak RSS GB | stream GB/s T=1 / T=2 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        i, c, rn, s = r.get("import", {}), r.get("compile", {}), r.get("run", {}), r.get("stream_GBps", {})
        def f(x, k, d=1):
            return "-" if not x or x.get(k) is None else f"{x[k]:.{d}f}"
        imp = "-" if not i else (f"{i['wall_s']:.1f}" + (" (killed)" if i.get("killed") else ""))
        rss = "-" if not i else f"{i['max_rss_kb'] * 1024 / 1e9:.2f} ({i['rss_over_disk']:.2f}x)"
        if c.get("skipped"):
            c = {}
        comp = "-" if not c else (f"{c['wall_s']:.1f} ({c['stages_s'].get('importing', float('nan')):.1f})"
                                  + ("" if c["rc"] == 0 else " FAILED (link)" if "relocation" in c.get("error", "") else " FAILED"))
        crss = "-" if not c else f"{c['max_rss_kb'] * 1024 / 1e9:.2f}"
        so = "-" if not c or not c.get("so_bytes") else f"{c['so_bytes'] / 1e9:.2f}"
        pf = " / ".join(f(rn.get(t), "prefill_tps", 2) for t in ("1", "2")) if rn else "-"
        dc = " / ".join(f(rn.get(t), "decode_tps", 2) for t in ("1", "2")) if rn else "-"
        rr = "-" if not rn else f"{max(e['max_rss_kb'] for e in rn.values()) * 1024 / 1e9:.2f}"
        sb = " / ".join(f"{s[t]:.1f}" for t in ("1", "2") if t in s) or "-"
        m = r["model"]
        print(f"| L={m['layers']} V={m['vocab']} | {r['disk_bytes'] / 1e9:.2f} | {imp} | {rss} | {comp} | {crss} | {so} | {pf} | {dc} | {rr} | {sb} |")

    # ---------------------------------------------------------------- import RSS fit
    full = None
    pts = []
    for r in runs:
        m = r["model"]
        tern = m["ternary_params"]
        flt = 2 * m["vocab"] * m["hidden"] * 4
        if r.get("import", {}).get("rc") == 0:
            pts.append((tern, flt, r["import"]["max_rss_kb"] * 1024.0))
        if m["layers"] == a.layers and m["vocab"] == a.vocab:
            full = r
    if len(pts) >= 3:
        A = np.array([[1.0, p[0], p[1]] for p in pts])
        y = np.array([p[2] for p in pts])
        (c0, ka, kb), *_ = np.linalg.lstsq(A, y, rcond=None)
        m = (full or runs[0])["model"]
        H, L, HQ, HKV, D, FF = m["hidden"], a.layers, m["heads"], m["kv_heads"], m["head_dim"], m["ffn"]
        tern_full = L * (H * (HQ + 2 * HKV) * D + HQ * D * H + 3 * H * FF)
        flt_full = 2 * a.vocab * H * 4
        est = c0 + ka * tern_full + kb * flt_full
        disk = tern_full + flt_full
        print(f"\nimport peak RSS fit over {len(pts)} runs: {c0 / 1e9:.2f} GB + {ka:.1f} B per ternary weight"
              f" + {kb:.2f} B per float32 initializer byte;")
        print(f"  at L={L} V={a.vocab}: {est / 1e9:.1f} GB = {est / disk:.1f}x the {disk / 1e9:.2f} GB on disk"
              f" (goal <= 1.5x)")
        for p in pts:
            print(f"  check: measured {p[2] / 1e9:.2f} GB, fit {(c0 + ka * p[0] + kb * p[1]) / 1e9:.2f} GB")

    # ---------------------------------------------------------------- speed extrapolation
    byv = {}
    for r in runs:
        if r.get("run"):
            byv.setdefault(r["model"]["vocab"], []).append(r)
    best_bw = {}
    for r in runs:
        for t, b in r.get("stream_GBps", {}).items():
            best_bw[t] = max(best_bw.get(t, 0), b)
    for V, rs in byv.items():
        if len({r["model"]["layers"] for r in rs}) < 2:
            continue
        m = rs[0]["model"]
        H, HQ, HKV, D, FF = m["hidden"], m["heads"], m["kv_heads"], m["head_dim"], m["ffn"]
        tern_full = a.layers * (H * (HQ + 2 * HKV) * D + HQ * D * H + 3 * H * FF)
        kv = 2 * a.layers * HKV * D * 4 * (a.prompt_len + a.max_new_tokens / 2)
        bytes_tok = tern_full / 4 + H * a.vocab * 4 + kv
        print(f"\nper-token time fit over L = {sorted(r['model']['layers'] for r in rs)} at V={V},"
              f" extrapolated to L={a.layers} V={a.vocab} (head part scaled by {a.vocab / V:.3f}):")
        print(f"  decode floor at L={a.layers} V={a.vocab}: {bytes_tok / 1e9:.3f} GB/token as built"
              f" (ternary 2-bit {tern_full / 4 / 1e9:.3f} + float32 head {H * a.vocab * 4 / 1e9:.3f} + KV {kv / 1e9:.3f});"
              f" ternary + KV only {(tern_full / 4 + kv) / 1e9:.3f} GB")
        for t in ("1", "2"):
            Ls = [r["model"]["layers"] for r in rs if t in r["run"]]
            if len(set(Ls)) < 2:
                continue
            out = {}
            for kind in ("prefill", "decode"):
                ys = [r["run"][t][f"{kind}_ms"] / 1000.0 / r["run"][t][f"{kind}_tokens"] for r in rs if t in r["run"]]
                per_layer, fixed = np.polyfit(Ls, ys, 1)
                sec = fixed * a.vocab / V + per_layer * a.layers
                out[kind] = (fixed, per_layer, 1.0 / sec)
            bw = best_bw.get(t)
            fl = bw * 1e9 / bytes_tok if bw else float("nan")
            fl_t = bw * 1e9 / (tern_full / 4 + kv) if bw else float("nan")
            d = out["decode"][2]
            p = out["prefill"][2]
            print(f"  T={t}: prefill fixed {out['prefill'][0] * 1e3:.0f} ms + {out['prefill'][1] * 1e3:.1f} ms/layer per token"
                  f" -> est. {p:.3f} tok/s; decode fixed {out['decode'][0] * 1e3:.0f} ms + {out['decode'][1] * 1e3:.1f} ms/layer"
                  f" -> est. {d:.3f} tok/s")
            print(f"        floor (stream {bw:.1f} GB/s): {fl:.2f} tok/s as built, {fl_t:.2f} tok/s ternary+KV only;"
                  f" ours/floor {d / fl:.4f} (as built), {d / fl_t:.4f} (ternary+KV only)")
            for peer, pp in PEERS.items():
                ti = int(t)
                print(f"        vs {peer} (quoted): decode {d / pp['decode'][ti]:.4f}, prefill {p / pp['prefill'][ti]:.4f};"
                      f" peer / our as-built floor {pp['decode'][ti] / fl:.2f}")


if __name__ == "__main__":
    main()
