"""Tokenizer files of a checkpoint -> the .cbk Tokenizer table (CbkWriter.tokenizer dict).

Sources, first found wins: tokenizer.json (HF `tokenizers`, BPE model), vocab.json + merges.txt, or
the TokFSM digit vocabulary ("0".."9" -> 0..9, "<|endoftext|>" -> 10; semantics doc §6.2) when asked
for with kind="digits". A vocabulary holding all 256 GPT-2 byte symbols is a byte-level BPE; one
without them and without merges (TokFSM's GPT-2 tokenizer with empty merges) is a plain vocabulary.
A tokenizer smaller than the model's vocab_size (a padded embedding, e.g. Pythia's 50,277 tokens in
50,304 rows) is kept as it is: the ids above it have no text and the runtime decodes them to nothing.
"""
import json
import os
from typing import Dict, List, Optional, Tuple

from .errors import ConversionError

EOS = "<|endoftext|>"


def gpt2_byte_symbols() -> List[str]:
    """GPT-2's byte -> unicode map: printable Latin-1 bytes map to themselves, the others to U+0100.."""
    keep = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    out, extra = [], 0
    for b in range(256):
        if b in keep:
            out.append(chr(b))
        else:
            out.append(chr(256 + extra))
            extra += 1
    return out


def _read_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ConversionError("%s: cannot be read as JSON (%s)" % (path, e))


def _from_tokenizer_json(path: str) -> Tuple[Dict[str, int], List[str], Dict[str, int]]:
    tok = _read_json(path)
    model = tok.get("model") or {}
    if model.get("type", "BPE") != "BPE":
        raise ConversionError("%s: tokenizer model type %r is not supported (BPE only)" % (path, model.get("type")))
    merges = []
    for m in model.get("merges") or []:
        merges.append(m if isinstance(m, str) else " ".join(m))  # newer files store [left, right]
    added = {a["content"]: int(a["id"]) for a in tok.get("added_tokens") or []}
    return dict(model.get("vocab") or {}), merges, added


def _from_vocab_merges(directory: str) -> Tuple[Dict[str, int], List[str], Dict[str, int]]:
    vocab = _read_json(os.path.join(directory, "vocab.json"))
    merges = []
    with open(os.path.join(directory, "merges.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line and not line.startswith("#version"):
                merges.append(line)
    added_path = os.path.join(directory, "added_tokens.json")
    added = _read_json(added_path) if os.path.exists(added_path) else {}
    return vocab, merges, added


def _dense_tokens(vocab: Dict[str, int], added: Dict[str, int], source: str) -> List[str]:
    by_id: Dict[int, str] = {}
    for token, i in list(vocab.items()) + list(added.items()):
        if not isinstance(i, int) or i < 0:
            raise ConversionError("%s: token %r has id %r" % (source, token, i))
        if by_id.get(i, token) != token:
            raise ConversionError("%s: id %d is used by %r and %r" % (source, i, by_id[i], token))
        by_id[i] = token
    if not by_id:
        raise ConversionError("%s: the vocabulary is empty" % source)
    # Holes would be unreachable ids; give them unique placeholder names (the runtime needs non-empty tokens).
    return [by_id.get(i, "<|cbk_unused_%d|>" % i) for i in range(max(by_id) + 1)]


def _special_id(name: str, tokens: List[str], directory: str, base_cfg: Dict) -> int:
    index = {t: i for i, t in enumerate(tokens)}
    for fname in ("special_tokens_map.json", "tokenizer_config.json"):
        path = os.path.join(directory, fname)
        if os.path.exists(path):
            value = _read_json(path).get(name + "_token")
            if isinstance(value, dict):
                value = value.get("content")
            if isinstance(value, str) and value in index:
                return index[value]
    value = base_cfg.get(name + "_token_id")
    if isinstance(value, int) and 0 <= value < len(tokens):
        return value
    return index.get(EOS, -1) if name in ("bos", "eos") else -1


def digit_tokenizer() -> Dict:
    tokens = [str(d) for d in range(10)] + [EOS]
    return {"kind": "vocab", "tokens": tokens, "merges": [], "bos_id": 10, "eos_id": 10, "pad_id": 10, "add_bos": True}


def read_tokenizer(directory: str, base_cfg: Dict, vocab_size: int, kind: str = "auto",
                   add_bos: Optional[bool] = None) -> Optional[Dict]:
    """kind: auto (files in `directory`), digits (TokFSM), none (no tokenizer table)."""
    if kind == "none":
        return None
    if kind == "digits":
        tok = digit_tokenizer()
    else:
        json_path = os.path.join(directory, "tokenizer.json")
        if os.path.exists(json_path):
            vocab, merges, added = _from_tokenizer_json(json_path)
            source = json_path
        elif os.path.exists(os.path.join(directory, "vocab.json")) and os.path.exists(os.path.join(directory, "merges.txt")):
            vocab, merges, added = _from_vocab_merges(directory)
            source = os.path.join(directory, "vocab.json")
        else:
            raise ConversionError("%s: no tokenizer.json or vocab.json + merges.txt (use --tokenizer digits for "
                                  "TokFSM, or --tokenizer none)" % directory)
        tokens = _dense_tokens(vocab, added, source)
        has_bytes = set(gpt2_byte_symbols()) <= set(tokens)
        if not has_bytes and merges:
            raise ConversionError("%s: a BPE with merges but without the 256 GPT-2 byte symbols is not supported"
                                  % source)
        known = set(tokens)
        for i, m in enumerate(merges):
            pair = m.split(" ")
            if len(pair) != 2 or pair[0] not in known or pair[1] not in known:
                raise ConversionError("%s: merge %d %r is not two vocabulary tokens" % (source, i, m))
        byte_bpe = has_bytes
        tok = {"kind": "byte_bpe" if byte_bpe else "vocab", "tokens": tokens, "merges": merges if byte_bpe else [],
               "bos_id": _special_id("bos", tokens, directory, base_cfg),
               "eos_id": _special_id("eos", tokens, directory, base_cfg),
               "pad_id": _special_id("pad", tokens, directory, base_cfg),
               # GPT-2 style BPEs add nothing; TokFSM sequences start with BOS (semantics doc §6.2)
               "add_bos": not byte_bpe}
    if add_bos is not None:
        tok["add_bos"] = bool(add_bos)
    if tok["add_bos"] and tok["bos_id"] < 0:
        raise ConversionError("tokenizer: add_bos is set but the tokenizer has no BOS token")
    if len(tok["tokens"]) > vocab_size:
        raise ConversionError("tokenizer: %d tokens but the model's vocab_size is %d" % (len(tok["tokens"]), vocab_size))
    return tok
