"""Transformer blocks of the three families, written from the Hugging Face modeling math (fp32).

Every function takes a `hook(site, tensor) -> tensor` that applies the codebook of that site in this
layer (identity when there is none), so the codebook insertion points sit exactly where the
reference's wrappers/replacement modules put them (semantics doc §2.1).
All tensors are [T, ...] for one sequence; `positions` are absolute.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

from .config import BaseConfig

Hook = Callable[[str, torch.Tensor], torch.Tensor]
MASK_VALUE = torch.finfo(torch.float32).min  # HF fills masked scores with the dtype's min


def activation(name: str, x: torch.Tensor) -> torch.Tensor:
    if name == "gelu":  # HF GELUActivation: exact erf form
        return F.gelu(x)
    if name == "gelu_new":  # HF NewGELUActivation: tanh approximation written out
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "gelu_pytorch_tanh":
        return F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu(x)
    raise ValueError(f"unsupported activation {name!r}")


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def linear(x, w, b=None):
    """nn.Linear: weight [out, in]."""
    y = torch.matmul(x, w.T)
    return y + b if b is not None else y


def conv1d(x, w, b):
    """GPT-2 Conv1D: weight [in, out], y = b + x @ w (torch.addmm)."""
    return torch.addmm(b, x, w)


def rotary_cos_sin(positions: torch.Tensor, ndims: int, base: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """GPTNeoXRotaryEmbedding: inv_freq_i = 1/base^(2i/ndims); angle = pos*inv_freq, duplicated halves."""
    inv_freq = 1.0 / (base ** (torch.arange(0, ndims, 2, dtype=torch.int64).float() / ndims))
    freqs = torch.outer(positions.to(torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, ndims: int) -> torch.Tensor:
    """x: [H, T, hd]; rotate the first ndims dims of every head, pass the rest through."""
    rot, rest = x[..., :ndims], x[..., ndims:]
    return torch.cat((rot * cos + rotate_half(rot) * sin, rest), dim=-1)


def visibility_mask(q_pos: torch.Tensor, k_pos: torch.Tensor, window: Optional[int]) -> torch.Tensor:
    """[Tq, Tk] bool: key j visible to query i iff j <= i (and i - window < j for local layers)."""
    i = q_pos[:, None]
    j = k_pos[None, :]
    vis = j <= i
    if window is not None:
        vis = vis & (j > i - window)
    return vis


def attend(q, k, v, q_pos, k_pos, scale: Optional[float], divisors=(), window=None):
    """q [H,Tq,hd], k/v [H,Tk,hd] -> [Tq, H*hd] (heads merged: head h occupies dims [h*hd, (h+1)*hd))."""
    scores = torch.matmul(q, k.transpose(-1, -2))
    if scale is not None:
        scores = scores * scale
    for div in divisors:
        scores = scores / div
    vis = visibility_mask(q_pos, k_pos, window)
    scores = torch.where(vis[None], scores, torch.tensor(MASK_VALUE, dtype=scores.dtype))
    probs = torch.softmax(scores, dim=-1)
    out = torch.matmul(probs, v)  # [H, Tq, hd]
    return out.permute(1, 0, 2).reshape(out.shape[1], -1)


def split_heads(x, n_heads):
    """[T, H*hd] -> [H, T, hd]."""
    t = x.shape[0]
    return x.view(t, n_heads, -1).permute(1, 0, 2)


class KVCache:
    """Per layer: keys (post-rotary for NeoX) and values [H, T_past, hd], plus absolute positions."""

    def __init__(self, n_layers: int):
        self.k: List[Optional[torch.Tensor]] = [None] * n_layers
        self.v: List[Optional[torch.Tensor]] = [None] * n_layers

    def extend(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.k[layer] is not None:
            k = torch.cat((self.k[layer], k), dim=1)
            v = torch.cat((self.v[layer], v), dim=1)
        self.k[layer], self.v[layer] = k, v
        return k, v

    def length(self) -> int:
        return 0 if self.k[0] is None else self.k[0].shape[1]


def neox_attention(cfg: BaseConfig, w: Dict[str, torch.Tensor], p: str, x, positions, cache: KVCache, layer: int,
                   hook: Hook):
    h, hd = cfg.n_heads, cfg.head_dim
    qkv = linear(x, w[f"{p}.attention.query_key_value.weight"], w.get(f"{p}.attention.query_key_value.bias"))
    qkv = hook("qkv", qkv)  # fused output, per-head interleaved layout [h][q|k|v]
    qkv = qkv.view(x.shape[0], h, 3 * hd).permute(1, 0, 2)
    q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
    cos, sin = rotary_cos_sin(positions, cfg.rotary_ndims, cfg.rotary_base)
    q = apply_rotary(q, cos, sin, cfg.rotary_ndims)
    k = apply_rotary(k, cos, sin, cfg.rotary_ndims)
    k_all, v_all = cache.extend(layer, k, v)
    k_pos = torch.arange(k_all.shape[1])
    z = attend(q, k_all, v_all, positions, k_pos, scale=hd ** -0.5)
    z = hook("attn_preproj", z)
    return hook("attn", linear(z, w[f"{p}.attention.dense.weight"], w.get(f"{p}.attention.dense.bias")))


def gpt2_attention(cfg: BaseConfig, w, p, x, positions, cache: KVCache, layer: int, hook: Hook):
    d, h, hd = cfg.d_model, cfg.n_heads, cfg.head_dim
    qkv = hook("qkv", conv1d(x, w[f"{p}.attn.c_attn.weight"], w[f"{p}.attn.c_attn.bias"]))  # [Q | K | V]
    q, k, v = (split_heads(t, h) for t in qkv.split(d, dim=-1))
    k_all, v_all = cache.extend(layer, k, v)
    divisors = []
    if cfg.scale_attn_weights:  # HF divides by a 0-d tensor holding head_dim ** 0.5
        divisors.append(float(hd) ** 0.5)
    if cfg.scale_attn_by_inverse_layer_idx:
        divisors.append(float(layer + 1))
    z = attend(q, k_all, v_all, positions, torch.arange(k_all.shape[1]), scale=None, divisors=divisors)
    z = hook("attn_preproj", z)
    return hook("attn", conv1d(z, w[f"{p}.attn.c_proj.weight"], w[f"{p}.attn.c_proj.bias"]))


def neo_attention(cfg: BaseConfig, w, p, x, positions, cache: KVCache, layer: int, hook: Hook):
    a = f"{p}.attn.attention"
    h = cfg.n_heads
    q = split_heads(linear(x, w[f"{a}.q_proj.weight"]), h)
    k = split_heads(linear(x, w[f"{a}.k_proj.weight"]), h)
    v = split_heads(linear(x, w[f"{a}.v_proj.weight"]), h)
    k_all, v_all = cache.extend(layer, k, v)
    window = cfg.window_size if cfg.attention_layers[layer] == "local" else None
    # GPT-Neo does not scale the scores by 1/sqrt(head_dim)
    z = attend(q, k_all, v_all, positions, torch.arange(k_all.shape[1]), scale=None, window=window)
    z = hook("attn_preproj", z)
    return hook("attn", linear(z, w[f"{a}.out_proj.weight"], w[f"{a}.out_proj.bias"]))


def mlp(cfg: BaseConfig, w, p, x, hook: Hook):
    if cfg.family == "gpt_neox":
        hid = activation(cfg.activation, linear(x, w[f"{p}.mlp.dense_h_to_4h.weight"], w[f"{p}.mlp.dense_h_to_4h.bias"]))
        hid = hook("mlp_mid", hid)
        out = linear(hid, w[f"{p}.mlp.dense_4h_to_h.weight"], w[f"{p}.mlp.dense_4h_to_h.bias"])
    elif cfg.family == "gpt2":
        hid = hook("mlp_mid", activation(cfg.activation, conv1d(x, w[f"{p}.mlp.c_fc.weight"], w[f"{p}.mlp.c_fc.bias"])))
        out = conv1d(hid, w[f"{p}.mlp.c_proj.weight"], w[f"{p}.mlp.c_proj.bias"])
    else:
        hid = hook("mlp_mid", activation(cfg.activation, linear(x, w[f"{p}.mlp.c_fc.weight"], w[f"{p}.mlp.c_fc.bias"])))
        out = linear(hid, w[f"{p}.mlp.c_proj.weight"], w[f"{p}.mlp.c_proj.bias"])
    return hook("mlp", out)


_ATTENTION = {"gpt_neox": neox_attention, "gpt2": gpt2_attention, "gpt_neo": neo_attention}


def block(cfg: BaseConfig, w, p: str, x, positions, cache: KVCache, layer: int, hook: Hook, has_attn_plus_mlp: bool):
    """One layer; returns the new residual stream. attn_plus_mlp quantizes attn_out + mlp_out before the add."""
    attn_fn = _ATTENTION[cfg.family]
    if cfg.family == "gpt_neox":
        a = attn_fn(cfg, w, p, layer_norm(x, w[f"{p}.input_layernorm.weight"], w[f"{p}.input_layernorm.bias"],
                                          cfg.ln_eps), positions, cache, layer, hook)
        ln2 = (w[f"{p}.post_attention_layernorm.weight"], w[f"{p}.post_attention_layernorm.bias"])
        if cfg.parallel_residual:
            m = mlp(cfg, w, p, layer_norm(x, *ln2, cfg.ln_eps), hook)
            if has_attn_plus_mlp:
                out = hook("attn_plus_mlp", m + a) + x
            else:
                out = m + a + x
        else:
            h = a + x
            m = mlp(cfg, w, p, layer_norm(h, *ln2, cfg.ln_eps), hook)
            out = hook("attn_plus_mlp", m + a) + x if has_attn_plus_mlp else m + h
    else:
        a = attn_fn(cfg, w, p, layer_norm(x, w[f"{p}.ln_1.weight"], w[f"{p}.ln_1.bias"], cfg.ln_eps),
                    positions, cache, layer, hook)
        h = a + x
        m = mlp(cfg, w, p, layer_norm(h, w[f"{p}.ln_2.weight"], w[f"{p}.ln_2.bias"], cfg.ln_eps), hook)
        out = x + hook("attn_plus_mlp", m + a) if has_attn_plus_mlp else h + m
    return hook("transformer_block", out)
