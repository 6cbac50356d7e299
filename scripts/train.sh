#!/usr/bin/env bash
# The main job: trains BBN ResNet-32 on Fashion-MNIST-LT (IR 100) with hosts/Bbn.Trainer/appsettings.json.
# Installs the dataset first where it is missing (Debian/Ubuntu). Extra arguments are settings, e.g.
#   scripts/train.sh --Bbn:Training:Epochs=5
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dataset.sh
exec dotnet run --project hosts/Bbn.Trainer -c Release -- train "$@"
