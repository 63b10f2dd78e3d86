#!/usr/bin/python3
"""TokFSM metrics against training tokens, measured by the C++ runtime.

    /usr/bin/python3 tools/python/tokfsm_curve.py --cbk build/tools/cbk --out DIR SNAPSHOT.pt...

Each SNAPSHOT is a copy of a run's OUT/resume.pt (or OUT/base_done.pt: measured after the k-means
init, i.e. at 0 fine-tune steps). Each is exported (tokfsm/snapshot.py), converted with convert.py and
measured with `cbk fsm-eval --json` on the full evaluation; DIR/curve.json collects the results and
a Markdown table is printed. Results already in DIR/curve.json are kept (keyed by snapshot path).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (column, how to read it from `cbk fsm-eval --json`)
COLUMNS = (
    ("loss", lambda d: d["lm"]["loss"]),
    ("next-token acc", lambda d: d["lm"]["next_token_accuracy"]),
    ("first-transition acc", lambda d: d["first_transition_accuracy"]),
    ("sampled state acc", lambda d: d["sampling"]["state_accuracy"]),
    ("best MLP code precision", lambda d: d["state_codes"]["mean_best_code_precision"]),
    ("best neuron precision", lambda d: d["state_codes"]["mean_best_neuron_precision"]),
    ("interchange steering", lambda d: d["steering"]["interchange"]["success"]),
    ("all-MLP rel. JSD", lambda d: next(f["relative"] for f in d["steering"]["figure4"] if f["patching"] == "all_mlp")),
)


def measure(snapshot: Path, out: Path, cbk: str, threads: int) -> dict:
    from tokfsm.snapshot import export_snapshot
    name = snapshot.stem
    ckpt = out / ("ckpt-" + name)
    facts = export_snapshot(snapshot, ckpt)
    model = out / (name + ".cbk")
    subprocess.run([sys.executable, str(HERE / "convert.py"), str(ckpt), "-o", str(model)], check=True,
                   stdout=subprocess.DEVNULL)
    res = subprocess.run([cbk, "fsm-eval", str(model), "--json", "--threads", str(threads)], check=True,
                         capture_output=True, text=True)
    ev = json.loads(res.stdout)
    return {**facts, "metrics": {col: round(float(get(ev)), 6) for col, get in COLUMNS}}


def table(rows) -> str:
    head = "| fine-tune step | fine-tune tokens (M) | " + " | ".join(c for c, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for r in sorted(rows, key=lambda r: r["finetune_tokens"]):
        m = r["metrics"]
        cells = ["%.3f" % m["loss"]] + ["%.1f %%" % (100 * m[c]) for c, _ in COLUMNS[1:7]] + ["%.3f" % m["all-MLP rel. JSD"]]
        lines.append("| %d | %.2f | %s |" % (r["finetune_step"], r["finetune_tokens"] / 1e6, " | ".join(cells)))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("snapshots", nargs="*", type=Path)
    ap.add_argument("--cbk", default="build/tools/cbk", help="the cbk CLI")
    ap.add_argument("--out", required=True, type=Path, help="work directory; curve.json is written there")
    ap.add_argument("--threads", type=int, default=1, help="threads for torch and cbk fsm-eval")
    a = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    sys.path.insert(0, str(HERE))
    import torch
    torch.set_num_threads(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    curve_path = a.out / "curve.json"
    rows = json.loads(curve_path.read_text()) if curve_path.exists() else []
    done = {r["snapshot"] for r in rows}
    for snap in a.snapshots:
        if str(snap) in done:
            continue
        rows.append(measure(snap, a.out, a.cbk, a.threads))
        curve_path.write_text(json.dumps(rows, indent=1) + "\n")
        print("measured", snap, rows[-1]["metrics"], flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
