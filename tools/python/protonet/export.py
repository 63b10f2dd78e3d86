"""Trained torch state -> .cbk (kind = protonet), and the parity goldens computed by torch in float64."""

import json
import os
import sys

import numpy as np
import torch

from .data import FASHION_CLASSES
from .model import DECODER_SPECS, ENCODER_SPECS, IMAGE_SHAPE, Baseline, ProtoNet

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
from cbkfile.protonet import ConvSpec, ProtoNetSpec  # noqa: E402
from cbkfile.writer import CbkWriter  # noqa: E402


def _spec_for(model, kind: str) -> ProtoNetSpec:
    spec = ProtoNetSpec(image_shape=IMAGE_SHAPE, class_names=list(FASHION_CLASSES))
    for i, (conv, (_, _, stride, pad, _, act)) in enumerate(zip(model.encoder.convs, ENCODER_SPECS)):
        spec.encoder.append(ConvSpec.make(f"protonet.encoder.{i}", conv.weight.detach().numpy(),
                                          conv.bias.detach().numpy(), stride, pad, act))
    if kind == "protonet":
        spec.set_prototypes(model.prototypes.detach().numpy(), model.class_weights.detach().numpy())
        for i, (conv, (_, _, stride, pad, out_pad, act)) in enumerate(zip(model.decoder.convs, DECODER_SPECS)):
            spec.decoder.append(ConvSpec.make(f"protonet.decoder.{i}", conv.weight.detach().numpy(),
                                              conv.bias.detach().numpy(), stride, pad, act,
                                              transposed=True, output_padding=out_pad))
    else:
        spec.set_linear(model.head.weight.detach().numpy(), model.head.bias.detach().numpy())
    return spec


def load_model(kind: str, state_path: str):
    model = ProtoNet() if kind == "protonet" else Baseline()
    model.load_state_dict(torch.load(state_path))
    model.eval()
    return model


def write_cbk(kind: str, state_path: str, out_path: str, summary: dict = None) -> int:
    model = load_model(kind, state_path)
    w = CbkWriter()
    w.metadata = {
        "name": "protonet-fashion" if kind == "protonet" else "protonet-fashion-baseline",
        "description": ("Prototype network (Li, Liu, Chen & Rudin, AAAI 2018) on Fashion-MNIST"
                        if kind == "protonet" else
                        "The prototype network's encoder with a plain softmax head (baseline), Fashion-MNIST"),
        "license": "MIT",
        "source_checkpoint": os.path.basename(os.path.dirname(state_path)) + "/" + os.path.basename(state_path),
        "converter": "tools/python/export_protonet.py",
        "converter_version": "1",
        "extra": {k: str(v) for k, v in (summary or {}).items()},
    }
    w.set_protonet(_spec_for(model, kind))
    return w.write(out_path)


def goldens(state_path: str, images_u8: np.ndarray, labels: np.ndarray, out_path: str):
    """Writes the parity goldens of the prototype network: per image the distances, nearest
    prototype ids (ascending distance, ties to the lower id), logits, and the reconstruction; plus
    every decoded prototype. Computed by torch in float64 from the float32 weights."""
    model = load_model("protonet", state_path).double()
    x = torch.from_numpy(images_u8.astype(np.float64)[:, None] / 255.0)
    with torch.no_grad():
        z, d, logits = model(x)
        recon = model.decoder(z)
        protos = model.decoder(model.prototypes)
    nearest = [sorted(range(d.shape[1]), key=lambda j: (float(d[i, j]), j)) for i in range(len(x))]
    out = {
        "source": "tools/python/protonet/export.py goldens (torch float64)",
        "images_u8": images_u8.reshape(len(x), -1).tolist(),
        "labels": labels.tolist(),
        "latents": z.numpy().tolist(),
        "distances": d.numpy().tolist(),
        "nearest": nearest,
        "logits": logits.numpy().tolist(),
        "reconstructions": recon.reshape(len(x), -1).numpy().tolist(),
        "decoded_prototypes": protos.reshape(protos.shape[0], -1).numpy().tolist(),
    }
    def short(v):  # 9 significant digits: far below the parity tolerances, half the file size
        return [short(x) for x in v] if isinstance(v, list) else float("%.9g" % v) if isinstance(v, float) else v

    with open(out_path, "w") as f:
        json.dump({k: short(v) for k, v in out.items()}, f, separators=(",", ":"))
