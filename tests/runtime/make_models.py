"""Tiny random models for the engine tests, written with the Python .cbk writer (cbkfile).

  OUT/<name>.cbk for every model in MODELS.

Each family gets one model with a codebook at every site of both layers, mixing grouped and
vanilla codebooks, both similarity metrics, k in {1, 2, 3} and f32/f16/int8 code tables, so one
prefill == decode check covers every site. Small `codes` keep the search cheap.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
from cbkfile import CbkWriter  # noqa: E402
from cbkfile.random_model import byte_bpe_tokenizer, random_base, random_codebook  # noqa: E402

SITES = ("attn_preproj", "attn", "mlp", "mlp_mid", "qkv", "attn_plus_mlp", "transformer_block")
D, HEADS, D_MLP, LAYERS, MAX_POS = 16, 4, 32, 2, 24


def width(site):
    return {"mlp_mid": D_MLP, "qkv": 3 * D}.get(site, D)


def every_site_model(family, seed, weight_dtype="f32", **arch):
    rng = np.random.default_rng(seed)
    w = CbkWriter()
    tok = byte_bpe_tokenizer()
    vocab = len(tok["tokens"])
    random_base(w, family, rng, vocab, D, LAYERS, HEADS, D_MLP, MAX_POS, dtype=weight_dtype, **arch)
    i = 0
    for layer in range(LAYERS):
        for site in SITES:
            groups = (3 * HEADS if site == "qkv" else HEADS) if (i + layer) % 2 == 0 else (3 if site == "qkv" else 1)
            metric = "euclidean" if i % 3 == 2 else "inner_product"
            dtype = ("f32", "f16", "int8")[i % 3] if layer == 1 else "f32"
            k = 1 + (i % 3)
            random_codebook(w, rng, layer, site, width(site), groups, 12, k, metric, dtype)
            i += 1
    w.tokenizer = tok
    w.metadata = {"name": "engine-%s" % family}
    return w


def steering_model():
    """GPT-2, one layer: a grouped attn_preproj codebook (4 heads, C = 6, k = 2), a vanilla
    euclidean mlp codebook (C = 8, k = 1) and a transformer_block codebook (C = 160, k = 2)."""
    rng = np.random.default_rng(7)
    w = CbkWriter()
    tok = byte_bpe_tokenizer()
    random_base(w, "gpt2", rng, len(tok["tokens"]), D, 1, HEADS, D_MLP, MAX_POS)
    random_codebook(w, rng, 0, "attn_preproj", D, HEADS, 6, 2)
    random_codebook(w, rng, 0, "mlp", D, 1, 8, 1, "euclidean")
    random_codebook(w, rng, 0, "transformer_block", D, 1, 160, 2)  # C > 128: the keep-mode fallback
    w.tokenizer = tok
    return w


def exact_pair_model(codebook_dtype):
    """GPT-NeoX, d_model 64, 2 layers, with codebooks large enough that the exact quantized search
    has to rescore (C = 1000 grouped attn_preproj, k 8; C = 512 vanilla euclidean mlp, k 4; C = 300
    vanilla mlp_mid, k 2). The same seed gives the same f32 codes for every codebook_dtype: "f32",
    or "f16"/"int8" (quantized scan table + the f32 codes as exact_codes)."""
    rng = np.random.default_rng(11)
    w = CbkWriter()
    tok = byte_bpe_tokenizer()
    random_base(w, "gpt_neox", rng, len(tok["tokens"]), 64, 2, 4, 128, 48)
    exact = codebook_dtype != "f32"
    for layer, site, width_, groups, codes, k, metric in ((0, "attn_preproj", 64, 4, 1000, 8, "inner_product"),
                                                          (1, "mlp", 64, 1, 512, 4, "euclidean"),
                                                          (1, "mlp_mid", 128, 1, 300, 2, "inner_product")):
        dim = width_ // groups
        data = [((1.0 + 0.1 * rng.standard_normal(dim)).astype(np.float32),
                 (0.1 * rng.standard_normal(dim)).astype(np.float32),
                 rng.standard_normal((codes, dim)).astype(np.float32)) for _ in range(groups)]
        w.add_codebook(layer, site, k, data, metric, codebook_dtype, exact=exact)
    w.tokenizer = tok
    return w


MODELS = {
    "neox_parallel": lambda: every_site_model("gpt_neox", 1),
    "neox_sequential": lambda: every_site_model("gpt_neox", 2, parallel_residual=False, rotary_dims=4),
    "gpt2": lambda: every_site_model("gpt2", 3, weight_dtype="f16"),
    "gpt_neo": lambda: every_site_model("gpt_neo", 4, weight_dtype="int8"),
    "steering": steering_model,
    "exact_f32": lambda: exact_pair_model("f32"),
    "exact_f16": lambda: exact_pair_model("f16"),
    "exact_int8": lambda: exact_pair_model("int8"),
}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, make in MODELS.items():
        make().write(os.path.join(out_dir, name + ".cbk"))


if __name__ == "__main__":
    main(sys.argv[1])
