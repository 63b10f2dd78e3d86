"""Topic-code search of the story model (tools/python/stories/topic_codes.py): the selection rule on
hand-made activity tables, and the per-story activity against a plain per-token count of a traced run."""

import unittest

import numpy as np
import torch

import cbk_test_helpers  # noqa: F401  (sys.path, one torch thread)
from cbktrain.codebook import CodebookSpec, Trace
from cbktrain.gpt_neo import NeoModel, NeoShape
from stories import bpe, corpus
from stories.topic_codes import annotations, story_code_shares, topic_codes


def table(active_codes, G=2, C=6):
    a = np.zeros((G, C), np.float32)
    for g, c in active_codes:
        a[g, c] = 1.0
    return {0: a}


class Selection(unittest.TestCase):
    # 10 stories: 4 about dragons (two also about fire), 3 about fire, 3 about flowers (one also about dragons)
    TOPICS = [("dragon",), ("dragon",), ("dragon", "fire"), ("dragon", "fire"), ("fire",), ("fire",), ("fire",),
              ("flower",), ("flower",), ("flower", "dragon")]
    ACTIVE = [
        [(0, 1), (0, 2), (0, 3)], [(0, 1), (0, 2), (0, 3)], [(0, 1), (0, 2), (1, 2)], [(0, 1), (1, 2)],
        [(1, 2), (1, 4)], [(1, 2), (1, 4)], [(1, 4)],
        [(1, 5)], [(1, 5)], [(0, 1), (0, 3)],
    ]

    def found(self, **kw):
        kw = {"share": 0.5, "min_support": 0.1, **kw}
        return topic_codes([table(a) for a in self.ACTIVE], self.TOPICS, k=2, **kw)

    def codes(self, found, topic):
        return [(e["group"], e["code"]) for e in found.get(topic, [])]

    def test_support_and_precision(self):
        f = self.found(min_precision=0.9, min_support=0.1)
        # dragon: (0,1) on all 4 dragon stories + the flower story that mentions dragons: support 1, precision 5/5.
        # (0,2) support 3/4, precision 3/3; (0,3) support 2/4, precision 3/3 (the third is the dragon+flower story).
        # the per-head cap k = 2 keeps the two best-supported codes of head 0.
        self.assertEqual(self.codes(f, "dragon"), [(0, 1), (0, 2)])
        d = f["dragon"][0]
        self.assertEqual((d["support"], d["precision"], d["stories"]), (1.0, 1.0, 5))
        # fire: (1,2) on 2 fire stories and 2 dragon stories that mention fire: support 2/3, precision 4/4;
        # (1,4) support 3/3, precision 3/3. For dragon, (1,2) has precision 2/4 and is rejected.
        self.assertEqual(self.codes(f, "fire"), [(1, 4), (1, 2)])
        self.assertAlmostEqual(f["fire"][1]["support"], 2 / 3)
        # flower: (1,5) support 2/3, precision 2/2; (0,3) is not precise for flowers (1/3)
        self.assertEqual(self.codes(f, "flower"), [(1, 5)])

    def test_thresholds_and_caps(self):
        self.assertEqual(self.codes(self.found(min_support=0.8), "fire"), [(1, 4)])
        self.assertEqual(self.codes(self.found(min_precision=0.4), "dragon"), [(0, 1), (0, 2), (1, 2)])
        # equal support and precision: the code on more of the topic's tokens first, although the index
        # order would put the rival first
        shares = [table(a) for a in self.ACTIVE]
        shares[7][0][0, 0] = shares[8][0][0, 0] = 0.7  # a rival flower code on 70 % of their tokens, (1,5) on all
        self.assertEqual(self.codes(topic_codes(shares, self.TOPICS, k=2, share=0.5, min_support=0.1), "flower"),
                         [(1, 5), (0, 0)])
        self.assertEqual(self.codes(self.found(max_codes=1), "dragon"), [(0, 1)])
        self.assertEqual(set(self.found(topics=["fire"])), {"fire"})

    def test_annotations_are_labelled_topics(self):
        notes = annotations(self.found(), 10, 0.5)
        self.assertEqual({n["label"] for n in notes}, {"topic: dragon", "topic: fire", "topic: flower"})
        first = notes[0]
        self.assertEqual((first["site"], first["group"], first["code"], first["frequency"]), ("attn_preproj", 0, 1, 0.5))


class StoryActivity(unittest.TestCase):
    def test_counts_tokens_per_story_against_the_trace(self):
        tok = bpe.ByteBpe(bpe.train((s.text for s in corpus.stories(100, corpus.TRAIN_SEED)), 300))
        model = NeoModel(NeoShape(vocab_size=tok.vocab_size, d_model=32, n_layers=1, n_heads=4, d_mlp=64, max_positions=1024,
                                  window_size=16), seed=0)
        model.add_codebooks(CodebookSpec(num_codes=8, k=3, sites=("attn_preproj",)), seed=0)
        texts = [s.text for s in corpus.stories(3, corpus.HELDOUT_SEED)]
        got = story_code_shares(model, tok, texts, batch=2)
        for text, act in zip(texts, got):
            ids = [tok.eos_id] + tok.encode(text)
            tr = Trace()
            with torch.no_grad():
                model(torch.tensor([ids]), trace=tr)
            slots = tr.ids[(0, "attn_preproj")][0]  # [T, G, k], this story alone
            for g in range(4):
                for c in range(8):
                    tokens_with_c = sum(1 for t in range(len(ids)) if c in slots[t, g].tolist())
                    self.assertAlmostEqual(float(act[0][g, c]), tokens_with_c / len(ids), places=6, msg=(g, c))
            self.assertTrue(act[0].any())


if __name__ == "__main__":
    unittest.main()
