#!/usr/bin/env bash
# The issue-5 benchmark: TorchSharp (bench/Bbn.Bench) against PyTorch (bench/pytorch/bbn_bench.py,
# Debian's python3-torch) on the same machine, alternating the sides, REPEATS times each; then the
# medians, spreads and ratios as a table and as bench/results/latest.json.
# Usage: bench/run.sh [REPEATS=3] [extra arguments for both sides, e.g. --epochs=10 --steps=10]
# Run it with nothing else on the machine: two-thread libtorch slows 3-4x under other load.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
shift || true
scripts/install-test-tools.sh >/dev/null
dotnet build bench/Bbn.Bench -c Release -nologo -v:q >/dev/null
mkdir -p bench/results
raw=bench/results/latest.jsonl
: > "$raw"
threads=$(nproc)
set -- --threads="$threads" "$@"
for r in $(seq 1 "$repeats"); do
  if [ $((r % 2)) -eq 1 ]; then order="torchsharp pytorch"; else order="pytorch torchsharp"; fi
  for side in $order; do
    echo "repeat $r/$repeats: $side" >&2
    if [ "$side" = torchsharp ]; then
      bench/Bbn.Bench/bin/Release/net10.0/Bbn.Bench "$@" | tail -n 1 >> "$raw"
    else
      (cd bench/pytorch && /usr/bin/python3 bbn_bench.py "$@") | tail -n 1 >> "$raw"
    fi
  done
done
/usr/bin/python3 bench/report.py "$raw" bench/results/latest.json
