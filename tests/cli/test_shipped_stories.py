"""The shipped story model, models/stories.cbk (issue 14), on a reduced sample.

  * the file is the trained model of the recipe (GPT-Neo, 1 layer, attn_preproj group codebooks with
    k = 8, the trained byte-level BPE, training summary), at most 24 MB;
  * its topics: at least six topics with codes (annotations "topic: NAME") and a regex, the regexes
    those of the corpus generator (tools/python/stories/topics.py), at most k codes per head;
  * `cbk eval --ids` on the held-out split, tokenized in Python from the file's merges
    (tools/python/stories/bpe.py, an implementation independent of the runtime's), agrees with the
    trainer's own held-out figures stored in the file;
  * `cbk steer-eval` on 3 topics x 4 prompts x 3 samples: forcing a topic's codes raises the share of
    samples that mention it by at least MARGIN over the unsteered samples with the same seeds (the
    full 40-sample figures in the README are 92.5 points above baseline for these three topics).

Run by ctest as: python3 test_shipped_stories.py CBK_COMMAND... -- MODEL.cbk
"""
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "tools", "python")]

from cbkfile.reader import read_cbk, read_header, read_metadata_extra, read_topics  # noqa: E402
from shipped_model_cli import cbk, parse_argv  # noqa: E402

MODEL = ""
STEER_TOPICS = ["dragon", "bike", "princess"]
MARGIN = 0.35


class Shipped(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.extra = read_metadata_extra(MODEL)
        cls.summary = json.loads(cls.extra["training.summary"])
        cls.codes, cls.regex = read_topics(MODEL)

    def test_is_the_trained_model(self):
        self.assertLessEqual(os.path.getsize(MODEL), 24 * 1024 * 1024)
        m = read_cbk(MODEL)
        a = m.architecture
        self.assertEqual((a["family"], a["n_layers"], a["n_heads"], a["d_model"]), ("gpt_neo", 1, 8, 256))
        self.assertEqual(len(m.codebooks), 1)
        cb = m.codebooks[0]
        self.assertEqual((cb.site, cb.k, cb.codes.shape[0]), ("attn_preproj", 8, 8))  # one group per head
        self.assertGreaterEqual(cb.codes.shape[1], 1024)
        tok = read_header(MODEL).Tokenizer()
        self.assertEqual((tok.TokensLength(), tok.AddBos()), (self.summary["recipe"]["vocab_size"], True))
        self.assertGreater(self.summary["metrics"]["final"]["acc"], 0.5)

    def test_topics_and_their_regexes(self):
        from stories.topics import TOPICS
        both = sorted(set(self.codes) & set(self.regex))
        self.assertGreaterEqual(len(both), 6, both)
        generator = {t.name: t.regex for t in TOPICS}
        for name in both:
            self.assertEqual(self.regex[name], generator[name], name)
            heads = [(c[1], c[3]) for c in self.codes[name]]
            self.assertLessEqual(max(heads.count(h) for h in set(heads)), 8, name)
        self.assertLessEqual(set(STEER_TOPICS), set(both))

    def test_heldout_loss_agrees_with_the_trainer(self):
        from stories import corpus
        from stories.bpe import ByteBpe
        from stories.data import encode_stream
        tok = read_header(MODEL).Tokenizer()
        merges = [tuple(tok.Merges(i).decode().split(" ")) for i in range(tok.MergesLength())]
        bpe = ByteBpe(merges)
        n = self.summary["recipe"]["heldout_stories"]
        stream = encode_stream(bpe, (s.text for s in corpus.stories(n, corpus.HELDOUT_SEED)))
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(" ".join(map(str, stream.tolist())))
        try:
            got = json.loads(cbk("eval", MODEL, f.name, "--ids", "--json"))
        finally:
            os.unlink(f.name)
        want = self.summary["metrics"]["final"]
        self.assertEqual(got["predictions"], want["tokens"])
        self.assertAlmostEqual(got["loss"], want["loss"], delta=2e-3)
        self.assertAlmostEqual(got["accuracy"], want["acc"], delta=1e-3)

    def test_steering_beats_the_baseline(self):
        out = json.loads(cbk("steer-eval", MODEL, "--topics", ",".join(STEER_TOPICS), "--samples", "3", "--json"))
        for t in out["topics"]:
            self.assertEqual(t["samples"], 12)
            self.assertGreaterEqual(t["steered_share"], t["baseline_share"] + MARGIN, t["name"])


if __name__ == "__main__":
    MODEL, argv = parse_argv(sys.argv)
    unittest.main(argv=argv, verbosity=2)
