"""Exports torch_model.py's module (the same graph the PyTorch contender runs) to ONNX with KV-cache
inputs and outputs, using Debian's torch.

    /usr/bin/python3 bench/peers/export_onnx.py MODEL.cbk OUT.onnx

Inputs: ids int64 [T]; past_k_L, past_v_L float32 [H, P, head_dim] (P = 0 for a prompt).
Outputs: logits [V] (last position), present_k_L, present_v_L [H, P + T, head_dim], codes_I int64
[G, T, k] for codebook I in file order. Each codebook is LayerNormalization → MatMul / norms → TopK →
Gather → ReduceMean. OUT.onnx.json gets the shapes the runners need. Constant folding stores the transposed code table next to the gathered one,
so the file holds the codes twice (ONNX MatMul has no transposed operand).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_model import load_model  # noqa: E402


def export(cbk_path, out_path):
    torch.set_num_threads(1)
    model = load_model(cbk_path)
    n_layers, h, hd = model.n_layers, model.n_heads, model.head_dim
    # Trace with a past and several tokens so neither length is specialised to 0 or 1.
    ids = torch.tensor([1, 2, 3], dtype=torch.int64)
    past = [torch.zeros(h, 2, hd) for _ in range(2 * n_layers)]
    kv_names = []
    for layer in range(n_layers):
        kv_names += ["k_%d" % layer, "v_%d" % layer]
    inputs = ["ids"] + ["past_" + n for n in kv_names]
    outputs = ["logits"] + ["present_" + n for n in kv_names] + ["codes_%d" % i for i in range(len(model.codebooks))]
    axes = {"ids": {0: "T"}}
    axes.update({"past_" + n: {1: "P"} for n in kv_names})
    axes.update({"present_" + n: {1: "PT"} for n in kv_names})
    axes.update({"codes_%d" % i: {1: "T"} for i in range(len(model.codebooks))})
    tmp = out_path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, (ids, *past), tmp, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=17, do_constant_folding=True)
    os.replace(tmp, out_path)
    meta = dict(n_layers=n_layers, n_heads=h, head_dim=hd, vocab_size=int(model.embed.shape[0]),
                codebooks=len(model.codebooks))
    with open(out_path + ".json", "w") as f:  # what the ONNX runners need to build empty KV inputs
        json.dump(meta, f)


if __name__ == "__main__":
    export(sys.argv[1], sys.argv[2])
