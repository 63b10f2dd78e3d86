"""TokFSM (semantics doc §6), reproducing train_fsm_model.FSM / TokFSMDataset exactly.

One numpy Generator (default_rng(seed)) first draws the successor set of every state i = 0..N-1 in
order with choice(N, num_edges, replace=False); the same generator then drives sampling.
States are written as zero-padded base-10 digit pairs; token id = digit, 10 = BOS/EOS/PAD.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

N_STATES = 100
NUM_EDGES = 10
SEED = 42
BASE = 10
BOS = 10  # "<|endoftext|>": BOS = EOS = PAD
SEQ_LEN = 128


class TokFSM:
    def __init__(self, n_states: int = N_STATES, num_edges: int = NUM_EDGES, seed: Optional[int] = SEED,
                 base: int = BASE):
        self.rng = np.random.default_rng(seed=seed)
        self.N, self.num_edges, self.base = n_states, num_edges, base
        self.transition_matrix = np.zeros((n_states, n_states))
        for i in range(n_states):
            self.transition_matrix[i, self.rng.choice(n_states, size=num_edges, replace=False)] = 1
        self.transition_matrix /= self.transition_matrix.sum(axis=1, keepdims=True)
        self.digits = int(np.ceil(np.emath.logn(n=base, x=n_states)))

    def successors(self, state: int) -> np.ndarray:
        return np.where(self.transition_matrix[state] != 0)[0]

    def is_edge(self, a: int, b: int) -> bool:
        return self.transition_matrix[a, b] != 0

    def state_tokens(self, state: int) -> List[int]:
        s = np.base_repr(state, base=self.base)
        return [int(c, self.base) for c in "0" * (self.digits - len(s)) + s]

    def step_from(self, state: int) -> int:
        return int(self.rng.choice(self.N, p=self.transition_matrix[state]))

    def trajectory(self, length: int) -> List[int]:
        """Uniform start state, then `length - 1` uniform transitions (FSM.generate_trajectory)."""
        traj = [int(self.rng.choice(self.N))]
        for _ in range(length - 1):
            traj.append(self.step_from(traj[-1]))
        return traj

    def tokenize(self, traj: Sequence[int], seq_len: int = SEQ_LEN) -> List[int]:
        """BOS + digits, truncated to seq_len (so a 64-state sample drops its last digit)."""
        toks = [BOS]
        for s in traj:
            toks += self.state_tokens(s)
        return toks[:seq_len]

    def sample(self, seq_len: int = SEQ_LEN) -> List[int]:
        return self.tokenize(self.trajectory(seq_len // self.digits), seq_len)

    def tokens_to_states(self, tokens: Sequence[int]) -> List[int]:
        """Drop BOS/EOS tokens, cut into whole states (FSM.seq_to_traj); a trailing partial state is ignored."""
        digits = [t for t in tokens if t != BOS]
        out = []
        for i in range(0, len(digits) - self.digits + 1, self.digits):
            v = 0
            for dgt in digits[i:i + self.digits]:
                v = v * self.base + int(dgt)
            out.append(v)
        return out

    def transition_accuracy(self, trajs: Sequence[Sequence[int]]) -> Tuple[float, float]:
        """(fraction of valid consecutive transitions, fraction of trajectories whose first one is valid)."""
        ok = first_ok = total = 0
        for traj in trajs:
            if len(traj) < 2:
                raise ValueError("trajectory needs at least two states")
            total += len(traj) - 1
            for i in range(len(traj) - 1):
                if self.is_edge(traj[i], traj[i + 1]):
                    ok += 1
                    first_ok += i == 0
        return ok / total, first_ok / len(trajs)


def next_state_probs(model, fsm: TokFSM, state: int, steering=None) -> np.ndarray:
    """P(next state = ab | BOS, state) = P(a | ...) * P(b | ..., a) over digit tokens (fsm_utils)."""
    prefix = [BOS] + fsm.state_tokens(state)
    probs = np.zeros(fsm.N)
    for a in range(fsm.base):
        logits = model.session(steering, trace=False).forward(prefix + [a])
        p = torch.softmax(logits, dim=-1).numpy()
        probs[a * fsm.base:(a + 1) * fsm.base] = p[-2, a] * p[-1, :fsm.base]
    return probs


def first_transition_accuracy(model, fsm: TokFSM, states: Optional[Sequence[int]] = None, steering=None) -> float:
    """Mean over states of |top-num_edges predicted next states ∩ true successors| / num_edges."""
    states = range(fsm.N) if states is None else states
    accs = []
    for s in states:
        pred = np.argsort(-next_state_probs(model, fsm, s, steering), kind="stable")[:fsm.num_edges]
        accs.append(len(set(pred.tolist()) & set(fsm.successors(s).tolist())) / fsm.num_edges)
    return float(np.mean(accs))
