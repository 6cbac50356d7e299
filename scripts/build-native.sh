#!/usr/bin/env bash
# scripts/build-native.sh <torch dir>: the local-libtorch backend (docs/gpu.md).
# Builds TorchSharp 0.107.0's native glue (libLibTorchSharp.so) against the libtorch at <torch dir>, either the
# site-packages/torch of a pip or conda PyTorch or a plain libtorch folder (PyTorch's libtorch zip), CPU or CUDA,
# then the host with -p:BbnTorchBackend=local so that it loads that glue and that libtorch (libtorch.path beside it).
# The glue's build script is build/native-glue; its sources come from ../shared/gpu/kit or are downloaded from
# TorchSharp's repository at the pinned commit and checked (build/native-glue/sources.sh).
#   PYTHON   for a PyTorch: an interpreter that can import it (default python3 with <torch dir>'s parent on PYTHONPATH)
#   JOBS     parallel compile jobs (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
torch_dir=$(readlink -f "${1:?usage: scripts/build-native.sh <site-packages/torch of a PyTorch, or a libtorch folder>}")
[ -f "$torch_dir/lib/libtorch.so" ] || { echo "$torch_dir/lib/libtorch.so not found: give the torch folder of a PyTorch install (site-packages/torch) or a libtorch folder." >&2; exit 2; }
out=$(pwd)/build/native
mkdir -p "$out"
bash build/native-glue/sources.sh "$out/torchsharp-src.tar.gz"
if [ -f "$torch_dir/__init__.py" ]; then
  export PYTHONPATH="$(dirname "$torch_dir")${PYTHONPATH:+:$PYTHONPATH}"
  glue_env=()
else
  glue_env=(TORCH_DIR="$torch_dir")
fi
env "${glue_env[@]}" PYTHON="${PYTHON:-python3}" JOBS="${JOBS:-$(nproc)}" SRC_TARBALL="$out/torchsharp-src.tar.gz" \
  bash build/native-glue/build-libtorchsharp.sh "$out"
dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q -p:BbnTorchBackend=local -p:BbnLibTorchDir="$torch_dir/lib" -p:BbnLibTorchSharp="$out/libLibTorchSharp.so"
echo "Built: hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer with $out/libLibTorchSharp.so against $torch_dir/lib"
