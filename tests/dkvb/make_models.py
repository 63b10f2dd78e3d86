"""DKVB models at the search and gather kernels' tile boundaries, with goldens from the numpy
reference (tools/python/dkvb/reference.py; rows with float32 near ties left out).

  OUT/<name>.cbk + OUT/<name>.golden.json   for every shape in SHAPES
  OUT/manifest.txt                          the names
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
from cbkfile.random_model import dkvb_model  # noqa: E402
from dkvb import reference  # noqa: E402

# (heads, pairs, key_dim, value_dim, decoder): pairs around the search's row tiles (1, 4, 8, 16 and
# their neighbours, many), key_dim around the 32 dot-product lanes and the SIMD widths (1, 3, 4, 8,
# 14 as in the paper, 16, 17, 31..33), value_dim around the gather's widths.
SHAPES = [(1, 1, 1, 1, "voting"), (1, 2, 2, 3, "voting"), (2, 3, 3, 4, "linear"), (3, 4, 4, 8, "voting"),
          (4, 7, 8, 7, "voting"), (2, 8, 14, 9, "linear"), (5, 9, 16, 15, "voting"), (3, 15, 17, 16, "voting"),
          (2, 16, 31, 17, "linear"), (2, 17, 32, 31, "voting"), (3, 31, 33, 32, "voting"),
          (2, 33, 14, 33, "voting"), (4, 64, 14, 10, "voting"), (2, 255, 5, 10, "linear"), (1, 1000, 2, 8, "voting")]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for i, (heads, pairs, key_dim, value_dim, decoder) in enumerate(SHAPES):
        name = "h%d_p%d_k%d_v%d_%s" % (heads, pairs, key_dim, value_dim, decoder)
        w = dkvb_model(seed=100 + i, decoder=decoder, input_dim=5, hidden=(12, 9), heads=heads, pairs=pairs,
                       key_dim=key_dim, value_dim=value_dim, classes=6, used_pairs=pairs > 1)
        m = reference.model_from_writer(w)
        rng = np.random.default_rng(i)
        x = rng.standard_normal((200, 5))
        x = x[~reference.near_tie_rows(m, x)][:100].astype(np.float32)
        ids, logits = reference.classify(m, x.astype(np.float64))
        w.write(os.path.join(out_dir, name + ".cbk"))
        with open(os.path.join(out_dir, name + ".golden.json"), "w") as f:
            json.dump({"inputs": x.tolist(), "keys": ids.tolist(), "logits": logits.tolist()}, f)
        names.append(name)
    with open(os.path.join(out_dir, "manifest.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
