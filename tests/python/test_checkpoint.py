"""Checkpoint files: safetensors bytes, reference key names (semantics doc §3.2), tied weights,
buffers, loader errors, and both weight formats giving the same model."""

import json
import struct
import unittest

import numpy as np
import torch

from cbk_test_helpers import PROMPT, build, tmpdir
from cbk_reference import full_forward, load_checkpoint
from cbk_reference import safetensors_io
from cbk_reference.checkpoint import read_weights


class SafetensorsBytes(unittest.TestCase):
    def test_byte_layout_by_hand(self):
        blob = safetensors_io.encode({"a": np.array([1.0, 2.0], np.float32), "b": np.array([[7, 8, 9]], np.uint8)})
        (n,) = struct.unpack("<Q", blob[:8])
        self.assertEqual(n % 8, 0)  # header padded with spaces
        header = json.loads(blob[8:8 + n])
        self.assertEqual(header["a"], {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})
        self.assertEqual(header["b"], {"dtype": "U8", "shape": [1, 3], "data_offsets": [8, 11]})
        self.assertEqual(blob[8 + n:], struct.pack("<2f", 1.0, 2.0) + bytes([7, 8, 9]))
        self.assertEqual(blob[8:8 + n].decode().rstrip(" ")[-1], "}")

    def test_round_trip_with_metadata_and_scalars(self):
        t = {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "s": np.array(-1e9, np.float32),
             "m": np.tril(np.ones((3, 3), bool))}
        got, meta = safetensors_io.decode(safetensors_io.encode(t, {"format": "pt"}))
        self.assertEqual(meta, {"format": "pt"})
        for k in t:
            self.assertEqual(got[k].dtype, t[k].dtype)
            np.testing.assert_array_equal(got[k], t[k])

    def test_corrupt_files_are_rejected(self):
        blob = safetensors_io.encode({"a": np.zeros(4, np.float32)})
        with self.assertRaises(ValueError):
            safetensors_io.decode(blob[:-1])
        with self.assertRaises(ValueError):
            safetensors_io.decode(struct.pack("<Q", 10 ** 6) + blob[8:])


class KeyNames(unittest.TestCase):
    def keys(self, family, **kw):
        d, _ = build(family, **kw)
        return read_weights(d), d

    def test_neox_attn_preproj_group_and_mlp_vanilla(self):
        w, _ = self.keys("gpt_neox", num_codes=10)
        p = "model.gpt_neox.layers.1"
        self.assertEqual(w[f"{p}.attention.codebook_layer.codebook.3.codebook.weight"].shape, (10, 8))
        self.assertIn(f"{p}.attention.codebook_layer.codebook.3.ln.bias", w)
        self.assertIn(f"{p}.attention.query_key_value.weight", w)
        self.assertIn(f"{p}.attention.dense.bias", w)
        self.assertIn(f"{p}.mlp.module_layer.dense_h_to_4h.weight", w)
        self.assertEqual(w[f"{p}.mlp.codebook_layer.codebook.weight"].shape, (10, 32))
        self.assertIn(f"{p}.mlp.codebook_layer.ln.weight", w)
        self.assertIn("model.embed_out.weight", w)
        self.assertIn("model.gpt_neox.final_layer_norm.weight", w)
        self.assertEqual(w[f"{p}.attention.rotary_emb.inv_freq"].shape, (1,))  # buffer: 8 * 0.25 / 2

    def test_gpt_neo_attn_preproj(self):
        w, _ = self.keys("gpt_neo")
        a = "model.transformer.h.0.attn.attention"
        self.assertIn(f"{a}.codebook_layer.codebook.0.codebook.weight", w)
        for n in ("q_proj.weight", "k_proj.weight", "v_proj.weight", "out_proj.weight", "out_proj.bias"):
            self.assertIn(f"{a}.{n}", w)
        self.assertNotIn(f"{a}.q_proj.bias", w)
        self.assertEqual(w[f"{a}.bias"].dtype, np.uint8)

    def test_gpt2_wrappers(self):
        w, _ = self.keys("gpt2", codebook_at=["qkv", "attn", "mlp_mid"], layers_to_snap=[0])
        h = "model.transformer.h.0"
        self.assertIn(f"{h}.attn.module_layer.c_proj.weight", w)
        self.assertIn(f"{h}.attn.codebook_layer.codebook.weight", w)
        self.assertIn(f"{h}.attn.module_layer.c_attn.module_layer.weight", w)  # qkv wrapped inside attn
        self.assertIn(f"{h}.attn.module_layer.c_attn.codebook_layer.codebook.2.codebook.weight", w)  # 3 groups
        self.assertIn(f"{h}.mlp.act.codebook_layer.codebook.weight", w)
        self.assertIn(f"{h}.attn.module_layer.bias", w)
        self.assertIn("model.transformer.h.1.attn.c_attn.weight", w)  # layer 1 has no codebooks
        self.assertEqual(w[f"{h}.attn.module_layer.c_attn.module_layer.weight"].shape, (32, 96))  # Conv1D [in, out]

    def test_block_level_sites(self):
        w, _ = self.keys("gpt2", codebook_at=["attn_plus_mlp", "transformer_block"], codebook_type="vanilla")
        h = "model.transformer.h.0"
        self.assertIn(f"{h}.module_layer.codebook_layer.codebook.weight", w)  # attn_plus_mlp, then wrapped
        self.assertIn(f"{h}.codebook_layer.codebook.weight", w)  # transformer_block
        self.assertIn(f"{h}.module_layer.ln_1.weight", w)

    def test_neox_qkv_group_count(self):
        w, _ = self.keys("gpt_neox", codebook_at=["qkv"], codebook_type="group", num_codebooks=-1)
        self.assertIn("model.gpt_neox.layers.0.attention.query_key_value.codebook_layer.codebook.11.codebook.weight", w)
        self.assertNotIn("model.gpt_neox.layers.0.attention.query_key_value.codebook_layer.codebook.12.ln.bias", w)

    def test_orders_the_reference_gets_wrong_are_refused(self):
        for at in (["mlp", "mlp_mid"], ["transformer_block", "mlp"], ["qkv", "attn_preproj"], ["attn", "qkv"],
                   ["attn_preproj", "attn_plus_mlp"]):
            with self.subTest(order=at), self.assertRaises(ValueError):
                build("gpt2", codebook_at=at, codebook_type="vanilla")

    def test_tied_embeddings_twice_in_bin_once_in_safetensors(self):
        d, _ = build("gpt2", formats=("safetensors", "bin"))
        st = read_weights(d, "safetensors")
        sd = torch.load(d / "pytorch_model.bin")
        self.assertNotIn("model.lm_head.weight", st)
        self.assertEqual(sd["model.lm_head.weight"].data_ptr(), sd["model.transformer.wte.weight"].data_ptr())
        self.assertEqual(set(sd) - set(st), {"model.lm_head.weight"})

    def test_configs(self):
        d, m = build("gpt_neo", n_layers=3, window_size=5, ln_eps=1e-6)
        base = json.loads((d / "base" / "config.json").read_text())
        cb = json.loads((d / "config.json").read_text())
        self.assertEqual((base["model_type"], base["attention_layers"], base["window_size"]),
                         ("gpt_neo", ["global", "local", "global"], 5))
        self.assertEqual(m.base.ln_eps, 1e-6)
        self.assertEqual(cb["model_type"], "codebook")
        self.assertEqual(cb["num_codebooks"], [4, 1])  # -1 replaced by the head count before saving
        self.assertEqual(cb["layers_to_snap"], [0, 1, 2])
        self.assertTrue((d / "vocab.json").exists() and (d / "merges.txt").exists())


class Loader(unittest.TestCase):
    def test_bin_and_safetensors_load_the_same_model(self):
        for fam in ("gpt_neox", "gpt2", "gpt_neo"):
            with self.subTest(family=fam):
                d, m1 = build(fam, formats=("safetensors", "bin"), seed=9)
                m2 = load_checkpoint(d, prefer="bin")
                torch.testing.assert_close(full_forward(m1, PROMPT)[0], full_forward(m2, PROMPT)[0], atol=0, rtol=0)

    def test_errors(self):
        d, _ = build("gpt_neox", include_buffers=False)
        good = read_weights(d)
        cases = {
            "unknown": dict(good, **{"model.gpt_neox.layers.0.attention.mystery": np.zeros(1, np.float32)}),
            "missing": {k: v for k, v in good.items() if not k.endswith("mlp.codebook_layer.ln.bias")},
            "shape": dict(good, **{"model.gpt_neox.layers.0.mlp.codebook_layer.codebook.weight": np.zeros((3, 3), np.float32)}),
        }
        for name, tensors in cases.items():
            with self.subTest(case=name):
                safetensors_io.save(d / "model.safetensors", tensors)
                with self.assertRaises((KeyError, ValueError)):
                    load_checkpoint(d)
        extra = dict(good, **{"model.gpt_neox.layers.0.attention.codebook_layer.codebook.0.counts": np.zeros(16, np.int64)})
        safetensors_io.save(d / "model.safetensors", extra)
        load_checkpoint(d)  # obsolete `counts` entries are ignored


class PaddedVocabulary(unittest.TestCase):
    """More embedding rows than tokens (Pythia: 50,277 tokens in 50,304 rows)."""

    def test_rows_logits_and_special_ids(self):
        for fam in ("gpt_neox", "gpt2"):
            with self.subTest(family=fam):
                d, model = build(fam, vocab_size=300, seed=4)
                base = json.loads((d / "base" / "config.json").read_text())
                self.assertEqual((base["vocab_size"], base["eos_token_id"], base["bos_token_id"]), (300, 272, 272))
                self.assertEqual(tuple(full_forward(model, PROMPT)[0].shape), (len(PROMPT), 300))
                with self.assertRaises(ValueError):
                    build(fam, vocab_size=200)

    def test_decode_skips_padding_ids_like_hf_tokenizers(self):
        from cbk_reference.tokenizer_files import byte_bpe_vocab, decode_ids, read_id_to_token
        vocab, _ = byte_bpe_vocab()
        for fam in ("gpt_neox", "gpt2"):  # tokenizer.json / vocab.json
            with self.subTest(family=fam):
                d, _ = build(fam, vocab_size=300)
                id_to_token = read_id_to_token(d)
                ids = [vocab["Ġthe"], 299, vocab["Ġw"], 273, vocab["<|endoftext|>"], vocab["\u00c3"], vocab["\u00a9"]]
                self.assertEqual(decode_ids(id_to_token, ids, 300), " the w<|endoftext|>\u00e9".encode())
                self.assertEqual(decode_ids(id_to_token, [vocab["\u00c3"]], 300), b"\xc3")  # half a character
                for bad in (300, -1):
                    with self.assertRaises(ValueError):
                        decode_ids(id_to_token, [1, bad], 300)


if __name__ == "__main__":
    unittest.main()
