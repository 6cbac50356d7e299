#!/usr/bin/env bash
# Fault script (too long for CI): kill -9 a short BBN run at KILLS random moments. After every kill the
# run resumes from its newest valid checkpoint (or starts again when none was written yet; the dead
# trainer's lock is taken over); at the end its weights must equal those of an uninterrupted run.
# Prints how many kills landed, how many resumes followed, and the largest weight difference.
# Usage: scripts/fault-kill9.sh [KILLS=20] [OUTPUT_DIR=/tmp/bbn-kill9]
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-20}
out=${2:-/tmp/bbn-kill9}
scripts/install-dataset.sh >/dev/null
scripts/install-test-tools.sh >/dev/null
dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q >/dev/null
host=hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer
common=(--Bbn:Dataset:MaxPerClass=300 --Bbn:Training:Epochs=6 --Bbn:Training:BatchSize=32 --Bbn:Training:MaxStepsPerEpoch=8
        --Bbn:Training:EvaluateEvery=6 --Bbn:Validation:Split=none --Bbn:PostHoc:Tune=false --Bbn:Training:OutputDirectory="$out")
rm -rf "$out"
"$host" train "${common[@]}" --Bbn:Training:RunName=uninterrupted > "$out.uninterrupted.log" 2>&1
landed=0 resumed=0
for i in $(seq 1 "$kills"); do
  args=(--Bbn:Training:RunName=killed)
  [ -f "$out/killed/checkpoint.bbn" ] && { args+=(--Bbn:Training:Resume=true); resumed=$((resumed + 1)); }
  [ -f "$out/killed/summary.json" ] && break
  "$host" train "${common[@]}" "${args[@]}" >> "$out.killed.log" 2>&1 &
  pid=$!
  sleep "$(/usr/bin/python3 -c 'import random; print(round(random.uniform(1.5, 8), 2))')"
  if kill -9 "$pid" 2>/dev/null; then landed=$((landed + 1)); fi
  wait "$pid" 2>/dev/null || true
  # A run killed before its first checkpoint left only its configuration: it starts again under the same name.
  [ -f "$out/killed/checkpoint.bbn" ] || rm -rf "$out/killed"
done
while [ ! -f "$out/killed/summary.json" ]; do
  args=(--Bbn:Training:RunName=killed)
  [ -f "$out/killed/checkpoint.bbn" ] && { args+=(--Bbn:Training:Resume=true); resumed=$((resumed + 1)); }
  "$host" train "${common[@]}" "${args[@]}" >> "$out.killed.log" 2>&1
done
"$host" export "$out/uninterrupted" "$out/uninterrupted.pth" >/dev/null
"$host" export "$out/killed" "$out/killed.pth" >/dev/null
/usr/bin/python3 - "$out" "$landed" "$resumed" <<'PY'
import sys, torch
out, landed, resumed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = torch.load(f"{out}/uninterrupted.pth"); b = torch.load(f"{out}/killed.pth")
assert a.keys() == b.keys(), "the two runs hold different tensors"
diff = max((a[k].double() - b[k].double()).abs().max().item() for k in a)
print(f"kills landed: {landed}, resumes: {resumed}, tensors: {len(a)}, largest weight difference: {diff:.3g}")
sys.exit(0 if diff == 0 else 1)
PY
