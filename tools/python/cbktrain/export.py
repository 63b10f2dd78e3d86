"""Trainer model <-> codebook-features checkpoint tensors (semantics doc §3), for any CodebookHost model
whose state_dict uses the plain Hugging Face names of its base model (cbk_reference.layout maps them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Dict, Optional

import numpy as np
import torch

from cbk_reference.checkpoint import codebook_config_dict, read_weights
from cbk_reference.config import BaseConfig, CodebookConfig
from cbk_reference.layout import checkpoint_layout

from .codebook import CodebookSpec

_PARAM = {"codebook.weight": "codes", "ln.weight": "ln_weight", "ln.bias": "ln_bias"}


def codebook_config(base: BaseConfig, spec: CodebookSpec):
    """(config.json dict, CodebookConfig): one codebook per head at attn_preproj, vanilla elsewhere."""
    n = len(spec.sites)
    cb_d = codebook_config_dict(
        base, spec.sites, ["group" if x == "attn_preproj" else "vanilla" for x in spec.sites], [spec.num_codes] * n,
        [-1 if x == "attn_preproj" else 1 for x in spec.sites], [spec.k] * n, "all", "inner_product")
    return cb_d, CodebookConfig.from_dict(cb_d, base)


def reference_state(model, base: BaseConfig, cb: CodebookConfig) -> Dict[str, np.ndarray]:
    """{reference key: float32 array} for every tensor of the checkpoint."""
    sd = model.state_dict()
    out = {}
    for key, what in checkpoint_layout(base, cb).items():
        if isinstance(what, str):
            t = sd[what]
        else:
            t = getattr(model.codebook(what.layer, what.site), _PARAM[what.param])[what.group]
        out[key] = t.detach().to(torch.float32).contiguous().numpy()
    return out


@torch.no_grad()
def load_reference_state(model, tensors: Dict[str, np.ndarray], base: BaseConfig, cb: CodebookConfig):
    """Inverse of reference_state (the model already has its codebooks). Tied weights are read once."""
    sd = model.state_dict()
    for key, what in checkpoint_layout(base, cb).items():
        if key not in tensors:  # a tied unembedding saved once (safetensors)
            continue
        t = torch.from_numpy(np.array(tensors[key]))
        if isinstance(what, str):
            sd[what].copy_(t)
        else:
            getattr(model.codebook(what.layer, what.site), _PARAM[what.param])[what.group].copy_(t)
    return model


def write_configs(out: Path, base_d: dict, cb_d: dict, summary: Optional[dict] = None):
    """base/config.json, config.json and (when given) training_summary.json."""
    (out / "base").mkdir(parents=True, exist_ok=True)
    (out / "base" / "config.json").write_text(json.dumps(base_d, indent=2) + "\n")
    (out / "config.json").write_text(json.dumps(cb_d, indent=2) + "\n")
    if summary is not None:
        (out / "training_summary.json").write_text(json.dumps(summary, indent=2) + "\n")


def load_model(ckpt_dir, build: Callable[[BaseConfig], object]):
    """Rebuild a trainer model from a checkpoint directory: build(base config) makes the base model, then
    its codebooks are added as config.json says and every tensor is loaded."""
    d = Path(ckpt_dir)
    base = BaseConfig.from_hf(json.loads((d / "base" / "config.json").read_text()))
    cb = CodebookConfig.from_dict(json.loads((d / "config.json").read_text()), base)
    model = build(base)
    model.add_codebooks(CodebookSpec(num_codes=cb.num_codes[0], k=cb.k_codebook[0], sites=tuple(cb.codebook_at)))
    return load_reference_state(model, read_weights(d), base, cb)
