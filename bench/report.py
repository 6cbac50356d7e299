#!/usr/bin/python3
"""Summarises bench/run.sh's raw lines: per side the median and spread (min-max) of each figure,
the TorchSharp/PyTorch ratios, and a table; writes the summary as JSON."""
import datetime
import json
import statistics
import sys

from machine import processor

raw, out = sys.argv[1], sys.argv[2]
runs = [json.loads(line) for line in open(raw) if line.strip()]
sides = {s: [r for r in runs if r["side"] == s] for s in ("torchsharp", "pytorch")}
figures = ["bbn_images_per_second", "single_images_per_second", "eval_images_per_second", "pipeline_images_per_second",
           "pipeline_share_of_bbn_step", "peak_rss_mib", "matmul_gflops", "conv3x3_gflops"]


def stats(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


summary = {"date": datetime.date.today().isoformat(), "machine": f"{processor()}, "
           f"{open('/proc/cpuinfo').read().count('processor')} logical CPUs", "sides": {}}
for side, rs in sides.items():
    if not rs:
        continue
    entry = {f: stats([r[f] for r in rs]) for f in figures if f in rs[0]}
    # Memory per epoch: medians over repeats, epoch by epoch; growth from epoch 2 to the last.
    per_epoch = [statistics.median(e) for e in zip(*[r["bbn_rss_mib_per_epoch"] for r in rs])]
    entry["bbn_rss_mib_per_epoch"] = per_epoch
    entry["rss_growth_epoch2_to_last"] = per_epoch[-1] / per_epoch[1] - 1 if len(per_epoch) > 1 else None
    entry["rss_growth_epoch2_to_last_per_run"] = [r["bbn_rss_mib_per_epoch"][-1] / r["bbn_rss_mib_per_epoch"][1] - 1
                                                  for r in rs if len(r["bbn_rss_mib_per_epoch"]) > 1]
    # The peak within each epoch is not lowered by a heap release at the epoch's end: the harder measure.
    if all("bbn_peak_rss_mib_per_epoch" in r for r in rs):
        peaks = [statistics.median(e) for e in zip(*[r["bbn_peak_rss_mib_per_epoch"] for r in rs])]
        entry["bbn_peak_rss_mib_per_epoch"] = peaks
        entry["peak_rss_growth_epoch2_to_last_per_run"] = [
            r["bbn_peak_rss_mib_per_epoch"][-1] / r["bbn_peak_rss_mib_per_epoch"][1] - 1 for r in rs if len(r["bbn_peak_rss_mib_per_epoch"]) > 1]
    if all("bbn_heap_releases" in r for r in rs):
        entry["heap_release_epochs_per_run"] = [[int(h["epoch"]) for h in r["bbn_heap_releases"]] for r in rs]
    if "fraction_of_ceiling" in rs[0]:
        entry["fraction_of_ceiling"] = stats([r["fraction_of_ceiling"] for r in rs])
        entry["bbn_step_gflop"] = rs[0]["bbn_step_gflop"]
        entry["ceiling_gflops"] = stats([r["ceiling_gflops"] for r in rs])
    summary["sides"][side] = entry
if len(summary["sides"]) == 2:
    t, p = summary["sides"]["torchsharp"], summary["sides"]["pytorch"]
    summary["ratio_torchsharp_over_pytorch"] = {f: t[f]["median"] / p[f]["median"] for f in
                                               ("bbn_images_per_second", "single_images_per_second", "eval_images_per_second")}
json.dump(summary, open(out, "w"), indent=2)

print(f"{summary['date']}, {summary['machine']}; medians over {len(sides['torchsharp'])} alternating repeats (min-max)")
print("| figure | TorchSharp | PyTorch | ratio |")
print("|---|---|---|---|")
for f in ("bbn_images_per_second", "single_images_per_second", "eval_images_per_second", "pipeline_images_per_second",
          "pipeline_share_of_bbn_step", "peak_rss_mib", "matmul_gflops", "conv3x3_gflops"):
    cells = []
    for side in ("torchsharp", "pytorch"):
        s = summary["sides"].get(side, {}).get(f)
        cells.append("-" if s is None else f"{s['median']:.4g} ({s['min']:.4g}-{s['max']:.4g})")
    ratio = summary.get("ratio_torchsharp_over_pytorch", {}).get(f)
    print(f"| {f} | {cells[0]} | {cells[1]} | {'' if ratio is None else f'{ratio:.3f}'} |")
for side in ("torchsharp", "pytorch"):
    s = summary["sides"].get(side)
    if s:
        growth = s["rss_growth_epoch2_to_last"]
        runs_growth = ", ".join(f"{100 * g:+.1f} %" for g in s["rss_growth_epoch2_to_last_per_run"])
        print(f"{side}: RSS per epoch (MiB, medians) {s['bbn_rss_mib_per_epoch']}; epoch 2 -> last: "
              f"{'' if growth is None else f'{100 * growth:+.1f} %'} (each run: {runs_growth})")
        if "bbn_peak_rss_mib_per_epoch" in s:
            peak_growth = ", ".join(f"{100 * g:+.1f} %" for g in s["peak_rss_growth_epoch2_to_last_per_run"])
            print(f"{side}: peak RSS within each epoch (MiB, medians) {s['bbn_peak_rss_mib_per_epoch']}; epoch 2 -> last, each run: {peak_growth}")
        if "heap_release_epochs_per_run" in s:
            print(f"{side}: epochs after which the heap was given back, each run: {s['heap_release_epochs_per_run']}")
t = summary["sides"].get("torchsharp")
if t and "fraction_of_ceiling" in t:
    print(f"BBN step: {t['bbn_step_gflop']:.1f} GFLOP (analytic), {100 * t['fraction_of_ceiling']['median']:.1f} % of the "
          f"ceiling ({t['ceiling_gflops']['median']:.0f} GFLOP/s: the faster of the matmul and the 3x3 convolution)")
