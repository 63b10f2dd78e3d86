"""Trains the DKVB of the paper's 2-D toy (Figure 2) and its two baselines on the same 4-task stream,
and writes the model (models/dkvb-toy.cbk), the labelled test stream for `cbk dkvb-eval`, the
parity golden and a summary.

  /usr/bin/python3 tools/python/dkvb/train_toy.py --out build-dkvb/toy [--model models/dkvb-toy.cbk]
      [--golden tests/dkvb/dkvb-toy.golden.json] [--test-stream tests/dkvb/dkvb-toy.test.txt]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dkvb import continual, export, kmeans, reference, toy  # noqa: E402
from dkvb.model import DKVB  # noqa: E402


def near_ties(model, x, margin=1e-6):
    m = {"encoder": [(w.double().numpy(), b.double().numpy()) for w, b in model.encoder_layers],
         "projection": None if model.projection is None else model.projection.double().numpy(),
         "keys": model.keys.double().numpy(), "used_pairs": model.used.numpy()}
    return reference.near_tie_rows(m, x, margin)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder for the summary")
    ap.add_argument("--model", help="where to write the DKVB .cbk")
    ap.add_argument("--golden", help="where to write the parity golden (JSON)")
    ap.add_argument("--test-stream", help="where to write the labelled test inputs")
    ap.add_argument("--pairs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()

    # Keys: EMA k-means over 1000 batches of 100 unlabelled U[0,1]^2 points, then frozen.
    keys = kmeans.ema_kmeans(toy.key_batches(rng), heads=1, pairs=args.pairs, key_dim=2, seed=args.seed)
    t_keys = time.time() - t0
    tasks = [toy.task_data(rng, t) for t in toy.TASKS]
    test_x, test_y = toy.test_set(rng)

    dkvb = DKVB(keys, n_classes=8)  # identity encoder, one head of 400 pairs in 2-D
    mlp = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8))
    linear = torch.nn.Linear(2, 8)
    learners = {
        "dkvb": (lambda x, y: continual.train_dkvb_task(dkvb, x, y, steps=1000, lr=1e-3),
                 lambda x: dkvb(x, mask_unused=True)),
        "mlp": (lambda x, y: continual.train_net_task(mlp, x, y, steps=1000, lr=1e-3), mlp),
        "linear": (lambda x, y: continual.train_net_task(linear, x, y, steps=1000, lr=1e-2), linear),
    }
    results = continual.run_stream(learners, tasks, test_x, test_y, toy.TASKS)
    summary = {"seed": args.seed, "pairs": args.pairs, "key_init_seconds": round(t_keys, 2),
               "test_inputs": len(test_y), "results": results, "total_seconds": round(time.time() - t0, 2),
               "used_pairs": int((dkvb.used > 0).sum())}
    for name, r in results.items():
        print("%-7s after each task %s  final %.4f  per task %s  (%.1f s)" % (
            name, " ".join("%.3f" % a for a in r["after_task"]), r["final"],
            " ".join("%.3f" % a for a in r["per_task_final"]), r["seconds"]))
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)

    if args.model:
        w = export.to_writer(dkvb, "dkvb-toy", "DKVB on the 2-D toy of Trauble et al. (Figure 2): 8 classes, "
                             "4 tasks, identity encoder, 1 head x %d pairs" % args.pairs,
                             {"training.final_accuracy": "%.4f" % results["dkvb"]["final"],
                              "training.mlp_final_accuracy": "%.4f" % results["mlp"]["final"],
                              "training.linear_final_accuracy": "%.4f" % results["linear"]["final"],
                              "dkvb.tasks": "0,4/1,5/2,6/3,7"})
        w.write(args.model)
    if args.test_stream:
        export.write_labelled(args.test_stream, test_x, test_y)
    if args.golden:
        ties = near_ties(dkvb, test_x)
        x = torch.as_tensor(test_x[~ties])
        ids = dkvb.pick(x, mask_unused=True)
        with torch.no_grad():
            logits = dkvb.logits(ids)
        export.write_golden(args.golden, dkvb, x.numpy(), ids.numpy(), logits.numpy(), int(ties.sum()))
    print("total %.1f s" % (time.time() - t0))


if __name__ == "__main__":
    main()
