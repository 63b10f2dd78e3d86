"""The phased training loop shared by the trainers: AdamW with warmup + cosine decay, CE (+ aeloss once
codebooks are in), JSON-lines logging, and resume from OUT/resume.pt.

A subclass sets PHASES, PHASE_FIELDS, and provides `self.model` (a CodebookHost), `self.data` (with a
numpy Generator `rng`) and `next_batch(batch) -> LongTensor [B, T]`, then drives its phases with
`_train` and `_next_phase`.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from .codebook import CodebookSpec


def lr_at(step: int, total: int, peak: float, warmup: int, min_ratio: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, total - warmup)
    return peak * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


class PhasedRun:
    PHASES: Tuple[str, ...] = ()
    # Recipe fields each phase depends on: a resumed run may change the fields of phases not yet started
    # (e.g. try another fine-tune from the same base model).
    PHASE_FIELDS: Dict[str, Tuple[str, ...]] = {}

    def __init__(self, recipe, out_dir, model, data, log=print):
        self.r = recipe
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.log_fn = log
        self.model = model
        self.data = data
        self.phase = self.PHASES[0]
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
        idx = self.PHASES.index(st["phase"])
        started = self.PHASES[:idx + 1] if st["step"] > 0 else self.PHASES[:idx]  # phase saved at step 0 = not begun
        changed = [f for ph in started for f in self.PHASE_FIELDS.get(ph, ()) if st["recipe"][f] != now[f]]
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
    def next_batch(self, batch: int) -> torch.Tensor:
        raise NotImplementedError

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
            ids = self.next_batch(batch)
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

    def _next_phase(self, phase: str):
        self.phase, self.step, self.opt = phase, 0, None
        self.save_state()

    def summary(self) -> Dict[str, object]:
        return {"recipe": asdict(self.r), "threads": torch.get_num_threads(),
                "phase_seconds": {k: round(v, 1) for k, v in self.times.items()},
                "total_seconds": round(sum(self.times.values()), 1), "metrics": self.metrics}
