"""Story model trainer (tools/python/stories + cbktrain.gpt_neo): the token stream, the GPT-Neo trainer
model against the independent reference (cbk_reference) on its exported checkpoint, KV-cache decoding,
and the held-out evaluation's windows (as `cbk eval --ids` cuts them) against the reference's logits."""

import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import cbk_test_helpers  # noqa: F401  (sys.path, one torch thread)
from cbk_reference.checkpoint import load_checkpoint
from cbk_reference.model import full_forward
from cbktrain.codebook import CodebookSpec, Trace
from cbktrain.gpt_neo import NeoModel, NeoShape
from cbktrain.kmeans import init_codebooks
from stories import bpe, corpus
from stories.data import StoryData, encode_stream, eval_windows
from stories.evals import lm_eval
from stories.export import load_trainer_model, save_checkpoint
from stories.recipe import Recipe, Run

_TOK = None


def setUpModule():
    global _TOK
    _TOK = bpe.ByteBpe(bpe.train((s.text for s in corpus.stories(300, corpus.TRAIN_SEED)), 320))


class Stream(unittest.TestCase):
    def test_every_story_follows_an_end_of_text(self):
        stories = list(corpus.stories(5, corpus.HELDOUT_SEED))
        stream = encode_stream(_TOK, (s.text for s in stories))
        eos = np.flatnonzero(stream == _TOK.eos_id)
        self.assertEqual(len(eos), 6)
        self.assertEqual((eos[0], eos[-1]), (0, len(stream) - 1))
        for s, a, b in zip(stories, eos, eos[1:]):
            self.assertEqual(_TOK.decode(stream[a + 1:b].tolist()), s.text)

    def test_windows_as_cbk_eval_cuts_them(self):
        self.assertEqual(eval_windows(10, 4), [(0, 4), (4, 8), (8, 10)])
        self.assertEqual(eval_windows(8, 4), [(0, 4), (4, 8)])
        data = StoryData(np.arange(100, dtype=np.int32), 16, seed=0)
        b = data.batch(5)
        self.assertEqual(tuple(b.shape), (5, 16))
        self.assertTrue(bool(((b[:, 1:] - b[:, :-1]) == 1).all()))  # contiguous windows of the stream


class CheckpointCrossCheck(unittest.TestCase):
    """The saved directory, read by the independent reference, gives the trainer's logits and codes."""

    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        shape = NeoShape(vocab_size=_TOK.vocab_size, d_model=32, n_layers=2, n_heads=4, d_mlp=64, max_positions=32,
                         window_size=3)  # layer 1 is local with a window shorter than the test sequences
        cls.model = NeoModel(shape, seed=1)
        with torch.no_grad():  # a trained-looking base: larger weights than the N(0, 0.02) init
            for p in cls.model.transformer.parameters():
                p.add_(0.2 * torch.randn_like(p))
        cls.model.add_codebooks(CodebookSpec(num_codes=24, k=4, sites=("attn_preproj",)), seed=2)
        cls.stream = encode_stream(_TOK, (s.text for s in corpus.stories(20, corpus.HELDOUT_SEED)))
        init_codebooks(cls.model, [StoryData(cls.stream, 16, seed=3).batch(8)], iters=3, seed=0)
        with torch.no_grad():  # non-trivial LN affines
            for cb in cls.model.codebooks.values():
                cb.ln_weight.mul_(1 + 0.1 * torch.randn_like(cb.ln_weight))
                cb.ln_bias.add_(0.05 * torch.randn_like(cb.ln_bias))
        cls.model.eval()
        cls.dir = Path(tempfile.mkdtemp(prefix="stories_ckpt_"))
        save_checkpoint(cls.model, _TOK, cls.dir, cls.stream[:50], {"note": "test"})
        cls.ref = load_checkpoint(cls.dir)
        cls.toks = torch.from_numpy(cls.stream[:36].astype(np.int64)).view(3, 12)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def test_directory_layout(self):
        for name in ("config.json", "base/config.json", "model.safetensors", "tokenizer.json", "vocab.json",
                     "merges.txt", "special_tokens_map.json", "heldout_ids.txt", "training_summary.json"):
            self.assertTrue((self.dir / name).exists(), name)
        self.assertEqual(self.ref.base.attention_layers, ["global", "local"])
        self.assertEqual([int(x) for x in (self.dir / "heldout_ids.txt").read_text().split()], self.stream[:50].tolist())

    def test_reference_logits_and_codes_match_trainer(self):
        tr = Trace()
        with torch.no_grad():
            logits, _ = self.model(self.toks, trace=tr)
        for i, row in enumerate(self.toks):
            ref_logits, ref_trace = full_forward(self.ref, row.tolist())
            np.testing.assert_allclose(ref_logits.numpy(), logits[i].numpy(), atol=2e-4, rtol=0)
            for layer in range(2):
                for head in range(4):
                    mine = tr.ids[(layer, "attn_preproj")][i, :, head].tolist()  # [T, k], best first
                    self.assertEqual([list(ids) for ids in ref_trace.ids(layer, "attn_preproj", head)], mine)

    def test_kv_cache_decoding_equals_full_forward(self):
        with torch.no_grad():
            full, _ = self.model(self.toks)
            cache = [[] for _ in range(2)]
            steps = [self.model(self.toks[:, :5], cache=cache)[0]]
            for t in range(5, 12):
                steps.append(self.model(self.toks[:, t:t + 1], cache=cache)[0])
        torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=0)

    def test_trainer_model_round_trip(self):
        back = load_trainer_model(self.dir)
        for k, v in self.model.state_dict().items():
            torch.testing.assert_close(back.state_dict()[k], v, rtol=0, atol=0)

    def test_held_out_eval_equals_reference_windows(self):
        stream = self.stream[:41]  # windows of 16: 16 + 16 + 9 tokens
        m = lm_eval(self.model, stream, 16)
        loss = correct = count = 0.0
        for b, e in eval_windows(len(stream), 16):
            ids = stream[b:e].tolist()
            logits, _ = full_forward(self.ref, ids)
            tgt = torch.tensor(ids[1:])
            loss += F.cross_entropy(logits[:-1], tgt, reduction="sum").item()
            correct += (logits[:-1].argmax(-1) == tgt).sum().item()
            count += len(ids) - 1
        self.assertEqual(m["tokens"], 38)
        self.assertAlmostEqual(m["loss"], loss / count, places=4)
        self.assertAlmostEqual(m["acc"], correct / count, places=6)


class Learning(unittest.TestCase):
    def test_a_few_steps_lower_the_held_out_loss(self):
        out = Path(tempfile.mkdtemp(prefix="stories_run_"))
        try:
            r = Recipe(vocab_size=320, bpe_stories=300, train_stories=200, heldout_stories=20, d_model=32, n_heads=4,
                       d_mlp=64, context=32, window_size=16, base_steps=30, base_batch=8, base_lr=3e-3, base_warmup=5,
                       log_every=100, save_every=1000)
            run = Run(r, out, log=lambda s: None)
            first = lm_eval(run.model, run.heldout, r.context)["loss"]
            run._train(r.base_steps, r.base_batch, r.base_warmup, r.min_lr_ratio, with_codebooks=False)
            after = lm_eval(run.model, run.heldout, r.context)["loss"]
            self.assertLess(after, first - 0.5)
            self.assertEqual(bpe.ByteBpe.read(out).merges, run.tok.merges)  # the run wrote its tokenizer
        finally:
            shutil.rmtree(out, True)


if __name__ == "__main__":
    unittest.main()
