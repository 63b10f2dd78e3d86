"""The PyTorch eager contender of bench/peers (protocol: cbk_runner.c's comment; one JSON line).

    /usr/bin/python3 bench/peers/torch_runner.py MODEL.cbk CHECK_NEW PREFILL_LEN DECODE_PROMPT DECODE_NEW [--no-timing]

One thread (torch.set_num_threads(1), OMP_NUM_THREADS=1), torch.no_grad(), the KV cache of
torch_model.py. Load time = reading the .cbk into torch tensors (the weights are copied out of the
mapped file, as torch.load would give them).
"""
import json
import os
import resource
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_model import load_model  # noqa: E402


def stamp():
    return time.perf_counter(), time.process_time()


def span(a, b):
    return {"wall": b[0] - a[0], "cpu": b[1] - a[1]}


def prompt(n, vocab):
    return torch.tensor([(i * 7 + 1) % vocab for i in range(n)], dtype=torch.int64)


def run(model, ids, n_new, first=None):
    """Prefill ids, then n_new greedy tokens, each decoded. Returns (tokens, code ids per codebook)."""
    out = model(ids, *model.empty_past())
    n_layers = model.n_layers
    codes = [[c] for c in out[1 + 2 * n_layers:]]
    tokens = []
    for i in range(n_new):
        t = int(torch.argmax(out[0]))
        if i == 0 and first is not None:
            first.append(stamp())
        tokens.append(t)
        out = model(torch.tensor([t]), *out[1:1 + 2 * n_layers])
        for c, new in zip(codes, out[1 + 2 * n_layers:]):
            c.append(new)
    return tokens, out, codes


def main(argv):
    path = argv[1]
    check_new, prefill_len, dprompt, dnew = (int(x) for x in argv[2:6])
    timing = "--no-timing" not in argv
    torch.set_num_threads(1)
    result = {}
    with torch.no_grad():
        a = stamp()
        model = load_model(path)
        result["load"] = span(a, stamp())
        vocab = model.embed.shape[0]
        tokens, _, codes = run(model, prompt(16, vocab), check_new)
        result["tokens"] = tokens
        # per codebook [G][T][k]: the steps' [G, t, k] id tensors joined along the token axis
        result["codes"] = [torch.cat(c, dim=1).tolist() for c in codes]
        if timing:
            pf, dp = prompt(prefill_len, vocab), prompt(dprompt, vocab)
            run(model, pf, 0)  # warm-up
            run(model, dp, 4)
            a = stamp()
            out = model(pf, *model.empty_past())
            int(torch.argmax(out[0]))
            result["prefill"] = span(a, stamp())
            first = []
            a = stamp()
            run(model, dp, dnew, first)
            b = stamp()
            result["ttft"] = span(a, first[0])
            result["decode"] = span(first[0], b)
    result["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open("/proc/self/maps") as f:
        blas = "OpenBLAS" if "openblas" in f.read() else "reference BLAS (install libopenblas0-pthread)"
    result["runtime"] = "torch %s, %s" % (torch.__version__, blas)
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv)
