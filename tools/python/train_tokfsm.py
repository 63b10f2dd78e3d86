#!/usr/bin/python3
"""Train the TokFSM codebook model (issue 5) and write a codebook-features checkpoint directory.

    /usr/bin/python3 tools/python/train_tokfsm.py --out build-tokfsm/run [--threads N] [--base-steps N] ...

Rerunning with the same --out and recipe resumes from OUT/resume.pt. Recipe and timings:
tools/python/tokfsm/README.md.
"""

import argparse
import os
import sys
from dataclasses import fields


def set_threads(argv=None) -> int:
    """OpenBLAS and OpenMP read their thread counts when torch is first imported, so set them first."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--threads", type=int, default=os.cpu_count())
    n = pre.parse_known_args(argv)[0].threads
    os.environ["OMP_NUM_THREADS"] = str(n)
    os.environ["OPENBLAS_NUM_THREADS"] = str(n)
    return n


def parse_args(argv=None):
    from tokfsm.recipe import Recipe  # imports torch: only after set_threads
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="checkpoint directory (created)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch/OpenBLAS threads (default: all cores)")
    ap.add_argument("--no-resume", action="store_true", help="refuse to resume; fail if OUT/resume.pt exists")
    for f in fields(Recipe):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    return ap.parse_args(argv)


def main(argv=None):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    set_threads(argv)
    args = parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    from tokfsm.recipe import Recipe, Run
    recipe = Recipe(**{f.name: getattr(args, f.name) for f in fields(Recipe)})
    if args.no_resume and os.path.exists(os.path.join(args.out, "resume.pt")):
        raise SystemExit(f"{args.out}/resume.pt exists and --no-resume was given")
    run = Run(recipe, args.out, log=lambda s: print(s, flush=True))
    summary = run.run(resume=not args.no_resume)
    print("phase seconds:", summary["phase_seconds"], "total:", summary["total_seconds"], flush=True)


if __name__ == "__main__":
    main()
