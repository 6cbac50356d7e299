#!/usr/bin/env python3
"""Re-selects finished compare runs under each epoch-selection rule, from what the runs recorded.

Usage: scripts/selection-rules.py COMPARE_DIR [COMPARE_DIR ...]
For every run (COMPARE_DIR/runs/NAME-seedK): the validation score of each epoch (metrics.jsonl, of the
selection run where the run was refitted) chooses an epoch under each rule, and the test top-1 of that
epoch (the refit's metrics.jsonl where there is a refit: its weights at that epoch are what best.bbn
keeps) is the selected figure. Rules: highest (first epoch of the highest score; Bbn:Validation:SelectRule
= highest), one-standard-error (latest epoch within one standard error of the highest; the default),
last (no selection). The standard error is metrics.jsonl's validation_standard_error where the run
recorded it, else the same formula as ModelSelection.StandardError: the score's binomial error over the
split's class counts (manifest.json), weighted as the run's metric (top1 or balanced-top1) weighs them.
Prints mean test top-1 per composition and the paired difference of each composition to ce.
"""
import json, math, os, statistics, sys

RULES = ["highest", "one-standard-error", "last"]

def lines(path):
    return [json.loads(l) for l in open(path)]

def standard_error(row, metric, counts):
    if row.get("validation_standard_error") is not None:
        return row["validation_standard_error"]
    s, present = row["validation_score"], [c for c in counts if c > 0]
    weight2 = sum(1 / c for c in present) / len(present) ** 2 if metric == "balanced-top1" else 1 / sum(present)
    return math.sqrt(max(0.0, s * (1 - s)) * weight2)

def choose(rows, rule, metric, counts):
    scored = [r for r in rows if r.get("validation_score") is not None]
    if not scored:
        return None
    highest = max(r["validation_score"] for r in scored)
    first = next(r for r in scored if r["validation_score"] == highest)
    if rule == "highest":
        return first["epoch"]
    if rule == "last":
        return scored[-1]["epoch"]
    bound = highest - standard_error(first, metric, counts)
    return [r for r in scored if r["validation_score"] >= bound][-1]["epoch"]

def main(folders):
    for folder in folders:
        figures = {}
        for name in sorted(os.listdir(f"{folder}/runs")):
            run = f"{folder}/runs/{name}"
            if not os.path.exists(f"{run}/summary.json"):
                continue
            summary = json.load(open(f"{run}/summary.json"))
            metric = (summary.get("selection") or {}).get("metric", "top1")
            chooser = f"{run}/selection" if os.path.isdir(f"{run}/selection") else run
            counts = json.load(open(f"{chooser}/manifest.json"))["validation"]["class_counts"]
            test = {r["epoch"]: r["top1"] for r in lines(f"{run}/metrics.jsonl")}
            composition, seed = name.rsplit("-seed", 1)
            for rule in RULES:
                epoch = choose(lines(f"{chooser}/metrics.jsonl"), rule, metric, counts)
                if epoch is not None:
                    figures.setdefault((composition, rule), {})[int(seed)] = (test[epoch], epoch)
        print(f"== {folder}")
        for rule in RULES:
            row = []
            for composition in sorted({c for c, _ in figures}):
                got = figures.get((composition, rule), {})
                if got:
                    row.append(f"{composition} {100 * statistics.mean(v[0] for v in got.values()):6.2f} (epochs {[v[1] for _, v in sorted(got.items())]})")
            ce = figures.get(("ce", rule), {})
            for composition in sorted({c for c, _ in figures if c != "ce"}):
                got = figures.get((composition, rule), {})
                paired = [100 * (got[s][0] - ce[s][0]) for s in got if s in ce]
                if len(paired) > 1:
                    row.append(f"{composition} - ce {statistics.mean(paired):+.2f} ± {statistics.stdev(paired):.2f}")
            print(f"  {rule:19s} " + "; ".join(row))

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
