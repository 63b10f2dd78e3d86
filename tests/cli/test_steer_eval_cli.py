"""`cbk steer-eval` (topic steering, the paper's Table 3b) on a tiny story model trained here
(tools/python/train_stories.py, the dev-model recipe, ~10 s) with hand-written topic annotations.

Checked independently of the code under test: the topic codes and their slots against the file's
annotations read with the FlatBuffers schema (tools/python/cbkfile); the on-topic counts against
Python's `re` on the printed samples; a sample's loss against the Python reference model
(tools/python/cbk_reference); the baseline and steered samples against `cbk generate` with the same
seed and the equivalent --force flags.

Run by ctest as: python3 test_steer_eval_cli.py CBK_COMMAND... -- TOKFSM.cbk DKVB.cbk
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "tools", "python")
sys.path.insert(0, TOOLS)

CBK = []
TOKFSM = DKVB = None
RECIPE = ["--threads", "1", "--vocab-size", "400", "--bpe-stories", "400", "--train-stories", "400",
          "--heldout-stories", "30", "--d-model", "32", "--n-layers", "1", "--n-heads", "4", "--d-mlp", "64",
          "--context", "256", "--window-size", "128", "--base-steps", "40", "--base-batch", "8", "--base-warmup", "5",
          "--num-codes", "64", "--k", "8", "--kmeans-seqs", "32", "--ft-steps", "20", "--ft-batch", "8",
          "--ft-warmup", "5", "--log-every", "100"]
PROMPTS = ["", "Once upon a time,", "Once there was a", "One day,"]  # the verb's defaults
SAMPLES, NEW, SEED = 5, 60, 7
RUN = ["--samples", str(SAMPLES), "--new-tokens", str(NEW), "--seed", str(SEED), "--json", "--show-samples", "1000"]

# (name, regex, [(group, code), ...] in annotation order). "letter" lists 10 codes per head: k = 8
# of them fill every slot, the last 2 per head are left out.
TOPICS = [
    ("dragon", r"\bdragons?\b", [(0, 5), (1, 3), (0, 9)]),
    ("the", r"\bthe\b", [(2, 7), (2, 8), (3, 1)]),
    ("letter", r"[a-z]", [(g, c) for g in range(4) for c in range(10, 20)]),
]


def annotation(name, group, code):
    return {"layer": 0, "site": "attn_preproj", "group": group, "code": code, "label": "topic: " + name,
            "description": "test topic code", "frequency": 0.0, "top_contexts": []}


def convert(run_dir, topics, annotations, out, flags=("--add-bos",)):
    with open(os.path.join(run_dir, "topics.json"), "w") as f:
        json.dump({"topics": topics}, f)
    with open(os.path.join(run_dir, "code_annotations.json"), "w") as f:
        json.dump({"annotations": annotations}, f)
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "convert.py"), run_dir, "-o", out] + list(flags),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def cbk(*args, timeout=120):
    return subprocess.run(CBK + list(args), capture_output=True, text=True, timeout=timeout)


def read_topic_annotations(path):
    """{name: [(codebook, layer, site, group, code), ...]} and {name: regex}, from the file's FlatBuffers."""
    from cbkfile.reader import read_topics
    return read_topics(path)


class SteerEval(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.run_dir = os.path.join(cls.tmp.name, "run")
        r = subprocess.run([sys.executable, os.path.join(TOOLS, "train_stories.py"), "--out", cls.run_dir] + RECIPE,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        cls.model = os.path.join(cls.tmp.name, "topics.cbk")
        topics = {name: {"regex": rx} for name, rx, _ in TOPICS}
        topics["orphan"] = {"regex": "x"}  # a regex without codes: not a default topic
        convert(cls.run_dir, topics, [annotation(n, g, c) for n, _, codes in TOPICS for g, c in codes], cls.model)
        # A pattern Python accepts (the converter checks with `re`) but ECMAScript does not.
        cls.bad_model = os.path.join(cls.tmp.name, "bad-regex.cbk")
        convert(cls.run_dir, {"bad": {"regex": "(?i)dragon"}}, [annotation("bad", 0, 1)], cls.bad_model)
        cls.no_tokenizer = os.path.join(cls.tmp.name, "no-tokenizer.cbk")
        convert(cls.run_dir, {"dragon": {"regex": "dragon"}}, [annotation("dragon", 0, 1)], cls.no_tokenizer,
                ["--tokenizer", "none"])
        r = cbk("steer-eval", cls.model, "--threads", "1", *RUN)
        assert r.returncode == 0, r.stderr
        cls.out = json.loads(r.stdout)
        cls.topic = {t["name"]: t for t in cls.out["topics"]}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_default_topics_and_header(self):
        self.assertEqual([t["name"] for t in self.out["topics"]], ["dragon", "the", "letter"])  # metadata order
        self.assertEqual(self.out["prompts"], PROMPTS)
        self.assertEqual((self.out["samples"], self.out["samples_per_prompt"], self.out["new_tokens"]),
                         (4 * SAMPLES, SAMPLES, NEW))
        for t in self.out["topics"]:
            self.assertEqual(len(t["baseline_samples"]), 4 * SAMPLES)
            self.assertEqual(len(t["steered_samples"]), 4 * SAMPLES)
            for i, s in enumerate(t["baseline_samples"] + t["steered_samples"]):
                i %= 4 * SAMPLES
                self.assertEqual(s["seed"], SEED + i)
                self.assertEqual(s["prompt"], PROMPTS[i // SAMPLES])
                self.assertTrue(s["text"].startswith(s["prompt"]))
                new = len(s["tokens"]) - s["n_prompt"]
                self.assertEqual(s["loss_tokens"], new)
                self.assertEqual(new == NEW, s["stop"] == "length", s["stop"])

    def test_a_regex_matching_any_letter_is_always_on_topic(self):
        t = self.topic["letter"]
        self.assertEqual((t["baseline_share"], t["steered_share"]), (1.0, 1.0))
        self.assertEqual((t["baseline_count"], t["steered_count"], t["samples"]), (20, 20, 20))

    def test_deterministic_and_independent_of_threads(self):
        r = cbk("steer-eval", self.model, "--threads", "2", *RUN)
        self.assertEqual(r.returncode, 0, r.stderr)
        again = json.loads(r.stdout)
        mine = dict(self.out)
        self.assertEqual(again.pop("run")["threads"], 2)
        mine.pop("run")
        self.assertEqual(again, mine)

    def test_codes_and_slots_follow_the_annotations(self):
        codes, regex = read_topic_annotations(self.model)
        for name, rx, _ in TOPICS:
            t = self.topic[name]
            self.assertEqual(t["regex"], regex[name])
            used, slots, want = {}, [], []
            for cb, layer, site, group, code in codes[name]:  # slots -1, -2, ... per head, at most k = 8
                n = used.get((cb, group), 0)
                if n < 8:
                    used[(cb, group)] = n + 1
                    want.append({"codebook": cb, "layer": layer, "site": site, "group": group, "code": code,
                                 "slot": -(n + 1)})
            self.assertEqual(t["codes"], want)
            self.assertEqual(t["dropped_codes"], len(codes[name]) - len(want))
        self.assertEqual(self.topic["letter"]["dropped_codes"], 8)
        self.assertEqual([(c["group"], c["code"], c["slot"]) for c in self.topic["dragon"]["codes"]],
                         [(0, 5, -1), (1, 3, -1), (0, 9, -2)])

    def test_max_codes_per_head(self):
        r = cbk("steer-eval", self.model, "--topics", "dragon", "--max-codes-per-head", "1", "--samples", "1",
                "--new-tokens", "5", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        t = json.loads(r.stdout)["topics"][0]
        self.assertEqual([(c["group"], c["code"], c["slot"]) for c in t["codes"]], [(0, 5, -1), (1, 3, -1)])
        self.assertEqual(t["dropped_codes"], 1)

    def generate(self, sample, forces=()):
        args = ["generate", self.model, "-p", sample["prompt"], "-n", str(NEW), "--seed", str(sample["seed"]),
                "--temp", "1", "--top-k", "0", "--top-p", "1", "--json"]
        for c in forces:
            args += ["--force", "%d:%s:%d:%d/%d" % (c["layer"], c["site"], c["group"], c["code"], c["slot"])]
        r = cbk(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["tokens"]

    def test_steering_changes_the_samples_as_generate_with_the_forces_does(self):
        t = self.topic["letter"]  # every slot of every head forced: the samples must change
        changed = [i for i, (b, s) in enumerate(zip(t["baseline_samples"], t["steered_samples"]))
                   if b["tokens"] != s["tokens"]]
        self.assertGreater(len(changed), 0)
        i = changed[0]
        self.assertEqual(self.generate(t["baseline_samples"][i]), t["baseline_samples"][i]["tokens"])
        self.assertEqual(self.generate(t["steered_samples"][i], t["codes"]), t["steered_samples"][i]["tokens"])
        d = self.topic["dragon"]
        self.assertEqual(self.generate(d["steered_samples"][5], d["codes"]), d["steered_samples"][5]["tokens"])
        # The baseline is generated once and shared by every topic.
        def strip(xs):
            return [{k: v for k, v in s.items() if k != "on_topic"} for s in xs]
        for name in ("dragon", "the"):
            self.assertEqual(strip(self.topic[name]["baseline_samples"]), strip(t["baseline_samples"]))

    def test_on_topic_counts_agree_with_python_re(self):
        for name, _, _ in TOPICS:
            t = self.topic[name]
            rx = re.compile(t["regex"], re.IGNORECASE)
            for kind in ("baseline", "steered"):
                flags = [bool(rx.search(s["text"])) for s in t[kind + "_samples"]]
                self.assertEqual([s["on_topic"] for s in t[kind + "_samples"]], flags, (name, kind))
                self.assertEqual(t[kind + "_count"], sum(flags), (name, kind))
                self.assertAlmostEqual(t[kind + "_share"], sum(flags) / len(flags))
        # Not a vacuous check: "the" is in some baseline samples but not all.
        self.assertTrue(0 < self.topic["the"]["baseline_count"] < 20, self.topic["the"]["baseline_count"])

    def test_loss_agrees_with_the_python_reference(self):
        import torch
        from cbk_reference import full_forward, load_checkpoint
        ref = load_checkpoint(self.run_dir)
        t = self.topic["letter"]
        steered = max(t["steered_samples"], key=lambda s: s["loss_tokens"])  # scored unsteered
        baseline = max(t["baseline_samples"], key=lambda s: s["loss_tokens"])
        for s in (steered, baseline):
            tokens, n = s["tokens"], s["n_prompt"]
            logits, _ = full_forward(ref, tokens)
            lp = torch.log_softmax(logits.double(), -1)
            nll = -sum(lp[i - 1, tokens[i]].item() for i in range(n, len(tokens))) / (len(tokens) - n)
            self.assertAlmostEqual(s["loss"], nll, delta=1e-3)
        # The table's losses are the token-weighted means of the samples'.
        for kind in ("baseline", "steered"):
            xs = t[kind + "_samples"]
            mean = sum(s["loss"] * s["loss_tokens"] for s in xs) / sum(s["loss_tokens"] for s in xs)
            self.assertAlmostEqual(t[kind + "_loss"], mean, delta=1e-6)
        self.assertEqual(self.out["baseline"]["loss"], t["baseline_loss"])

    def test_text_table(self):
        r = cbk("steer-eval", self.model, "--samples", "2", "--new-tokens", "10", "--topics", "letter,dragon",
                "--show-samples", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertIn("4 prompts x 2 samples, 10 new tokens, temperature 1, seeds 0-7", lines[0])
        self.assertEqual([c.strip() for c in lines[1].split("|")],
                         ["topic", "codes", "baseline %", "steered %", "loss (unsteered samples)", "loss (steered samples)"])
        self.assertEqual([c.strip() for c in lines[2].split("|")][:4], ["letter", "32", "100.0 (8/8)", "100.0 (8/8)"])
        self.assertEqual([c.strip() for c in lines[3].split("|")][:2], ["dragon", "3"])
        self.assertIn("note: letter: 8 annotated codes left out (at most k codes per head)", r.stdout)
        self.assertIn("--- steered sample 0 (seed 0,", r.stdout)

    def test_errors(self):
        cases = [
            ((self.model, "--topics", "dragon,zebra"), 1, "unknown topic 'zebra'"),
            ((self.model, "--topics", "orphan"), 1, "topic 'orphan' has a regex but no codes"),
            ((TOKFSM,), 1, "the model has no topics"),
            ((self.bad_model,), 1, "topic 'bad': bad regex '(?i)dragon'"),
            ((DKVB,), 1, "wrong_model_kind"),
            ((self.no_tokenizer,), 1, "the model has no tokenizer"),
            ((self.model, "--samples", "0"), 2, "--samples needs an integer"),
            ((self.model, "--samples", "ten"), 2, "--samples needs an integer"),
            ((self.model, "--new-tokens", "-3"), 2, "--new-tokens needs an integer"),
            ((self.model, "--bogus"), 2, "unknown option '--bogus'"),
            ((os.path.join(self.tmp.name, "missing.cbk"),), 1, "missing.cbk"),
        ]
        for args, rc, message in cases:
            r = cbk("steer-eval", *args)
            self.assertEqual(r.returncode, rc, (args, r.stderr))
            self.assertIn(message, r.stderr.splitlines()[0], args)
            self.assertTrue(r.stderr.startswith("cbk steer-eval: "), r.stderr)
            self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK = sys.argv[1:sep]
    TOKFSM, DKVB = sys.argv[sep + 1:sep + 3]
    unittest.main(argv=sys.argv[:1])
