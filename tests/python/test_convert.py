"""The converter (tools/python/convert.py, cbkconvert) against the reference's checkpoint builder.

Random checkpoints come from cbk_reference.build_random_checkpoint (the oracle for key names); the
.cbk is read back with the flatc-generated classes and every tensor is compared with the checkpoint
tensor it came from under the canonical mapping written out again here (transposes, q/k/v fusion).
"""

import json
import os
import subprocess
import sys
import unittest

import numpy as np

from cbk_test_helpers import tmpdir
from cbk_reference import build_random_checkpoint, safetensors_io
from cbk_reference.checkpoint import read_weights
from cbk_reference.config import BaseConfig, CodebookConfig, SITES
from cbk_reference.layout import CodebookTensorRef, checkpoint_layout
from cbk_reference.tokenizer_files import byte_bpe_vocab
from cbkfile import schema_module
from cbkconvert import ConversionError
from cbkconvert.configs import architecture_from_base_config
from cbkconvert.pipeline import Options, convert
from cbkconvert.weights import read_safetensors

CONVERT = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python", "convert.py")
FAMILIES = ("gpt_neox", "gpt2", "gpt_neo")
SMALL = dict(d_model=16, n_layers=2, n_heads=4, max_positions=16, rotary_pct=0.5)
DTYPES = {0: "<f4", 1: "<f2", 2: "i1"}


# ---- reading a .cbk back with the generated FlatBuffers classes -------------------------------------
def read_cbk(path):
    fb = schema_module.load()
    with open(path, "rb") as f:
        buf = f.read()
    m = fb.Model.Model.GetRootAs(buf, 4)
    base = m.DataOffset()

    def tensor(t):
        shape = [t.Shape(i) for i in range(t.ShapeLength())]
        a = np.frombuffer(buf, DTYPES[t.Dtype()], int(np.prod(shape)), base + t.DataOffset()).reshape(shape)
        if t.Dtype() == 2:
            scales = np.frombuffer(buf, "<f4", shape[0], base + t.ScalesOffset())
            return a.astype(np.float32) * scales.reshape([-1] + [1] * (len(shape) - 1)), t.Dtype()
        return a.astype(np.float32), t.Dtype()

    a = m.Architecture()
    arch = dict(family=a.Family(), vocab_size=a.VocabSize(), d_model=a.DModel(), n_layers=a.NLayers(),
                n_heads=a.NHeads(), head_dim=a.HeadDim(), d_mlp=a.DMlp(), max_positions=a.MaxPositions(),
                norm_eps=a.NormEps(), activation=a.Activation(), positions=a.Positions(), rotary_dims=a.RotaryDims(),
                rotary_base=a.RotaryBase(), parallel_residual=a.ParallelResidual(), scale_attention=a.ScaleAttention(),
                layer_attention=[a.LayerAttention(i) for i in range(a.LayerAttentionLength())],
                local_window=a.LocalWindow(), tied_embeddings=a.TiedEmbeddings(),
                scale_attention_by_inverse_layer=a.ScaleAttentionByInverseLayer(),
                schema=(m.SchemaMajor(), m.SchemaMinor()))
    tensors = {m.Tensors(i).Name().decode(): tensor(m.Tensors(i))[0] for i in range(m.TensorsLength())}
    codebooks = {}
    for i in range(m.CodebooksLength()):
        c = m.Codebooks(i)
        groups = [(tensor(c.GroupData(g).LnWeight())[0], tensor(c.GroupData(g).LnBias())[0])
                  + tensor(c.GroupData(g).Codes()) for g in range(c.GroupDataLength())]
        codebooks[(c.Layer(), c.Site())] = dict(groups=c.Groups(), codes=c.Codes(), dim=c.Dim(), k=c.K(),
                                                similarity=c.Similarity(), data=groups)
    t = m.Tokenizer()
    tok = dict(kind=t.Kind(), tokens=[t.Tokens(i).decode() for i in range(t.TokensLength())],
               merges=[t.Merges(i).decode() for i in range(t.MergesLength())], bos=t.BosId(), eos=t.EosId(),
               add_bos=t.AddBos())
    md = m.Metadata()
    meta = dict(name=md.Name().decode(), source=md.SourceCheckpoint().decode(),
                version=md.ConverterVersion().decode(),
                extra={md.Extra(i).Key().decode(): md.Extra(i).Value().decode() for i in range(md.ExtraLength())})
    g = m.Generation()
    gen = dict(max_new_tokens=g.MaxNewTokens(), temperature=g.Temperature(), top_k=g.TopK(), top_p=g.TopP())
    extras = {m.Extras(i).Name().decode(): tensor(m.Extras(i))[0] for i in range(m.ExtrasLength())}

    def annotation(a):
        ctx = [a.TopContexts(j) for j in range(a.TopContextsLength())]
        return dict(codebook=a.Codebook(), group=a.Group(), code=a.Code(), label=a.Label().decode(),
                    description=a.Description().decode(), frequency=a.Frequency(),
                    top_contexts=[dict(tokens=[c.Tokens(t) for t in range(c.TokensLength())],
                                       highlight=[c.Highlight().Start(), c.Highlight().End()]) for c in ctx])
    annotations = [annotation(m.Annotations(i)) for i in range(m.AnnotationsLength())]
    order = [dict(layer=m.Codebooks(i).Layer(), site=m.Codebooks(i).Site()) for i in range(m.CodebooksLength())]
    return dict(arch=arch, tensors=tensors, codebooks=codebooks, tokenizer=tok, metadata=meta, generation=gen,
                extras=extras, annotations=annotations, codebook_order=order)


# ---- the canonical mapping, written out independently of cbkconvert.keymap --------------------------
def expected_base(family, hf):
    """Canonical .cbk base tensors from plain HF tensors (model. prefix and module_layer removed)."""
    out = {}
    if family == "gpt_neox":
        out["tok_embed"] = hf["gpt_neox.embed_in.weight"]
        out["final_norm.weight"] = hf["gpt_neox.final_layer_norm.weight"]
        out["final_norm.bias"] = hf["gpt_neox.final_layer_norm.bias"]
        out["lm_head.weight"] = hf["embed_out.weight"]
        n = 1 + max(int(k.split(".")[2]) for k in hf if k.startswith("gpt_neox.layers."))
        for L in range(n):
            p, c = "gpt_neox.layers.%d." % L, "layers.%d." % L
            for a, b in (("input_layernorm", "ln1"), ("post_attention_layernorm", "ln2"),
                         ("attention.query_key_value", "attn.qkv"), ("attention.dense", "attn.out"),
                         ("mlp.dense_h_to_4h", "mlp.up"), ("mlp.dense_4h_to_h", "mlp.down")):
                out[c + b + ".weight"] = hf[p + a + ".weight"]
                out[c + b + ".bias"] = hf[p + a + ".bias"]
        return out
    out["tok_embed"] = hf["transformer.wte.weight"]
    out["pos_embed"] = hf["transformer.wpe.weight"]
    out["final_norm.weight"] = hf["transformer.ln_f.weight"]
    out["final_norm.bias"] = hf["transformer.ln_f.bias"]
    n = 1 + max(int(k.split(".")[2]) for k in hf if k.startswith("transformer.h."))
    for L in range(n):
        p, c = "transformer.h.%d." % L, "layers.%d." % L
        for a, b in (("ln_1", "ln1"), ("ln_2", "ln2")):
            out[c + b + ".weight"], out[c + b + ".bias"] = hf[p + a + ".weight"], hf[p + a + ".bias"]
        if family == "gpt2":  # Conv1D [in, out] -> [out, in]
            for a, b in (("attn.c_attn", "attn.qkv"), ("attn.c_proj", "attn.out"), ("mlp.c_fc", "mlp.up"),
                         ("mlp.c_proj", "mlp.down")):
                out[c + b + ".weight"], out[c + b + ".bias"] = hf[p + a + ".weight"].T, hf[p + a + ".bias"]
        else:
            a = p + "attn.attention."
            out[c + "attn.qkv.weight"] = np.concatenate([hf[a + "q_proj.weight"], hf[a + "k_proj.weight"],
                                                         hf[a + "v_proj.weight"]])
            out[c + "attn.qkv.bias"] = np.zeros(hf[a + "q_proj.weight"].shape[0] * 3, np.float32)
            out[c + "attn.out.weight"], out[c + "attn.out.bias"] = hf[a + "out_proj.weight"], hf[a + "out_proj.bias"]
            for a2, b in (("mlp.c_fc", "mlp.up"), ("mlp.c_proj", "mlp.down")):
                out[c + b + ".weight"], out[c + b + ".bias"] = hf[p + a2 + ".weight"], hf[p + a2 + ".bias"]
    return out


SITE_ENUM = {s: i for i, s in enumerate(("attn_preproj", "attn", "mlp", "mlp_mid", "qkv", "attn_plus_mlp",
                                         "transformer_block"))}


def run_convert(ckpt, out=None, **kw):
    out = out or str(tmpdir() / "m.cbk")
    convert(Options(checkpoint=str(ckpt), output=out, **kw))
    return out


def build(family, **kw):
    kw = dict(SMALL, **kw)
    return build_random_checkpoint(tmpdir() / "ckpt", family, **kw)


class ConvertAgainstCheckpoint(unittest.TestCase):
    def check(self, ckpt, prefer="safetensors", codebook_dtype="f32"):
        cbk = read_cbk(run_convert(ckpt, prefer=prefer, codebook_dtype=codebook_dtype))
        base_cfg = BaseConfig.from_hf(json.loads((ckpt / "base" / "config.json").read_text()))
        cb_cfg = CodebookConfig.from_dict(json.loads((ckpt / "config.json").read_text()), base_cfg)
        weights = read_weights(ckpt, prefer)
        hf, groups = {}, {}
        for key, what in checkpoint_layout(base_cfg, cb_cfg).items():
            if key not in weights:
                continue  # the tied lm_head of a safetensors file
            if isinstance(what, CodebookTensorRef):
                groups[(what.layer, what.site, what.group, what.param)] = weights[key]
            else:
                hf[what] = weights[key]
        want = expected_base(base_cfg.family, hf)
        if base_cfg.tie_word_embeddings:
            want.pop("lm_head.weight", None)
        self.assertEqual(sorted(cbk["tensors"]), sorted(want))
        for name, array in want.items():
            np.testing.assert_array_equal(cbk["tensors"][name], array, err_msg=name)
        sites = cb_cfg.sites(base_cfg)
        self.assertEqual(len(cbk["codebooks"]), len(sites))
        for s in sites:
            got = cbk["codebooks"][(s.layer, SITE_ENUM[s.site])]
            self.assertEqual((got["groups"], got["codes"], got["dim"], got["k"], got["similarity"]),
                             (s.groups, s.num_codes, s.group_dim, s.k, ("inner_product", "euclidean").index(s.metric)))
            for g, (ln_w, ln_b, codes, dtype) in enumerate(got["data"]):
                np.testing.assert_array_equal(ln_w, groups[(s.layer, s.site, g, "ln.weight")])
                np.testing.assert_array_equal(ln_b, groups[(s.layer, s.site, g, "ln.bias")])
                raw = groups[(s.layer, s.site, g, "codebook.weight")]
                self.assertEqual(dtype, {"f32": 0, "f16": 1, "int8": 2}[codebook_dtype])
                if codebook_dtype == "f32":
                    np.testing.assert_array_equal(codes, raw)
                elif codebook_dtype == "f16":
                    np.testing.assert_array_equal(codes, raw.astype(np.float16).astype(np.float32))
                else:  # per-row symmetric int8: error at most half a step
                    step = np.abs(raw).max(axis=1, keepdims=True) / 127
                    self.assertTrue(np.all(np.abs(codes - raw) <= step * 0.5 + 1e-7))
        return cbk, base_cfg

    def test_every_family_site_and_format(self):
        for family in FAMILIES:
            for site in SITES:
                if (family, site) == ("gpt_neo", "qkv"):
                    continue
                for fmt in ("safetensors", "bin"):
                    with self.subTest(family=family, site=site, fmt=fmt):
                        kind = "group" if site in ("attn_preproj", "mlp_mid") else "vanilla"
                        ckpt = build(family, codebook_at=site, codebook_type=kind,
                                     num_codebooks=-1 if kind == "group" else 1, formats=(fmt,), k_codebook=2,
                                     seed=len(site))
                        self.check(ckpt, prefer=fmt)

    def test_grouped_sites_and_metrics(self):
        for family, site in (("gpt_neox", "qkv"), ("gpt2", "qkv"), ("gpt2", "mlp"), ("gpt_neo", "transformer_block"),
                             ("gpt_neox", "attn_plus_mlp")):
            with self.subTest(family=family, site=site):
                self.check(build(family, codebook_at=site, codebook_type="group", num_codebooks=2,
                                 similarity_metric="euclidean"))

    def test_sites_sharing_a_module_path(self):
        # replacing + wrapping sites at one path: the replacing one sits one module_layer deeper
        for family, at in (("gpt_neox", ("attn_preproj", "attn")), ("gpt2", ("attn_plus_mlp", "transformer_block")),
                           ("gpt_neox", ("qkv", "attn", "mlp_mid", "mlp")), ("gpt2", ("attn_preproj", "qkv", "attn")),
                           ("gpt_neo", ("mlp_mid", "mlp", "attn_preproj", "transformer_block"))):
            with self.subTest(family=family, at=at):
                self.check(build(family, codebook_at=at, formats=("bin",)), prefer="bin")

    def test_both_formats_give_identical_files(self):
        ckpt = build("gpt2", formats=("safetensors", "bin"))
        a, b = (read_cbk(run_convert(ckpt, prefer=fmt)) for fmt in ("safetensors", "bin"))
        self.assertEqual(sorted(a["tensors"]), sorted(b["tensors"]))
        for name in a["tensors"]:
            np.testing.assert_array_equal(a["tensors"][name], b["tensors"][name])
        self.assertEqual((a["metadata"]["extra"]["weights_file"], b["metadata"]["extra"]["weights_file"]),
                         ("model.safetensors", "pytorch_model.bin"))

    def test_codebook_dtypes(self):
        ckpt = build("gpt_neox", codebook_at=("attn_preproj", "mlp_mid"), num_codes=32)
        for dtype in ("f16", "int8"):
            with self.subTest(dtype=dtype):
                self.check(ckpt, codebook_dtype=dtype)

    def test_layers_subset_and_tied_neox(self):
        self.check(build("gpt_neox", layers_to_snap=[-1], tie_word_embeddings=True, formats=("bin",)), prefer="bin")
        self.check(build("gpt2", n_layers=3, layers_to_snap=[0, 2], codebook_at="mlp"))


class ArchitectureAndTokenizer(unittest.TestCase):
    def test_family_fields(self):
        neox = read_cbk(run_convert(build("gpt_neox", rotary_pct=0.5, parallel_residual=False)))
        a = neox["arch"]
        self.assertEqual((a["family"], a["positions"], a["rotary_dims"], a["parallel_residual"], a["activation"],
                          a["tied_embeddings"], a["scale_attention"]), (0, 1, 2, False, 0, False, True))
        gpt2 = read_cbk(run_convert(build("gpt2")))["arch"]
        self.assertEqual((gpt2["family"], gpt2["positions"], gpt2["activation"], gpt2["d_mlp"], gpt2["tied_embeddings"],
                          gpt2["layer_attention"]), (1, 0, 1, 64, True, []))  # n_inner null -> 4 * d
        neo = read_cbk(run_convert(build("gpt_neo", window_size=3)))["arch"]
        self.assertEqual((neo["family"], neo["scale_attention"], neo["layer_attention"], neo["local_window"],
                          neo["max_positions"]), (2, False, [0, 1], 3, 16))

    def test_real_model_configs(self):
        pythia = {"architectures": ["GPTNeoXForCausalLM"], "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "gelu",
                  "hidden_size": 1024, "intermediate_size": 4096, "layer_norm_eps": 1e-05,
                  "max_position_embeddings": 2048, "model_type": "gpt_neox", "num_attention_heads": 16,
                  "num_hidden_layers": 24, "rotary_emb_base": 10000, "rotary_pct": 0.25, "tie_word_embeddings": False,
                  "use_parallel_residual": True, "vocab_size": 50304}
        a = architecture_from_base_config(pythia)
        self.assertEqual((a["head_dim"], a["rotary_dims"], a["d_mlp"], a["parallel_residual"]), (64, 16, 4096, True))
        tinystories = {"activation_function": "gelu_new", "attention_layers": ["global"],
                       "attention_types": [[["global"], 1]], "hidden_size": 1024, "intermediate_size": None,
                       "layer_norm_epsilon": 1e-05, "max_position_embeddings": 2048, "model_type": "gpt_neo",
                       "num_heads": 16, "num_layers": 1, "vocab_size": 50257, "window_size": 256}
        a = architecture_from_base_config(tinystories)
        self.assertEqual((a["d_mlp"], a["layer_attention"], a["local_window"], a["scale_attention"], a["head_dim"]),
                         (4096, ["global"], 256, False, 64))
        gpt2 = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024,
                "vocab_size": 50257, "activation_function": "gelu_new", "n_inner": None}
        self.assertEqual(architecture_from_base_config(gpt2)["d_mlp"], 3072)

    def test_gpt2_attention_options(self):
        # scale_attn_by_inverse_layer_idx: recorded (a schema-1.1 field, so the file says 1.1)
        ckpt = build("gpt2", n_layers=3, scale_attn_by_inverse_layer_idx=True)
        cbk, _ = ConvertAgainstCheckpoint.check(ConvertAgainstCheckpoint(), ckpt)
        self.assertEqual((cbk["arch"]["scale_attention_by_inverse_layer"], cbk["arch"]["scale_attention"],
                          cbk["arch"]["schema"]), (True, True, (1, 1)))
        unscaled = read_cbk(run_convert(build("gpt2", scale_attn_by_inverse_layer_idx=True,
                                              scale_attn_weights=False)))["arch"]
        self.assertEqual((unscaled["scale_attention_by_inverse_layer"], unscaled["scale_attention"]), (True, False))
        # reorder_and_upcast_attn: the same function in fp32, so accepted and not recorded
        plain = read_cbk(run_convert(build("gpt2")))["arch"]
        reordered = read_cbk(run_convert(build("gpt2", reorder_and_upcast_attn=True)))["arch"]
        self.assertEqual(reordered, plain)
        self.assertEqual((plain["scale_attention_by_inverse_layer"], plain["schema"]), (False, (1, 0)))
        real = {"model_type": "gpt2", "n_embd": 1600, "n_layer": 48, "n_head": 25, "vocab_size": 50257,
                "scale_attn_by_inverse_layer_idx": True, "reorder_and_upcast_attn": True}  # as Stanford CRFM Mistral GPT-2s
        self.assertTrue(architecture_from_base_config(real)["scale_attention_by_inverse_layer"])
        self.assertFalse(architecture_from_base_config(dict(real, scale_attn_by_inverse_layer_idx=False))
                         ["scale_attention_by_inverse_layer"])

    def test_padded_vocabulary(self):
        # Pythia-style: more embedding rows than tokens; the tokenizer keeps its own size and ids
        vocab, _ = byte_bpe_vocab()
        for family in ("gpt_neox", "gpt2"):
            with self.subTest(family=family):
                cbk, _ = ConvertAgainstCheckpoint.check(ConvertAgainstCheckpoint(),
                                                        build(family, vocab_size=len(vocab) + 27))
                self.assertEqual(cbk["arch"]["vocab_size"], len(vocab) + 27)
                self.assertEqual(cbk["tensors"]["tok_embed"].shape[0], len(vocab) + 27)
                self.assertEqual(len(cbk["tokenizer"]["tokens"]), len(vocab))
                self.assertEqual((cbk["tokenizer"]["bos"], cbk["tokenizer"]["eos"]), (vocab["<|endoftext|>"],) * 2)

    def test_tokfsm_shaped_checkpoint(self):
        # the TokFSM model's real shape (fsm_main.yaml): GPT-NeoX d 128, 4 layers, 4 heads, MLP 512, C 1000, k 1
        ckpt = build_random_checkpoint(tmpdir() / "fsm", "gpt_neox", codebook_at=("attn_preproj", "mlp"), num_codes=1000,
                                       k_codebook=1, tokenizer="digits", d_model=128, n_layers=4, n_heads=4,
                                       d_mlp=512, max_positions=128)
        np.save(ckpt / "fsm.npy", np.full((100, 100), 0.1))
        cbk, _ = ConvertAgainstCheckpoint.check(ConvertAgainstCheckpoint(), ckpt)
        self.assertEqual(cbk["tokenizer"]["kind"], 1)
        self.assertEqual(cbk["tokenizer"]["tokens"], [str(i) for i in range(10)] + ["<|endoftext|>"])
        self.assertEqual((cbk["tokenizer"]["bos"], cbk["tokenizer"]["add_bos"]), (10, True))
        self.assertEqual(cbk["arch"]["rotary_dims"], 8)
        np.testing.assert_array_equal(cbk["extras"]["fsm.transitions"], np.full((100, 100), 0.1, np.float32))

    def test_training_summary_becomes_metadata(self):
        ckpt = build("gpt_neox")
        summary = {"recipe": {"base_steps": 800, "ft_lr": 0.001}, "total_seconds": 1234.5,
                   "metrics": {"final": {"loss": 1.25, "acc": 0.4512345678, "first_transition_acc": 0.97}}}
        (ckpt / "training_summary.json").write_text(json.dumps(summary))
        extra = read_cbk(run_convert(ckpt))["metadata"]["extra"]
        self.assertEqual(json.loads(extra["training.summary"]), summary)
        self.assertEqual(json.loads(extra["training.recipe"]), summary["recipe"])
        self.assertEqual(extra["training.total_seconds"], "1234.5")
        self.assertEqual((extra["training.final.loss"], extra["training.final.acc"]), ("1.25", "0.451235"))
        self.assertNotIn("training.final.state_acc", extra)
        (ckpt / "training_summary.json").write_text("[1, 2]")
        with self.assertRaisesRegex(ConversionError, "training summary .* is not a JSON object"):
            run_convert(ckpt)

    def test_code_annotations(self):
        ckpt = build("gpt_neox")  # codebooks at attn_preproj (4 groups) and mlp of 2 layers
        note = {"layer": 1, "site": "mlp", "group": 0, "code": 3, "label": "state 42", "description": "d",
                "frequency": 0.25, "top_contexts": [{"tokens": [10, 4, 2], "highlight": [2, 3]}]}
        (ckpt / "code_annotations.json").write_text(json.dumps({"annotations": [
            note, {"layer": 0, "site": "attn_preproj", "group": 3, "code": 0, "label": "x"}]}))
        cbk = read_cbk(run_convert(ckpt))
        where = {(c["layer"], c["site"]): i for i, c in enumerate(cbk["codebook_order"])}
        first, second = cbk["annotations"]
        self.assertEqual(first, {"codebook": where[(1, 2)], "group": 0, "code": 3, "label": "state 42",
                                 "description": "d", "frequency": 0.25, "top_contexts": note["top_contexts"]})
        self.assertEqual((second["codebook"], second["group"], second["label"], second["top_contexts"]),
                         (where[(0, 0)], 3, "x", []))
        for bad, msg in (({"layer": 5, "site": "mlp", "code": 0}, "layer 5 site mlp, which has no codebook"),
                         ({"layer": 1, "site": "mlp", "code": 10 ** 6}, "out of range"),
                         ({"layer": 1, "site": "mlp"}, "annotation 0 is malformed")):
            (ckpt / "code_annotations.json").write_text(json.dumps({"annotations": [bad]}))
            with self.assertRaisesRegex(ConversionError, msg):
                run_convert(ckpt)

    def test_topics_become_metadata(self):
        ckpt = build("gpt_neox")
        (ckpt / "topics.json").write_text(json.dumps({"topics": {"dragon": {"regex": r"\bdragons?\b"},
                                                                 "fire-truck": {"regex": "fire ?trucks?"}}}))
        extra = read_cbk(run_convert(ckpt))["metadata"]["extra"]
        self.assertEqual((extra["topic.dragon.regex"], extra["topic.fire-truck.regex"]), (r"\bdragons?\b", "fire ?trucks?"))
        for bad, msg in (({"topics": [1]}, "must be an object"), ({"topics": {"Dragon": {"regex": "x"}}}, "lower-case name"),
                         ({"topics": {"dragon": {"regex": ""}}}, "non-empty"), ({"topics": {"dragon": {"regex": "(a"}}}, "bad regex")):
            (ckpt / "topics.json").write_text(json.dumps(bad))
            with self.assertRaisesRegex(ConversionError, msg):
                run_convert(ckpt)

    def test_byte_bpe_from_both_file_formats(self):
        vocab, merges = byte_bpe_vocab()
        for family in ("gpt_neox", "gpt2"):  # tokenizer.json / vocab.json + merges.txt
            tok = read_cbk(run_convert(build(family)))["tokenizer"]
            self.assertEqual(tok["kind"], 0)
            self.assertEqual(tok["tokens"], sorted(vocab, key=vocab.get))
            self.assertEqual(tok["merges"], ["%s %s" % m for m in merges])
            self.assertEqual((tok["eos"], tok["add_bos"]), (vocab["<|endoftext|>"], False))

    def test_metadata_and_generation(self):
        ckpt = build("gpt2")
        (ckpt / "generation_config.json").write_text(json.dumps({"do_sample": False, "max_new_tokens": 7}))
        cbk = read_cbk(run_convert(ckpt, name="tiny", generation={"top_k": 5}))
        self.assertEqual(cbk["metadata"]["name"], "tiny")
        self.assertEqual(cbk["metadata"]["source"], os.path.abspath(str(ckpt)))
        self.assertEqual(cbk["metadata"]["extra"]["codebook.codebook_at"], '["attn_preproj", "mlp"]')
        self.assertEqual(cbk["metadata"]["extra"]["weights_file"], "model.safetensors")
        self.assertEqual(cbk["generation"], dict(max_new_tokens=7, temperature=0.0, top_k=5, top_p=1.0))


class OwnSafetensorsReader(unittest.TestCase):
    def test_dtypes_bf16_and_scalars(self):
        path = str(tmpdir() / "t.safetensors")
        x = np.array([[1.5, -2.25], [3.0, 1e-3]], np.float32)
        safetensors_io.save(path, {"h": x.astype(np.float16), "s": np.array(-1e9, np.float32), "m": np.ones((2, 2), bool)})
        got = read_safetensors(path)
        np.testing.assert_array_equal(got["h"], x.astype(np.float16).astype(np.float32))
        self.assertEqual(got["m"].dtype, np.bool_)
        bf16 = (x.view(np.uint32) >> 16).astype("<u2")
        header = json.dumps({"b": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]},
                             "s": {"dtype": "F32", "shape": [], "data_offsets": [8, 12]}}).encode()
        with open(path, "wb") as f:
            f.write(len(header).to_bytes(8, "little") + header + bf16.tobytes() + np.float32(-1e9).tobytes())
        got = read_safetensors(path)
        np.testing.assert_array_equal(got["b"], (bf16.astype(np.uint32) << 16).view(np.float32))
        self.assertEqual((got["s"].shape, float(got["s"])), ((), -1e9))

    def test_corrupt_header(self):
        path = str(tmpdir() / "bad.safetensors")
        header = json.dumps({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}).encode()
        with open(path, "wb") as f:
            f.write(len(header).to_bytes(8, "little") + header + bytes(16))
        with self.assertRaisesRegex(ConversionError, "tensor a has data_offsets"):
            read_safetensors(path)


class Errors(unittest.TestCase):
    """Bad inputs: a one-line message naming the key and shapes, exit status 1, no traceback."""

    def cli(self, ckpt, *args):
        p = subprocess.run([sys.executable, CONVERT, str(ckpt), "-o", str(tmpdir() / "x.cbk")] + list(args),
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        return p.stderr.strip()

    def edit_weights(self, ckpt, fn):
        path = ckpt / "model.safetensors"
        tensors, meta = safetensors_io.load(path)
        fn(tensors)
        safetensors_io.save(path, tensors, meta)

    def test_unknown_key(self):
        ckpt = build("gpt_neox")
        self.edit_weights(ckpt, lambda t: t.__setitem__("model.gpt_neox.layers.0.attention.extra.weight", np.zeros(2, np.float32)))
        self.assertIn("unknown key model.gpt_neox.layers.0.attention.extra.weight", self.cli(ckpt))

    def test_codebook_at_unconfigured_site(self):
        ckpt = build("gpt2", codebook_at="mlp")
        self.edit_weights(ckpt, lambda t: t.__setitem__("model.transformer.h.1.attn.codebook_layer.codebook.weight",
                                                        np.zeros((16, 16), np.float32)))
        self.assertIn("no codebook configured at layer 1 for module path 'attn'", self.cli(ckpt))

    def test_missing_tensor(self):
        ckpt = build("gpt2", codebook_at="mlp")
        self.edit_weights(ckpt, lambda t: t.pop("model.transformer.h.1.ln_2.bias"))
        self.assertIn("missing tensor model.transformer.h.1.ln_2.bias, expected shape [16]", self.cli(ckpt))

    def test_missing_codebook_group(self):
        ckpt = build("gpt_neo", codebook_at="attn_preproj")
        self.edit_weights(ckpt, lambda t: t.pop("model.transformer.h.0.attn.attention.codebook_layer.codebook.3.ln.bias"))
        msg = self.cli(ckpt)
        self.assertIn("missing tensor model.transformer.h.0.attn.attention.codebook_layer.codebook.3.ln.bias", msg)
        self.assertIn("expected shape [4]", msg)

    def test_wrong_shapes(self):
        ckpt = build("gpt2", codebook_at="mlp")
        key = "model.transformer.h.0.attn.c_attn.weight"
        self.edit_weights(ckpt, lambda t: t.__setitem__(key, np.ascontiguousarray(t[key].T)))
        self.assertIn(key + ": shape [48, 16], expected [16, 48] (Conv1D [d_model, 3*d_model])", self.cli(ckpt))
        ckpt = build("gpt_neox", codebook_at="mlp", num_codes=16)
        key = "model.gpt_neox.layers.1.mlp.codebook_layer.codebook.weight"
        self.edit_weights(ckpt, lambda t: t.__setitem__(key, t[key][:10]))
        self.assertIn(key + ": shape [10, 16], expected [16, 16]", self.cli(ckpt))

    def test_vanilla_key_for_grouped_codebook(self):
        ckpt = build("gpt_neox", codebook_at="mlp")
        cfg = json.loads((ckpt / "config.json").read_text())
        cfg.update(codebook_type=["group"], num_codebooks=[2])
        (ckpt / "config.json").write_text(json.dumps(cfg))
        self.assertIn("is grouped (2 groups) but the key has no .codebook.{g} level", self.cli(ckpt))

    def test_unsupported_configs(self):
        ckpt = build("gpt_neo", codebook_at="mlp")
        cfg = json.loads((ckpt / "config.json").read_text())
        (ckpt / "config.json").write_text(json.dumps(dict(cfg, codebook_at=["qkv"])))
        self.assertIn("site qkv is not supported for gpt_neo", self.cli(ckpt))
        base = json.loads((ckpt / "base" / "config.json").read_text())
        (ckpt / "base" / "config.json").write_text(json.dumps(dict(base, model_type="llama")))
        self.assertIn("model_type 'llama' is not supported", self.cli(ckpt))
        ckpt = build("gpt_neox", codebook_at="mlp")
        base = json.loads((ckpt / "base" / "config.json").read_text())
        (ckpt / "base" / "config.json").write_text(json.dumps(dict(base, rope_scaling={"type": "linear", "factor": 2})))
        self.assertIn("rope_scaling", self.cli(ckpt))
        self.assertIn("--codebook-dtype", subprocess.run([sys.executable, CONVERT, str(ckpt), "-o", "x", "--codebook-dtype",
                                                          "q4"], capture_output=True, text=True).stderr)

    def test_tied_head_that_differs(self):
        ckpt = build("gpt2", codebook_at="mlp", formats=("bin",))
        import torch
        sd = torch.load(ckpt / "pytorch_model.bin")
        sd["model.lm_head.weight"] = sd["model.lm_head.weight"].clone() + 1
        torch.save(sd, ckpt / "pytorch_model.bin")
        self.assertIn("model.lm_head.weight differs from the input embedding", self.cli(ckpt))

    def test_ignored_buffers_and_counts(self):
        ckpt = build("gpt_neox", codebook_at=("attn_preproj", "attn"))
        self.edit_weights(ckpt, lambda t: t.__setitem__(
            "model.gpt_neox.layers.0.attention.module_layer.codebook_layer.codebook.1.counts", np.zeros(16, np.int64)))
        names = set(safetensors_io.load(ckpt / "model.safetensors")[0])
        self.assertIn("model.gpt_neox.layers.0.attention.module_layer.rotary_emb.inv_freq", names)
        self.assertIn("model.gpt_neox.layers.0.attention.module_layer.masked_bias", names)
        ConvertAgainstCheckpoint.check(ConvertAgainstCheckpoint(), ckpt)

    def test_missing_inputs(self):
        ckpt = build("gpt2", codebook_at="mlp")
        os.remove(ckpt / "model.safetensors")
        self.assertIn("no model.safetensors or pytorch_model.bin", self.cli(ckpt))
        self.assertIn("base config not found", self.cli(ckpt, "--base-config", str(ckpt / "nope.json")))
        ckpt = build("gpt2", codebook_at="mlp")
        os.remove(ckpt / "vocab.json")
        self.assertIn("no tokenizer.json or vocab.json + merges.txt", self.cli(ckpt))


if __name__ == "__main__":
    unittest.main()
