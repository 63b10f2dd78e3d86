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

from pathlib import Path
from typing import Dict, Optional

import numpy as np

from cbk_reference import safetensors_io
from cbk_reference.checkpoint import base_config_dict
from cbk_reference.config import BaseConfig
from cbk_reference.tokenizer_files import write_tokenizer
from cbktrain import export
from cbktrain.export import codebook_config

from .model import ModelShape, TokFsmModel


def configs(model: TokFsmModel):
    s = model.shape
    base_d = base_config_dict("gpt_neox", s.vocab_size, d_model=s.d_model, n_layers=s.n_layers, n_heads=s.n_heads,
                              d_mlp=s.d_mlp, max_positions=s.max_positions, ln_eps=s.ln_eps,
                              rotary_pct=s.rotary_pct, rotary_base=s.rotary_base)
    base = BaseConfig.from_hf(base_d)
    cb_d, cb = codebook_config(base, model.spec)
    return base_d, base, cb_d, cb


def reference_state(model: TokFsmModel) -> Dict[str, np.ndarray]:
    """{reference key: float32 array} for every tensor of the checkpoint."""
    _, base, _, cb = configs(model)
    return export.reference_state(model, base, cb)


def save_checkpoint(model: TokFsmModel, out_dir, transition_matrix: np.ndarray,
                    summary: Optional[dict] = None) -> Path:
    out = Path(out_dir)
    base_d, _, cb_d, _ = configs(model)
    export.write_configs(out, base_d, cb_d, summary)
    write_tokenizer(out, "digits", "vocab_merges")
    write_tokenizer(out, "digits", "tokenizer_json")  # save_pretrained of a fast tokenizer writes both
    safetensors_io.save(out / "model.safetensors", reference_state(model), {"format": "pt"})
    np.save(out / "fsm.npy", transition_matrix)
    return out


def load_trainer_model(ckpt_dir) -> TokFsmModel:
    """Rebuild the trainer's model from a checkpoint directory (inverse of save_checkpoint)."""
    return export.load_model(ckpt_dir, lambda base: TokFsmModel(ModelShape(
        vocab_size=base.vocab_size, d_model=base.d_model, n_layers=base.n_layers, n_heads=base.n_heads,
        d_mlp=base.d_mlp, max_positions=base.max_positions, rotary_pct=float(base.hf.get("rotary_pct", 0.25)),
        rotary_base=base.rotary_base, ln_eps=base.ln_eps)))
