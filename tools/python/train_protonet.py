#!/usr/bin/python3
"""Train the Fashion-MNIST prototype network and its plain-softmax baseline (issue 17).

    nice -n 10 /usr/bin/python3 tools/python/train_protonet.py --out build-protonet/run1 --threads 2

Trains OUT/protonet then OUT/baseline with the same recipe (Adam, batch, epochs, seed); rerunning with the
same --out resumes. Recipe and timings: tools/python/protonet/README.md.
"""

import argparse
import os
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prototypes", type=int, default=15)
    ap.add_argument("--recon-images", type=int, default=50,
                    help="images per batch in the reconstruction term (0: all); the decoder dominates the cost")
    ap.add_argument("--only", choices=["protonet", "baseline"], help="train one of the two models")
    args = ap.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch
    torch.set_num_threads(args.threads)
    from protonet.train import train
    for kind in ["protonet", "baseline"]:
        if args.only and kind != args.only:
            continue
        s = train(kind, args.out, args.epochs, args.batch, args.lr, args.seed, args.prototypes, args.recon_images,
                  log=lambda m: print(m, flush=True))
        print(s, flush=True)


if __name__ == "__main__":
    main()
