"""A GPT-NeoX codebook model in PyTorch, written the way a PyTorch user writes it for speed: heads
batched, one matmul + torch.topk + one gather per codebook site (all groups at once), a KV cache,
logits of the last position only. The same module is exported to ONNX (export_onnx.py), so both
contenders run the same graph.

forward(ids[T], past_k_0, past_v_0, ..., past_k_{L-1}, past_v_{L-1}) with past tensors
[H, P, head_dim] returns (logits[V] of the last position, present_k_0, present_v_0, ...,
ids of every codebook [G, T, k] in file order).

Semantics (shared/reference/codebook-semantics.md): codebook input LN (eps 1e-5, per group),
inner-product score <LN(x), c> / ||c||, top-k, output the mean of the raw selected codes.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from cbkfile.reader import read_cbk  # noqa: E402

CODEBOOK_LN_EPS = 1e-5
SUPPORTED_SITES = ("attn_preproj", "attn", "mlp", "mlp_mid")


class Codebook(torch.nn.Module):
    def __init__(self, cb):
        super().__init__()
        g, c, d = cb.codes.shape
        if cb.similarity != "inner_product":
            raise ValueError("only inner-product codebooks are supported")
        self.groups, self.dim, self.k, self.n_codes = g, d, cb.k, c
        codes = torch.from_numpy(cb.codes.copy())
        self.register_buffer("codes", codes)                                   # [G, C, D]
        self.register_buffer("norms", torch.linalg.vector_norm(codes, dim=-1).unsqueeze(1))  # [G, 1, C]
        self.register_buffer("ln_w", torch.from_numpy(cb.ln_weight.copy()))   # [G, D]
        self.register_buffer("ln_b", torch.from_numpy(cb.ln_bias.copy()))
        self.register_buffer("offsets", (torch.arange(g) * c).view(g, 1, 1))
        # an explicit identity affine: torch 1.13 exports a weightless layer_norm without its Scale input
        self.register_buffer("ones", torch.ones(d))
        self.register_buffer("zeros", torch.zeros(d))

    def forward(self, x):
        t = x.shape[0]
        xg = x.view(t, self.groups, self.dim)
        xn = F.layer_norm(xg, (self.dim,), self.ones, self.zeros, CODEBOOK_LN_EPS) * self.ln_w + self.ln_b
        scores = torch.matmul(xn.transpose(0, 1), self.codes.transpose(1, 2)) / self.norms  # [G, T, C]
        ids = torch.topk(scores, self.k, dim=-1).indices                                   # [G, T, k]
        flat = self.codes.reshape(self.groups * self.n_codes, self.dim)
        out = flat[ids + self.offsets].mean(dim=2)                                           # [G, T, D]
        return out.transpose(0, 1).reshape(t, self.groups * self.dim), ids


class NeoXCodebookModel(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        a = model.architecture
        if a["family"] != "gpt_neox" or a["positions"] != "rotary":
            raise ValueError("only GPT-NeoX (rotary) models are supported, not %s" % a["family"])
        self.a = a
        self.n_layers, self.n_heads, self.head_dim = a["n_layers"], a["n_heads"], a["head_dim"]
        self.rot = a["rotary_dims"]
        self.d_model = a["d_model"]
        w = model.tensors

        def t(name):
            return torch.from_numpy(w[name].copy())

        self.register_buffer("embed", t("tok_embed"))
        self.register_buffer("lm_head", t("tok_embed") if a["tied_embeddings"] else t("lm_head.weight"))
        self.register_buffer("lnf_w", t("final_norm.weight"))
        self.register_buffer("lnf_b", t("final_norm.bias"))
        self.layer_w = []
        for layer in range(self.n_layers):
            p = "layers.%d." % layer
            names = ["ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias", "attn.qkv.weight", "attn.qkv.bias",
                     "attn.out.weight", "attn.out.bias", "mlp.up.weight", "mlp.up.bias", "mlp.down.weight",
                     "mlp.down.bias"]
            ws = {}
            for n in names:
                key = "l%d_%s" % (layer, n.replace(".", "_"))
                self.register_buffer(key, t(p + n))
                ws[n] = key
            self.layer_w.append(ws)
        self.codebooks = torch.nn.ModuleList()
        self.site_index = {}
        for i, cb in enumerate(model.codebooks):
            if cb.site not in SUPPORTED_SITES:
                raise ValueError("codebook site %s is not supported" % cb.site)
            self.codebooks.append(Codebook(cb))
            self.site_index[(cb.layer, cb.site)] = i
        inv_freq = 1.0 / (a["rotary_base"] ** (torch.arange(0, self.rot, 2, dtype=torch.int64).float() / self.rot))
        freqs = torch.outer(torch.arange(a["max_positions"], dtype=torch.float32), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos())
        self.register_buffer("sin", emb.sin())

    def _w(self, layer, name):
        return getattr(self, self.layer_w[layer][name])

    def _site(self, layer, site, x, ids_out):
        i = self.site_index.get((layer, site))
        if i is None:
            return x
        out, ids = self.codebooks[i](x)
        ids_out[i] = ids
        return out

    def _rotate(self, x, cos, sin):
        r = self.rot
        rot, rest = x[..., :r], x[..., r:]
        half = r // 2
        rotated = torch.cat((-rot[..., half:], rot[..., :half]), dim=-1)
        return torch.cat((rot * cos + rotated * sin, rest), dim=-1)

    def forward(self, ids, *past):
        eps = self.a["norm_eps"]
        t = ids.shape[0]
        p0 = past[0].shape[1]
        positions = torch.arange(t) + p0
        cos, sin = self.cos[positions], self.sin[positions]
        h, hd = self.n_heads, self.head_dim
        x = self.embed[ids]
        presents = []
        code_ids = [None] * len(self.codebooks)
        k_pos = torch.arange(t + p0)
        mask = k_pos.unsqueeze(0) > positions.unsqueeze(1)  # [T, P+T]: True = hidden
        for layer in range(self.n_layers):
            w = lambda n: self._w(layer, n)  # noqa: E731
            a_in = F.layer_norm(x, (self.d_model,), w("ln1.weight"), w("ln1.bias"), eps)
            qkv = F.linear(a_in, w("attn.qkv.weight"), w("attn.qkv.bias")).view(t, h, 3 * hd).transpose(0, 1)
            q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
            q, k = self._rotate(q, cos, sin), self._rotate(k, cos, sin)
            k_all = torch.cat((past[2 * layer], k), dim=1)
            v_all = torch.cat((past[2 * layer + 1], v), dim=1)
            presents += [k_all, v_all]
            scores = torch.matmul(q, k_all.transpose(1, 2)) * (hd ** -0.5)
            scores = scores.masked_fill(mask, torch.finfo(torch.float32).min)
            z = torch.matmul(torch.softmax(scores, dim=-1), v_all).transpose(0, 1).reshape(t, h * hd)
            z = self._site(layer, "attn_preproj", z, code_ids)
            attn = self._site(layer, "attn", F.linear(z, w("attn.out.weight"), w("attn.out.bias")), code_ids)
            m_in = F.layer_norm(x if self.a["parallel_residual"] else x + attn, (self.d_model,),
                                w("ln2.weight"), w("ln2.bias"), eps)
            hid = F.gelu(F.linear(m_in, w("mlp.up.weight"), w("mlp.up.bias")))
            if self.a["activation"] != "gelu":
                raise ValueError("only the erf GELU of GPT-NeoX is supported")
            hid = self._site(layer, "mlp_mid", hid, code_ids)
            m = self._site(layer, "mlp", F.linear(hid, w("mlp.down.weight"), w("mlp.down.bias")), code_ids)
            x = x + attn + m
        last = F.layer_norm(x[-1], (self.d_model,), self.lnf_w, self.lnf_b, eps)
        logits = torch.matmul(self.lm_head, last)
        return (logits, *presents, *code_ids)

    def empty_past(self):
        z = torch.zeros(self.n_heads, 0, self.head_dim)
        return [z] * (2 * self.n_layers)


def load_model(path):
    return NeoXCodebookModel(read_cbk(path)).eval()

