"""Reading checkpoint weights: model.safetensors (own reader, memory-mapped), pytorch_model.bin
(torch, imported only here and only for .bin files), and sharded variants (*.index.json).

Every reader returns {key: numpy array}; floating tensors are widened to float32 (the .cbk stores
f32 / f16 / int8 made from f32), integer and bool buffers keep their dtype.
"""
import json
import os
import struct
from typing import Dict, List, Tuple

import numpy as np

from .errors import ConversionError

# safetensors dtype name -> numpy little-endian dtype; BF16 is widened by hand (numpy has none)
_SAFETENSORS_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U8": "u1", "BOOL": "?",
}
_MAX_HEADER = 100 << 20  # the safetensors format caps the JSON header at 100 MB


def _as_float32(array: np.ndarray, dtype_name: str) -> np.ndarray:
    if dtype_name == "BF16":  # bfloat16 = the top 16 bits of a float32
        return (array.astype(np.uint32) << 16).view(np.float32)
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    return array


def read_safetensors(path: str) -> Dict[str, np.ndarray]:
    """Layout: u64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]},
    "__metadata__": {...}}, then the tensor bytes; offsets are relative to the end of the header."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ConversionError("%s: too short for a safetensors file (%d bytes)" % (path, size))
        (n,) = struct.unpack("<Q", head)
        if n > _MAX_HEADER or 8 + n > size:
            raise ConversionError("%s: safetensors header length %d exceeds the file size %d" % (path, n, size))
        try:
            header = json.loads(f.read(n).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ConversionError("%s: safetensors header is not valid JSON (%s)" % (path, e))
    if not isinstance(header, dict):
        raise ConversionError("%s: safetensors header is not a JSON object" % path)
    header.pop("__metadata__", None)
    data_start, data_size = 8 + n, size - 8 - n
    mapped = np.memmap(path, dtype=np.uint8, mode="r", offset=data_start, shape=(data_size,)) if data_size else \
        np.zeros(0, np.uint8)
    out = {}
    for name, info in header.items():
        try:
            dtype_name, shape, (begin, end) = info["dtype"], [int(x) for x in info["shape"]], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise ConversionError("%s: safetensors entry %s is malformed: %r" % (path, name, info))
        if dtype_name not in _SAFETENSORS_DTYPES:
            raise ConversionError("%s: tensor %s has unsupported safetensors dtype %s" % (path, name, dtype_name))
        dtype = np.dtype(_SAFETENSORS_DTYPES[dtype_name])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not (0 <= begin <= end <= data_size) or end - begin != count * dtype.itemsize:
            raise ConversionError("%s: tensor %s has data_offsets [%d, %d] that do not fit shape %s of %s in %d "
                                  "data bytes" % (path, name, begin, end, shape, dtype_name, data_size))
        raw = np.frombuffer(mapped[begin:end], dtype=dtype).reshape(shape)
        out[name] = _as_float32(raw, dtype_name)
    return out


def read_pytorch_bin(path: str) -> Dict[str, np.ndarray]:
    try:
        import torch  # only .bin checkpoints need torch
    except ImportError:
        raise ConversionError("%s: reading pytorch_model.bin needs torch (apt install python3-torch), "
                              "or convert the checkpoint to model.safetensors" % path)
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:  # torch < 1.13 has no weights_only
            state = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - any unpickling failure is a bad input file
        raise ConversionError("%s: cannot be read by torch.load (%s)" % (path, str(e).splitlines()[0] if str(e) else e))
    if not isinstance(state, dict):
        raise ConversionError("%s: holds a %s, expected a state dict" % (path, type(state).__name__))
    out = {}
    for key, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise ConversionError("%s: entry %s is a %s, not a tensor" % (path, key, type(tensor).__name__))
        t = tensor.detach().cpu()
        out[key] = (t.float() if t.is_floating_point() else t).contiguous().numpy()
    return out


def _read_sharded(directory: str, index_name: str, reader) -> Dict[str, np.ndarray]:
    with open(os.path.join(directory, index_name), encoding="utf-8") as f:
        weight_map = json.load(f).get("weight_map") or {}
    out = {}
    for shard in sorted(set(weight_map.values())):
        out.update(reader(os.path.join(directory, shard)))
    return out


WEIGHT_FILES: List[Tuple[str, str]] = [
    ("safetensors", "model.safetensors"), ("safetensors", "model.safetensors.index.json"),
    ("bin", "pytorch_model.bin"), ("bin", "pytorch_model.bin.index.json"),
]


def read_checkpoint_weights(directory: str, prefer: str = "safetensors") -> Tuple[Dict[str, np.ndarray], str]:
    """Weights of a checkpoint directory; returns (tensors, file name used)."""
    order = sorted(WEIGHT_FILES, key=lambda e: e[0] != prefer)
    for kind, name in order:
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            continue
        reader = read_safetensors if kind == "safetensors" else read_pytorch_bin
        if name.endswith(".index.json"):
            return _read_sharded(directory, name, reader), name
        return reader(path), name
    raise ConversionError("%s: no model.safetensors or pytorch_model.bin (or sharded *.index.json)" % directory)
