"""Codebook selection and output on hand-derived cases (values worked out on paper, not by the code)."""

import math
import unittest

import torch

import cbk_test_helpers  # noqa: F401  (thread settings)
from cbk_reference.codebook import CodebookTensors, codebook_group_forward

# LN of x = (1, -1, 1, -1): mean 0, biased variance 1 -> x / sqrt(1 + 1e-5)
X = torch.tensor([[1.0, -1.0, 1.0, -1.0]])
S = 1.0 / math.sqrt(1.0 + 1e-5)
CODES = torch.tensor([[1.0, -1.0, 1.0, -1.0],   # <x̂,c>/|c| = 4S/2 = 2S ; |x̂-c| = 2(1-S)... ≈ 0
                      [2.0, 0.0, 0.0, 0.0],     # 2S/2 = S            ; |x̂-c| ≈ 2
                      [0.0, 0.0, 0.0, -3.0]])   # 3S/3 = S (ties id 1); |x̂-c| ≈ sqrt(7)


def unit_ln(d):
    return torch.ones(d), torch.zeros(d)


class HandDerivedSelection(unittest.TestCase):
    def cb(self, codes=CODES, w=None, b=None):
        lw, lb = unit_ln(codes.shape[1])
        return CodebookTensors(codes, lw if w is None else w, lb if b is None else b)

    def test_inner_product_ties_go_to_lower_id_and_output_is_mean(self):
        r = codebook_group_forward(X, self.cb(), 2, "inner_product", [0], 0)
        self.assertEqual(r.ids, [[0, 1]])
        self.assertAlmostEqual(r.scores[0][0], 2 * S, places=6)
        self.assertAlmostEqual(r.scores[0][1], S, places=6)
        torch.testing.assert_close(r.output, torch.tensor([[1.5, -0.5, 0.5, -0.5]]))

    def test_k3_orders_all_codes(self):
        r = codebook_group_forward(X, self.cb(), 3, "inner_product", [0], 0)
        self.assertEqual(r.ids, [[0, 1, 2]])
        torch.testing.assert_close(r.output, torch.tensor([[3.0, -1.0, 1.0, -4.0]]) / 3)  # c0 + c1 + c2

    def test_euclidean_scores_are_negative_distances(self):
        r = codebook_group_forward(X, self.cb(), 3, "euclidean", [0], 0)
        self.assertEqual(r.ids, [[0, 1, 2]])
        # x̂ - c1 = (S-2, -S, S, -S): squared norm (S-2)^2 + 3S^2
        self.assertAlmostEqual(r.scores[0][1], -math.sqrt((S - 2) ** 2 + 3 * S * S), places=5)
        self.assertAlmostEqual(r.scores[0][2], -math.sqrt(3 * S * S + (3 - S) ** 2), places=5)

    def test_metrics_can_disagree(self):
        # a long code parallel to x̂ wins on inner product (norm divided out) but loses on distance
        codes = torch.tensor([[10.0, -10.0, 10.0, -10.0], [1.2, -0.8, 1.0, -1.0]])
        self.assertEqual(codebook_group_forward(X, self.cb(codes), 1, "inner_product", [0], 0).ids, [[0]])
        self.assertEqual(codebook_group_forward(X, self.cb(codes), 1, "euclidean", [0], 0).ids, [[1]])
        # the output is the raw (un-normalised) code
        torch.testing.assert_close(codebook_group_forward(X, self.cb(codes), 1, "inner_product", [0], 0).output,
                                   codes[:1])

    def test_layer_norm_affine_is_applied_before_search(self):
        # weight (1,1,1,1), bias (0,0,0,-5): x̂ = (S, -S, S, -S-5) -> code 2 (0,0,0,-3) now wins
        w, b = torch.ones(4), torch.tensor([0.0, 0.0, 0.0, -5.0])
        r = codebook_group_forward(X, self.cb(w=w, b=b), 1, "inner_product", [0], 0)
        self.assertEqual(r.ids, [[2]])
        self.assertAlmostEqual(r.scores[0][0], (S + 5) * 3 / 3, places=5)

    def test_layer_norm_uses_its_own_eps(self):
        # constant input: variance 0, LN = bias exactly, whatever the eps
        b = torch.tensor([0.0, 0.0, 0.0, -1.0])
        r = codebook_group_forward(torch.full((1, 4), 7.0), self.cb(w=torch.ones(4), b=b), 1, "inner_product", [0], 0)
        self.assertEqual(r.ids, [[2]])
        self.assertAlmostEqual(r.scores[0][0], 1.0, places=6)

    def test_exact_ties_pick_lowest_ids_in_order(self):
        codes = torch.tensor([[1.0, 0, 0, 0]] * 5)  # identical codes -> identical scores
        r = codebook_group_forward(X, self.cb(codes), 3, "euclidean", [0], 0)
        self.assertEqual(r.ids, [[0, 1, 2]])

    def test_each_token_independent(self):
        x = torch.cat([X, -X])
        r = codebook_group_forward(x, self.cb(), 1, "inner_product", [0, 1], 0)
        # -x̂ : scores c0 = -2S, c1 = -S, c2 = -S -> tie between 1 and 2, lower id wins
        self.assertEqual(r.ids, [[0], [1]])


if __name__ == "__main__":
    unittest.main()
