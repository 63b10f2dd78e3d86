"""Attention details: GPT-Neo local windows, rotary invariances, GPT-Neo's missing 1/sqrt(d) scale."""

import math
import unittest

import torch

from cbk_test_helpers import build
from cbk_reference import CodebookTransformer, full_forward
from cbk_reference.blocks import apply_rotary, rotary_cos_sin, visibility_mask


class LocalWindow(unittest.TestCase):
    def test_mask_matches_hf_bias_xor_tril(self):
        # HF: bias = tril(ones) ^ tril(tril(ones), -window): visible iff i - window < j <= i
        n, window = 9, 3
        tri = torch.tril(torch.ones(n, n, dtype=torch.uint8))
        hf = (tri ^ torch.tril(tri, -window)).bool()
        pos = torch.arange(n)
        self.assertTrue(torch.equal(visibility_mask(pos, pos, window), hf))
        self.assertTrue(torch.equal(visibility_mask(pos, pos, None), tri.bool()))
        self.assertEqual(visibility_mask(pos, pos, window)[5].nonzero().flatten().tolist(), [3, 4, 5])

    def test_local_layer_ignores_tokens_outside_the_window(self):
        _, model = build("gpt_neo", codebook_at=["mlp"], n_layers=1, attention_layers=["local"], window_size=3,
                         seed=2)
        base = [1, 2, 3, 4, 5, 6, 7]
        changed = list(base)
        changed[1] = 99  # visible to queries 1..3 only
        a, _ = full_forward(model, base)
        b, _ = full_forward(model, changed)
        diff = (a - b).abs().amax(dim=-1)
        self.assertTrue(torch.all(diff[4:] == 0), diff)
        self.assertTrue(torch.all(diff[1:4] > 0), diff)

    def test_global_layer_sees_everything(self):
        _, model = build("gpt_neo", codebook_at=["mlp"], n_layers=1, attention_layers=["global"], window_size=3,
                         seed=2)
        a, _ = full_forward(model, [1, 2, 3, 4, 5, 6, 7])
        b, _ = full_forward(model, [1, 99, 3, 4, 5, 6, 7])
        self.assertTrue(torch.all((a - b).abs().amax(dim=-1)[1:] > 0))


class Rotary(unittest.TestCase):
    def setUp(self):
        g = torch.Generator().manual_seed(0)
        self.q = torch.randn(2, 1, 8, generator=g)
        self.k = torch.randn(2, 1, 8, generator=g)

    def rot(self, x, pos, ndims=6, base=10000.0):
        cos, sin = rotary_cos_sin(torch.tensor([pos]), ndims, base)
        return apply_rotary(x, cos, sin, ndims)

    def test_scores_depend_only_on_relative_position(self):
        s1 = (self.rot(self.q, 7) * self.rot(self.k, 3)).sum(-1)
        s2 = (self.rot(self.q, 20) * self.rot(self.k, 16)).sum(-1)
        torch.testing.assert_close(s1, s2, atol=1e-5, rtol=1e-5)

    def test_rotation_preserves_norm_and_passes_the_rest(self):
        r = self.rot(self.q, 5)
        torch.testing.assert_close(r.norm(dim=-1), self.q.norm(dim=-1))
        self.assertTrue(torch.equal(r[..., 6:], self.q[..., 6:]))
        self.assertTrue(torch.equal(self.rot(self.q, 0), self.q))

    def test_pairs_are_half_apart_with_hf_frequencies(self):
        # dim m pairs with m + ndims/2 and turns by pos * base^(-2m/ndims) (rotate_half convention)
        x = torch.zeros(1, 1, 8)
        x[..., 1] = 1.0
        r = self.rot(x, 2, ndims=6, base=100.0)
        theta = 2 * 100.0 ** (-2 / 6)
        self.assertAlmostEqual(float(r[..., 1]), math.cos(theta), places=6)
        self.assertAlmostEqual(float(r[..., 4]), math.sin(theta), places=6)

    def test_neox_without_rotary_is_blind_to_order(self):
        # one layer, no learned positions, rotary_pct 0: the last token attends to a *set* of keys, so swapping
        # two earlier tokens cannot change its logits; with full rotary it does.
        _, model = build("gpt_neox", codebook_at=["mlp"], n_layers=1, rotary_pct=0.0, seed=4)
        a, _ = full_forward(model, [9, 3, 5, 7])
        b, _ = full_forward(model, [3, 9, 5, 7])
        torch.testing.assert_close(a[-1], b[-1], atol=1e-5, rtol=1e-5)
        _, model = build("gpt_neox", codebook_at=["mlp"], n_layers=1, rotary_pct=1.0, seed=4)
        a, _ = full_forward(model, [9, 3, 5, 7])
        b, _ = full_forward(model, [3, 9, 5, 7])
        self.assertGreater(float((a[-1] - b[-1]).abs().max()), 1e-4)


class Scaling(unittest.TestCase):
    def test_gpt_neo_has_no_score_scaling(self):
        # scaling the q projection by c scales GPT-Neo's scores by c; GPT-2 would divide by sqrt(hd) as well.
        # Check directly: attention with q scaled by sqrt(hd) in GPT-2 == unscaled GPT-Neo-style math.
        from cbk_reference.blocks import attend
        g = torch.Generator().manual_seed(1)
        q, k, v = (torch.randn(2, 4, 8, generator=g) for _ in range(3))
        pos = torch.arange(4)
        neo = attend(q, k, v, pos, pos, scale=None)
        gpt2 = attend(q * math.sqrt(8), k, v, pos, pos, scale=None, divisors=[math.sqrt(8)])
        torch.testing.assert_close(neo, gpt2, atol=1e-6, rtol=1e-5)
        # and by hand for one query: the first query sees only key 0 -> output = v[:, 0]
        torch.testing.assert_close(neo.view(4, 2, 8)[0], v[:, 0])


class Activations(unittest.TestCase):
    def test_gelu_variants(self):
        from cbk_reference.blocks import activation
        x = torch.linspace(-6, 6, 101)
        erf = torch.tensor([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()])
        torch.testing.assert_close(activation("gelu", x), erf, atol=1e-6, rtol=1e-6)
        tanh = torch.tensor([0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
                             for v in x.tolist()])
        torch.testing.assert_close(activation("gelu_new", x), tanh, atol=1e-6, rtol=1e-6)
        self.assertGreater(float((activation("gelu", x) - activation("gelu_new", x)).abs().max()), 1e-5)


if __name__ == "__main__":
    unittest.main()
