"""GPT-Neo (the TinyStories family) in torch for training on CPU, with codebooks at its sites.

Hugging Face GPTNeoForCausalLM's math and parameter names (`transformer.wte`, `transformer.h.{i}.attn.attention.q_proj`,
...; `lm_head` tied to `wte`), so `state_dict()` keys are the plain HF keys cbk_reference.layout maps:
learned absolute positions, pre-LN blocks (x + attn(ln_1 x), then + mlp(ln_2 .)), q/k/v without bias,
**no 1/sqrt(head_dim) scaling** of the scores, local layers that see the last `window_size` keys,
gelu_new MLP. Codebook sites: attn_preproj (the merged heads before out_proj) and mlp (after c_proj).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from .base import hf_init, seeded
from .codebook import CodebookHost, SiteRun, Trace


@dataclass
class NeoShape:
    vocab_size: int = 2048
    d_model: int = 256
    n_layers: int = 1
    n_heads: int = 16
    d_mlp: int = 1024
    max_positions: int = 512
    window_size: int = 256
    ln_eps: float = 1e-5
    # per layer "global" / "local"; empty: GPTNeoConfig's pattern (global, local, global, ...)
    attention_layers: List[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.attention_layers:
            self.attention_layers = [("global", "local")[i % 2] for i in range(self.n_layers)]

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    """HF NewGELUActivation, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): torch's fused tanh-approximate
    GELU is the same function (equal up to float rounding) and several times faster on CPU than the
    formula written out."""
    return F.gelu(x, approximate="tanh")


class SelfAttention(nn.Module):
    def __init__(self, s: NeoShape):
        super().__init__()
        self.k_proj = nn.Linear(s.d_model, s.d_model, bias=False)
        self.v_proj = nn.Linear(s.d_model, s.d_model, bias=False)
        self.q_proj = nn.Linear(s.d_model, s.d_model, bias=False)
        self.out_proj = nn.Linear(s.d_model, s.d_model)


class AttentionWrap(nn.Module):  # HF GPTNeoAttention holds the real module as `.attention`
    def __init__(self, s: NeoShape):
        super().__init__()
        self.attention = SelfAttention(s)


class Mlp(nn.Module):
    def __init__(self, s: NeoShape):
        super().__init__()
        self.c_fc = nn.Linear(s.d_model, s.d_mlp)
        self.c_proj = nn.Linear(s.d_mlp, s.d_model)


class Block(nn.Module):
    def __init__(self, s: NeoShape):
        super().__init__()
        self.ln_1 = nn.LayerNorm(s.d_model, eps=s.ln_eps)
        self.attn = AttentionWrap(s)
        self.ln_2 = nn.LayerNorm(s.d_model, eps=s.ln_eps)
        self.mlp = Mlp(s)


class NeoBody(nn.Module):
    def __init__(self, s: NeoShape):
        super().__init__()
        self.wte = nn.Embedding(s.vocab_size, s.d_model)
        self.wpe = nn.Embedding(s.max_positions, s.d_model)
        self.h = nn.ModuleList(Block(s) for _ in range(s.n_layers))
        self.ln_f = nn.LayerNorm(s.d_model, eps=s.ln_eps)


class NeoModel(nn.Module, CodebookHost):
    def __init__(self, shape: NeoShape, seed: int = 0):
        super().__init__()
        self.shape = shape
        with seeded(seed):
            self.transformer = NeoBody(shape)
            self.lm_head = nn.Linear(shape.d_model, shape.vocab_size, bias=False)
            hf_init(self)
        self.lm_head.weight = self.transformer.wte.weight  # tie_word_embeddings (GPTNeoConfig default)
        self.init_codebooks()

    def _merged_heads(self, li: int, x: torch.Tensor, start: int, cache: Optional[list]) -> torch.Tensor:
        """z [B, T, H*hd]: softmax(q kᵀ) v per head (no scaling), causal, windowed on local layers."""
        s = self.shape
        att = self.transformer.h[li].attn.attention
        b, t, _ = x.shape
        split = lambda y: y.view(b, t, s.n_heads, s.head_dim).transpose(1, 2)  # noqa: E731
        q, k, v = split(att.q_proj(x)), split(att.k_proj(x)), split(att.v_proj(x))
        if cache is not None:
            if cache:
                k = torch.cat((cache[0], k), dim=2)
                v = torch.cat((cache[1], v), dim=2)
            cache[:] = [k, v]
        tk = k.shape[2]
        qpos = torch.arange(start, start + t, device=x.device)[:, None]
        kpos = torch.arange(tk, device=x.device)[None, :]
        hidden = kpos > qpos
        if s.attention_layers[li] == "local":
            hidden = hidden | (kpos <= qpos - s.window_size)
        # hidden keys get the dtype's minimum, as HF's masked fill; added in the score product (one pass less)
        bias = torch.zeros(t, tk, dtype=q.dtype, device=x.device).masked_fill(hidden, torch.finfo(q.dtype).min)
        scores = torch.baddbmm(bias, q.reshape(b * s.n_heads, t, s.head_dim),
                               k.reshape(b * s.n_heads, tk, s.head_dim).transpose(1, 2))
        z = torch.bmm(torch.softmax(scores, dim=-1), v.reshape(b * s.n_heads, tk, s.head_dim))
        return z.view(b, s.n_heads, t, s.head_dim).transpose(1, 2).reshape(b, t, s.d_model)

    def forward(self, ids: torch.Tensor, trace: Optional[Trace] = None, force=None, bypass=False,
                capture=None, cache: Optional[List[list]] = None):
        """ids [B, T] -> (logits [B, T, V], summed aeloss); options as CodebookHost.forward_site, and
        cache: per-layer [k, v] lists (start with [[] for each layer]) for incremental decoding."""
        start = cache[0][0].shape[2] if cache and cache[0] else 0
        pos = torch.arange(start, start + ids.shape[1], device=ids.device)
        x = self.transformer.wte(ids) + self.transformer.wpe(pos)
        run = SiteRun(trace, force, bypass, capture)
        for li, block in enumerate(self.transformer.h):
            z = self._merged_heads(li, block.ln_1(x), start, None if cache is None else cache[li])
            x = x + block.attn.attention.out_proj(self.forward_site(run, li, "attn_preproj", z))
            m = block.mlp.c_proj(gelu_new(block.mlp.c_fc(block.ln_2(x))))
            x = x + self.forward_site(run, li, "mlp", m)
        return self.lm_head(self.transformer.ln_f(x)), self.ae_of(run, x)
