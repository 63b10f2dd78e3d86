"""The story model recipe end to end on a tiny configuration: train (tools/python/train_stories.py) ->
export -> convert.py -> `cbk eval --ids` on the held-out stream agrees with the trainer's own held-out
loss and accuracy, and `cbk generate` continues a prompt with the trained tokenizer.

Run by ctest as: python3 test_stories_e2e_cli.py CBK_COMMAND... --
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "tools", "python")
CBK = []
TINY = ["--threads", "1", "--vocab-size", "400", "--bpe-stories", "400", "--train-stories", "400",
        "--heldout-stories", "30", "--d-model", "32", "--n-layers", "2", "--n-heads", "4", "--d-mlp", "64",
        "--context", "64", "--window-size", "16", "--base-steps", "40", "--base-batch", "8", "--base-warmup", "5",
        "--num-codes", "32", "--k", "8", "--kmeans-seqs", "32", "--ft-steps", "20", "--ft-batch", "8",
        "--ft-warmup", "5", "--log-every", "100"]


class StoriesEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.run_dir = os.path.join(cls.tmp.name, "run")
        r = subprocess.run([sys.executable, os.path.join(TOOLS, "train_stories.py"), "--out", cls.run_dir] + TINY,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        cls.model = os.path.join(cls.tmp.name, "stories-tiny.cbk")
        r = subprocess.run([sys.executable, os.path.join(TOOLS, "convert.py"), cls.run_dir, "-o", cls.model, "--add-bos"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(cls.run_dir, "training_summary.json")) as f:
            cls.summary = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_cbk_eval_agrees_with_the_trainer(self):
        r = subprocess.run(CBK + ["eval", self.model, os.path.join(self.run_dir, "heldout_ids.txt"), "--ids", "--json"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        mine = self.summary["metrics"]["final"]
        self.assertEqual(got["predictions"], mine["tokens"])
        self.assertEqual(got["context"], 64)
        self.assertAlmostEqual(got["loss"], mine["loss"], delta=2e-4)  # the summary rounds to 4 decimals
        self.assertAlmostEqual(got["accuracy"], mine["acc"], delta=2e-4)
        base = self.summary["metrics"]["base"]
        self.assertLess(mine["loss"], 6.0)  # it learned something: uniform over 400 tokens is 5.99
        self.assertLess(base["loss"], 6.0)

    def test_cbk_eval_without_codebooks_agrees_with_the_trainer(self):
        # --bypass on both layers' codebooks = the trainer's forward with bypass=True ("final_without_codebooks")
        r = subprocess.run(CBK + ["eval", self.model, os.path.join(self.run_dir, "heldout_ids.txt"), "--ids", "--json",
                                  "--bypass", "0:attn_preproj", "--bypass", "1:attn_preproj"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        got, mine = json.loads(r.stdout), self.summary["metrics"]["final_without_codebooks"]
        self.assertAlmostEqual(got["loss"], mine["loss"], delta=2e-4)
        self.assertAlmostEqual(got["accuracy"], mine["acc"], delta=2e-4)
        r = subprocess.run(CBK + ["eval", self.model, os.path.join(self.run_dir, "heldout_ids.txt"), "--ids",
                                  "--bypass", "0:mlp"], capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no codebook at layer 0 site mlp", r.stderr)

    def test_cbk_generate_continues_a_prompt(self):
        r = subprocess.run(CBK + ["generate", self.model, "-p", "Once upon a time,", "-n", "20", "--seed", "3", "--json"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["tokens"][0], 399)  # BOS (= <|endoftext|>, the last id) prepended by --add-bos
        self.assertTrue(out["text"].startswith("<|endoftext|>Once upon a time,"), out["text"])
        new = out["tokens"][out["n_prompt"]:]
        if out["stop"] == "length":
            self.assertEqual(len(new), 20)
        else:  # stopped at the end-of-text token
            self.assertEqual((out["stop"], new[-1]), ("eos", 399))
        self.assertTrue(out["completion"].isascii())


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK = sys.argv[1:sep]
    unittest.main(argv=sys.argv[:1])
