#!/usr/bin/python3
"""Summarises bench/main-job.sh's raw lines: per side the median and spread of each figure, the
host's ratios to Bbn.Bench and to the PyTorch twin, and a Markdown table; writes the summary as JSON."""
import datetime
import json
import statistics
import sys

from machine import processor

raw, out = sys.argv[1], sys.argv[2]
runs = [json.loads(line) for line in open(raw) if line.strip()]
sides = {s: [r for r in runs if r["side"] == s] for s in ("host", "bench", "pytorch")}
figures = ["images_per_second", "steady_images_per_second", "training_seconds", "wall_seconds", "peak_rss_mib", "top1"]


def stats(values):
    values = [v for v in values if v is not None]
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)} if values else None


summary = {"date": datetime.date.today().isoformat(), "machine": f"{processor()}, "
           f"{open('/proc/cpuinfo').read().count('processor')} logical CPUs",
           "sides": {side: {f: stats([r.get(f) for r in rs]) for f in figures} for side, rs in sides.items() if rs}}
for side, rs in sides.items():
    if rs and rs[0].get("allocator"):
        summary["sides"][side]["allocator"] = rs[0]["allocator"]


def median(side, figure):
    entry = summary["sides"].get(side, {}).get(figure)
    return entry["median"] if entry else None


def ratio(a, b):
    return a / b if a is not None and b else None


summary["ratios"] = {
    "host_steady_over_bench": ratio(median("host", "steady_images_per_second"), median("bench", "steady_images_per_second")),
    "host_over_pytorch": ratio(median("host", "images_per_second"), median("pytorch", "images_per_second")),
    "host_steady_over_pytorch_steady": ratio(median("host", "steady_images_per_second"), median("pytorch", "steady_images_per_second")),
    "host_peak_rss_over_pytorch": ratio(median("host", "peak_rss_mib"), median("pytorch", "peak_rss_mib")),
    "bench_peak_rss_over_pytorch": ratio(median("bench", "peak_rss_mib"), median("pytorch", "peak_rss_mib")),
}
json.dump(summary, open(out, "w"), indent=2)


def cell(side, figure, digits=1):
    entry = summary["sides"].get(side, {}).get(figure)
    if not entry:
        return ""
    if entry["n"] == 1:
        return f"{entry['median']:.{digits}f}"
    return f"{entry['median']:.{digits}f} ({entry['min']:.{digits}f}–{entry['max']:.{digits}f})"


def r(name):
    value = summary["ratios"][name]
    return "" if value is None else f"{value:.2f}"


print(f"{summary['date']}, {summary['machine']}; medians (min–max) of {max(len(rs) for rs in sides.values())} runs a side")
print()
print("| figure | host `train` | Bbn.Bench, 1×32×32 | PyTorch twin | host / bench | host / PyTorch |")
print("|---|---|---|---|---|---|")
print(f"| training images/s, whole run (summary.json) | {cell('host', 'images_per_second')} |  | {cell('pytorch', 'images_per_second')} |  | {r('host_over_pytorch')} |")
print(f"| training images/s, epochs 2+ | {cell('host', 'steady_images_per_second')} | {cell('bench', 'steady_images_per_second')} | "
      f"{cell('pytorch', 'steady_images_per_second')} | {r('host_steady_over_bench')} | {r('host_steady_over_pytorch_steady')} |")
print(f"| wall time, s | {cell('host', 'wall_seconds')} | {cell('bench', 'wall_seconds')} | {cell('pytorch', 'wall_seconds')} |  |  |")
print(f"| peak resident memory, MiB | {cell('host', 'peak_rss_mib', 0)} | {cell('bench', 'peak_rss_mib', 0)} | {cell('pytorch', 'peak_rss_mib', 0)} |  | {r('host_peak_rss_over_pytorch')} |")
print(f"| test top-1 | {cell('host', 'top1', 3)} |  | {cell('pytorch', 'top1', 3)} |  |  |")
print()
print("allocators: " + ", ".join(f"{s} {e['allocator']}" for s, e in summary["sides"].items() if "allocator" in e))
