"""Topic codes of a trained story model, found with the paper's heuristic (§4.1): a code belongs to a
topic when it is active on a large share of the tokens of stories on that topic, and rarely so on
other stories.

    /usr/bin/python3 -m stories.topic_codes CKPT_DIR [--stories N] [--min-precision P] [--min-support S]
                                            [--max-codes N] [--topics dragon,flower,...]   (from tools/python)

For every story of an annotation split (its own seed: neither the training nor the held-out split) and
every attention code (layer, head, code), the code is "story-active" when it is among the head's k ids
on more than `share` of the story's tokens. The paper uses 50 %; with C = 4,096 codes per head no code
of our model reaches even 30 % of a story's tokens (a story's most frequent code covers 19 % of it, the
median), while codes over 10 % of the tokens of every story on a topic and of no other story exist for
every topic, so the default share is 10 %. For topic t:
    support(t, c)   = stories whose main topic is t with c story-active / stories whose main topic is t
    precision(t, c) = stories mentioning t (main or second topic) with c story-active / stories with c story-active
The codes with precision >= min_precision and support >= min_support, best support first, at most k per
head and max_codes per topic, become the topic's codes. Writes CKPT_DIR/code_annotations.json (labels
"topic: NAME") and CKPT_DIR/topics.json (the regex of each topic that has codes), which
tools/python/convert.py stores in the .cbk file for `cbk steer-eval` and the browser demo.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from cbktrain.codebook import Trace

from . import corpus
from .bpe import ByteBpe
from .topics import TOPICS

ANNOTATION_SEED = 3  # corpus.TRAIN_SEED = 1, corpus.HELDOUT_SEED = 2
SITE = "attn_preproj"


@torch.no_grad()
def story_code_shares(model, tok: ByteBpe, texts: Sequence[str], batch: int = 32,
                      max_tokens: Optional[int] = None) -> List[Dict[int, np.ndarray]]:
    """Per story: {layer: float32 [heads, C]} — the share of its tokens on which each code is active.
    Each story runs alone from <|endoftext|>, as a generation from an empty prompt does."""
    model.eval()
    limit = max_tokens or model.shape.max_positions
    seqs = [[tok.eos_id] + tok.encode(t) for t in texts]
    seqs = [s[:limit] for s in seqs]
    layers = [l for l in range(model.shape.n_layers) if model.codebook(l, SITE) is not None]
    out: List[Dict[int, np.ndarray]] = [{} for _ in seqs]
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # similar lengths share a batch
    for b in range(0, len(order), batch):
        idx = order[b:b + batch]
        width = max(len(seqs[i]) for i in idx)
        x = torch.full((len(idx), width), tok.eos_id, dtype=torch.long)
        for r, i in enumerate(idx):
            x[r, :len(seqs[i])] = torch.tensor(seqs[i])
        tr = Trace()
        model(x, trace=tr)  # causal: the padding after a story does not change its positions
        for r, i in enumerate(idx):
            n = len(seqs[i])
            for l in layers:
                ids = tr.ids[(l, SITE)][r, :n].numpy()  # [T, G, k]
                G, C = ids.shape[1], model.codebook(l, SITE).num_codes
                # one key per (token, group, code): a code counts once per token even if it filled two slots
                keys = ids + (np.arange(n)[:, None, None] * G + np.arange(G)[None, :, None]) * C
                counts = np.bincount(np.unique(keys) % (G * C), minlength=G * C).reshape(G, C)
                out[i][l] = (counts / n).astype(np.float32)
    return out


def topic_codes(shares: List[Dict[int, np.ndarray]], story_topics: List[Sequence[str]], k: int,
                share: float = 0.1, min_precision: float = 0.9, min_support: float = 0.2, max_codes: int = 16,
                topics: Optional[Sequence[str]] = None) -> Dict[str, List[dict]]:
    """{topic: [{layer, group, code, support, precision, stories, mean_share}]} by the rule in the module
    doc; `shares` as story_code_shares returns them (a bool table works too: True = active everywhere).
    Ties in support and precision go to the code active on more of the topic's tokens (mean_share)."""
    names = list(topics) if topics else [t.name for t in TOPICS]
    out: Dict[str, List[dict]] = {}
    for l in shares[0]:
        frac = np.stack([a[l] for a in shares]).astype(np.float32)  # [S, G, C]
        stack = frac > share
        total = stack.sum(0)                                  # stories where the code is story-active
        for name in names:
            main = np.array([ts[0] == name for ts in story_topics])
            mention = np.array([name in ts for ts in story_topics])
            if not main.any():
                continue
            support = stack[main].sum(0) / main.sum()
            mean_share = frac[main].mean(0)
            precision = np.where(total > 0, stack[mention].sum(0) / np.maximum(total, 1), 0.0)
            g_idx, c_idx = np.nonzero((support >= min_support) & (precision >= min_precision))
            for g, c in zip(g_idx, c_idx):
                out.setdefault(name, []).append({"layer": int(l), "group": int(g), "code": int(c),
                                                 "support": float(support[g, c]), "precision": float(precision[g, c]),
                                                 "stories": int(total[g, c]), "mean_share": float(mean_share[g, c])})
    for name in list(out):
        ranked = sorted(out[name], key=lambda e: (-e["support"], -e["precision"], -e["mean_share"], e["layer"],
                                                  e["group"], e["code"]))
        per_head: Dict[tuple, int] = {}
        kept = []
        for e in ranked:
            head = (e["layer"], e["group"])
            if per_head.get(head, 0) < k and len(kept) < max_codes:
                per_head[head] = per_head.get(head, 0) + 1
                kept.append(e)
        out[name] = kept
    return out


def annotations(found: Dict[str, List[dict]], n_stories: int, share: float) -> List[dict]:
    out = []
    for name, codes in found.items():
        for e in codes:
            out.append({"layer": e["layer"], "site": SITE, "group": e["group"], "code": e["code"],
                        "label": "topic: " + name,
                        "description": "active on >%.0f%% of the tokens of %.0f%% of the %s stories (%.0f%% of their tokens "
                                       "on average); precision %.0f%% (%d of %d annotation stories)"
                                       % (100 * share, 100 * e["support"], name, 100 * e["mean_share"], 100 * e["precision"],
                                          e["stories"], n_stories),
                        "frequency": e["stories"] / n_stories, "top_contexts": []})
    return out


def write(ckpt_dir, found: Dict[str, List[dict]], n_stories: int, share: float) -> None:
    ckpt = Path(ckpt_dir)
    regex = {t.name: t.regex for t in TOPICS}
    (ckpt / "code_annotations.json").write_text(json.dumps({"annotations": annotations(found, n_stories, share)}, indent=1) + "\n")
    (ckpt / "topics.json").write_text(json.dumps({"topics": {n: {"regex": regex[n]} for n in found if found[n]}},
                                                 indent=1) + "\n")


def main(argv=None) -> int:
    from .export import load_trainer_model

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--stories", type=int, default=2000, help="annotation stories (seed %d)" % ANNOTATION_SEED)
    ap.add_argument("--share", type=float, default=0.1, help="story-active: on more than this share of its tokens")
    ap.add_argument("--min-precision", type=float, default=0.9)
    ap.add_argument("--min-support", type=float, default=0.2)
    ap.add_argument("--max-codes", type=int, default=16, help="per topic")
    ap.add_argument("--topics", help="comma-separated (default: all)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = load_trainer_model(a.checkpoint)
    tok = ByteBpe.read(a.checkpoint)
    stories = list(corpus.stories(a.stories, ANNOTATION_SEED))
    shares = story_code_shares(model, tok, [s.text for s in stories])
    k = next(model.codebook(l, SITE).k for l in range(model.shape.n_layers) if model.codebook(l, SITE) is not None)
    found = topic_codes(shares, [s.topics for s in stories], k, a.share, a.min_precision, a.min_support, a.max_codes,
                        a.topics.split(",") if a.topics else None)
    write(a.checkpoint, found, len(stories), a.share)
    for t in TOPICS:
        codes = found.get(t.name, [])
        print("%-10s %2d codes  %s" % (t.name, len(codes), " ".join(
            "L%dH%d:%d(%.0f%%/%.0f%%)" % (e["layer"], e["group"], e["code"], 100 * e["support"], 100 * e["precision"])
            for e in codes[:6])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
