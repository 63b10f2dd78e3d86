#!/usr/bin/env python3
"""Turns cbk_kernel_bench --benchmark_out=X.json (with repetitions) into the markdown tables of
bench/README.md: medians of CPU time and of the rate counters, and ratios against FAISS and f32.
Usage: summarize.py results.json"""
import json
import re
import sys


def medians(path):
    data = json.load(open(path))
    rows = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = re.sub(r"_median$", "", b["run_name"] if "run_name" in b else b["name"])
        rows[name] = b
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
          "| % L1 load+FMA | × FAISS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for shape in shapes:
        for k in (1, 8, 64):
            faiss = rows.get(f"faiss_IndexFlatIP_nq1{shape}/k:{k}")
            for name, b in rows.items():
                if not name.endswith(f"{shape}/k:{k}") or "multi" in name:
                    continue
                kernel = name.split("/")[0]
                c, d = re.findall(r"\d+", shape)
                speedup = f"{us(faiss) / us(b):.1f}" if faiss else ""
                print(f"| {kernel} | {c} | {d} | {k} | {us(b):.1f} | {b['GB/s']:.1f} | "
                      f"{b['GFLOP/s']:.1f} | {b['%stream']:.0f} | {b['%fma_peak']:.1f} | "
                      f"{b.get('%load_fma', float('nan')):.0f} | {speedup} |")
    print("\n| multi-query kernel | shape | ms per call (CPU) | queries/s | effective GB/s |")
    print("|---|---|---|---|---|")
    for name, b in rows.items():
        if "multi" in name:
            print(f"| {name.split('/')[0]} | {'/'.join(name.split('/')[1:])} | {us(b) / 1e3:.2f} | "
                  f"{b['queries/s']:.0f} | {b['GB/s']:.1f} |")
    print("\n| other kernel | CPU time µs |")
    print("|---|---|")
    for name, b in rows.items():
        if "/C:" in name and "gather" not in name:
            continue
        print(f"| {name} | {us(b):.2f} |")


if __name__ == "__main__":
    main()
