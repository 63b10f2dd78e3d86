"""Random codebook models for bench/peers in the shapes of Pythia-70m and of the published
Pythia-410m codebook model (24 layers, d 1024, 16 heads, C = 10,000 per head, k = 8).

    /usr/bin/python3 bench/peers/make_models.py pythia70m|pythia410m OUT.cbk
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from make_model import write_model  # noqa: E402

SHAPES = {
    "pythia70m": dict(n_layers=6, d_model=512, n_heads=8, seed=70, name="pythia-70m-shaped"),
    "pythia410m": dict(n_layers=24, d_model=1024, n_heads=16, seed=410, name="pythia-410m-shaped"),
}

if __name__ == "__main__":
    write_model(sys.argv[2], **SHAPES[sys.argv[1]])
