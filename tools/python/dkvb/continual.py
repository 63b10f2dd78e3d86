"""Class-incremental training on a task stream, shared by the 2-D toy and the Fashion-MNIST
miniature: a DKVB (values only) and two baselines on the same stream, each task trained with a fresh
optimiser, accuracy over every class measured after each task."""
import time

import numpy as np
import torch


def accuracy(predict, x, y):
    with torch.no_grad():
        return float((predict(torch.as_tensor(x)).argmax(1).numpy() == y).mean())


def train_dkvb_task(model, x, y, steps, lr, batch=None, gen=None):
    """One task: Adam (fresh) on the values only, full batch or minibatches of `batch`. The pairs the
    task's inputs select are counted in model.used (the file's used-pair mask)."""
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    ids_all = model.pick(x)  # keys are frozen: every input's pairs are fixed
    model.count_usage(ids_all)
    opt = torch.optim.Adam([model.values], lr=lr)
    for _ in range(steps):
        idx = slice(None) if batch is None else torch.randint(0, len(x), (batch,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model.logits(ids_all[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def train_net_task(net, x, y, steps, lr, batch=None, gen=None):
    """One task of a baseline: Adam (fresh) on every parameter of `net`."""
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        idx = slice(None) if batch is None else torch.randint(0, len(x), (batch,), generator=gen)
        loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def run_stream(learners, tasks, test_x, test_y, task_classes):
    """learners: {name: (train_one_task(x, y), predict(x))}. Returns {name: {"after_task": [...],
    "per_task_final": [...], "final": acc, "seconds": s}}."""
    out = {name: {"after_task": [], "seconds": 0.0} for name in learners}
    for x, y in tasks:
        for name, (train, predict) in learners.items():
            start = time.time()
            train(x, y)
            out[name]["seconds"] += time.time() - start
            out[name]["after_task"].append(accuracy(predict, test_x, test_y))
    for name, (_, predict) in learners.items():
        out[name]["final"] = out[name]["after_task"][-1]
        out[name]["per_task_final"] = [accuracy(predict, test_x[np.isin(test_y, c)], test_y[np.isin(test_y, c)])
                                       for c in task_classes]
    return out
