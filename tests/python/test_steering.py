"""Steering modes on hand-built codebooks (semantics doc §4): expected ids/outputs derived by hand."""

import unittest

import torch

import cbk_test_helpers  # noqa: F401
from cbk_reference.codebook import CodebookTensors, codebook_group_forward
from cbk_reference.steering import Disable, Force, Interchange, Positions, Steering, Target

# For x = (1,-1,1,-1) (LN = x * S) the inner-product ranking of these codes is 0, 1, 2, 3
# (scores 2S, S, S, -S; the 1/2 tie goes to the lower id).
CODES = torch.tensor([[1.0, -1.0, 1.0, -1.0],
                      [2.0, 0.0, 0.0, 0.0],
                      [0.0, 0.0, 0.0, -3.0],
                      [0.0, 0.0, 0.0, 0.5]])
CB = CodebookTensors(CODES, torch.ones(4), torch.zeros(4))
T = Target(0, "mlp")
X3 = torch.tensor([[1.0, -1.0, 1.0, -1.0]] * 3)  # three identical tokens at positions 0, 1, 2


def run(steer, k=2, positions=(0, 1, 2), n_prompt=3, x=X3):
    return codebook_group_forward(x, CB, k, "inner_product", list(positions), n_prompt, steer)


class Forcing(unittest.TestCase):
    def test_force_default_slot_is_last(self):
        r = run([Force(T, 3)])
        self.assertEqual(r.ids, [[0, 3]] * 3)
        torch.testing.assert_close(r.output[0], (CODES[0] + CODES[3]) / 2)

    def test_force_slot_zero_at_listed_positions(self):
        r = run([Force(T, 2, Positions([1]), slot=0)])
        self.assertEqual(r.ids, [[0, 1], [2, 1], [0, 1]])

    def test_force_all_slots_times_strength(self):
        r = run([Force(T, 2, slot="all", strength=2.5)], k=3)
        self.assertEqual(r.ids[0], [2, 2, 2])
        torch.testing.assert_close(r.output, CODES[2].repeat(3, 1) * 2.5)

    def test_strength_scales_only_the_forced_slot(self):
        r = run([Force(T, 3, strength=4.0)])
        torch.testing.assert_close(r.output[0], (CODES[0] + 4.0 * CODES[3]) / 2)

    def test_append_averages_over_k_plus_one(self):
        r = run([Force(T, 3, Positions([[1, 3]]), slot="append")])
        self.assertEqual(r.ids, [[0, 1], [0, 1, 3], [0, 1, 3]])
        torch.testing.assert_close(r.output[1], (CODES[0] + CODES[1] + CODES[3]) / 3)
        torch.testing.assert_close(r.output[0], (CODES[0] + CODES[1]) / 2)

    def test_generated_positions_only(self):
        r = run([Force(T, 3, Positions("generated"))], n_prompt=2)
        self.assertEqual(r.ids, [[0, 1], [0, 1], [0, 3]])

    def test_scores_reported_for_forced_codes(self):
        r = run([Force(T, 3)])
        self.assertLess(r.scores[0][1], 0)  # code 3 scores -S


class Disabling(unittest.TestCase):
    def test_keep_mode_next_best_fills_in(self):
        r = run([Disable(T, codes=[0])])
        self.assertEqual(r.ids[0], [1, 2])
        torch.testing.assert_close(r.output[0], (CODES[1] + CODES[2]) / 2)

    def test_keep_mode_topn_skips_best(self):
        # reference: topk(k + n)[-k:]
        self.assertEqual(run([Disable(T, topn=1)]).ids[0], [1, 2])
        self.assertEqual(run([Disable(T, topn=2)]).ids[0], [2, 3])

    def test_keep_mode_codes_and_topn_combine(self):
        # code 1 gets -inf first, then the best remaining (0) is skipped
        self.assertEqual(run([Disable(T, codes=[1], topn=1)]).ids[0], [2, 3])

    def test_keep_mode_only_at_positions(self):
        r = run([Disable(T, codes=[0], positions=Positions([0, 2]))])
        self.assertEqual(r.ids, [[1, 2], [0, 1], [1, 2]])

    def test_zero_mode_blocks_slot_and_keeps_denominator(self):
        r = run([Disable(T, codes=[1], mode="zero")])
        self.assertEqual(r.ids[0], [0, -1])
        self.assertIsNone(r.scores[0][1])
        torch.testing.assert_close(r.output[0], CODES[0] / 2)

    def test_zero_mode_blocking_everything_gives_zero(self):
        r = run([Disable(T, codes=[0, 1, 2, 3], mode="zero")], k=3)
        self.assertEqual(r.ids[0], [-1, -1, -1])
        torch.testing.assert_close(r.output, torch.zeros(3, 4))
        r = run([Disable(T, topn=3, mode="zero")], k=3)
        torch.testing.assert_close(r.output, torch.zeros(3, 4))

    def test_zero_mode_topn_blocks_leading_slots(self):
        r = run([Disable(T, topn=1, mode="zero", positions=Positions([1]))])
        self.assertEqual(r.ids, [[0, 1], [-1, 1], [0, 1]])

    def test_zero_mode_slots_apply_everywhere(self):
        r = run([Disable(T, slots=[-1], mode="zero", positions=Positions([1]))])
        self.assertEqual(r.ids, [[0, -1]] * 3)


class InterchangeAndSpec(unittest.TestCase):
    def test_interchange_sets_all_slots_at_one_position(self):
        r = run([Interchange(T, 2, [3, 2])])
        self.assertEqual(r.ids, [[0, 1], [0, 1], [3, 2]])
        torch.testing.assert_close(r.output[2], (CODES[3] + CODES[2]) / 2)

    def test_interchange_then_force(self):
        r = run([Interchange(T, 0, [3, 2]), Force(T, 1, Positions([0]), slot=0)])
        self.assertEqual(r.ids[0], [1, 2])

    def test_json_spec_round_trip(self):
        spec = {"interventions": [
            {"op": "force", "layer": 1, "site": "attn_preproj", "group": 2, "code": 5, "positions": [0, [3, 5]],
             "slot": "append", "strength": 0.5},
            {"op": "disable", "layer": 0, "site": "mlp", "codes": [1], "topn": 2, "mode": "zero"},
            {"op": "interchange", "layer": 0, "site": "mlp", "position": 4, "ids": [7, 8]}],
            "bypass": [{"layer": 0, "site": "mlp", "group": None}]}
        s = Steering.from_json(spec)
        f = s.interventions[0]
        self.assertEqual((f.code, f.slot, f.strength), (5, "append", 0.5))
        self.assertTrue(f.positions.contains(4, 99) and not f.positions.contains(5, 99))
        self.assertEqual(len(s.for_group(1, "attn_preproj", 2)), 1)
        self.assertEqual(len(s.for_group(1, "attn_preproj", 1)), 0)
        self.assertEqual(len(s.for_group(0, "mlp", 3)), 2)  # group None targets every group
        self.assertTrue(s.bypassed(0, "mlp", 0))
        with self.assertRaises(ValueError):
            Steering.from_json({"interventions": [{"op": "nope", "layer": 0, "site": "mlp"}]})

    def test_bad_slot_and_code_raise(self):
        with self.assertRaises(ValueError):
            run([Force(T, 1, slot=2)])
        with self.assertRaises(ValueError):
            run([Force(T, 99)])


if __name__ == "__main__":
    unittest.main()
