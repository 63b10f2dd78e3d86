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

import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

from . import evals
from .data import FsmData
from .annotate import write_annotations
from .export import save_checkpoint
from .kmeans import init_codebooks
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


def lr_at(step: int, total: int, peak: float, warmup: int, min_ratio: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, total - warmup)
    return peak * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


class Run:
    def __init__(self, recipe: Recipe, out_dir, log=print):
        self.r = recipe
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.log_fn = log
        self.model = TokFsmModel(ModelShape(), seed=recipe.seed)
        self.data = FsmData(seed=recipe.seed + 1)
        self.phase = "base"
        self.step = 0
        self.opt: Optional[torch.optim.Optimizer] = None
        self.times: Dict[str, float] = {}
        self.metrics: Dict[str, object] = {}

    # ---- logging / state ----
    def log(self, event: str, **kw):
        rec = {"event": event, "phase": self.phase, "step": self.step, **kw}
        with open(self.out / "train_log.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.log_fn(" ".join([event] + [f"{k}={v}" for k, v in rec.items() if k != "event"]))

    def save_state(self):
        tmp = self.out / "resume.pt.tmp"
        torch.save({"recipe": asdict(self.r), "phase": self.phase, "step": self.step,
                    "spec": None if self.model.spec is None else asdict(self.model.spec),
                    "model": self.model.state_dict(), "opt": None if self.opt is None else self.opt.state_dict(),
                    "data_rng": self.data.rng.bit_generator.state, "torch_rng": torch.random.get_rng_state(),
                    "times": self.times, "metrics": self.metrics}, tmp)
        os.replace(tmp, self.out / "resume.pt")

    def try_resume(self) -> bool:
        p = self.out / "resume.pt"
        if not p.exists():
            return False
        st = torch.load(p)
        now = asdict(self.r)
        idx = PHASES.index(st["phase"])
        started = PHASES[:idx + 1] if st["step"] > 0 else PHASES[:idx]  # phase saved at step 0 = not begun
        changed = [f for ph in started for f in PHASE_FIELDS.get(ph, ()) if st["recipe"][f] != now[f]]
        if changed:
            raise SystemExit(f"{p} was written with different {changed}; use another --out or delete it")
        if st["spec"] is not None:
            spec = dict(st["spec"])
            spec["sites"] = tuple(spec["sites"])
            self.model.add_codebooks(CodebookSpec(**spec))
        self.model.load_state_dict(st["model"])
        self.phase, self.step = st["phase"], st["step"]
        self.times, self.metrics = st["times"], st["metrics"]
        self.data.rng.bit_generator.state = st["data_rng"]
        torch.random.set_rng_state(st["torch_rng"])
        if st["opt"] is not None:
            self.opt = self._make_opt()
            self.opt.load_state_dict(st["opt"])
        self.log("resumed")
        return True

    # ---- phases ----
    def _make_opt(self) -> torch.optim.Optimizer:
        r = self.r
        if self.phase == "base":
            groups = [{"params": list(self.model.parameters()), "lr": r.base_lr, "peak": r.base_lr}]
        else:
            cb = list(self.model.codebooks.parameters())
            ids = {id(p) for p in cb}
            base = [p for p in self.model.parameters() if id(p) not in ids]
            groups = [{"params": cb, "lr": r.ft_lr, "peak": r.ft_lr},
                      {"params": base, "lr": r.ft_lr * r.model_lr_factor, "peak": r.ft_lr * r.model_lr_factor}]
        return torch.optim.AdamW(groups, weight_decay=0.0)

    def _train(self, total: int, batch: int, warmup: int, min_ratio: float, with_codebooks: bool):
        r = self.r
        self.model.train()
        if self.opt is None:
            self.opt = self._make_opt()
        t0 = time.time() - self.times.get(self.phase, 0.0)
        run_loss = run_acc = run_ae = 0.0
        n = 0
        while self.step < total:
            for g in self.opt.param_groups:
                g["lr"] = lr_at(self.step, total, g["peak"], warmup, min_ratio)
            ids = torch.from_numpy(self.data.batch(batch)[0])
            logits, ae = self.model(ids)
            lg, tgt = logits[:, :-1], ids[:, 1:]
            ce = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), tgt.reshape(-1))
            loss = ce + ae if with_codebooks else ce
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.step += 1
            run_loss += ce.item()
            run_acc += (lg.argmax(-1) == tgt).float().mean().item()
            run_ae += ae.item()
            n += 1
            self.times[self.phase] = time.time() - t0
            if self.step % r.log_every == 0 or self.step == total:
                self.log("train", loss=round(run_loss / n, 4), acc=round(run_acc / n, 4), aeloss=round(run_ae / n, 3),
                         lr=round(self.opt.param_groups[0]["lr"], 6), elapsed_s=round(self.times[self.phase], 1))
                run_loss = run_acc = run_ae = 0.0
                n = 0
            if self.step % r.save_every == 0:
                self.save_state()

    def _quick_eval(self, name: str):
        self.model.eval()
        m = evals.lm_eval(self.model, FsmData(seed=999), self.r.eval_seqs)
        m["first_transition_acc"] = evals.first_transition_accuracy(self.model, FsmData(seed=999))
        self.metrics[name] = {k: round(v, 4) for k, v in m.items()}
        self.log("eval", name=name, **self.metrics[name])

    def _next_phase(self, phase: str):
        self.phase, self.step, self.opt = phase, 0, None
        self.save_state()

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

    def summary(self) -> Dict[str, object]:
        return {"recipe": asdict(self.r), "threads": torch.get_num_threads(),
                "phase_seconds": {k: round(v, 1) for k, v in self.times.items()},
                "total_seconds": round(sum(self.times.values()), 1), "metrics": self.metrics}
