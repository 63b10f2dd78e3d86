"""Reads a .cbk file into numpy arrays (memory-mapped), for tools that run a model outside the C++
engine (bench/peers: the PyTorch runner and the ONNX export).

This is a reader for files the project wrote, not a validator: the C++ loader verifies files
(checksums, bounds, shapes); this one only checks the identifier and that each tensor lies inside
the file. f16 tensors are widened to f32, int8 tensors are dequantized with their per-row scales.
"""
import dataclasses
from typing import Dict, List

import numpy as np

from . import schema_module
from .writer import ACTIVATIONS, DTYPES, FAMILIES, FILE_IDENTIFIER, NUMPY_DTYPES, POSITIONS, SIMILARITIES, SITES


def _names(table: Dict[str, int]) -> Dict[int, str]:
    return {v: k for k, v in table.items()}


@dataclasses.dataclass
class CodebookData:
    layer: int
    site: str
    k: int
    similarity: str
    codes: np.ndarray       # [groups, C, dim] f32
    ln_weight: np.ndarray   # [groups, dim]
    ln_bias: np.ndarray     # [groups, dim]


@dataclasses.dataclass
class CbkModel:
    architecture: Dict[str, object]
    tensors: Dict[str, np.ndarray]
    codebooks: List[CodebookData]
    file_size: int


def _tensor(mm: np.ndarray, data_offset: int, t) -> np.ndarray:
    dtype = _names(DTYPES)[t.Dtype()]
    shape = [int(t.Shape(i)) for i in range(t.ShapeLength())]
    start, length = data_offset + t.DataOffset(), t.DataLength()
    if start + length > mm.size:
        raise ValueError("tensor %r lies outside the file" % t.Name().decode())
    arr = mm[start:start + length].view(NUMPY_DTYPES[dtype]).reshape(shape)
    if dtype == "f16":
        return arr.astype(np.float32)
    if dtype == "int8":
        s0 = data_offset + t.ScalesOffset()
        scales = mm[s0:s0 + t.ScalesLength()].view("<f4")
        return (arr.reshape(shape[0], -1).astype(np.float32) * scales[:, None]).reshape(shape)
    return arr


def read_cbk(path: str) -> CbkModel:
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(mm[8:12]) != FILE_IDENTIFIER:  # size prefix (4), root offset (4), identifier
        raise ValueError("%s is not a .cbk file" % path)
    fb = schema_module.load()
    header_len = int(mm[:4].view("<u4")[0]) + 4
    m = fb.Model.Model.GetRootAs(bytes(mm[:header_len]), 4)
    data_offset = m.DataOffset()
    a = m.Architecture()
    arch = dict(family=_names(FAMILIES)[a.Family()], vocab_size=a.VocabSize(), d_model=a.DModel(),
                n_layers=a.NLayers(), n_heads=a.NHeads(), head_dim=a.HeadDim(), d_mlp=a.DMlp(),
                max_positions=a.MaxPositions(), norm_eps=a.NormEps(), activation=_names(ACTIVATIONS)[a.Activation()],
                positions=_names(POSITIONS)[a.Positions()], rotary_dims=a.RotaryDims(), rotary_base=a.RotaryBase(),
                parallel_residual=bool(a.ParallelResidual()), scale_attention=bool(a.ScaleAttention()),
                tied_embeddings=bool(a.TiedEmbeddings()))
    tensors = {}
    for i in range(m.TensorsLength()):
        t = m.Tensors(i)
        tensors[t.Name().decode()] = _tensor(mm, data_offset, t)
    codebooks = []
    for i in range(m.CodebooksLength()):
        c = m.Codebooks(i)
        groups = [c.GroupData(g) for g in range(c.GroupDataLength())]
        codebooks.append(CodebookData(
            layer=c.Layer(), site=_names(SITES)[c.Site()], k=c.K(), similarity=_names(SIMILARITIES)[c.Similarity()],
            codes=np.stack([_tensor(mm, data_offset, g.Codes()) for g in groups]),
            ln_weight=np.stack([_tensor(mm, data_offset, g.LnWeight()) for g in groups]),
            ln_bias=np.stack([_tensor(mm, data_offset, g.LnBias()) for g in groups])))
    return CbkModel(arch, tensors, codebooks, int(mm.size))


def read_header(path: str):
    """The file's FlatBuffers root (generated cbk.fb.Model), for readers that need fields read_cbk skips
    (annotations, metadata, tokenizer)."""
    with open(path, "rb") as f:
        prefix = f.read(12)
        if prefix[8:12] != FILE_IDENTIFIER:
            raise ValueError("%s is not a .cbk file" % path)
        f.seek(0)
        header = f.read(int.from_bytes(prefix[:4], "little") + 4)
    return schema_module.load().Model.Model.GetRootAs(header, 4)


def read_annotations(path: str) -> List[dict]:
    """[{codebook, layer, site, group, code, label}] in file order."""
    m = read_header(path)
    out = []
    for i in range(m.AnnotationsLength()):
        a = m.Annotations(i)
        cb = m.Codebooks(a.Codebook())
        out.append({"codebook": a.Codebook(), "layer": cb.Layer(), "site": _names(SITES)[cb.Site()], "group": a.Group(),
                    "code": a.Code(), "label": (a.Label() or b"").decode()})
    return out


def read_metadata_extra(path: str) -> Dict[str, str]:
    md = read_header(path).Metadata()
    return {md.Extra(i).Key().decode(): md.Extra(i).Value().decode() for i in range(md.ExtraLength())}


def read_topics(path: str):
    """Topic steering data of a story model: ({name: [(codebook, layer, site, group, code), ...]} from the
    annotations labelled "topic: NAME", in file order; {name: regex} from the metadata "topic.NAME.regex")."""
    codes: Dict[str, list] = {}
    for a in read_annotations(path):
        if a["label"].startswith("topic: "):
            codes.setdefault(a["label"][len("topic: "):], []).append(
                (a["codebook"], a["layer"], a["site"], a["group"], a["code"]))
    regex = {k[len("topic."):-len(".regex")]: v for k, v in read_metadata_extra(path).items()
             if k.startswith("topic.") and k.endswith(".regex")}
    return codes, regex
