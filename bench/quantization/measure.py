#!/usr/bin/python3
"""What quantized storage does to a model, measured by the C++ runtime: for each variant written by
tools/python/requantize.py (weights f16/int8; codebooks exact f16/int8 and the lossy tables), the
share of code ids unchanged against the f32 file, the LM loss and next-token accuracy (`cbk eval`
on token ids, or `cbk fsm-eval` for a TokFSM model), the file size and the decode speed
(`cbk bench`, best of its runs; medians over --repeats invocations).

    /usr/bin/python3 bench/quantization/measure.py CBK_BINARY MODEL.cbk OUT_DIR [--sequences N] [--repeats R]

Prompts: for a model with the "fsm.transitions" extra, fresh TokFSM sequences (cbk_reference.fsm,
seed 1234); otherwise random token ids. Prints a Markdown table.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "python"))

VARIANTS = [  # (label, codebook dtype, weight dtype)
    ("f32 (as trained)", "f32", "f32"),
    ("codebooks int8 exact", "int8", "f32"),
    ("codebooks f16 exact", "f16", "f32"),
    ("codebooks int8-lossy", "int8-lossy", "f32"),
    ("codebooks f16-lossy", "f16-lossy", "f32"),
    ("weights f16", "f32", "f16"),
    ("weights int8", "f32", "int8"),
    ("weights int8 + codebooks int8 exact", "int8", "int8"),
]


def run_json(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(map(str, cmd)), r.stderr.strip()))
    return json.loads(r.stdout)


def prompts(model_path, n):
    from cbkfile.rewrite import load_as_writer
    w, _ = load_as_writer(model_path)
    if any(e.name == "fsm.transitions" for e in w.extras):
        import numpy as np
        from cbk_reference.fsm import TokFSM
        fsm = TokFSM()  # the FSM of seed 42 (the model's); fresh sequences from another stream
        fsm.rng = np.random.default_rng(1234)
        return [fsm.sample() for _ in range(n)], True
    import numpy as np
    rng = np.random.default_rng(1234)
    vocab = w.architecture["vocab_size"]
    return [list(map(int, rng.integers(0, vocab, 64))) for _ in range(n)], False


def trace_ids(cbk, model, tokens, tmp):
    path = os.path.join(tmp, "trace.json")
    subprocess.run([cbk, "generate", model, "--prompt-ids", ",".join(map(str, tokens)), "-n", "0", "--trace", path],
                   check=True, capture_output=True)
    doc = json.load(open(path))
    return [(c["layer"], c["site"], c["group"], c["ids"]) for c in doc["codes"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cbk")
    ap.add_argument("model")
    ap.add_argument("out_dir")
    ap.add_argument("--sequences", type=int, default=32, help="prompts for the code-id comparison")
    ap.add_argument("--fsm-sequences", type=int, default=2048, help="cbk fsm-eval --sequences")
    ap.add_argument("--repeats", type=int, default=3, help="cbk bench invocations per variant (median)")
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    seqs, is_fsm = prompts(a.model, a.sequences)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        reference = None
        for label, cdt, wdt in VARIANTS:
            path = os.path.join(a.out_dir, "%s-cb_%s-w_%s.cbk" % (Path(a.model).stem, cdt, wdt))
            subprocess.run([sys.executable, str(ROOT / "tools" / "python" / "requantize.py"), a.model, "-o", path,
                            "--codebook-dtype", cdt, "--weight-dtype", wdt], check=True, capture_output=True)
            traces = [trace_ids(a.cbk, path, s, tmp) for s in seqs]
            if reference is None:
                reference = traces
            same = total = same_tokens = tokens = 0
            for ref, got in zip(reference, traces):
                per_token = None
                for (l1, s1, g1, ids1), (l2, s2, g2, ids2) in zip(ref, got):
                    assert (l1, s1, g1) == (l2, s2, g2)
                    if per_token is None:
                        per_token = [True] * len(ids1)
                    for t, (x, y) in enumerate(zip(ids1, ids2)):
                        same += sum(int(u == v) for u, v in zip(x, y))
                        total += len(x)
                        per_token[t] = per_token[t] and x == y
                same_tokens += sum(per_token)
                tokens += len(per_token)
            if is_fsm:
                ev = run_json([a.cbk, "fsm-eval", path, "--json", "--sequences", str(a.fsm_sequences),
                               "--samples", "0", "--pairs", "0"])
                loss, acc = ev["lm"]["loss"], ev["lm"]["next_token_accuracy"]
            else:
                ids_file = os.path.join(tmp, "ids.txt")
                with open(ids_file, "w") as f:
                    f.write("\n".join(",".join(map(str, s)) for s in seqs))
                ev = run_json([a.cbk, "eval", path, ids_file, "--ids", "--json"])
                loss, acc = ev["loss"], ev["accuracy"]
            speeds = [run_json([a.cbk, "bench", path, "--json"])["decode_tokens_per_second"] for _ in range(a.repeats)]
            rows.append((label, os.path.getsize(path), same / total, same_tokens / tokens, loss, acc,
                         statistics.median(speeds)))
    base_speed = rows[0][6]
    print("| storage | file | code ids unchanged (slots / whole tokens) | loss | next-token acc | decode tok/s | vs f32 |")
    print("|---|---|---|---|---|---|---|")
    for label, size, ids, tok, loss, acc, speed in rows:
        print("| %s | %.2f MB | %.2f %% / %.2f %% | %.4f | %.2f %% | %.0f | %.2fx |" % (
            label, size / 1e6, 100 * ids, 100 * tok, loss, 100 * acc, speed, speed / base_speed))


if __name__ == "__main__":
    main()
