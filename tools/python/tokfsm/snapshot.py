"""Export a saved training state (OUT/resume.pt or a copy of it) as a checkpoint directory.

Used for the metric-vs-training-tokens curve: copies of resume.pt taken during a fine-tune are
exported, converted and measured by `cbk fsm-eval` (tools/python/tokfsm_curve.py). A state saved in
the base or init phase (no codebooks yet) gets the recipe's k-means init first, exactly as the run
itself does at the start of its fine-tune, so "0 fine-tune steps" is a point of the curve too.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Dict

import torch

from .annotate import write_annotations
from .data import FsmData
from .export import save_checkpoint
from cbktrain.kmeans import init_codebooks
from .model import CodebookSpec, ModelShape, TokFsmModel
from .recipe import Recipe


def training_tokens(recipe: Recipe, phase: str, step: int, seq_len: int = 128) -> Dict[str, int]:
    """Tokens seen by the base phase and the fine-tune so far (sequence length 128 = BOS + 127)."""
    base = recipe.base_steps * recipe.base_batch * seq_len
    ft = step * recipe.ft_batch * seq_len if phase == "finetune" else 0
    if phase in ("eval", "done"):
        ft = recipe.ft_steps * recipe.ft_batch * seq_len
    return {"base_tokens": base, "finetune_tokens": ft}


def load_snapshot(path) -> tuple:
    """(model, recipe, phase, fine-tune step) of a saved state; codebooks added by k-means if absent."""
    st = torch.load(path)
    known = {f.name for f in fields(Recipe)}
    recipe = Recipe(**{k: v for k, v in st["recipe"].items() if k in known})
    model = TokFsmModel(ModelShape(), seed=recipe.seed)
    phase, step = st["phase"], st["step"]
    if st["spec"] is not None:
        spec = dict(st["spec"])
        spec["sites"] = tuple(spec["sites"])
        model.add_codebooks(CodebookSpec(**spec))
        model.load_state_dict(st["model"])
    else:
        if phase == "base" and step < recipe.base_steps:
            raise SystemExit(f"{path}: the base phase is not finished (step {step}/{recipe.base_steps})")
        model.load_state_dict(st["model"])
        model.add_codebooks(CodebookSpec(num_codes=recipe.num_codes, k=recipe.k), seed=recipe.seed)
        kdata = FsmData(seed=recipe.seed + 2)
        batches = [torch.from_numpy(kdata.batch(64)[0]) for _ in range(max(1, recipe.kmeans_seqs // 64))]
        init_codebooks(model, batches, recipe.kmeans_iters, recipe.seed, recipe.ln_init)
        phase, step = "finetune", 0
    model.eval()
    return model, recipe, phase, step


def export_snapshot(path, out_dir, annotation_seqs: int = 512) -> Dict[str, object]:
    """Writes the checkpoint directory (with state-code annotations); returns the snapshot's facts."""
    model, recipe, phase, step = load_snapshot(path)
    facts = {"snapshot": str(path), "phase": phase, "finetune_step": step, **training_tokens(recipe, phase, step)}
    save_checkpoint(model, Path(out_dir), FsmData(seed=recipe.seed + 1).fsm.transition_matrix,
                    {"recipe": {f.name: getattr(recipe, f.name) for f in fields(Recipe)}, "snapshot": facts})
    write_annotations(model, out_dir, n_seqs=annotation_seqs)
    return facts
