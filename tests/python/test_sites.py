"""Every family x site x grouping x metric x k builds, loads and traces sensibly; grouped G=1 equals
vanilla; the fused-QKV group layout differs per family as HF lays the weights out."""

import unittest

import torch

from cbk_test_helpers import PROMPT, build
from cbk_reference import SITES, Interchange, Steering, Target, full_forward


class Matrix(unittest.TestCase):
    def test_all_combinations(self):
        for fam in ("gpt_neox", "gpt2", "gpt_neo"):
            for site in SITES:
                for ctype in ("vanilla", "group"):
                    for metric in ("inner_product", "euclidean"):
                        for k in (1, 8):
                            with self.subTest(family=fam, site=site, type=ctype, metric=metric, k=k):
                                self.check(fam, site, ctype, metric, k)

    def check(self, fam, site, ctype, metric, k):
        kw = dict(codebook_at=[site], codebook_type=ctype, num_codebooks=2 if ctype == "group" else 1,
                  similarity_metric=metric, k_codebook=k, num_codes=16, seed=hash((fam, site)) % 1000)
        if fam == "gpt_neo" and site == "qkv":
            with self.assertRaises(ValueError):
                build(fam, **kw)
            return
        _, model = build(fam, **kw)
        logits, trace = full_forward(model, PROMPT[:6])
        self.assertTrue(torch.isfinite(logits).all())
        groups = (6 if ctype == "group" else 3) if site == "qkv" else (2 if ctype == "group" else 1)
        self.assertEqual(trace.keys(), [(L, site, g) for L in range(2) for g in range(groups)])
        for key in trace.keys():
            for ids, scores in zip(trace.ids(*key), trace.scores(*key)):
                self.assertEqual(len(ids), k)
                self.assertEqual(len(set(ids)), k)
                self.assertEqual(scores, sorted(scores, reverse=True))
        # re-inserting every recorded id through interchange reproduces the run
        ivs = [Interchange(Target(L, s, g), p, ids) for (L, s, g) in trace.keys()
               for p, ids in enumerate(trace.ids(L, s, g))]
        again, trace2 = full_forward(model, PROMPT[:6], Steering(ivs))
        torch.testing.assert_close(again, logits, atol=1e-5, rtol=1e-5)


class Equivalences(unittest.TestCase):
    def test_group_of_one_equals_vanilla(self):
        for site in ("mlp", "attn_preproj", "transformer_block"):
            with self.subTest(site=site):
                _, g1 = build("gpt_neox", codebook_at=[site], codebook_type="group", num_codebooks=1, seed=21)
                _, van = build("gpt_neox", codebook_at=[site], codebook_type="vanilla", seed=21)
                a, ta = full_forward(g1, PROMPT)
                b, tb = full_forward(van, PROMPT)
                torch.testing.assert_close(a, b, atol=0, rtol=0)
                self.assertEqual(ta.ids(1, site, 0), tb.ids(1, site, 0))


class QkvLayout(unittest.TestCase):
    def constant_groups(self, model, site="qkv"):
        _, trace = full_forward(model, PROMPT)
        return {g for (L, s, g) in trace.keys() if L == 0 and s == site
                and all(r == trace.ids(0, s, g)[0] for r in trace.ids(0, s, g))}

    def test_zeroed_value_head_hits_the_right_group(self):
        # make head 0's V projection output exactly zero in layer 0: its codebook group sees LN(0) = bias
        # for every token, so its ids cannot vary. NeoX lays the fused output per head [h][q|k|v]
        # (V of head 0 = group 2); GPT-2 as [Q|K|V] (V of head 0 = group 2*H = 8).
        hd = 8
        for fam, group in (("gpt_neox", 2), ("gpt2", 8)):
            with self.subTest(family=fam):
                _, model = build(fam, codebook_at=["qkv"], codebook_type="group", num_codebooks=-1, seed=13)
                w = model.weights
                if fam == "gpt_neox":
                    w["gpt_neox.layers.0.attention.query_key_value.weight"][2 * hd:3 * hd] = 0
                    w["gpt_neox.layers.0.attention.query_key_value.bias"][2 * hd:3 * hd] = 0
                else:
                    w["transformer.h.0.attn.c_attn.weight"][:, 64:64 + hd] = 0
                    w["transformer.h.0.attn.c_attn.bias"][64:64 + hd] = 0
                self.assertEqual(self.constant_groups(model), {group})


if __name__ == "__main__":
    unittest.main()
