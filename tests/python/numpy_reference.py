"""A second, deliberately plain formulation (numpy float64, explicit per-token loops) of the three
families with codebooks, used to cross-check the torch reference. No steering."""

import math

import numpy as np


def _ln(x, w, b, eps):
    mu = x.mean()
    var = ((x - mu) ** 2).mean()
    return (x - mu) / math.sqrt(var + eps) * w + b


def _act(name, x):
    if name == "gelu":
        return np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x])
    if name == "gelu_new":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    if name == "relu":
        return np.maximum(x, 0)
    raise ValueError(name)


def _rotate(x, pos, ndims, base):
    """Rotate dim pairs (m, m + ndims/2) by pos * base^(-2m/ndims)."""
    y = x.copy()
    h = ndims // 2
    for m in range(h):
        theta = pos * base ** (-2.0 * m / ndims)
        c, s = math.cos(theta), math.sin(theta)
        y[m] = x[m] * c - x[m + h] * s
        y[m + h] = x[m + h] * c + x[m] * s
    return y


class NumpyReference:
    def __init__(self, model):
        """model: a cbk_reference CodebookTransformer (only its weights and configs are read)."""
        self.cfg = model.base
        self.w = {k: v.double().numpy() for k, v in model.weights.items()}
        self.sites = model.sites
        self.cb = {key: [(g.codes.double().numpy(), g.ln_weight.double().numpy(), g.ln_bias.double().numpy())
                         for g in groups] for key, groups in model.codebooks.items()}
        self.ids = {}

    def _codebook(self, layer, site, x, t):
        s = self.sites.get((layer, site))
        if s is None:
            return x
        out = []
        for g, (codes, lw, lb) in enumerate(self.cb[(layer, site)]):
            chunk = x[g * s.group_dim:(g + 1) * s.group_dim]
            xn = _ln(chunk, lw, lb, 1e-5)
            if s.metric == "inner_product":
                sc = np.array([xn @ c / np.linalg.norm(c) for c in codes])
            else:
                sc = np.array([-np.linalg.norm(xn - c) for c in codes])
            ids = sorted(range(len(codes)), key=lambda j: (-sc[j], j))[:s.k]
            self.ids.setdefault((layer, site, g), []).append(ids)
            out.append(sum(codes[j] for j in ids) / s.k)
        return np.concatenate(out)

    def forward(self, tokens):
        cfg, w = self.cfg, self.w
        T, H, hd = len(tokens), cfg.n_heads, cfg.head_dim
        if cfg.family == "gpt_neox":
            xs = [w["gpt_neox.embed_in.weight"][t].copy() for t in tokens]
        else:
            xs = [w["transformer.wte.weight"][t] + w["transformer.wpe.weight"][i] for i, t in enumerate(tokens)]
        for L in range(cfg.n_layers):
            p = f"gpt_neox.layers.{L}" if cfg.family == "gpt_neox" else f"transformer.h.{L}"
            cb = lambda site, v, t, L=L: self._codebook(L, site, v, t)
            ln1 = [(_ln(x, w[f"{p}.input_layernorm.weight"], w[f"{p}.input_layernorm.bias"], cfg.ln_eps)
                    if cfg.family == "gpt_neox" else _ln(x, w[f"{p}.ln_1.weight"], w[f"{p}.ln_1.bias"], cfg.ln_eps))
                   for x in xs]
            # q, k, v per token as [H, hd]
            qs, ks, vs = [], [], []
            for t, x in enumerate(ln1):
                if cfg.family == "gpt_neox":
                    qkv = w[f"{p}.attention.query_key_value.weight"] @ x + w[f"{p}.attention.query_key_value.bias"]
                    qkv = cb("qkv", qkv, t).reshape(H, 3, hd)
                    q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]
                    q = np.stack([_rotate(q[h], t, cfg.rotary_ndims, cfg.rotary_base) for h in range(H)])
                    k = np.stack([_rotate(k[h], t, cfg.rotary_ndims, cfg.rotary_base) for h in range(H)])
                elif cfg.family == "gpt2":
                    qkv = x @ w[f"{p}.attn.c_attn.weight"] + w[f"{p}.attn.c_attn.bias"]
                    qkv = cb("qkv", qkv, t).reshape(3, H, hd)
                    q, k, v = qkv[0], qkv[1], qkv[2]
                else:
                    a = f"{p}.attn.attention"
                    q, k, v = ((w[f"{a}.{n}_proj.weight"] @ x).reshape(H, hd) for n in "qkv")
                qs.append(q), ks.append(k), vs.append(v)
            attn = []
            for i in range(T):
                z = np.zeros((H, hd))
                for h in range(H):
                    visible = [j for j in range(i + 1)
                               if not (cfg.family == "gpt_neo" and cfg.attention_layers[L] == "local"
                                       and j <= i - cfg.window_size)]
                    sc = np.array([qs[i][h] @ ks[j][h] for j in visible])
                    if cfg.family == "gpt_neox" or (cfg.family == "gpt2" and cfg.scale_attn_weights):
                        sc = sc / math.sqrt(hd)
                    if cfg.family == "gpt2" and cfg.scale_attn_by_inverse_layer_idx:
                        sc = sc / (L + 1)
                    pr = np.exp(sc - sc.max())
                    pr /= pr.sum()
                    z[h] = sum(pr[n] * vs[j][h] for n, j in enumerate(visible))
                z = cb("attn_preproj", z.reshape(-1), i)
                if cfg.family == "gpt_neox":
                    o = w[f"{p}.attention.dense.weight"] @ z + w[f"{p}.attention.dense.bias"]
                elif cfg.family == "gpt2":
                    o = z @ w[f"{p}.attn.c_proj.weight"] + w[f"{p}.attn.c_proj.bias"]
                else:
                    o = w[f"{p}.attn.attention.out_proj.weight"] @ z + w[f"{p}.attn.attention.out_proj.bias"]
                attn.append(cb("attn", o, i))
            new = []
            for i, x in enumerate(xs):
                a = attn[i]
                if cfg.family == "gpt_neox":
                    mlp_in = x if cfg.parallel_residual else x + a
                    hdn = _ln(mlp_in, w[f"{p}.post_attention_layernorm.weight"], w[f"{p}.post_attention_layernorm.bias"],
                              cfg.ln_eps)
                    hdn = cb("mlp_mid", _act(cfg.activation, w[f"{p}.mlp.dense_h_to_4h.weight"] @ hdn
                                             + w[f"{p}.mlp.dense_h_to_4h.bias"]), i)
                    m = w[f"{p}.mlp.dense_4h_to_h.weight"] @ hdn + w[f"{p}.mlp.dense_4h_to_h.bias"]
                else:
                    hdn = _ln(x + a, w[f"{p}.ln_2.weight"], w[f"{p}.ln_2.bias"], cfg.ln_eps)
                    if cfg.family == "gpt2":
                        hdn = cb("mlp_mid", _act(cfg.activation, hdn @ w[f"{p}.mlp.c_fc.weight"] + w[f"{p}.mlp.c_fc.bias"]), i)
                        m = hdn @ w[f"{p}.mlp.c_proj.weight"] + w[f"{p}.mlp.c_proj.bias"]
                    else:
                        hdn = cb("mlp_mid", _act(cfg.activation, w[f"{p}.mlp.c_fc.weight"] @ hdn + w[f"{p}.mlp.c_fc.bias"]), i)
                        m = w[f"{p}.mlp.c_proj.weight"] @ hdn + w[f"{p}.mlp.c_proj.bias"]
                m = cb("mlp", m, i)
                out = x + cb("attn_plus_mlp", a + m, i)
                new.append(cb("transformer_block", out, i))
            xs = new
        if cfg.family == "gpt_neox":
            lnf = ("gpt_neox.final_layer_norm.weight", "gpt_neox.final_layer_norm.bias")
            unemb = w["embed_out.weight"] if "embed_out.weight" in w else w["gpt_neox.embed_in.weight"]
        else:
            lnf = ("transformer.ln_f.weight", "transformer.ln_f.bias")
            unemb = w["lm_head.weight"] if "lm_head.weight" in w else w["transformer.wte.weight"]
        return np.stack([unemb @ _ln(x, w[lnf[0]], w[lnf[1]], cfg.ln_eps) for x in xs])
