"""Writes models/tokfsm.cbk with RANDOM weights in the TokFSM shape: a stand-in default model
until the trained TokFSM model replaces it. Usage: /usr/bin/python3 tools/python/make_placeholder_model.py [OUT]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cbkfile.random_model import tokfsm_shaped_model  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "models", "tokfsm.cbk")
    w = tokfsm_shaped_model(seed=2026, codes=256)
    # f16 keeps the placeholder small; the format and loader support f32, f16 and int8 alike.
    for spec in w.all_tensor_specs():
        if spec.dtype == "f32" and len(spec.shape) == 2:
            spec.data = np.frombuffer(spec.data, dtype="<f4").astype("<f2").tobytes()
            spec.dtype = "f16"
    w.metadata = {"name": "tokfsm-placeholder",
                  "description": "RANDOM weights in the TokFSM shape (GPT-NeoX, 4 layers, d_model 128, "
                                 "attn_preproj + mlp codebooks, k=1). A placeholder until the trained model ships.",
                  "license": "CC0-1.0", "source_checkpoint": "random (numpy default_rng seed 2026)",
                  "converter": "tools/python/make_placeholder_model.py", "converter_version": "1",
                  "extra": {"trained": "no"}}
    size = w.write(out)
    print("wrote %s (%d bytes)" % (out, size))


if __name__ == "__main__":
    main()
