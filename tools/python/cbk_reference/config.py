"""Base-model and codebook configuration, parsed from the two config.json files of a checkpoint.

The base config follows the Hugging Face field names of GPTNeoXConfig / GPT2Config / GPTNeoConfig
(including their attribute aliases); the codebook config follows codebook-features'
CodebookModelConfig (semantics doc §3.1), normalised exactly as CodebookModel.set_codebook_args does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

FAMILIES = ("gpt_neox", "gpt2", "gpt_neo")
SITES = ("attn_preproj", "attn", "mlp", "mlp_mid", "qkv", "attn_plus_mlp", "transformer_block")
METRICS = ("inner_product", "euclidean")
CODEBOOK_LN_EPS = 1e-5  # fixed in CodebookLayer, independent of the base model's eps

# Sites the reference itself cannot build for a family. We still support some of them as
# extensions (same math, key layout chosen by analogy) and flag them here.
REFERENCE_UNSUPPORTED = {
    ("gpt_neo", "attn"): "reference looks up the dotted name 'attn.attention' as one attribute",
    ("gpt_neo", "attn_plus_mlp"): "reference raises NotImplementedError (no pre-residual GPT-Neo block)",
    ("gpt_neo", "qkv"): "GPT-Neo has separate q/k/v projections and no qkv_key on reference main",
}
UNSUPPORTED = {("gpt_neo", "qkv")}


@dataclass
class BaseConfig:
    family: str
    vocab_size: int
    d_model: int
    n_layers: int
    n_heads: int
    d_mlp: int
    max_positions: int
    ln_eps: float
    activation: str
    tie_word_embeddings: bool
    # GPT-NeoX only
    rotary_ndims: int = 0
    rotary_base: float = 10000.0
    parallel_residual: bool = True
    attention_bias: bool = True
    # GPT-2 only
    scale_attn_weights: bool = True
    scale_attn_by_inverse_layer_idx: bool = False
    # GPT-Neo only: per-layer "global" / "local" and the local window
    attention_layers: List[str] = field(default_factory=list)
    window_size: int = 0
    hf: Dict[str, Any] = field(default_factory=dict)  # the raw HF config.json

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @staticmethod
    def from_hf(d: Dict[str, Any]) -> "BaseConfig":
        mt = d.get("model_type")
        if mt == "gpt_neox":
            return _neox_from_hf(d)
        if mt == "gpt2":
            return _gpt2_from_hf(d)
        if mt == "gpt_neo":
            return _neo_from_hf(d)
        raise ValueError(f"unsupported base model_type {mt!r} (expected one of {FAMILIES})")


def _first(d: Dict[str, Any], *names, default=None):
    for n in names:
        if n in d and d[n] is not None:
            return d[n]
    return default


def _neox_from_hf(d):
    if d.get("rope_scaling") not in (None, {}):
        raise ValueError("rope_scaling is not supported")
    d_model = d["hidden_size"]
    n_heads = d["num_attention_heads"]
    head = d_model // n_heads
    # HF: rotary_ndims = int(head_size * rotary_pct)
    rot = int(head * float(d.get("rotary_pct", 0.25)))
    return BaseConfig(
        family="gpt_neox", vocab_size=d["vocab_size"], d_model=d_model,
        n_layers=d["num_hidden_layers"], n_heads=n_heads, d_mlp=d["intermediate_size"],
        max_positions=d.get("max_position_embeddings", 2048), ln_eps=float(d.get("layer_norm_eps", 1e-5)),
        activation=d.get("hidden_act", "gelu"), tie_word_embeddings=bool(d.get("tie_word_embeddings", False)),
        rotary_ndims=rot, rotary_base=float(d.get("rotary_emb_base", 10000)),
        parallel_residual=bool(d.get("use_parallel_residual", True)),
        attention_bias=bool(d.get("attention_bias", True)), hf=dict(d))


def _gpt2_from_hf(d):
    d_model = _first(d, "n_embd", "hidden_size")
    if d.get("reorder_and_upcast_attn"):
        pass  # fp32 everywhere: the reordered/upcast path computes the same values
    if d.get("add_cross_attention"):
        raise ValueError("cross attention is not supported")
    return BaseConfig(
        family="gpt2", vocab_size=d["vocab_size"], d_model=d_model,
        n_layers=_first(d, "n_layer", "num_hidden_layers"), n_heads=_first(d, "n_head", "num_attention_heads"),
        d_mlp=_first(d, "n_inner", default=4 * d_model),
        max_positions=_first(d, "n_positions", "max_position_embeddings", default=1024),
        ln_eps=float(d.get("layer_norm_epsilon", 1e-5)), activation=d.get("activation_function", "gelu_new"),
        tie_word_embeddings=bool(d.get("tie_word_embeddings", True)),
        scale_attn_weights=bool(d.get("scale_attn_weights", True)),
        scale_attn_by_inverse_layer_idx=bool(d.get("scale_attn_by_inverse_layer_idx", False)), hf=dict(d))


def expand_attention_types(attention_types) -> List[str]:
    """GPTNeoConfig.expand_attention_types_params: [[["global","local"], 2]] -> global,local,global,local."""
    out: List[str] = []
    for kinds, repeat in attention_types:
        for _ in range(repeat):
            out.extend(kinds)
    return out


def _neo_from_hf(d):
    d_model = d["hidden_size"]
    n_layers = _first(d, "num_layers", "num_hidden_layers")
    layers = d.get("attention_layers") or expand_attention_types(d["attention_types"])
    if len(layers) != n_layers:
        raise ValueError(f"attention_layers has {len(layers)} entries for {n_layers} layers")
    return BaseConfig(
        family="gpt_neo", vocab_size=d["vocab_size"], d_model=d_model, n_layers=n_layers,
        n_heads=_first(d, "num_heads", "num_attention_heads"),
        d_mlp=_first(d, "intermediate_size", default=4 * d_model),
        max_positions=d.get("max_position_embeddings", 2048), ln_eps=float(d.get("layer_norm_epsilon", 1e-5)),
        activation=d.get("activation_function", "gelu_new"),
        tie_word_embeddings=bool(d.get("tie_word_embeddings", True)),
        attention_layers=list(layers), window_size=int(d.get("window_size", 256)), hf=dict(d))


@dataclass(frozen=True)
class CodebookSite:
    """One codebook layer: a (layer, site) pair; `groups` codebooks each over dim/groups features."""

    layer: int
    site: str
    index: int  # position in codebook_at (the order the reference applied the wrappers)
    grouped: bool  # True -> keys carry the `.codebook.{g}` level
    groups: int
    num_codes: int
    k: int
    dim: int
    metric: str

    @property
    def group_dim(self) -> int:
        return self.dim // self.groups


@dataclass
class CodebookConfig:
    codebook_at: List[str]
    codebook_type: List[str]
    num_codes: List[int]
    num_codebooks: List[int]
    k_codebook: List[int]
    layers_to_snap: List[int]
    similarity_metric: str
    raw: Dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def from_dict(d: Dict[str, Any], base: BaseConfig) -> "CodebookConfig":
        if d.get("model_type", "codebook") != "codebook":
            raise ValueError("codebook config.json must have model_type 'codebook'")
        at = d.get("codebook_at", "mlp")
        at = [at] if isinstance(at, str) else list(at)
        n = len(at)

        def per_site(key, default):
            v = d.get(key, default)
            if isinstance(v, (list, tuple)):
                if len(v) != n:
                    raise ValueError(f"length of {key} must match length of codebook_at")
                return list(v)
            return [v] * n

        ctype = per_site("codebook_type", "vanilla")
        ncodes = [int(x) for x in per_site("num_codes", 100)]
        ncb = [base.n_heads if int(x) == -1 else int(x) for x in per_site("num_codebooks", 1)]
        kk = [int(x) for x in per_site("k_codebook", 1)]
        for s, t, g in zip(at, ctype, ncb):
            if s not in SITES:
                raise ValueError(f"unknown codebook_at {s!r}")
            if t not in ("vanilla", "group"):
                raise ValueError(f"invalid codebook type {t!r}")
            if t == "vanilla" and g != 1:
                raise ValueError("vanilla codebook type can only have 1 codebook")
        layers = d.get("layers_to_snap", [])
        if layers == "all":
            layers = list(range(base.n_layers))
        layers = sorted(int(x) + base.n_layers if int(x) < 0 else int(x) for x in layers)
        for x in layers:
            if not 0 <= x < base.n_layers:
                raise ValueError(f"layer {x} out of range")
        metric = d.get("similarity_metric", "inner_product")
        if metric not in METRICS:
            raise ValueError(f"invalid similarity metric {metric!r}")
        return CodebookConfig(at, ctype, ncodes, ncb, kk, layers, metric, dict(d))

    def sites(self, base: BaseConfig) -> List[CodebookSite]:
        """All codebook layers in model order (layer, then codebook_at order)."""
        out = []
        for layer in self.layers_to_snap:
            for i, site in enumerate(self.codebook_at):
                if (base.family, site) in UNSUPPORTED:
                    raise ValueError(f"site {site} is not supported for {base.family}: "
                                     f"{REFERENCE_UNSUPPORTED[(base.family, site)]}")
                g = self.num_codebooks[i]
                grouped = self.codebook_type[i] == "group"
                dim = base.d_model
                if site == "mlp_mid":
                    dim = base.d_mlp
                elif site == "qkv":  # always a GroupCodebookLayer with 3*G groups over the fused output
                    dim, g, grouped = 3 * base.d_model, 3 * g, True
                if dim % g:
                    raise ValueError(f"{site}: dim {dim} not divisible by {g} groups")
                out.append(CodebookSite(layer, site, i, grouped, g, self.num_codes[i], self.k_codebook[i],
                                        dim, self.similarity_metric))
        return out


def check_base(base: BaseConfig):
    if base.d_model % base.n_heads:
        raise ValueError("hidden size not divisible by heads")
    if base.family == "gpt_neox" and base.rotary_ndims % 2:
        raise ValueError("rotary_ndims must be even")
    assert math.isfinite(base.ln_eps)
