"""The whole chain for every family and both weight formats: a checkpoint in the exact
codebook-features layout (built by the Python reference) -> tools/python/convert.py -> `cbk generate
--json` (greedy) must reproduce the reference's generated tokens and every code id.

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


def checkpoint(family):
    from cbk_reference import build_random_checkpoint
    path = os.path.join(WORK, family)
    shutil.rmtree(path, ignore_errors=True)
    build_random_checkpoint(path, family, codebook_at=("attn_preproj", "mlp"), formats=("safetensors", "bin"),
                            num_codes=32, k_codebook=2, seed=11, tokenizer="bytebpe", d_model=32, n_layers=2,
                            d_mlp=64, max_positions=32, **FAMILY_SHAPES[family])
    return path


class ConvertThenGenerate(unittest.TestCase):
    def test_every_family_and_weight_format_reproduces_the_reference(self):
        from cbk_reference import golden
        for family in FAMILY_SHAPES:
            ckpt = checkpoint(family)
            for fmt in ("safetensors", "bin"):
                with self.subTest(family=family, weights=fmt):
                    model = os.path.join(WORK, "%s-%s.cbk" % (family, fmt))
                    conv = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "python", "convert.py"), ckpt,
                                           "-o", model, "--prefer", fmt], capture_output=True, text=True)
                    self.assertEqual(conv.returncode, 0, conv.stderr)
                    want = golden.run(ckpt, PROMPT, greedy=NEW_TOKENS, prefer=fmt)
                    out = subprocess.run(CBK + ["generate", model, "--prompt-ids", ",".join(map(str, PROMPT)),
                                                "-n", str(NEW_TOKENS), "--temp", "0", "--ignore-eos", "--json"],
                                         capture_output=True, text=True, timeout=120)
                    self.assertEqual(out.returncode, 0, out.stderr)
                    got = json.loads(out.stdout)
                    self.assertEqual(got["tokens"], want["tokens"])
                    mine = {(c["layer"], c["site"], c["group"]): c["ids"] for c in got["codes"]}
                    self.assertEqual(len(mine), len(want["codes"]))
                    for c in want["codes"]:
                        self.assertEqual(mine[(c["layer"], c["site"], c["group"])], c["ids"],
                                         "%s layer %d %s group %d" % (family, c["layer"], c["site"], c["group"]))


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
