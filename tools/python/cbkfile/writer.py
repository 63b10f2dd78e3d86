"""Writes .cbk files (layout: schema/cbk.fbs) from numpy arrays.

The writer is a faithful serializer, not a validator: it writes what it is given, and every field
can be overridden (see TensorSpec and CbkWriter attributes). That is deliberate, so tests can build
the hostile files the C++ loader must reject. Validation is the loader's job.
"""
import dataclasses
import struct
from typing import Dict, List, Optional, Sequence

import flatbuffers
import numpy as np

from . import schema_module
from .crc import crc32

ALIGNMENT = 64
SCHEMA_MAJOR = 1
SCHEMA_MINOR = 3  # newest minor this writer knows; a file gets the oldest one that reads it (schema_minor)
FILE_IDENTIFIER = b"CBK1"

DTYPES = {"f32": 0, "f16": 1, "int8": 2, "u8": 3, "i32": 4}
NUMPY_DTYPES = {"f32": "<f4", "f16": "<f2", "int8": "i1", "u8": "u1", "i32": "<i4"}
FAMILIES = {"gpt_neox": 0, "gpt2": 1, "gpt_neo": 2}
ACTIVATIONS = {"gelu": 0, "gelu_new": 1, "relu": 2}
POSITIONS = {"learned": 0, "rotary": 1}
ATTENTION = {"global": 0, "local": 1}
SITES = {"attn_preproj": 0, "attn": 1, "mlp": 2, "mlp_mid": 3, "qkv": 4, "attn_plus_mlp": 5,
         "transformer_block": 6}
SIMILARITIES = {"inner_product": 0, "euclidean": 1}
TOKENIZER_KINDS = {"byte_bpe": 0, "vocab": 1}
MODEL_KINDS = {"transformer": 0, "dkvb": 1, "protonet": 2}  # schema 1.3 Model.kind
DKVB_DECODERS = {"voting": 0, "linear": 1}
DKVB_TENSOR_FIELDS = ("projection", "keys", "values", "used_pairs", "decoder_weight", "decoder_bias")


# Storage options of convert.py / requantize.py. Codebooks: f16/int8 are exact (the quantized table
# the search scans plus the f32 originals as exact_codes); the -lossy forms store the table alone.
# Weights: the base model's matrices; norms and biases stay f32.
CODEBOOK_DTYPES = ("f32", "f16", "int8", "f16-lossy", "int8-lossy")
WEIGHT_DTYPES = ("f32", "f16", "int8")


def codebook_storage(codebook_dtype: str):
    """A CODEBOOK_DTYPES entry -> (dtype of the scanned table, whether exact_codes are stored)."""
    scan = codebook_dtype.replace("-lossy", "")
    return scan, scan != "f32" and not codebook_dtype.endswith("-lossy")


def _align(n: int, a: int = ALIGNMENT) -> int:
    return (n + a - 1) // a * a


def quantize_int8_rows(array: np.ndarray):
    """Symmetric per-row int8 quantization: value ~= scale[row] * q. Returns (q, scales)."""
    rows = array.reshape(array.shape[0], -1).astype(np.float64)
    peak = np.abs(rows).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0)
    q = np.clip(np.rint(rows / scales[:, None]), -127, 127).astype(np.int8)
    return q.reshape(array.shape), scales.astype(np.float32)


@dataclasses.dataclass
class TensorSpec:
    """A tensor as it will be written. Offsets/lengths are computed unless overridden."""
    name: str
    dtype: str
    shape: List[int]
    data: bytes
    scales: Optional[bytes] = None
    data_offset: Optional[int] = None
    data_length: Optional[int] = None
    scales_offset: Optional[int] = None
    scales_length: Optional[int] = None
    raw_dtype: Optional[int] = None  # overrides the dtype byte written to the header

    @staticmethod
    def from_array(name: str, array, dtype: str = "f32") -> "TensorSpec":
        array = np.asarray(array)
        if dtype == "int8" and array.dtype != np.int8:
            q, scales = quantize_int8_rows(array.astype(np.float32))
            return TensorSpec(name, dtype, list(q.shape), q.tobytes(), scales.astype("<f4").tobytes())
        data = np.ascontiguousarray(array.astype(NUMPY_DTYPES[dtype]))
        return TensorSpec(name, dtype, list(data.shape), data.tobytes())


@dataclasses.dataclass
class CodebookSpec:
    layer: int
    site: str
    groups: int
    codes: int
    dim: int
    k: int
    similarity: str
    group_data: List[Dict[str, Optional[TensorSpec]]]  # keys ln_weight, ln_bias, codes, exact_codes (optional)
    raw_site: Optional[int] = None


class CbkWriter:
    def __init__(self):
        self.schema_major = SCHEMA_MAJOR
        self._schema_minor: Optional[int] = None  # None: the oldest minor that reads the file
        self.file_identifier = FILE_IDENTIFIER
        self.metadata: Dict = {}
        self.architecture: Dict = {}
        self.tensors: List[TensorSpec] = []
        self.codebooks: List[CodebookSpec] = []
        self.annotations: List[Dict] = []
        self.tokenizer: Optional[Dict] = None
        self.generation: Optional[Dict] = None
        self.extras: List[TensorSpec] = []
        # Schema 1.3: the model family (a MODEL_KINDS name or a raw byte) and the family tables.
        # Files of another kind than "transformer" set `architecture = None` and leave the
        # transformer lists empty (the loader refuses them otherwise). None = table absent.
        self.kind = "transformer"
        self.dkvb: Optional[Dict] = None      # DkvbModel fields (see _build_dkvb)
        self.protonet = None  # cbkfile.protonet.ProtoNetSpec (set_protonet)
        # Overrides for building broken files in tests: None means "compute it".
        self.data_offset_override: Optional[int] = None
        self.data_size_override: Optional[int] = None
        self.header_crc_override: Optional[int] = None
        self.data_crc_override: Optional[int] = None

    @property
    def schema_minor(self) -> int:
        """The minor version written: set explicitly (tests), else 2 when a schema-1.2 field is set
        (CodebookGroup.exact_codes), else 1 when a schema-1.1 field is set
        (Architecture.scale_attention_by_inverse_layer), else 0, so files without newer features stay
        byte-identical and readable by older runtimes."""
        if self._schema_minor is not None:
            return self._schema_minor
        if self.kind != "transformer" or self.dkvb is not None or self.protonet is not None:
            return 3
        if any(g.get("exact_codes") is not None for cb in self.codebooks for g in cb.group_data):
            return 2
        return 1 if (self.architecture or {}).get("scale_attention_by_inverse_layer") else 0

    @schema_minor.setter
    def schema_minor(self, value: int):
        self._schema_minor = value

    # ---- building -------------------------------------------------------------------------
    def add_tensor(self, name: str, array, dtype: str = "f32") -> TensorSpec:
        spec = TensorSpec.from_array(name, array, dtype)
        self.tensors.append(spec)
        return spec

    def add_extra(self, name: str, array, dtype: str = "f32") -> TensorSpec:
        spec = TensorSpec.from_array(name, array, dtype)
        self.extras.append(spec)
        return spec

    def add_codebook(self, layer: int, site: str, k: int, groups: Sequence, similarity: str = "inner_product",
                     dtype: str = "f32", exact: bool = False) -> CodebookSpec:
        """groups: a list of (ln_weight [dim], ln_bias [dim], codes [C, dim]) arrays, one per group.
        dtype: the scanned table's dtype. exact (f16/int8 only): also store the f32 codes as
        `exact_codes`, so the runtime's search and gather are exactly those of the f32 table."""
        codes0 = np.asarray(groups[0][2])
        data = []
        for g, (ln_w, ln_b, codes) in enumerate(groups):
            prefix = "cb.%d.%s.g%d." % (layer, site, g)
            data.append({"ln_weight": TensorSpec.from_array(prefix + "ln_weight", ln_w, "f32"),
                         "ln_bias": TensorSpec.from_array(prefix + "ln_bias", ln_b, "f32"),
                         "codes": TensorSpec.from_array(prefix + "codes", codes, dtype)})
            if exact and dtype != "f32":
                data[-1]["exact_codes"] = TensorSpec.from_array(prefix + "exact_codes", codes, "f32")
        spec = CodebookSpec(layer, site, len(groups), int(codes0.shape[0]), int(codes0.shape[1]), k, similarity, data)
        self.codebooks.append(spec)
        return spec

    def set_protonet(self, spec):
        """Makes this a prototype-network file (kind = protonet, no architecture/tokenizer)."""
        self.protonet = spec
        self.kind = "protonet"
        self.architecture = None

    def set_dkvb(self, keys, values, input_dim: int, encoder=(), projection=None, used_pairs=None,
                 decoder: str = "voting", decoder_weight=None, decoder_bias=None, classes: Optional[int] = None):
        """Makes this a DKVB file (schema 1.3). keys [heads, pairs, key_dim], values
        [heads, pairs, value_dim], encoder: (weight [out, in], bias [out]) per layer (ReLU between),
        projection [heads, key_dim, embed_dim] or None (a plain split of the embedding), used_pairs
        [heads, pairs] (1 = searchable) or None; decoder "voting" (classes = value_dim) or "linear"
        (decoder_weight [classes, heads*value_dim], decoder_bias [classes])."""
        keys, values = np.asarray(keys, np.float32), np.asarray(values, np.float32)
        self.kind, self.architecture = "dkvb", None
        d = {"input_dim": int(input_dim), "heads": keys.shape[0], "pairs": keys.shape[1], "key_dim": keys.shape[2],
             "value_dim": values.shape[2], "decoder": decoder,
             "classes": int(classes if classes is not None else
                            (values.shape[2] if decoder == "voting" else np.asarray(decoder_weight).shape[0])),
             "encoder": [(TensorSpec.from_array("dkvb.encoder.%d.weight" % i, w),
                          TensorSpec.from_array("dkvb.encoder.%d.bias" % i, b)) for i, (w, b) in enumerate(encoder)],
             "keys": TensorSpec.from_array("dkvb.keys", keys), "values": TensorSpec.from_array("dkvb.values", values)}
        for name, array, dtype in (("projection", projection, "f32"), ("used_pairs", used_pairs, "u8"),
                                   ("decoder_weight", decoder_weight, "f32"), ("decoder_bias", decoder_bias, "f32")):
            d[name] = None if array is None else TensorSpec.from_array("dkvb." + name, array, dtype)
        self.dkvb = d
        return d

    def all_tensor_specs(self) -> List[TensorSpec]:
        specs = list(self.tensors) + list(self.extras)
        if self.dkvb:
            for w, b in self.dkvb.get("encoder", []):
                specs.extend(t for t in (w, b) if t is not None)
            specs.extend(self.dkvb[f] for f in DKVB_TENSOR_FIELDS if self.dkvb.get(f) is not None)
        if self.protonet is not None:
            specs.extend(self.protonet.tensor_specs())
        for cb in self.codebooks:
            for g in cb.group_data:
                specs.extend(t for t in (g["ln_weight"], g["ln_bias"], g["codes"], g.get("exact_codes"))
                             if t is not None)
        return specs

    # ---- serialization --------------------------------------------------------------------
    def layout_data(self) -> bytes:
        section = bytearray()

        def place(blob: bytes) -> int:
            nonlocal section
            section.extend(b"\0" * (_align(len(section)) - len(section)))
            offset = len(section)
            section.extend(blob)
            return offset

        for spec in self.all_tensor_specs():
            offset = place(spec.data)
            if spec.data_offset is None:
                spec.data_offset = offset
            if spec.data_length is None:
                spec.data_length = len(spec.data)
            if spec.scales is not None:
                s_offset = place(spec.scales)
                if spec.scales_offset is None:
                    spec.scales_offset = s_offset
                if spec.scales_length is None:
                    spec.scales_length = len(spec.scales)
        section.extend(b"\0" * (_align(len(section)) - len(section)))
        return bytes(section)

    def to_bytes(self) -> bytes:
        data = self.layout_data()
        data_crc = crc32(data) if self.data_crc_override is None else self.data_crc_override
        data_size = len(data) if self.data_size_override is None else self.data_size_override
        # The header's size does not depend on the data_offset value (a fixed-width field), so
        # build once to learn the size, then again with the real offset.
        header = self._build_header(0, data_size, data_crc)
        data_offset = _align(len(header))
        header = self._build_header(data_offset if self.data_offset_override is None else self.data_offset_override,
                                    data_size, data_crc)
        assert _align(len(header)) == data_offset
        header = self._patch_header_crc(header)
        return header + b"\0" * (data_offset - len(header)) + data

    def write(self, path: str) -> int:
        blob = self.to_bytes()
        with open(path, "wb") as f:
            f.write(blob)
        return len(blob)

    def _patch_header_crc(self, header: bytes) -> bytes:
        fb = schema_module.load()
        model = fb.Model.Model.GetRootAs(header, 4)
        field = model._tab.Offset(4 + 2 * 4)  # vtable slot of field id 4: header_crc32
        if not field:
            raise RuntimeError("header_crc32 was not written; ForceDefaults must be on")
        pos = model._tab.Pos + field
        crc = crc32(header[:pos] + b"\0\0\0\0" + header[pos + 4:])
        if self.header_crc_override is not None:
            crc = self.header_crc_override
        return header[:pos] + struct.pack("<I", crc) + header[pos + 4:]

    def _build_header(self, data_offset: int, data_size: int, data_crc: int) -> bytes:
        fb = schema_module.load()
        b = flatbuffers.Builder(1 << 16)
        b.ForceDefaults(True)

        def string(s):
            return b.CreateString(s) if s is not None else None

        def tensor(spec: Optional[TensorSpec]):
            if spec is None:
                return None
            name = b.CreateString(spec.name)
            fb.Tensor.TensorStartShapeVector(b, len(spec.shape))
            for d in reversed(spec.shape):
                b.PrependUint64(int(d))
            shape = b.EndVector()
            T = fb.Tensor
            T.TensorStart(b)
            T.TensorAddName(b, name)
            T.TensorAddDtype(b, DTYPES[spec.dtype] if spec.raw_dtype is None else spec.raw_dtype)
            T.TensorAddShape(b, shape)
            T.TensorAddDataOffset(b, spec.data_offset or 0)
            T.TensorAddDataLength(b, spec.data_length or 0)
            T.TensorAddScalesOffset(b, spec.scales_offset or 0)
            T.TensorAddScalesLength(b, spec.scales_length or 0)
            return T.TensorEnd(b)

        def table_vector(start_fn, offsets):
            start_fn(b, len(offsets))
            for o in reversed(offsets):
                b.PrependUOffsetTRelative(o)
            return b.EndVector()

        metadata = self._build_metadata(b, fb, string, table_vector)
        architecture = self._build_architecture(b, fb)
        tensors = table_vector(fb.Model.ModelStartTensorsVector, [tensor(t) for t in self.tensors])
        extras = table_vector(fb.Model.ModelStartExtrasVector, [tensor(t) for t in self.extras])
        codebooks = table_vector(fb.Model.ModelStartCodebooksVector,
                                 [self._build_codebook(b, fb, cb, tensor, table_vector) for cb in self.codebooks])
        annotations = table_vector(fb.Model.ModelStartAnnotationsVector,
                                   [self._build_annotation(b, fb, a, table_vector) for a in self.annotations])
        tokenizer = self._build_tokenizer(b, fb, table_vector) if self.tokenizer is not None else None
        generation = self._build_generation(b, fb) if self.generation is not None else None
        dkvb = self._build_dkvb(b, fb, tensor, table_vector) if self.dkvb is not None else None
        protonet = self.protonet.build(b, fb, tensor, table_vector) if self.protonet is not None else None

        M = fb.Model
        M.ModelStart(b)
        M.ModelAddSchemaMajor(b, self.schema_major)
        M.ModelAddSchemaMinor(b, self.schema_minor)
        M.ModelAddDataOffset(b, data_offset)
        M.ModelAddDataSize(b, data_size)
        M.ModelAddHeaderCrc32(b, 0)
        M.ModelAddDataCrc32(b, data_crc)
        M.ModelAddMetadata(b, metadata)
        if self.architecture is not None:
            M.ModelAddArchitecture(b, architecture)
        M.ModelAddTensors(b, tensors)
        M.ModelAddCodebooks(b, codebooks)
        M.ModelAddAnnotations(b, annotations)
        if tokenizer is not None:
            M.ModelAddTokenizer(b, tokenizer)
        if generation is not None:
            M.ModelAddGeneration(b, generation)
        M.ModelAddExtras(b, extras)
        if self.kind != "transformer":  # schema 1.3; absent = transformer, so older files stay unchanged
            M.ModelAddKind(b, MODEL_KINDS[self.kind] if isinstance(self.kind, str) else int(self.kind))
        if dkvb is not None:
            M.ModelAddDkvb(b, dkvb)
        if protonet is not None:
            M.ModelAddProtonet(b, protonet)
        b.FinishSizePrefixed(M.ModelEnd(b), self.file_identifier)
        return bytes(b.Output())

    def _build_dkvb(self, b, fb, tensor, table_vector):
        d = self.dkvb
        layers = []
        for w, bias in d.get("encoder", []):
            w_off, b_off = tensor(w), tensor(bias)
            fb.DkvbLayer.DkvbLayerStart(b)
            if w_off is not None:
                fb.DkvbLayer.DkvbLayerAddWeight(b, w_off)
            if b_off is not None:
                fb.DkvbLayer.DkvbLayerAddBias(b, b_off)
            layers.append(fb.DkvbLayer.DkvbLayerEnd(b))
        encoder = table_vector(fb.DkvbModel.DkvbModelStartEncoderVector, layers)
        tensors = {f: tensor(d.get(f)) for f in DKVB_TENSOR_FIELDS}
        D = fb.DkvbModel
        D.DkvbModelStart(b)
        for key, add in (("input_dim", D.DkvbModelAddInputDim), ("heads", D.DkvbModelAddHeads),
                         ("pairs", D.DkvbModelAddPairs), ("key_dim", D.DkvbModelAddKeyDim),
                         ("value_dim", D.DkvbModelAddValueDim), ("classes", D.DkvbModelAddClasses)):
            add(b, int(d.get(key, 0)))
        decoder = d.get("decoder", "voting")
        D.DkvbModelAddDecoder(b, DKVB_DECODERS[decoder] if isinstance(decoder, str) else int(decoder))
        D.DkvbModelAddEncoder(b, encoder)
        for f, add in (("projection", D.DkvbModelAddProjection), ("keys", D.DkvbModelAddKeys),
                       ("values", D.DkvbModelAddValues), ("used_pairs", D.DkvbModelAddUsedPairs),
                       ("decoder_weight", D.DkvbModelAddDecoderWeight), ("decoder_bias", D.DkvbModelAddDecoderBias)):
            if tensors[f] is not None:
                add(b, tensors[f])
        return D.DkvbModelEnd(b)

    def _build_metadata(self, b, fb, string, table_vector):
        m = self.metadata
        pairs = []
        for key, value in (m.get("extra") or {}).items():
            k, v = b.CreateString(str(key)), b.CreateString(str(value))
            fb.KeyValue.KeyValueStart(b)
            fb.KeyValue.KeyValueAddKey(b, k)
            fb.KeyValue.KeyValueAddValue(b, v)
            pairs.append(fb.KeyValue.KeyValueEnd(b))
        extra = table_vector(fb.Metadata.MetadataStartExtraVector, pairs)
        fields = {f: string(m.get(f)) for f in ("name", "description", "license", "source_checkpoint",
                                                 "converter", "converter_version")}
        M = fb.Metadata
        M.MetadataStart(b)
        for f, add in (("name", M.MetadataAddName), ("description", M.MetadataAddDescription),
                       ("license", M.MetadataAddLicense), ("source_checkpoint", M.MetadataAddSourceCheckpoint),
                       ("converter", M.MetadataAddConverter), ("converter_version", M.MetadataAddConverterVersion)):
            if fields[f] is not None:
                add(b, fields[f])
        M.MetadataAddExtra(b, extra)
        return M.MetadataEnd(b)

    def _build_architecture(self, b, fb):
        if self.architecture is None:
            return None
        a = self.architecture

        def enum(table, key, default):
            value = a.get(key, default)
            return table[value] if isinstance(value, str) else int(value)

        layer_attention = None
        if a.get("layer_attention"):
            kinds = [ATTENTION[k] if isinstance(k, str) else int(k) for k in a["layer_attention"]]
            fb.Architecture.ArchitectureStartLayerAttentionVector(b, len(kinds))
            for k in reversed(kinds):
                b.PrependUint8(k)
            layer_attention = b.EndVector()
        A = fb.Architecture
        A.ArchitectureStart(b)
        A.ArchitectureAddFamily(b, enum(FAMILIES, "family", "gpt_neox"))
        for key, add in (("vocab_size", A.ArchitectureAddVocabSize), ("d_model", A.ArchitectureAddDModel),
                         ("n_layers", A.ArchitectureAddNLayers), ("n_heads", A.ArchitectureAddNHeads),
                         ("head_dim", A.ArchitectureAddHeadDim), ("d_mlp", A.ArchitectureAddDMlp),
                         ("max_positions", A.ArchitectureAddMaxPositions), ("rotary_dims", A.ArchitectureAddRotaryDims),
                         ("local_window", A.ArchitectureAddLocalWindow)):
            add(b, int(a.get(key, 0)))
        A.ArchitectureAddNormEps(b, float(a.get("norm_eps", 1e-5)))
        A.ArchitectureAddActivation(b, enum(ACTIVATIONS, "activation", "gelu"))
        A.ArchitectureAddPositions(b, enum(POSITIONS, "positions", "rotary"))
        A.ArchitectureAddRotaryBase(b, float(a.get("rotary_base", 10000.0)))
        A.ArchitectureAddParallelResidual(b, bool(a.get("parallel_residual", False)))
        A.ArchitectureAddScaleAttention(b, bool(a.get("scale_attention", True)))
        if layer_attention is not None:
            A.ArchitectureAddLayerAttention(b, layer_attention)
        A.ArchitectureAddTiedEmbeddings(b, bool(a.get("tied_embeddings", False)))
        if a.get("scale_attention_by_inverse_layer"):  # schema 1.1, written only when set (absent = false)
            A.ArchitectureAddScaleAttentionByInverseLayer(b, True)
        return A.ArchitectureEnd(b)

    def _build_codebook(self, b, fb, cb: CodebookSpec, tensor, table_vector):
        groups = []
        for g in cb.group_data:
            lw, lb, codes = tensor(g.get("ln_weight")), tensor(g.get("ln_bias")), tensor(g.get("codes"))
            exact = tensor(g.get("exact_codes"))
            G = fb.CodebookGroup
            G.CodebookGroupStart(b)
            if lw is not None:
                G.CodebookGroupAddLnWeight(b, lw)
            if lb is not None:
                G.CodebookGroupAddLnBias(b, lb)
            if codes is not None:
                G.CodebookGroupAddCodes(b, codes)
            if exact is not None:  # schema 1.2
                G.CodebookGroupAddExactCodes(b, exact)
            groups.append(G.CodebookGroupEnd(b))
        group_vec = table_vector(fb.Codebook.CodebookStartGroupDataVector, groups)
        C = fb.Codebook
        C.CodebookStart(b)
        C.CodebookAddLayer(b, cb.layer)
        C.CodebookAddSite(b, SITES[cb.site] if cb.raw_site is None else cb.raw_site)
        C.CodebookAddGroups(b, cb.groups)
        C.CodebookAddCodes(b, cb.codes)
        C.CodebookAddDim(b, cb.dim)
        C.CodebookAddK(b, cb.k)
        C.CodebookAddSimilarity(b, SIMILARITIES[cb.similarity])
        C.CodebookAddGroupData(b, group_vec)
        return C.CodebookEnd(b)

    def _build_annotation(self, b, fb, a: Dict, table_vector):
        contexts = []
        for ctx in a.get("top_contexts", []):
            fb.CodeContext.CodeContextStartTokensVector(b, len(ctx["tokens"]))
            for t in reversed(ctx["tokens"]):
                b.PrependInt32(int(t))
            toks = b.EndVector()
            X = fb.CodeContext
            X.CodeContextStart(b)
            X.CodeContextAddTokens(b, toks)
            start, end = ctx.get("highlight", (0, 0))
            X.CodeContextAddHighlight(b, fb.TokenSpan.CreateTokenSpan(b, int(start), int(end)))
            X.CodeContextAddScore(b, float(ctx.get("score", 0.0)))
            contexts.append(X.CodeContextEnd(b))
        ctx_vec = table_vector(fb.CodeAnnotation.CodeAnnotationStartTopContextsVector, contexts)
        label = b.CreateString(a.get("label", ""))
        description = b.CreateString(a.get("description", ""))
        N = fb.CodeAnnotation
        N.CodeAnnotationStart(b)
        N.CodeAnnotationAddCodebook(b, int(a["codebook"]))
        N.CodeAnnotationAddGroup(b, int(a.get("group", 0)))
        N.CodeAnnotationAddCode(b, int(a["code"]))
        N.CodeAnnotationAddLabel(b, label)
        N.CodeAnnotationAddDescription(b, description)
        N.CodeAnnotationAddFrequency(b, float(a.get("frequency", 0.0)))
        N.CodeAnnotationAddTopContexts(b, ctx_vec)
        return N.CodeAnnotationEnd(b)

    def _build_tokenizer(self, b, fb, table_vector):
        t = self.tokenizer
        tokens = table_vector(fb.Tokenizer.TokenizerStartTokensVector, [b.CreateString(s) for s in t["tokens"]])
        merges = table_vector(fb.Tokenizer.TokenizerStartMergesVector, [b.CreateString(s) for s in t.get("merges", [])])
        kind = t.get("kind", "vocab")
        K = fb.Tokenizer
        K.TokenizerStart(b)
        K.TokenizerAddKind(b, TOKENIZER_KINDS[kind] if isinstance(kind, str) else int(kind))
        K.TokenizerAddTokens(b, tokens)
        K.TokenizerAddMerges(b, merges)
        K.TokenizerAddBosId(b, int(t.get("bos_id", -1)))
        K.TokenizerAddEosId(b, int(t.get("eos_id", -1)))
        K.TokenizerAddPadId(b, int(t.get("pad_id", -1)))
        K.TokenizerAddAddBos(b, bool(t.get("add_bos", False)))
        return K.TokenizerEnd(b)

    def _build_generation(self, b, fb):
        g = self.generation
        D = fb.GenerationDefaults
        D.GenerationDefaultsStart(b)
        D.GenerationDefaultsAddMaxNewTokens(b, int(g.get("max_new_tokens", 64)))
        D.GenerationDefaultsAddTemperature(b, float(g.get("temperature", 1.0)))
        D.GenerationDefaultsAddTopK(b, int(g.get("top_k", 0)))
        D.GenerationDefaultsAddTopP(b, float(g.get("top_p", 1.0)))
        D.GenerationDefaultsAddSeed(b, int(g.get("seed", 0)))
        return D.GenerationDefaultsEnd(b)
