"""Models for the fuzz targets, written with the Python .cbk writer.

  make_fuzz_models.py OUT          fuzz_api's models: OUT/{gpt2,gpt_neox,gpt_neo}.cbk, the loader
                                   fixtures (2 layers, d_model 32, grouped and vanilla codebooks,
                                   k 1..3, both metrics, f32/f16/int8, byte-level BPE tokenizer,
                                   padded vocabulary, max_positions 16). Written at build time.
  make_fuzz_models.py --seeds OUT  fuzz_load's committed seed corpus: the smallest valid files
                                   (1 layer, d_model 8) of each family and dtype, a few KB each,
                                   and a small DKVB classifier (linear decoder, used-pair mask).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
from cbkfile.random_model import (byte_bpe_tokenizer, digit_tokenizer, dkvb_model,  # noqa: E402
                                  fixture_model, random_base, random_codebook)
from cbkfile.protonet import random_protonet  # noqa: E402
from cbkfile.writer import CbkWriter  # noqa: E402


def tiny_model(family, dtype, tokenizer, seed):
    rng = np.random.default_rng(seed)
    w = CbkWriter()
    vocab = len(tokenizer["tokens"]) + 1
    random_base(w, family, rng, vocab, 8, 1, 2, 16, 8, dtype=dtype)
    random_codebook(w, rng, 0, "attn_preproj", 8, 2, 4, 1)
    random_codebook(w, rng, 0, "mlp", 8, 1, 6, 2, "euclidean", dtype=dtype if dtype != "bf16" else "f32")
    w.tokenizer = tokenizer
    w.metadata = {"name": "tiny-" + family}
    w.annotations = [{"codebook": 0, "group": 1, "code": 3, "label": "x", "description": "", "frequency": 0.5,
                      "top_contexts": [{"tokens": [1, 2], "highlight": (0, 1), "score": 1.0}]}]
    return w


def main(argv):
    if argv[0] == "--seeds":
        out = argv[1]
        os.makedirs(out, exist_ok=True)
        for i, (family, dtype) in enumerate([("gpt_neox", "f32"), ("gpt2", "f16"), ("gpt_neo", "int8")]):
            tiny_model(family, dtype, digit_tokenizer(), i).write(os.path.join(out, "tiny_%s_%s.cbk" % (family, dtype)))
        dkvb_model(seed=4, decoder="linear", input_dim=3, hidden=(4,), heads=2, pairs=5, key_dim=2, value_dim=3,
                   classes=3).write(os.path.join(out, "tiny_dkvb_linear.cbk"))
        tiny_model("gpt2", "f32", byte_bpe_tokenizer(4), 7).write(os.path.join(out, "tiny_gpt2_bpe.cbk"))
        random_protonet(seed=5, prototypes=3).write(os.path.join(out, "tiny_protonet.cbk"))
        return
    os.makedirs(argv[0], exist_ok=True)
    for family in ("gpt2", "gpt_neox", "gpt_neo"):
        fixture_model(family, seed=11).write(os.path.join(argv[0], family + ".cbk"))


if __name__ == "__main__":
    main(sys.argv[1:])
