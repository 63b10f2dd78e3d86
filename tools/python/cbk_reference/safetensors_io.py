"""Hand-written safetensors reader/writer (no `safetensors` package).

Format: u64 little-endian N, then N bytes of UTF-8 JSON {name: {"dtype", "shape", "data_offsets": [b, e]},
optional "__metadata__": {str: str}}, then the raw little-endian tensor bytes; offsets are relative to
the end of the header. The reference implementation pads the header with spaces to a multiple of 8.
"""

from __future__ import annotations

import json
import struct
from typing import Dict, Optional, Tuple

import numpy as np

_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}
_NAMES = {np.dtype(v).str: k for k, v in _DTYPES.items()}


def dtype_name(arr: np.ndarray) -> str:
    return _NAMES[arr.dtype.newbyteorder("<").str if arr.dtype.byteorder == ">" else arr.dtype.str]


def encode(tensors: Dict[str, np.ndarray], metadata: Optional[Dict[str, str]] = None) -> bytes:
    """Serialise tensors (written in the given order, packed back to back)."""
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype_name(arr), "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-len(hjson) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(blobs)


def save(path, tensors: Dict[str, np.ndarray], metadata: Optional[Dict[str, str]] = None):
    with open(path, "wb") as f:
        f.write(encode(tensors, metadata))


def decode(buf: bytes) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    if len(buf) < 8:
        raise ValueError("safetensors: file too short")
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise ValueError("safetensors: header length exceeds file size")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(buf)[8 + n:]
    out: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        dt = _DTYPES.get(info["dtype"])
        if dt is None:
            raise ValueError(f"safetensors: unsupported dtype {info['dtype']} for {name}")
        b, e = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if e - b != count * np.dtype(dt).itemsize or e > len(data):
            raise ValueError(f"safetensors: bad data_offsets for {name}")
        out[name] = np.frombuffer(data[b:e], dtype=np.dtype(dt).newbyteorder("<")).reshape(shape).copy()
    return out, meta


def load(path) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    with open(path, "rb") as f:
        return decode(f.read())
