"""The story BPE (tools/python/stories/bpe.py) in the C++ runtime: a .cbk converted from a checkpoint
whose tokenizer files the Python trainer wrote encodes held-out stories (and awkward ASCII strings) to
exactly the trainer's token ids, and decodes them back to the same text (`cbk generate -n 0 --json`
prints the prompt's ids and their decoded text).

Run by ctest as: python3 test_stories_tokenizer_cli.py CBK_COMMAND... --
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))

from cbk_reference.checkpoint import build_random_checkpoint  # noqa: E402
from cbkconvert.pipeline import Options, convert  # noqa: E402
from stories import bpe, corpus  # noqa: E402

CBK = []
VOCAB = 1024
AWKWARD = ["Tom's cat  said: 'hi!'\n\nThe end.", " leading and trailing  ", "x", "123 4567 _under_score_",
           "Mia's dog's ball.", "\"Oh no!\" cried Ben... 'Really?'", "tab\tand\r\nnewlines\n"]


class StoryTokenizer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = os.path.join(cls.tmp.name, "ckpt")
        cls.tok = bpe.ByteBpe(bpe.train((s.text for s in corpus.stories(1500, corpus.TRAIN_SEED)), VOCAB))
        build_random_checkpoint(d, "gpt_neo", codebook_at="attn_preproj", num_codes=8, k_codebook=1, d_model=16,
                                n_layers=1, n_heads=2, max_positions=1024, vocab_size=VOCAB)
        cls.tok.write(d)  # replaces the fixture's tokenizer files with the trained ones
        cls.model = os.path.join(cls.tmp.name, "stories-tok.cbk")
        convert(Options(checkpoint=d, output=cls.model))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def runtime(self, text):
        r = subprocess.run(CBK + ["generate", self.model, "-p", text, "-n", "0", "--json"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["n_prompt"], len(out["tokens"]))
        return out["tokens"], out["text"]

    def test_held_out_stories_token_for_token(self):
        for s in corpus.stories(30, corpus.HELDOUT_SEED):
            ids, text = self.runtime(s.text)
            self.assertEqual(ids, self.tok.encode(s.text))
            self.assertEqual(text, s.text)
            self.assertEqual(self.tok.decode(ids), s.text)

    def test_awkward_strings(self):
        for s in AWKWARD:
            ids, text = self.runtime(s)
            self.assertEqual(ids, self.tok.encode(s), repr(s))
            self.assertEqual(text, s)


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK = sys.argv[1:sep]
    unittest.main(argv=sys.argv[:1])
