"""Exact state-dict key layout of a codebook-features checkpoint (semantics doc §3.2).

The reference builds a CodebookModel by mutating the HF model in `codebook_at` order:
  * "wrap" sites (attn, mlp, mlp_mid, qkv, transformer_block) put a CodebookWrapper at a module path P:
    the original module's tensors move to `P.module_layer.*`, the codebook lives at `P.codebook_layer.*`;
  * "replace" sites (attn_preproj, attn_plus_mlp) swap the module at P for a subclass that keeps the
    original tensor names and adds `P.codebook_layer.*`.
Every key gets the `model.` prefix (CodebookModel stores the HF model as attribute `model`).
A group codebook adds a `.codebook.{g}` level: `codebook_layer.codebook.{g}.codebook.weight`.

Orders for which the reference silently misbehaves (e.g. wrapping inside an already wrapped module,
which registers the codebook on the wrapper but never runs it) are rejected here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .config import BaseConfig, CodebookConfig, CodebookSite

# HF module paths relative to one layer.
_ATTN = {"gpt_neox": "attention", "gpt2": "attn", "gpt_neo": "attn.attention"}
_QKV = {"gpt_neox": "attention.query_key_value", "gpt2": "attn.c_attn"}
_WRAP_OR_REPLACE = {
    "attn_preproj": "replace", "attn_plus_mlp": "replace",
    "attn": "wrap", "mlp": "wrap", "mlp_mid": "wrap", "qkv": "wrap", "transformer_block": "wrap",
}


def site_module_path(family: str, site: str) -> str:
    if site in ("attn_preproj", "attn"):
        return _ATTN[family]
    if site == "mlp":
        return "mlp"
    if site == "mlp_mid":
        return "mlp.act"
    if site == "qkv":
        return _QKV[family]
    return ""  # attn_plus_mlp / transformer_block act on the whole layer


def layer_prefix(family: str, layer: int) -> str:
    return f"gpt_neox.layers.{layer}" if family == "gpt_neox" else f"transformer.h.{layer}"


def base_tensors(base: BaseConfig) -> List[Tuple[str, Tuple[int, ...]]]:
    """(plain HF key, shape) of every parameter of the base model, in HF registration order."""
    d, f, v, p = base.d_model, base.d_mlp, base.vocab_size, base.max_positions
    out: List[Tuple[str, Tuple[int, ...]]] = []
    fam = base.family
    if fam == "gpt_neox":
        out.append(("gpt_neox.embed_in.weight", (v, d)))
        for L in range(base.n_layers):
            q = layer_prefix(fam, L)
            out += [(f"{q}.input_layernorm.weight", (d,)), (f"{q}.input_layernorm.bias", (d,)),
                    (f"{q}.post_attention_layernorm.weight", (d,)), (f"{q}.post_attention_layernorm.bias", (d,)),
                    (f"{q}.attention.query_key_value.weight", (3 * d, d))]
            if base.attention_bias:
                out.append((f"{q}.attention.query_key_value.bias", (3 * d,)))
            out.append((f"{q}.attention.dense.weight", (d, d)))
            if base.attention_bias:
                out.append((f"{q}.attention.dense.bias", (d,)))
            out += [(f"{q}.mlp.dense_h_to_4h.weight", (f, d)), (f"{q}.mlp.dense_h_to_4h.bias", (f,)),
                    (f"{q}.mlp.dense_4h_to_h.weight", (d, f)), (f"{q}.mlp.dense_4h_to_h.bias", (d,))]
        out += [("gpt_neox.final_layer_norm.weight", (d,)), ("gpt_neox.final_layer_norm.bias", (d,)),
                ("embed_out.weight", (v, d))]
        return out
    out += [("transformer.wte.weight", (v, d)), ("transformer.wpe.weight", (p, d))]
    for L in range(base.n_layers):
        q = layer_prefix(fam, L)
        out += [(f"{q}.ln_1.weight", (d,)), (f"{q}.ln_1.bias", (d,))]
        if fam == "gpt2":  # Conv1D: weight is [in, out]
            out += [(f"{q}.attn.c_attn.weight", (d, 3 * d)), (f"{q}.attn.c_attn.bias", (3 * d,)),
                    (f"{q}.attn.c_proj.weight", (d, d)), (f"{q}.attn.c_proj.bias", (d,))]
        else:  # nn.Linear: weight is [out, in]; q/k/v have no bias
            a = f"{q}.attn.attention"
            out += [(f"{a}.k_proj.weight", (d, d)), (f"{a}.v_proj.weight", (d, d)),
                    (f"{a}.q_proj.weight", (d, d)), (f"{a}.out_proj.weight", (d, d)), (f"{a}.out_proj.bias", (d,))]
        out += [(f"{q}.ln_2.weight", (d,)), (f"{q}.ln_2.bias", (d,))]
        if fam == "gpt2":
            out += [(f"{q}.mlp.c_fc.weight", (d, f)), (f"{q}.mlp.c_fc.bias", (f,)),
                    (f"{q}.mlp.c_proj.weight", (f, d)), (f"{q}.mlp.c_proj.bias", (d,))]
        else:
            out += [(f"{q}.mlp.c_fc.weight", (f, d)), (f"{q}.mlp.c_fc.bias", (f,)),
                    (f"{q}.mlp.c_proj.weight", (d, f)), (f"{q}.mlp.c_proj.bias", (d,))]
    out += [("transformer.ln_f.weight", (d,)), ("transformer.ln_f.bias", (d,)), ("lm_head.weight", (v, d))]
    return out


def buffer_tensors(base: BaseConfig) -> List[Tuple[str, Tuple[int, ...], str]]:
    """Non-parameter buffers older transformers versions saved (converters must ignore them).

    (plain HF key, shape, dtype name) with dtype in {"bool", "uint8", "float32"}.
    """
    p = base.max_positions
    out = []
    for L in range(base.n_layers):
        q = layer_prefix(base.family, L)
        if base.family == "gpt_neox":
            out += [(f"{q}.attention.bias", (1, 1, p, p), "bool"), (f"{q}.attention.masked_bias", (), "float32"),
                    (f"{q}.attention.rotary_emb.inv_freq", (base.rotary_ndims // 2,), "float32")]
        elif base.family == "gpt2":
            out += [(f"{q}.attn.bias", (1, 1, p, p), "bool"), (f"{q}.attn.masked_bias", (), "float32")]
        else:
            out += [(f"{q}.attn.attention.bias", (1, 1, p, p), "uint8"),
                    (f"{q}.attn.attention.masked_bias", (), "float32")]
    return out


CODEBOOK_PARAMS = ("codebook.weight", "ln.weight", "ln.bias")


@dataclass(frozen=True)
class CodebookTensorRef:
    layer: int
    site: str
    group: int  # 0 for vanilla codebooks
    param: str  # one of CODEBOOK_PARAMS


def _is_within(path: str, ancestor: str) -> bool:
    """path lies strictly inside module `ancestor` ("" = the layer itself)."""
    return ancestor == "" and path != "" or path.startswith(ancestor + ".")


def _check_order(base: BaseConfig, sites: List[CodebookSite]):
    applied: List[Tuple[str, str, str]] = []  # (site, mode, path)
    for s in sites:
        path = site_module_path(base.family, s.site)
        mode = _WRAP_OR_REPLACE[s.site]
        for prev_site, prev_mode, prev_path in applied:
            bad = False
            if prev_mode == "wrap" and (prev_path == path and mode == "wrap" or _is_within(path, prev_path)):
                bad = True  # setattr lands on the wrapper, the codebook never runs
            if mode == "replace" and (prev_path == path or _is_within(prev_path, path)):
                bad = True  # replacement is rebuilt from a state dict with strict=False: earlier codebook lost
            if bad:
                raise ValueError(f"layer {s.layer}: codebook_at order {prev_site} then {s.site} is not "
                                 "reproduced correctly by the reference; put the inner site first")
        applied.append((s.site, mode, path))


def checkpoint_layout(base: BaseConfig, cb: CodebookConfig, with_prefix: bool = True) -> Dict[str, object]:
    """Map every reference key to what it holds: a plain HF key (str) or a CodebookTensorRef.

    Buffers are not included (see buffer_tensors / reference_buffer_key).
    """
    sites = cb.sites(base)
    by_layer: Dict[int, List[CodebookSite]] = {}
    for s in sites:
        by_layer.setdefault(s.layer, []).append(s)
    layout: Dict[str, object] = {}
    for ls in by_layer.values():
        _check_order(base, ls)
    top = "model." if with_prefix else ""
    for hf_key, _shape in base_tensors(base):
        layout[top + reference_base_key(base, by_layer, hf_key)] = hf_key
    for s in sites:
        for g in range(s.groups):
            for prm in CODEBOOK_PARAMS:
                rel = _codebook_rel_key(base, by_layer[s.layer], s, g, prm)
                layout[top + layer_prefix(base.family, s.layer) + "." + rel] = CodebookTensorRef(s.layer, s.site, g, prm)
    return layout


def _split_layer_key(base: BaseConfig, hf_key: str) -> Tuple[Optional[int], str]:
    parts = hf_key.split(".")
    head = "gpt_neox.layers." if base.family == "gpt_neox" else "transformer.h."
    if hf_key.startswith(head):
        n = len(head.split(".")) - 1
        return int(parts[n]), ".".join(parts[n + 1:])
    return None, hf_key


def _apply_wraps(rel: str, later_sites: List[CodebookSite], family: str) -> str:
    """Insert `.module_layer` for every wrap site (applied after the tensor got its name) that encloses it."""
    for s in later_sites:
        if _WRAP_OR_REPLACE[s.site] != "wrap":
            continue
        w = site_module_path(family, s.site)
        if w == "":
            rel = "module_layer." + rel
        elif rel.startswith(w + "."):
            rel = w + ".module_layer." + rel[len(w) + 1:]
    return rel


def reference_base_key(base: BaseConfig, by_layer: Dict[int, List[CodebookSite]], hf_key: str) -> str:
    L, rel = _split_layer_key(base, hf_key)
    if L is None or L not in by_layer:
        return hf_key
    return layer_prefix(base.family, L) + "." + _apply_wraps(rel, by_layer[L], base.family)


def _codebook_rel_key(base, layer_sites: List[CodebookSite], s: CodebookSite, g: int, prm: str) -> str:
    path = site_module_path(base.family, s.site)
    rel = (path + "." if path else "") + "codebook_layer." + (f"codebook.{g}." if s.grouped else "") + prm
    # the codebook is created with its own wrapper/replacement; only sites applied later can enclose it
    later = [t for t in layer_sites if t.index > s.index]
    return _apply_wraps(rel, later, base.family)


def reference_buffer_key(base: BaseConfig, cb: CodebookConfig, hf_key: str, with_prefix: bool = True) -> str:
    by_layer: Dict[int, List[CodebookSite]] = {}
    for s in cb.sites(base):
        by_layer.setdefault(s.layer, []).append(s)
    return ("model." if with_prefix else "") + reference_base_key(base, by_layer, hf_key)
