"""The torch reference against a second formulation (numpy float64, per-token loops), every family
and site, plus base-model-only behaviour (bypass == no codebooks)."""

import unittest

import numpy as np
import torch

from cbk_test_helpers import PROMPT, build
from cbk_reference import CodebookTransformer, Steering, Target, full_forward
from numpy_reference import NumpyReference

ATOL = 1e-4

CASES = [
    # (family, site list, extra builder kwargs)
    ("gpt_neox", ["attn_preproj", "mlp"], {}),
    ("gpt_neox", ["qkv", "attn", "mlp_mid"], {"parallel_residual": False, "rotary_pct": 0.5}),
    ("gpt_neox", ["attn_plus_mlp"], {"rotary_pct": 1.0, "codebook_type": "group", "num_codebooks": 2}),
    ("gpt_neox", ["attn_plus_mlp", "transformer_block"], {"parallel_residual": False}),
    ("gpt2", ["attn_preproj", "mlp"], {}),
    ("gpt2", ["qkv", "attn", "mlp_mid"], {"similarity_metric": "euclidean"}),
    ("gpt2", ["attn_plus_mlp", "transformer_block"], {"k_codebook": 1}),
    ("gpt2", ["attn_preproj", "mlp"], {"n_layers": 3, "scale_attn_by_inverse_layer_idx": True}),
    ("gpt2", ["attn", "mlp_mid"], {"n_layers": 3, "scale_attn_by_inverse_layer_idx": True, "scale_attn_weights": False}),
    ("gpt_neo", ["attn_preproj", "mlp"], {"window_size": 3}),
    ("gpt_neo", ["mlp_mid", "attn", "transformer_block"], {"similarity_metric": "euclidean", "window_size": 2}),
]


class CrossCheck(unittest.TestCase):
    def test_logits_and_ids_match_second_formulation(self):
        for fam, sites, kw in CASES:
            with self.subTest(family=fam, sites=sites):
                _, model = build(fam, codebook_at=sites, num_codes=12, k_codebook=kw.pop("k_codebook", 3), seed=7, **kw)
                logits, trace = full_forward(model, PROMPT)
                ref = NumpyReference(model)
                want = ref.forward(PROMPT)
                np.testing.assert_allclose(logits.numpy(), want, atol=ATOL, rtol=0)
                self.assertEqual(sorted(ref.ids), trace.keys())
                for key, ids in ref.ids.items():
                    self.assertEqual(trace.ids(*key), ids, key)

    def test_bypassing_every_codebook_equals_the_plain_base_model(self):
        for fam in ("gpt_neox", "gpt2", "gpt_neo"):
            with self.subTest(family=fam):
                _, model = build(fam, codebook_at=["attn_preproj", "mlp", "transformer_block"], seed=3)
                plain = CodebookTransformer(model.base, None, model.weights, {})
                bypass = Steering(bypass=[Target(L, s) for L in range(model.base.n_layers)
                                          for s in ("attn_preproj", "mlp", "transformer_block")])
                got, trace = full_forward(model, PROMPT, bypass)
                want, _ = full_forward(plain, PROMPT)
                torch.testing.assert_close(got, want, atol=0, rtol=0)
                self.assertEqual(trace.keys(), [])
                np.testing.assert_allclose(want.numpy(), NumpyReference(plain).forward(PROMPT), atol=ATOL, rtol=0)
                # and the codebooks do change the output when they are on
                self.assertGreater(float((full_forward(model, PROMPT)[0] - want).abs().max()), 1e-3)

    def test_last_layer_transformer_block_logits_are_ln_of_the_code(self):
        # with k = 1 at the last layer's block output, logits = LN_f(code) @ W_out^T exactly
        _, model = build("gpt2", codebook_at=["transformer_block"], layers_to_snap=[-1], k_codebook=1,
                         num_codes=8, seed=11)
        logits, trace = full_forward(model, PROMPT)
        L = model.base.n_layers - 1
        codes = model.codebooks[(L, "transformer_block")][0].codes
        w = model.weights
        for t, (cid,) in enumerate(trace.ids(L, "transformer_block", 0)):
            x = torch.nn.functional.layer_norm(codes[cid], (codes.shape[1],), w["transformer.ln_f.weight"],
                                               w["transformer.ln_f.bias"], 1e-5)
            torch.testing.assert_close(logits[t], x @ w["transformer.wte.weight"].T, atol=1e-5, rtol=1e-5)


if __name__ == "__main__":
    unittest.main()
