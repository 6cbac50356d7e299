#!/usr/bin/env bash
# Trains compositions on a small long-tailed Fashion-MNIST subset (the shape of issue 22's folder:
# 134 images in the largest class down to 13 in the smallest, 538 in all) at 30 epochs of batch 128
# (4 steps an epoch), one run after another, and prints a Markdown table (epoch-1 and final training
# loss, test top-1, many/medium/few, wall time) with the settings behind each row.
# Usage: scripts/small-data.sh [OUTPUT_DIR] [NAME=SETTINGS ...]; without rows: BBN and CE, defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/small-data}
shift || true
scripts/install-dataset.sh >/dev/null
dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q >/dev/null
host=hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer
small=(--Bbn:Dataset:MaxPerClass=134 --Bbn:Dataset:ImbalanceRatio=10.3 --Bbn:Training:Epochs=30 --Bbn:Training:EvaluateEvery=30
       --Bbn:Training:OutputDirectory="$out")
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=("bbn=--Bbn:Method:Name=bbn" "ce=--Bbn:Method:Name=single-branch")
table="| run | settings | epoch-1 loss | final loss | top-1 | many | medium | few | wall time |"$'\n'"|---|---|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  name=${row%%=*}; args=${row#*=}
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$host" train "${small[@]}" $args --Bbn:Training:RunName="$name" > "$out-$name.log" 2>&1 || { echo "$name failed, see $out-$name.log"; continue; }
  seconds=$(( $(date +%s) - start ))
  figures=$(/usr/bin/python3 - "$out/$name" <<'PY'
import json, sys
run = sys.argv[1]
metrics = [json.loads(line) for line in open(run + "/metrics.jsonl")]
s = json.load(open(run + "/summary.json"))
f = lambda v: "null" if v is None else f"{100 * v:.1f}"
print(f"{metrics[0]['train_loss']:.2f} | {metrics[-1]['train_loss']:.2f} | " + " | ".join(f(s[k]) for k in ("top1", "many", "medium", "few")))
PY
)
  table+=$'\n'"| $name | \`$args\` | $figures | $((seconds / 60))m$((seconds % 60))s |"
  echo "$name done in ${seconds}s"
done
echo
echo "Small Fashion-MNIST-LT (538 images, 134 to 13); $(date -u +%F); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
echo "$table"
