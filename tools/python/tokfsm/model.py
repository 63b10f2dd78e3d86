"""GPT-NeoX with codebooks at attn_preproj (one per head) and mlp, for training on CPU.

Submodules are named like Hugging Face's GPTNeoXForCausalLM, so `base_state()` yields plain HF keys
(cbk_reference.layout maps them to the codebook-features names). Codebook math as in the semantics
doc §1: per-group LayerNorm (eps 1e-5, affine) -> score <LN(x), c>/|c| -> top-k -> mean of raw codes,
trained with the straight-through estimator plus the reference's `aeloss` term.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

CODEBOOK_LN_EPS = 1e-5
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


@dataclass
class CodebookSpec:
    num_codes: int = 1000
    k: int = 1
    sites: Tuple[str, ...] = SITES


class Trace:
    """What evaluations read: code ids per (layer, site) [B, T, G, k] and MLP hidden activations."""

    def __init__(self):
        self.ids: Dict[Tuple[int, str], torch.Tensor] = {}
        self.mlp_hidden: Dict[int, torch.Tensor] = {}


class Codebook(nn.Module):
    """G independent codebooks over contiguous chunks of the last dim (G = 1: vanilla)."""

    def __init__(self, groups: int, num_codes: int, group_dim: int, k: int):
        super().__init__()
        self.groups, self.num_codes, self.group_dim, self.k = groups, num_codes, group_dim, k
        self.codes = nn.Parameter(torch.randn(groups, num_codes, group_dim))  # nn.Embedding init N(0, 1)
        self.ln_weight = nn.Parameter(torch.ones(groups, group_dim))
        self.ln_bias = nn.Parameter(torch.zeros(groups, group_dim))

    def normed(self, x: torch.Tensor) -> torch.Tensor:
        """[B, T, G*d] -> LN'd groups [B, T, G, d]."""
        xg = x.view(*x.shape[:-1], self.groups, self.group_dim)
        return F.layer_norm(xg, (self.group_dim,), eps=CODEBOOK_LN_EPS) * self.ln_weight + self.ln_bias

    @torch.no_grad()
    def search(self, xn: torch.Tensor, chunk: int = 256) -> torch.Tensor:
        """xn [B, T, G, d] -> top-k ids [B, T, G, k] by <xn, c>/|c|.

        Token chunks keep the [chunk, C] score block in cache: ~6x faster on CPU than one big matmul.
        """
        lead = xn.shape[:-2]
        flat = xn.reshape(-1, self.groups, self.group_dim).transpose(0, 1).contiguous()  # [G, N, d]
        unit_t = (self.codes / self.codes.norm(dim=-1, keepdim=True)).transpose(1, 2).contiguous()
        n = flat.shape[1]
        ids = torch.empty(self.groups, n, self.k, dtype=torch.long, device=xn.device)
        for i in range(0, n, chunk):
            scores = torch.matmul(flat[:, i:i + chunk], unit_t)
            if self.k == 1:
                ids[:, i:i + chunk, 0] = first_argmax(scores)
            else:
                ids[:, i:i + chunk] = scores.topk(self.k, dim=-1).indices
        return ids.transpose(0, 1).reshape(*lead, self.groups, self.k)

    def lookup(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [B, T, G, k] -> mean of the selected raw codes [B, T, G, d]."""
        offset = torch.arange(self.groups, device=ids.device).view(1, 1, -1, 1) * self.num_codes
        flat = self.codes.reshape(-1, self.group_dim)
        return F.embedding(ids + offset, flat).mean(dim=-2)

    def forward(self, x: torch.Tensor, force: Optional[Tuple[torch.Tensor, torch.Tensor]] = None):
        """Returns (output [B, T, D], aeloss, ids [B, T, G, k]).

        force = (mask [B, T] or [B, T, G] bool, ids [B, T, G]): replace the selected ids (all k slots)
        where mask is set, like the reference's id hook with every slot forced.
        """
        xn = self.normed(x)
        ids = self.search(xn.detach())
        if force is not None:
            mask, forced = force
            if mask.dim() == 2:
                mask = mask[..., None].expand(-1, -1, self.groups)
            ids = torch.where(mask[..., None], forced[..., None].expand_as(ids), ids)
        y = self.lookup(ids)
        # straight-through: forward value y, gradient to LN(x) unchanged, codes get the gather gradient
        out = y + (xn - xn.detach())
        # aeloss: mean over tokens of |y - LN(x)|^2, gradient into the codebook only (summed over groups)
        ae = (y - xn.detach()).pow(2).sum(-1).mean(dim=(0, 1)).sum()
        return out.reshape(x.shape), ae, ids


def first_argmax(scores: torch.Tensor) -> torch.Tensor:
    """argmax over the last dim, ties to the lowest index (like cbk_reference and the C++ engine).
    torch documents that argmax returns the first of equal maxima, so no extra tie-breaking pass is
    needed (that pass cost ~30 % of a fine-tune step)."""
    return scores.argmax(dim=-1)


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


class TokFsmModel(nn.Module):
    def __init__(self, shape: ModelShape = ModelShape(), seed: int = 0):
        super().__init__()
        self.shape = shape
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        self.gpt_neox = NeoXBody(shape)
        self.embed_out = nn.Linear(shape.d_model, shape.vocab_size, bias=False)
        self._hf_init()
        torch.random.set_rng_state(gen_state)
        self.codebooks = nn.ModuleDict()
        self.spec: Optional[CodebookSpec] = None

    def _hf_init(self, std: float = 0.02):
        """GPTNeoXPreTrainedModel._init_weights: N(0, 0.02) weights, zero biases, unit LayerNorms."""
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=std)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @staticmethod
    def codebook_key(layer: int, site: str) -> str:
        return f"{layer}_{site}"

    def add_codebooks(self, spec: CodebookSpec, seed: int = 0):
        s = self.shape
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        for layer in range(s.n_layers):
            for site in spec.sites:
                groups = s.n_heads if site == "attn_preproj" else 1
                self.codebooks[self.codebook_key(layer, site)] = Codebook(groups, spec.num_codes, s.d_model // groups, spec.k)
        torch.random.set_rng_state(gen_state)
        self.spec = spec

    def codebook(self, layer: int, site: str) -> Optional[Codebook]:
        key = self.codebook_key(layer, site)
        return self.codebooks[key] if key in self.codebooks else None

    def base_state(self) -> Dict[str, torch.Tensor]:
        return {k: v for k, v in self.state_dict().items() if not k.startswith("codebooks.")}

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
        ae_total = x.new_zeros(())
        for li, layer in enumerate(self.gpt_neox.layers):
            def site(name, act):
                nonlocal ae_total
                if capture is not None and (li, name) in capture:
                    capture[(li, name)].append(act.detach())
                cb = None if bypass else self.codebook(li, name)
                if cb is None:
                    return act
                out, ae, cids = cb(act, None if force is None else force.get((li, name)))
                ae_total = ae_total + ae
                if trace is not None:
                    trace.ids[(li, name)] = cids
                return out

            z = layer.attention.merged_heads(layer.input_layernorm(x), cos, sin, mask,
                                                None if cache is None else cache[li])
            a = layer.attention.dense(site("attn_preproj", z))
            hid = F.gelu(layer.mlp.dense_h_to_4h(layer.post_attention_layernorm(x)))
            if trace is not None:
                trace.mlp_hidden[li] = hid
            m = site("mlp", layer.mlp.dense_4h_to_h(hid))
            x = x + a + m  # parallel residual (GPT-NeoX default)
        x = self.gpt_neox.final_layer_norm(x)
        return self.embed_out(x), ae_total


def shape_dict(shape: ModelShape) -> dict:
    return asdict(shape)
