"""The training recipe: base model -> k-means codebook insertion -> joint fine-tune, with resume.

Phases (each timed):
  base      train GPT-NeoX without codebooks (AdamW, warmup + cosine decay)
  init      add codebooks; k-means on the base model's LN'd activations at every site
  finetune  train everything: CE + aeloss, straight-through estimator
  eval      full evaluation (evals.full_eval), export in the codebook-features layout, plus the
            state-code annotations (annotate.py) that the converter stores in the .cbk file
State is saved to OUT/resume.pt every `save_every` steps and at phase ends; rerunning resumes.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass
from typing import Dict

import torch

from cbktrain.kmeans import init_codebooks
from cbktrain.loop import PhasedRun

from . import evals
from .annotate import write_annotations
from .data import FsmData
from .export import save_checkpoint
from .model import CodebookSpec, ModelShape, TokFsmModel

PHASES = ("base", "init", "finetune", "eval", "done")
# Recipe fields each phase depends on: a resumed run may change the fields of phases not yet started
# (e.g. try another fine-tune from the same base model).
PHASE_FIELDS = {
    "base": ("seed", "base_steps", "base_batch", "base_lr", "base_warmup", "min_lr_ratio"),
    "init": ("num_codes", "k", "kmeans_seqs", "kmeans_iters", "ln_init"),
    "finetune": ("ft_steps", "ft_batch", "ft_lr", "model_lr_factor", "ft_warmup"),
}


@dataclass
class Recipe:
    seed: int = 0
    # base
    base_steps: int = 800
    base_batch: int = 64
    base_lr: float = 3e-3
    base_warmup: int = 30
    # codebooks
    num_codes: int = 1000
    k: int = 1
    kmeans_seqs: int = 256
    kmeans_iters: int = 15
    ln_init: str = "fit"
    # finetune
    ft_steps: int = 1500
    ft_batch: int = 64
    ft_lr: float = 1e-3
    model_lr_factor: float = 1.0
    ft_warmup: int = 20
    min_lr_ratio: float = 0.1
    # bookkeeping
    save_every: int = 50
    log_every: int = 20
    eval_seqs: int = 256  # quick LM eval at phase ends (the final eval uses 2048)


class Run(PhasedRun):
    PHASES = PHASES
    PHASE_FIELDS = PHASE_FIELDS

    def __init__(self, recipe: Recipe, out_dir, log=print):
        super().__init__(recipe, out_dir, TokFsmModel(ModelShape(), seed=recipe.seed), FsmData(seed=recipe.seed + 1), log)

    def next_batch(self, batch: int) -> torch.Tensor:
        return torch.from_numpy(self.data.batch(batch)[0])

    def _quick_eval(self, name: str):
        self.model.eval()
        m = evals.lm_eval(self.model, FsmData(seed=999), self.r.eval_seqs)
        m["first_transition_acc"] = evals.first_transition_accuracy(self.model, FsmData(seed=999))
        self.metrics[name] = {k: round(v, 4) for k, v in m.items()}
        self.log("eval", name=name, **self.metrics[name])

    def run(self, resume: bool = True) -> Dict[str, object]:
        r = self.r
        if not (resume and self.try_resume()):
            self.log("start", recipe=asdict(r), threads=torch.get_num_threads())
        if self.phase == "base":
            self._train(r.base_steps, r.base_batch, r.base_warmup, r.min_lr_ratio, with_codebooks=False)
            self._quick_eval("base")
            self._next_phase("init")
            # kept so that other codebook/fine-tune settings can start from this base model:
            # copy it to NEW_OUT/resume.pt and run with the same base fields
            shutil.copyfile(self.out / "resume.pt", self.out / "base_done.pt")
        if self.phase == "init":
            t0 = time.time()
            self.model.add_codebooks(CodebookSpec(num_codes=r.num_codes, k=r.k), seed=r.seed)
            kdata = FsmData(seed=r.seed + 2)
            batches = [torch.from_numpy(kdata.batch(64)[0]) for _ in range(max(1, r.kmeans_seqs // 64))]
            usage = init_codebooks(self.model, batches, r.kmeans_iters, r.seed, r.ln_init)
            self.times["init"] = time.time() - t0
            self.log("kmeans", min_usage=min(usage.values()), mean_usage=round(sum(usage.values()) / len(usage), 4),
                     elapsed_s=round(self.times["init"], 1))
            self._quick_eval("after_init")
            self._next_phase("finetune")
        if self.phase == "finetune":
            self._train(r.ft_steps, r.ft_batch, r.ft_warmup, r.min_lr_ratio, with_codebooks=True)
            self._quick_eval("finetuned")
            self._next_phase("eval")
        if self.phase == "eval":
            t0 = time.time()
            final = evals.full_eval(self.model)
            self.times["eval"] = time.time() - t0
            self.metrics["final"] = final
            self.log("final", **{k: v for k, v in final.items()})
            summary = self.summary()
            save_checkpoint(self.model, self.out, self.data.fsm.transition_matrix, summary)
            write_annotations(self.model, self.out)
            self.phase = "done"
            self.save_state()
            self.log("exported", out=str(self.out), total_s=round(sum(self.times.values()), 1))
        return self.summary()
