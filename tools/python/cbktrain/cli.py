"""Command line of a recipe module (tokfsm.recipe, stories.recipe): every Recipe field is a flag,
--out is the run directory (rerunning resumes), --threads sets torch/OpenBLAS threads."""

import argparse
import importlib
import os
from dataclasses import fields


def set_threads(argv=None) -> int:
    """OpenBLAS and OpenMP read their thread counts when torch is first imported, so set them first."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--threads", type=int, default=os.cpu_count())
    n = pre.parse_known_args(argv)[0].threads
    os.environ["OMP_NUM_THREADS"] = str(n)
    os.environ["OPENBLAS_NUM_THREADS"] = str(n)
    return n


def parse_args(recipe_cls, doc: str, argv=None):
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="checkpoint directory (created)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch/OpenBLAS threads (default: all cores)")
    ap.add_argument("--no-resume", action="store_true", help="refuse to resume; fail if OUT/resume.pt exists")
    for f in fields(recipe_cls):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    return ap.parse_args(argv)


def main(recipe_module: str, doc: str, argv=None):
    set_threads(argv)
    import torch  # after set_threads
    module = importlib.import_module(recipe_module)
    args = parse_args(module.Recipe, doc, argv)
    torch.set_num_threads(args.threads)
    recipe = module.Recipe(**{f.name: getattr(args, f.name) for f in fields(module.Recipe)})
    if args.no_resume and os.path.exists(os.path.join(args.out, "resume.pt")):
        raise SystemExit(f"{args.out}/resume.pt exists and --no-resume was given")
    run = module.Run(recipe, args.out, log=lambda s: print(s, flush=True))
    summary = run.run(resume=not args.no_resume)
    print("phase seconds:", summary["phase_seconds"], "total:", summary["total_seconds"], flush=True)
