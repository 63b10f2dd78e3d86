"""A Pythia-70m-shaped random codebook model for the end-to-end benchmark (never committed):
GPT-NeoX, 6 layers, d_model 512, 8 heads, d_mlp 2048, vocab 50304, 2048 positions, rotary on
16 of 64 head dims, parallel residual; attn_preproj group codebooks with C = 10,000 per head, k = 8.

    /usr/bin/python3 bench/e2e/make_model.py OUT.cbk
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
from cbkfile import CbkWriter  # noqa: E402
from cbkfile.random_model import random_base, random_codebook  # noqa: E402


def main(path):
    if os.path.exists(path):
        return
    rng = np.random.default_rng(70)
    w = CbkWriter()
    random_base(w, "gpt_neox", rng, 50304, 512, 6, 8, 2048, 2048, rotary_dims=16)
    for layer in range(6):
        random_codebook(w, rng, layer, "attn_preproj", 512, 8, 10000, 8)
    w.metadata = {"name": "pythia-70m-shaped random codebook model (benchmark)"}
    tmp = path + ".tmp"
    w.write(tmp)
    os.replace(tmp, path)


if __name__ == "__main__":
    main(sys.argv[1])
