"""In-trainer evaluations mirroring what `cbk fsm-eval` will report (issue 5), on the torch model.

- lm: loss and next-token accuracy on fresh sequences;
- sampling: state accuracy (valid transitions in sampled sequences, cbk_reference.fsm rules);
- first-transition accuracy exactly as cbk_reference.fsm.first_transition_accuracy (batched);
- state codes: per MLP codebook, each state's best code (max F1) as a classifier of "the current state
  is S" at second-digit positions; its precision/recall; the best MLP neuron's precision at equal recall;
- steering: force b's state code in every MLP codebook at the last prompt position (state a's second
  digit) and measure how often the next state is a valid successor of b, plus the normalised JSD.
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from cbk_reference.fsm import BOS

from .data import FsmData, state_at_positions
from .model import TokFsmModel, Trace


@torch.no_grad()
def lm_eval(model: TokFsmModel, data: FsmData, n_seqs: int = 2048, batch: int = 128) -> Dict[str, float]:
    total_loss = correct = count = 0.0
    ae = 0.0
    for i in range(0, n_seqs, batch):
        ids = torch.from_numpy(data.batch(min(batch, n_seqs - i))[0])
        logits, ae_b = model(ids)
        tgt = ids[:, 1:]
        lg = logits[:, :-1]
        total_loss += F.cross_entropy(lg.reshape(-1, lg.shape[-1]), tgt.reshape(-1), reduction="sum").item()
        correct += (lg.argmax(-1) == tgt).sum().item()
        count += tgt.numel()
        ae += ae_b.item() * ids.shape[0]
    return {"loss": total_loss / count, "acc": correct / count, "aeloss": ae / n_seqs}


@torch.no_grad()
def sample(model: TokFsmModel, n: int, length: int, gen: torch.Generator, prompt: Optional[torch.Tensor] = None):
    """Sample n sequences of `length` tokens (BOS first) with a KV cache; temperature 1."""
    ids = prompt if prompt is not None else torch.full((n, 1), BOS, dtype=torch.long)
    cache = [[] for _ in range(model.shape.n_layers)]
    logits, _ = model(ids, cache=cache)
    out = [ids]
    for _ in range(length - ids.shape[1]):
        probs = torch.softmax(logits[:, -1], dim=-1)
        nxt = torch.multinomial(probs, 1, generator=gen)
        out.append(nxt)
        logits, _ = model(nxt, cache=cache)
    return torch.cat(out, dim=1)


def state_accuracy(model: TokFsmModel, data: FsmData, n: int = 100, length: int = 128, seed: int = 1) -> Dict[str, float]:
    seqs = sample(model, n, length, torch.Generator().manual_seed(seed))
    trajs = [data.fsm.tokens_to_states(s.tolist()) for s in seqs]
    valid, first = data.fsm.transition_accuracy(trajs)
    return {"state_acc": valid, "sampled_first_transition_acc": first}


@torch.no_grad()
def next_state_probs(model: TokFsmModel, prefixes: torch.Tensor, force=None, force_positions=(-1,)) -> torch.Tensor:
    """prefixes [B, P] ending at a state's second digit -> P(next state) [B, 100] = P(a)·P(b | a).

    force: {(layer, site): code ids [B, G] or [B, len(force_positions), G]} applied at those prefix
    positions (negative = from the end of the prefix; default its last token).
    """
    b, p = prefixes.shape
    ext = torch.cat([prefixes.repeat_interleave(10, 0), torch.arange(10).repeat(b)[:, None]], dim=1)  # [B*10, P+1]
    fmap = None
    if force:
        fmap = {}
        for k, v in force.items():
            v = v.repeat_interleave(10, 0)
            if v.dim() == 2:
                v = v[:, None, :].expand(-1, len(force_positions), -1)
            mask = torch.zeros(b * 10, p + 1, dtype=torch.bool)
            full = torch.zeros(b * 10, p + 1, v.shape[-1], dtype=torch.long)
            for j, pos in enumerate(force_positions):
                mask[:, pos % p] = True
                full[:, pos % p] = v[:, j]
            fmap[k] = (mask, full)
    logits, _ = model(ext, force=fmap)
    probs = torch.softmax(logits, dim=-1)
    first = probs[::10, p - 1, :10]  # [B, 10]
    second = probs[:, p, :10].reshape(b, 10, 10)
    return (first[:, :, None] * second).reshape(b, 100)


def first_transition_accuracy(model: TokFsmModel, data: FsmData) -> float:
    """Mean over states s of |top-10 predicted next states after [BOS, s] ∩ successors(s)| / 10."""
    states = torch.arange(data.n_states)
    prefixes = torch.stack([torch.full_like(states, BOS), states // 10, states % 10], dim=1)
    probs = next_state_probs(model, prefixes).numpy()
    accs = []
    for s in range(data.n_states):
        pred = np.argsort(-probs[s], kind="stable")[:10]
        accs.append(len(set(pred.tolist()) & set(data.successors[s].tolist())) / 10)
    return float(np.mean(accs))


@torch.no_grad()
def collect_state_codes(model: TokFsmModel, data: FsmData, n_seqs: int = 512, batch: int = 128):
    """MLP code ids and hidden activations at second-digit positions, with the current state."""
    L = model.shape.n_layers
    codes = {l: [] for l in range(L)}
    hidden = {l: [] for l in range(L)}
    states = []
    for i in range(0, n_seqs, batch):
        toks, traj = data.batch(batch)
        st = state_at_positions(traj)
        pos = st >= 0
        tr = Trace()
        model(torch.from_numpy(toks), trace=tr)
        m = torch.from_numpy(pos)
        for l in range(L):
            codes[l].append(tr.ids[(l, "mlp")][..., 0, 0][m])
            hidden[l].append(tr.mlp_hidden[l][m])
        states.append(torch.from_numpy(st[pos]))
    return ({l: torch.cat(v) for l, v in codes.items()}, {l: torch.cat(v) for l, v in hidden.items()}, torch.cat(states))


def best_codes(codes: torch.Tensor, states: torch.Tensor, n_states: int, num_codes: int):
    """Per state: (code, precision, recall) of the code with the best F1 as a classifier of that state."""
    joint = torch.zeros(num_codes, n_states).index_put_((codes, states), torch.ones(len(codes)), accumulate=True)
    per_code = joint.sum(1, keepdim=True)
    per_state = joint.sum(0, keepdim=True)
    prec = joint / per_code.clamp_min(1)
    rec = joint / per_state.clamp_min(1)
    f1 = 2 * prec * rec / (prec + rec).clamp_min(1e-12)
    best = f1.argmax(0)
    idx = torch.arange(n_states)
    return best, prec[best, idx], rec[best, idx]


def best_neuron_precision(sorted_acts: torch.Tensor, hidden: torch.Tensor, states: torch.Tensor, state: int,
                          recall: float) -> float:
    """Max over neurons of the precision of (activation >= t), t set so that recall on `state` is `recall`.

    sorted_acts: [neurons, N] every neuron's activations over all positions, ascending.
    """
    acts_s = hidden[states == state]
    k = max(1, int(math.ceil(recall * acts_s.shape[0])))
    thresh = acts_s.topk(k, dim=0).values[-1].contiguous()  # [neurons]: k-th largest activation on the state
    fired = sorted_acts.shape[1] - torch.searchsorted(sorted_acts, thresh[:, None]).squeeze(1)
    hits = (acts_s >= thresh).sum(0)
    return float((hits.float() / fired.clamp_min(1).float()).max())


def state_code_eval(model: TokFsmModel, data: FsmData, n_seqs: int = 512) -> Dict[str, object]:
    codes, hidden, states = collect_state_codes(model, data, n_seqs)
    out: Dict[str, object] = {"layers": {}}
    per_layer_best = {}
    for l in codes:
        best, prec, rec = best_codes(codes[l], states, data.n_states, model.spec.num_codes)
        sorted_acts = hidden[l].T.contiguous().sort(dim=1).values
        neuron = [best_neuron_precision(sorted_acts, hidden[l], states, s, float(rec[s])) for s in range(data.n_states)]
        out["layers"][l] = {"mean_best_code_precision": float(prec.mean()), "mean_best_code_recall": float(rec.mean()),
                            "mean_best_neuron_precision": float(np.mean(neuron)),
                            "codes_used": int(codes[l].unique().numel())}
        per_layer_best[l] = best
    top = max(out["layers"], key=lambda l: out["layers"][l]["mean_best_code_precision"])
    out["best_layer"] = top
    out["mean_best_code_precision"] = out["layers"][top]["mean_best_code_precision"]
    out["mean_best_neuron_precision"] = out["layers"][top]["mean_best_neuron_precision"]
    out["_state_codes"] = per_layer_best  # [n_states] code id per MLP layer (for steering)
    return out


def normalised_jsd(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence in bits (∈ [0, 1]) between rows of p and q."""
    m = 0.5 * (p + q)

    def kl(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(a > 0, a * np.log2(a / np.maximum(b, 1e-30)), 0.0)
        return t.sum(-1)
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def steering_eval(model: TokFsmModel, data: FsmData, state_codes: Dict[int, torch.Tensor], n_pairs: int = 500,
                  layers: Optional[Sequence[int]] = None, seed: int = 2, force_positions=(-1,)) -> Dict[str, float]:
    """Prompt [BOS, a]; force b's state code in the MLP codebooks of `layers` (default all) at a's second digit.

    state_codes[layer][b]: the code forced for target state b (best-F1 state code, or in-context codes).
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, data.n_states, n_pairs)
    b = rng.integers(0, data.n_states, n_pairs)
    layers = list(state_codes) if layers is None else list(layers)
    prefixes = torch.from_numpy(np.stack([np.full(n_pairs, BOS), a // 10, a % 10], axis=1))
    force = {(l, "mlp"): state_codes[l][torch.from_numpy(b)].reshape(n_pairs, -1, 1).squeeze(1) for l in layers}
    steered = next_state_probs(model, prefixes, force, force_positions).numpy()
    plain = next_state_probs(model, prefixes).numpy()
    true_b = data.fsm.transition_matrix[b]
    succ_b = true_b > 0
    draws = np.array([rng.choice(100, p=p / p.sum()) for p in steered])
    return {"steer_success": float(succ_b[np.arange(n_pairs), draws].mean()),
            "steer_success_expected": float((steered * succ_b).sum(1).mean()),
            "unsteered_success_expected": float((plain * succ_b).sum(1).mean()),
            "steer_jsd": float(normalised_jsd(steered, true_b).mean()),
            "unsteered_jsd": float(normalised_jsd(plain, true_b).mean())}


def _states_prefix(states: np.ndarray, extra: Optional[np.ndarray] = None) -> torch.Tensor:
    cols = [np.full(len(states), BOS), states // 10, states % 10] + ([] if extra is None else [extra])
    return torch.from_numpy(np.stack(cols, axis=1).astype(np.int64))


def _all_groups(model: TokFsmModel, sites, layers) -> List[tuple]:
    return [(l, s) for l in layers for s in sites if model.codebook(l, s) is not None]


@torch.no_grad()
def interchange_eval(model: TokFsmModel, data: FsmData, a: np.ndarray, b: np.ndarray, seed: int = 3) -> Dict[str, float]:
    """`cbk fsm-eval`'s "interchange" steering: prompt [BOS a1 a2], and for each next first digit d the
    MLP codes at a1, a2 and d are those of the donor run [BOS b1 b2 d]."""
    n = len(a)
    d = np.tile(np.arange(10), n)
    donor, target = _states_prefix(np.repeat(b, 10), d), _states_prefix(np.repeat(a, 10), d)
    tr = Trace()
    model(donor, trace=tr)
    mask = torch.zeros(n * 10, 4, dtype=torch.bool)
    mask[:, 1:4] = True
    force = {key: (mask, tr.ids[key][..., 0]) for key in _all_groups(model, ("mlp",), range(model.shape.n_layers))}
    probs = torch.softmax(model(target, force=force)[0], dim=-1)
    first = probs[::10, 2, :10]
    second = probs[:, 3, :10].reshape(n, 10, 10)
    dist = (first[:, :, None] * second).reshape(n, 100).numpy()
    return _steer_scores(data, dist, b, np.random.default_rng(seed))


def _steer_scores(data: FsmData, dist: np.ndarray, b: np.ndarray, rng) -> Dict[str, float]:
    true_b = data.fsm.transition_matrix[b]
    succ_b = true_b > 0
    norm = dist / dist.sum(1, keepdims=True)
    draws = np.array([rng.choice(100, p=p) for p in norm])
    return {"success": float(succ_b[np.arange(len(b)), draws].mean()),
            "success_expected": float((norm * succ_b).sum(1).mean()),
            "jsd": float(normalised_jsd(dist, true_b).mean())}


FIGURE4 = (("l0_attn", ("attn_preproj",), (0,)), ("l1_mlp", ("mlp",), (1,)), ("all_attn", ("attn_preproj",), None),
           ("all_mlp", ("mlp",), None), ("all_attn_mlp", ("attn_preproj", "mlp"), None))


@torch.no_grad()
def figure4_eval(model: TokFsmModel, a: np.ndarray, b: np.ndarray) -> List[Dict[str, float]]:
    """The paper's Figure 4: patch b's codes (from the run [BOS b1 b2]) into [BOS a1 a2] at a's second
    digit, for each condition; mean JSD (bits) of the next-token distribution to b's own, and that mean
    relative to the largest condition's."""
    tr = Trace()
    b_next = torch.softmax(model(_states_prefix(b), trace=tr)[0][:, 2], dim=-1).numpy()
    prefix = _states_prefix(a)
    mask = torch.zeros(len(a), 3, dtype=torch.bool)
    mask[:, 2] = True
    rows = [("none", torch.softmax(model(prefix)[0][:, 2], dim=-1).numpy())]
    for name, sites, layers in FIGURE4:
        keys = _all_groups(model, sites, range(model.shape.n_layers) if layers is None else layers)
        force = {key: (mask[..., None].expand(-1, -1, tr.ids[key].shape[2]), tr.ids[key][..., 0]) for key in keys}
        rows.append((name, torch.softmax(model(prefix, force=force)[0][:, 2], dim=-1).numpy()))
    means = [(name, float(normalised_jsd(p, b_next).mean())) for name, p in rows]
    top = max(v for _, v in means)
    return [{"patching": name, "jsd": v, "relative": v / top if top > 0 else 0.0} for name, v in means]


def full_eval(model: TokFsmModel, seed: int = 12345, lm_seqs: int = 1024) -> Dict[str, object]:
    model.eval()
    data = FsmData(seed=seed)
    res: Dict[str, object] = {}
    res.update(lm_eval(model, data, lm_seqs))
    res.update(state_accuracy(model, data))
    res["first_transition_acc"] = first_transition_accuracy(model, data)
    if model.spec is not None:
        sc = state_code_eval(model, data)
        codes = sc.pop("_state_codes")
        res["state_codes"] = sc
        res["steering"] = steering_eval(model, data, codes)
        rng = np.random.default_rng(seed + 7)
        a, b = rng.integers(0, data.n_states, 500), rng.integers(0, data.n_states, 500)
        res["steering_interchange"] = interchange_eval(model, data, a, b)
        res["figure4"] = figure4_eval(model, a, b)
    return res


def main(argv=None):
    """python3 -m tokfsm.evals CKPT_DIR [--lm-seqs N]: full evaluation of an exported checkpoint, as JSON."""
    import argparse
    import json
    import time

    from .export import load_trainer_model
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("ckpt")
    ap.add_argument("--lm-seqs", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    res = full_eval(load_trainer_model(args.ckpt), lm_seqs=args.lm_seqs)
    res["eval_seconds"] = round(time.time() - t0, 1)
    print(json.dumps(res, indent=1, default=str))


if __name__ == "__main__":
    main()
