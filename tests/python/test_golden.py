"""golden.py writes what the model computes: logits, tokens, ids and scores per group."""

import json
import os
import subprocess
import sys
import unittest

import numpy as np

from cbk_test_helpers import build, tmpdir
from cbk_reference import Steering
from cbk_reference.golden import run

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python", "cbk_reference", "golden.py")


class Golden(unittest.TestCase):
    def test_cli_script_output(self):
        d, model = build("gpt_neox", tokenizer="digits", formats=("bin",), d_model=16, n_heads=2, seed=4)
        spec = {"interventions": [{"op": "force", "layer": 1, "site": "mlp", "code": 5, "positions": "generated",
                                   "slot": "all", "strength": 2.0}]}
        sp = tmpdir() / "steer.json"
        sp.write_text(json.dumps(spec))
        out = tmpdir() / "g.json"
        subprocess.run([sys.executable, GOLDEN, str(d), "--prompt-ids", "10,3,4", "--decode-ids", "1,2",
                        "--greedy", "2", "--steering", str(sp), "--prefer", "bin", "-o", str(out)], check=True)
        g = json.loads(out.read_text())
        self.assertEqual(g["format"], "cbk-golden-v1")
        self.assertEqual(g["tokens"][:5], [10, 3, 4, 1, 2])
        self.assertEqual(len(g["tokens"]), 7)
        self.assertEqual(g["n_prompt"], 3)
        self.assertEqual(np.array(g["logits"]).shape, (7, 11))
        # greedy tokens are the argmax of the previous row
        self.assertEqual(g["tokens"][5], int(np.argmax(g["logits"][4])))
        mlp1 = next(c for c in g["codes"] if c["layer"] == 1 and c["site"] == "mlp")
        self.assertEqual(mlp1["positions"], list(range(7)))
        self.assertEqual(mlp1["ids"][3:], [[5, 5]] * 4)
        self.assertNotEqual(mlp1["ids"][2], [5, 5])
        # the same run in-process (teacher-forcing the same tokens) gives the same numbers
        s = model.session(Steering.from_json(spec))
        rows = [s.forward(g["tokens"][:3])] + [s.forward([t]) for t in g["tokens"][3:]]
        got = np.concatenate([r.numpy() for r in rows])
        np.testing.assert_allclose(np.array(g["logits"], np.float32), got, atol=0, rtol=0)

    def test_group_entries_and_null_scores(self):
        d, _ = build("gpt2", codebook_at=["attn_preproj"], layers_to_snap=[0], seed=2)
        g = run(d, [1, 2, 3], steering_spec={"interventions": [
            {"op": "disable", "layer": 0, "site": "attn_preproj", "group": 3, "topn": 1, "mode": "zero"}]})
        self.assertEqual([(c["layer"], c["site"], c["group"]) for c in g["codes"]],
                         [(0, "attn_preproj", h) for h in range(4)])
        self.assertEqual([row[0] for row in g["codes"][3]["ids"]], [-1, -1, -1])
        self.assertEqual([row[0] for row in g["codes"][3]["scores"]], [None, None, None])
        json.dumps(g, allow_nan=False)


if __name__ == "__main__":
    unittest.main()
