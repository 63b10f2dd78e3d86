"""TokFSM-shaped fixture models for the `cbk fsm-eval` tests, written with the Python writer.

  OUT/fsm_random.cbk  random weights + the reference FSM in the "fsm.transitions" extra, and
                      "state 42" annotations on a few MLP codes (STATE42)
  OUT/fsm_flat.cbk    the same with a zero LM head: every logit is 0, so the figures are known
                      exactly (loss ln 11, next-state distribution uniform over the 100 numbers)
  OUT/fsm_none.cbk    random weights, no extra (the error path)
  OUT/fsm_bad.cbk     a non-square "fsm.transitions" (the error path)
  OUT/fsm.npy-like    OUT/fsm_transitions.txt: the matrix's successor lists, one state a line
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
from cbkfile.random_model import tokfsm_shaped_model  # noqa: E402


def reference_fsm(n=100, edges=10, seed=42):
    """train_fsm_model.FSM: successors of i = default_rng(42).choice(n, edges, replace=False), in order."""
    rng = np.random.default_rng(seed=seed)
    m = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        m[i, rng.choice(n, size=edges, replace=False)] = 1
    return m / m.sum(axis=1, keepdims=True)


# fsm-demo --mode force reads "state NN" annotations: state 42 gets two codes in each MLP codebook
# (the more frequent one, 7 + layer, is the one forced) and layer 0 gets none.
STATE42 = [(layer, code, freq) for layer in (1, 2, 3) for code, freq in ((7 + layer, 0.02), (30 + layer, 0.01))]


def model(seed, fsm=None, zero_head=False):
    w = tokfsm_shaped_model(seed=seed, codes=64)
    mlp = {cb.layer: i for i, cb in enumerate(w.codebooks) if cb.site == "mlp"}
    w.annotations = [{"codebook": mlp[layer], "group": 0, "code": code, "label": "state 42", "frequency": freq}
                     for layer, code, freq in STATE42]
    if zero_head:
        head = next(t for t in w.tensors if t.name == "lm_head.weight")
        head.data = bytes(len(head.data))
    if fsm is not None:
        w.add_extra("fsm.transitions", fsm)
    w.metadata = {"name": "fsm-eval-fixture"}
    return w


def main(out):
    os.makedirs(out, exist_ok=True)
    fsm = reference_fsm()
    model(11, fsm).write(os.path.join(out, "fsm_random.cbk"))
    model(11, fsm, zero_head=True).write(os.path.join(out, "fsm_flat.cbk"))
    model(12).write(os.path.join(out, "fsm_none.cbk"))
    model(13, np.ones((4, 5), dtype=np.float32)).write(os.path.join(out, "fsm_bad.cbk"))
    with open(os.path.join(out, "fsm_transitions.txt"), "w") as f:
        for row in fsm:
            f.write(" ".join(str(int(j)) for j in np.nonzero(row)[0]) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
