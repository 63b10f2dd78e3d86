"""Builds the loader test fixtures with the Python writer (an implementation independent of the
C++ loader):

  OUT/<family>.cbk + OUT/<family>.expect   valid models and what the loader must report for them
  OUT/corrupt/<case>.cbk + OUT/corrupt/manifest.txt   hostile files and the status each must get

.expect lines are whitespace-separated; strings are hex-encoded UTF-8 so no escaping is needed.
Tensor sums are computed here in float64 from the arrays' dequantized values.
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
from cbkfile import CbkWriter, TensorSpec, crc32  # noqa: E402
from cbkfile.random_model import dkvb_model, fixture_model, random_base, random_codebook  # noqa: E402
from protonet_cases import protonet_writer_cases  # noqa: E402

FAMILIES = ("gpt_neox", "gpt2", "gpt_neo")


def hexs(s):
    return s.encode("utf-8").hex() or "-"


def dequantized(spec: TensorSpec):
    np_dtype = {"f32": "<f4", "f16": "<f2", "int8": "i1", "u8": "u1", "i32": "<i4"}[spec.dtype]
    values = np.frombuffer(spec.data, dtype=np_dtype).astype(np.float64)
    if spec.dtype == "int8":
        scales = np.frombuffer(spec.scales, dtype="<f4").astype(np.float64)
        values = (values.reshape(spec.shape[0], -1) * scales[:, None]).reshape(-1)
    return values


def tensor_line(kind, spec, *prefix):
    v = dequantized(spec)
    return " ".join([kind, *map(str, prefix), hexs(spec.name), spec.dtype, ",".join(map(str, spec.shape)),
                     repr(float(v.sum())), repr(float(v[0])), repr(float(v[-1]))])


def expectations(w, blob):
    lines = ["file_size %d" % len(blob), "schema %d %d" % (w.schema_major, w.schema_minor)]
    header_size = struct.unpack_from("<I", blob, 0)[0]
    data_offset = (4 + header_size + 63) // 64 * 64
    lines.append("data_offset %d" % data_offset)
    lines.append("data_crc32 %d" % crc32(blob[data_offset:]))
    a = w.architecture
    for key in ("family", "vocab_size", "d_model", "n_layers", "n_heads", "head_dim", "d_mlp", "max_positions",
                "activation", "positions", "rotary_dims", "local_window"):
        lines.append("arch %s %s" % (key, a.get(key, 0)))
    for key in ("parallel_residual", "scale_attention", "tied_embeddings", "scale_attention_by_inverse_layer"):
        lines.append("arch %s %d" % (key, int(a.get(key, False))))
    lines.append("arch layer_attention %s" % ",".join(a.get("layer_attention") or ["global"] * a["n_layers"]))
    for spec in w.tensors:
        lines.append(tensor_line("tensor", spec))
    for spec in w.extras:
        lines.append(tensor_line("extra", spec))
    for i, cb in enumerate(w.codebooks):
        lines.append("codebook %d %d %s %d %d %d %d %s" % (i, cb.layer, cb.site, cb.groups, cb.codes, cb.dim, cb.k,
                                                          cb.similarity))
        for g, grp in enumerate(cb.group_data):
            for role in ("ln_weight", "ln_bias", "codes", "exact_codes"):
                if grp.get(role) is not None:
                    lines.append(tensor_line("cbtensor", grp[role], i, g, role))
    t = w.tokenizer
    lines.append("tokenizer %s %d %d %d %d %d %d" % (t["kind"], len(t["tokens"]), len(t.get("merges", [])),
                                                     t["bos_id"], t["eos_id"], t["pad_id"], int(t["add_bos"])))
    for i, tok in enumerate(t["tokens"]):
        lines.append("token %d %s" % (i, hexs(tok)))
    for i, m in enumerate(t.get("merges", [])):
        lines.append("merge %d %s" % (i, hexs(m)))
    m = w.metadata
    for key in ("name", "description", "license", "source_checkpoint", "converter", "converter_version"):
        lines.append("meta %s %s" % (key, hexs(m.get(key, ""))))
    for key, value in m.get("extra", {}).items():
        lines.append("metaextra %s %s" % (hexs(str(key)), hexs(str(value))))
    g = w.generation
    lines.append("generation %d %r %d %r %d" % (g["max_new_tokens"], g["temperature"], g["top_k"], g["top_p"], g["seed"]))
    for a in w.annotations:
        ctx = a["top_contexts"][0]
        lines.append("annotation %d %d %d %s %s %r %d %s %d %d %r" % (
            a["codebook"], a["group"], a["code"], hexs(a["label"]), hexs(a["description"]), a["frequency"],
            len(a["top_contexts"]), ",".join(map(str, ctx["tokens"])), ctx["highlight"][0], ctx["highlight"][1],
            ctx["score"]))
    return "\n".join(lines) + "\n"


# ---- the negative corpus: (name, expected status, how to break a fresh gpt_neox fixture) ------------
def tensor(w, name):
    return next(t for t in w.all_tensor_specs() if t.name == name)


def set_first(array_bytes, dtype, value):
    a = np.frombuffer(array_bytes, dtype=dtype).copy()
    a.reshape(-1)[0] = value
    return a.tobytes()


def add_exact_codes(w, cb_index, dtype="f32", shape_delta=0, seed=7):
    """Gives every group of codebook cb_index f32 originals: its dequantized codes plus a little noise
    (any f32 table is valid: the runtime bounds the search from both tables)."""
    rng = np.random.default_rng(seed)
    for g, grp in enumerate(w.codebooks[cb_index].group_data):
        codes = grp["codes"]
        exact = dequantized(codes).reshape(codes.shape) + 1e-3 * rng.standard_normal(codes.shape)
        exact = exact[:exact.shape[0] - shape_delta]
        name = codes.name.replace(".codes", ".exact_codes")
        grp["exact_codes"] = TensorSpec.from_array(name, exact.astype(np.float32), dtype)


def writer_cases():
    """Cases built by changing what the writer serializes."""
    def future_version(w): w.schema_major = 2
    def zero_version(w): w.schema_major = 0
    def header_crc(w): w.header_crc_override = 12345
    def data_offset(w): w.data_offset_override = 64 * 1000
    def data_size_short(w): w.data_size_override = 64
    def out_of_range(w): tensor(w, "layers.1.mlp.down.bias").data_offset = 64 * 10 ** 6
    def misaligned(w):
        w.layout_data()  # assign the real offsets first, then damage one
        tensor(w, "layers.0.attn.out.bias").data_offset += 4
    def overflow(w):
        t = tensor(w, "layers.0.ln1.weight")
        t.shape = [2 ** 40, 2 ** 40]
    def byte_overflow(w):
        t = tensor(w, "layers.0.ln1.weight")
        t.shape = [2 ** 31, 2 ** 31]  # 2^62 elements fit, 2^64 bytes do not
    def length_mismatch(w):
        w.layout_data()
        tensor(w, "final_norm.bias").data_length += 4
    def arch_shape(w):
        t = tensor(w, "tok_embed")
        t.shape = [t.shape[1], t.shape[0]]
    def missing(w): w.tensors = [t for t in w.tensors if t.name != "layers.1.ln1.weight"]
    def duplicate(w): tensor(w, "layers.1.ln2.bias").name = "layers.1.ln2.weight"
    def unknown_name(w): tensor(w, "layers.1.ln2.bias").name = "layers.1.ln3.bias"
    def k_too_big(w): w.codebooks[0].k = w.codebooks[0].codes + 1
    def k_zero(w): w.codebooks[0].k = 0
    def groups_not_dividing(w): w.codebooks[1].groups = 3
    def group_count(w): w.codebooks[0].group_data.pop()
    def layer_range(w): w.codebooks[1].layer = 7
    def duplicate_site(w): w.codebooks[1].site = "attn_preproj"; w.codebooks[1].layer = 0
    def unknown_site(w): w.codebooks[0].raw_site = 9
    def missing_group_tensor(w): w.codebooks[0].group_data[0]["ln_bias"] = None
    def nan_ln(w):
        t = w.codebooks[0].group_data[1]["ln_weight"]
        t.data = set_first(t.data, "<f4", np.nan)
    def nan_final_norm(w):
        t = tensor(w, "final_norm.weight")
        t.data = set_first(t.data, "<f4", np.inf)
    def nan_code(w):
        t = w.codebooks[0].group_data[0]["codes"]
        t.data = set_first(t.data, "<f4", np.nan)
    def zero_scale(w):
        t = w.codebooks[2].group_data[0]["codes"]  # the int8 mlp_mid codebook
        t.scales = set_first(t.scales, "<f4", 0.0)
    def int8_no_scales(w):
        t = w.codebooks[2].group_data[0]["codes"]
        t.scales_length = 0
    def bad_dtype_value(w): tensor(w, "layers.0.mlp.up.bias").raw_dtype = 9
    def ln_dtype(w):
        t = tensor(w, "layers.0.ln2.weight")
        a = np.frombuffer(t.data, dtype="<f4").astype("<f2")
        t.dtype, t.data, t.data_length = "f16", a.tobytes(), None
    def head_dim(w): w.architecture["head_dim"] = 7
    def no_architecture(w): w.architecture = None
    def local_window(w): w.architecture["local_window"] = 0; w.architecture["layer_attention"] = ["global", "local"]
    def rotary_dims(w): w.architecture["rotary_dims"] = 3
    def inverse_layer(w): w.architecture["scale_attention_by_inverse_layer"] = True  # a GPT-2 option
    def bos_range(w): w.tokenizer["bos_id"] = len(w.tokenizer["tokens"])
    def duplicate_token(w): w.tokenizer["tokens"][5] = w.tokenizer["tokens"][4]
    def bad_merge(w): w.tokenizer["merges"][0] = "nospace"
    def too_many_tokens(w): w.tokenizer["tokens"] += ["x%d" % i for i in range(10)]
    def annotation_code(w): w.annotations[0]["code"] = 16
    def annotation_codebook(w): w.annotations[0]["codebook"] = 99
    def annotation_token(w): w.annotations[0]["top_contexts"][0]["tokens"][0] = 10 ** 6
    def top_p(w): w.generation["top_p"] = 0.0
    def nan_temperature(w): w.generation["temperature"] = float("nan")
    def exact_next_to_f32(w): add_exact_codes(w, 0)  # the f32 attn_preproj codebook
    def exact_shape(w): add_exact_codes(w, 2, shape_delta=1)
    def exact_dtype(w): add_exact_codes(w, 2, dtype="f16")
    def strip_transformer(w, kind):
        w.kind, w.architecture, w.tensors, w.codebooks = kind, None, [], []
        w.annotations, w.tokenizer, w.generation = [], None, None
    def kind_unknown(w): w.kind = 9
    def transformer_with_dkvb(w): w.dkvb = {}
    def dkvb_with_architecture(w): w.kind = "dkvb"; w.dkvb = {}
    def dkvb_without_table(w): strip_transformer(w, "dkvb")
    def dkvb_with_tokenizer(w):
        tokenizer = w.tokenizer
        strip_transformer(w, "dkvb")
        w.dkvb, w.tokenizer = {}, tokenizer
    def exact_nan(w):
        add_exact_codes(w, 1)
        t = w.codebooks[1].group_data[0]["exact_codes"]
        t.data = set_first(t.data, "<f4", np.nan)

    return [
        ("future_version", "unsupported_version", future_version),
        ("zero_version", "unsupported_version", zero_version),
        ("header_crc", "checksum_mismatch", header_crc),
        ("data_offset", "bad_data_section", data_offset),
        ("data_size_short", "bad_data_section", data_size_short),
        ("tensor_out_of_range", "tensor_out_of_range", out_of_range),
        ("tensor_misaligned", "tensor_misaligned", misaligned),
        ("shape_product_overflow", "shape_overflow", overflow),
        ("shape_bytes_overflow", "shape_overflow", byte_overflow),
        ("data_length_mismatch", "shape_mismatch", length_mismatch),
        ("shape_vs_architecture", "shape_mismatch", arch_shape),
        ("missing_tensor", "missing_tensor", missing),
        ("duplicate_tensor", "duplicate_tensor", duplicate),
        ("unknown_tensor", "bad_architecture", unknown_name),
        ("k_exceeds_codes", "bad_codebook", k_too_big),
        ("k_zero", "bad_codebook", k_zero),
        ("groups_not_dividing", "bad_codebook", groups_not_dividing),
        ("group_table_count", "bad_codebook", group_count),
        ("layer_out_of_range", "out_of_range", layer_range),
        ("duplicate_codebook_site", "bad_codebook", duplicate_site),
        ("unknown_site", "bad_codebook", unknown_site),
        ("missing_group_tensor", "missing_tensor", missing_group_tensor),
        ("nan_codebook_ln", "non_finite_value", nan_ln),
        ("inf_final_norm", "non_finite_value", nan_final_norm),
        ("nan_code", "non_finite_value", nan_code),
        ("zero_int8_scale", "non_finite_value", zero_scale),
        ("int8_without_scales", "shape_mismatch", int8_no_scales),
        ("unknown_dtype", "bad_dtype", bad_dtype_value),
        ("f16_layernorm", "bad_dtype", ln_dtype),
        ("head_dim", "bad_architecture", head_dim),
        ("no_architecture", "bad_architecture", no_architecture),
        ("local_window_zero", "bad_architecture", local_window),
        ("odd_rotary_dims", "bad_architecture", rotary_dims),
        ("inverse_layer_scaling_not_gpt2", "bad_architecture", inverse_layer),
        ("bos_out_of_range", "bad_tokenizer", bos_range),
        ("duplicate_token", "bad_tokenizer", duplicate_token),
        ("malformed_merge", "bad_tokenizer", bad_merge),
        ("tokens_exceed_vocab", "bad_tokenizer", too_many_tokens),
        ("annotation_code", "bad_annotation", annotation_code),
        ("annotation_codebook", "bad_annotation", annotation_codebook),
        ("annotation_token", "bad_annotation", annotation_token),
        ("generation_top_p", "out_of_range", top_p),
        ("generation_nan_temperature", "out_of_range", nan_temperature),
        ("exact_codes_next_to_f32_codes", "bad_codebook", exact_next_to_f32),
        ("exact_codes_shape", "shape_mismatch", exact_shape),
        ("exact_codes_f16", "bad_dtype", exact_dtype),
        ("exact_codes_nan", "non_finite_value", exact_nan),
        ("kind_unknown", "unsupported_model_kind", kind_unknown),
        ("kind_transformer_with_dkvb_table", "bad_architecture", transformer_with_dkvb),
        ("kind_dkvb_with_architecture", "bad_architecture", dkvb_with_architecture),
        ("kind_dkvb_without_table", "bad_architecture", dkvb_without_table),
        ("kind_dkvb_with_tokenizer", "bad_architecture", dkvb_with_tokenizer),
    ]


def dkvb_cases():
    """DKVB files (schema 1.3), each broken in one way, built from dkvb_model(seed=3, decoder=...)."""
    def d(w): return w.dkvb
    def spec(w, field): return w.dkvb[field]

    def reshape(w, field, shape):
        t = spec(w, field)
        t.shape = list(shape)

    def heads_zero(w): d(w)["heads"] = 0
    def pairs_huge(w): d(w)["pairs"] = 2 ** 25
    def too_many_rows(w): d(w)["heads"], d(w)["pairs"] = 2 ** 16, 2 ** 16
    def unknown_decoder(w): d(w)["decoder"] = 5
    def voting_classes(w): d(w)["classes"] = d(w)["value_dim"] + 1
    def keys_shape(w): reshape(w, "keys", [3, 17 * 4, 1])
    def values_shape(w): reshape(w, "values", [3, 5, 17])
    def keys_f16(w):
        t = spec(w, "keys")
        t.dtype, t.data, t.data_length = "f16", np.frombuffer(t.data, "<f4").astype("<f2").tobytes(), None
    def missing_keys(w): d(w)["keys"] = None
    def missing_values(w): d(w)["values"] = None
    def projection_shape(w): reshape(w, "projection", [3, 4, 9])
    def no_projection_wrong_split(w): d(w)["projection"] = None  # embed 8 != 3 heads x 4
    def encoder_in_width(w):
        weight, _ = d(w)["encoder"][0]
        weight.shape = [8, 3]
        weight.data = weight.data[:8 * 3 * 4]
        weight.data_length = None
    def encoder_bias_missing(w): d(w)["encoder"][0] = (d(w)["encoder"][0][0], None)
    def used_shape(w): reshape(w, "used_pairs", [17, 3])
    def used_dtype(w):
        t = spec(w, "used_pairs")
        t.dtype, t.data, t.data_length = "i32", np.frombuffer(t.data, "u1").astype("<i4").tobytes(), None
    def used_value(w):
        t = spec(w, "used_pairs")
        t.data = set_first(t.data, "u1", 2)
    def used_head_empty(w):
        t = spec(w, "used_pairs")
        a = np.frombuffer(t.data, "u1").copy().reshape(3, 17)
        a[1] = 0
        t.data = a.tobytes()
    def nan_key(w):
        t = spec(w, "keys")
        t.data = set_first(t.data, "<f4", np.nan)
    def inf_value(w):
        t = spec(w, "values")
        t.data = set_first(t.data, "<f4", np.inf)
    def nan_encoder(w):
        t = d(w)["encoder"][0][0]
        t.data = set_first(t.data, "<f4", np.nan)
    def voting_with_decoder(w):
        d(w)["decoder_weight"] = TensorSpec.from_array("dkvb.decoder_weight", np.ones((5, 15), np.float32))
    def linear_missing_weight(w): d(w)["decoder_weight"] = None
    def linear_weight_shape(w): reshape(w, "decoder_weight", [7, 14])
    def tensor_out_of_range(w): spec(w, "values").data_offset = 64 * 10 ** 6
    def duplicate_name(w): spec(w, "values").name = "dkvb.keys"

    voting = [
        ("dkvb_heads_zero", "bad_architecture", heads_zero),
        ("dkvb_pairs_too_many", "bad_architecture", pairs_huge),
        ("dkvb_rows_exceed_int32", "bad_architecture", too_many_rows),
        ("dkvb_unknown_decoder", "bad_architecture", unknown_decoder),
        ("dkvb_voting_classes", "bad_architecture", voting_classes),
        ("dkvb_keys_shape", "shape_mismatch", keys_shape),
        ("dkvb_values_shape", "shape_mismatch", values_shape),
        ("dkvb_keys_f16", "bad_dtype", keys_f16),
        ("dkvb_missing_keys", "missing_tensor", missing_keys),
        ("dkvb_missing_values", "missing_tensor", missing_values),
        ("dkvb_projection_shape", "shape_mismatch", projection_shape),
        ("dkvb_split_without_projection", "bad_architecture", no_projection_wrong_split),
        ("dkvb_encoder_input_width", "shape_mismatch", encoder_in_width),
        ("dkvb_encoder_bias_missing", "missing_tensor", encoder_bias_missing),
        ("dkvb_used_pairs_shape", "shape_mismatch", used_shape),
        ("dkvb_used_pairs_dtype", "bad_dtype", used_dtype),
        ("dkvb_used_pairs_value", "out_of_range", used_value),
        ("dkvb_used_pairs_head_empty", "bad_architecture", used_head_empty),
        ("dkvb_nan_key", "non_finite_value", nan_key),
        ("dkvb_inf_value", "non_finite_value", inf_value),
        ("dkvb_nan_encoder", "non_finite_value", nan_encoder),
        ("dkvb_voting_with_decoder_weight", "bad_architecture", voting_with_decoder),
        ("dkvb_tensor_out_of_range", "tensor_out_of_range", tensor_out_of_range),
        ("dkvb_duplicate_tensor_name", "duplicate_tensor", duplicate_name),
    ]
    linear = [
        ("dkvb_linear_missing_weight", "missing_tensor", linear_missing_weight),
        ("dkvb_linear_weight_shape", "shape_mismatch", linear_weight_shape),
    ]
    return [(n, s, f, "voting") for n, s, f in voting] + [(n, s, f, "linear") for n, s, f in linear]


def dkvb_expectations(w, blob):
    """What the loader must report for a valid DKVB fixture (sizes, tensor sums, mask count)."""
    d = w.dkvb
    lines = ["file_size %d" % len(blob), "schema %d %d" % (w.schema_major, w.schema_minor)]
    for key in ("input_dim", "heads", "pairs", "key_dim", "value_dim", "classes"):
        lines.append("dkvb %s %d" % (key, d[key]))
    lines.append("dkvb decoder %s" % d["decoder"])
    lines.append("dkvb layers %d" % len(d["encoder"]))
    lines.append("dkvb projection %d" % int(d["projection"] is not None))
    specs = [t for pair in d["encoder"] for t in pair] + [d[f] for f in ("projection", "keys", "values", "used_pairs",
                                                                          "decoder_weight", "decoder_bias")]
    for spec in specs:
        if spec is not None:
            lines.append(tensor_line("tensor", spec))
    return "\n".join(lines) + "\n"


def byte_cases(good: bytes):
    """Cases built by damaging the bytes of a valid file."""
    header_size = struct.unpack_from("<I", good, 0)[0]

    def patched(offset, new):
        return good[:offset] + new + good[offset + len(new):]

    return [
        ("empty_file", "truncated", b""),
        ("truncated_prefix", "truncated", good[:10]),
        ("truncated_header", "truncated", good[:header_size // 2]),
        ("truncated_data", "truncated", good[:-64]),
        ("bad_identifier", "bad_identifier", patched(8, b"GGUF")),
        ("huge_header_size", "truncated", patched(0, struct.pack("<I", 0xFFFFFFF0))),
        ("root_offset_outside", "verify_failed", patched(4, struct.pack("<I", header_size + 1000))),
        ("trailing_bytes", "bad_data_section", good + b"\0" * 64),
        ("data_byte_flipped", "checksum_mismatch", patched(len(good) - 100, bytes([good[-100] ^ 0x40]))),
        ("nonzero_padding", "bad_data_section", patched(4 + header_size, b"\x01")
         if (4 + header_size) % 64 else good[:0] + b""),
    ]


def large_codes_model():
    """Code tables spanning several of the loader's 256 KiB data chunks: f32 12000 x 32 (1.5 MB)
    and f16 20000 x 32 (1.3 MB), for planting non-finite values at chunk boundaries."""
    rng = np.random.default_rng(11)
    w = CbkWriter()
    random_base(w, "gpt_neox", rng, 64, 32, 2, 4, 64, 16)
    random_codebook(w, rng, 0, "mlp", 32, 1, 12000, 2)
    random_codebook(w, rng, 1, "mlp", 32, 1, 20000, 3, dtype="f16")
    return w


def main(out_dir):
    os.makedirs(os.path.join(out_dir, "corrupt"), exist_ok=True)
    fixtures = [(family, fixture_model(family, seed=FAMILIES.index(family) + 1)) for family in FAMILIES]
    invlayer = fixture_model("gpt2", seed=2)  # schema 1.1: GPT-2 scale_attn_by_inverse_layer_idx
    invlayer.architecture["scale_attention_by_inverse_layer"] = True
    fixtures.append(("gpt2_invlayer", invlayer))
    exact = fixture_model("gpt_neo", seed=3)  # schema 1.2: exact f16 (mlp) and int8 (mlp_mid) codebooks
    add_exact_codes(exact, 1)
    add_exact_codes(exact, 2)
    fixtures.append(("gpt_neo_exact", exact))
    for name, w in fixtures:
        blob = w.to_bytes()
        with open(os.path.join(out_dir, name + ".cbk"), "wb") as f:
            f.write(blob)
        with open(os.path.join(out_dir, name + ".expect"), "w") as f:
            f.write(expectations(w, blob))
    manifest = []
    for name, status, mutate in writer_cases() + protonet_writer_cases():
        w = fixture_model("gpt_neox", seed=1)
        mutate(w)
        with open(os.path.join(out_dir, "corrupt", name + ".cbk"), "wb") as f:
            f.write(w.to_bytes())
        manifest.append((name, status))
    for decoder in ("voting", "linear"):
        w = dkvb_model(seed=3, decoder=decoder)
        blob = w.to_bytes()
        with open(os.path.join(out_dir, "dkvb_%s.cbk" % decoder), "wb") as f:
            f.write(blob)
        with open(os.path.join(out_dir, "dkvb_%s.expect" % decoder), "w") as f:
            f.write(dkvb_expectations(w, blob))
    for name, status, mutate, decoder in dkvb_cases():
        w = dkvb_model(seed=3, decoder=decoder)
        mutate(w)
        with open(os.path.join(out_dir, "corrupt", name + ".cbk"), "wb") as f:
            f.write(w.to_bytes())
        manifest.append((name, status))
    good = fixture_model("gpt_neox", seed=1).to_bytes()
    for name, status, blob in byte_cases(good):
        if name == "nonzero_padding" and not blob:
            continue  # the header happened to end on a 64-byte boundary: no padding to damage
        with open(os.path.join(out_dir, "corrupt", name + ".cbk"), "wb") as f:
            f.write(blob)
        manifest.append((name, status))
    with open(os.path.join(out_dir, "corrupt", "manifest.txt"), "w") as f:
        f.writelines("%s %s\n" % m for m in manifest)
    with open(os.path.join(out_dir, "large_codes.cbk"), "wb") as f:
        f.write(large_codes_model().to_bytes())
    print("wrote %d fixtures and %d corrupt files to %s" % (len(fixtures), len(manifest), out_dir))


if __name__ == "__main__":
    main(sys.argv[1])
