"""TokFSM against direct numpy calls and hand-checked sequences (semantics doc §6)."""

import unittest

import numpy as np

from cbk_test_helpers import build
from cbk_reference.fsm import BOS, TokFSM, first_transition_accuracy


class FsmConstruction(unittest.TestCase):
    def setUp(self):
        self.fsm = TokFSM()

    def test_successors_follow_one_generator_drawn_in_state_order(self):
        rng = np.random.default_rng(42)
        for i in range(100):
            want = rng.choice(100, 10, replace=False)
            if i < 5 or i == 99:
                self.assertEqual(sorted(want.tolist()), self.fsm.successors(i).tolist(), i)

    def test_transition_matrix_is_uniform_over_ten_successors(self):
        m = self.fsm.transition_matrix
        self.assertEqual(m.shape, (100, 100))
        self.assertTrue(np.all((m != 0).sum(axis=1) == 10))
        np.testing.assert_allclose(m[m != 0], 0.1)

    def test_digits(self):
        self.assertEqual(self.fsm.digits, 2)
        self.assertEqual(self.fsm.state_tokens(8), [0, 8])
        self.assertEqual(self.fsm.state_tokens(57), [5, 7])
        self.assertEqual(self.fsm.tokens_to_states([BOS, 0, 8, 5, 7, 3]), [8, 57])


class FsmSamples(unittest.TestCase):
    def test_sample_is_bos_plus_127_digits_of_a_valid_walk(self):
        fsm = TokFSM()
        toks = fsm.sample()
        self.assertEqual(len(toks), 128)
        self.assertEqual(toks[0], BOS)
        self.assertTrue(all(0 <= t <= 9 for t in toks[1:]))
        states = fsm.tokens_to_states(toks)
        self.assertEqual(len(states), 63)  # the 64th state lost its last digit to truncation
        self.assertEqual(fsm.transition_accuracy([states]), (1.0, 1.0))

    def test_sampling_continues_the_construction_generator(self):
        fsm = TokFSM()
        rng = np.random.default_rng(42)
        for _ in range(100):
            rng.choice(100, 10, replace=False)
        start = int(rng.choice(100))
        self.assertEqual(fsm.trajectory(1), [start])

    def test_transition_accuracy_by_hand(self):
        fsm = TokFSM()
        s0 = 0
        good = int(fsm.successors(s0)[0])
        bad = next(s for s in range(100) if not fsm.is_edge(s0, s))
        after = int(fsm.successors(good)[0])
        # transitions: [s0->good ok, good->after ok], [s0->bad wrong]
        acc, first = fsm.transition_accuracy([[s0, good, after], [s0, bad]])
        self.assertAlmostEqual(acc, 2 / 3)
        self.assertAlmostEqual(first, 1 / 2)


class FirstTransitionAccuracy(unittest.TestCase):
    def test_runs_on_a_tokfsm_shaped_model(self):
        _, model = build("gpt_neox", tokenizer="digits", codebook_at=["attn_preproj", "mlp"], k_codebook=1,
                         d_model=16, n_heads=2, seed=3)
        acc = first_transition_accuracy(model, TokFSM(), states=[0, 1, 2])
        self.assertTrue(0.0 <= acc <= 1.0)
        self.assertAlmostEqual(acc * 30, round(acc * 30), places=9)  # whole hits out of 10 per state


if __name__ == "__main__":
    unittest.main()
