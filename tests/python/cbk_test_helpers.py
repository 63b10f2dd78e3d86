"""Shared fixtures: tiny random checkpoints in temporary directories."""

import atexit
import shutil
import tempfile
from pathlib import Path

import torch

from cbk_reference import build_random_checkpoint, load_checkpoint

torch.set_num_threads(1)  # the CI machine is shared with compilers
_ROOT = Path(tempfile.mkdtemp(prefix="cbk_ref_tests_"))
atexit.register(shutil.rmtree, _ROOT, True)
_count = [0]


def tmpdir() -> Path:
    _count[0] += 1
    p = _ROOT / f"t{_count[0]}"
    p.mkdir()
    return p


def build(family, formats=("safetensors",), **kw):
    """Build a random checkpoint; returns (dir, loaded model)."""
    d = build_random_checkpoint(tmpdir() / "ckpt", family, formats=formats, **kw)
    return d, load_checkpoint(d, prefer=formats[0])


PROMPT = [5, 17, 3, 200, 42, 9, 77, 1, 256, 30]
