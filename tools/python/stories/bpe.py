"""Byte-level BPE (GPT-2 style) trained on the story corpus, stored the way the `.cbk` byte_bpe
tokenizer stores it: tokens spelled in GPT-2's byte-to-unicode alphabet, ids 0..255 the byte symbols in
GPT-2 order, then one id per merge result, then <|endoftext|> (cbk_reference.tokenizer_files.byte_bpe_vocab),
and the merges list ("left right", rank = index).

Pre-tokenization is GPT-2's pattern 's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
written with Python's re classes: exactly GPT-2's on ASCII text (the corpus is ASCII); beyond ASCII
Python's \\w and \\d differ slightly from \\p{L} and \\p{N}.

Training: count the pieces of the corpus, then repeatedly merge the most frequent adjacent pair of
symbols (ties: the pair whose spelling sorts first) until the vocabulary has `vocab_size` entries.
Encoding applies the merges by rank, lowest first, leftmost among equals (Hugging Face's BPE order).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

from cbk_reference.tokenizer_files import (EOS, byte_bpe_vocab, bytes_to_unicode, decode_ids,
                                           write_special_tokens_map, write_tokenizer_json, write_vocab_merges)

PRETOKENIZE = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+")
_BYTE_SYMBOL = bytes_to_unicode()
Pair = Tuple[str, str]


def pretokenize(text: str) -> List[str]:
    return PRETOKENIZE.findall(text)


def symbols(piece: str) -> Tuple[str, ...]:
    return tuple(_BYTE_SYMBOL[b] for b in piece.encode("utf-8"))


def _pairs(word: Tuple[str, ...]) -> Counter:
    return Counter(zip(word, word[1:]))


def _merge_word(word: Tuple[str, ...], pair: Pair) -> Tuple[str, ...]:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def train(texts: Iterable[str], vocab_size: int) -> List[Pair]:
    """Merges such that byte_bpe_vocab(merges) has exactly vocab_size tokens (256 bytes + merge
    results + EOS), or fewer when the corpus runs out of pairs."""
    if vocab_size < 257:
        raise ValueError("vocab_size must be at least 257 (256 bytes and <|endoftext|>)")
    piece_counts = Counter(p for t in texts for p in pretokenize(t))
    words = [symbols(p) for p in piece_counts]
    freqs = list(piece_counts.values())
    pair_count: Counter = Counter()
    where: Dict[Pair, set] = {}
    for i, w in enumerate(words):
        for pr, n in _pairs(w).items():
            pair_count[pr] += n * freqs[i]
            where.setdefault(pr, set()).add(i)
    merges: List[Pair] = []
    tokens = set(_BYTE_SYMBOL.values())
    while len(tokens) + 1 < vocab_size:
        live = [(n, pr) for pr, n in pair_count.items() if n > 0]
        if not live:
            break
        best = min(live, key=lambda x: (-x[0], x[1]))[1]
        merges.append(best)
        tokens.add(best[0] + best[1])
        for i in sorted(where.pop(best, ())):
            old = words[i]
            new = _merge_word(old, best)
            if new == old:
                continue
            for pr, n in _pairs(old).items():
                pair_count[pr] -= n * freqs[i]
            for pr, n in _pairs(new).items():
                pair_count[pr] += n * freqs[i]
                where.setdefault(pr, set()).add(i)
            words[i] = new
        pair_count.pop(best, None)
    return merges


class ByteBpe:
    """Encoder/decoder over a merges list (ids as byte_bpe_vocab assigns them)."""

    def __init__(self, merges: Sequence[Pair]):
        self.merges = [tuple(m) for m in merges]
        self.vocab, _ = byte_bpe_vocab(self.merges)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.rank = {m: r for r, m in enumerate(self.merges)}
        self.eos_id = self.vocab[EOS]
        self._cache: Dict[str, List[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def _piece(self, piece: str) -> List[int]:
        ids = self._cache.get(piece)
        if ids is None:
            word = list(symbols(piece))
            while len(word) > 1:
                ranked = [(self.rank.get((a, b), len(self.rank)), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
                r, i = min(ranked)
                if r == len(self.rank):
                    break
                word[i:i + 2] = [word[i] + word[i + 1]]
            ids = [self.vocab[s] for s in word]
            if len(self._cache) < 1 << 16:
                self._cache[piece] = ids
        return ids

    def encode(self, text: str) -> List[int]:
        out: List[int] = []
        for p in pretokenize(text):
            out += self._piece(p)
        return out

    def decode(self, ids: Sequence[int]) -> str:
        return decode_ids(self.id_to_token, ids, self.vocab_size).decode("utf-8")

    def write(self, out_dir) -> None:
        """vocab.json + merges.txt, tokenizer.json and special_tokens_map.json (<|endoftext|> is BOS and EOS)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_vocab_merges(out, self.vocab, self.merges)
        write_tokenizer_json(out, self.vocab, self.merges)
        write_special_tokens_map(out)

    @staticmethod
    def read(directory) -> "ByteBpe":
        lines = (Path(directory) / "merges.txt").read_text(encoding="utf-8").splitlines()
        return ByteBpe([tuple(l.split(" ")) for l in lines if l and not l.startswith("#version")])


