"""The shipped default model, models/tokfsm.cbk, against issue 15's goals on a reduced sample.

`cbk fsm-eval` runs on 128 fresh sequences, 100 sampled sequences and 200 steering pairs (the full
evaluation uses 2048 / 100 / 500; README "TokFSM"), small enough for the qemu-aarch64 and WASM
stages. The checks:

  * the file is the trained model (training summary in its metadata, FSM extra, state-code
    annotations, at most 16 MB), not the old random placeholder;
  * every target the model meets is met again on this sample; a target the model is documented to
    miss (MISSED below, with the figure the README reports) is an expected failure, so this file
    fails ("unexpected success") the day a retrained model meets it and the documents must change;
  * the C++ figures agree with the trainer's own evaluation (tools/python/tokfsm/evals.py, an
    independent implementation in torch) stored in the file's "training.summary" metadata;
  * the paper's Figure 4 ordering: patching every MLP codebook moves the next-token distribution
    much further towards the target state than patching one MLP layer, and patching every codebook
    leaves almost nothing of the original state.

Run by ctest as: python3 test_shipped_tokfsm.py CBK_COMMAND... -- MODEL.cbk
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shipped_model_cli import cbk, parse_argv  # noqa: E402

MODEL = ""
SAMPLE = ["--sequences", "128", "--code-sequences", "128", "--samples", "100", "--pairs", "200", "--seed", "2"]
# Issue 15's goals (cbk fsm-eval's targets); the relative JSD is a ceiling, the others floors.
TARGETS = {"next_token_accuracy": 0.45, "first_transition_accuracy": 0.96, "sampled_state_accuracy": 0.60,
           "best_code_precision": 0.95, "interchange_steering": 0.80, "all_mlp_relative_jsd": 0.25}
# Targets the shipped model misses (README "TokFSM" says why).
MISSED = {"sampled_state_accuracy", "all_mlp_relative_jsd"}


class Shipped(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.info = json.loads(cbk("info", MODEL, "--json"))
        cls.eval = json.loads(cbk("fsm-eval", MODEL, "--json", *SAMPLE))
        extra = cls.info["metadata"]["extra"]
        cls.trainer = json.loads(extra["training.summary"])["metrics"]["final"]

    def test_is_the_trained_model(self):
        self.assertLessEqual(os.path.getsize(MODEL), 16 * 1024 * 1024)
        self.assertIn("training.recipe", self.info["metadata"]["extra"])
        self.assertNotIn("placeholder", json.dumps(self.info["metadata"]).lower())
        self.assertIn("fsm.transitions", [e["name"] for e in self.info["extras"]])
        self.assertGreater(self.info["annotations"], 100)  # state codes named in the file

    def value(self, name):
        return self.eval["targets"][name]["value"]

    def check_target(self, name):
        self.assertEqual(self.eval["targets"][name]["target"], TARGETS[name])
        if self.eval["targets"][name]["goal"] == "at_most":
            self.assertLessEqual(self.value(name), TARGETS[name], name)
        else:
            self.assertGreaterEqual(self.value(name), TARGETS[name], name)
        if name == "best_code_precision":
            sc = self.eval["state_codes"]
            self.assertGreater(sc["mean_best_code_precision"], sc["mean_best_neuron_precision"])

    def test_trainer_and_runtime_agree(self):
        # first-transition accuracy covers all 100 states (no sampling): the two implementations
        # differ only by float rounding; LM accuracy: different fresh sequences (128 vs 1024).
        self.assertAlmostEqual(self.eval["first_transition_accuracy"], self.trainer["first_transition_acc"], delta=0.01)
        self.assertAlmostEqual(self.eval["lm"]["next_token_accuracy"], self.trainer["acc"], delta=0.01)
        self.assertAlmostEqual(self.eval["lm"]["loss"], self.trainer["loss"], delta=0.03)

    def test_figure4_ordering(self):
        rel = {p["patching"]: p["relative"] for p in self.eval["steering"]["figure4"]}
        self.assertLess(rel["all_mlp"], 0.6 * rel["l1_mlp"])
        self.assertLess(rel["all_mlp"], 0.6 * rel["none"])
        self.assertLess(rel["all_attn_mlp"], 0.05)

    @unittest.expectedFailure  # README "TokFSM": here patching every attention codebook moves more than every MLP one
    def test_figure4_paper_order_mlp_before_attention(self):
        rel = {p["patching"]: p["relative"] for p in self.eval["steering"]["figure4"]}
        self.assertLess(rel["all_mlp"], rel["all_attn"])

    def test_interchange_steers(self):
        st = self.eval["steering"]
        self.assertGreater(st["interchange"]["success_expected"], 3 * st["unsteered"]["success_expected"])


def add_target_tests():
    for name in TARGETS:
        def test(self, name=name):
            self.check_target(name)
        if name in MISSED:
            test = unittest.expectedFailure(test)
        setattr(Shipped, "test_target_" + name, test)


add_target_tests()

if __name__ == "__main__":
    MODEL, argv = parse_argv(sys.argv)
    unittest.main(argv=argv, verbosity=2)
