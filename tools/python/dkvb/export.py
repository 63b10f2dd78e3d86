"""Writes a trained DKVB (model.DKVB) to a .cbk file (schema 1.3 kind dkvb) through cbkfile, and the
golden file the C++ parity test reads."""
import json

import numpy as np

from cbkfile import CbkWriter


def to_writer(model, name, description, extra=None):
    w = CbkWriter()
    encoder = [(wt.numpy(), b.numpy()) for wt, b in model.encoder_layers]
    projection = None if model.projection is None else model.projection.numpy()
    w.set_dkvb(model.keys.numpy(), model.values.detach().numpy(), input_dim=_input_dim(model), encoder=encoder,
               projection=projection, used_pairs=(model.used.numpy() > 0).astype(np.uint8))
    w.metadata = {"name": name, "description": description, "converter": "tools/python/dkvb",
                  "extra": {k: str(v) for k, v in (extra or {}).items()}}
    return w


def _input_dim(model):
    if model.encoder_layers:
        return int(model.encoder_layers[0][0].shape[1])
    if model.projection is not None:
        return int(model.projection.shape[2])
    return int(model.keys.shape[0] * model.keys.shape[2])


def write_golden(path, model, x, ids, logits, skipped):
    """The trainer's own picked ids and logits (torch, float32) for inputs x; `skipped` counts inputs
    left out because two keys of some head were too close to call in float32."""
    with open(path, "w") as f:
        json.dump({"source": "tools/python/dkvb (torch forward of the trained model, masked as in the file)",
                   "near_ties_skipped": int(skipped), "inputs": np.asarray(x, np.float32).tolist(),
                   "keys": np.asarray(ids).tolist(), "logits": np.asarray(logits, np.float32).tolist()}, f)


def write_labelled(path, x, y):
    """The text format `cbk dkvb-eval` reads: one input per line, LABEL then the input's floats."""
    with open(path, "w") as f:
        for label, row in zip(y, x):
            f.write("%d %s\n" % (int(label), " ".join("%.9g" % v for v in row)))
