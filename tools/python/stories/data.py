"""Token streams of the story splits for training and evaluation.

A stream is <|endoftext|> story <|endoftext|> story ...: every story starts after an end-of-text token,
as in GPT-style packed corpora, so a prompt that starts with BOS (= EOS) starts a story. Training draws
windows of `seq_len` tokens at uniform offsets; evaluation cuts the held-out stream into consecutive
windows of the context length, exactly as `cbk eval --ids` does.
"""

from __future__ import annotations

from typing import Iterable, List, Tuple

import numpy as np
import torch

from .bpe import ByteBpe


def encode_stream(tok: ByteBpe, texts: Iterable[str]) -> np.ndarray:
    out: List[int] = []
    for t in texts:
        out.append(tok.eos_id)
        out += tok.encode(t)
    out.append(tok.eos_id)
    return np.asarray(out, dtype=np.int32)


def eval_windows(n_tokens: int, context: int) -> List[Tuple[int, int]]:
    """[begin, end) of each window (cbk eval: consecutive windows, the last one shorter)."""
    return [(b, min(n_tokens, b + context)) for b in range(0, n_tokens, context)]


class StoryData:
    def __init__(self, stream: np.ndarray, seq_len: int, seed: int):
        if len(stream) <= seq_len:
            raise ValueError(f"the stream has {len(stream)} tokens, fewer than one window of {seq_len}")
        self.stream = torch.from_numpy(stream.astype(np.int64))
        self.seq_len = seq_len
        self.rng = np.random.default_rng(seed)

    def batch(self, batch: int) -> torch.Tensor:
        starts = self.rng.integers(0, len(self.stream) - self.seq_len + 1, size=batch)
        idx = torch.from_numpy(starts)[:, None] + torch.arange(self.seq_len)[None, :]
        return self.stream[idx]
