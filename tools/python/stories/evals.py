"""Held-out next-token loss and accuracy, computed the way `cbk eval --ids` computes them: the token
stream in consecutive windows of the context length, each window predicting its tokens 1..n-1."""

from __future__ import annotations

from typing import Dict

import numpy as np
import torch
import torch.nn.functional as F

from .data import eval_windows


@torch.no_grad()
def lm_eval(model, stream: np.ndarray, context: int, batch: int = 16, **forward_kw) -> Dict[str, float]:
    """{"loss", "acc", "tokens"} over the predicted positions; forward_kw go to model(...) (e.g. bypass)."""
    was_training = model.training
    model.eval()
    ids = torch.from_numpy(stream.astype(np.int64))
    wins = [w for w in eval_windows(len(ids), context) if w[1] - w[0] >= 2]
    full = [w for w in wins if w[1] - w[0] == context]
    rest = [w for w in wins if w[1] - w[0] != context]
    loss = correct = count = 0.0
    groups = [full[i:i + batch] for i in range(0, len(full), batch)] + [[w] for w in rest]
    for group in groups:
        x = torch.stack([ids[b:e] for b, e in group])
        logits, _ = model(x, **forward_kw)
        lg, tgt = logits[:, :-1], x[:, 1:]
        loss += F.cross_entropy(lg.reshape(-1, lg.shape[-1]), tgt.reshape(-1), reduction="sum").item()
        correct += (lg.argmax(-1) == tgt).sum().item()
        count += tgt.numel()
    model.train(was_training)
    return {"loss": loss / count, "acc": correct / count, "tokens": int(count)}
