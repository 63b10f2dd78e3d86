#!/usr/bin/env python3
"""DKVB models for the JS API's tests (web/test/node/dkvb.test.mjs): random classifiers from
cbkfile.random_model.dkvb_model in the shapes the API must handle.

  python3 web/test/node/make_dkvb_models.py OUT_DIR
writes voting.cbk (MLP encoder, projection, used-pair mask, voting), linear.cbk (linear decoder),
split.cbk (identity encoder, no projection: each head reads a slice of the input, no mask)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "python"))
from cbkfile.random_model import dkvb_model  # noqa: E402

MODELS = {
    "voting.cbk": dict(seed=21, decoder="voting"),
    "linear.cbk": dict(seed=22, decoder="linear", classes=6),
    "split.cbk": dict(seed=23, hidden=(), input_dim=6, heads=3, projection=False, used_pairs=False,
                      value_dim=4, classes=4),
}

if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, kw in MODELS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(dkvb_model(**kw).to_bytes())
