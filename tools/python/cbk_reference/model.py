"""The reference codebook transformer: embeddings, blocks with codebooks, final LN, unembedding.

    model = CodebookTransformer(base_cfg, cb_cfg, weights, codebooks)
    sess = model.session(steering)          # KV cache, trace, steering
    logits = sess.forward([10, 3, 4])       # prefill (the first call defines the prompt length)
    logits = sess.forward([7])              # incremental decode at absolute position 3

`weights` maps plain HF parameter names (no `model.`, no `module_layer`) to float32 tensors;
`codebooks[(layer, site)]` is the list of CodebookTensors of its groups.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch

from . import blocks
from .codebook import CodebookTensors, codebook_group_forward
from .config import BaseConfig, CodebookConfig, CodebookSite, check_base
from .layout import layer_prefix
from .steering import Steering
from .trace import Trace


class ContextOverflow(ValueError):
    pass


class CodebookTransformer:
    def __init__(self, base: BaseConfig, cb: Optional[CodebookConfig], weights: Dict[str, torch.Tensor],
                 codebooks: Dict[Tuple[int, str], List[CodebookTensors]]):
        check_base(base)
        self.base = base
        self.cb_config = cb
        self.sites: Dict[Tuple[int, str], CodebookSite] = {}
        if cb is not None:
            for s in cb.sites(base):
                self.sites[(s.layer, s.site)] = s
        self.weights = {k: v.to(torch.float32) for k, v in weights.items()}
        self.codebooks = codebooks
        for key, s in self.sites.items():
            groups = codebooks.get(key)
            if groups is None or len(groups) != s.groups:
                raise ValueError(f"codebook {key}: expected {s.groups} groups")
            for g in groups:
                if tuple(g.codes.shape) != (s.num_codes, s.group_dim):
                    raise ValueError(f"codebook {key}: codes shape {tuple(g.codes.shape)}")

    def session(self, steering: Optional[Steering] = None, trace: bool = True) -> "Session":
        steering = steering or Steering()
        for t in [iv.target for iv in steering.interventions] + list(steering.bypass):
            s = self.sites.get((t.layer, t.site))
            if s is None or (t.group is not None and not 0 <= t.group < s.groups):
                raise ValueError(f"steering targets a codebook this model lacks: {t}")
        return Session(self, steering, trace)

    def unembedding(self) -> torch.Tensor:
        w = self.weights
        if self.base.family == "gpt_neox":
            return w["gpt_neox.embed_in.weight"] if self.base.tie_word_embeddings and "embed_out.weight" not in w \
                else w["embed_out.weight"]
        if "lm_head.weight" in w:
            return w["lm_head.weight"]
        if not self.base.tie_word_embeddings:
            raise KeyError("lm_head.weight missing and embeddings are not tied")
        return w["transformer.wte.weight"]


class Session:
    """Per-sequence state: KV cache, absolute position, prompt length, steering, trace."""

    def __init__(self, model: CodebookTransformer, steering: Steering, trace: bool):
        self.model = model
        self.steering = steering
        self.trace = Trace() if trace else None
        self.cache = blocks.KVCache(model.base.n_layers)
        self.n_tokens = 0
        self.n_prompt: Optional[int] = None

    def _apply_codebook(self, layer: int, site: str, x: torch.Tensor, positions: List[int]) -> torch.Tensor:
        s = self.model.sites.get((layer, site))
        if s is None:
            return x
        chunks = x.split(s.group_dim, dim=-1)  # G contiguous equal chunks
        outs = []
        for g, (chunk, cbt) in enumerate(zip(chunks, self.model.codebooks[(layer, site)])):
            if self.steering.bypassed(layer, site, g):
                outs.append(chunk)
                continue
            r = codebook_group_forward(chunk.contiguous(), cbt, s.k, s.metric, positions, self.n_prompt,
                                       self.steering.for_group(layer, site, g))
            if self.trace is not None:
                self.trace.record(layer, site, g, positions, r.ids, r.scores)
            outs.append(r.output)
        return torch.cat(outs, dim=-1)

    @torch.no_grad()
    def forward(self, token_ids: Sequence[int]) -> torch.Tensor:
        """Run new tokens; returns their logits [T, vocab]."""
        base, w = self.model.base, self.model.weights
        ids = torch.tensor(list(token_ids), dtype=torch.long)
        if ids.numel() == 0:
            raise ValueError("no tokens")
        if ids.min() < 0 or ids.max() >= base.vocab_size:
            raise ValueError("token id out of range")
        start = self.n_tokens
        if start + len(ids) > base.max_positions:
            raise ContextOverflow(f"{start + len(ids)} tokens exceed the context of {base.max_positions}")
        if self.n_prompt is None:
            self.n_prompt = len(ids)
        pos_list = list(range(start, start + len(ids)))
        positions = torch.tensor(pos_list, dtype=torch.long)
        if base.family == "gpt_neox":
            x = w["gpt_neox.embed_in.weight"][ids]
        else:
            x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][positions]
        for layer in range(base.n_layers):
            def hook(site, t, layer=layer):
                return self._apply_codebook(layer, site, t, pos_list)
            x = blocks.block(base, w, layer_prefix(base.family, layer), x, positions, self.cache, layer, hook,
                             (layer, "attn_plus_mlp") in self.model.sites)
        if base.family == "gpt_neox":
            x = blocks.layer_norm(x, w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"],
                                  base.ln_eps)
        else:
            x = blocks.layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], base.ln_eps)
        self.n_tokens += len(ids)
        return torch.matmul(x, self.model.unembedding().T)


def full_forward(model: CodebookTransformer, token_ids: Sequence[int], steering: Optional[Steering] = None):
    """Convenience: one fresh session, one call. Returns (logits, trace)."""
    s = model.session(steering)
    return s.forward(token_ids), s.trace
