#!/usr/bin/env bash
# What pretraining buys on a small long-tailed folder (issue 36): torchvision's ResNet-18 pretrained on Fashion-MNIST
# labels 0-4 (scripts/pretrain-resnet18.py), then BBN and CE fine-tuned on a long-tailed colour folder of labels 5-9
# (150 to 8 images a class), from scratch and from the pretrained file (trunk at a tenth of the rate), with
# `compare --seeds N --baseline ce-scratch`, 30 epochs, no validation split (last-epoch figures).
# Usage: scripts/pretrained-start.sh [OUTPUT_DIR] [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-runs/pretrained-start}")
seeds=${2:-3}
scripts/install-dataset.sh >/dev/null
# scripts/small-folders.py writes the folders with numpy (Debian's python3-numpy; a fresh machine lacks it).
/usr/bin/python3 -c 'import numpy' 2>/dev/null || scripts/apt-install.sh python3-numpy >/dev/null
scripts/install-test-tools.sh >/dev/null
if [ -z "${BBN_HOST:-}" ]; then
  dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q >/dev/null
  host=$(realpath hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer)
else
  host=$(realpath "$BBN_HOST")
fi
mkdir -p "$out"
data="$out/data"
[ -d "$data/train" ] || /usr/bin/python3 scripts/small-folders.py "$data" colour5-ir20-labels5to9 0
weights="$out/resnet18-fmnist-labels0to4.pth"
[ -f "$weights" ] || { start=$(date +%s); /usr/bin/python3 scripts/pretrain-resnet18.py "$weights" 8 | tee "$out/pretrain.log"; echo "pretraining: $(( $(date +%s) - start ))s"; }
start=$(date +%s)
pretrained="--Bbn:Backbone:Pretrained=$weights --Bbn:Backbone:TrunkLearningRateScale=0.1"
"$host" compare --Bbn:Compare:Seeds="$seeds" --Bbn:Compare:Baseline=ce-scratch --Bbn:Compare:Output="$out/compare" \
  --Bbn:Compare:Compositions:ce-scratch="--Bbn:Method=single-branch" --Bbn:Compare:Compositions:ce-pretrained="--Bbn:Method=single-branch $pretrained" \
  --Bbn:Compare:Compositions:bbn-scratch="" --Bbn:Compare:Compositions:bbn-pretrained="$pretrained" \
  --Bbn:Dataset:Name=image-folder --Bbn:Dataset:Root="$data" --Bbn:Dataset:Recipe=cifar --Bbn:Dataset:Size=32 \
  --Bbn:Backbone:Name=resnet18 --Bbn:Training:Epochs=30 --Bbn:Validation:Split=none > "$out/compare.log" 2>&1
echo "compare: $(( $(date +%s) - start ))s"
cat "$out/compare/table.md"
echo "$(date -u +%F); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $seeds seeds"
