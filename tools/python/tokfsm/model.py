"""GPT-NeoX with codebooks at attn_preproj (one per head) and mlp, for training on CPU.

Submodules are named like Hugging Face's GPTNeoXForCausalLM, so `base_state()` yields plain HF keys
(cbk_reference.layout maps them to the codebook-features names). The codebook layer and its sites are
cbktrain.codebook's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from cbktrain.base import hf_init, seeded
from cbktrain.codebook import CodebookHost, CodebookSpec, SiteRun, Trace  # noqa: F401  (CodebookSpec: re-exported)

SITES = ("attn_preproj", "mlp")


@dataclass
class ModelShape:
    vocab_size: int = 11
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    d_mlp: int = 512
    max_positions: int = 128
    # HF GPTNeoXConfig default; fsm_main.yaml does not set it, so the reference's model used 0.25
    rotary_pct: float = 0.25
    rotary_base: float = 10000.0
    ln_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def rotary_ndims(self) -> int:
        return int(self.head_dim * self.rotary_pct)


def rotary_tables(shape: ModelShape, t: int, device=None) -> Tuple[torch.Tensor, torch.Tensor]:
    n = shape.rotary_ndims
    inv_freq = 1.0 / (shape.rotary_base ** (torch.arange(0, n, 2, dtype=torch.int64).float() / n))
    freqs = torch.outer(torch.arange(t, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(device), emb.sin().to(device)


def rotate_first(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, n: int) -> torch.Tensor:
    rot, rest = x[..., :n], x[..., n:]
    half = n // 2
    rotated = torch.cat((-rot[..., half:], rot[..., :half]), dim=-1)
    return torch.cat((rot * cos + rotated * sin, rest), dim=-1)


class Attention(nn.Module):
    def __init__(self, s: ModelShape):
        super().__init__()
        self.s = s
        self.query_key_value = nn.Linear(s.d_model, 3 * s.d_model)
        self.dense = nn.Linear(s.d_model, s.d_model)

    def merged_heads(self, x: torch.Tensor, cos, sin, mask, cache: Optional[list] = None) -> torch.Tensor:
        """Per-head attention outputs z [B, T, H*hd] (the attn_preproj tensor).

        cache: [k, v] of earlier positions (rotated keys), extended in place; cos/sin/mask cover the new rows.
        """
        b, t, _ = x.shape
        s = self.s
        qkv = self.query_key_value(x).view(b, t, s.n_heads, 3 * s.head_dim).transpose(1, 2)  # [h][q|k|v]
        q, k, v = qkv.split(s.head_dim, dim=-1)
        q = rotate_first(q, cos, sin, s.rotary_ndims)
        k = rotate_first(k, cos, sin, s.rotary_ndims)
        if cache is not None:
            if cache:
                k = torch.cat((cache[0], k), dim=2)
                v = torch.cat((cache[1], v), dim=2)
            cache[:] = [k, v]
        scores = torch.matmul(q, k.transpose(-1, -2)) * s.head_dim ** -0.5
        scores = scores.masked_fill(mask, torch.finfo(scores.dtype).min)
        z = torch.matmul(torch.softmax(scores, dim=-1), v)
        return z.transpose(1, 2).reshape(b, t, s.d_model)


class Mlp(nn.Module):
    def __init__(self, s: ModelShape):
        super().__init__()
        self.dense_h_to_4h = nn.Linear(s.d_model, s.d_mlp)
        self.dense_4h_to_h = nn.Linear(s.d_mlp, s.d_model)


class Layer(nn.Module):
    def __init__(self, s: ModelShape):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(s.d_model, eps=s.ln_eps)
        self.post_attention_layernorm = nn.LayerNorm(s.d_model, eps=s.ln_eps)
        self.attention = Attention(s)
        self.mlp = Mlp(s)


class NeoXBody(nn.Module):
    def __init__(self, s: ModelShape):
        super().__init__()
        self.embed_in = nn.Embedding(s.vocab_size, s.d_model)
        self.layers = nn.ModuleList(Layer(s) for _ in range(s.n_layers))
        self.final_layer_norm = nn.LayerNorm(s.d_model, eps=s.ln_eps)


class TokFsmModel(nn.Module, CodebookHost):
    def __init__(self, shape: ModelShape = ModelShape(), seed: int = 0):
        super().__init__()
        self.shape = shape
        with seeded(seed):
            self.gpt_neox = NeoXBody(shape)
            self.embed_out = nn.Linear(shape.d_model, shape.vocab_size, bias=False)
            hf_init(self)
        self.init_codebooks()

    def forward(self, ids: torch.Tensor, trace: Optional[Trace] = None, force=None, bypass=False,
                capture=None, cache: Optional[List[list]] = None):
        """ids [B, T] -> (logits [B, T, V], summed aeloss).

        force: {(layer, site): (mask, ids)} see Codebook.forward; bypass: run without codebooks;
        capture: {(layer, site): list} receives the raw pre-codebook activations (for k-means init);
        cache: per-layer [k, v] lists (start with [[] for each layer]) for incremental decoding.
        """
        s = self.shape
        b, t = ids.shape
        start = cache[0][0].shape[2] if cache and cache[0] else 0
        cos, sin = rotary_tables(s, start + t, ids.device)
        cos, sin = cos[start:], sin[start:]
        # True = hidden: key j is visible to query i (absolute start + i) iff j <= start + i
        mask = torch.ones(t, start + t, dtype=torch.bool, device=ids.device).triu(start + 1)
        x = self.gpt_neox.embed_in(ids)
        run = SiteRun(trace, force, bypass, capture)
        for li, layer in enumerate(self.gpt_neox.layers):
            z = layer.attention.merged_heads(layer.input_layernorm(x), cos, sin, mask,
                                                None if cache is None else cache[li])
            a = layer.attention.dense(self.forward_site(run, li, "attn_preproj", z))
            hid = F.gelu(layer.mlp.dense_h_to_4h(layer.post_attention_layernorm(x)))
            if trace is not None:
                trace.mlp_hidden[li] = hid
            m = self.forward_site(run, li, "mlp", layer.mlp.dense_4h_to_h(hid))
            x = x + a + m  # parallel residual (GPT-NeoX default)
        x = self.gpt_neox.final_layer_norm(x)
        return self.embed_out(x), self.ae_of(run, x)


def shape_dict(shape: ModelShape) -> dict:
    return asdict(shape)
