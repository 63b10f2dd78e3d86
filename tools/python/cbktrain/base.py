"""Helpers for building base models the way Hugging Face initialises them."""

from __future__ import annotations

import contextlib

import torch
from torch import nn


@contextlib.contextmanager
def seeded(seed: int):
    """Runs the block with torch's global generator seeded, then restores the caller's generator state."""
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)


def hf_init(module: nn.Module, std: float = 0.02):
    """PreTrainedModel._init_weights of GPT-NeoX / GPT-Neo: N(0, std) weights, zero biases, unit LayerNorms."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=std)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
