"""One codebook (group) forward: LN -> scores -> sorted top-k -> steering -> mean of raw codes.

Semantics doc §1.2 / models.py:CodebookLayer.forward. Differences from the reference by design:
ties are broken towards the lower code id (the reference inherits torch.topk's unspecified order),
euclidean distances are computed directly (torch.cdist switches to a matmul expansion for > 25 rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .config import CODEBOOK_LN_EPS
from .steering import Disable, Force, Interchange, Intervention


@dataclass
class CodebookTensors:
    codes: torch.Tensor  # [C, D] float32
    ln_weight: torch.Tensor  # [D]
    ln_bias: torch.Tensor  # [D]


def codebook_layer_norm(x: torch.Tensor, cb: CodebookTensors) -> torch.Tensor:
    return F.layer_norm(x, (x.shape[-1],), cb.ln_weight, cb.ln_bias, CODEBOOK_LN_EPS)


def similarity_scores(xn: torch.Tensor, codes: torch.Tensor, metric: str) -> torch.Tensor:
    """[T, C] scores: <x̂, c>/‖c‖ (inner_product) or −‖x̂ − c‖ (euclidean)."""
    if metric == "inner_product":
        return torch.matmul(xn, codes.T) / torch.linalg.vector_norm(codes, dim=-1).reshape(1, -1)
    if metric == "euclidean":
        diff = xn[:, None, :] - codes[None, :, :]
        return -torch.sqrt((diff * diff).sum(dim=-1))
    raise ValueError(f"unknown metric {metric!r}")


def rank_codes(scores: np.ndarray) -> np.ndarray:
    """Code ids ordered by descending score; equal scores keep ascending id order (stable sort)."""
    return np.argsort(-scores, axis=-1, kind="stable")


@dataclass
class GroupResult:
    output: torch.Tensor  # [T, D]
    ids: List[List[int]]  # per token, slot order; -1 = blocked slot
    scores: List[List[Optional[float]]]  # similarity of each slot's code to LN(x); None for -1


def _slot_index(slot: int, n: int) -> int:
    if not -n <= slot < n:
        raise ValueError(f"slot {slot} out of range for {n} slots")
    return slot % n


def select_codes(scores_row: np.ndarray, order_row: np.ndarray, k: int, steer: Sequence[Intervention],
                 pos: int, n_prompt: int) -> Tuple[List[int], List[float], bool]:
    """Slot ids and per-slot strengths for one token; the bool says whether any slot was rewritten.

    Order: keep-mode disabling acts on the search (disabled codes get −∞, the n best are skipped:
    the reference's topk(k+n)[-k:]); zero-mode blocking; interchange; forces in spec order.
    """
    keep = [d for d in steer if isinstance(d, Disable) and d.mode == "keep" and d.positions.contains(pos, n_prompt)]
    if keep:
        masked = scores_row.copy()
        for d in keep:
            masked[d.codes] = -np.inf
        n = max(d.topn for d in keep)
        ids = [int(c) for c in rank_codes(masked)[n:n + k]]
    else:
        ids = [int(c) for c in order_row[:k]]
    strengths = [1.0] * k
    rewritten = False
    for d in steer:
        if isinstance(d, Disable) and d.mode == "zero":
            active = d.positions.contains(pos, n_prompt)
            for s in range(k):
                blocked = s in [x % k for x in d.slots]
                if active and (ids[s] in d.codes or s < d.topn):
                    blocked = True
                if blocked and ids[s] != -1:
                    ids[s] = -1
                    rewritten = True
    for iv in steer:
        if isinstance(iv, Interchange) and iv.position == pos:
            if len(iv.ids) != k:
                raise ValueError(f"interchange needs {k} ids, got {len(iv.ids)}")
            ids = list(iv.ids)
            strengths = [1.0] * k
            rewritten = True
    for f in steer:
        if not (isinstance(f, Force) and f.positions.contains(pos, n_prompt)):
            continue
        rewritten = True
        if f.slot == "all":
            ids = [f.code] * len(ids)
            strengths = [f.strength] * len(ids)
        elif f.slot == "append":
            ids.append(f.code)
            strengths.append(f.strength)
        else:
            s = _slot_index(int(f.slot), len(ids))
            ids[s] = f.code
            strengths[s] = f.strength
    return ids, strengths, rewritten


def codebook_group_forward(x: torch.Tensor, cb: CodebookTensors, k: int, metric: str, positions: Sequence[int],
                           n_prompt: int, steer: Sequence[Intervention] = ()) -> GroupResult:
    """x: [T, D] -> mean of the selected raw code vectors, with ids and scores per token."""
    num_codes = cb.codes.shape[0]
    if k > num_codes:
        raise ValueError(f"k={k} exceeds the {num_codes} codes")
    xn = codebook_layer_norm(x, cb)
    scores_t = similarity_scores(xn, cb.codes, metric)
    scores = scores_t.numpy()
    order = rank_codes(scores)
    out = torch.empty_like(x)
    all_ids: List[List[int]] = []
    all_scores: List[List[Optional[float]]] = []
    for t, pos in enumerate(positions):
        ids, strengths, rewritten = select_codes(scores[t], order[t], k, steer, pos, n_prompt)
        for c in ids:
            if not -1 <= c < num_codes:
                raise ValueError(f"code id {c} out of range [0, {num_codes})")
        if rewritten:
            # reference, after the id hook: mean over all slots, a −1 slot adds a zero vector
            vecs = torch.stack([cb.codes[c] * s if c >= 0 else torch.zeros_like(cb.codes[0])
                                for c, s in zip(ids, strengths)])
            out[t] = vecs.mean(dim=0)
        else:
            out[t] = cb.codes[ids].sum(dim=0) / k
        all_ids.append(ids)
        all_scores.append([float(scores[t, c]) if c >= 0 else None for c in ids])
    return GroupResult(out, all_ids, all_scores)
