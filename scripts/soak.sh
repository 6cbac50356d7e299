#!/usr/bin/env bash
# Soak script (too long for CI): 30 short BBN epochs; resident memory after each epoch, read from
# /proc while the run goes, must stay within Bbn:Training:MemoryGrowthTolerance (2 %) of its level
# after epoch 2. Prints one line per epoch and the verdict.
# Usage: scripts/soak.sh [EPOCHS=30] [OUTPUT_DIR=/tmp/bbn-soak]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-30}
out=${2:-/tmp/bbn-soak}
scripts/install-dataset.sh >/dev/null
dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q >/dev/null
rm -rf "$out"
hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer train --Bbn:Training:Epochs="$epochs" --Bbn:Training:MaxStepsPerEpoch=12 \
  --Bbn:Training:EvaluateEvery="$epochs" --Bbn:Validation:Split=none --Bbn:PostHoc:Tune=false \
  --Bbn:Training:OutputDirectory="$out" --Bbn:Training:RunName=soak > "$out.log" 2>&1 &
pid=$!
/usr/bin/python3 - "$pid" "$out/soak/status.json" "$epochs" <<'PY'
import json, os, sys, time
pid, status, epochs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def rss():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
seen, after = 0, {}
while os.path.exists(f"/proc/{pid}"):
    try:
        epoch = json.load(open(status))["epoch"]
    except (OSError, ValueError, KeyError):
        epoch = 0
    if epoch > seen + 1 or (epoch == seen + 1 and epoch > 1):
        # the status names the epoch in progress: the one before it has ended
        after[epoch - 1] = rss(); print(f"after epoch {epoch - 1}: {after[epoch - 1]:.0f} MiB", flush=True)
    seen = max(seen, epoch)
    time.sleep(0.2)
if 2 not in after: sys.exit("the run ended before epoch 3; see the log")
limit = after[2] * 1.02
worst = max(v for k, v in after.items() if k >= 2)
print(f"epoch 2: {after[2]:.0f} MiB, highest after it: {worst:.0f} MiB, limit (2 %): {limit:.0f} MiB -> {'within' if worst <= limit else 'OVER'}")
sys.exit(0 if worst <= limit else 1)
PY
wait "$pid"
