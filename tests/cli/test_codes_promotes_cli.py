"""`cbk codes ... --promotes N`: the tokens a code promotes most equal the top of the numpy goldens
that tests/api/make_code_effects.py computes independently (code_effects.txt, every fixture family
and codebook dtype), with and without a corpus; qkv codes fail with one line naming the reason.

Run by ctest as: python3 test_codes_promotes_cli.py CBK_COMMAND... -- MODELS_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

CBK = []
MODELS = ""
TOP = 6


def run(*args):
    return subprocess.run(CBK + list(args), capture_output=True, text=True, errors="replace", timeout=120)


def goldens():
    """{(model, codebook, group, code): logits or None for unsupported}"""
    out = {}
    with open(os.path.join(MODELS, "code_effects.txt")) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "vector":
                continue
            key = (parts[1], int(parts[2]), int(parts[3]), int(parts[4]))
            out[key] = None if parts[0] == "unsupported" else [float(v) for v in parts[6:]]
    return out


def codebooks(model):
    r = run("info", os.path.join(MODELS, model + ".cbk"), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["codebooks"]


class Promotes(unittest.TestCase):
    def test_top_tokens_equal_the_goldens(self):
        cases = goldens()
        infos = {m: codebooks(m) for m in {k[0] for k in cases}}
        checked = 0
        for (model, book, group, code), logits in cases.items():
            cb = infos[model][book]
            args = ["codes", os.path.join(MODELS, model + ".cbk"), "--layer", str(cb["layer"]), "--site", cb["site"],
                    "--group", str(group), "--code", str(code), "--promotes", str(TOP), "--json"]
            r = run(*args)
            if logits is None:
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("qkv", r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1)
                continue
            self.assertEqual(r.returncode, 0, r.stderr)
            got = json.loads(r.stdout)["promotes"]
            want = sorted(range(len(logits)), key=lambda t: (-logits[t], t))[:TOP]
            # Equal ids unless two goldens are closer than the float32 error.
            for rank, (g, t) in enumerate(zip(got, want)):
                if g["token"] != t:
                    self.assertAlmostEqual(logits[g["token"]], logits[t], delta=1e-4, msg="%s rank %d" % (args, rank))
                self.assertAlmostEqual(g["logit"], logits[g["token"]], delta=1e-4 * (1 + abs(logits[t])))
            self.assertEqual(len(got), TOP)
            checked += 1
        self.assertGreater(checked, 40)

    def test_with_a_corpus_the_contexts_come_too(self):
        model = os.path.join(MODELS, "effects_gpt2.cbk")
        corpus = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        corpus.write("the cat sat")
        corpus.close()
        cb = codebooks("effects_gpt2")[1]
        r = run("codes", model, "--layer", str(cb["layer"]), "--site", cb["site"], "--group", "0", "--code", "2",
                corpus.name, "--promotes", "3", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertIn("contexts", out)
        self.assertEqual(len(out["promotes"]), 3)
        r = run("codes", model, "--layer", str(cb["layer"]), "--site", cb["site"], "--group", "0", "--code", "2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--promotes", r.stderr)


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK = sys.argv[1:sep]
    MODELS = sys.argv[sep + 1]
    unittest.main(argv=sys.argv[:1])
