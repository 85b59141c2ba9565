#!/usr/bin/python3
"""BitNet b1.58 2B-shaped benchmark: import, compile, prefill/decode speed, floors.

usage: run_bitnet2b.py [--dir DIR] [--tag NAME] [--bin DIR] [--layers 30] [--vocab 128256]
                       [--stages gen,import,compile,stream,run] [--threads 1,2]
                       [--prompt-len 128] [--max-new-tokens 16] [--max-context 256]
                       [--mem-limit-gb 18] [--timeout-import 900] [--timeout-compile 3600]
                       [--timeout-run 3600] [--keep] [--json FILE]

Stages (each bounded by a timeout and by a resident-memory watchdog that kills
the process tree above --mem-limit-gb):
  gen      bench/gen_bitnet2b.py into DIR/TAG (scratch, not in git; DIR defaults to
           $BITNET_BENCH_DIR or /tmp/bitnet2b-bench)
  import   /usr/bin/time -v bitnet-compile model.onnx --emit=mlir -o /dev/null
           (wall time, peak RSS, ratio of peak RSS to the on-disk size model.onnx +
           model.onnx.data); then the importer's own "importing ... done in" time
           (printed for library outputs only) from a `-o model.so` compile that is
           stopped as soon as that line appears
  compile  /usr/bin/time -v bitnet-compile model.onnx --kv-cache -o model.so
  stream   bench/stream_read.c built with clang-22 -O2 -march=native, 1 GiB read-sum, per thread count
  run      /usr/bin/time -v bitnet-run model.so --generate --prompt-ids <prompt-len ids>
           --max-new-tokens N --threads T --max-context C  (prefill / decode tokens/s from
           its stderr line, peak RSS)
Then prints the decode floors (weight + KV bytes read per token / stream bandwidth at
T threads), ours vs floor, and ours vs the peers: those quoted in issue #7, or figures
measured on this machine given with --peer (llama-bench pp128 / tg32 of a peer built
beside the project; docs/Benchmarks.md says how).
Unless --keep, the scratch model directory is deleted at the end.
"""
import argparse, hashlib, json, os, re, shutil, signal, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.join(ROOT, "build", "bin")

# Quoted from the issue (#7), measured by its author on the same kind of 2-core machine;
# NOT re-measured here.
PEERS = {
    "bitnet.cpp I2_S": {"decode": {1: 8.6, 2: 13.2}, "prefill": {1: 38.2, 2: 67.3}},
    "llama.cpp TQ2_0": {"decode": {1: 8.5, 2: 15.7}, "prefill": {1: 23.4, 2: 46.0}},
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def tree_rss_kb(pid):
    """Resident set of pid and all its descendants (kB), from /proc."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            kids.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError):
            pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except OSError:
            pass
        todo += kids.get(p, [])
    return total


def timed(cmd, timeout, mem_limit_kb, cwd=None, stdout=subprocess.DEVNULL):
    """Run cmd under /usr/bin/time -v with a timeout and an RSS watchdog.
    Returns dict(rc, wall_s, max_rss_kb, stderr, killed)."""
    full = ["/usr/bin/time", "-v"] + cmd
    log("$ " + " ".join(cmd if len(" ".join(cmd)) < 400 else cmd[:4] + ["..."]))
    t0 = time.time()
    errf = open(os.path.join(cwd or "/tmp", ".bench_stderr"), "w+")
    p = subprocess.Popen(full, cwd=cwd, stdout=stdout, stderr=errf, start_new_session=True)
    killed, watch_peak = None, 0
    while p.poll() is None:
        time.sleep(0.5)
        rss = tree_rss_kb(p.pid)
        watch_peak = max(watch_peak, rss)
        if time.time() - t0 > timeout:
            killed = f"timeout after {timeout} s"
        elif rss > mem_limit_kb:
            killed = f"resident memory {rss / 2**20:.1f} GiB over the limit {mem_limit_kb / 2**20:.1f} GiB"
        if killed:
            os.killpg(p.pid, signal.SIGKILL)  # only the group we started
            p.wait()
            break
    wall = time.time() - t0
    errf.seek(0)
    err = errf.read()
    errf.close()
    os.unlink(errf.name)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    # bitnet-* output only; /usr/bin/time's own report starts with "\tCommand being timed"
    own = err.split("\tCommand being timed")[0]
    return dict(rc=p.returncode, wall_s=round(wall, 2), killed=killed,
                max_rss_kb=int(m.group(1)) if m else watch_peak, watch_peak_kb=watch_peak,
                stderr=own.strip())


def stage_times(err):
    """bitnet-compile prints '<stage> ...' then '  done in N ms'."""
    out, cur = {}, None
    for line in err.splitlines():
        m = re.match(r"bitnet-compile: (\S.*?) \.\.\.$", line)
        if m:
            cur = m.group(1).split(" ")[0]
            continue
        m = re.match(r"bitnet-compile:\s+done in (\d+) ms", line)
        if m and cur:
            out[cur] = int(m.group(1)) / 1000.0
    return out


def import_stage_time(compiler, onnx_path, cwd, timeout, mem_limit_kb):
    """The "importing ... done in N ms" time of bitnet-compile, which prints its stage
    times for library outputs only: compiles to a scratch .so and stops the compiler
    (its process group) as soon as the import stage is reported. Seconds or None."""
    so = os.path.join(cwd, ".import_stage.so")
    errf = open(os.path.join(cwd, ".import_stage_stderr"), "w+")
    p = subprocess.Popen([compiler, onnx_path, "-o", so], cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=errf, start_new_session=True)
    t0, secs = time.time(), None
    while True:
        done = p.poll() is not None
        errf.seek(0)
        secs = stage_times(errf.read()).get("importing")
        if done or secs is not None or time.time() - t0 > timeout or tree_rss_kb(p.pid) > mem_limit_kb:
            break
        time.sleep(0.2)
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)  # only the group we started
        p.wait()
    errf.close()
    os.unlink(errf.name)
    if os.path.exists(so):
        os.unlink(so)
    return secs


def gb(x):
    return x / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.environ.get("BITNET_BENCH_DIR", "/tmp/bitnet2b-bench"))
    ap.add_argument("--tag", default=None, help="subdirectory name (default L<layers>-V<vocab>)")
    ap.add_argument("--bin", default=BIN, help="directory of bitnet-compile and bitnet-run "
                    "(default: build/bin of this checkout)")
    ap.add_argument("--layers", type=int, default=30)
    ap.add_argument("--vocab", type=int, default=128256)
    ap.add_argument("--gen-args", default="", help="extra arguments for gen_bitnet2b.py")
    ap.add_argument("--stages", default="gen,import,compile,stream,run")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    ap.add_argument("--max-context", type=int, default=256)
    ap.add_argument("--mem-limit-gb", type=float, default=18.0)
    ap.add_argument("--timeout-gen", type=int, default=900)
    ap.add_argument("--timeout-import", type=int, default=900)
    ap.add_argument("--timeout-compile", type=int, default=3600)
    ap.add_argument("--timeout-run", type=int, default=3600)
    ap.add_argument("--keep", action="store_true", help="keep the scratch model directory")
    ap.add_argument("--json", default=None, help="append the results (one JSON object) to FILE")
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=P1,P2,D1,D2",
                    help="a peer measured on this machine: prefill-128 and decode tokens/s "
                    "at 1 and 2 threads; replaces the quoted peers (repeatable)")
    a = ap.parse_args()
    peers = PEERS
    if a.peer:
        peers = {}
        for spec in a.peer:
            name, _, nums = spec.partition("=")
            try:
                p1, p2, d1, d2 = (float(x) for x in nums.split(","))
            except ValueError:
                ap.error(f"--peer {spec!r}: expected NAME=P1,P2,D1,D2")
            peers[name] = {"decode": {1: d1, 2: d2}, "prefill": {1: p1, 2: p2}}
    bindir = os.path.abspath(a.bin)
    stages = set(a.stages.split(","))
    threads = [int(t) for t in a.threads.split(",")]
    tag = a.tag or f"L{a.layers}-V{a.vocab}"
    mdir = os.path.join(a.dir, tag)
    os.makedirs(mdir, exist_ok=True)
    lim = int(a.mem_limit_gb * 2**20)
    onnx_path = os.path.join(mdir, "model.onnx")
    res = dict(tag=tag, host=os.uname().nodename, started=time.strftime("%Y-%m-%d %H:%M:%S"),
               loadavg_start=open("/proc/loadavg").read().split()[:3],
               tools={b: dict(mtime=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(
                   os.path.join(bindir, b)))), sha256=hashlib.sha256(open(os.path.join(bindir, b), "rb").read())
                   .hexdigest()[:16]) for b in ("bitnet-compile", "bitnet-run")})

    # ------------------------------------------------------------------ gen
    if "gen" in stages or not os.path.exists(onnx_path):
        r = timed(["/usr/bin/python3", os.path.join(HERE, "gen_bitnet2b.py"), "--out", mdir,
                   "--layers", str(a.layers), "--vocab", str(a.vocab)] + a.gen_args.split(),
                  a.timeout_gen, lim)
        res["gen"] = {k: r[k] for k in ("rc", "wall_s", "max_rss_kb", "killed")}
        if r["rc"] != 0:
            res["gen"]["error"] = r["stderr"][-2000:]
            print(json.dumps(res, indent=1))
            sys.exit(1)
    info = json.load(open(onnx_path + ".json"))
    res["model"] = info
    disk = info["onnx_bytes"] + info["data_bytes"]
    res["disk_bytes"] = disk

    # ------------------------------------------------------------------ import
    if "import" in stages:
        res["import_loadavg_start"] = open("/proc/loadavg").read().split()[:3]
        r = timed([os.path.join(bindir, "bitnet-compile"), onnx_path, "--emit=mlir", "-o", "/dev/null"],
                  a.timeout_import, lim, cwd=mdir)
        res["import"] = dict(rc=r["rc"], killed=r["killed"], wall_s=r["wall_s"],
                             import_stage_s=None, max_rss_kb=r["max_rss_kb"],
                             rss_over_disk=round(r["max_rss_kb"] * 1024 / disk, 3))
        if r["rc"] != 0:
            res["import"]["error"] = r["stderr"][-2000:]
        else:
            res["import"]["import_stage_s"] = import_stage_time(
                os.path.join(bindir, "bitnet-compile"), onnx_path, mdir, a.timeout_import, lim)
        log("import:", res["import"])

    # ------------------------------------------------------------------ compile
    so = os.path.join(mdir, "model.so")
    if "compile" in stages and os.path.exists(so):
        os.unlink(so)  # never run a stale library
    if "compile" in stages and res.get("import", {}).get("rc", 0) != 0:
        res["compile"] = dict(rc=None, skipped="the import failed: " + str(res["import"].get("killed")))
        log("compile: skipped, the import failed")
    elif "compile" in stages:
        r = timed([os.path.join(bindir, "bitnet-compile"), onnx_path, "--kv-cache", "-o", so],
                  a.timeout_compile, lim, cwd=mdir)
        res["compile"] = dict(rc=r["rc"], killed=r["killed"], wall_s=r["wall_s"],
                              stages_s=stage_times(r["stderr"]), max_rss_kb=r["max_rss_kb"],
                              so_bytes=os.path.getsize(so) if r["rc"] == 0 and os.path.exists(so) else None)
        if r["rc"] != 0:
            res["compile"]["error"] = r["stderr"][-3000:]
        log("compile:", res["compile"])

    # ------------------------------------------------------------------ stream
    bw = {}
    if "stream" in stages or "run" in stages:
        exe = os.path.join(a.dir, "stream_read")
        subprocess.run(["clang-22", "-O2", "-march=native", "-pthread", os.path.join(HERE, "stream_read.c"),
                        "-o", exe], check=True)
        for t in threads:
            out = subprocess.run([exe, "1024", str(t), "5"], capture_output=True, text=True, check=True).stdout
            bw[t] = float(re.search(r"GBps=([\d.]+)", out).group(1))
        res["stream_GBps"] = bw
        log("stream:", bw)

    # ------------------------------------------------------------------ run
    if "run" in stages and os.path.exists(so):
        ids = ",".join(str(1 + (i * 7919) % (a.vocab - 1)) for i in range(a.prompt_len))
        res["run"] = {}
        for t in threads:
            r = timed([os.path.join(bindir, "bitnet-run"), so, "--generate", "--prompt-ids", ids,
                       "--max-new-tokens", str(a.max_new_tokens), "--threads", str(t),
                       "--max-context", str(a.max_context), "--print-ids"],
                      a.timeout_run, lim, cwd=mdir)
            m = re.search(r"prefill: (\d+) tokens in ([\d.]+) ms \(([\d.]+) tokens/s\); "
                          r"decode: (\d+) tokens in ([\d.]+) ms \(([\d.]+) tokens/s\)", r["stderr"])
            e = dict(rc=r["rc"], killed=r["killed"], wall_s=r["wall_s"], max_rss_kb=r["max_rss_kb"])
            if m:
                # tokens/s recomputed from tokens and ms (bitnet-run prints 1 decimal)
                e.update(prefill_tokens=int(m.group(1)), prefill_ms=float(m.group(2)),
                         prefill_tps=round(int(m.group(1)) * 1000.0 / float(m.group(2)), 4),
                         decode_tokens=int(m.group(4)), decode_ms=float(m.group(5)),
                         decode_tps=round(int(m.group(4)) * 1000.0 / float(m.group(5)), 4))
            else:
                e["error"] = r["stderr"][-2000:]
            res["run"][t] = e
            log(f"run T={t}:", e)

    # ------------------------------------------------------------------ floors and ratios
    L, H, V = info["layers"], info["hidden"], info["vocab"]
    HKV, D = info["kv_heads"], info["head_dim"]
    tern = info["ternary_params"]
    w_tern = tern / 4                      # 2 bits per ternary weight (as packed in model.so)
    # LM head, read whole per token: float32, or int8 + a float32 scale per column.
    w_head = H * V + V * 4 if info.get("head") in ("int8pc", "int8a8") else H * V * 4
    w_small = L * (4 * H + 0 * 0) * 4 + L * 7 * 4  # norms (approx.) + scales, negligible
    ctx = a.prompt_len + a.max_new_tokens / 2      # mean cache length during decode
    kv = 2 * L * HKV * D * 4 * ctx                 # float32 K and V read per token
    per_tok = dict(ternary_2bit=w_tern, head=w_head, kv_f32=kv, other=w_small + H * 4)
    res["bytes_per_token"] = per_tok
    tot = sum(per_tok.values())
    res["floor"] = {}
    for t, b in bw.items():
        res["floor"][t] = dict(as_built_tps=round(b * 1e9 / tot, 2),
                               ternary_only_tps=round(b * 1e9 / (w_tern + kv), 2))
    if "run" in res:
        res["peers"] = {"source": "--peer (measured here)" if a.peer else "issue #7 (quoted)",
                        **peers}
        res["ratios"] = {}
        for t, e in res["run"].items():
            if "decode_tps" not in e:
                continue
            rr = {}
            if t in res["floor"]:
                rr["decode_vs_floor_as_built"] = round(e["decode_tps"] / res["floor"][t]["as_built_tps"], 4)
                rr["decode_vs_floor_ternary_only"] = round(e["decode_tps"] / res["floor"][t]["ternary_only_tps"], 4)
            for peer, p in peers.items():
                if t in p["decode"]:
                    rr[f"decode_vs_{peer}"] = round(e["decode_tps"] / p["decode"][t], 4)
                    rr[f"prefill_vs_{peer}"] = round(e["prefill_tps"] / p["prefill"][t], 4)
            res["ratios"][t] = rr
    res["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    print(json.dumps(res, indent=1))
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(res) + "\n")
    if not a.keep:
        shutil.rmtree(mdir, ignore_errors=True)
        log("removed", mdir)


if __name__ == "__main__":
    main()
