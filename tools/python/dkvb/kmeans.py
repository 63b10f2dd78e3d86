"""Key initialisation: exponential-moving-average k-means (the VQ-EMA update of van den Oord et al.,
as the DKVB authors use it), one codebook per head, on unlabelled data. Our own code."""
import numpy as np
import torch


def ema_kmeans(batches, heads, pairs, key_dim, decay=0.95, eps=1e-5, seed=0, dead_threshold=1e-3):
    """batches: an iterable of query tensors [n, heads, key_dim] (already projected). Returns keys
    [heads, pairs, key_dim] (float32 numpy). Keys start at points of the first batch; a key whose EMA
    cluster size falls below dead_threshold is re-seeded at a random point of the current batch."""
    gen = torch.Generator().manual_seed(seed)
    keys = None
    for q in batches:
        q = torch.as_tensor(q, dtype=torch.float32)
        n = q.shape[0]
        if keys is None:
            pick = torch.randint(0, n, (heads, pairs), generator=gen)
            keys = q[pick, torch.arange(heads)[:, None]].clone()          # [heads, pairs, key_dim]
            size = torch.ones(heads, pairs)
            total = keys.clone()
        qh = q.transpose(0, 1)                                                  # [heads, n, key_dim]
        # |q|^2 - 2 q.k + |k|^2 (a GEMM per head; near ties do not matter for the key update)
        d2 = (qh ** 2).sum(-1, keepdim=True) - 2 * qh @ keys.transpose(1, 2) + (keys ** 2).sum(-1)[:, None, :]
        assign = torch.nn.functional.one_hot(d2.argmin(-1), pairs).float()     # [heads, n, pairs]
        size = decay * size + (1 - decay) * assign.sum(1)
        total = decay * total + (1 - decay) * torch.einsum("hnp,nhd->hpd", assign, q)
        mass = size.sum(1, keepdim=True)
        smoothed = (size + eps) / (mass + pairs * eps) * mass
        keys = total / smoothed[..., None]
        dead = size < dead_threshold
        if dead.any():
            pick = torch.randint(0, n, (int(dead.sum()),), generator=gen)
            heads_of = dead.nonzero()[:, 0]
            keys[dead] = q[pick, heads_of]
            total[dead] = keys[dead]
            size[dead] = 1.0
    return keys.numpy().astype(np.float32)
