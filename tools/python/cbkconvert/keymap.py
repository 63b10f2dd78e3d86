"""Checkpoint key -> what it holds (semantics doc §3.2).

A codebook-features checkpoint is the HF state dict of the base model, prefixed with `model.`, after
the reference inserted its codebooks by mutating modules:
  * wrapping sites (attn, mlp, mlp_mid, qkv, transformer_block) replace the module at a path P with a
    wrapper: the module's own tensors move to `P.module_layer.*`, the codebook sits at `P.codebook_layer.*`;
  * replacing sites (attn_preproj, attn_plus_mlp) keep the module's tensor names and add
    `P.codebook_layer.*`.
Wrappers can nest (a later wrapper encloses earlier ones), so base tensors are recognised by their
HF name with every `module_layer` level removed. A group codebook adds `.codebook.{g}` before its
parameters (`codebook.weight` [C, dim], `ln.weight` / `ln.bias` [dim]); a vanilla one has no level.
When a replacing and a wrapping site share a path (attn_preproj + attn, attn_plus_mlp +
transformer_block) the replacing one was applied first and so sits one `module_layer` deeper.
"""
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .configs import Site
from .errors import ConversionError

LAYER_PREFIX = {"gpt_neox": "gpt_neox.layers.", "gpt2": "transformer.h.", "gpt_neo": "transformer.h."}
REPLACING_SITES = ("attn_preproj", "attn_plus_mlp")

# module path of each site inside one layer ("" = the layer itself)
_SITE_PATHS = {
    "gpt_neox": {"attn_preproj": "attention", "attn": "attention", "mlp": "mlp", "mlp_mid": "mlp.act",
                 "qkv": "attention.query_key_value", "attn_plus_mlp": "", "transformer_block": ""},
    "gpt2": {"attn_preproj": "attn", "attn": "attn", "mlp": "mlp", "mlp_mid": "mlp.act", "qkv": "attn.c_attn",
             "attn_plus_mlp": "", "transformer_block": ""},
    "gpt_neo": {"attn_preproj": "attn.attention", "attn": "attn.attention", "mlp": "mlp", "mlp_mid": "mlp.act",
                "attn_plus_mlp": "", "transformer_block": ""},
}

# Non-parameter buffers older transformers versions saved, matched on the HF name (module_layer removed).
_IGNORED = [re.compile(p) for p in (
    r"^transformer\.h\.\d+\.attn\.(bias|masked_bias)$",
    r"^transformer\.h\.\d+\.attn\.attention\.(bias|masked_bias)$",
    r"^gpt_neox\.layers\.\d+\.attention\.(bias|masked_bias)$",
    r"(^|\.)rotary_emb\.inv_freq$",
)]


@dataclass(frozen=True)
class BaseEntry:
    """One HF base tensor: its shape and how it becomes a canonical .cbk tensor."""
    hf_name: str
    shape: Tuple[int, ...]
    target: str            # canonical .cbk tensor name
    transform: str         # "copy" | "transpose" (GPT-2 Conv1D) | "q" | "k" | "v" (GPT-Neo, fused into qkv)
    required: bool = True  # False: lm_head of tied models, absent NeoX biases (zero-filled)
    what: str = ""         # shape in words, for error messages


@dataclass(frozen=True)
class CodebookRef:
    layer: int
    site: str
    group: Optional[int]   # None: vanilla key (no .codebook.{g} level)
    param: str             # codebook.weight | ln.weight | ln.bias


def base_entries(arch: Dict) -> List[BaseEntry]:
    fam, d, f = arch["family"], arch["d_model"], arch["d_mlp"]
    v, p = arch["vocab_size"], arch["max_positions"]
    tied = arch["tied_embeddings"]
    out = []
    if fam == "gpt_neox":
        bias = arch.get("attention_bias", True)
        out.append(BaseEntry("gpt_neox.embed_in.weight", (v, d), "tok_embed", "copy", what="vocab x d_model"))
        for L in range(arch["n_layers"]):
            q, c = "gpt_neox.layers.%d." % L, "layers.%d." % L
            out += [BaseEntry(q + "input_layernorm.weight", (d,), c + "ln1.weight", "copy"),
                    BaseEntry(q + "input_layernorm.bias", (d,), c + "ln1.bias", "copy"),
                    BaseEntry(q + "post_attention_layernorm.weight", (d,), c + "ln2.weight", "copy"),
                    BaseEntry(q + "post_attention_layernorm.bias", (d,), c + "ln2.bias", "copy"),
                    BaseEntry(q + "attention.query_key_value.weight", (3 * d, d), c + "attn.qkv.weight", "copy",
                              what="Linear [3*d_model, d_model], per head [q|k|v]"),
                    BaseEntry(q + "attention.query_key_value.bias", (3 * d,), c + "attn.qkv.bias", "copy", bias),
                    BaseEntry(q + "attention.dense.weight", (d, d), c + "attn.out.weight", "copy"),
                    BaseEntry(q + "attention.dense.bias", (d,), c + "attn.out.bias", "copy", bias),
                    BaseEntry(q + "mlp.dense_h_to_4h.weight", (f, d), c + "mlp.up.weight", "copy", what="Linear [d_mlp, d_model]"),
                    BaseEntry(q + "mlp.dense_h_to_4h.bias", (f,), c + "mlp.up.bias", "copy"),
                    BaseEntry(q + "mlp.dense_4h_to_h.weight", (d, f), c + "mlp.down.weight", "copy", what="Linear [d_model, d_mlp]"),
                    BaseEntry(q + "mlp.dense_4h_to_h.bias", (d,), c + "mlp.down.bias", "copy")]
        out += [BaseEntry("gpt_neox.final_layer_norm.weight", (d,), "final_norm.weight", "copy"),
                BaseEntry("gpt_neox.final_layer_norm.bias", (d,), "final_norm.bias", "copy"),
                BaseEntry("embed_out.weight", (v, d), "lm_head.weight", "copy", not tied, what="vocab x d_model")]
        return out
    out += [BaseEntry("transformer.wte.weight", (v, d), "tok_embed", "copy", what="vocab x d_model"),
            BaseEntry("transformer.wpe.weight", (p, d), "pos_embed", "copy", what="max_positions x d_model")]
    for L in range(arch["n_layers"]):
        q, c = "transformer.h.%d." % L, "layers.%d." % L
        out += [BaseEntry(q + "ln_1.weight", (d,), c + "ln1.weight", "copy"),
                BaseEntry(q + "ln_1.bias", (d,), c + "ln1.bias", "copy")]
        if fam == "gpt2":  # Conv1D stores weight as [in, out]
            out += [BaseEntry(q + "attn.c_attn.weight", (d, 3 * d), c + "attn.qkv.weight", "transpose",
                              what="Conv1D [d_model, 3*d_model]"),
                    BaseEntry(q + "attn.c_attn.bias", (3 * d,), c + "attn.qkv.bias", "copy"),
                    BaseEntry(q + "attn.c_proj.weight", (d, d), c + "attn.out.weight", "transpose"),
                    BaseEntry(q + "attn.c_proj.bias", (d,), c + "attn.out.bias", "copy"),
                    BaseEntry(q + "mlp.c_fc.weight", (d, f), c + "mlp.up.weight", "transpose", what="Conv1D [d_model, d_mlp]"),
                    BaseEntry(q + "mlp.c_fc.bias", (f,), c + "mlp.up.bias", "copy"),
                    BaseEntry(q + "mlp.c_proj.weight", (f, d), c + "mlp.down.weight", "transpose", what="Conv1D [d_mlp, d_model]"),
                    BaseEntry(q + "mlp.c_proj.bias", (d,), c + "mlp.down.bias", "copy")]
        else:  # GPT-Neo: nn.Linear [out, in]; q/k/v separate and without bias
            a = q + "attn.attention."
            out += [BaseEntry(a + "q_proj.weight", (d, d), c + "attn.qkv.weight", "q"),
                    BaseEntry(a + "k_proj.weight", (d, d), c + "attn.qkv.weight", "k"),
                    BaseEntry(a + "v_proj.weight", (d, d), c + "attn.qkv.weight", "v"),
                    BaseEntry(a + "out_proj.weight", (d, d), c + "attn.out.weight", "copy"),
                    BaseEntry(a + "out_proj.bias", (d,), c + "attn.out.bias", "copy"),
                    BaseEntry(q + "mlp.c_fc.weight", (f, d), c + "mlp.up.weight", "copy", what="Linear [d_mlp, d_model]"),
                    BaseEntry(q + "mlp.c_fc.bias", (f,), c + "mlp.up.bias", "copy"),
                    BaseEntry(q + "mlp.c_proj.weight", (d, f), c + "mlp.down.weight", "copy", what="Linear [d_model, d_mlp]"),
                    BaseEntry(q + "mlp.c_proj.bias", (d,), c + "mlp.down.bias", "copy")]
        out += [BaseEntry(q + "ln_2.weight", (d,), c + "ln2.weight", "copy"),
                BaseEntry(q + "ln_2.bias", (d,), c + "ln2.bias", "copy")]
    out += [BaseEntry("transformer.ln_f.weight", (d,), "final_norm.weight", "copy"),
            BaseEntry("transformer.ln_f.bias", (d,), "final_norm.bias", "copy"),
            BaseEntry("lm_head.weight", (v, d), "lm_head.weight", "copy", not tied, what="vocab x d_model")]
    return out


def _strip_wrappers(parts: List[str]) -> List[str]:
    return [x for x in parts if x != "module_layer"]


def is_ignored(hf_name: str) -> bool:
    return any(p.search(hf_name) for p in _IGNORED)


class KeyMapper:
    """Classifies checkpoint keys for one (architecture, codebook sites) pair."""

    def __init__(self, arch: Dict, sites: List[Site]):
        self.family = arch["family"]
        self.n_layers = arch["n_layers"]
        self.entries = {e.hf_name: e for e in base_entries(arch)}
        self.sites = {(s.layer, s.site): s for s in sites}
        self.site_paths = _SITE_PATHS[self.family]

    def classify(self, key: str):
        """-> BaseEntry | CodebookRef | None (ignored). Raises ConversionError for unknown keys."""
        if not key.startswith("model."):
            raise ConversionError("unknown key %s: codebook-features keys start with 'model.'" % key)
        parts = key[len("model."):].split(".")
        if "codebook_layer" in parts:
            return self._codebook(key, parts)
        hf_name = ".".join(_strip_wrappers(parts))
        if hf_name in self.entries:
            return self.entries[hf_name]
        if is_ignored(hf_name):
            return None
        raise ConversionError("unknown key %s: not a %s base tensor, codebook tensor or known buffer"
                              % (key, self.family))

    def _layer_of(self, key: str, parts: List[str]) -> Tuple[int, List[str]]:
        head = LAYER_PREFIX[self.family].rstrip(".").split(".")
        n = len(head)
        if parts[:n] != head or len(parts) <= n or not parts[n].isdigit():
            raise ConversionError("unknown key %s: a codebook outside the %s layers" % (key, self.family))
        layer = int(parts[n])
        if layer >= self.n_layers:
            raise ConversionError("unknown key %s: layer %d but the base model has %d layers"
                                  % (key, layer, self.n_layers))
        return layer, parts[n + 1:]

    def _codebook(self, key: str, parts: List[str]):
        layer, rel = self._layer_of(key, parts)
        at = rel.index("codebook_layer")
        before, after = rel[:at], rel[at + 1:]
        nested = 0  # module_layer levels directly above codebook_layer
        while nested < len(before) and before[len(before) - 1 - nested] == "module_layer":
            nested += 1
        path = ".".join(_strip_wrappers(before))
        if after and after[-1] == "counts":  # old activation counters, not weights
            return None
        group, param = self._codebook_param(key, after)
        candidates = [s for s, p in self.site_paths.items() if p == path and (layer, s) in self.sites]
        if not candidates:
            configured = sorted(s for (lay, s) in self.sites if lay == layer)
            raise ConversionError("unknown key %s: no codebook configured at layer %d for module path '%s' "
                                  "(configured there: %s)" % (key, layer, path, ", ".join(configured) or "none"))
        if len(candidates) == 2:  # replacing site applied first, so one module_layer deeper
            candidates = [s for s in candidates if (s in REPLACING_SITES) == (nested > 0)]
        site = self.sites[(layer, candidates[0])]
        if group is None and site.grouped:
            raise ConversionError("key %s: codebook %s at layer %d is grouped (%d groups) but the key has no "
                                  ".codebook.{g} level" % (key, site.site, layer, site.groups))
        if group is not None and not site.grouped:
            raise ConversionError("key %s: codebook %s at layer %d is vanilla but the key has a group level"
                                  % (key, site.site, layer))
        if group is not None and group >= site.groups:
            raise ConversionError("key %s: group %d but codebook %s at layer %d has %d groups"
                                  % (key, group, site.site, layer, site.groups))
        return CodebookRef(layer, site.site, group, param)

    @staticmethod
    def _codebook_param(key: str, after: List[str]) -> Tuple[Optional[int], str]:
        group = None
        if len(after) == 4 and after[0] == "codebook" and after[1].isdigit():
            group, after = int(after[1]), after[2:]
        param = ".".join(after)
        if param not in ("codebook.weight", "ln.weight", "ln.bias"):
            raise ConversionError("unknown key %s: a codebook tensor other than codebook.weight, ln.weight, "
                                  "ln.bias" % key)
        return group, param


def codebook_key_hint(family: str, site: Site, group: int, param: str) -> str:
    """The key a codebook tensor has when no other wrapper encloses it (for 'missing' messages)."""
    path = _SITE_PATHS[family][site.site]
    level = "codebook.%d." % group if site.grouped else ""
    return "model.%s%d.%scodebook_layer.%s%s" % (LAYER_PREFIX[family], site.layer, path + "." if path else "",
                                                level, param)
