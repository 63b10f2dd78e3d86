"""Tiny tokenizer files in the formats the checkpoints ship: GPT-2 byte-level BPE (vocab.json +
merges.txt, or a HF `tokenizer.json`) and the TokFSM digit vocabulary (semantics doc §6.2), and
decoding ids back to bytes from those files (`decode_ids`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

EOS = "<|endoftext|>"

# A few merges over common English pairs; every merge result is itself a vocab entry.
DEFAULT_MERGES: List[Tuple[str, str]] = [
    ("Ġ", "t"), ("h", "e"), ("i", "n"), ("Ġt", "he"), ("e", "r"), ("Ġ", "a"), ("o", "n"), ("r", "e"),
    ("Ġ", "s"), ("a", "n"), ("Ġ", "w"), ("o", "u"), ("Ġ", "o"), ("e", "d"), ("in", "g"), ("Ġ", "c"),
]


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte -> printable character map, in GPT-2 vocab order: the printable
    Latin-1 bytes (mapped to themselves) first, then the remaining bytes mapped to U+0100.. in byte order."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    rest = [b for b in range(256) if b not in keep]
    out = {b: chr(b) for b in keep}
    out.update({b: chr(256 + n) for n, b in enumerate(rest)})
    return out


def byte_bpe_vocab(merges=DEFAULT_MERGES) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """ids 0..255: byte symbols in GPT-2 order (printables first); then merge results; then <|endoftext|>."""
    vocab: Dict[str, int] = {}
    for ch in bytes_to_unicode().values():
        vocab[ch] = len(vocab)
    for a, b in merges:
        if a not in vocab or b not in vocab:
            raise ValueError(f"merge {a} {b} uses a symbol that is not in the vocab yet")
        vocab.setdefault(a + b, len(vocab))
    vocab[EOS] = len(vocab)
    return vocab, list(merges)


def digit_vocab(vocab_size: int = 11) -> Dict[str, int]:
    """TokFSM: "0".."9" -> 0..9 and <|endoftext|> -> 10 (BOS = EOS = PAD)."""
    v = {str(i): i for i in range(vocab_size - 1)}
    v[EOS] = vocab_size - 1
    return v


def write_vocab_merges(out_dir: Path, vocab: Dict[str, int], merges: List[Tuple[str, str]]):
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    lines = ["#version: 0.2"] + [f"{a} {b}" for a, b in merges] if merges else []
    (out_dir / "merges.txt").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")


def write_tokenizer_json(out_dir: Path, vocab: Dict[str, int], merges: List[Tuple[str, str]]):
    """HF `tokenizers` serialisation of a GPT-2 style byte-level BPE."""
    eos_id = vocab[EOS]
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": eos_id, "content": EOS, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
    (out_dir / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False, indent=1), encoding="utf-8")


def write_tokenizer(out_dir: Path, kind: str = "bytebpe", fmt: str = "vocab_merges") -> int:
    """Write tokenizer files; returns the tokenizer's vocabulary size."""
    out_dir = Path(out_dir)
    if kind == "bytebpe":
        vocab, merges = byte_bpe_vocab()
    elif kind == "digits":
        vocab, merges = digit_vocab(), []
    else:
        raise ValueError(f"unknown tokenizer kind {kind!r}")
    if fmt == "vocab_merges":
        write_vocab_merges(out_dir, vocab, merges)
    elif fmt == "tokenizer_json":
        write_tokenizer_json(out_dir, vocab, merges)
    else:
        raise ValueError(f"unknown tokenizer format {fmt!r}")
    write_special_tokens_map(out_dir)
    return len(vocab)


def write_special_tokens_map(out_dir: Path):
    """<|endoftext|> is BOS, EOS, UNK and PAD (GPT-2 convention)."""
    (Path(out_dir) / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": EOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS}), encoding="utf-8")


def read_id_to_token(ckpt_dir) -> Dict[int, str]:
    """id -> token as spelled in the checkpoint's tokenizer.json (model vocab + added tokens) or vocab.json."""
    d = Path(ckpt_dir)
    if (d / "tokenizer.json").exists():
        tok = json.loads((d / "tokenizer.json").read_text(encoding="utf-8"))
        pairs = list(tok["model"]["vocab"].items()) + [(a["content"], a["id"]) for a in tok.get("added_tokens") or []]
    else:
        pairs = list(json.loads((d / "vocab.json").read_text(encoding="utf-8")).items())
    return {int(i): t for t, i in pairs}


def decode_ids(id_to_token: Dict[int, str], ids: Sequence[int], model_vocab: int) -> bytes:
    """The bytes ids stand for, the way Hugging Face tokenizers decode: a token spelled in GPT-2's
    byte alphabet maps back to its bytes, any other token (an added token) is its UTF-8 text, and an
    id the tokenizer does not know (a padding row of the model's embedding, id < model_vocab) adds
    nothing. Ids outside [0, model_vocab) raise ValueError. This is the byte-level (GPT-2 style)
    decoder; the TokFSM digit vocabulary is ASCII, where it and a plain vocabulary agree."""
    byte_of = {ch: b for b, ch in bytes_to_unicode().items()}
    out = bytearray()
    for i in ids:
        if not 0 <= i < model_vocab:
            raise ValueError(f"token id {i} is outside the model's vocabulary ({model_vocab})")
        token = id_to_token.get(i)
        if token is None:
            continue
        if all(ch in byte_of for ch in token):
            out += bytes(byte_of[ch] for ch in token)
        else:
            out += token.encode("utf-8")
    return bytes(out)
