"""Batched TokFSM sequences with numpy (same distribution as cbk_reference.fsm, much faster).

The FSM itself (successor sets) is exactly the reference's: taken from cbk_reference.fsm.TokFSM
(default_rng(42) draws). Only the sampling stream differs: the reference reseeds per DataLoader
worker, so its training data is not reproducible anyway; ours comes from default_rng(seed).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from cbk_reference.fsm import BOS, SEQ_LEN, TokFSM

DIGITS = 2  # base-10 digits per state (100 states)


class FsmData:
    def __init__(self, fsm: Optional[TokFSM] = None, seed: int = 0):
        self.fsm = fsm or TokFSM()
        tm = self.fsm.transition_matrix
        # successors[s] = the 10 out-neighbours of s, ascending; transitions are uniform over them
        self.successors = np.stack([np.flatnonzero(tm[s]) for s in range(self.fsm.N)]).astype(np.int64)
        self.rng = np.random.default_rng(seed)

    @property
    def n_states(self) -> int:
        return self.fsm.N

    def trajectories(self, batch: int, n_states_per_seq: int) -> np.ndarray:
        """[batch, n] states: uniform start, then uniform successor choices."""
        traj = np.empty((batch, n_states_per_seq), dtype=np.int64)
        traj[:, 0] = self.rng.integers(0, self.fsm.N, size=batch)
        picks = self.rng.integers(0, self.successors.shape[1], size=(batch, n_states_per_seq - 1))
        for i in range(1, n_states_per_seq):
            traj[:, i] = self.successors[traj[:, i - 1], picks[:, i - 1]]
        return traj

    def batch(self, batch: int, seq_len: int = SEQ_LEN):
        """(tokens [batch, seq_len] int64, states [batch, n]): BOS + digits, truncated like the reference."""
        n = seq_len // DIGITS
        traj = self.trajectories(batch, n)
        return tokens_from_states(traj, seq_len), traj


def tokens_from_states(traj: np.ndarray, seq_len: int = SEQ_LEN) -> np.ndarray:
    b, n = traj.shape
    digits = np.stack([traj // 10, traj % 10], axis=-1).reshape(b, n * DIGITS)
    toks = np.concatenate([np.full((b, 1), BOS, dtype=np.int64), digits], axis=1)
    return toks[:, :seq_len]


def state_at_positions(traj: np.ndarray, seq_len: int = SEQ_LEN) -> np.ndarray:
    """[batch, seq_len] current state id at every token position (-1 at BOS and first digits).

    Token position p >= 1 holds digit (p-1) of the digit stream: state (p-1)//2; the state is complete
    (known) at its second digit, i.e. even p >= 2.
    """
    b, _ = traj.shape
    out = np.full((b, seq_len), -1, dtype=np.int64)
    pos = np.arange(2, seq_len, 2)
    out[:, pos] = traj[:, (pos - 1) // 2]
    return out
