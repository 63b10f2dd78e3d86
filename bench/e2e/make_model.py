"""A Pythia-70m-shaped random codebook model for the end-to-end benchmark (never committed):
GPT-NeoX, 6 layers, d_model 512, 8 heads, d_mlp 2048, vocab 50304, 2048 positions, rotary on
16 of 64 head dims, parallel residual; attn_preproj group codebooks with C = 10,000 per head, k = 8.

    /usr/bin/python3 bench/e2e/make_model.py OUT.cbk
    /usr/bin/python3 bench/e2e/make_model.py OUT.cbk --shape 410m --codebook-dtype int8 --weight-dtype int8

write_model() makes other Pythia shapes the same way (bench/peers/make_models.py). The same seed
gives the same f32 values whatever the storage: --codebook-dtype f16|int8 are exact codebooks
(quantized scan table + f32 originals), f16-lossy|int8-lossy the table alone; --weight-dtype
quantizes the base model's matrices.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
from cbkfile import CbkWriter  # noqa: E402
from cbkfile.writer import CODEBOOK_DTYPES, WEIGHT_DTYPES, codebook_storage  # noqa: E402
from cbkfile.random_model import random_base, random_codebook  # noqa: E402


SHAPES = {"70m": dict(n_layers=6, d_model=512, n_heads=8, seed=70, name="pythia-70m-shaped"),
          "410m": dict(n_layers=24, d_model=1024, n_heads=16, seed=410, name="pythia-410m-shaped")}


def write_model(path, n_layers=6, d_model=512, n_heads=8, seed=70, name="pythia-70m-shaped",
                codebook_dtype="f32", weight_dtype="f32"):
    """GPT-NeoX with d_mlp 4·d_model, vocab 50304, 2048 positions, rotary on a quarter of each head;
    attn_preproj codebooks, C = 10,000 per head, k = 8. Does nothing if `path` exists."""
    if os.path.exists(path):
        return
    rng = np.random.default_rng(seed)
    w = CbkWriter()
    head_dim = d_model // n_heads
    random_base(w, "gpt_neox", rng, 50304, d_model, n_layers, n_heads, 4 * d_model, 2048, dtype=weight_dtype,
                rotary_dims=head_dim // 4)
    scan, exact = codebook_storage(codebook_dtype)
    for layer in range(n_layers):
        random_codebook(w, rng, layer, "attn_preproj", d_model, n_heads, 10000, 8, dtype=scan, exact=exact)
    w.metadata = {"name": name + " random codebook model (benchmark)"}
    tmp = path + ".tmp"
    w.write(tmp)
    os.replace(tmp, path)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--shape", default="70m", choices=sorted(SHAPES))
    ap.add_argument("--codebook-dtype", default="f32", choices=CODEBOOK_DTYPES)
    ap.add_argument("--weight-dtype", default="f32", choices=WEIGHT_DTYPES)
    a = ap.parse_args()
    write_model(a.out, codebook_dtype=a.codebook_dtype, weight_dtype=a.weight_dtype, **SHAPES[a.shape])
