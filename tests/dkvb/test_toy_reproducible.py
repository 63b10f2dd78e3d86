"""Retrains the shipped toy model (tools/python/dkvb/train_toy.py, ~10 s on one thread) and checks that
the model, the parity golden and the test stream come out byte-identical to the committed files, so
the committed goldens are the trainer's output. Exit 77 (skipped) without torch."""
import filecmp
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    try:
        import torch  # noqa: F401
    except ImportError:
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        out = {"model": os.path.join(tmp, "dkvb-toy.cbk"), "golden": os.path.join(tmp, "golden.json"),
               "test-stream": os.path.join(tmp, "test.txt")}
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "python", "dkvb", "train_toy.py"), "--out", tmp,
                        "--model", out["model"], "--golden", out["golden"], "--test-stream", out["test-stream"]],
                       check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
        committed = {"model": "models/dkvb-toy.cbk", "golden": "tests/dkvb/dkvb-toy.golden.json",
                     "test-stream": "tests/dkvb/dkvb-toy.test.txt"}
        bad = [k for k in out if not filecmp.cmp(out[k], os.path.join(ROOT, committed[k]), shallow=False)]
        if bad:
            print("differs from the committed file: " + ", ".join(committed[k] for k in bad))
            return 1
    print("the trainer reproduces models/dkvb-toy.cbk and its goldens byte for byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
