"""Models for the C API tests, written with the Python .cbk writer (cbkfile).

  OUT/api.cbk   cbkfile.random_model.fixture_model("gpt2"): 2 layers, 4 codebooks (grouped and
                vanilla, k 1..3), byte-level BPE tokenizer, metadata, one annotation with a
                context, max_positions 16 (so over-long prompts are easy to make). Its embedding has
                3 more rows than the tokenizer has tokens (a padded vocabulary).
  OUT/api_invlayer.cbk  the same model with scale_attention_by_inverse_layer (schema 1.1).
  OUT/api_long.cbk   a tiny GPT-NeoX (rotary, 2 layers, d 32) whose max_positions is 2^24, the
                loader's limit: its default session would need an 8 GiB KV cache (memory tests).
  OUT/api_exact.cbk  api.cbk with exact f16/int8 codebooks (schema 1.2; see exact_model).
  OUT/api_dkvb.cbk, OUT/api_dkvb_linear.cbk  random DKVB classifiers (cbkfile.random_model.dkvb_model,
                voting and linear decoder; schema 1.3 kind dkvb).
  OUT/api_dkvb.golden.json, OUT/api_dkvb_linear.golden.json  inputs with the picked keys and logits of
                the numpy reference (tools/python/dkvb/reference.py), plain and steered.
  OUT/api_protonet.cbk  a small prototype network (schema 1.3 kind protonet; 1x8x8 images, latent 8,
                5 prototypes, 3 classes: cbkfile.protonet.random_protonet).
  OUT/api_protonet_baseline.cbk  the same family's baseline (linear head, no prototypes).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
import numpy as np  # noqa: E402
from cbkfile.protonet import random_protonet  # noqa: E402
from cbkfile.random_model import dkvb_model, fixture_model, random_base  # noqa: E402
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




def dkvb_golden(w, seed):
    """Inputs with the numpy reference's picked keys and logits: plain, with head 1 forced to pair 3,
    with pairs 0..5 of every head masked, and with the value of (head 0, pair 2) overridden."""
    import json
    from dkvb import reference
    m = reference.model_from_writer(w)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, w.dkvb["input_dim"]))
    x = x[~reference.near_tie_rows(m, x)][:40].astype(np.float32)
    heads, pairs, value_dim = m["values"].shape
    searchable = m["used_pairs"] > 0
    masked = searchable.copy()
    masked[:, :6] = False
    new_value = np.linspace(-2.0, 3.0, value_dim).astype(np.float32)
    values = m["values"].copy()
    values[0, 2] = new_value
    cases = {"plain": reference.classify(m, x), "force_h1_k3": reference.classify(m, x, forced=[-1, 3] + [-1] * (heads - 2)),
             "mask_0_5": reference.classify(m, x, searchable=masked),
             "no_file_mask": reference.classify(m, x, searchable=np.ones_like(searchable)),
             "value_h0_k2": reference.classify(m, x, values=values)}
    return json.dumps({"inputs": x.tolist(), "value_h0_k2": new_value.tolist(),
                       "cases": {k: {"keys": ids.tolist(), "logits": lg.tolist()} for k, (ids, lg) in cases.items()}})


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    fixture_model("gpt2", seed=5).write(os.path.join(out_dir, "api.cbk"))
    invlayer = fixture_model("gpt2", seed=5)
    invlayer.architecture["scale_attention_by_inverse_layer"] = True
    invlayer.write(os.path.join(out_dir, "api_invlayer.cbk"))
    long_context_model().write(os.path.join(out_dir, "api_long.cbk"))
    exact_model().write(os.path.join(out_dir, "api_exact.cbk"))
    for name, w in (("api_dkvb", dkvb_model(seed=11)), ("api_dkvb_linear", dkvb_model(seed=12, decoder="linear"))):
        w.write(os.path.join(out_dir, name + ".cbk"))
        with open(os.path.join(out_dir, name + ".golden.json"), "w") as f:
            f.write(dkvb_golden(w, 21))
    random_protonet(seed=7).write(os.path.join(out_dir, "api_protonet.cbk"))
    random_protonet(seed=8, baseline=True).write(os.path.join(out_dir, "api_protonet_baseline.cbk"))


if __name__ == "__main__":
    main(sys.argv[1])
