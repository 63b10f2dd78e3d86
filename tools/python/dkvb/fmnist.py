"""A class-incremental miniature of the DKVB paper's main experiment on Fashion-MNIST (Debian
dataset-fashion-mnist): an encoder trained without labels (an MLP autoencoder 784-256-64), keys from
EMA k-means on its embeddings (unlabelled), then 5 tasks of 2 classes each. The DKVB (values only)
against a linear and an MLP head on the same frozen encoder, trained on the same stream, each task
with a fresh optimiser. Writes the DKVB .cbk, the labelled test set for `cbk dkvb-eval` and a
summary with the recipe and times.

  nice -n 10 /usr/bin/python3 tools/python/dkvb/fmnist.py --out build-dkvb/fmnist
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dkvb import continual, export, kmeans  # noqa: E402
from dkvb.model import DKVB, random_projection  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
TASKS = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        blob = f.read()
    dims = blob[3]
    shape = [int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(blob, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load():
    tx = read_idx("train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    ty = read_idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    vx = read_idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    vy = read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return tx, ty, vx, vy


def train_autoencoder(x, hidden, embed, epochs, batch, lr, gen):
    """784 -> hidden -> embed (ReLU between) and a mirrored decoder, mean squared reconstruction."""
    enc = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, embed))
    dec = torch.nn.Sequential(torch.nn.Linear(embed, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 784))
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=lr)
    x = torch.as_tensor(x)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), batch):
            xb = x[order[i:i + batch]]
            loss = ((dec(enc(xb)) - xb) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(xb)
        losses.append(total / len(x))
    return [(enc[0].weight.detach().numpy(), enc[0].bias.detach().numpy()),
            (enc[2].weight.detach().numpy(), enc[2].bias.detach().numpy())], losses


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--heads", type=int, default=64)
    ap.add_argument("--pairs", type=int, default=512)
    ap.add_argument("--key-dim", type=int, default=8)
    ap.add_argument("--ae-epochs", type=int, default=5)
    ap.add_argument("--kmeans-batches", type=int, default=120)
    ap.add_argument("--epochs", type=int, default=3, help="epochs over each task")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    times = {}
    t = time.time()
    tx, ty, vx, vy = load()
    times["load"] = time.time() - t

    # 1. Encoder without labels.
    t = time.time()
    encoder, ae_losses = train_autoencoder(tx, 256, 64, args.ae_epochs, 256, 1e-3, gen)
    times["autoencoder"] = time.time() - t

    # 2. Keys: EMA k-means of the projected embeddings of unlabelled training images, then frozen.
    t = time.time()
    projection = random_projection(rng, args.heads, args.key_dim, 64)
    probe = DKVB(np.zeros((args.heads, args.pairs, args.key_dim), np.float32), 10, encoder, projection)
    with torch.no_grad():
        q_all = probe.queries(probe.embed(torch.as_tensor(tx)))
    batches = (q_all[torch.randint(0, len(tx), (1024,), generator=gen)] for _ in range(args.kmeans_batches))
    keys = kmeans.ema_kmeans(batches, args.heads, args.pairs, args.key_dim, seed=args.seed)
    times["keys"] = time.time() - t

    # 3. The class-incremental stream: DKVB values only vs linear and MLP heads on the frozen encoder.
    t = time.time()
    dkvb = DKVB(keys, 10, encoder, projection, gemm_search=True)
    with torch.no_grad():
        z_train, z_test = probe.embed(torch.as_tensor(tx)), probe.embed(torch.as_tensor(vx))
    tasks = [(np.nonzero(np.isin(ty, task))[0]) for task in TASKS]
    linear = torch.nn.Linear(64, 10)
    mlp = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    batch = 256
    steps = lambda n: args.epochs * ((n + batch - 1) // batch)  # noqa: E731
    learners = {
        "dkvb": (lambda idx, y: continual.train_dkvb_task(dkvb, tx[idx], y, steps(len(idx)), 1e-2, batch, gen),
                 lambda x: dkvb(x, mask_unused=True), "pixels"),
        "linear": (lambda idx, y: continual.train_net_task(linear, z_train[idx], y, steps(len(idx)), 1e-3, batch, gen),
                   linear, "embedding"),
        "mlp": (lambda idx, y: continual.train_net_task(mlp, z_train[idx], y, steps(len(idx)), 1e-3, batch, gen),
                mlp, "embedding"),
    }
    results = {name: {"after_task": [], "seconds": 0.0} for name in learners}
    for idx in tasks:
        for name, (train, predict, space) in learners.items():
            s = time.time()
            train(idx, ty[idx])
            results[name]["seconds"] += time.time() - s
            results[name]["after_task"].append(continual.accuracy(predict, vx if space == "pixels" else z_test, vy))
    for name, (_, predict, space) in learners.items():
        x_eval = vx if space == "pixels" else z_test
        results[name]["final"] = results[name]["after_task"][-1]
        results[name]["per_task_final"] = [continual.accuracy(predict, x_eval[np.isin(vy, c)], vy[np.isin(vy, c)])
                                           for c in TASKS]
    times["stream"] = time.time() - t

    t = time.time()
    w = export.to_writer(dkvb, "dkvb-fmnist", "DKVB on Fashion-MNIST, class-incremental (5 tasks x 2 classes); "
                         "MLP autoencoder encoder 784-256-64, %d heads x %d pairs, key_dim %d" %
                         (args.heads, args.pairs, args.key_dim),
                         {"training.final_accuracy": "%.4f" % results["dkvb"]["final"],
                          "dkvb.tasks": "/".join(",".join(map(str, c)) for c in TASKS)})
    w.write(os.path.join(args.out, "dkvb-fmnist.cbk"))
    export.write_labelled(os.path.join(args.out, "fmnist-test.txt"), vx, vy)
    times["export"] = time.time() - t
    summary = {"recipe": {"autoencoder": "784-256-64 MLP (ReLU), MSE, Adam 1e-3, batch 256, %d epochs, no labels"
                          % args.ae_epochs,
                          "keys": "EMA k-means (decay 0.95) on %d batches of 1024 unlabelled training embeddings, "
                                  "random unit-norm projection 64 -> %d x %d" % (args.kmeans_batches, args.heads,
                                                                                args.key_dim),
                          "stream": "tasks %s, %d epochs each, batch 256, fresh Adam per task: DKVB values lr 1e-2 "
                                    "(zero init), linear 64-10 and MLP 64-128-10 lr 1e-3 on the frozen embedding"
                                    % (TASKS, args.epochs)},
               "heads": args.heads, "pairs": args.pairs, "key_dim": args.key_dim, "ae_losses": ae_losses,
               "used_pairs": int((dkvb.used > 0).sum()), "results": results,
               "seconds": {k: round(v, 1) for k, v in times.items()}}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    for name, r in results.items():
        print("%-7s after each task %s  final %.4f  per task %s  (%.1f s)" % (
            name, " ".join("%.3f" % a for a in r["after_task"]), r["final"],
            " ".join("%.3f" % a for a in r["per_task_final"]), r["seconds"]))
    print("seconds", summary["seconds"])


if __name__ == "__main__":
    main()
