"""`cbk eval / codes / search / bench` end to end, checked against facts computed independently
from `cbk generate --json` (greedy tokens, per-token codes) on the same tokens, plus usage errors.

Run by ctest as: python3 test_verbs_cli.py CBK_COMMAND... -- MODEL.cbk   (a model with a tokenizer)
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import unittest
from collections import defaultdict

CBK = []
MODEL = ""


def run(*args):
    return subprocess.run(CBK + list(args), capture_output=True, text=True, errors="replace", timeout=120)


def run_json(*args):
    r = run(*args, "--json")
    if r.returncode != 0:
        raise AssertionError("cbk %s failed: %s" % (args[0], r.stderr))
    return json.loads(r.stdout)


def write_tmp(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    f.write(text)
    f.close()
    return f.name


CORPUS = "the cat sat. a cat ate."  # fits the test model's 24-token context


class Eval(unittest.TestCase):
    def test_greedy_continuation_is_predicted_exactly(self):
        # Greedy tokens are each the argmax after their prefix, so eval scores them all correct.
        ctx = run_json("info", MODEL)["architecture"]["max_positions"]
        g = run_json("generate", MODEL, "--prompt-ids", "5", "-n", str(ctx - 1), "--temp", "0", "--ignore-eos")
        path = write_tmp(" ".join(map(str, g["tokens"])))
        e = run_json("eval", MODEL, path, "--ids")
        self.assertEqual(e["tokens"], len(g["tokens"]))
        self.assertEqual(e["windows"], 1)
        self.assertEqual(e["predictions"], len(g["tokens"]) - 1)
        self.assertEqual(e["accuracy"], 1.0)
        self.assertGreater(e["loss"], 0.0)
        self.assertAlmostEqual(e["perplexity"], math.exp(e["loss"]), places=4)

    def test_text_and_ids_agree_and_windows_cover_the_corpus(self):
        path = write_tmp(CORPUS)
        e = run_json("eval", MODEL, path, "--context", "8")
        self.assertEqual(e["windows"], math.ceil(e["tokens"] / 8))
        self.assertEqual(e["predictions"], e["tokens"] - e["windows"])
        g = run_json("generate", MODEL, "-p", CORPUS, "-n", "0")
        ids = write_tmp(",".join(map(str, g["tokens"])))
        e2 = run_json("eval", MODEL, ids, "--ids", "--context", "8")
        self.assertAlmostEqual(e["loss"], e2["loss"], places=6)


def corpus_codes():
    """Per (layer, site, group): the codes of every corpus token, from `cbk generate --json`."""
    g = run_json("generate", MODEL, "-p", CORPUS, "-n", "0")
    return g, {(c["layer"], c["site"], c["group"]): c for c in g["codes"]}


class Search(unittest.TestCase):
    def test_precision_and_recall_recomputed_from_generate_codes(self):
        g, codes = corpus_codes()
        ctx = run_json("info", MODEL)["architecture"]["max_positions"]
        self.assertLessEqual(len(g["tokens"]), ctx, "the corpus must fit one window for this comparison")
        path = write_tmp(CORPUS)
        out = run_json("search", MODEL, "c(a)t", path, "--top", "1000")
        # Matched positions: the token containing the start of group 1.
        texts = [run_json("generate", MODEL, "--prompt-ids", str(t), "-n", "0")["text"] for t in g["tokens"]]
        starts, pos = [], 0
        for t in texts:
            starts.append(pos)
            pos += len(t.encode())
        text = "".join(texts)
        matched = set()
        for m in re.finditer("c(a)t", text):
            off = len(text[:m.start(1)].encode())
            matched.add(max(i for i, s in enumerate(starts) if s <= off))
        self.assertEqual(out["matched"], len(matched))
        expected = {}
        for key, c in codes.items():
            hits, total = defaultdict(int), defaultdict(int)
            for p, ids in enumerate(c["ids"]):
                for code in set(i for i in ids if i >= 0):
                    total[code] += 1
                    hits[code] += p in matched
            for code, h in hits.items():
                if h and h / len(matched) > 0.01:
                    expected[key + (code,)] = (h / total[code], h / len(matched))
        got = {(r["layer"], r["site"], r["group"], r["code"]): (r["precision"], r["recall"]) for r in out["codes"]}
        self.assertEqual(set(got), set(expected))
        for k, (p, r) in expected.items():
            self.assertAlmostEqual(got[k][0], p, places=6)
            self.assertAlmostEqual(got[k][1], r, places=6)
        precisions = [r["precision"] for r in out["codes"]]
        self.assertEqual(precisions, sorted(precisions, reverse=True))
        high = run_json("search", MODEL, "c(a)t", path, "--min-precision", "0.5", "--top", "1000")
        self.assertTrue(all(r["precision"] >= 0.5 for r in high["codes"]))


class Codes(unittest.TestCase):
    def test_contexts_hold_the_code(self):
        g, codes = corpus_codes()
        key, c = next(iter(codes.items()))
        code = c["ids"][3][0]
        path = write_tmp(CORPUS)
        out = run_json("codes", MODEL, "--layer", str(key[0]), "--site", key[1], "--group", str(key[2]),
                       "--code", str(code), path, "--top", "1000", "--window", "2")
        active = [p for p, ids in enumerate(c["ids"]) if code in ids]
        self.assertEqual(out["active"], len(active))
        self.assertEqual(sorted(x["position"] for x in out["contexts"]), active)
        for x in out["contexts"]:
            self.assertIn(code, c["ids"][x["position"]])
            self.assertEqual(x["tokens"][x["highlight"]], g["tokens"][x["position"]])
        scores = [x["score"] for x in out["contexts"]]
        self.assertEqual(scores, sorted(scores, reverse=True))


class Bench(unittest.TestCase):
    def test_reports_positive_rates(self):
        b = run_json("bench", MODEL, "--runs", "1")
        self.assertGreater(b["prefill_tokens_per_second"], 0)
        self.assertGreater(b["decode_tokens_per_second"], 0)


class Threads(unittest.TestCase):
    def test_every_verb_gives_the_same_output_on_three_threads(self):
        path = write_tmp(CORPUS)
        # Sampled tokens and every token's codes (the JSON output carries both).
        g = run_json("generate", MODEL, "-p", CORPUS, "-n", "6", "--seed", "3")
        self.assertEqual(run_json("generate", MODEL, "-p", CORPUS, "-n", "6", "--seed", "3", "--threads", "3"), g)
        self.assertEqual(run_json("eval", MODEL, path, "--context", "8", "--threads", "3"),
                         run_json("eval", MODEL, path, "--context", "8"))
        self.assertEqual(run_json("search", MODEL, "c(a)t", path, "--threads", "2"),
                         run_json("search", MODEL, "c(a)t", path))
        b = run_json("bench", MODEL, "--runs", "1", "--threads", "2")
        self.assertEqual(b["threads"], 2)
        self.assertGreater(b["decode_tokens_per_second"], 0)

    def test_bad_counts_are_usage_errors(self):
        path = write_tmp(CORPUS)
        for args in (["generate", MODEL, "-p", "a", "--threads", "0"], ["eval", MODEL, path, "--threads", "257"],
                     ["codes", MODEL, path, "--threads", "x"], ["bench", MODEL, "--threads"],
                     ["search", MODEL, "a", path, "--threads", "-1"]):
            r = run(*args)
            self.assertEqual(r.returncode, 2, "%r: %d %s" % (args, r.returncode, r.stderr))
            self.assertIn("--threads needs an integer in [1, 256]", r.stderr)


class NoMmap(unittest.TestCase):
    def test_a_read_model_gives_the_same_output_as_a_mapped_one(self):
        path = write_tmp(CORPUS)
        self.assertEqual(run_json("generate", MODEL, "-p", CORPUS, "-n", "6", "--seed", "3", "--no-mmap"),
                         run_json("generate", MODEL, "-p", CORPUS, "-n", "6", "--seed", "3"))
        self.assertEqual(run_json("eval", MODEL, path, "--context", "8", "--no-mmap"),
                         run_json("eval", MODEL, path, "--context", "8"))
        self.assertGreater(run_json("bench", MODEL, "--runs", "1", "--no-mmap")["decode_tokens_per_second"], 0)


class UsageErrors(unittest.TestCase):
    def test_exit_codes(self):
        path = write_tmp(CORPUS)
        for args in (["eval"], ["eval", MODEL], ["eval", MODEL, path, "--bogus"], ["search", MODEL, "(", path],
                     ["search", MODEL, "a"], ["codes", MODEL, path], ["codes", MODEL, "--layer", "x", path],
                     ["bench"], ["bench", MODEL, "--runs", "0"], ["nonsense"]):
            r = run(*args)
            self.assertEqual(r.returncode, 2, "%r: %d %s" % (args, r.returncode, r.stderr))
            self.assertIn("usage:", r.stderr)

    def test_failures_are_one_line(self):
        for args in (["eval", MODEL, "/nonexistent/corpus.txt"], ["eval", "/nonexistent.cbk", MODEL],
                     ["codes", MODEL, "--layer", "99", "--site", "mlp", "--group", "0", "--code", "0", MODEL]):
            r = run(*args)
            self.assertEqual(r.returncode, 1, "%r: %s" % (args, r.stderr))
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK = sys.argv[1:sep]
    MODEL = sys.argv[sep + 1]
    unittest.main(argv=sys.argv[:1])
