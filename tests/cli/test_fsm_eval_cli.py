"""`cbk fsm-eval` end to end on fixture models (tests/cli/make_fsm_models.py), scaled down.

  * fsm_random: every JSON field exists and lies in range; the same seed gives the same JSON, on
    one thread or two;
  * fsm_flat (zero LM head, every logit 0): the figures that follow exactly from that;
  * error paths: no/bad "fsm.transitions" extra and a missing file exit 1 with one line; usage
    errors exit 2.

Run by ctest as: python3 test_fsm_eval_cli.py CBK_COMMAND... -- FIXTURE_DIR
"""
import json
import math
import os
import subprocess
import sys
import unittest

CBK = []
DIR = ""
SMALL = ["--sequences", "24", "--code-sequences", "24", "--samples", "6", "--pairs", "20"]


def run(*args, timeout=900):  # qemu-aarch64 on a busy 2-core machine is slow
    return subprocess.run(CBK + list(args), capture_output=True, text=True, timeout=timeout)


def model(name):
    return os.path.join(DIR, name + ".cbk")


def successors():
    with open(os.path.join(DIR, "fsm_transitions.txt")) as f:
        return [[int(x) for x in line.split()] for line in f]


class FsmEvalJson(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = run("fsm-eval", model("fsm_random"), "--json", "--seed", "3", *SMALL)
        assert r.returncode == 0, r.stderr
        cls.out = json.loads(r.stdout)
        cls.stdout = r.stdout

    def test_fields_and_ranges(self):
        o = self.out
        self.assertEqual(o["fsm"]["states"], 100)
        self.assertEqual(o["settings"]["seq_len"], 128)
        self.assertEqual(o["lm"]["tokens"], 24 * 127)
        self.assertGreater(o["lm"]["loss"], 0)
        for v in (o["lm"]["next_token_accuracy"], o["sampling"]["state_accuracy"],
                  o["sampling"]["sampled_first_transition_accuracy"], o["first_transition_accuracy"]):
            self.assertTrue(0 <= v <= 1, v)
        self.assertEqual(o["sampling"]["sequences"], 6)
        sc = o["state_codes"]
        self.assertEqual(sc["positions"], 24 * 63)
        self.assertEqual([l["layer"] for l in sc["layers"]], [0, 1, 2, 3])
        for layer in sc["layers"]:
            self.assertTrue(0 <= layer["mean_best_code_precision"] <= 1)
            self.assertTrue(0 <= layer["mean_best_neuron_precision"] <= 1)
            self.assertTrue(0 < layer["codes_used"] <= 64)
            for state, code, prec, rec, neuron, nprec in layer["states"]:
                self.assertTrue(0 <= state < 100 and 0 <= code < 64 and 0 <= neuron < 128)
                self.assertTrue(0 < prec <= 1 and 0 < rec <= 1 and 0 <= nprec <= 1)
            fires = sum(c[1] for c in layer["codes"])
            self.assertEqual(fires, sc["positions"])  # k = 1: one code per position
        self.assertIn(sc["best_layer"], [0, 1, 2, 3])
        st = o["steering"]
        self.assertEqual(st["pairs"], 20)
        self.assertEqual(st["forced_layers"], [0, 1, 2, 3])
        for mode in ("forced", "interchange", "unsteered"):
            for k in ("success", "success_expected", "jsd"):
                self.assertTrue(0 <= st[mode][k] <= 1, (mode, k))
        self.assertEqual([p["patching"] for p in st["figure4"]],
                         ["none", "l0_attn", "l1_mlp", "all_attn", "all_mlp", "all_attn_mlp"])
        self.assertEqual(max(p["relative"] for p in st["figure4"]), 1.0)
        for p in st["figure4"]:
            self.assertTrue(0 <= p["jsd"] <= 1 and 0 <= p["relative"] <= 1, p)
        # every codebook patched: only the token embedding of a's second digit still differs from b's run
        self.assertLess(st["figure4"][-1]["relative"], st["figure4"][0]["relative"])
        self.assertEqual(set(o["targets"]), {"next_token_accuracy", "first_transition_accuracy", "sampled_state_accuracy",
                                             "best_code_precision", "interchange_steering", "all_mlp_relative_jsd"})
        t = o["targets"]
        self.assertEqual((t["sampled_state_accuracy"]["value"], t["interchange_steering"]["value"]),
                         (o["sampling"]["state_accuracy"], st["interchange"]["success"]))
        all_mlp = next(p["relative"] for p in st["figure4"] if p["patching"] == "all_mlp")
        self.assertEqual((t["all_mlp_relative_jsd"]["value"], t["all_mlp_relative_jsd"]["goal"]), (all_mlp, "at_most"))
        self.assertEqual(t["all_mlp_relative_jsd"]["met"], all_mlp <= 0.25)
        self.assertFalse(o["all_targets_met"])  # random weights
        self.assertEqual(o["paper"]["next_token_accuracy"], 0.4527)

    def test_deterministic_and_thread_independent(self):
        r = run("fsm-eval", model("fsm_random"), "--json", "--seed", "3", "--threads", "1", *SMALL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, self.stdout)
        r = run("fsm-eval", model("fsm_random"), "--json", "--seed", "4", *SMALL)
        self.assertNotEqual(json.loads(r.stdout)["lm"], self.out["lm"])

    def test_text_report(self):
        r = run("fsm-eval", model("fsm_random"), *SMALL)
        self.assertEqual(r.returncode, 0, r.stderr)
        for s in ("next-token accuracy", "45.27%", "first-transition accuracy", "97.50%", "best-neuron precision",
                  "steering", "targets", "MISSED"):
            self.assertIn(s, r.stdout)
        self.assertEqual(r.stderr, "")  # progress only on a terminal


class FsmEvalFlat(unittest.TestCase):
    """Zero LM head: P(token) = 1/11 everywhere, P(next state) = 1/121 for all 100 numbers."""

    def test_exact_figures(self):
        r = run("fsm-eval", model("fsm_flat"), "--json", *SMALL)
        self.assertEqual(r.returncode, 0, r.stderr)
        o = json.loads(r.stdout)
        self.assertAlmostEqual(o["lm"]["loss"], math.log(11), places=5)
        # Ties go to the lowest id, so the top-10 next states are 0..9 for every state.
        succ = successors()
        expect = sum(len([s for s in row if s < 10]) / len(row) for row in succ) / len(succ)
        self.assertAlmostEqual(o["first_transition_accuracy"], expect, places=9)
        # Steered or not, uniform over 100 numbers vs uniform over b's 10 successors.
        jsd = 0.5 * (0.1 * math.log2(0.01 / 0.055) + 0.9) + 0.5 * math.log2(0.1 / 0.055)
        st = o["steering"]
        for mode in ("forced", "interchange", "unsteered"):
            self.assertAlmostEqual(st[mode]["jsd"], jsd, places=6)
            self.assertAlmostEqual(st[mode]["success_expected"], 0.1, places=6)
        # every next-token distribution is uniform, so no patching moves it
        self.assertEqual([(p["jsd"], p["relative"]) for p in st["figure4"]], [(0.0, 0.0)] * 6)


class FsmEvalErrors(unittest.TestCase):
    def check_failure(self, r, code, needle):
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertIn(needle, r.stderr)

    def test_not_a_tokfsm_model(self):
        r = run("fsm-eval", model("fsm_none"))
        self.check_failure(r, 1, "fsm.transitions")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def test_bad_matrix(self):
        r = run("fsm-eval", model("fsm_bad"))
        self.check_failure(r, 1, "square")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def test_missing_file(self):
        r = run("fsm-eval", os.path.join(DIR, "no_such.cbk"))
        self.check_failure(r, 1, "cbk fsm-eval:")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def test_usage_errors(self):
        for args in ([], ["--json"], [model("fsm_random"), "--sequences"], [model("fsm_random"), "--sequences", "x"],
                     [model("fsm_random"), "--pairs", "-1"], [model("fsm_random"), "--threads", "0"],
                     [model("fsm_random"), "--bogus"], [model("fsm_random"), model("fsm_flat")]):
            with self.subTest(args=args):
                self.check_failure(run("fsm-eval", *args), 2, "usage: cbk fsm-eval")

    def test_help(self):
        r = run("fsm-eval", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--sequences", r.stdout)


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK = sys.argv[1:sep]
    DIR = sys.argv[sep + 1]
    unittest.main(argv=[sys.argv[0]], verbosity=1)
