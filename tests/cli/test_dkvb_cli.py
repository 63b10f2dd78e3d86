"""`cbk classify`, `cbk dkvb-eval` and `cbk info` on the shipped DKVB toy model, against what the
trainer wrote (tools/python/dkvb/train_toy.py: the model's accuracy metadata, the parity golden's
picked keys, the labelled test stream), plus steering and every failure path.

Run by ctest as: python3 test_dkvb_cli.py CBK_COMMAND... -- MODEL.cbk GOLDEN.json TEST_STREAM.txt TRANSFORMER.cbk
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

CBK = []
MODEL = GOLDEN = STREAM = TRANSFORMER = ""


def run(*args, stdin=None):
    return subprocess.run(CBK + list(args), capture_output=True, text=True, timeout=120, input=stdin)


def stream():
    rows = np.loadtxt(STREAM)
    return rows[:, 0].astype(int), rows[:, 1:]


class DkvbCli(unittest.TestCase):
    def test_eval_matches_the_trainer(self):
        r = run("dkvb-eval", MODEL, STREAM, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        meta = json.loads(run("info", MODEL, "--json").stdout)["metadata"]
        self.assertEqual(out["inputs"], 800)
        self.assertAlmostEqual(out["accuracy"], float(meta["training.final_accuracy"]), places=4)
        self.assertEqual([t["classes"] for t in out["per_task"]], [[0, 4], [1, 5], [2, 6], [3, 7]])
        text = run("dkvb-eval", MODEL, STREAM).stdout
        self.assertIn("800 inputs, 8 classes: accuracy 100.00% (800/800)", text)
        self.assertIn("task 4 (classes 3 7): 100.00% of 200", text)
        # --tasks overrides the file's tasks.
        out = json.loads(run("dkvb-eval", MODEL, STREAM, "--tasks", "0,1,2,3/4,5,6,7", "--json").stdout)
        self.assertEqual([t["inputs"] for t in out["per_task"]], [400, 400])

    def test_classify_reproduces_the_trainers_keys(self):
        g = json.load(open(GOLDEN))
        text = "\n".join(" ".join("%.9g" % v for v in row) for row in g["inputs"]) + "\n"
        r = run("classify", MODEL, "--json", stdin=text)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)["rows"]
        self.assertEqual([row["keys"] for row in rows], g["keys"])
        worst = max(abs(a - b) for row, want in zip(rows, g["logits"]) for a, b in zip(row["logits"], want))
        self.assertLess(worst, 1e-5)
        self.assertEqual([row["class"] for row in rows], [int(np.argmax(l)) for l in g["logits"]])
        # The text form: "i: class C  keys K  logits ...", reading the file argument.
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# a comment\n\n" + text.splitlines()[0].replace(" ", ", ") + "\n")
        try:
            out = run("classify", MODEL, f.name).stdout
        finally:
            os.unlink(f.name)
        self.assertTrue(out.startswith("0: class %d  keys %d  logits" % (rows[0]["class"], rows[0]["keys"][0])), out)

    def test_steering_unlearns_a_class(self):
        labels, x = stream()
        text = "\n".join(" ".join("%.9g" % v for v in row) for row in x[labels == 0]) + "\n"
        keys = sorted({row["keys"][0] for row in json.loads(run("classify", MODEL, "--json", stdin=text).stdout)["rows"]})
        r = run("dkvb-eval", MODEL, STREAM, "--json", "--mask", "0:" + ",".join(map(str, keys)))
        self.assertEqual(r.returncode, 0, r.stderr)
        per_class = {c["class"]: c["accuracy"] for c in json.loads(r.stdout)["per_class"]}
        self.assertEqual(per_class[0], 0.0)  # class 0 forgotten: its pairs can no longer be picked
        for c in range(1, 8):
            self.assertEqual(per_class[c], 1.0)
        forced = json.loads(run("classify", MODEL, "--json", "--force", "0:%d" % keys[0], stdin=text).stdout)["rows"]
        self.assertTrue(all(row["keys"] == [keys[0]] for row in forced))
        unmasked = json.loads(run("dkvb-eval", MODEL, STREAM, "--json", "--no-file-mask").stdout)
        self.assertLess(unmasked["accuracy"], 1.0)  # dormant pairs hold zero values (ties go to class 0)

    def test_info(self):
        out = run("info", MODEL).stdout
        self.assertIn("kind:            dkvb", out)
        self.assertIn("1 heads x 400 pairs, key_dim 2, value_dim 8", out)
        info = json.loads(run("info", MODEL, "--json").stdout)
        self.assertEqual(info["dkvb"]["classes"], 8)
        self.assertEqual(info["dkvb"]["decoder"], "voting")

    def test_failures(self):
        cases = [
            (("classify", TRANSFORMER, "-"), "0 0\n", 1, "wrong_model_kind"),
            (("dkvb-eval", TRANSFORMER, STREAM), None, 1, "wrong_model_kind"),
            (("classify", MODEL), "0.1 0.2 0.3\n", 1, "input_dim is 2"),
            (("classify", MODEL), "0.1 nan\n", 1, "non_finite_value"),
            (("classify", MODEL), "0.1 0.2\n0.3\n", 1, "line 2 has 1 numbers"),
            (("classify", MODEL), "0.1 zz\n", 1, "'zz' is not a number"),
            (("classify", MODEL), "", 1, "no input vectors"),
            (("classify", MODEL, "--force", "1:0"), "0.1 0.2\n", 1, "head 1 is out of range"),
            (("classify", MODEL, "--force", "0:400"), "0.1 0.2\n", 1, "key 400 is out of range"),
            (("classify", MODEL, "--force", "0"), "0.1 0.2\n", 2, "--force needs HEAD:KEY"),
            (("classify", MODEL, "--bogus"), "", 2, "unknown option"),
            (("dkvb-eval", MODEL), None, 2, "expected MODEL.cbk and FILE"),
            (("dkvb-eval", MODEL, STREAM, "--tasks", "0,9"), None, 2, "--tasks"),
            (("dkvb-eval", MODEL, "-"), "8 0.1 0.2\n", 1, "label 8"),
            (("classify", "/nonexistent.cbk"), "", 1, "io_error"),
        ]
        for args, stdin, code, why in cases:
            with self.subTest(args=args):
                r = run(*args, stdin=stdin if stdin is not None else "")
                self.assertEqual(r.returncode, code, r.stdout + r.stderr)
                self.assertIn(why, r.stderr)


if __name__ == "__main__":
    split = sys.argv.index("--")
    CBK = sys.argv[1:split]
    MODEL, GOLDEN, STREAM, TRANSFORMER = sys.argv[split + 1:split + 5]
    sys.argv = sys.argv[:1]
    unittest.main()
