"""bench/peers orchestrator: checks every contender's greedy tokens and code ids against native cbk,
then times the ones that agree, interleaved (A B C A B C ...), and writes results.md + results.json.

    /usr/bin/python3 bench/peers/run.py --build BUILD_DIR [--quick] [--rounds N] [--web-root DIR]
                                         [--models tokfsm,pythia70m,pythia410m] [--chromium]

run.sh installs and builds what this needs; see bench/peers/README.md for the protocol.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3"
CHECK_NEW = 8
MB = 1 << 20


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def model_specs(build, quick):
    """name -> (cbk path, maker command or None, optional)."""
    return {
        "tokfsm": (os.path.join(ROOT, "models", "tokfsm.cbk"), None, False),
        "pythia70m": (os.path.join(build, "pythia70m-cb.cbk"),
                      [PY, os.path.join(HERE, "make_models.py"), "pythia70m"], False),
        "pythia410m": (os.path.join(build, "pythia410m-cb.cbk"),
                       [PY, os.path.join(HERE, "make_models.py"), "pythia410m"], True),
    }


def ensure_file(path, command, inputs):
    """Runs `command + [path]` unless path exists and is newer than every input."""
    if os.path.exists(path) and all(os.path.getmtime(path) >= os.path.getmtime(i) for i in inputs):
        return
    log("writing", os.path.relpath(path, ROOT))
    subprocess.run(command + [path], check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, OMP_NUM_THREADS="1"))


def contenders(build, web_root, chromium):
    node = "node"
    out = [
        ("cbk native", lambda m, o: [os.path.join(build, "cbk_peer_runner"), m]),
        ("PyTorch eager", lambda m, o: [PY, os.path.join(HERE, "torch_runner.py"), m]),
        ("ONNX Runtime (node)", lambda m, o: [node, os.path.join(HERE, "ort_runner.mjs"), "node", o]),
    ]
    if web_root:
        out.append(("cbk WASM (Node)", lambda m, o: [node, os.path.join(HERE, "cbk_wasm_runner.mjs"), web_root, m]))
    out.append(("onnxruntime-web (Node)", lambda m, o: [node, os.path.join(HERE, "ort_runner.mjs"), "web", o]))
    if chromium:
        args = [node, os.path.join(HERE, "chromium_runner.mjs"), web_root or "-"]
        if web_root:
            out.append(("cbk WASM (Chromium)", lambda m, o: args + ["cbk", m]))
        out.append(("onnxruntime-web (Chromium)", lambda m, o: args + ["ort", o]))
    return out


def first_difference(ref, got):
    if ref["tokens"] != got["tokens"]:
        return "tokens %s != cbk %s" % (got["tokens"], ref["tokens"])
    for c, (a, b) in enumerate(zip(ref["codes"], got["codes"])):
        if a != b:
            for g, (ga, gb) in enumerate(zip(a, b)):
                for t, (ta, tb) in enumerate(zip(ga, gb)):
                    if ta != tb:
                        return "codebook %d group %d position %d: ids %s != cbk %s" % (c, g, t, tb, ta)
            return "codebook %d: shape differs" % c
    if len(ref["codes"]) != len(got["codes"]):
        return "%d codebooks != cbk %d" % (len(got["codes"]), len(ref["codes"]))
    return None


def run_one(cmd, phases, timeout):
    r = subprocess.run(cmd + [str(CHECK_NEW)] + [str(p) for p in phases], capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, OMP_NUM_THREADS="1"))
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3]), r.returncode, r.stderr.strip()[-800:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


def kv_bytes(arch, ctx):
    return 2 * arch["n_layers"] * ctx * arch["d_model"] * 4


def bench_model(name, cbk_path, onnx_path, conts, rounds, phases, timeout):
    prefill_len, dprompt, dnew = phases
    rows = {c[0]: {"runs": [], "status": "ok", "runtime": None} for c in conts}
    ref = None
    for r in range(rounds):
        for label, make in conts:
            row = rows[label]
            if row["status"] != "ok":
                continue
            try:
                res = run_one(make(cbk_path, onnx_path), phases, timeout)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                row["status"] = "failed: %s" % str(e)[:400]
                log("  %s: %s" % (label, row["status"]))
                continue
            if label == "cbk native" and ref is None:
                ref = {"tokens": res["tokens"], "codes": res["codes"]}
            diff = first_difference(ref, res) if ref is not None else "no cbk reference run"
            if diff:
                row["status"] = "DISAGREES with cbk: " + diff
                log("  %s: %s" % (label, row["status"]))
                continue
            res.pop("codes")
            row["runtime"] = res.pop("runtime", None)
            row["runs"].append(res)
            clock = "cpu" if res["prefill"]["cpu"] is not None else "wall"
            log("  round %d %-28s prefill %.3fs decode %.3fs (%s)" % (r, label, res["prefill"][clock],
                                                                     res["decode"][clock], clock))
    for row in rows.values():
        runs = row.pop("runs")
        if not runs:
            continue

        def med(key, clock):
            vals = [x[key][clock] for x in runs if key in x]
            return statistics.median(vals) if vals else None

        row["n_runs"] = len(runs)
        for clock in ("cpu", "wall"):
            if any(x["prefill"][clock] is None for x in runs):  # a page has no CPU clock
                continue
            m = {"prefill_tok_s": prefill_len / med("prefill", clock), "decode_tok_s": dnew / med("decode", clock),
                 "ttft_ms": 1e3 * med("ttft", clock), "load_ms": 1e3 * med("load", clock)}
            if med("decode_trace", clock):
                m["prefill_trace_tok_s"] = prefill_len / med("prefill_trace", clock)
                m["decode_trace_tok_s"] = dnew / med("decode_trace", clock)
            row[clock] = m
        rss = [x["rss_kb"] for x in runs if x.get("rss_kb")]
        row["rss_mb"] = statistics.median(rss) / 1024 if rss else None
        row["raw"] = runs
    return rows


def fmt(v, digits=0):
    if v is None:
        return "–"
    return ("{:,.%df}" % digits).format(v).replace(",", " ")


def render(results, meta):
    out = ["# bench/peers results", "",
           "Generated by `bash bench/peers/run.sh%s` on %s." % (" --quick" if meta["quick"] else "", meta["date"]),
           "", "- CPU: %s; %d cores online; %s" % (meta["cpu"], meta["cores"], meta["machine_note"]),
           "- cbk WebAssembly module: %s" % meta["web_root"],
           "- Load (`uptime`) before: %s" % meta["load_before"], "- Load after: %s" % meta["load_after"],
           "- Rounds: %d, interleaved (every contender once per round, in the order of the table); medians. "
           "Throughput, TTFT and load are **process CPU time** (stable on a shared machine; wall-clock figures "
           "are in results.json), except Chromium columns (wall clock: a page has no CPU clock)." % meta["rounds"],
           "- Protocol: prompt ids (i·7+1) mod vocab; greedy; prefill = one %d-token prompt; decode = %d new "
           "tokens after a %d-token prompt (TTFT = that prompt's prefill + the first argmax); one warm-up of each "
           "phase per process; load = file → ready to run. Every contender's 8 greedy tokens and every code id "
           "(all codebooks, groups, slots and positions) after a 16-token prompt are compared with native cbk's "
           "first; a contender that disagrees is not timed." % tuple(meta["phases_default"]),
           "- Single thread everywhere: torch.set_num_threads(1) + OMP_NUM_THREADS=1 (OpenBLAS); ONNX Runtime "
           "intra/inter-op threads 1; onnxruntime-web numThreads 1 (WASM SIMD); cbk one thread.", ""]
    for name, res in results.items():
        m = res["model"]
        if res.get("skipped"):
            out += ["## %s" % name, "", "Skipped: %s" % res["skipped"], ""]
            continue
        out += ["## %s" % name, "",
                "%s; file %s MB (ONNX %s MB); decode %d new tokens; KV cache for the run's %d positions %s MB." % (
                    m["shape"], fmt(m["file_mb"], 1), fmt(m["onnx_mb"], 1), m["phases"][2], m["ctx"],
                    fmt(m["kv_mb"], 1)), ""]
        out += ["| contender | agrees with cbk | prefill tok/s | decode tok/s | TTFT ms | load ms | peak RSS MB | "
                "cbk native ÷ it: prefill | decode |", "|---|---|---|---|---|---|---|---|---|"]
        rows = res["rows"]
        for label, row in rows.items():
            clock = "cpu" if "cpu" in row else "wall"
            mm = row.get(clock)
            if not mm:
                out.append("| %s | %s | – | – | – | – | – | – | – |" % (label, row["status"]))
                continue
            nat = rows["cbk native"].get(clock, {})
            rp = nat.get("prefill_tok_s", 0) / mm["prefill_tok_s"] if label != "cbk native" else None
            rd = nat.get("decode_tok_s", 0) / mm["decode_tok_s"] if label != "cbk native" else None
            tag = "" if clock == "cpu" else " (wall)"
            out.append("| %s%s | yes (%d run(s)) | %s | %s | %s | %s | %s | %s | %s |" % (
                label, tag, row["n_runs"], fmt(mm["prefill_tok_s"]), fmt(mm["decode_tok_s"], 1),
                fmt(mm["ttft_ms"], 1), fmt(mm["load_ms"]), fmt(row["rss_mb"]),
                (fmt(rp, 2) + "×") if rp else "", (fmt(rd, 2) + "×") if rd else ""))
        nat = rows["cbk native"].get("cpu", {})
        versions = sorted({row["runtime"] for row in rows.values() if row.get("runtime")})
        out += ["", "Runtimes: " + "; ".join(versions) + "."]
        if "decode_trace_tok_s" in nat:
            out += ["", "cbk native with the code trace on: prefill %s tok/s (%s %%), decode %s tok/s (%s %%)." % (
                fmt(nat["prefill_trace_tok_s"]), fmt(100 * (nat["prefill_tok_s"] / nat["prefill_trace_tok_s"] - 1), 1),
                fmt(nat["decode_trace_tok_s"], 1), fmt(100 * (nat["decode_tok_s"] / nat["decode_trace_tok_s"] - 1), 1))
                + " (overhead = time with trace ÷ time without − 1)"]
        out.append("")
    out += targets(results)
    return "\n".join(out)


def _speed(rows, label, clock, key):
    row = rows.get(label, {})
    return row.get(clock, {}).get(key)


def _ratio_line(results, what, num, den, clock, goal, keys=("decode_tok_s", "prefill_tok_s")):
    """One target row: num / den for every model (and each key), met when every ratio >= goal."""
    parts, met, missing = [], True, False
    for name, res in results.items():
        if res.get("skipped"):
            continue
        for key in keys:
            a, b = _speed(res["rows"], num, clock, key), _speed(res["rows"], den, clock, key)
            phase = key.split("_")[0]
            if a is None or b is None:
                parts.append("%s %s: not measured" % (name, phase))
                missing = True
                continue
            parts.append("%s %s %s×" % (name, phase, fmt(a / b, 2)))
            met = met and a / b >= goal
    verdict = "not measured" if missing and not parts else ("**met**" if met and not missing else
                                                             ("**not met**" if not met else "partly measured"))
    return "| %s | %s | %s |" % (what, "; ".join(parts), verdict)


def targets(results):
    out = ["## Targets (ratios from this run)", "", "| target | ratios | verdict |", "|---|---|---|"]
    out.append(_ratio_line(results, "native decode ≥ 3× PyTorch", "cbk native", "PyTorch eager", "cpu", 3,
                           ("decode_tok_s",)))
    out.append(_ratio_line(results, "native decode ≥ 1.5× ONNX Runtime", "cbk native", "ONNX Runtime (node)", "cpu",
                           1.5, ("decode_tok_s",)))
    out.append(_ratio_line(results, "native prefill ≥ 2× PyTorch", "cbk native", "PyTorch eager", "cpu", 2,
                           ("prefill_tok_s",)))
    out.append(_ratio_line(results, "WASM ≥ 2× onnxruntime-web, Node (CPU time)", "cbk WASM (Node)",
                           "onnxruntime-web (Node)", "cpu", 2))
    out.append(_ratio_line(results, "WASM ≥ 2× onnxruntime-web, Chromium (wall)", "cbk WASM (Chromium)",
                           "onnxruntime-web (Chromium)", "wall", 2))
    out.append(_ratio_line(results, "WASM / native ≥ 0.55 (Node, CPU time)", "cbk WASM (Node)", "cbk native", "cpu",
                           0.55))
    parts, met = [], True
    for name, res in results.items():
        row = (res.get("rows") or {}).get("cbk native", {})
        if row.get("rss_mb") is None:
            continue
        m = res["model"]
        limit = m["file_mb"] + m["kv_mb"] + 16
        parts.append("%s %s MB ≤ %s MB" % (name, fmt(row["rss_mb"], 1), fmt(limit, 1)))
        met = met and row["rss_mb"] <= limit
    out.append("| native peak RSS ≤ file + KV cache + 16 MB | %s | %s |" % ("; ".join(parts),
                                                                          "**met**" if met else "**not met**"))
    out.append("")
    return out


def prepare_and_bench(name, cbk_path, maker, build, conts, rounds, decode_new, timeout):
    if maker:
        ensure_file(cbk_path, maker, [])  # deterministic: written once
    onnx_path = os.path.join(build, name + ".onnx")
    exporter = os.path.join(HERE, "export_onnx.py")
    ensure_file(onnx_path, [PY, exporter, cbk_path],
                [cbk_path, exporter, os.path.join(HERE, "torch_model.py")])
    with open(onnx_path + ".json") as f:
        shape = json.load(f)
    arch = json.loads(subprocess.run([PY, "-c", "import sys,json; sys.path.insert(0,%r); "
                                      "from cbkfile.reader import read_cbk; "
                                      "print(json.dumps(read_cbk(%r).architecture))" %
                                      (os.path.join(ROOT, "tools", "python"), cbk_path)],
                                     capture_output=True, text=True, check=True).stdout)
    new = min(decode_new, arch["max_positions"] - 16)
    phases = (min(128, arch["max_positions"]), 16, new)
    ctx = max(16 + CHECK_NEW, phases[0], phases[1] + phases[2])
    model = {"shape": "%s, %d layers, d %d, %d heads, vocab %d, %d codebooks" % (
                 arch["family"], arch["n_layers"], arch["d_model"], arch["n_heads"], arch["vocab_size"],
                 shape["codebooks"]),
             "file_mb": os.path.getsize(cbk_path) / MB, "onnx_mb": os.path.getsize(onnx_path) / MB,
             "phases": phases, "ctx": ctx, "kv_mb": kv_bytes(arch, ctx) / MB}
    log("%s: %s" % (name, model["shape"]))
    rows = bench_model(name, cbk_path, onnx_path, conts, rounds, phases, timeout)
    return {"model": model, "rows": rows}


def web_source(web_root):
    """Where the WebAssembly module came from: this checkout, or another one and its commit."""
    if not web_root:
        return "none (web/ not in this checkout): WASM columns pending"
    if os.environ.get("CBK_WEB_NOTE"):  # e.g. a snapshot of another checkout's build
        return os.environ["CBK_WEB_NOTE"]
    head = subprocess.run(["git", "-C", web_root, "log", "-1", "--format=%h %cs"], capture_output=True,
                          text=True).stdout.strip()
    where = "this checkout" if os.path.abspath(web_root) == ROOT else web_root
    return "%s (commit %s), build-web/cbk.wasm" % (where, head or "?")


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--models")
    ap.add_argument("--web-root", default="")
    ap.add_argument("--chromium", action="store_true")
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--timeout", type=int, default=900)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    rounds = a.rounds or 5
    names = a.models.split(",") if a.models else (["tokfsm", "pythia70m"] if a.quick else
                                                   ["tokfsm", "pythia70m", "pythia410m"])
    specs = model_specs(build, a.quick)
    conts = contenders(build, a.web_root, a.chromium)
    load_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    decode_new = 32 if a.quick else 128
    results = {}
    for name in names:
        cbk_path, maker, optional = specs[name]
        try:
            results[name] = prepare_and_bench(name, cbk_path, maker, build, conts, rounds, decode_new, a.timeout)
        except (subprocess.CalledProcessError, OSError, MemoryError) as e:
            if not optional:
                raise
            log("%s skipped: %s" % (name, e))
            results[name] = {"model": None, "skipped": "%s (optional model)" % str(e)[:300]}
    meta = {"quick": a.quick, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu_name(),
            "cores": os.cpu_count(), "load_before": load_before,
            "load_after": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
            "rounds": rounds, "phases_default": (128, decode_new, 16),
            "machine_note": os.environ.get("CBK_PEERS_MACHINE_NOTE", ""),
            "web_root": web_source(a.web_root)}
    text = render(results, meta)
    os.makedirs(a.out, exist_ok=True)
    print(text)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
