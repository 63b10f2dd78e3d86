"""The DKVB model in torch, for training (our own code after the paper: Träuble et al., "Discrete
Key-Value Bottleneck", ICML 2023; the authors' code is github.com/ftraeuble/discrete_key_value_bottleneck).

  z = encoder(x)                 frozen (an MLP with ReLU between layers, or the identity)
  q_c = P_c z                    fixed random projection, unit-norm columns (or a plain split)
  id_c = argmin_j |q_c - K_c[j]|^2   keys: set by EMA k-means on unlabelled data, then frozen
  logits = mean_c V_c[id_c]      values: zero-initialised, the only trained tensor ("voting")

`used` counts how often each pair was selected while training; pairs never selected are masked out
at evaluation (the file's used_pairs), as the authors do.
"""
import numpy as np
import torch


class DKVB(torch.nn.Module):
    def __init__(self, keys, n_classes, encoder=None, projection=None, gemm_search=False):
        """keys [heads, pairs, key_dim]; encoder: a list of (W [out, in], b [out]) arrays or None;
        projection [heads, key_dim, embed] or None (z split into heads). gemm_search: rank keys by
        |k|^2 - 2 q.k (one GEMM per head; several times faster at Fashion-MNIST sizes, but a float
        near-tie may pick the other key than the summed squared differences the runtime's parity
        goldens use, so the toy keeps the default)."""
        super().__init__()
        self.gemm_search = gemm_search
        keys = torch.as_tensor(np.asarray(keys), dtype=torch.float32)
        heads, pairs, _ = keys.shape
        self.register_buffer("keys", keys)
        self.encoder_layers = [(torch.as_tensor(w, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32))
                               for w, b in (encoder or [])]
        self.projection = None if projection is None else torch.as_tensor(projection, dtype=torch.float32)
        self.values = torch.nn.Parameter(torch.zeros(heads, pairs, n_classes))
        self.register_buffer("used", torch.zeros(heads, pairs, dtype=torch.int64))

    def embed(self, x):
        z = x
        for i, (w, b) in enumerate(self.encoder_layers):
            z = z @ w.T + b
            if i + 1 < len(self.encoder_layers):
                z = torch.relu(z)
        return z

    def queries(self, z):
        heads, _, key_dim = self.keys.shape
        if self.projection is None:
            return z.reshape(z.shape[0], heads, key_dim)
        return torch.einsum("ckd,nd->nck", self.projection, z)

    def pick(self, x, mask_unused=False, chunk=None):
        """Pair ids [n, heads]: nearest key by squared L2, summed over (q - k)^2; torch.argmin takes
        the first of equal minima. Rows run in chunks so the [rows, heads, pairs, key_dim]
        difference tensor stays near 32 MB."""
        heads, pairs, key_dim = self.keys.shape
        chunk = chunk or max(1, (8 << 20) // (heads * pairs * (1 if self.gemm_search else key_dim)))
        out = []
        with torch.no_grad():
            for i in range(0, len(x), chunk):
                q = self.queries(self.embed(x[i:i + chunk]))
                if self.gemm_search:
                    d2 = (self.keys ** 2).sum(-1)[None] - 2 * torch.einsum("nck,cpk->ncp", q, self.keys)
                else:
                    d2 = ((q[:, :, None, :] - self.keys[None]) ** 2).sum(-1)
                if mask_unused:
                    d2 = torch.where(self.used[None] > 0, d2, torch.full_like(d2, float("inf")))
                out.append(d2.argmin(-1))
        return torch.cat(out) if out else torch.zeros((0, heads), dtype=torch.int64)

    def logits(self, ids):
        heads = self.keys.shape[0]
        return self.values[torch.arange(heads)[None, :], ids].mean(1)

    def forward(self, x, mask_unused=False):
        return self.logits(self.pick(x, mask_unused))

    def count_usage(self, ids):
        heads, pairs, _ = self.keys.shape
        flat = (torch.arange(heads)[None, :] * pairs + ids).reshape(-1)
        self.used += torch.bincount(flat, minlength=heads * pairs).reshape(heads, pairs)


def random_projection(rng, heads, key_dim, embed):
    """Gaussian, each column (one output coordinate's weights over z) of unit norm."""
    p = rng.standard_normal((heads, key_dim, embed)).astype(np.float32)
    return p / np.linalg.norm(p, axis=2, keepdims=True)
