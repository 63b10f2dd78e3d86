"""State-code annotations for a trained TokFSM model: which FSM state each MLP code stands for.

    python3 -m tokfsm.annotate CKPT_DIR [--sequences N] [--min-precision P]

writes CKPT_DIR/code_annotations.json, which tools/python/convert.py stores in the .cbk file, so that
`cbk generate --show-codes`, `cbk fsm-demo` and the browser demo can name a code ("state 42").

A code is annotated when at least `min_precision` of the tokens it fires on are the second digit of
one state (the paper's "state codes", §3.1). Each annotation
keeps its precision and recall as a classifier of that state, how often it fires among all tokens,
and up to three example contexts (the tokens before the firing position, which is highlighted).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch

from .data import FsmData, state_at_positions
from .model import TokFsmModel, Trace

CONTEXT_TOKENS = 9  # BOS and four states fit when the code fires early
MAX_CONTEXTS = 3


@torch.no_grad()
def state_code_annotations(model: TokFsmModel, n_seqs: int = 512, min_precision: float = 0.8, seed: int = 777,
                           batch: int = 128) -> List[Dict]:
    model.eval()
    data = FsmData(seed=seed)
    layers = [l for l in range(model.shape.n_layers) if model.codebook(l, "mlp") is not None]
    n_codes = {l: model.codebook(l, "mlp").num_codes for l in layers}
    joint = {l: np.zeros((n_codes[l], data.n_states), np.int64) for l in layers}  # second digits only
    fires = {l: np.zeros(n_codes[l], np.int64) for l in layers}                    # every token
    examples: Dict[tuple, List[dict]] = {}
    tokens_seen = 0
    for start in range(0, n_seqs, batch):
        toks, traj = data.batch(min(batch, n_seqs - start))
        states = state_at_positions(traj)
        tr = Trace()
        model(torch.from_numpy(toks), trace=tr)
        tokens_seen += toks.size
        for l in layers:
            ids = tr.ids[(l, "mlp")][..., 0, 0].numpy()  # [B, T]
            np.add.at(fires[l], ids.ravel(), 1)
            pos = states >= 0
            np.add.at(joint[l], (ids[pos], states[pos]), 1)
            for r, p in zip(*np.nonzero(pos)):
                key = (l, int(ids[r, p]))
                got = examples.setdefault(key, [])
                if len(got) < MAX_CONTEXTS:
                    lo = max(0, p + 1 - CONTEXT_TOKENS)
                    got.append({"tokens": toks[r, lo:p + 1].tolist(), "highlight": [int(p - lo), int(p - lo + 1)]})
    out = []
    for l in layers:
        per_state = joint[l].sum(0)
        for code in np.nonzero(joint[l].sum(1))[0]:
            row = joint[l][code]
            state = int(row.argmax())
            precision = row[state] / fires[l][code]  # every token it fires on counts, BOS and first digits too
            if precision < min_precision:
                continue
            recall = row[state] / max(1, per_state[state])
            out.append({"layer": l, "site": "mlp", "group": 0, "code": int(code), "label": "state %02d" % state,
                        "description": "second digit of state %02d: precision %.1f%%, recall %.1f%% (fired on %d tokens)"
                                       % (state, 100 * precision, 100 * recall, int(fires[l][code])),
                        "frequency": float(fires[l][code] / tokens_seen),
                        "top_contexts": examples.get((l, int(code)), [])})
    return out


def write_annotations(model: TokFsmModel, ckpt_dir, **kw) -> Path:
    path = Path(ckpt_dir) / "code_annotations.json"
    path.write_text(json.dumps({"annotations": state_code_annotations(model, **kw)}, indent=1) + "\n")
    return path


def main(argv=None):
    import argparse

    from .export import load_trainer_model
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt")
    ap.add_argument("--sequences", type=int, default=512)
    ap.add_argument("--min-precision", type=float, default=0.8)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    path = write_annotations(load_trainer_model(args.ckpt), args.ckpt, n_seqs=args.sequences,
                             min_precision=args.min_precision)
    n = len(json.loads(path.read_text())["annotations"])
    print("wrote %s: %d state codes" % (path, n))


if __name__ == "__main__":
    main()
