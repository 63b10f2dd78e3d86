"""Incremental decode with the KV cache must reproduce one full forward (logits, ids, scores), with
and without steering (positions are absolute), and the context limit is an error."""

import unittest

import torch

from cbk_test_helpers import PROMPT, build
from cbk_reference import ContextOverflow, Steering, full_forward

STEER = {"interventions": [
    {"op": "force", "layer": 0, "site": "mlp", "code": 4, "positions": [[3, 6]], "slot": 0},
    {"op": "disable", "layer": 1, "site": "attn_preproj", "group": 1, "codes": [0, 1, 2], "positions": [2, 8]},
    {"op": "disable", "layer": 1, "site": "mlp", "topn": 1, "mode": "zero", "positions": [7]},
    {"op": "interchange", "layer": 0, "site": "attn_preproj", "group": 0, "position": 5, "ids": [3, 1]}]}


def split_run(model, tokens, splits, steering=None):
    s = model.session(steering)
    out, start = [], 0
    for end in list(splits) + [len(tokens)]:
        out.append(s.forward(tokens[start:end]))
        start = end
    return torch.cat(out), s.trace


class KVCache(unittest.TestCase):
    def check(self, model, steering=None):
        full, ftrace = full_forward(model, PROMPT, steering)
        for splits in ([1], [4], [3, 4, 5, 6, 7, 8, 9], list(range(1, len(PROMPT)))):
            inc, itrace = split_run(model, PROMPT, splits, steering)
            torch.testing.assert_close(inc, full, atol=2e-5, rtol=1e-5)
            self.assertEqual(itrace.keys(), ftrace.keys())
            for key in ftrace.keys():
                self.assertEqual(itrace.ids(*key), ftrace.ids(*key), (splits, key))

    def test_every_family_decodes_like_a_full_forward(self):
        for fam, kw in (("gpt_neox", {}), ("gpt_neox", {"parallel_residual": False, "rotary_pct": 1.0}),
                        ("gpt2", {}), ("gpt_neo", {"window_size": 3})):
            with self.subTest(family=fam, **kw):
                _, model = build(fam, codebook_at=["attn_preproj", "mlp", "qkv"] if fam != "gpt_neo"
                                 else ["attn_preproj", "mlp"], seed=5, **kw)
                self.check(model)

    def test_steering_uses_absolute_positions_across_calls(self):
        for fam in ("gpt_neox", "gpt_neo"):
            with self.subTest(family=fam):
                _, model = build(fam, seed=6)
                self.check(model, Steering.from_json(STEER))
                steered, trace = full_forward(model, PROMPT, Steering.from_json(STEER))
                self.assertEqual(trace.ids(0, "mlp", 0)[4][0], 4)
                self.assertEqual(trace.ids(0, "attn_preproj", 0)[5], [3, 1])
                self.assertEqual(trace.ids(1, "mlp", 0)[7][0], -1)

    def test_generated_positions_start_after_the_first_call(self):
        _, model = build("gpt2", seed=8)
        spec = Steering.from_json({"interventions": [
            {"op": "force", "layer": 0, "site": "mlp", "code": 2, "positions": "generated", "slot": "all"}]})
        _, trace = split_run(model, PROMPT, [6, 7, 8], spec)
        ids = trace.ids(0, "mlp", 0)
        # natural top-k ids are distinct, so [2, 2] can only come from the force
        self.assertNotIn([2, 2], ids[:6])
        self.assertEqual(ids[6:], [[2, 2]] * 4)
        _, full_trace = full_forward(model, PROMPT, spec)  # one call: the whole input is prompt
        self.assertNotIn([2, 2], full_trace.ids(0, "mlp", 0))

    def test_steering_a_missing_codebook_is_an_error(self):
        _, model = build("gpt2", codebook_at=["mlp"], seed=8)
        for bad in ({"op": "force", "layer": 0, "site": "attn", "code": 1},
                    {"op": "force", "layer": 5, "site": "mlp", "code": 1},
                    {"op": "force", "layer": 0, "site": "mlp", "group": 1, "code": 1}):
            with self.subTest(spec=bad), self.assertRaises(ValueError):
                model.session(Steering.from_json({"interventions": [bad]}))

    def test_context_overflow_is_an_error(self):
        _, model = build("gpt_neox", max_positions=8, seed=1)
        s = model.session()
        s.forward(PROMPT[:7])
        with self.assertRaises(ContextOverflow):
            s.forward(PROMPT[7:9])
        s.forward(PROMPT[7:8])  # exactly at the limit is fine


if __name__ == "__main__":
    unittest.main()
