#!/usr/bin/env bash
# The GPU check, in two halves (docs/gpu.md):
#   scripts/gpu-check.sh bundle        on a CPU machine with the .NET SDK: writes gpu-bundle/ (under 60 MiB):
#                                      the Release host built for a local libtorch, a .NET runtime, Fashion-MNIST,
#                                      the native glue's build script and sources (build/native-glue) and a prebuilt glue when there is one.
#   scripts/gpu-check.sh run [OUT]     on an NVIDIA machine with PyTorch and no .NET: takes the prebuilt glue when it
#                                      loads against this torch, else builds it; trains the default BBN for 20 epochs on
#                                      CUDA through the host and the PyTorch twin (bench/pytorch) on the same GPU; writes
#                                      OUT/report.json and OUT/report.md (images/s, top-1, GPU memory and utilisation).
# It says what it could not do in the report rather than stopping.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUNDLE=$ROOT/gpu-bundle
MODE=${1:-}

bundle() {
  set -e
  local prebuilt=${BBN_GPU_GLUE:-$ROOT/../shared/gpu/libLibTorchSharp-h200-torch2.11-cu130.so}
  local src work dotnet_dir
  rm -rf "$BUNDLE"; mkdir -p "$BUNDLE"
  work=$(mktemp -d); src=$work/src
  # A copy of the sources: the local backend restores without the libtorch package, in its own obj/.
  mkdir -p "$src" && git ls-files -co --exclude-standard -z | tar --null -cf - -T - | tar xf - -C "$src"
  # libtorch.path names the folder the GPU machine's check puts on LD_LIBRARY_PATH itself (BBN_LIBTORCH_DIR overrides it).
  dotnet publish "$src/hosts/Bbn.Trainer" -c Release -nologo -v:q -p:BbnTorchBackend=local -p:BbnLibTorchDir=/opt/torch/lib -o "$work/app"
  # Other platforms' natives and TorchSharp's CPU glue stay behind: the check puts the machine's glue in its place.
  find "$work/app/runtimes" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
  rm -f "$work/app/runtimes/linux-x64/native/libLibTorchSharp.so"
  # The test program, on the same local backend: its CUDA-trait tests run there (dotnet Bbn.Framework.Tests.dll).
  dotnet build "$src/tests/Bbn.Framework.Tests" -c Release -nologo -v:q -p:BbnTorchBackend=local -p:BbnLibTorchDir=/opt/torch/lib
  cp -r "$src/tests/Bbn.Framework.Tests/bin/Release/net10.0" "$work/tests"
  find "$work/tests/runtimes" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
  rm -f "$work/tests/runtimes/linux-x64/native/libLibTorchSharp.so"
  dotnet_dir=$(dirname "$(readlink -f "$(command -v dotnet)")")
  mkdir -p "$work/dotnet/shared" "$work/dotnet/host"
  cp "$dotnet_dir/dotnet" "$work/dotnet/"
  cp -r "$dotnet_dir/host/fxr" "$work/dotnet/host/"
  cp -r "$dotnet_dir/shared/Microsoft.NETCore.App" "$work/dotnet/shared/"
  # The debugger's and crash dumps' libraries are not needed to run, and the bundle must stay under 60 MiB.
  find "$work/dotnet" \( -name createdump -o -name 'libmscordaccore.so' -o -name 'libmscordbi.so' \) -delete
  (cd "$work" && tar cf - app tests dotnet | xz -T0 -9 > "$BUNDLE/dotnet-app.tar.xz")
  scripts/install-dataset.sh >/dev/null
  (cd /usr/share/datasets/fashion-mnist && mkdir -p "$work/fm" && for f in *-ubyte.gz; do gzip -dc "$f" > "$work/fm/${f%.gz}"; done)
  # Only the default run's images travel: the host's own manifest of a one-step run names them (the long-tailed
  # subset and its validation split depend on the labels and the seed, never on pixels); every other training image
  # becomes zeros, which compress to nothing. The first 2,000 stay whole for the tests' subsets.
  dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q
  hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer train --Bbn:Training:Epochs=1 --Bbn:Training:MaxStepsPerEpoch=1 \
    --Bbn:Training:OutputDirectory="$work/manifest-run" --Bbn:Training:RunName=m >/dev/null
  python3 - "$work/manifest-run/m/manifest.json" "$work/fm/train-images-idx3-ubyte" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
keep = {i for per_class in m["images"] for i in per_class} | {i for per_class in m["validation"]["images"] for i in per_class} | set(range(2000))
data = bytearray(open(sys.argv[2], "rb").read())
for i in range((len(data) - 16) // 784):
    if i not in keep: data[16 + i * 784:16 + (i + 1) * 784] = bytes(784)
open(sys.argv[2], "wb").write(data)
print(f"kept {len(keep)} training images")
PY
  (cd "$work/fm" && tar cf - ./*-ubyte | xz -T0 -9 > "$BUNDLE/fm.tar.xz")
  # The GPU machine has no network: the sources travel (from ../shared/gpu/kit or downloaded, verified).
  cp -r "$ROOT/build/native-glue" "$BUNDLE/kit"
  bash "$ROOT/build/native-glue/sources.sh" "$BUNDLE/kit/torchsharp-src.tar.gz" \
    || echo "gpu-check: no TorchSharp sources in the bundle: the GPU machine can only use the prebuilt glue." >&2
  [ -f "$prebuilt" ] && cp "$prebuilt" "$BUNDLE/libLibTorchSharp-prebuilt.so"
  cp bench/pytorch/bbn_reference.py "$BUNDLE/"
  rm -rf "$work"
  du -sh "$BUNDLE"; ls -la "$BUNDLE"
  local size; size=$(du -sb "$BUNDLE" | cut -f1)
  [ "$size" -le $((60 * 1024 * 1024)) ] || { echo "gpu-bundle is $((size / 1048576)) MiB, over the 60 MiB a check may carry" >&2; exit 1; }
}

run() {
  local OUT=${1:-${OUT:-$ROOT/gpu-report}} W=/tmp/bbn-gpu-check t0 notes=()
  mkdir -p "$OUT"; rm -rf "$W"; mkdir -p "$W"
  t0=$(date +%s)
  el() { echo "[+$(( $(date +%s) - t0 ))s] $*"; }
  local python=${PYTHON:-python3}
  command -v nvidia-smi >/dev/null || notes+=("no nvidia-smi: not an NVIDIA machine")
  local torch_lib; torch_lib=$($python -c 'import torch,os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null) || torch_lib=""
  [ -n "$torch_lib" ] || { echo "no PyTorch for $python: nothing to check" >&2; exit 1; }
  local site; site=$(dirname "$(dirname "$torch_lib")")
  el "unpack"
  (cd "$W" && xz -T0 -dc "$BUNDLE/dotnet-app.tar.xz" | tar xf -) &
  local p1=$!
  (mkdir -p "$W/fm" && cd "$W/fm" && xz -dc "$BUNDLE/fm.tar.xz" | tar xf - && gzip -1 ./*-ubyte) &
  local p2=$!
  wait $p1 $p2
  local glue="$W/app/runtimes/linux-x64/native/libLibTorchSharp.so"
  export LD_LIBRARY_PATH="$torch_lib:$(ls -d "$site"/nvidia/*/lib 2>/dev/null | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export DOTNET_ROOT=$W/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 BBN_LIBTORCH_DIR=$torch_lib
  local host=("$W/dotnet/dotnet" "$W/app/Bbn.Trainer.dll")
  # The prebuilt glue when it loads against this torch (the plugins verb touches libtorch), else a build from the kit.
  if [ -f "$BUNDLE/libLibTorchSharp-prebuilt.so" ]; then
    cp "$BUNDLE/libLibTorchSharp-prebuilt.so" "$glue"
    timeout 60 "${host[@]}" plugins > "$W/probe.log" 2>&1 && el "prebuilt glue loads" || { el "prebuilt glue does not load"; rm -f "$glue"; }
  fi
  if [ ! -f "$glue" ] && [ -f "$BUNDLE/kit/torchsharp-src.tar.gz" ]; then
    el "build the glue against $torch_lib"
    (cd "$BUNDLE/kit" && timeout 330 env PYTHON=$python JOBS=$(nproc) ALLOW_PARTIAL=1 SRC_TARBALL="$BUNDLE/kit/torchsharp-src.tar.gz" bash build-libtorchsharp.sh "$W/lts") > "$OUT/build.log" 2>&1
    [ -f "$W/lts/libLibTorchSharp.so" ] && cp "$W/lts/libLibTorchSharp.so" "$glue"
  fi
  [ -f "$glue" ] || notes+=("no native glue: the host could not run")

  ( while sleep 1; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits; done ) > "$W/gpu-ours.txt" 2>/dev/null &
  local sampler=$!
  local ours_rc=none
  # BBN_GPU_TESTS_ONLY=1: the CUDA-trait tests alone (a rerun after a test fix).
  if [ -f "$glue" ] && [ "${BBN_GPU_TESTS_ONLY:-0}" != 1 ]; then
    el "ours: train on CUDA, 20 epochs"
    timeout "${BBN_OURS_TIMEOUT:-240}" "${host[@]}" train --Bbn:Training:Device=cuda --Bbn:Dataset:Root="$W/fm" \
      --Bbn:Training:OutputDirectory="$W/runs" --Bbn:Training:RunName=cuda > "$W/ours.log" 2>"$W/ours.err"
    ours_rc=$?
    el "ours rc=$ours_rc"; tail -5 "$W/ours.log" | cut -c1-240
  fi
  kill $sampler 2>/dev/null
  local checks="$W/checks.txt"; : > "$checks"
  if [ -f "$W/runs/cuda/checkpoint.bbn" ]; then
    el "checks: the CUDA checkpoint evaluated on the CPU and on CUDA; predict on CUDA; cuda:1 refused"
    for device in cpu cuda; do
      timeout 90 "${host[@]}" evaluate "$W/runs/cuda" --Bbn:Training:Device=$device --Bbn:Evaluate:Output="$W/eval-$device/summary.json" > "$W/eval-$device.log" 2>&1
      echo "evaluate_$device $?" >> "$checks"
    done
    mkdir -p "$W/predict" && $python -c "
import gzip, struct, zlib, sys
d = gzip.open('$W/fm/t10k-images-idx3-ubyte.gz').read()[16:16 + 784 * 4]
def png(px):
    raw = b''.join(b'\\x00' + px[y * 28:(y + 1) * 28] for y in range(28))
    chunk = lambda t, b: struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b))
    return b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 28, 28, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
for i in range(4): open('$W/predict/%d.png' % i, 'wb').write(png(d[i * 784:(i + 1) * 784]))
"
    timeout 60 "${host[@]}" predict "$W/runs/cuda" "$W/predict" --json --Bbn:Training:Device=cuda > "$W/predict.json" 2> "$W/predict.err"
    echo "predict_cuda $?" >> "$checks"
    timeout 60 "${host[@]}" train --Bbn:Training:Device=cuda:1 --Bbn:Dataset:Root="$W/fm" --Bbn:Training:OutputDirectory="$W/runs" > "$W/cuda1.log" 2>&1
    echo "cuda1_refused $?" >> "$checks"
    cp "$W"/eval-*.log "$W/predict.json" "$W/predict.err" "$W/cuda1.log" "$OUT/" 2>/dev/null
    mkdir -p "$OUT/eval-cpu" "$OUT/eval-cuda"; cp "$W/eval-cpu/summary.json" "$OUT/eval-cpu/" 2>/dev/null; cp "$W/eval-cuda/summary.json" "$OUT/eval-cuda/" 2>/dev/null
  fi
  ( while sleep 1; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits; done ) > "$W/gpu-twin.txt" 2>/dev/null &
  sampler=$!
  el "PyTorch twin: train on CUDA, 20 epochs"
  # The twin trains on exactly the host run's images (its manifest): the bundle carries only those.
  local manifest=(); [ -f "$W/runs/cuda/manifest.json" ] && manifest=(--manifest "$W/runs/cuda/manifest.json")
  [ "${BBN_GPU_TESTS_ONLY:-0}" = 1 ] || timeout "${BBN_TWIN_TIMEOUT:-200}" $python "$BUNDLE/bbn_reference.py" --root "$W/fm" --device cuda --epochs 20 --log-every 1000 \
    "${manifest[@]}" --summary "$W/twin.json" > "$W/twin.log" 2>&1
  local twin_rc=$?
  kill $sampler 2>/dev/null
  el "twin rc=$twin_rc"; tail -2 "$W/twin.log" | cut -c1-240

  if [ -f "$glue" ] && [ -d "$W/tests" ]; then
    el "the CUDA-trait tests"
    cp "$glue" "$W/tests/runtimes/linux-x64/native/libLibTorchSharp.so"
    (cd "$W/tests" && BBN_FASHION_MNIST="$W/fm" BBN_TRAINER_HOST="$W/app/Bbn.Trainer" timeout "${BBN_TESTS_TIMEOUT:-240}" \
      "$W/dotnet/dotnet" Bbn.Framework.Tests.dll -trait "Device=cuda" -noColor -xml "$OUT/tests.xml" > "$OUT/tests.log" 2>&1)
    echo "tests $?" >> "$checks"
    el "tests done"; tail -4 "$OUT/tests.log"
  fi
  cp "$W/ours.log" "$W/ours.err" "$W/twin.log" "$OUT/" 2>/dev/null
  $python - "$W" "$OUT" "$ours_rc" "$twin_rc" "${notes[@]}" <<'PY'
import json, os, sys, glob, re, subprocess
w, out, ours_rc, twin_rc, notes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
def samples(name):
    rows = []
    try:
        for line in open(os.path.join(w, name)):
            parts = [p.strip() for p in line.split(",")]
            if len(parts) == 2 and parts[0].isdigit(): rows.append((int(parts[0]), int(parts[1])))
    except OSError: pass
    busy = [u for u, m in rows if m > 600]
    return {"gpu_util_mean": sum(busy) / len(busy) if busy else None, "gpu_memory_peak_mib": max((m for _, m in rows), default=None)}
gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
ours = {"exit_code": ours_rc}
metrics = os.path.join(w, "runs", "cuda", "metrics.jsonl")
if os.path.exists(metrics):
    lines = [json.loads(l) for l in open(metrics) if l.strip()]
    rates = [l.get("images_per_second") for l in lines]
    ours.update({"epochs": len(lines), "top1": lines[-1].get("top1"), "images_per_second_per_epoch": rates})
    later = [r for r in rates[1:] if r]
    ours["images_per_second"] = sum(later) / len(later) if later else None
ours.update(samples("gpu-ours.txt"))
twin = {"exit_code": twin_rc}
if os.path.exists(os.path.join(w, "twin.json")):
    t = json.load(open(os.path.join(w, "twin.json")))
    rates = t.get("images_per_second_per_epoch", [])
    twin.update({"top1": t.get("top1"), "images_per_second": sum(rates[1:]) / len(rates[1:]) if len(rates) > 1 else t.get("images_per_second"),
                 "torch": t.get("version"), "gpu_peak_allocated_mib": t.get("gpu_peak_mib")})
twin.update(samples("gpu-twin.txt"))
checks = {}
for line in open(os.path.join(w, "checks.txt")) if os.path.exists(os.path.join(w, "checks.txt")) else []:
    name, code = line.split()
    checks[name] = int(code)
def summary(device):
    try: return json.load(open(os.path.join(w, f"eval-{device}", "summary.json")))
    except OSError: return None
cpu, cuda = summary("cpu"), summary("cuda")
if cpu and cuda:
    checks["cuda_checkpoint_same_top1_on_cpu_and_cuda"] = {"cpu": cpu.get("top1"), "cuda": cuda.get("top1"), "cpu_per_class": cpu.get("per_class"), "cuda_per_class": cuda.get("per_class"), "cpu_confusion": cpu.get("confusion_matrix"), "cuda_confusion": cuda.get("confusion_matrix")}
try: checks["cuda1_message"] = open(os.path.join(w, "cuda1.log")).read().strip().splitlines()[-1][:300]
except (OSError, IndexError): pass
tests = []
try:
    import xml.etree.ElementTree as ET
    for t in ET.parse(os.path.join(out, "tests.xml")).getroot().iter("test"):
        reason = t.find("reason")
        failure = t.find("failure/message")
        tests.append({"name": t.get("name"), "result": t.get("result"), "seconds": float(t.get("time", 0)),
                      "why": (reason.text if reason is not None else failure.text if failure is not None else None)})
except (OSError, Exception) as e:
    notes.append(f"no test results ({e})")
report = {"gpu": gpu, "ours": ours, "pytorch_twin": twin, "checks": checks, "tests": tests, "could_not": notes, "not_run_here": []}
json.dump(report, open(os.path.join(out, "report.json"), "w"), indent=2)
def f(v, p="{:.1f}"): return "–" if v is None else p.format(v)
md = [f"GPU check on {gpu}", "", "| run | training images/s (epochs 2+) | top-1 | GPU memory peak (MiB, nvidia-smi) | GPU busy (mean %) | exit |", "|---|---|---|---|---|---|"]
for name, r in (("Bbn.Trainer train --Bbn:Training:Device=cuda", ours), ("PyTorch twin (bench/pytorch/bbn_reference.py --device cuda)", twin)):
    top1 = r.get("top1")
    md.append(f"| {name} | {f(r.get('images_per_second'), '{:,.0f}')} | {f(None if top1 is None else 100 * top1, '{:.2f} %')} | {f(r.get('gpu_memory_peak_mib'), '{:.0f}')} | {f(r.get('gpu_util_mean'))} | {r['exit_code']} |")
md += ["", "Checks: " + json.dumps({k: v for k, v in checks.items() if not isinstance(v, dict)}), "", "Could not: " + ("; ".join(notes + report["not_run_here"]))]
md += ["", "| test | result | s |", "|---|---|---|"] + [f"| {t['name']} | {t['result']}{(': ' + t['why'][:200].replace(chr(10), ' ')) if t['why'] and t['result'] != 'Pass' else ''} | {t['seconds']:.1f} |" for t in tests]
open(os.path.join(out, "report.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
  el "end"
}

case "$MODE" in
  bundle) bundle ;;
  run) shift; run "$@" ;;
  *) echo "usage: scripts/gpu-check.sh bundle | run [OUT]" >&2; exit 2 ;;
esac
