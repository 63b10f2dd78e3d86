"""Checkpoint tensors -> canonical .cbk base tensors and codebook groups (schema/cbk.fbs header).

Canonical layout: weights [out, in] row-major; qkv rows in the family's native order (gpt2 / gpt_neo
[Q | K | V], gpt_neox per head [q | k | v], which is how query_key_value is stored already);
GPT-2 Conv1D weights transposed; GPT-Neo q/k/v fused with a zero bias; absent NeoX attention biases
(attention_bias = false) zero-filled; the tied lm_head omitted.
"""
from collections import OrderedDict
from typing import Dict, List, Tuple

import numpy as np

from .configs import Site
from .errors import ConversionError
from .keymap import BaseEntry, CodebookRef, KeyMapper, base_entries, codebook_key_hint


def _shape(shape) -> str:
    return "[%s]" % ", ".join(str(int(x)) for x in shape)


def _float_tensor(key: str, array: np.ndarray, want: Tuple[int, ...], what: str = "") -> np.ndarray:
    if tuple(array.shape) != tuple(want):
        raise ConversionError("%s: shape %s, expected %s%s" % (key, _shape(array.shape), _shape(want),
                                                               " (%s)" % what if what else ""))
    if array.dtype.kind != "f":
        raise ConversionError("%s: dtype %s, expected a floating-point tensor" % (key, array.dtype))
    array = np.asarray(array, dtype=np.float32)
    if not np.all(np.isfinite(array)):
        raise ConversionError("%s: contains NaN or infinite values" % key)
    return array


def classify_all(mapper: KeyMapper, tensors: Dict[str, np.ndarray]):
    """-> ({hf_name: (key, array)}, {(layer, site, group, param): (key, array)}); duplicates are errors."""
    base, codebooks = {}, {}
    for key in sorted(tensors):
        what = mapper.classify(key)
        if what is None:
            continue
        if isinstance(what, BaseEntry):
            slot, store = what.hf_name, base
        else:
            slot, store = (what.layer, what.site, what.group or 0, what.param), codebooks
        if slot in store:
            raise ConversionError("keys %s and %s hold the same tensor" % (store[slot][0], key))
        store[slot] = (key, tensors[key])
    return base, codebooks


def canonical_base_tensors(arch: Dict, found: Dict[str, Tuple[str, np.ndarray]]) -> "OrderedDict[str, np.ndarray]":
    d = arch["d_model"]
    out: "OrderedDict[str, np.ndarray]" = OrderedDict()
    qkv_parts: Dict[str, Dict[str, np.ndarray]] = {}
    for e in base_entries(arch):
        if e.hf_name not in found:
            if e.required:
                raise ConversionError("missing tensor model.%s, expected shape %s%s"
                                      % (e.hf_name, _shape(e.shape), " (%s)" % e.what if e.what else ""))
            if e.target != "lm_head.weight":  # a NeoX bias the model does not have: zeros are exact
                out[e.target] = np.zeros(e.shape, np.float32)
            continue
        key, raw = found[e.hf_name]
        array = _float_tensor(key, raw, e.shape, e.what)
        if e.target == "lm_head.weight" and arch["tied_embeddings"]:
            if not np.array_equal(array, out["tok_embed"]):
                raise ConversionError("%s differs from the input embedding although the base config ties them "
                                      "(tie_word_embeddings)" % key)
            continue  # tied: the .cbk stores tok_embed only
        if e.transform == "transpose":
            array = np.ascontiguousarray(array.T)
        if e.transform in ("q", "k", "v"):
            parts = qkv_parts.setdefault(e.target, {})
            parts[e.transform] = array
            if len(parts) == 3:
                out[e.target] = np.concatenate([parts["q"], parts["k"], parts["v"]], axis=0)
                out[e.target.replace(".weight", ".bias")] = np.zeros(3 * d, np.float32)
            continue
        out[e.target] = array
    return _in_schema_order(out)


def _in_schema_order(t: "OrderedDict[str, np.ndarray]") -> "OrderedDict[str, np.ndarray]":
    """Deterministic order: globals, then per layer ln1, ln2, attn, mlp (as the schema lists them)."""
    def rank(name):
        if not name.startswith("layers."):
            return (0, ["tok_embed", "pos_embed", "final_norm.weight", "final_norm.bias", "lm_head.weight"].index(name), "")
        _, layer, rest = name.split(".", 2)
        order = ["ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias", "attn.qkv.weight", "attn.qkv.bias",
                 "attn.out.weight", "attn.out.bias", "mlp.up.weight", "mlp.up.bias", "mlp.down.weight", "mlp.down.bias"]
        return (1 + int(layer), order.index(rest), "")
    return OrderedDict(sorted(t.items(), key=lambda kv: rank(kv[0])))


def codebook_groups(family: str, sites: List[Site], found) -> List[Tuple[Site, List[Tuple[np.ndarray, ...]]]]:
    """Per site, its groups as (ln_weight, ln_bias, codes) f32 arrays, checked against the config."""
    out = []
    for s in sites:
        groups = []
        for g in range(s.groups):
            arrays = {}
            for param, want in (("ln.weight", (s.dim,)), ("ln.bias", (s.dim,)), ("codebook.weight", (s.codes, s.dim))):
                entry = found.get((s.layer, s.site, g, param))
                if entry is None:
                    raise ConversionError("missing tensor %s (codebook %s at layer %d, group %d), expected shape %s"
                                          % (codebook_key_hint(family, s, g, param), s.site, s.layer, g, _shape(want)))
                key, raw = entry
                what = "num_codes x %s width %d / %d groups" % (s.site, s.width, s.groups) if param == "codebook.weight" \
                    else "%s width %d / %d groups" % (s.site, s.width, s.groups)
                arrays[param] = _float_tensor(key, raw, want, what)
            groups.append((arrays["ln.weight"], arrays["ln.bias"], arrays["codebook.weight"]))
        out.append((s, groups))
    return out
