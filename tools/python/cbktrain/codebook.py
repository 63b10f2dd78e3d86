"""The codebook layer for training, and the mixin that gives a model codebooks at its sites.

Codebook math as in the semantics doc §1: per-group LayerNorm (eps 1e-5, affine) -> score <LN(x), c>/|c|
-> top-k (ties to the lower id) -> mean of raw codes, trained with the straight-through estimator plus
the reference's `aeloss` term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

CODEBOOK_LN_EPS = 1e-5


@dataclass
class CodebookSpec:
    num_codes: int = 1000
    k: int = 1
    sites: Tuple[str, ...] = ("attn_preproj", "mlp")


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


class SiteRun:
    """Per-forward options for the codebook sites (see CodebookHost.forward_site)."""

    def __init__(self, trace: Optional[Trace] = None, force=None, bypass: bool = False, capture=None):
        self.trace, self.force, self.bypass, self.capture = trace, force, bypass, capture
        self.ae_total: Optional[torch.Tensor] = None


class CodebookHost:
    """Mixin for an nn.Module with `shape` (n_layers, n_heads, d_model): codebooks per (layer, site),
    one group per head at attn_preproj, one codebook elsewhere; `codebooks` holds them."""

    def init_codebooks(self):
        self.codebooks = nn.ModuleDict()
        self.spec: Optional[CodebookSpec] = None

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

    def forward_site(self, run: SiteRun, layer: int, site: str, act: torch.Tensor) -> torch.Tensor:
        """Applies (layer, site)'s codebook to act, unless bypassed; records captures, ids and aeloss.

        run.force: {(layer, site): (mask, ids)} see Codebook.forward; run.capture: {(layer, site): list}
        receives the raw pre-codebook activations (for k-means init)."""
        if run.capture is not None and (layer, site) in run.capture:
            run.capture[(layer, site)].append(act.detach())
        cb = None if run.bypass else self.codebook(layer, site)
        if cb is None:
            return act
        out, ae, ids = cb(act, None if run.force is None else run.force.get((layer, site)))
        run.ae_total = ae if run.ae_total is None else run.ae_total + ae
        if run.trace is not None:
            run.trace.ids[(layer, site)] = ids
        return out

    @staticmethod
    def ae_of(run: SiteRun, like: torch.Tensor) -> torch.Tensor:
        return like.new_zeros(()) if run.ae_total is None else run.ae_total
