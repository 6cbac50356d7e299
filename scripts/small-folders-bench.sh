#!/usr/bin/env bash
# The small-data benchmark (issue 35): six long-tailed image folders made from Fashion-MNIST
# (scripts/small-folders.py list), BBN and CE with `compare --seeds N --baseline ce` at 30 epochs,
# each set twice: "before", the behaviour before issue 35 (the selection run is the result, chosen by
# top-1 at its highest: --Bbn:Validation:Refit=never --Bbn:Validation:SelectBy=top1
# --Bbn:Validation:SelectRule=highest), and "after", the defaults (the refit where the split took
# training images, balanced top-1, the one-standard-error rule; a set with its own val/ folder takes no
# training image, so it runs once, with the defaults). Prints one Markdown table of the mean test
# top-1 (last, selected and tuned) and the paired BBN - CE differences; scripts/selection-rules.py
# re-selects the finished runs under each rule.
# Usage: scripts/small-folders-bench.sh [OUTPUT_DIR] [SEEDS] [SET ...]
# About 70 minutes on 2 cores with 3 seeds (AMD EPYC, 2026-12-05).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-runs/small-folders}")
seeds=${2:-3}
shift 2 || shift $# || true
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(grey10-ir10 grey10-ir100 colour5-ir20 colour10-ir50-val grey50-ir20 colour20-ir10-val)
scripts/install-dataset.sh >/dev/null
# scripts/small-folders.py writes the folders with numpy (Debian's python3-numpy; a fresh machine lacks it).
/usr/bin/python3 -c 'import numpy' 2>/dev/null || scripts/apt-install.sh python3-numpy >/dev/null
# BBN_HOST: a copy of the built host to run (so that building the repository meanwhile cannot touch it).
if [ -z "${BBN_HOST:-}" ]; then
  dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q >/dev/null
  host=$(realpath hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer)
else
  host=$(realpath "$BBN_HOST")
fi
mkdir -p "$out"
for set in "${sets[@]}"; do
  data="$out/data/$set"
  [ -d "$data/train" ] || /usr/bin/python3 scripts/small-folders.py "$data" "$set" 0
  for mode in before after; do
    refit=(); [ "$mode" = before ] && refit=(--Bbn:Validation:Refit=never --Bbn:Validation:SelectBy=top1 --Bbn:Validation:SelectRule=highest)
    # A set with a val/ folder takes no training image for validation: nothing to refit, one run with the defaults.
    if [ -d "$data/val" ]; then [ "$mode" = before ] && continue; refit=(); fi
    start=$(date +%s)
    "$host" compare --Bbn:Compare:Seeds="$seeds" --Bbn:Compare:Baseline=ce --Bbn:Compare:Output="$out/$set-$mode" \
      --Bbn:Compare:Compositions:ce="--Bbn:Method=single-branch" --Bbn:Compare:Compositions:bbn="" \
      --Bbn:Dataset:Name=image-folder --Bbn:Dataset:Root="$data" --Bbn:Training:Epochs=30 "${refit[@]}" \
      > "$out/$set-$mode.log" 2>&1 || { echo "$set $mode failed, see $out/$set-$mode.log"; continue; }
    echo "$set $mode: $(( $(date +%s) - start ))s" | tee -a "$out/wall-times.txt"
  done
done
/usr/bin/python3 - "$out" "$seeds" "${sets[@]}" <<'PY'
import json, os, statistics, sys
out, seeds, sets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def summary(folder, name, seed):
    path = f"{folder}/runs/{name}-seed{seed}/summary.json"
    return json.load(open(path)) if os.path.exists(path) else None
def figures(s):
    sel = (s.get("selection") or {}).get("top1")
    tuned = ((s.get("post_hoc") or {}).get("test_after") or {}).get("top1")
    return {"last": s["top1"], "selected": sel, "tuned": tuned}
def mean_sd(values):
    values = [100 * v for v in values if v is not None]
    if not values: return "–"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}" if len(values) > 1 else f"{values[0]:.2f}"
print("| set | result | CE last | CE selected | BBN last | BBN selected | BBN tuned | Δ last (BBN − CE) | Δ selected | validation images |")
print("|---|---|---|---|---|---|---|---|---|---|")
for set_ in sets:
    for mode in ("before", "after"):
        folder = f"{out}/{set_}-{mode}"
        label = "before (Refit=never, top1, highest)" if mode == "before" else "default"
        if not os.path.isdir(folder):
            continue
        rows = {n: [summary(folder, n, k) for k in range(seeds)] for n in ("ce", "bbn")}
        if any(s is None for v in rows.values() for s in v): print(f"| {set_} | {label} | incomplete | | | | | | | |"); continue
        f = {n: [figures(s) for s in v] for n, v in rows.items()}
        delta = lambda key: mean_sd([None if b[key] is None or c[key] is None else b[key] - c[key] for b, c in zip(f["bbn"], f["ce"])])
        held = rows["bbn"][0].get("selection", {}).get("validation_images")
        print(f"| {set_} | {label} | {mean_sd([x['last'] for x in f['ce']])} | {mean_sd([x['selected'] for x in f['ce']])} | "
              f"{mean_sd([x['last'] for x in f['bbn']])} | {mean_sd([x['selected'] for x in f['bbn']])} | {mean_sd([x['tuned'] for x in f['bbn']])} | "
              f"{delta('last')} | {delta('selected')} | {held} |")
PY
echo
echo "$(date -u +%F); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $seeds seeds; 30 epochs"
