#!/usr/bin/python3
"""Build the parity golden corpus: tiny random codebook checkpoints (cbk_reference's builder), each
converted to .cbk by tools/python/convert.py's package, and the reference's logits / codes on a few
prompts (prefill, then decode ids one at a time). Format and naming: tests/parity/README.md.

    /usr/bin/python3 tests/parity/make_cases.py                 # (re)write tests/parity/cases/
    /usr/bin/python3 tests/parity/make_cases.py --check DIR     # regenerate into DIR, compare with cases/
    /usr/bin/python3 tests/parity/make_cases.py --list          # case names and why some combos are skipped
    ... --check DIR --also-dtypes f16,int8    # also convert every case with exact quantized codebooks
                                              # into DIR/f16/, DIR/int8/ next to the same goldens

Needs torch (Debian python3-torch); everything is deterministic (seeds derive from case names; a
seed is skipped when some top-k ranking is closer than MIN_MARGIN, so float32 rounding in another
implementation cannot flip a golden id).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tools" / "python"))

import numpy as np  # noqa: E402

CASES_DIR = HERE / "cases"
FORMAT = "cbk-parity-v1"
FAMILIES = ("gpt_neox", "gpt2", "gpt_neo")
SITES = ("attn_preproj", "attn", "mlp", "mlp_mid", "qkv", "attn_plus_mlp", "transformer_block")
METRICS = {"ip": "inner_product", "euc": "euclidean"}
KS = (1, 8)
NUM_CODES = 16
SKIPPED_EXIT = 77        # ctest SKIP_RETURN_CODE: --check without torch
LOGIT_TOL_CHECK = 1e-6   # --check: regenerated vs committed (same reference, same machine class)
# Combinations the reference refuses (cbk_reference.config.UNSUPPORTED): no case is built for them.
SKIPPED = {("gpt_neo", "qkv"): "GPT-Neo has separate q/k/v projections; the reference has no qkv codebook for it"}
# A few cases use the byte-level BPE (vocab 273) instead of the 11-token TokFSM digit vocabulary.
BYTE_BPE_CASES = {"gpt_neox-attn_preproj-g-ip-k8", "gpt2-mlp-v-ip-k1", "gpt_neo-attn_preproj-g-euc-k1"}


def base_kwargs(family, grouping, k):
    """Tiny shapes: d_model 16, 2 layers, MLP 32, 12 positions; per-family variations for coverage."""
    kw = dict(d_model=16, n_layers=2, d_mlp=32, max_positions=12)
    if family == "gpt_neox":  # head_dim 4, rotary on 2 dims; sequential residual for half the cases
        kw.update(n_heads=4, rotary_pct=0.5, parallel_residual=not (grouping == "v" and k == 8))
    elif family == "gpt2":
        kw.update(n_heads=2)
    else:  # layer 0 global, layer 1 local with window 3 (shorter than the longest prompt)
        kw.update(n_heads=4, window_size=3)
    return kw


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


# Metric x k per grouping for --paired, a half-size local corpus in which every family x site
# still sees both metrics and both k values. The committed corpus crosses everything.
PAIRED = {"g": (("ip", 8), ("euc", 1)), "v": (("ip", 1), ("euc", 8))}


def matrix_cases(full=True):
    """(name, family, build kwargs) for every family x site x grouping x (metric, k)."""
    out = []
    for family in FAMILIES:
        for site in SITES:
            if (family, site) in SKIPPED:
                continue
            for grouping in ("g", "v"):
                combos = [(m, k) for m in METRICS for k in KS] if full else PAIRED[grouping]
                for metric, k in combos:
                    name = "%s-%s-%s-%s-k%d" % (family, site, grouping, metric, k)
                    kw = base_kwargs(family, grouping, k)
                    kw.update(codebook_at=site, codebook_type="group" if grouping == "g" else "vanilla",
                              num_codebooks=-1 if grouping == "g" else 1, num_codes=NUM_CODES, k_codebook=k,
                              similarity_metric=METRICS[metric],
                              tokenizer="bytebpe" if name in BYTE_BPE_CASES else "digits")
                    out.append((name, family, kw))
    return out


# Steering models: two codebooks each (A grouped with k >= 3, B vanilla) so targets, groups and
# bypass can be mixed. (site A, site B) per model; every steering mode runs on every model.
STEER_MODELS = {
    "steer-gpt_neox": ("gpt_neox", dict(base_kwargs("gpt_neox", "g", 4), codebook_at=("attn_preproj", "mlp"),
                                        codebook_type=("group", "vanilla"), num_codebooks=(-1, 1), k_codebook=(4, 1))),
    "steer-gpt2": ("gpt2", dict(base_kwargs("gpt2", "g", 3), codebook_at=("mlp_mid", "attn"),
                                codebook_type=("group", "vanilla"), num_codebooks=(2, 1), k_codebook=(3, 2),
                                similarity_metric="euclidean")),
    "steer-gpt_neo": ("gpt_neo", dict(base_kwargs("gpt_neo", "g", 8), codebook_at=("attn_preproj", "mlp"),
                                      codebook_type=("group", "vanilla"), num_codebooks=(-1, 1), k_codebook=(8, 2))),
}
STEER_PROMPT, STEER_DECODE, STEER_DONOR = [3, 1, 4, 1, 5], [9, 2, 6], [2, 7, 1, 8, 2]

# Single models for one option each; matrix-style runs (prompts()) unless noted.
# - gpt2-invlayer: GPT-2 scale_attn_by_inverse_layer_idx (layer L's scores / sqrt(head_dim) / (L + 1)),
#   3 layers so the divisors 1, 2, 3 all occur;
# - gpt2-invlayer-noscale: the same without scale_attn_weights (scores / (L + 1) only), and with
#   reorder_and_upcast_attn, which in fp32 is the same function;
# - pad-gpt_neox: a padded vocabulary (the byte-level BPE's 273 tokens in 384 embedding rows, as
#   Pythia pads 50,277 to 50,304) whose greedy run reaches padding ids and real ids after them; its
#   runs carry "text_hex", the reference tokenizer's decoding (padding ids add nothing).
SINGLE_CASES = {
    "gpt2-invlayer": ("gpt2", dict(base_kwargs("gpt2", "g", 2), n_layers=3, codebook_at=("attn_preproj", "mlp"),
                                   k_codebook=2, scale_attn_by_inverse_layer_idx=True, tokenizer="digits")),
    "gpt2-invlayer-noscale": ("gpt2", dict(base_kwargs("gpt2", "g", 2), n_layers=3, codebook_at=("attn", "mlp_mid"),
                                           k_codebook=(1, 3), scale_attn_by_inverse_layer_idx=True,
                                           scale_attn_weights=False, reorder_and_upcast_attn=True,
                                           tokenizer="digits")),
    "pad-gpt_neox": ("gpt_neox", dict(base_kwargs("gpt_neox", "g", 2), max_positions=16,
                                      codebook_at=("attn_preproj", "mlp"), k_codebook=2, tokenizer="bytebpe",
                                      vocab_size=384)),
}
PAD_PROMPT, PAD_GREEDY = [ord(c) - ord("!") for c in "Hello"], 8  # printable ASCII: byte-BPE ids 0..93


def prompts(name, vocab, max_positions):
    """Three runs: prompt 5 + decode 2, a 1-token prompt + decode 1, and a 10-token prefill."""
    rng = np.random.default_rng(seed_of(name) + 1)
    ids = lambda n: [int(x) for x in rng.integers(0, vocab, n)]  # noqa: E731
    runs = [(ids(5), ids(2)), (ids(1), ids(1)), (ids(min(10, max_positions)), [])]
    return runs


def build_checkpoint(work, name, family, kw, seed):
    from cbk_reference import build_random_checkpoint
    return build_random_checkpoint(work / name, family, formats=("safetensors",), seed=seed, num_codes=NUM_CODES,
                                   **{k: v for k, v in kw.items() if k != "num_codes"})


# Codebook dtypes (convert.py --codebook-dtype) also written, each into its own subdirectory, next
# to the f32 case's golden file: an exact quantized file must reproduce the same goldens.
ALSO_DTYPES = []


def convert_case(ckpt, out_path, name, seed, codebook_dtype="f32"):
    from cbkconvert.pipeline import Options, convert
    convert(Options(checkpoint=str(ckpt), output=str(out_path), name=name, codebook_dtype=codebook_dtype,
                    source="cbk_reference.build_random_checkpoint seed %d (tests/parity/make_cases.py)" % seed))


def reference_run(ckpt, prompt, decode, steering=None, greedy=0):
    from cbk_reference import golden
    r = golden.run(str(ckpt), prompt, decode, greedy, steering)
    for key in ("format", "checkpoint", "family"):  # the case file carries these once
        r.pop(key, None)
    return r


def case_document(name, family, kw, runs, model=None):
    summary = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    return {"format": FORMAT, "name": name, "model": (model or name) + ".cbk", "family": family,
            "checkpoint": summary, "tolerance": {"logits_abs": 1e-4}, "runs": runs}


def write_json(path, doc):
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


class ScoreMargins:
    """Records, while active, the smallest gap between adjacent scores among the k + 1 best codes of
    any token: the margin by which the golden ids (set and slot order) beat a float32 rounding flip.
    Wraps the reference's rank_codes, which sees every [T, C] score matrix of an unsteered search."""

    def __init__(self, k):
        self.k, self.smallest = k, float("inf")

    def __enter__(self):
        from cbk_reference import codebook
        self._module, self._orig = codebook, codebook.rank_codes

        def rank_codes(scores):
            # a 1-D row is a keep-mode re-ranking, which may skip the best `topn` (<= 1 here) codes
            depth = self.k + (1 if scores.ndim == 2 else 2)
            top = -np.sort(-np.atleast_2d(scores), axis=-1)[:, :depth]
            gaps = top[:, :-1] - top[:, 1:]
            gaps = gaps[np.isfinite(gaps)]  # keep-mode disabling masks codes with -inf
            if gaps.size:
                self.smallest = min(self.smallest, float(gaps.min()))
            return self._orig(scores)
        codebook.rank_codes = rank_codes
        return self

    def __exit__(self, *exc):
        self._module.rank_codes = self._orig


MIN_MARGIN = 1e-4  # reseed weights until every traced top-k ranking is at least this clear
MAX_ATTEMPTS = 20


def build_with_margin(work, name, family, kw, produce_runs, accept=lambda runs: True):
    """Build + run with seeds seed_of(name) + 1000003·attempt until the margins are clear (and
    `accept(runs)` holds). Returns (checkpoint dir, seed, runs, smallest margin)."""
    for attempt in range(MAX_ATTEMPTS):
        seed = seed_of(name) + 1000003 * attempt
        ckpt = build_checkpoint(work, name, family, kw, seed)
        with ScoreMargins(max(kw["k_codebook"]) if isinstance(kw["k_codebook"], tuple) else kw["k_codebook"]) as m:
            runs = produce_runs(ckpt)
        if m.smallest >= MIN_MARGIN and accept(runs):
            return ckpt, seed, runs, m.smallest
        shutil.rmtree(ckpt)
    raise RuntimeError("%s: no seed in %d attempts gives top-k score margins >= %g and runs the case accepts"
                       % (name, MAX_ATTEMPTS, MIN_MARGIN))


def finish_case(out_dir, name, family, kw, ckpt, seed, runs, margin):
    convert_case(ckpt, out_dir / (name + ".cbk"), name, seed)
    doc = case_document(name, family, dict(kw, seed=seed), runs)
    doc["min_score_margin"] = margin
    write_json(out_dir / (name + ".golden.json"), doc)
    for dtype in ALSO_DTYPES:
        (out_dir / dtype).mkdir(exist_ok=True)
        convert_case(ckpt, out_dir / dtype / (name + ".cbk"), name, seed, dtype)
        write_json(out_dir / dtype / (name + ".golden.json"), doc)
    shutil.rmtree(ckpt)


def make_matrix_case(work, out_dir, name, family, kw):
    def produce(ckpt):
        vocab = json.loads((ckpt / "base" / "config.json").read_text())["vocab_size"]
        return [reference_run(ckpt, p, d) for p, d in prompts(name, vocab, kw["max_positions"])]
    finish_case(out_dir, name, family, kw, *build_with_margin(work, name, family, kw, produce))


def _ids(run, layer, site, group):
    for c in run["codes"]:
        if (c["layer"], c["site"], c["group"]) == (layer, site, group):
            return c["ids"]
    raise KeyError((layer, site, group))


def steering_specs(kw, baseline, donor):
    """(label, spec) for every steering mode, aimed at codebooks A (grouped) and B (vanilla).
    Disabled codes are ones the unsteered run actually selected, so the intervention bites."""
    a, b = kw["codebook_at"]
    groups = 2 if kw["num_codebooks"][0] == 2 else kw["n_heads"]
    g_last = groups - 1
    base_a = _ids(baseline, 1, a, 0)  # per position, slot-ordered

    def op(kind, layer, site, group=None, **fields):
        return dict({"op": kind, "layer": layer, "site": site, "group": group}, **fields)

    return [
        ("baseline", {}),
        ("force-last-slot-all-positions", {"interventions": [op("force", 1, a, 1, code=3)]}),
        ("force-slot0-position-list", {"interventions": [op("force", 0, a, 0, code=5, slot=0, positions=[1, 4, 6])]}),
        ("force-all-slots-ranges", {"interventions": [op("force", 1, a, g_last, code=7, slot="all",
                                                         positions=[[2, 4], [6, 8]])]}),
        ("force-append-generated", {"interventions": [op("force", 1, b, code=9, slot="append", positions="generated")]}),
        ("force-strength", {"interventions": [op("force", 0, a, 1, code=2, strength=0.5),
                                              op("force", 0, b, code=4, slot="all", strength=2.5, positions=[0, [3, 6]])]}),
        ("force-every-group", {"interventions": [op("force", 1, a, None, code=1, slot=1, positions=[[1, 8]])]}),
        ("disable-keep", {"interventions": [op("disable", 1, a, 0, codes=sorted({base_a[2][0], base_a[5][0]}),
                                               positions="all", mode="keep")]}),
        ("disable-zero", {"interventions": [op("disable", 1, a, 0, codes=[base_a[1][0], base_a[1][-1]],
                                               positions=[[0, 3]], mode="zero")]}),
        ("disable-zero-slots", {"interventions": [op("disable", 0, a, g_last, mode="zero", slots=[-1])]}),
        ("disable-topn-keep", {"interventions": [op("disable", 1, a, 1, topn=1, positions="generated")]}),
        ("disable-topn-zero", {"interventions": [op("disable", 0, a, None, topn=2, positions=[5, 6], mode="zero"),
                                                 op("disable", 1, b, topn=1, positions=[0], mode="zero")]}),
        ("interchange", {"interventions": [op("interchange", 1, a, 0, position=3, ids=_ids(donor, 1, a, 0)[1]),
                                           op("interchange", 0, b, position=6, ids=_ids(donor, 0, b, 0)[4])]}),
        ("bypass", {"bypass": [{"layer": 0, "site": b}, {"layer": 1, "site": a, "group": 1}]}),
        ("combined", {"interventions": [op("disable", 0, a, 0, codes=[base_a[0][0]], mode="keep", positions=[[0, 4]]),
                                        op("force", 0, a, 0, code=6, slot=-1, positions=[3, 7]),
                                        op("force", 1, b, code=0, positions="generated", strength=1.5)],
                      "bypass": [{"layer": 1, "site": a, "group": 0}]}),
    ]


def steering_runs(ckpt, kw):
    baseline = reference_run(ckpt, STEER_PROMPT, STEER_DECODE)
    donor = reference_run(ckpt, STEER_DONOR, [])
    runs = []
    for label, spec in steering_specs(kw, baseline, donor):
        run = reference_run(ckpt, STEER_PROMPT, STEER_DECODE, spec or None)
        runs.append(dict({"label": label}, **run))
    return runs


def make_steering_case(work, out_dir, name):
    family, kw = STEER_MODELS[name]
    kw = dict(kw, tokenizer="digits", num_codes=NUM_CODES)
    finish_case(out_dir, name, family, kw, *build_with_margin(work, name, family, kw,
                                                              lambda ckpt: steering_runs(ckpt, kw)))


def make_single_case(work, out_dir, name):
    family, kw = SINGLE_CASES[name]
    kw = dict(kw, num_codes=NUM_CODES)
    if "vocab_size" not in kw:
        def produce(ckpt):
            return [reference_run(ckpt, p, d) for p, d in prompts(name, 11, kw["max_positions"])]
        finish_case(out_dir, name, family, kw, *build_with_margin(work, name, family, kw, produce))
        return

    from cbk_reference.tokenizer_files import decode_ids, read_id_to_token

    def produce_padded(ckpt):
        run = reference_run(ckpt, PAD_PROMPT, [], greedy=PAD_GREEDY)
        run["text_hex"] = decode_ids(read_id_to_token(ckpt), run["tokens"], kw["vocab_size"]).hex()
        return [run]

    def reaches_padding(runs):  # a padding id, and a real token generated after it
        n_tokens = 273  # the byte-level BPE of cbk_reference.tokenizer_files
        new = runs[0]["tokens"][runs[0]["n_prompt"]:]
        first_pad = next((i for i, t in enumerate(new) if t >= n_tokens), None)
        return first_pad is not None and any(t < n_tokens for t in new[first_pad:])

    finish_case(out_dir, name, family, kw,
                *build_with_margin(work, name, family, kw, produce_padded, reaches_padding))


def all_case_names(full=True):
    return [n for n, _, _ in matrix_cases(full)] + list(STEER_MODELS) + list(SINGLE_CASES)


def generate(out_dir, only=None, full=True):
    import torch
    torch.set_num_threads(1)  # shared CI machine
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cbk_parity_") as tmp:
        work = Path(tmp)
        for name, family, kw in matrix_cases(full):
            if only is None or only in name:
                make_matrix_case(work, out_dir, name, family, kw)
        for name in STEER_MODELS:
            if only is None or only in name:
                make_steering_case(work, out_dir, name)
        for name in SINGLE_CASES:
            if only is None or only in name:
                make_single_case(work, out_dir, name)


def _close(a, b, tol):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(b))


def compare(new_dir, old_dir, only=None):
    """Committed vs regenerated: .cbk bytes equal, tokens / ids equal, logits and scores within 1e-6."""
    problems = []
    for name in all_case_names():
        if only is not None and only not in name:
            continue
        for suffix in (".cbk", ".golden.json"):
            if not (old_dir / (name + suffix)).exists() or not (new_dir / (name + suffix)).exists():
                problems.append("%s%s: missing" % (name, suffix))
        if problems and problems[-1].startswith(name):
            continue
        if (new_dir / (name + ".cbk")).read_bytes() != (old_dir / (name + ".cbk")).read_bytes():
            problems.append("%s.cbk: bytes differ" % name)
        new = json.loads((new_dir / (name + ".golden.json")).read_text())
        old = json.loads((old_dir / (name + ".golden.json")).read_text())
        problems += ["%s: %s" % (name, p) for p in _compare_docs(new, old)]
    extra = sorted({p.name.split(".")[0] for p in old_dir.glob("*.*")} - set(all_case_names()))
    if only is None and extra:
        problems.append("files of unknown cases in %s: %s" % (old_dir, ", ".join(extra)))
    return problems


def _compare_docs(new, old):
    if len(new["runs"]) != len(old["runs"]):
        return ["run count %d != %d" % (len(new["runs"]), len(old["runs"]))]
    out = []
    for i, (a, b) in enumerate(zip(new["runs"], old["runs"])):
        if (a["tokens"] != b["tokens"] or a["n_prompt"] != b["n_prompt"] or a["steering"] != b["steering"]
                or a.get("text_hex") != b.get("text_hex")):
            out.append("run %d: tokens / n_prompt / steering / text differ" % i)
            continue
        worst = max(abs(x - y) for ra, rb in zip(a["logits"], b["logits"]) for x, y in zip(ra, rb))
        if worst > LOGIT_TOL_CHECK:
            out.append("run %d: logits differ by %.3g" % (i, worst))
        keys = lambda r: [(c["layer"], c["site"], c["group"]) for c in r["codes"]]  # noqa: E731
        if keys(a) != keys(b):
            out.append("run %d: different codebook groups traced" % i)
            continue
        for ca, cb in zip(a["codes"], b["codes"]):
            where = "run %d layer %d %s group %d" % (i, ca["layer"], ca["site"], ca["group"])
            if ca["ids"] != cb["ids"] or ca["positions"] != cb["positions"]:
                out.append(where + ": ids differ")
            elif not all(_close(x, y, LOGIT_TOL_CHECK) for ra, rb in zip(ca["scores"], cb["scores"]) for x, y in zip(ra, rb)):
                out.append(where + ": scores differ")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(CASES_DIR), help="where to write the corpus (default tests/parity/cases)")
    ap.add_argument("--check", metavar="DIR", help="regenerate into DIR and compare with the committed corpus")
    ap.add_argument("--only", help="only cases whose name contains this string")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--also-dtypes", default="", metavar="LIST",
                    help="comma-separated codebook dtypes (f16,int8,...) also converted into OUT/DTYPE/ with the same goldens")
    ap.add_argument("--paired", action="store_true",
                    help="pair metric with k instead of crossing them (half the cases; for a quick local corpus)")
    a = ap.parse_args(argv)
    ALSO_DTYPES[:] = [d for d in a.also_dtypes.split(",") if d]
    if a.list:
        for name in all_case_names(not a.paired):
            print(name)
        for (family, site), why in SKIPPED.items():
            print("# skipped %s %s: %s" % (family, site, why))
        return 0
    if a.check:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("make_cases.py --check: torch is not installed; nothing checked")
            return SKIPPED_EXIT
        generate(Path(a.check), a.only)
        problems = compare(Path(a.check), CASES_DIR, a.only)
        for p in problems:
            print("MISMATCH " + p)
        print("%d problem(s) in %s" % (len(problems), a.check))
        return 1 if problems else 0
    out = Path(a.out)
    if out.resolve() == CASES_DIR.resolve() and a.only is None:  # stale cases must not survive a rename
        for p in list(out.glob("*.cbk")) + list(out.glob("*.golden.json")):
            p.unlink()
    if a.paired and out.resolve() == CASES_DIR.resolve():
        ap.error("--paired writes a local corpus only: give --out DIR")
    generate(out, a.only, not a.paired)
    size = sum(p.stat().st_size for p in out.iterdir())
    print("%d files, %.2f MB in %s" % (len(list(out.iterdir())), size / 1e6, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
