"""Write a golden JSON file: logits and per-codebook-group code ids/scores for a checkpoint + prompt.

    /usr/bin/python3 tools/python/cbk_reference/golden.py CKPT_DIR --prompt-ids 10,3,4 \
        [--decode-ids 5,6 | --greedy N] [--steering spec.json] [--prefer bin] -o golden.json

The prompt is run as one prefill call; --decode-ids are then fed one token per call (KV cache) and
--greedy N appends N argmax tokens the same way. "generated" steering positions are the decoded ones.
Output: {"format": "cbk-golden-v1", "tokens", "n_prompt", "steering", "logits": [[float]*V]*T,
"codes": [{"layer", "site", "group", "positions", "ids": [[k ids]], "scores": [[k floats|null]]}]}.
Floats are float32 values printed with the shortest round-trip repr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "cbk_reference"

from cbk_reference.checkpoint import load_checkpoint  # noqa: E402
from cbk_reference.steering import Steering  # noqa: E402


def f32(x) -> float:
    return float(repr(np.float32(x)))


def parse_ids(s: str):
    return [int(t) for t in s.split(",") if t.strip() != ""] if s else []


def run(ckpt_dir, prompt_ids, decode_ids=(), greedy=0, steering_spec=None, prefer="safetensors") -> dict:
    model = load_checkpoint(ckpt_dir, prefer=prefer)
    sess = model.session(Steering.from_json(steering_spec))
    rows = [sess.forward(prompt_ids)]
    tokens = list(prompt_ids)
    for t in decode_ids:
        rows.append(sess.forward([t]))
        tokens.append(t)
    for _ in range(greedy):
        nxt = int(np.argmax(rows[-1][-1].numpy()))  # argmax: first (lowest id) maximum
        rows.append(sess.forward([nxt]))
        tokens.append(nxt)
    logits = np.concatenate([r.numpy() for r in rows], axis=0)
    codes = sess.trace.to_json()
    for c in codes:
        c["scores"] = [[None if s is None else f32(s) for s in row] for row in c["scores"]]
    return {"format": "cbk-golden-v1", "checkpoint": Path(ckpt_dir).name, "family": model.base.family,
            "tokens": tokens, "n_prompt": len(prompt_ids), "steering": steering_spec or {},
            "logits": [[f32(v) for v in row] for row in logits], "codes": codes}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--prompt-ids", required=True)
    ap.add_argument("--decode-ids", default="")
    ap.add_argument("--greedy", type=int, default=0)
    ap.add_argument("--steering", help="steering spec JSON file (see steering.py)")
    ap.add_argument("--steering-json", help="steering spec as an inline JSON string")
    ap.add_argument("--prefer", choices=("safetensors", "bin"), default="safetensors")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    spec = json.loads(Path(a.steering).read_text()) if a.steering else (
        json.loads(a.steering_json) if a.steering_json else None)
    out = run(a.checkpoint, parse_ids(a.prompt_ids), parse_ids(a.decode_ids), a.greedy, spec, a.prefer)
    Path(a.output).write_text(json.dumps(out, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
