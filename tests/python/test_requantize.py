"""tools/python/requantize.py and cbkfile.rewrite: a .cbk read back into a writer and written again.

The identity checks compare bytes with files written by other code (the converter's parity cases, the
trained TokFSM model), so a field the rewrite forgets shows up as a byte difference."""
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "python"))

from cbkfile.reader import read_cbk  # noqa: E402
from cbkfile.rewrite import load_as_writer, set_storage  # noqa: E402

TOOL = ROOT / "tools" / "python" / "requantize.py"
CASES = ROOT / "tests" / "parity" / "cases"


class RewriteIdentity(unittest.TestCase):
    def test_converter_files_come_back_byte_for_byte(self):
        # f32 converter output: every case of one family (all sites, both tokenizers, steering
        # models, the padded vocabulary, the schema-1.1 GPT-2 option).
        names = sorted(p.name for p in CASES.glob("*.cbk"))
        self.assertGreater(len(names), 100)
        for name in names[::7] + ["gpt2-invlayer.cbk", "pad-gpt_neox.cbk", "steer-gpt_neo.cbk"]:
            with self.subTest(name):
                w, lossy = load_as_writer(str(CASES / name))
                self.assertEqual(lossy, [])
                self.assertEqual(w.to_bytes(), (CASES / name).read_bytes())

    def test_tokfsm_with_annotations_and_extras_comes_back_byte_for_byte(self):
        path = ROOT / "models" / "tokfsm.cbk"
        w, _ = load_as_writer(str(path))
        self.assertGreater(len(w.annotations), 0)
        self.assertGreater(len(w.extras), 0)
        self.assertEqual(w.to_bytes(), path.read_bytes())


class Requantize(unittest.TestCase):
    def run_tool(self, src, dst, *args):
        return subprocess.run([sys.executable, str(TOOL), str(src), "-o", str(dst), *args],
                              capture_output=True, text=True)

    def test_exact_int8_codebooks_and_int8_weights(self):
        src = CASES / "steer-gpt2.cbk"
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "q.cbk"
            r = self.run_tool(src, out, "--codebook-dtype", "int8", "--weight-dtype", "int8")
            self.assertEqual(r.returncode, 0, r.stderr)
            a, b = read_cbk(str(src)), read_cbk(str(out))
            w, lossy = load_as_writer(str(out))
            # Exact codebooks read back as the f32 originals; the weights only as their int8 values.
            for ca, cb_ in zip(a.codebooks, w.codebooks):
                for g, grp in enumerate(cb_.group_data):
                    self.assertEqual(grp["codes"].dtype, "f32")
                    np.testing.assert_array_equal(np.frombuffer(grp["codes"].data, "<f4").reshape(ca.codes[g].shape),
                                                  ca.codes[g])
            self.assertTrue(all(n in lossy for n in ("tok_embed", "layers.0.attn.qkv.weight")))
            self.assertNotIn("layers.0.ln1.weight", lossy)
            # int8 rows: |error| <= half a step of the row's scale (max |row| / 127).
            for name in ("tok_embed", "layers.1.mlp.down.weight"):
                x, y = a.tensors[name], b.tensors[name]
                step = np.abs(x).max(axis=1, keepdims=True) / 127
                self.assertTrue(np.all(np.abs(x - y) <= 0.5 * step * (1 + 1e-5) + 1e-12), name)
            np.testing.assert_array_equal(a.tensors["layers.0.ln1.bias"], b.tensors["layers.0.ln1.bias"])

    def test_lossy_table_has_no_originals_and_f16_weights(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "q.cbk"
            r = self.run_tool(CASES / "gpt_neox-mlp-g-ip-k8.cbk", out, "--codebook-dtype", "f16-lossy",
                              "--weight-dtype", "f16")
            self.assertEqual(r.returncode, 0, r.stderr)
            w, lossy = load_as_writer(str(out))
            self.assertTrue(all("exact_codes" not in g for cb in w.codebooks for g in cb.group_data))
            self.assertTrue(any(".codes" in n for n in lossy))
            self.assertEqual(w.metadata["extra"]["codebook_dtype"], "f16-lossy")
            self.assertEqual(w.metadata["extra"]["weight_dtype"], "f16")

    def test_not_a_model_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / "bad.cbk"
            bad.write_bytes(b"\0" * 64)
            r = self.run_tool(bad, Path(tmp) / "out.cbk")
            self.assertEqual(r.returncode, 1)
            self.assertIn("is not a .cbk file", r.stderr)


if __name__ == "__main__":
    unittest.main()
