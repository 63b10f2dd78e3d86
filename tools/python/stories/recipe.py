"""The story codebook model's recipe: tokenizer -> base GPT-Neo -> k-means codebooks -> joint fine-tune,
with resume (cbktrain.loop).

Phases (each timed):
  base      train the GPT-Neo base model without codebooks (the BPE is trained first, at start-up)
  init      add attn_preproj group codebooks (one per head, k codes of C); k-means on the base model's
            merged-head activations
  finetune  train everything: CE + aeloss, straight-through estimator
  eval      held-out loss/accuracy (as `cbk eval --ids` computes it) with and without the codebooks,
            export in the codebook-features layout (export.py)
OUT/ holds the tokenizer files (written once), train_tokens.npy (the encoded training stream),
resume.pt, base_done.pt, train_log.jsonl and, at the end, the checkpoint.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass
from typing import Dict

import numpy as np
import torch

from cbktrain.codebook import CodebookSpec
from cbktrain.gpt_neo import NeoModel, NeoShape
from cbktrain.kmeans import init_codebooks
from cbktrain.loop import PhasedRun

from . import bpe, corpus
from .data import StoryData, encode_stream
from .evals import lm_eval
from .export import save_checkpoint

PHASES = ("base", "init", "finetune", "eval", "done")
_SHAPE = ("vocab_size", "bpe_stories", "train_stories", "d_model", "n_layers", "n_heads", "d_mlp", "context",
          "window_size")
PHASE_FIELDS = {
    "base": ("seed",) + _SHAPE + ("base_steps", "base_batch", "base_lr", "base_warmup", "min_lr_ratio"),
    "init": ("num_codes", "k", "kmeans_seqs", "kmeans_iters", "ln_init"),
    "finetune": ("ft_steps", "ft_batch", "ft_lr", "model_lr_factor", "ft_warmup"),
}


@dataclass
class Recipe:
    seed: int = 0
    # data and tokenizer
    vocab_size: int = 2048
    bpe_stories: int = 5000
    train_stories: int = 30000
    heldout_stories: int = 400
    # GPT-Neo: 1 layer as the paper's TinyStories model; 8 heads of 32 (16 heads of 16 cost ~2x per step
    # here: the attention's elementwise work grows with heads x context)
    d_model: int = 256
    n_layers: int = 1
    n_heads: int = 8
    d_mlp: int = 1024
    context: int = 256   # steer-eval generates 200 tokens after a short prompt
    window_size: int = 128
    # base
    base_steps: int = 650
    base_batch: int = 32
    base_lr: float = 2e-3
    base_warmup: int = 50
    # codebooks (attn_preproj, one per head)
    num_codes: int = 4096
    k: int = 8
    kmeans_seqs: int = 256
    kmeans_iters: int = 8
    ln_init: str = "fit"
    # finetune
    ft_steps: int = 400
    ft_batch: int = 32
    ft_lr: float = 1e-3
    model_lr_factor: float = 1.0
    ft_warmup: int = 30
    min_lr_ratio: float = 0.1
    # bookkeeping
    save_every: int = 50
    log_every: int = 20


class Run(PhasedRun):
    PHASES = PHASES
    PHASE_FIELDS = PHASE_FIELDS

    def __init__(self, recipe: Recipe, out_dir, log=print):
        r = recipe
        shape = NeoShape(vocab_size=r.vocab_size, d_model=r.d_model, n_layers=r.n_layers, n_heads=r.n_heads,
                         d_mlp=r.d_mlp, max_positions=r.context, window_size=r.window_size)
        super().__init__(recipe, out_dir, NeoModel(shape, seed=r.seed), None, log)
        t0 = time.time()
        self.tok = self._tokenizer()
        self.data = StoryData(self._train_stream(), r.context, seed=r.seed + 1)
        self.heldout = encode_stream(self.tok, (s.text for s in corpus.stories(r.heldout_stories, corpus.HELDOUT_SEED)))
        self.times.setdefault("data", time.time() - t0)

    def _tokenizer(self) -> bpe.ByteBpe:
        if (self.out / "merges.txt").exists():
            tok = bpe.ByteBpe.read(self.out)
        else:
            texts = (s.text for s in corpus.stories(self.r.bpe_stories, corpus.TRAIN_SEED))
            tok = bpe.ByteBpe(bpe.train(texts, self.r.vocab_size))
            tok.write(self.out)
        if tok.vocab_size != self.r.vocab_size:
            raise SystemExit(f"{self.out}/merges.txt has {tok.vocab_size} tokens, the recipe {self.r.vocab_size}")
        return tok

    def _train_stream(self) -> np.ndarray:
        path = self.out / "train_tokens.npy"
        if path.exists():
            return np.load(path)
        stream = encode_stream(self.tok, (s.text for s in corpus.stories(self.r.train_stories, corpus.TRAIN_SEED)))
        np.save(path, stream)
        return stream

    def next_batch(self, batch: int) -> torch.Tensor:
        return self.data.batch(batch)

    def _eval(self, name: str, **forward_kw):
        m = lm_eval(self.model, self.heldout, self.r.context, **forward_kw)
        self.metrics[name] = {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
        self.log("eval", name=name, **self.metrics[name])

    def run(self, resume: bool = True) -> Dict[str, object]:
        r = self.r
        if not (resume and self.try_resume()):
            self.log("start", recipe=asdict(r), threads=torch.get_num_threads(),
                     train_tokens=int(len(self.data.stream)), heldout_tokens=int(len(self.heldout)))
        if self.phase == "base":
            self._train(r.base_steps, r.base_batch, r.base_warmup, r.min_lr_ratio, with_codebooks=False)
            self._eval("base")
            self._next_phase("init")
            shutil.copyfile(self.out / "resume.pt", self.out / "base_done.pt")
        if self.phase == "init":
            t0 = time.time()
            self.model.add_codebooks(CodebookSpec(num_codes=r.num_codes, k=r.k, sites=("attn_preproj",)), seed=r.seed)
            kdata = StoryData(self.data.stream.numpy(), r.context, seed=r.seed + 2)
            batches = [kdata.batch(16) for _ in range(max(1, r.kmeans_seqs // 16))]
            usage = init_codebooks(self.model, batches, r.kmeans_iters, r.seed, r.ln_init)
            self.times["init"] = time.time() - t0
            self.log("kmeans", min_usage=min(usage.values()), mean_usage=round(sum(usage.values()) / len(usage), 4),
                     elapsed_s=round(self.times["init"], 1))
            self._eval("after_init")
            self._next_phase("finetune")
        if self.phase == "finetune":
            self._train(r.ft_steps, r.ft_batch, r.ft_warmup, r.min_lr_ratio, with_codebooks=True)
            self._next_phase("eval")
        if self.phase == "eval":
            t0 = time.time()
            self._eval("final")
            self._eval("final_without_codebooks", bypass=True)
            self.times["eval"] = time.time() - t0
            save_checkpoint(self.model, self.tok, self.out, self.heldout, self.summary())
            self.phase = "done"
            self.save_state()
            self.log("exported", out=str(self.out), total_s=round(sum(self.times.values()), 1))
        return self.summary()
