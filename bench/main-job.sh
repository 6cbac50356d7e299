#!/usr/bin/env bash
# The main job as a user runs it: the host's own `train` verb (default composition, Fashion-MNIST-LT)
# beside a PyTorch twin (bench/pytorch/bbn_reference.py, the official BBN ResNet-32) trained on exactly
# the run's subset (its manifest.json), and bench/Bbn.Bench on the same input shape (1x32x32), the
# three in turn, the order rotating each repeat; then a table and bench/results/main-job.json.
# Usage: bench/main-job.sh [REPEATS=2] [EPOCHS=3] [STEPS=30]
# Run it with nothing else on the machine: two-thread libtorch slows 3-4x under other load.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-2}
epochs=${2:-3}
steps=${3:-30}
scripts/install-dataset.sh >/dev/null
scripts/install-test-tools.sh >/dev/null
dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q >/dev/null
dotnet build bench/Bbn.Bench -c Release -nologo -v:q >/dev/null
host=hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer
bench=bench/Bbn.Bench/bin/Release/net10.0/Bbn.Bench
threads=$(nproc)
work=$(mktemp -d /tmp/bbn-main-job.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p bench/results
raw=bench/results/main-job.jsonl
: > "$raw"

# Whole-process peak resident memory and wall time of a command, as JSON fields.
timed() {
  local out=$1; shift
  /usr/bin/time -f '{"peak_rss_mib": %M, "wall_seconds": %e}' -o "$out" "$@"
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["peak_rss_mib"]/=1024; print(json.dumps(d))' "$out" > "$out.json"
}

sides=(host pytorch bench)
for r in $(seq 1 "$repeats"); do
  # Host first in repeat 1 (the twin trains on its manifest), then the order rotates.
  order=("${sides[@]:$(( (r - 1) % 3 ))}" "${sides[@]:0:$(( (r - 1) % 3 ))}")
  for side in "${order[@]}"; do
    echo "repeat $r/$repeats: $side" >&2
    case $side in
      host)
        timed "$work/host-$r.time" "$host" train --Bbn:Training:Epochs="$epochs" --Bbn:Training:MaxStepsPerEpoch="$steps" \
          --Bbn:Training:OutputDirectory="$work/runs" --Bbn:Training:RunName="host-$r" > "$work/host-$r.log" 2>&1
        cp -n "$work/runs/host-$r/manifest.json" "$work/manifest.json"
        /usr/bin/python3 - "$work/runs/host-$r" "$work/host-$r.time.json" "$work/host-$r.log" >> "$raw" <<'PY'
import json, re, statistics, sys
run, timing, log = sys.argv[1:4]
summary = json.load(open(run + "/summary.json"))
epochs = [json.loads(line) for line in open(run + "/metrics.jsonl")]
allocator = re.search(r"Native allocator: (\w+)", open(log).read())
print(json.dumps({"side": "host", **json.load(open(timing)), "images_per_second": summary["images_per_second"],
                  "steady_images_per_second": statistics.median(e["images_per_second"] for e in epochs[1:]) if len(epochs) > 1 else None,
                  "training_seconds": summary["training_seconds"], "top1": summary["top1"],
                  "allocator": allocator.group(1) if allocator else None}))
PY
        ;;
      pytorch)
        timed "$work/pytorch-$r.time" /usr/bin/python3 bench/pytorch/bbn_reference.py --manifest "$work/manifest.json" \
          --epochs "$epochs" --steps "$steps" --threads "$threads" --log-every 1000000 --summary "$work/pytorch-$r.json" > "$work/pytorch-$r.log" 2>&1
        /usr/bin/python3 - "$work/pytorch-$r.json" "$work/pytorch-$r.time.json" >> "$raw" <<'PY'
import json, statistics, sys
twin, timing = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
rates = twin["images_per_second_per_epoch"]
print(json.dumps({"side": "pytorch", **timing, "images_per_second": twin["images_per_second"],
                  "steady_images_per_second": statistics.median(rates[1:]) if len(rates) > 1 else None,
                  "training_seconds": twin["training_seconds"], "top1": twin["top1"], "version": twin["version"]}))
PY
        ;;
      bench)
        timed "$work/bench-$r.time" "$bench" --channels=1 --threads="$threads" --epochs=4 --steps=8 --single-epochs=2 --eval-images=500 > "$work/bench-$r.out"
        /usr/bin/python3 - "$work/bench-$r.out" "$work/bench-$r.time.json" >> "$raw" <<'PY'
import json, sys
out = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print(json.dumps({"side": "bench", **json.load(open(sys.argv[2])), "steady_images_per_second": out["bbn_images_per_second"],
                  "allocator": out.get("allocator")}))
PY
        ;;
    esac
  done
done
/usr/bin/python3 bench/main_job_report.py "$raw" bench/results/main-job.json
