"""The story corpus generator (tools/python/stories): determinism, splits, lengths, vocabulary and
topic counts, and the per-topic regexes that `cbk steer-eval` will use (precision measured here)."""

import re
import unittest

import cbk_test_helpers  # noqa: F401  (sys.path)
from stories import corpus, stats
from stories.grammar import MAX_WORDS, MIN_WORDS
from stories.template import Grammar, article, plural, words_of
from stories.topics import TOPICS

N_TRAIN, N_HELDOUT = 3000, 1000
_TRAIN = _HELDOUT = None


def setUpModule():
    global _TRAIN, _HELDOUT
    _TRAIN = corpus.split("train", N_TRAIN)
    _HELDOUT = corpus.split("heldout", N_HELDOUT)


class Template(unittest.TestCase):
    def test_expansion_draws_from_pools_alternatives_and_cast(self):
        import random
        g = Grammar({"pet": ["owl"], "food": ["{adj} apple"], "adj": ["red"]})
        out = g.expand("{N} saw {a:pet} and {pl:food} [here|here]", random.Random(0), {"N": "Mia"})
        self.assertEqual(out, "Mia saw an owl and red apples here")
        with self.assertRaises(KeyError):
            g.expand("{nope}", random.Random(0), {})

    def test_plural_and_article(self):
        self.assertEqual([plural(w) for w in ("fox", "bunny", "mouse", "toy", "ice cream")],
                         ["foxes", "bunnies", "mice", "toys", "ice creams"])
        self.assertEqual((article("owl"), article("dog"), article("unicorn")), ("an owl", "a dog", "a unicorn"))


class Corpus(unittest.TestCase):
    def test_deterministic_per_seed(self):
        again = list(corpus.stories(50, corpus.TRAIN_SEED))
        self.assertEqual([s.text for s in again], [s.text for s in _TRAIN[:50]])
        self.assertEqual(corpus.story(corpus.TRAIN_SEED, 1234), _TRAIN[1234])  # any story alone
        other = list(corpus.stories(50, 99))
        self.assertEqual(sum(a.text == b.text for a, b in zip(other, again)), 0)

    def test_splits_are_disjoint(self):
        self.assertEqual(set(s.text for s in _TRAIN) & set(s.text for s in _HELDOUT), set())
        self.assertEqual(len(set(s.text for s in _TRAIN)), N_TRAIN)  # no duplicates inside a split either

    def test_length_bounds_and_clean_text(self):
        for s in _TRAIN + _HELDOUT:
            self.assertGreaterEqual(s.words, MIN_WORDS)
            self.assertLessEqual(s.words, MAX_WORDS)
            self.assertEqual(s.words, len(words_of(s.text)))
            self.assertTrue(s.text.isascii(), s.text)
            self.assertNotRegex(s.text, r"[{}\[\]|_]|  ")
            self.assertRegex(s.text, r'^[A-Z].*[.!?"]$')

    def test_vocabulary_and_topic_counts(self):
        self.assertGreaterEqual(len(TOPICS), 25)
        self.assertEqual(len({t.name for t in TOPICS}), len(TOPICS))
        self.assertGreaterEqual(len(stats.grammar_words()), 1500)
        seen = set()
        for s in _TRAIN:
            seen.update(words_of(s.text))
        seen -= stats.names()
        self.assertGreaterEqual(len(seen), 1500)  # used, not just listed
        self.assertEqual(seen - stats.grammar_words(), set())  # the grammar's count covers every written word

    def test_every_topic_reachable_as_main_and_second(self):
        mains = {t.name: 0 for t in TOPICS}
        seconds = dict(mains)
        for s in _TRAIN:
            mains[s.topics[0]] += 1
            if len(s.topics) == 2:
                self.assertNotEqual(s.topics[0], s.topics[1])
                seconds[s.topics[1]] += 1
        expect = N_TRAIN / len(TOPICS)
        for name in mains:
            self.assertGreater(mains[name], 0.6 * expect, name)
            self.assertGreater(seconds[name], 0.25 * expect, name)
        mixed = sum(len(s.topics) == 2 for s in _TRAIN) / N_TRAIN
        self.assertTrue(0.4 < mixed < 0.6, mixed)

    def test_topic_regex_precision_recall_and_base_rate(self):
        """A story matches topic T's regex iff T takes part in it: recall 100 %, precision >= 98 %, and
        each regex matches <= 10 % of all stories (steering needs a low baseline)."""
        worst = 1.0
        for t in TOPICS:
            rx = re.compile(t.regex, re.IGNORECASE)
            matched = [s for s in _TRAIN if rx.search(s.text)]
            members = [s for s in _TRAIN if t.name in s.topics]
            precision = sum(t.name in s.topics for s in matched) / len(matched)
            recall = sum(bool(rx.search(s.text)) for s in members) / len(members)
            worst = min(worst, precision)
            self.assertEqual(recall, 1.0, t.name)
            self.assertGreaterEqual(precision, 0.98, t.name)
            self.assertLessEqual(len(matched) / N_TRAIN, 0.10, t.name)
        self.assertGreaterEqual(worst, 0.98)

    def test_regex_rejects_lookalike_words(self):
        by = {t.name: re.compile(t.regex, re.IGNORECASE) for t in TOPICS}
        for name, text in (("cat", "He tried to catch it."), ("car", "Be careful."), ("bee", "It has been fun."),
                           ("rain", "A rainbow came out."), ("fire", "The firefighters came."),
                           ("ball", "They went to the ballet."), ("book", "A bookshelf.")):
            self.assertIsNone(by[name].search(text), name)
        for name, text in (("dog", "Two puppies."), ("snow", "A snowman."), ("sea", "The OCEAN."), ("baby", "babies")):
            self.assertIsNotNone(by[name].search(text), name)

    def test_readme_figures_are_the_scripts_output(self):
        self.assertEqual(stats.readme_block(stats.README.read_text(encoding="utf-8")), stats.report(),
                         "run: cd tools/python && /usr/bin/python3 -m stories.stats --update-readme")


if __name__ == "__main__":
    unittest.main()
