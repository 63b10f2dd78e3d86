"""Models for the C API tests, written with the Python .cbk writer (cbkfile).

  OUT/api.cbk   cbkfile.random_model.fixture_model("gpt2"): 2 layers, 4 codebooks (grouped and
                vanilla, k 1..3), byte-level BPE tokenizer, metadata, one annotation with a
                context, max_positions 16 (so over-long prompts are easy to make). Its embedding has
                3 more rows than the tokenizer has tokens (a padded vocabulary).
  OUT/api_invlayer.cbk  the same model with scale_attention_by_inverse_layer (schema 1.1).
  OUT/api_long.cbk   a tiny GPT-NeoX (rotary, 2 layers, d 32) whose max_positions is 2^24, the
                loader's limit: its default session would need an 8 GiB KV cache (memory tests).
  OUT/api_exact.cbk  api.cbk with exact f16/int8 codebooks (schema 1.2; see exact_model).
  OUT/api_protonet.cbk  a small prototype network (schema 1.3 kind protonet; 1x8x8 images, latent 8,
                5 prototypes, 3 classes: cbkfile.protonet.random_protonet).
  OUT/api_protonet_baseline.cbk  the same family's baseline (linear head, no prototypes).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
import numpy as np  # noqa: E402
from cbkfile.protonet import random_protonet  # noqa: E402
from cbkfile.random_model import fixture_model, random_base  # noqa: E402
from cbkfile.writer import CbkWriter, TensorSpec  # noqa: E402


def long_context_model():
    w = CbkWriter()
    random_base(w, "gpt_neox", np.random.default_rng(9), 16, 32, 2, 4, 64, 1 << 24)
    return w


EXACT_OFFSET = 0.25  # api_exact's f32 originals = the quantized table's values + this


def exact_model():
    """api.cbk with every f16/int8 codebook made exact: each group gets f32 `exact_codes` equal to its
    dequantized table plus EXACT_OFFSET, so a gathered code differs from the lossy file's by exactly that."""
    w = fixture_model("gpt2", seed=5)
    for cb in w.codebooks:
        for grp in cb.group_data:
            codes = grp["codes"]
            if codes.dtype == "f32":
                continue
            q = np.frombuffer(codes.data, dtype={"f16": "<f2", "int8": "i1"}[codes.dtype]).astype(np.float64)
            if codes.dtype == "int8":
                q = q.reshape(codes.shape[0], -1) * np.frombuffer(codes.scales, dtype="<f4")[:, None]
            exact = q.reshape(codes.shape) + EXACT_OFFSET
            grp["exact_codes"] = TensorSpec.from_array(codes.name + ".exact", exact.astype(np.float32), "f32")
    return w




def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    fixture_model("gpt2", seed=5).write(os.path.join(out_dir, "api.cbk"))
    invlayer = fixture_model("gpt2", seed=5)
    invlayer.architecture["scale_attention_by_inverse_layer"] = True
    invlayer.write(os.path.join(out_dir, "api_invlayer.cbk"))
    long_context_model().write(os.path.join(out_dir, "api_long.cbk"))
    exact_model().write(os.path.join(out_dir, "api_exact.cbk"))
    random_protonet(seed=7).write(os.path.join(out_dir, "api_protonet.cbk"))
    random_protonet(seed=8, baseline=True).write(os.path.join(out_dir, "api_protonet_baseline.cbk"))


if __name__ == "__main__":
    main(sys.argv[1])
