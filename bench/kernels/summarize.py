#!/usr/bin/env python3
"""Turns cbk_kernel_bench --benchmark_out=X.json (with repetitions) into the markdown tables of
bench/README.md: medians of CPU time and of the rate counters, and ratios against FAISS and f32.
Usage: summarize.py results.json"""
import json
import re
import sys


def medians(path):
    """Median rows by name; each carries "best_us", the fastest repetition's CPU time, when the
    benchmark also reported its "min" statistic."""
    data = json.load(open(path))
    rows, best = {}, {}
    for b in data["benchmarks"]:
        name = re.sub(r"_(median|min)$", "", b["run_name"] if "run_name" in b else b["name"])
        if b.get("aggregate_name", "median") == "median":
            rows[name] = b
        elif b.get("aggregate_name") == "min":
            best[name] = us(b)
    for name, b in rows.items():
        b["best_us"] = best.get(name, us(b))
    return data["context"], rows


def us(b):
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
    return b["cpu_time"] * scale


def main():
    context, rows = medians(sys.argv[1])
    print(f"Run: {context['date']}, {context['num_cpus']} CPUs @ {context['mhz_per_cpu']} MHz\n")
    shapes = sorted({re.search(r"/C:\d+/d:\d+", n).group(0) for n in rows if "/C:" in n},
                    key=lambda s: [int(x) for x in re.findall(r"\d+", s)])
    print("| kernel | C | d | k | CPU time µs | GB/s | GFLOP/s | % stream | % FMA peak "
          "| % L1 load+FMA | × FAISS | best rep µs | best % FMA peak | best % L1 load+FMA |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for shape in shapes:
        for k in (1, 8, 64):
            faiss = rows.get(f"faiss_IndexFlatIP_nq1{shape}/k:{k}")
            for name, b in rows.items():
                if not name.endswith(f"{shape}/k:{k}") or "multi" in name:
                    continue
                kernel = name.split("/")[0]
                c, d = re.findall(r"\d+", shape)
                speedup = f"{us(faiss) / us(b):.1f}" if faiss else ""
                gain = us(b) / b["best_us"]  # rates of the best repetition
                print(f"| {kernel} | {c} | {d} | {k} | {us(b):.1f} | {b['GB/s']:.1f} | "
                      f"{b['GFLOP/s']:.1f} | {b['%stream']:.0f} | {b['%fma_peak']:.1f} | "
                      f"{b.get('%load_fma', float('nan')):.0f} | {speedup} | {b['best_us']:.1f} | "
                      f"{b['%fma_peak'] * gain:.1f} | {b.get('%load_fma', float('nan')) * gain:.0f} |")
    print("\n| multi-query kernel | shape | ms per call (CPU) | queries/s | effective GB/s "
          "| GFLOP/s | % FMA peak | % L1 load+FMA | best rep ms | best % L1 load+FMA |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, b in rows.items():
        if "multi" in name:
            gain = us(b) / b["best_us"]
            print(f"| {name.split('/')[0]} | {'/'.join(name.split('/')[1:])} | {us(b) / 1e3:.2f} | "
                  f"{b['queries/s']:.0f} | {b['GB/s']:.1f} | {b['GFLOP/s']:.1f} | "
                  f"{b['%fma_peak']:.1f} | {b['%load_fma']:.0f} | {b['best_us'] / 1e3:.2f} | "
                  f"{b['%load_fma'] * gain:.0f} |")
    print("\n| other kernel | CPU time µs |")
    print("|---|---|")
    for name, b in rows.items():
        if "/C:" in name and "gather" not in name:
            continue
        print(f"| {name} | {us(b):.2f} |")


if __name__ == "__main__":
    main()
