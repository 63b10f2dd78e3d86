"""Reads a whole .cbk file back into a CbkWriter, so a model can be written again with other storage
(tools/python/requantize.py): every header field, tensor, codebook, annotation, the tokenizer, the
generation defaults and the extras.

Tensors come back as the values the runtime computes with: f16 widened, int8 times its row scales.
A codebook with exact_codes comes back as its f32 originals. Quantizing is lossy, so a tensor read
from a quantized file is only as good as that file (`lossy_sources` lists them).
"""
from typing import List, Tuple

import numpy as np

from . import schema_module
from .reader import _names, _tensor
from .writer import (ACTIVATIONS, ATTENTION, DTYPES, FAMILIES, FILE_IDENTIFIER, POSITIONS, SIMILARITIES, SITES,
                     TOKENIZER_KINDS, CbkWriter, TensorSpec, codebook_storage)


def _str(b) -> str:
    return b.decode("utf-8") if b is not None else None


def _architecture(a) -> dict:
    arch = dict(family=_names(FAMILIES)[a.Family()], vocab_size=a.VocabSize(), d_model=a.DModel(),
                n_layers=a.NLayers(), n_heads=a.NHeads(), head_dim=a.HeadDim(), d_mlp=a.DMlp(),
                max_positions=a.MaxPositions(), norm_eps=a.NormEps(), activation=_names(ACTIVATIONS)[a.Activation()],
                positions=_names(POSITIONS)[a.Positions()], rotary_dims=a.RotaryDims(), rotary_base=a.RotaryBase(),
                parallel_residual=bool(a.ParallelResidual()), scale_attention=bool(a.ScaleAttention()),
                local_window=a.LocalWindow(), tied_embeddings=bool(a.TiedEmbeddings()))
    if a.LayerAttentionLength():
        arch["layer_attention"] = [_names(ATTENTION)[a.LayerAttention(i)] for i in range(a.LayerAttentionLength())]
    if a.ScaleAttentionByInverseLayer():
        arch["scale_attention_by_inverse_layer"] = True
    return arch


def _metadata(m) -> dict:
    out = {}
    if m is None:
        return out
    for key, get in (("name", m.Name), ("description", m.Description), ("license", m.License),
                     ("source_checkpoint", m.SourceCheckpoint), ("converter", m.Converter),
                     ("converter_version", m.ConverterVersion)):
        if get() is not None:
            out[key] = _str(get())
    out["extra"] = {_str(m.Extra(i).Key()): _str(m.Extra(i).Value()) for i in range(m.ExtraLength())}
    return out


def _annotation(a) -> dict:
    contexts = []
    for i in range(a.TopContextsLength()):
        c = a.TopContexts(i)
        h = c.Highlight()
        contexts.append({"tokens": [c.Tokens(j) for j in range(c.TokensLength())],
                         "highlight": (h.Start(), h.End()) if h is not None else (0, 0), "score": c.Score()})
    return {"codebook": a.Codebook(), "group": a.Group(), "code": a.Code(), "label": _str(a.Label()) or "",
            "description": _str(a.Description()) or "", "frequency": a.Frequency(), "top_contexts": contexts}


def _tokenizer(t) -> dict:
    return {"kind": _names(TOKENIZER_KINDS)[t.Kind()],
            "tokens": [_str(t.Tokens(i)) for i in range(t.TokensLength())],
            "merges": [_str(t.Merges(i)) for i in range(t.MergesLength())],
            "bos_id": t.BosId(), "eos_id": t.EosId(), "pad_id": t.PadId(), "add_bos": bool(t.AddBos())}


def _dtype_of(t) -> str:
    return _names(DTYPES)[t.Dtype()]


def load_as_writer(path: str) -> Tuple[CbkWriter, List[str]]:
    """Returns (writer, lossy_sources): a writer holding everything in `path` with f32 tensors and
    codebooks, and the names of the tensors whose values were already quantized in the file."""
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(mm[8:12]) != FILE_IDENTIFIER:
        raise ValueError("%s is not a .cbk file" % path)
    fb = schema_module.load()
    header_len = int(mm[:4].view("<u4")[0]) + 4
    m = fb.Model.Model.GetRootAs(bytes(mm[:header_len]), 4)
    base = m.DataOffset()
    lossy: List[str] = []

    def values(t):
        if _dtype_of(t) in ("f16", "int8"):
            lossy.append(_str(t.Name()))
        return np.asarray(_tensor(mm, base, t), dtype=np.float32)

    w = CbkWriter()
    w.metadata = _metadata(m.Metadata())
    w.architecture = _architecture(m.Architecture())
    for i in range(m.TensorsLength()):
        t = m.Tensors(i)
        w.add_tensor(_str(t.Name()), values(t), "f32")
    for i in range(m.ExtrasLength()):  # u8 / i32 blobs keep their dtype
        t = m.Extras(i)
        dtype = _dtype_of(t)
        w.add_extra(_str(t.Name()), _tensor(mm, base, t) if dtype in ("u8", "i32") else values(t), dtype
                    if dtype in ("u8", "i32") else "f32")
    for i in range(m.CodebooksLength()):
        c = m.Codebooks(i)
        groups = []
        for g in range(c.GroupDataLength()):
            gd = c.GroupData(g)
            exact = gd.ExactCodes()
            codes = np.asarray(_tensor(mm, base, exact), dtype=np.float32) if exact is not None else values(gd.Codes())
            groups.append((values(gd.LnWeight()), values(gd.LnBias()), codes))
        spec = w.add_codebook(c.Layer(), _names(SITES)[c.Site()], c.K(), groups, _names(SIMILARITIES)[c.Similarity()])
        for g, gd in enumerate(spec.group_data):  # keep the file's tensor names
            src = c.GroupData(g)
            for role, t in (("ln_weight", src.LnWeight()), ("ln_bias", src.LnBias()), ("codes", src.Codes())):
                gd[role].name = _str(t.Name())
    w.annotations = [_annotation(m.Annotations(i)) for i in range(m.AnnotationsLength())]
    if m.Tokenizer() is not None:
        w.tokenizer = _tokenizer(m.Tokenizer())
    g = m.Generation()
    if g is not None:
        w.generation = {"max_new_tokens": g.MaxNewTokens(), "temperature": g.Temperature(), "top_k": g.TopK(),
                        "top_p": g.TopP(), "seed": g.Seed()}
    return w, lossy


def set_storage(w: CbkWriter, codebook_dtype: str = "f32", weight_dtype: str = "f32") -> None:
    """Re-encodes a writer's f32 contents: codebook_dtype as convert.py's --codebook-dtype (f16/int8
    exact, *-lossy table only), weight_dtype for the base model's matrices (norms, biases stay f32)."""
    scan, exact = codebook_storage(codebook_dtype)
    w.tensors = [t if len(t.shape) != 2 or weight_dtype == "f32" else
                 TensorSpec.from_array(t.name, _f32(t), weight_dtype) for t in w.tensors]
    for cb in w.codebooks:
        for g in cb.group_data:
            codes = g["codes"]
            values = _f32(codes)
            g["codes"] = TensorSpec.from_array(codes.name, values, scan)
            g.pop("exact_codes", None)
            if exact:
                name = codes.name[:-len(".codes")] + ".exact_codes" if codes.name.endswith(".codes") else codes.name + ".exact"
                g["exact_codes"] = TensorSpec.from_array(name, values, "f32")


def _f32(spec: TensorSpec) -> np.ndarray:
    assert spec.dtype == "f32", spec.dtype
    return np.frombuffer(spec.data, dtype="<f4").reshape(spec.shape)
