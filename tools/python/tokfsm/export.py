"""Write / read the trained model as a codebook-features checkpoint directory (semantics doc §3).

    config.json          CodebookModelConfig (model_type "codebook")
    base/config.json     GPTNeoXConfig of the base model
    model.safetensors    keys exactly as the reference names them (cbk_reference.layout)
    tokenizer.json, vocab.json, merges.txt, special_tokens_map.json   digit vocabulary
    fsm.npy              the 100x100 transition matrix (as the published TokFSM repo ships it)
    training_summary.json  recipe, times and metrics (read by the .cbk converter for metadata)
    code_annotations.json  state codes (annotate.py; the converter stores them as code annotations)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Optional

import numpy as np
import torch

from cbk_reference import safetensors_io
from cbk_reference.checkpoint import base_config_dict, codebook_config_dict, read_weights
from cbk_reference.config import BaseConfig, CodebookConfig
from cbk_reference.layout import CodebookTensorRef, checkpoint_layout
from cbk_reference.tokenizer_files import write_tokenizer

from .model import CodebookSpec, ModelShape, TokFsmModel

_PARAM = {"codebook.weight": "codes", "ln.weight": "ln_weight", "ln.bias": "ln_bias"}


def configs(model: TokFsmModel):
    s = model.shape
    base_d = base_config_dict("gpt_neox", s.vocab_size, d_model=s.d_model, n_layers=s.n_layers, n_heads=s.n_heads,
                              d_mlp=s.d_mlp, max_positions=s.max_positions, ln_eps=s.ln_eps,
                              rotary_pct=s.rotary_pct, rotary_base=s.rotary_base)
    base = BaseConfig.from_hf(base_d)
    spec = model.spec
    n = len(spec.sites)
    cb_d = codebook_config_dict(
        base, spec.sites, ["group" if x == "attn_preproj" else "vanilla" for x in spec.sites], [spec.num_codes] * n,
        [-1 if x == "attn_preproj" else 1 for x in spec.sites], [spec.k] * n, "all", "inner_product")
    return base_d, base, cb_d, CodebookConfig.from_dict(cb_d, base)


def reference_state(model: TokFsmModel) -> Dict[str, np.ndarray]:
    """{reference key: float32 array} for every tensor of the checkpoint."""
    _, base, _, cb = configs(model)
    sd = model.state_dict()
    out = {}
    for key, what in checkpoint_layout(base, cb).items():
        if isinstance(what, str):
            t = sd[what]
        else:
            t = getattr(model.codebook(what.layer, what.site), _PARAM[what.param])[what.group]
        out[key] = t.detach().to(torch.float32).contiguous().numpy()
    return out


def save_checkpoint(model: TokFsmModel, out_dir, transition_matrix: np.ndarray,
                    summary: Optional[dict] = None) -> Path:
    out = Path(out_dir)
    (out / "base").mkdir(parents=True, exist_ok=True)
    base_d, _, cb_d, _ = configs(model)
    (out / "base" / "config.json").write_text(json.dumps(base_d, indent=2) + "\n")
    (out / "config.json").write_text(json.dumps(cb_d, indent=2) + "\n")
    write_tokenizer(out, "digits", "vocab_merges")
    write_tokenizer(out, "digits", "tokenizer_json")  # save_pretrained of a fast tokenizer writes both
    safetensors_io.save(out / "model.safetensors", reference_state(model), {"format": "pt"})
    np.save(out / "fsm.npy", transition_matrix)
    if summary is not None:
        (out / "training_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return out


def load_trainer_model(ckpt_dir) -> TokFsmModel:
    """Rebuild the trainer's model from a checkpoint directory (inverse of save_checkpoint)."""
    d = Path(ckpt_dir)
    base = BaseConfig.from_hf(json.loads((d / "base" / "config.json").read_text()))
    cb = CodebookConfig.from_dict(json.loads((d / "config.json").read_text()), base)
    hf = base.hf
    shape = ModelShape(vocab_size=base.vocab_size, d_model=base.d_model, n_layers=base.n_layers, n_heads=base.n_heads,
                       d_mlp=base.d_mlp, max_positions=base.max_positions, rotary_pct=float(hf.get("rotary_pct", 0.25)),
                       rotary_base=base.rotary_base, ln_eps=base.ln_eps)
    model = TokFsmModel(shape)
    model.add_codebooks(CodebookSpec(num_codes=cb.num_codes[0], k=cb.k_codebook[0], sites=tuple(cb.codebook_at)))
    tensors = read_weights(d)
    sd = model.state_dict()
    with torch.no_grad():
        for key, what in checkpoint_layout(base, cb).items():
            t = torch.from_numpy(np.array(tensors[key]))
            if isinstance(what, str):
                sd[what].copy_(t)
            else:
                getattr(model.codebook(what.layer, what.site), _PARAM[what.param])[what.group].copy_(t)
    return model
