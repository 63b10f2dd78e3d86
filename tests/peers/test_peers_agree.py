"""bench/peers' contenders agree with native cbk on a tiny random GPT-NeoX codebook model: greedy
tokens and every code id (all codebooks, groups, slots, positions) of the PyTorch runner and of the
ONNX export run by onnxruntime-node. Exit 77 (skip) without node or npm onnxruntime-node.

    /usr/bin/python3 tests/peers/test_peers_agree.py CBK_PEER_RUNNER WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PEERS = os.path.join(ROOT, "bench", "peers")
sys.path.insert(0, os.path.join(ROOT, "tools", "python"))
from cbkfile import CbkWriter  # noqa: E402
from cbkfile.random_model import random_base, random_codebook  # noqa: E402

CHECK_NEW = 6
SKIP = 77


def tiny_model(path):
    """2 layers, d 32, 4 heads; grouped attn_preproj (k 3), mlp_mid (k 2) and mlp (k 2) codebooks."""
    rng = np.random.default_rng(11)
    w = CbkWriter()
    random_base(w, "gpt_neox", rng, 40, 32, 2, 4, 64, 64, rotary_dims=4)
    random_codebook(w, rng, 0, "attn_preproj", 32, 4, 48, 3)
    random_codebook(w, rng, 1, "mlp_mid", 64, 2, 32, 2)
    random_codebook(w, rng, 1, "mlp", 32, 1, 40, 2)
    w.write(path)


def run(cmd):
    r = subprocess.run(cmd + [str(CHECK_NEW), "8", "4", "4", "--no-timing"], capture_output=True, text=True,
                       cwd=ROOT, timeout=240)
    if r.returncode != 0:
        sys.exit("FAIL: %s exited %d: %s" % (cmd[:3], r.returncode, r.stderr[-2000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(runner, work):
    node = shutil.which("node")
    if not node or subprocess.run([node, "-e", "require.resolve('onnxruntime-node')"], cwd=ROOT,
                                  capture_output=True).returncode != 0:
        print("SKIP: node or npm onnxruntime-node missing (npm ci)")
        return SKIP
    os.makedirs(work, exist_ok=True)
    model, onnx = os.path.join(work, "peers-tiny.cbk"), os.path.join(work, "peers-tiny.onnx")
    tiny_model(model)
    r = subprocess.run([sys.executable, os.path.join(PEERS, "export_onnx.py"), model, onnx], capture_output=True,
                       text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit("FAIL: export_onnx.py: " + r.stderr[-2000:])
    want = run([runner, model])
    # the comparison must be able to fail: the trace covers every position and the codes vary
    assert len(want["tokens"]) == CHECK_NEW, want["tokens"]
    assert [len(c) for c in want["codes"]] == [4, 2, 1], [len(c) for c in want["codes"]]
    assert all(len(g) == 16 + CHECK_NEW for c in want["codes"] for g in c)
    assert len({tuple(row) for row in want["codes"][0][0]}) > 3, "codes do not vary: a weak check"
    failures = []
    for label, cmd in (("PyTorch", [sys.executable, os.path.join(PEERS, "torch_runner.py"), model]),
                       ("onnxruntime-node", [node, os.path.join(PEERS, "ort_runner.mjs"), "node", onnx])):
        got = run(cmd)
        mine = []
        if got["tokens"] != want["tokens"]:
            mine.append("%s tokens %s != cbk %s" % (label, got["tokens"], want["tokens"]))
        if got["codes"] != want["codes"]:
            mine.append("%s code ids differ from cbk's" % label)
        rows = sum(len(g) for c in got["codes"] for g in c)
        print("; ".join(mine) if mine else "%s: %d tokens and %d code rows agree with cbk" % (label, CHECK_NEW, rows))
        failures += mine
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
