#!/usr/bin/env bash
# Trains each built-in method on Fashion-MNIST-LT (IR 100) at one fixed budget, one run after
# another, and prints a Markdown table (top-1, many/medium/few, wall time) with the command behind
# each row. Usage: scripts/compare-methods.sh [EPOCHS] [CLASSIFIER_EPOCHS] [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-2}
classifier_epochs=${2:-1}
out=${3:-runs/compare-methods}
scripts/install-dataset.sh >/dev/null
dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q >/dev/null
host=hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer
common=(--Bbn:Training:Epochs="$epochs" --Bbn:Method:ClassifierEpochs="$classifier_epochs" --Bbn:Training:OutputDirectory="$out")
rows=(
  "CE|--Bbn:Method:Name=single-branch"
  "BBN|--Bbn:Method:Name=bbn"
  "cRT|--Bbn:Method:Name=crt"
  "LWS|--Bbn:Method:Name=lws"
  "tau-norm|--Bbn:Method:Name=tau-norm"
  "weight balancing|--Bbn:Method:Name=weight-balancing"
  "MiSLAS|--Bbn:Method:Name=mislas"
)
table="| method | command | top-1 | many | medium | few | wall time |"$'\n'"|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  name=${row%%|*}; args=${row#*|}
  run=$(echo "$name" | tr ' A-Z' '-a-z')
  start=$(date +%s)
  "$host" train $args "${common[@]}" --Bbn:Training:RunName="$run" > "$out-$run.log" 2>&1 || { echo "$name failed, see $out-$run.log"; continue; }
  seconds=$(( $(date +%s) - start ))
  figures=$(/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); f=lambda v: 'null' if v is None else f'{100*v:.2f}'; print(' | '.join(f(s[k]) for k in ('top1','many','medium','few')))" "$out/$run/summary.json")
  table+=$'\n'"| $name | \`train $args\` | $figures | $((seconds / 60))m$((seconds % 60))s |"
  echo "$name done in ${seconds}s"
done
echo
echo "Budget: --Bbn:Training:Epochs=$epochs --Bbn:Method:ClassifierEpochs=$classifier_epochs; $(date -u +%F); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
echo "$table"
