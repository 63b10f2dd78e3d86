"""Fixture models and independent goldens for cbk_model_code_vector / cbk_model_code_logits.

  OUT/effects_<family>.cbk  cbkfile.random_model.fixture_model(family) (base weights f32 / f16 /
      int8 for gpt_neox / gpt2 / gpt_neo; codebooks attn_preproj per head f32, mlp f16, mlp_mid in
      2 groups int8, qkv except gpt_neo) plus an attn codebook in 2 groups (int8) on layer 0 and a
      transformer_block codebook (f16) on layer 1, so every kind of site is covered.
  OUT/code_effects.txt      one case per line:
      vector <model> <codebook> <group> <code> <n> <values...>   the dequantized code
      logits <model> <codebook> <group> <code> <n> <values...>   U * LN_f(r) (see cbk.h)
      unsupported <model> <codebook> <group> <code>              (qkv)

The goldens are computed here in numpy (float64) from the bytes the writer stores, following the
definition in cbk.h, not from the C++ engine.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
from cbkfile.random_model import fixture_model, random_codebook  # noqa: E402

FAMILIES = ("gpt_neox", "gpt2", "gpt_neo")
RESIDUAL_SITES = ("attn", "mlp", "attn_plus_mlp", "transformer_block")


def stored(spec):
    """The values a tensor spec holds, as the file stores them (int8: scale[row] * q in f32)."""
    shape = spec.shape
    if spec.dtype == "f32":
        return np.frombuffer(spec.data, "<f4").reshape(shape)
    if spec.dtype == "f16":
        return np.frombuffer(spec.data, "<f2").astype(np.float32).reshape(shape)
    if spec.dtype == "int8":
        q = np.frombuffer(spec.data, np.int8).reshape(shape[0], -1).astype(np.float32)
        scales = np.frombuffer(spec.scales, "<f4")
        return (scales[:, None] * q).astype(np.float32).reshape(shape)
    raise ValueError("dtype " + spec.dtype)


def tensor(writer, name):
    return stored(next(t for t in writer.tensors if t.name == name)).astype(np.float64)


def code_logits(writer, cb, group, code):
    arch = writer.architecture
    codes = stored(cb.group_data[group]["codes"]).astype(np.float64)
    site = np.zeros(cb.groups * cb.dim)
    site[group * cb.dim:(group + 1) * cb.dim] = codes[code]
    prefix = "layers.%d." % cb.layer
    if cb.site == "attn_preproj":
        r = tensor(writer, prefix + "attn.out.weight") @ site
    elif cb.site == "mlp_mid":
        r = tensor(writer, prefix + "mlp.down.weight") @ site
    else:
        assert cb.site in RESIDUAL_SITES
        r = site
    centred = r - r.mean()
    normed = centred / np.sqrt((centred * centred).mean() + arch["norm_eps"])
    normed = normed * tensor(writer, "final_norm.weight") + tensor(writer, "final_norm.bias")
    unembed = tensor(writer, "tok_embed" if arch["tied_embeddings"] else "lm_head.weight")
    return unembed @ normed


def effects_model(family):
    w = fixture_model(family, seed=11)
    rng = np.random.default_rng(12)
    d = w.architecture["d_model"]
    random_codebook(w, rng, 0, "attn", d, 2, 8, 1, dtype="int8")
    random_codebook(w, rng, 1, "transformer_block", d, 1, 8, 1, dtype="f16")
    return w


def row(kind, model, cb_index, group, code, values=None):
    head = "%s %s %d %d %d" % (kind, model, cb_index, group, code)
    if values is None:
        return head
    return head + " %d " % len(values) + " ".join(repr(float(v)) for v in values)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    lines = []
    for family in FAMILIES:
        w = effects_model(family)
        name = "effects_" + family
        w.write(os.path.join(out_dir, name + ".cbk"))
        for index, cb in enumerate(w.codebooks):
            # First, last and a middle code of the first and last group.
            for group in sorted({0, cb.groups - 1}):
                for code in sorted({0, cb.codes // 2 + 1, cb.codes - 1}):
                    codes = stored(cb.group_data[group]["codes"])
                    lines.append(row("vector", name, index, group, code, codes[code]))
                    if cb.site == "qkv":
                        lines.append(row("unsupported", name, index, group, code))
                    else:
                        lines.append(row("logits", name, index, group, code, code_logits(w, cb, group, code)))
    with open(os.path.join(out_dir, "code_effects.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
