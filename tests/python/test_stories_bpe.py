"""The story BPE trainer (tools/python/stories/bpe.py): vocabulary layout as the .cbk byte_bpe tokenizer
stores it, GPT-2 pre-tokenization on hand-split examples, determinism, lossless round trips. The
C++ runtime's agreement with it is tests/cli/test_stories_tokenizer_cli.py."""

import json
import tempfile
import unittest
from pathlib import Path

import cbk_test_helpers  # noqa: F401  (sys.path)
from cbkconvert.tokenizer import read_tokenizer
from cbk_reference.tokenizer_files import EOS, bytes_to_unicode
from stories import bpe, corpus

_TRAIN = [s.text for s in corpus.stories(1500, corpus.TRAIN_SEED)]
_HELDOUT = [s.text for s in corpus.stories(100, corpus.HELDOUT_SEED)]
_MERGES = None


def setUpModule():
    global _MERGES
    _MERGES = bpe.train(_TRAIN, 1024)


class Pretokenize(unittest.TestCase):
    def test_gpt2_pieces(self):
        # split by hand with GPT-2's pattern: contractions, ' ?letters', ' ?digits', ' ?other',
        # whitespace runs keep their last space for the next word unless at the end
        self.assertEqual(bpe.pretokenize("Hello, world! It's 42 ok."),
                         ["Hello", ",", " world", "!", " It", "'s", " 42", " ok", "."])
        self.assertEqual(bpe.pretokenize("a  b\n\nc  "), ["a", " ", " b", "\n", "\n", "c", "  "])
        self.assertEqual(bpe.pretokenize('"Hi," said Mia. "We\'ll go_now!"'),
                         ['"', "Hi", ',"', " said", " Mia", ".", ' "', "We", "'ll", " go", "_", "now", '!"'])


class Trainer(unittest.TestCase):
    def test_vocabulary_layout(self):
        tok = bpe.ByteBpe(_MERGES)
        self.assertEqual(tok.vocab_size, 1024)
        alphabet = list(bytes_to_unicode().values())
        self.assertEqual([tok.id_to_token[i] for i in range(256)], alphabet)  # GPT-2 order, printables first
        self.assertEqual(tok.eos_id, 1023)
        self.assertEqual(tok.id_to_token[1023], EOS)
        seen = set(alphabet)
        for a, b in _MERGES:  # each merge joins two tokens that exist before it
            self.assertIn(a, seen)
            self.assertIn(b, seen)
            seen.add(a + b)
        self.assertEqual(len(seen) + 1, 1024)

    def test_deterministic_and_frequency_ordered(self):
        self.assertEqual(bpe.train(_TRAIN, 1024), _MERGES)
        self.assertEqual(bpe.train(_TRAIN, 600), _MERGES[:600 - 257])  # a prefix: greedy, same order
        tok = bpe.ByteBpe(_MERGES)
        for word in (" the", " said", " and", " was", " dragon", " happy"):
            self.assertEqual(len(tok.encode(word)), 1, word)

    def test_round_trip_and_compression(self):
        tok = bpe.ByteBpe(_MERGES)
        n_tokens = n_bytes = 0
        for text in _HELDOUT + ["", " ", "Tom's  cat\nsaid: 'hi' 123 _x_ ~!@#$%^&*()", "\t\r\n end "]:
            ids = tok.encode(text)
            self.assertEqual(tok.decode(ids), text)
            n_tokens += len(ids)
            n_bytes += len(text)
        self.assertLess(n_tokens / n_bytes, 0.35)  # about one token per common word (1,024 tokens)

    def test_files_are_what_the_converter_stores(self):
        tok = bpe.ByteBpe(_MERGES)
        with tempfile.TemporaryDirectory() as d:
            tok.write(d)
            table = read_tokenizer(d, {}, tok.vocab_size)
            self.assertEqual(table["kind"], "byte_bpe")
            self.assertEqual(table["tokens"], [tok.id_to_token[i] for i in range(tok.vocab_size)])
            self.assertEqual(table["merges"], [f"{a} {b}" for a, b in _MERGES])
            self.assertEqual((table["bos_id"], table["eos_id"]), (1023, 1023))
            self.assertEqual(bpe.ByteBpe.read(d).merges, tok.merges)
            self.assertEqual(json.loads((Path(d) / "tokenizer.json").read_text())["model"]["merges"][:2],
                             [" ".join(m) for m in _MERGES[:2]])


if __name__ == "__main__":
    unittest.main()
