"""Codebook initialisation from a trained base model's activations (any CodebookHost model whose
forward takes `bypass` and `capture`).

The codebook output replaces the activation and the search ranks codes by <LN(x), c>/|c|, so we
cluster with that same assignment rule (spherical k-means on unnormalised points: assign by cosine to
the code direction, update the code to the Euclidean mean of its members). The code is then the
members' mean, which is what the layer emits for them.

LN affine init: "unit" keeps the reference's γ = 1, β = 0; "fit" regresses γ, β per feature so that
LN(x) ≈ x, making the inserted codebook an approximate identity on the activation scale.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F

from .codebook import CODEBOOK_LN_EPS, Codebook


def fit_ln_affine(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """x [N, d] -> (γ, β) [d] minimising |γ ⊙ n + β - x|² with n = LN(x) without affine."""
    n = F.layer_norm(x, (x.shape[-1],), eps=CODEBOOK_LN_EPS)
    nm, xm = n.mean(0), x.mean(0)
    cov = ((n - nm) * (x - xm)).mean(0)
    var = ((n - nm) ** 2).mean(0).clamp_min(1e-8)
    gamma = cov / var
    return gamma, xm - gamma * nm


def spherical_kmeans(points: torch.Tensor, num_codes: int, iters: int, gen: torch.Generator,
                     chunk: int = 4096) -> Tuple[torch.Tensor, float]:
    """points [N, d] -> (codes [C, d], fraction of codes used at the end)."""
    n = points.shape[0]
    # many tokens share identical activations (e.g. every BOS): jitter seeds so no two codes coincide
    jitter = 1e-3 * points.std(0).mean()
    perm = torch.randperm(n, generator=gen)
    codes = points[perm[:num_codes]] + jitter * torch.randn(num_codes, points.shape[1], generator=gen)
    used = 1.0
    for _ in range(iters):
        unit_t = (codes / codes.norm(dim=-1, keepdim=True).clamp_min(1e-8)).T.contiguous()
        assign = torch.cat([torch.matmul(points[i:i + chunk], unit_t).argmax(-1) for i in range(0, n, chunk)])
        counts = torch.bincount(assign, minlength=num_codes).float()
        sums = torch.zeros_like(codes).index_add_(0, assign, points)
        empty = counts == 0
        used = 1.0 - empty.float().mean().item()
        codes = torch.where(empty[:, None], codes, sums / counts.clamp_min(1)[:, None])
        if empty.any():  # reseed dead codes with random points so every code gets a chance
            k = int(empty.sum())
            codes[empty] = points[torch.randint(0, n, (k,), generator=gen)] + \
                jitter * torch.randn(k, points.shape[1], generator=gen)
    return codes, used


@torch.no_grad()
def collect_activations(model, batches: List[torch.Tensor]) -> Dict[Tuple[int, str], torch.Tensor]:
    """Raw activations [N, D] at every codebook site, with the codebooks bypassed (base model)."""
    capture = {(layer, site): [] for layer in range(model.shape.n_layers) for site in model.spec.sites}
    for ids in batches:
        model(ids, bypass=True, capture=capture)
    return {k: torch.cat([a.reshape(-1, a.shape[-1]) for a in v]) for k, v in capture.items()}


@torch.no_grad()
def init_codebooks(model, batches: List[torch.Tensor], iters: int = 15, seed: int = 0,
                   ln_init: str = "fit") -> Dict[str, float]:
    """k-means-initialise every codebook of `model` (codebooks already added); returns code usage per site."""
    gen = torch.Generator().manual_seed(seed)
    acts = collect_activations(model, batches)
    usage = {}
    for (layer, site), x in acts.items():
        cb: Codebook = model.codebook(layer, site)
        xg = x.view(-1, cb.groups, cb.group_dim)
        for g in range(cb.groups):
            xs = xg[:, g]
            if ln_init == "fit":
                gamma, beta = fit_ln_affine(xs)
            else:
                gamma, beta = torch.ones(cb.group_dim), torch.zeros(cb.group_dim)
            cb.ln_weight[g] = gamma
            cb.ln_bias[g] = beta
            xn = F.layer_norm(xs, (cb.group_dim,), eps=CODEBOOK_LN_EPS) * gamma + beta
            codes, used = spherical_kmeans(xn, cb.num_codes, iters, gen)
            cb.codes[g] = codes
            usage[f"L{layer}.{site}.g{g}"] = round(used, 4)
    return usage
