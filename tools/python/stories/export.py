"""Write / read the story model as a codebook-features checkpoint directory (semantics doc §3).

    config.json            CodebookModelConfig (attn_preproj group codebooks)
    base/config.json       GPTNeoConfig of the base model
    model.safetensors      keys exactly as the reference names them (the tied lm_head saved once, as HF does)
    vocab.json, merges.txt, tokenizer.json, special_tokens_map.json   the trained BPE (written by the run)
    heldout_ids.txt        the held-out token stream, for `cbk eval MODEL heldout_ids.txt --ids`
    training_summary.json  recipe, times and metrics (the converter stores them as metadata)
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from cbk_reference import safetensors_io
from cbk_reference.checkpoint import base_config_dict
from cbk_reference.config import BaseConfig
from cbktrain import export
from cbktrain.gpt_neo import NeoModel, NeoShape

from .bpe import ByteBpe


def configs(model: NeoModel, eos_id: int):
    s = model.shape
    base_d = base_config_dict("gpt_neo", s.vocab_size, d_model=s.d_model, n_layers=s.n_layers, n_heads=s.n_heads,
                              d_mlp=s.d_mlp, max_positions=s.max_positions, ln_eps=s.ln_eps,
                              attention_layers=s.attention_layers, window_size=s.window_size, eos_id=eos_id)
    base = BaseConfig.from_hf(base_d)
    cb_d, cb = export.codebook_config(base, model.spec)
    return base_d, base, cb_d, cb


def save_checkpoint(model: NeoModel, tok: ByteBpe, out_dir, heldout: np.ndarray, summary: Optional[dict] = None) -> Path:
    out = Path(out_dir)
    base_d, base, cb_d, cb = configs(model, tok.eos_id)
    export.write_configs(out, base_d, cb_d, summary)
    state = export.reference_state(model, base, cb)
    state.pop("model.lm_head.weight")  # tied to transformer.wte: save_pretrained keeps one copy
    safetensors_io.save(out / "model.safetensors", state, {"format": "pt"})
    tok.write(out)
    (out / "heldout_ids.txt").write_text(" ".join(map(str, heldout.tolist())) + "\n")
    return out


def load_trainer_model(ckpt_dir) -> NeoModel:
    """Rebuild the trainer's model from a checkpoint directory (inverse of save_checkpoint)."""
    return export.load_model(ckpt_dir, lambda base: NeoModel(NeoShape(
        vocab_size=base.vocab_size, d_model=base.d_model, n_layers=base.n_layers, n_heads=base.n_heads,
        d_mlp=base.d_mlp, max_positions=base.max_positions, window_size=base.window_size, ln_eps=base.ln_eps,
        attention_layers=list(base.attention_layers))))
