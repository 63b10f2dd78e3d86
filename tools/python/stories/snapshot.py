"""Export a saved training state of the story model (OUT/resume.pt or a copy) as a checkpoint directory,
so a fine-tune in progress can be converted and measured (topic codes, `cbk steer-eval`) before it ends.

    /usr/bin/python3 -m stories.snapshot RUN_DIR/resume.pt OUT_DIR [--run-dir RUN_DIR]     (from tools/python)

A state saved before the codebooks exist (OUT/base_done.pt: the base model) is exported with untrained
codebooks of the recipe's shape (seeded, not k-means), for `cbk eval --bypass 0:attn_preproj`, which
measures the base model in the runtime. The tokenizer files are
copied from the run directory (default: the state's directory); heldout_ids.txt is the recipe's held-out stream.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import fields
from pathlib import Path

import torch

from cbktrain.codebook import CodebookSpec
from cbktrain.gpt_neo import NeoModel, NeoShape

from . import corpus
from .bpe import ByteBpe
from .data import encode_stream
from .export import save_checkpoint
from .recipe import Recipe

TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "special_tokens_map.json")


def load_snapshot(path) -> tuple:
    """(model, recipe, phase, step) of a saved state; a base-phase state gets untrained codebooks."""
    st = torch.load(path)
    known = {f.name for f in fields(Recipe)}
    r = Recipe(**{k: v for k, v in st["recipe"].items() if k in known})
    model = NeoModel(NeoShape(vocab_size=r.vocab_size, d_model=r.d_model, n_layers=r.n_layers, n_heads=r.n_heads,
                              d_mlp=r.d_mlp, max_positions=r.context, window_size=r.window_size), seed=r.seed)
    if st["spec"] is None:
        if st["phase"] == "base" and st["step"] < r.base_steps:
            raise SystemExit(f"{path}: the base phase is not finished (step {st['step']}/{r.base_steps})")
        model.load_state_dict(st["model"])
        model.add_codebooks(CodebookSpec(num_codes=r.num_codes, k=r.k, sites=("attn_preproj",)), seed=r.seed)
    else:
        spec = dict(st["spec"])
        spec["sites"] = tuple(spec["sites"])
        model.add_codebooks(CodebookSpec(**spec))
        model.load_state_dict(st["model"])
    model.eval()
    return model, r, st["phase"], st["step"]


def export_snapshot(state_path, out_dir, run_dir=None) -> Path:
    model, r, phase, step = load_snapshot(state_path)
    run_dir, out = Path(run_dir or Path(state_path).parent), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        shutil.copyfile(run_dir / name, out / name)
    tok = ByteBpe.read(out)
    heldout = encode_stream(tok, (s.text for s in corpus.stories(r.heldout_stories, corpus.HELDOUT_SEED)))
    summary = {"recipe": {f.name: getattr(r, f.name) for f in fields(Recipe)}, "snapshot": {"phase": phase, "step": step}}
    return save_checkpoint(model, tok, out, heldout, summary)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("state")
    ap.add_argument("out")
    ap.add_argument("--run-dir", help="where the run's tokenizer files are (default: the state's directory)")
    a = ap.parse_args(argv)
    print(export_snapshot(a.state, a.out, a.run_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
