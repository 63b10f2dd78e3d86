"""The DKVB forward pass in numpy float64: the specification the C++ engine (runtime/dkvb) is tested
against. It shares no code with the engine or the trainer.

A model is a dict of arrays: encoder [(W [out, in], b [out]), ...] (ReLU between layers),
projection [heads, key_dim, embed] or None, keys [heads, pairs, key_dim], values
[heads, pairs, value_dim], used_pairs [heads, pairs] or None, decoder "voting" | "linear",
decoder_weight [classes, heads * value_dim], decoder_bias [classes].
"""
import numpy as np


def model_from_writer(w):
    """The arrays of a CbkWriter whose set_dkvb() was called (as written to the file)."""
    d = w.dkvb

    def arr(spec):
        if spec is None:
            return None
        dtype = {"f32": "<f4", "u8": "u1"}[spec.dtype]
        return np.frombuffer(spec.data, dtype=dtype).reshape(spec.shape).astype(np.float64)

    return {"encoder": [(arr(wt), arr(b)) for wt, b in d["encoder"]], "projection": arr(d["projection"]),
            "keys": arr(d["keys"]), "values": arr(d["values"]), "used_pairs": arr(d["used_pairs"]),
            "decoder": d["decoder"], "decoder_weight": arr(d["decoder_weight"]), "decoder_bias": arr(d["decoder_bias"])}


def embed(m, x):
    """z = encoder(x) for rows x [n, input_dim]."""
    z = np.asarray(x, np.float64)
    for i, (w, b) in enumerate(m["encoder"]):
        z = z @ w.T + b
        if i + 1 < len(m["encoder"]):
            z = np.maximum(z, 0.0)
    return z


def queries(m, z):
    """[n, heads, key_dim]."""
    heads, _, key_dim = m["keys"].shape
    if m["projection"] is None:
        return z.reshape(z.shape[0], heads, key_dim)
    return np.einsum("ckd,nd->nck", m["projection"], z)


def pick_keys(m, q, forced=None, searchable=None):
    """Per row and head the searchable pair nearest by squared L2 (ties: the lower id), or the forced
    pair (forced[c] >= 0). searchable [heads, pairs] bool defaults to the file's used_pairs."""
    d2 = ((q[:, :, None, :] - m["keys"][None]) ** 2).sum(-1)  # [n, heads, pairs]
    if searchable is None:
        searchable = np.ones(m["keys"].shape[:2], bool) if m["used_pairs"] is None else m["used_pairs"] > 0
    d2 = np.where(searchable[None], d2, np.inf)
    ids = d2.argmin(-1)  # argmin returns the first (lowest) index of equal minima
    if forced is not None:
        for c, key in enumerate(forced):
            if key >= 0:
                ids[:, c] = key
    return ids


def logits_of(m, ids, values=None):
    values = m["values"] if values is None else values
    heads = values.shape[0]
    picked = values[np.arange(heads)[None, :], ids]  # [n, heads, value_dim]
    if m["decoder"] == "voting":
        return picked.mean(1)
    return picked.reshape(picked.shape[0], -1) @ m["decoder_weight"].T + m["decoder_bias"]


def classify(m, x, forced=None, searchable=None, values=None):
    """(ids [n, heads], logits [n, classes]) for inputs x [n, input_dim]."""
    ids = pick_keys(m, queries(m, embed(m, x)), forced, searchable)
    return ids, logits_of(m, ids, values)


def near_tie_rows(m, x, margin=1e-6):
    """Rows where some head's two nearest searchable keys have squared distances closer than float32
    can separate: within margin x (1 + |q|^2 + max |k|^2), the scale of the rounding error of a
    squared distance computed as |q|^2 - 2 q.k + |k|^2. Exact-id goldens leave such rows out."""
    q = queries(m, embed(m, x))
    d2 = ((q[:, :, None, :] - m["keys"][None]) ** 2).sum(-1)
    if m["used_pairs"] is not None:
        d2 = np.where(m["used_pairs"][None] > 0, d2, np.inf)
    if d2.shape[-1] < 2:
        return np.zeros(len(x), bool)
    two = np.sort(d2, -1)[..., :2]
    scale = 1.0 + (q ** 2).sum(-1) + (m["keys"] ** 2).sum(-1).max(-1)[None, :]
    return ((two[..., 1] - two[..., 0]) <= margin * scale).any(-1)
