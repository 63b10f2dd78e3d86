"""`cbk generate` end to end: --json codes equal the Python reference's golden ids, steering flags
reach the engine, sampling is reproducible, and errors are one line with exit 1 (usage: exit 2).

Run by ctest as: python3 test_generate_cli.py CBK_COMMAND... -- PARITY_CASES_DIR ENGINE_MODELS_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

CBK = []
CASES = ""
MODELS = ""


def run(*args):
    return subprocess.run(CBK + ["generate"] + list(args), capture_output=True, text=True, errors="replace", timeout=120)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def generate_json(*args):
    r = run(*args, "--json")
    if r.returncode != 0:
        raise AssertionError("cbk generate failed: " + r.stderr)
    return json.loads(r.stdout)


class GoldenIds(unittest.TestCase):
    def test_prompt_codes_match_reference(self):
        names = ["gpt_neox-attn_preproj-g-ip-k8", "gpt2-qkv-g-euc-k1", "gpt_neo-mlp-v-euc-k8",
                 "gpt_neox-attn_plus_mlp-v-euc-k8", "gpt2-transformer_block-v-ip-k1"]
        for name in names:
            with self.subTest(case=name):
                golden = load_json(os.path.join(CASES, name + ".golden.json"))
                run0 = max(golden["runs"], key=lambda r: r["n_prompt"])  # the longest prefill
                prompt = run0["tokens"][:run0["n_prompt"]]
                out = generate_json(os.path.join(CASES, golden["model"]), "--prompt-ids",
                                    ",".join(map(str, prompt)), "-n", "0")
                self.assertEqual(out["tokens"], prompt)
                got = {(c["layer"], c["site"], c["group"]): c for c in out["codes"]}
                for c in run0["codes"]:
                    mine = got[(c["layer"], c["site"], c["group"])]
                    self.assertEqual(mine["ids"], c["ids"][:len(prompt)])
                    for a, b in zip(mine["scores"], c["scores"]):
                        for x, y in zip(a, b):
                            self.assertAlmostEqual(x, y, delta=1e-4)


class PaddedVocabulary(unittest.TestCase):
    """Issue 13: a greedy run that picks padding ids (embedding rows without token text) still prints
    its text, with every other token; the golden is the reference tokenizer's decoding."""

    def test_greedy_run_through_padding_ids_prints_the_text(self):
        golden = load_json(os.path.join(CASES, "pad-gpt_neox.golden.json"))
        run0 = golden["runs"][0]
        prompt, n_new = run0["tokens"][:run0["n_prompt"]], len(run0["tokens"]) - run0["n_prompt"]
        args = [os.path.join(CASES, golden["model"]), "--prompt-ids", ",".join(map(str, prompt)), "-n", str(n_new),
                "--temp", "0", "--ignore-eos"]
        want = bytes.fromhex(run0["text_hex"])
        raw = subprocess.run(CBK + ["generate"] + args, capture_output=True, timeout=120)
        self.assertEqual(raw.returncode, 0, raw.stderr)
        self.assertEqual(raw.stdout, want + b"\n")
        out = generate_json(*args)
        self.assertEqual(out["tokens"], run0["tokens"])  # --json keeps the padding ids
        self.assertEqual(out["stop"], "length")
        self.assertEqual(out["text"], want.decode("utf-8", "replace"))  # the one invalid byte is U+FFFD
        self.assertTrue(out["text"].startswith("Hello"))
        shown = run(*args, "--show-codes")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("(padding id: no text)", shown.stdout)


class Generation(unittest.TestCase):
    model = property(lambda self: os.path.join(MODELS, "steering.cbk"))

    def test_seeded_sampling_is_reproducible(self):
        a = generate_json(self.model, "-p", "the", "-n", "6", "--seed", "5", "--temp", "1.3", "--top-k", "20")
        b = generate_json(self.model, "-p", "the", "-n", "6", "--seed", "5", "--temp", "1.3", "--top-k", "20")
        self.assertEqual(a["tokens"], b["tokens"])
        self.assertEqual(len(a["tokens"]), a["n_prompt"] + 6)
        self.assertEqual(a["stop"], "length")
        self.assertTrue(a["text"].startswith("the"))

    def test_context_full_stops_generation(self):
        out = generate_json(self.model, "--prompt-ids", "1,2,3", "-n", "100", "--temp", "0", "--ignore-eos")
        self.assertEqual(out["stop"], "context_full")
        self.assertEqual(len(out["tokens"]), 24)  # the model's max_positions

    def test_steering_flags(self):
        base = generate_json(self.model, "--prompt-ids", "5,6,7", "-n", "2", "--temp", "0")
        out = generate_json(self.model, "--prompt-ids", "5,6,7", "-n", "2", "--temp", "0",
                            "--force", "0:attn_preproj:1:4@generated/append*2",
                            "--disable", "0:attn_preproj:2:top1@0-1/zero", "--bypass", "0:mlp")
        codes = {(c["site"], c["group"]): c["ids"] for c in out["codes"]}
        base_codes = {(c["site"], c["group"]): c["ids"] for c in base["codes"]}
        self.assertEqual(codes[("attn_preproj", 1)][:3], base_codes[("attn_preproj", 1)][:3])
        self.assertEqual([row[2] for row in codes[("attn_preproj", 1)][3:]], [4, 4])
        self.assertEqual([row[0] for row in codes[("attn_preproj", 2)][:2]], [-1, -1])
        self.assertEqual(codes[("mlp", 0)], [[]] * 5)

    def test_trace_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "trace.json")
            r = run(self.model, "--prompt-ids", "5,6", "-n", "1", "--trace", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            trace = load_json(path)
            self.assertEqual(trace["format"], "cbk-trace-v1")
            self.assertEqual(len(trace["tokens"]), 3)
            self.assertEqual(len(trace["codes"]), 4 + 1 + 1)
            self.assertEqual(len(trace["codes"][0]["scores"]), 3)

    def test_errors(self):
        cases = [
            (["--prompt-ids", "5", "--force", "0:attn_preproj:0:99"], 1, "code 99"),
            (["--prompt-ids", "5", "--force", "0:nosuch:0:1"], 2, "unknown site"),
            (["--prompt-ids", "5", "--disable", "0:mlp:0:1/maybe"], 2, "bad mode"),
            (["--prompt-ids", "5,100000"], 1, "100000"),
            (["--prompt-ids", "5", "--top-p", "0"], 2, "--top-p"),
            (["-p", "x", "--prompt-ids", "5"], 2, "exactly one"),
        ]
        for args, rc, needle in cases:
            with self.subTest(args=args):
                r = run(self.model, *args)
                self.assertEqual(r.returncode, rc, r.stderr)
                self.assertIn(needle, r.stderr.splitlines()[0])
        r = run(os.path.join(MODELS, "missing.cbk"), "--prompt-ids", "1")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK = sys.argv[1:sep]
    CASES, MODELS = sys.argv[sep + 1], sys.argv[sep + 2]
    unittest.main(argv=[sys.argv[0]], verbosity=1)
