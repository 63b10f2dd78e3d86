"""`cbk info` end to end: valid JSON matching the file as an independent reader sees it, and a
clean one-line failure (never a crash or hang) on damaged copies.

Run by ctest as: python3 test_info_cli.py CBK_COMMAND... -- MODEL.cbk
(CBK_COMMAND may be prefixed by an emulator such as qemu-aarch64 or node.)
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "python"))
from cbkfile import schema_module  # noqa: E402

CBK = []
MODEL = ""


def run(*args, timeout=60):
    return subprocess.run(CBK + list(args), capture_output=True, text=True, timeout=timeout)


def read_with_python(path):
    """Reads the header with the flatc-generated Python classes (no C++ involved)."""
    fb = schema_module.load()
    blob = open(path, "rb").read()
    model = fb.Model.Model.GetRootAs(blob, 4)
    arch = model.Architecture()
    shapes = [[model.Tensors(i).Shape(j) for j in range(model.Tensors(i).ShapeLength())]
              for i in range(model.TensorsLength())]
    codebooks = []
    for i in range(model.CodebooksLength()):
        cb = model.Codebooks(i)
        codebooks.append((cb.Layer(), cb.Groups(), cb.Codes(), cb.Dim(), cb.K()))
    return blob, model, arch, shapes, codebooks


class InfoJson(unittest.TestCase):
    def test_json_matches_an_independent_reading_of_the_file(self):
        result = run("info", MODEL, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        info = json.loads(result.stdout)  # must be valid JSON
        blob, model, arch, shapes, codebooks = read_with_python(MODEL)
        self.assertEqual(info["file"]["size"], len(blob))
        self.assertEqual(info["architecture"]["d_model"], arch.DModel())
        self.assertEqual(info["architecture"]["n_layers"], arch.NLayers())
        self.assertEqual(info["architecture"]["vocab_size"], arch.VocabSize())
        base_params = sum(int(__import__("math").prod(s)) for s in shapes)
        p = info["parameters"]
        self.assertEqual(p["total"] - p["codebooks"], base_params)
        self.assertEqual([(c["layer"], c["groups"], c["codes"], c["dim"], c["k"]) for c in info["codebooks"]],
                         codebooks)
        cb_params = sum(g * (c * d + 2 * d) for (_, g, c, d, _) in codebooks)
        self.assertEqual(p["codebooks"], cb_params)
        self.assertTrue(info["verification"]["ok"])
        self.assertTrue(info["verification"]["data_crc_checked"])

    def test_text_output_names_the_architecture(self):
        result = run("info", MODEL)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("architecture:", result.stdout)
        self.assertIn("codebooks:", result.stdout)

    def test_attention_scale_per_layer(self):
        # the default model (1/sqrt(head_dim)), and two parity cases with GPT-2's inverse-layer scaling
        cases = os.path.join(HERE, "..", "parity", "cases")
        for path in (MODEL, os.path.join(cases, "gpt2-invlayer.cbk"), os.path.join(cases, "gpt2-invlayer-noscale.cbk")):
            with self.subTest(model=os.path.basename(path)):
                info = json.loads(run("info", path, "--json").stdout)
                _, model, arch, _, _ = read_with_python(path)
                inverse, scaled = arch.ScaleAttentionByInverseLayer(), arch.ScaleAttention()
                a = info["architecture"]
                self.assertEqual((a["scale_attention"], a["scale_attention_by_inverse_layer"]), (scaled, inverse))
                want = [(arch.HeadDim() ** -0.5 if scaled else 1.0) / (layer + 1 if inverse else 1)
                        for layer in range(arch.NLayers())]
                for got, expected in zip(a["attention_scale"], want):
                    self.assertAlmostEqual(got, expected, delta=1e-7)
                self.assertEqual(len(a["attention_scale"]), arch.NLayers())
                self.assertEqual(info["file"]["schema_version"], "1.%d" % model.SchemaMinor())
                self.assertEqual(model.SchemaMinor(), 1 if inverse else 0)
                text = run("info", path).stdout
                self.assertEqual("1/(layer+1)" in text, inverse)


class DamagedFiles(unittest.TestCase):
    def check_rejected(self, blob, label):
        with tempfile.NamedTemporaryFile(suffix=".cbk", delete=False) as f:
            f.write(blob)
            path = f.name
        try:
            result = run("info", path, timeout=30)  # a hang fails through TimeoutExpired
        finally:
            os.unlink(path)
        self.assertEqual(result.returncode, 1, "%s: exit %d, stderr %r" % (label, result.returncode, result.stderr))
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, "%s: %r" % (label, result.stderr))
        self.assertTrue(lines[0].startswith("cbk info: "), lines[0])
        self.assertEqual(result.stdout, "")

    def test_truncated_copies_fail_cleanly(self):
        blob = open(MODEL, "rb").read()
        for cut in (0, 3, 11, 12, 100, 4000, len(blob) // 2, len(blob) - 1):
            self.check_rejected(blob[:cut], "truncated at %d" % cut)

    def test_randomly_corrupted_copies_fail_cleanly(self):
        blob = open(MODEL, "rb").read()
        rng = random.Random(7)
        for i in range(24):
            damaged = bytearray(blob)
            # Half the cases hit the header region, where structure checks matter most.
            span = min(len(blob), 16384) if i % 2 else len(blob)
            at = rng.randrange(span - 4)
            for j in range(rng.randint(1, 4)):
                damaged[at + j] ^= rng.randint(1, 255)
            self.check_rejected(bytes(damaged), "damage at %d" % at)


class Usage(unittest.TestCase):
    def test_usage_errors_exit_2(self):
        for args in ([], ["frobnicate"], ["info"], ["info", MODEL, "--bogus"], ["info", MODEL, MODEL]):
            result = run(*args)
            self.assertEqual(result.returncode, 2, "%r -> %d" % (args, result.returncode))
            self.assertIn("usage", result.stderr)

    def test_missing_file_is_a_failure_not_a_usage_error(self):
        result = run("info", "/nonexistent/model.cbk")
        self.assertEqual(result.returncode, 1)
        self.assertIn("io_error", result.stderr)


if __name__ == "__main__":
    split = sys.argv.index("--")
    CBK = sys.argv[1:split]
    MODEL = sys.argv[split + 1]
    unittest.main(argv=[sys.argv[0], "-v"])
