"""Build random checkpoints in the exact codebook-features on-disk layout, and load them back.

Directory layout written by build_random_checkpoint (what Trainer.save_model leaves, plus the base
model's config that the reference takes from the original HF model):
    config.json            CodebookModelConfig (model_type "codebook"), semantics doc §3.1
    base/config.json       the base model's HF config (GPTNeoXConfig / GPT2Config / GPTNeoConfig)
    model.safetensors      and/or pytorch_model.bin: keys exactly as the reference names them (§3.2)
    tokenizer.json         or vocab.json + merges.txt (+ special_tokens_map.json)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from . import safetensors_io
from .codebook import CodebookTensors
from .config import BaseConfig, CodebookConfig, expand_attention_types
from .layout import CodebookTensorRef, base_tensors, buffer_tensors, checkpoint_layout, reference_buffer_key
from .model import CodebookTransformer
from .tokenizer_files import write_tokenizer

TRANSFORMERS_VERSION = "4.31.0"  # what the config files claim; the layout does not depend on it


def base_config_dict(family: str, vocab_size: int, d_model: int = 32, n_layers: int = 2, n_heads: int = 4,
                     d_mlp: Optional[int] = None, max_positions: int = 64, ln_eps: float = 1e-5,
                     activation: Optional[str] = None, tie_word_embeddings: Optional[bool] = None,
                     rotary_pct: float = 0.25, rotary_base: float = 10000, parallel_residual: bool = True,
                     attention_layers: Optional[Sequence[str]] = None, window_size: int = 4,
                     eos_id: Optional[int] = None, scale_attn_weights: bool = True,
                     scale_attn_by_inverse_layer_idx: bool = False, reorder_and_upcast_attn: bool = False) -> dict:
    """An HF config.json dict with the field names and defaults of the family's config class.
    eos_id defaults to the last id (the tokenizers here put <|endoftext|> last); the three GPT-2
    attention options go into gpt2 configs only."""
    eos = vocab_size - 1 if eos_id is None else eos_id
    if family == "gpt_neox":
        return {
            "architectures": ["GPTNeoXForCausalLM"], "attention_bias": True, "attention_dropout": 0.0,
            "bos_token_id": eos, "eos_token_id": eos, "classifier_dropout": 0.1, "hidden_act": activation or "gelu",
            "hidden_dropout": 0.0, "hidden_size": d_model, "initializer_range": 0.02,
            "intermediate_size": d_mlp or 4 * d_model, "layer_norm_eps": ln_eps,
            "max_position_embeddings": max_positions, "model_type": "gpt_neox", "num_attention_heads": n_heads,
            "num_hidden_layers": n_layers, "rope_scaling": None, "rotary_emb_base": rotary_base,
            "rotary_pct": rotary_pct, "tie_word_embeddings": bool(tie_word_embeddings),
            "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION, "use_cache": True,
            "use_parallel_residual": parallel_residual, "vocab_size": vocab_size}
    if family == "gpt2":
        return {
            "activation_function": activation or "gelu_new", "architectures": ["GPT2LMHeadModel"],
            "attn_pdrop": 0.1, "bos_token_id": eos, "embd_pdrop": 0.1, "eos_token_id": eos,
            "initializer_range": 0.02, "layer_norm_epsilon": ln_eps, "model_type": "gpt2", "n_ctx": max_positions,
            "n_embd": d_model, "n_head": n_heads, "n_inner": d_mlp, "n_layer": n_layers, "n_positions": max_positions,
            "reorder_and_upcast_attn": reorder_and_upcast_attn, "resid_pdrop": 0.1,
            "scale_attn_by_inverse_layer_idx": scale_attn_by_inverse_layer_idx,
            "scale_attn_weights": scale_attn_weights, "summary_activation": None, "summary_first_dropout": 0.1,
            "summary_proj_to_labels": True, "summary_type": "cls_index", "summary_use_proj": True,
            "tie_word_embeddings": True if tie_word_embeddings is None else tie_word_embeddings,
            "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION, "use_cache": True,
            "vocab_size": vocab_size}
    if family == "gpt_neo":
        layers = list(attention_layers or ["global", "local"] * (n_layers // 2) + ["global"] * (n_layers % 2))
        return {
            "activation_function": activation or "gelu_new", "architectures": ["GPTNeoForCausalLM"],
            "attention_dropout": 0.0, "attention_layers": layers, "attention_types": [[[k], 1] for k in layers],
            "bos_token_id": eos, "embed_dropout": 0.0, "eos_token_id": eos, "hidden_size": d_model,
            "initializer_range": 0.02, "intermediate_size": d_mlp, "layer_norm_epsilon": ln_eps,
            "max_position_embeddings": max_positions, "model_type": "gpt_neo", "num_heads": n_heads,
            "num_layers": n_layers, "resid_dropout": 0.0,
            "tie_word_embeddings": True if tie_word_embeddings is None else tie_word_embeddings,
            "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION, "use_cache": True,
            "vocab_size": vocab_size, "window_size": window_size}
    raise ValueError(f"unknown family {family!r}")


_ARCH = {"gpt_neox": "GPTNeoXCodebookModel", "gpt2": "GPT2CodebookModel", "gpt_neo": "GPTNeoCodebookModel"}


def codebook_config_dict(base: BaseConfig, codebook_at: Sequence[str], codebook_type: Sequence[str],
                         num_codes: Sequence[int], num_codebooks: Sequence[int], k_codebook: Sequence[int],
                         layers_to_snap: Union[str, Sequence[int]], similarity_metric: str) -> dict:
    """CodebookModelConfig.to_dict() after CodebookModel.__init__ normalised it (-1 -> heads, layers expanded)."""
    layers = list(range(base.n_layers)) if layers_to_snap == "all" else sorted(
        x + base.n_layers if x < 0 else x for x in layers_to_snap)
    return {
        "architectures": [_ARCH[base.family]], "codebook_at": list(codebook_at), "codebook_kwargs": {},
        "codebook_type": list(codebook_type), "k_codebook": list(k_codebook), "kmeans_init": False,
        "kmeans_init_examples": 1000, "kmeans_kwargs": None, "kmeans_path": None, "layers_to_snap": layers,
        "loss": "aeloss", "model_type": "codebook",
        "num_codebooks": [base.n_heads if g == -1 else g for g in num_codebooks], "num_codes": list(num_codes),
        "replace_codes": False, "similarity_metric": similarity_metric, "torch_dtype": "float32",
        "transformers_version": TRANSFORMERS_VERSION}


def _per_site(v, n, name):
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(f"{name}: need {n} values")
        return list(v)
    return [v] * n


def _is_layer_norm_weight(hf_key: str) -> bool:
    return hf_key.endswith(("layernorm.weight", "layer_norm.weight")) or (".ln_" in hf_key and hf_key.endswith(".weight"))


def random_tensors(base: BaseConfig, cb: CodebookConfig, seed: int) -> Tuple[Dict[str, np.ndarray], Dict]:
    """Random float32 weights: plain HF base tensors and codebook tensors keyed by CodebookTensorRef."""
    rng = np.random.default_rng(seed)
    layout = checkpoint_layout(base, cb)
    base_shapes = dict(base_tensors(base))
    sites = {(s.layer, s.site): s for s in cb.sites(base)}
    base_w: Dict[str, np.ndarray] = {}
    cb_w: Dict[CodebookTensorRef, np.ndarray] = {}
    for key, what in layout.items():
        if isinstance(what, str):
            shape = base_shapes[what]
            if _is_layer_norm_weight(what):
                arr = 1.0 + 0.1 * rng.standard_normal(shape)
            elif len(shape) == 1:
                arr = 0.1 * rng.standard_normal(shape)
            elif what.endswith(("embed_in.weight", "wte.weight", "wpe.weight", "embed_out.weight", "lm_head.weight")):
                arr = 0.5 * rng.standard_normal(shape)
            else:  # std 1/sqrt(fan_in) keeps activations O(1) in both Linear [out,in] and Conv1D [in,out]
                fan_in = shape[0] if base.family == "gpt2" and "lm_head" not in what else shape[1]
                arr = rng.standard_normal(shape) / np.sqrt(fan_in)
            base_w[what] = arr.astype(np.float32)
        else:
            s = sites[(what.layer, what.site)]
            if what.param == "codebook.weight":  # nn.Embedding init N(0, 1)
                arr = rng.standard_normal((s.num_codes, s.group_dim))
            elif what.param == "ln.weight":
                arr = 1.0 + 0.1 * rng.standard_normal(s.group_dim)
            else:
                arr = 0.1 * rng.standard_normal(s.group_dim)
            cb_w[what] = arr.astype(np.float32)
    if base.tie_word_embeddings:
        emb = "gpt_neox.embed_in.weight" if base.family == "gpt_neox" else "transformer.wte.weight"
        out = "embed_out.weight" if base.family == "gpt_neox" else "lm_head.weight"
        base_w[out] = base_w[emb]
    return base_w, cb_w


def _buffer_array(name: str, shape, dtype: str, base: BaseConfig, hf_key: str) -> np.ndarray:
    if hf_key.endswith("inv_freq"):
        n = base.rotary_ndims
        return (1.0 / (base.rotary_base ** (np.arange(0, n, 2, dtype=np.float32) / n))).astype(np.float32)
    if hf_key.endswith("masked_bias"):
        return np.array(-1e9 if base.family != "gpt2" else -1e4, dtype=np.float32)
    p = shape[-1]
    tri = np.tril(np.ones((p, p), dtype=np.uint8))
    if base.family == "gpt_neo":
        L = int(hf_key.split(".")[2])
        if base.attention_layers[L] == "local":
            tri = tri ^ np.tril(tri, -base.window_size)
    tri = tri.reshape(shape)
    return tri.astype(np.bool_) if dtype == "bool" else tri


def build_random_checkpoint(out_dir, family: str, codebook_at: Union[str, Sequence[str]] = ("attn_preproj", "mlp"),
                            codebook_type=None, num_codebooks=None, num_codes=16, k_codebook=2,
                            layers_to_snap: Union[str, Sequence[int]] = "all",
                            similarity_metric: str = "inner_product", formats: Iterable[str] = ("safetensors",),
                            seed: int = 0, tokenizer: str = "bytebpe", tokenizer_format: Optional[str] = None,
                            include_buffers: bool = True, vocab_size: Optional[int] = None, **base_kwargs) -> Path:
    """Write a random checkpoint directory. `codebook_type` defaults to "group" (one codebook per head,
    num_codebooks -1) for attn_preproj and "vanilla" elsewhere. `vocab_size` (default: the tokenizer's
    size) above the tokenizer's size pads the embedding with rows no token text names, as Pythia's
    50,304 rows for 50,277 tokens. Extra kwargs go to base_config_dict."""
    out = Path(out_dir)
    (out / "base").mkdir(parents=True, exist_ok=True)
    at = [codebook_at] if isinstance(codebook_at, str) else list(codebook_at)
    n = len(at)
    ctype = _per_site(codebook_type, n, "codebook_type") if codebook_type is not None else \
        ["group" if s == "attn_preproj" else "vanilla" for s in at]
    ncb = _per_site(num_codebooks, n, "num_codebooks") if num_codebooks is not None else \
        [-1 if t == "group" else 1 for t in ctype]
    fmt = tokenizer_format or ("tokenizer_json" if family == "gpt_neox" else "vocab_merges")
    n_tokens = write_tokenizer(out, tokenizer, fmt)
    if vocab_size is not None and vocab_size < n_tokens:
        raise ValueError(f"vocab_size {vocab_size} is below the tokenizer's {n_tokens} tokens")
    base_d = base_config_dict(family, vocab_size or n_tokens, eos_id=n_tokens - 1, **base_kwargs)
    base = BaseConfig.from_hf(base_d)
    cb_d = codebook_config_dict(base, at, ctype, _per_site(num_codes, n, "num_codes"), ncb,
                                _per_site(k_codebook, n, "k_codebook"), layers_to_snap, similarity_metric)
    cb = CodebookConfig.from_dict(cb_d, base)
    (out / "base" / "config.json").write_text(json.dumps(base_d, indent=2) + "\n")
    (out / "config.json").write_text(json.dumps(cb_d, indent=2) + "\n")
    base_w, cb_w = random_tensors(base, cb, seed)
    state: Dict[str, np.ndarray] = {}
    for key, what in checkpoint_layout(base, cb).items():
        state[key] = base_w[what] if isinstance(what, str) else cb_w[what]
    if include_buffers:
        for hf_key, shape, dtype in buffer_tensors(base):
            state[reference_buffer_key(base, cb, hf_key)] = _buffer_array(hf_key, shape, dtype, base, hf_key)
    formats = list(formats)
    if "safetensors" in formats:
        st = dict(state)
        if base.tie_word_embeddings:  # save_pretrained keeps one copy of shared tensors
            st.pop("model.lm_head.weight" if family != "gpt_neox" else "model.embed_out.weight", None)
        safetensors_io.save(out / "model.safetensors", st, {"format": "pt"})
    if "bin" in formats:
        tensors = {}
        shared = {}
        for k, v in state.items():  # tied entries share one torch tensor, like a real state_dict
            tensors[k] = shared.setdefault(id(v), torch.from_numpy(np.ascontiguousarray(v)))
        torch.save(tensors, out / "pytorch_model.bin")
    return out


def read_weights(ckpt_dir, prefer: str = "safetensors") -> Dict[str, np.ndarray]:
    d = Path(ckpt_dir)
    st, pt = d / "model.safetensors", d / "pytorch_model.bin"
    order = [st, pt] if prefer == "safetensors" else [pt, st]
    for p in order:
        if p.exists():
            if p.suffix == ".safetensors":
                return safetensors_io.load(p)[0]
            sd = torch.load(p, map_location="cpu")
            return {k: v.numpy() for k, v in sd.items()}
    raise FileNotFoundError(f"no model.safetensors or pytorch_model.bin in {d}")


def is_ignored_key(key: str) -> bool:
    """Buffers and metrics the reference may have saved; never weights (wrapper levels removed first)."""
    return key.replace(".module_layer", "").endswith((".attn.bias", ".attn.masked_bias", ".attention.bias", ".attention.masked_bias",
                         ".rotary_emb.inv_freq", ".counts"))


def load_checkpoint(ckpt_dir, base_config_path=None, prefer: str = "safetensors") -> CodebookTransformer:
    d = Path(ckpt_dir)
    base = BaseConfig.from_hf(json.loads(Path(base_config_path or d / "base" / "config.json").read_text()))
    cb = CodebookConfig.from_dict(json.loads((d / "config.json").read_text()), base)
    tensors = read_weights(d, prefer)
    layout = checkpoint_layout(base, cb)
    shapes = dict(base_tensors(base))
    sites = {(s.layer, s.site): s for s in cb.sites(base)}
    weights: Dict[str, torch.Tensor] = {}
    groups: Dict[Tuple[int, str], List[Dict[str, torch.Tensor]]] = {
        key: [{} for _ in range(s.groups)] for key, s in sites.items()}
    for key, arr in tensors.items():
        what = layout.get(key)
        if what is None:
            if is_ignored_key(key):
                continue
            raise KeyError(f"unexpected tensor {key}")
        t = torch.from_numpy(np.ascontiguousarray(arr)).to(torch.float32)
        if isinstance(what, str):
            if tuple(t.shape) != shapes[what]:
                raise ValueError(f"{key}: shape {tuple(t.shape)} != {shapes[what]}")
            weights[what] = t
        else:
            s = sites[(what.layer, what.site)]
            want = (s.num_codes, s.group_dim) if what.param == "codebook.weight" else (s.group_dim,)
            if tuple(t.shape) != want:
                raise ValueError(f"{key}: shape {tuple(t.shape)} != {want}")
            groups[(what.layer, what.site)][what.group][what.param] = t
    tied_out = "embed_out.weight" if base.family == "gpt_neox" else "lm_head.weight"
    missing = [k for k, what in layout.items() if isinstance(what, str) and what not in weights
               and not (what == tied_out and base.tie_word_embeddings)]
    missing += [k for k, what in layout.items() if isinstance(what, CodebookTensorRef)
                and what.param not in groups[(what.layer, what.site)][what.group]]
    if missing:
        raise KeyError(f"missing tensors: {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    codebooks = {key: [CodebookTensors(g["codebook.weight"], g["ln.weight"], g["ln.bias"]) for g in gs]
                 for key, gs in groups.items()}
    return CodebookTransformer(base, cb, weights, codebooks)
