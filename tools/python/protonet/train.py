"""Training loop with resume: Adam, fixed epochs, a checkpoint at every epoch end and every minute."""

import json
import os
import time

import numpy as np
import torch

from .data import load_split
from .model import Baseline, ProtoNet


def make_model(kind: str, num_prototypes: int):
    return ProtoNet(num_prototypes) if kind == "protonet" else Baseline()


def evaluate(model, x, y, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(x[i:i + batch])
            out = model(xb)
            logits = out[2] if isinstance(out, tuple) else out
            correct += int((logits.argmax(1).numpy() == y[i:i + batch]).sum())
    model.train()
    return correct / len(x)


def train(kind: str, out: str, epochs: int, batch: int, lr: float, seed: int,
          num_prototypes: int, recon_images: int = 0, log=print) -> dict:
    """Trains (or resumes) one model in OUT/KIND/; returns the summary also written to summary.json."""
    work = os.path.join(out, kind)
    os.makedirs(work, exist_ok=True)
    resume_path = os.path.join(work, "resume.pt")
    xtr, ytr = load_split("train")
    xte, yte = load_split("t10k")
    torch.manual_seed(seed)
    model = make_model(kind, num_prototypes)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    state = {"epoch": 0, "step_in_epoch": 0, "seconds": 0.0}
    if os.path.exists(resume_path):
        ck = torch.load(resume_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        log(f"{kind}: resumed at epoch {state['epoch']} step {state['step_in_epoch']}")

    def save():
        tmp = resume_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state}, tmp)
        os.replace(tmp, resume_path)

    steps = len(xtr) // batch
    last_save = time.time()
    with open(os.path.join(work, "train_log.jsonl"), "a") as logf:
        while state["epoch"] < epochs:
            # The epoch's order depends only on (seed, epoch), so a resumed run sees the same batches.
            order = np.random.default_rng(seed * 1000 + state["epoch"]).permutation(len(xtr))
            t0 = time.time()
            parts_sum = {}
            for s in range(state["step_in_epoch"], steps):
                idx = order[s * batch:(s + 1) * batch]
                xb, yb = torch.from_numpy(xtr[idx]), torch.from_numpy(ytr[idx])
                loss, parts, _ = model.loss(xb, yb, recon_images=recon_images)
                opt.zero_grad()
                loss.backward()
                opt.step()
                for k, v in parts.items():
                    parts_sum[k] = parts_sum.get(k, 0.0) + v
                state["step_in_epoch"] = s + 1
                if time.time() - last_save > 60:
                    state["seconds"] += time.time() - t0
                    t0 = time.time()
                    save()
                    last_save = time.time()
            state["seconds"] += time.time() - t0
            state["epoch"] += 1
            state["step_in_epoch"] = 0
            acc = evaluate(model, xte, yte)
            rec = {"epoch": state["epoch"], "seconds": round(state["seconds"], 1), "test_acc": acc,
                   **{k: v / steps for k, v in parts_sum.items()}}
            log(f"{kind}: {json.dumps(rec)}")
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            save()
            last_save = time.time()
    torch.save(model.state_dict(), os.path.join(work, "final.pt"))
    summary = {"kind": kind, "epochs": epochs, "batch": batch, "lr": lr, "seed": seed,
               "num_prototypes": num_prototypes, "recon_images": recon_images, "train_seconds": round(state["seconds"], 1),
               "python_test_acc": evaluate(model, xte, yte)}
    with open(os.path.join(work, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary
