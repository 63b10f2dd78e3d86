"""The whole chain for every family and both weight formats: a checkpoint in the exact
codebook-features layout (built by the Python reference) -> tools/python/convert.py -> `cbk generate
--json` (greedy) must reproduce the reference's generated tokens and every code id. Also a GPT-2
with scale_attn_by_inverse_layer_idx (and reorder_and_upcast_attn), and a padded vocabulary whose
greedy run picks padding ids (the printed text must equal the reference tokenizer's decoding).

Run by ctest as: python3 test_convert_generate.py CBK_COMMAND... -- WORK_DIR
Exits 77 (skipped) when torch, which the reference needs, is not installed.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "python"))

CBK = []
WORK = ""
PROMPT = [5, 17, 3, 101, 64, 9]
NEW_TOKENS = 6
FAMILY_SHAPES = {
    "gpt_neox": dict(n_heads=4, rotary_pct=0.25),   # head_dim 8: 2 rotary dims
    "gpt2": dict(n_heads=4),
    "gpt_neo": dict(n_heads=4, window_size=4),      # a local layer narrower than the sequence
}


def checkpoint(family, name=None, **kw):
    from cbk_reference import build_random_checkpoint
    path = os.path.join(WORK, name or family)
    shutil.rmtree(path, ignore_errors=True)
    args = dict(codebook_at=("attn_preproj", "mlp"), formats=("safetensors", "bin"), num_codes=32, k_codebook=2,
                seed=11, tokenizer="bytebpe", d_model=32, n_layers=2, d_mlp=64, max_positions=32,
                **FAMILY_SHAPES[family])
    args.update(kw)
    build_random_checkpoint(path, family, **args)
    return path


def cbk_generate(model, *extra, text=True):
    return subprocess.run(CBK + ["generate", model, "--prompt-ids", ",".join(map(str, PROMPT)), "-n", str(NEW_TOKENS),
                                 "--temp", "0", "--ignore-eos"] + list(extra), capture_output=True, text=text,
                          timeout=120)


class ConvertThenGenerate(unittest.TestCase):
    def convert(self, ckpt, model, fmt="safetensors"):
        conv = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "python", "convert.py"), ckpt,
                               "-o", model, "--prefer", fmt], capture_output=True, text=True)
        self.assertEqual(conv.returncode, 0, conv.stderr)

    def check_reproduces_reference(self, ckpt, model, fmt="safetensors"):
        """Converts ckpt, runs cbk generate --json greedily; returns (cbk's JSON, the reference's run)."""
        from cbk_reference import golden
        self.convert(ckpt, model, fmt)
        want = golden.run(ckpt, PROMPT, greedy=NEW_TOKENS, prefer=fmt)
        out = cbk_generate(model, "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        got = json.loads(out.stdout)
        self.assertEqual(got["tokens"], want["tokens"])
        mine = {(c["layer"], c["site"], c["group"]): c["ids"] for c in got["codes"]}
        self.assertEqual(len(mine), len(want["codes"]))
        for c in want["codes"]:
            self.assertEqual(mine[(c["layer"], c["site"], c["group"])], c["ids"],
                             "layer %d %s group %d" % (c["layer"], c["site"], c["group"]))
        return got, want

    def test_every_family_and_weight_format_reproduces_the_reference(self):
        for family in FAMILY_SHAPES:
            ckpt = checkpoint(family)
            for fmt in ("safetensors", "bin"):
                with self.subTest(family=family, weights=fmt):
                    self.check_reproduces_reference(ckpt, os.path.join(WORK, "%s-%s.cbk" % (family, fmt)), fmt)

    def test_gpt2_scale_attn_by_inverse_layer_idx(self):
        for scaled in (True, False):
            with self.subTest(scale_attn_weights=scaled):
                ckpt = checkpoint("gpt2", "gpt2-invlayer", n_layers=3, scale_attn_by_inverse_layer_idx=True,
                                  scale_attn_weights=scaled, reorder_and_upcast_attn=not scaled)
                model = os.path.join(WORK, "gpt2-invlayer-%d.cbk" % scaled)
                self.check_reproduces_reference(ckpt, model)
                info = json.loads(subprocess.run(CBK + ["info", model, "--json"], capture_output=True, text=True,
                                                 timeout=60).stdout)
                self.assertTrue(info["architecture"]["scale_attention_by_inverse_layer"])
                self.assertEqual(info["file"]["schema_version"], "1.1")
                # The reference's (independent) flag off must give other tokens or codes: the option matters.
                plain = checkpoint("gpt2", "gpt2-plain", n_layers=3, scale_attn_weights=scaled)
                self.convert(plain, os.path.join(WORK, "gpt2-plain.cbk"))
                other = json.loads(cbk_generate(os.path.join(WORK, "gpt2-plain.cbk"), "--json").stdout)
                got = json.loads(cbk_generate(model, "--json").stdout)
                self.assertNotEqual((other["tokens"], other["codes"]), (got["tokens"], got["codes"]))

    def test_padded_vocabulary_greedy_run_reaches_padding_ids_and_prints_its_text(self):
        from cbk_reference.tokenizer_files import decode_ids, read_id_to_token
        for family in ("gpt_neox", "gpt2"):
            with self.subTest(family=family):
                # 273 tokens in 1024 rows: greedy decoding on random weights picks padding ids
                ckpt = checkpoint(family, family + "-padded", vocab_size=1024, formats=("safetensors",))
                model = os.path.join(WORK, family + "-padded.cbk")
                got, want = self.check_reproduces_reference(ckpt, model)
                new = want["tokens"][len(PROMPT):]
                self.assertTrue(any(t >= 273 for t in new), "the greedy run never reached a padding id: %s" % new)
                text = decode_ids(read_id_to_token(ckpt), want["tokens"], 1024)
                raw = cbk_generate(model, text=False)
                self.assertEqual(raw.returncode, 0, raw.stderr)
                self.assertEqual(raw.stdout, text + b"\n")

    def test_k_up_to_128_reproduces_the_reference_and_129_is_refused(self):
        # The paper's TokFSM ablation goes up to k = 128 (simd::kMaxTopK): 160 codes per codebook.
        for k in (64, 65, 127, 128):
            with self.subTest(k=k):
                ckpt = checkpoint("gpt_neox", "k%d" % k, num_codes=160, k_codebook=k, formats=("safetensors",))
                got, _ = self.check_reproduces_reference(ckpt, os.path.join(WORK, "k%d.cbk" % k))
                self.assertTrue(all(len(row) == k for c in got["codes"] for row in c["ids"]))
        ckpt = checkpoint("gpt_neox", "k129", num_codes=160, k_codebook=129, formats=("safetensors",))
        model = os.path.join(WORK, "k129.cbk")
        self.convert(ckpt, model)  # the file format allows any k <= codes; the engine refuses it
        out = cbk_generate(model)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("k = 129 exceeds the kernel limit of 128", out.stderr)


if __name__ == "__main__":
    split = sys.argv.index("--")
    CBK = sys.argv[1:split]
    WORK = sys.argv[split + 1]
    os.makedirs(WORK, exist_ok=True)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is not installed: the Python reference cannot run; skipped")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0], "-v"])
