#!/usr/bin/env bash
# scripts/build-native.sh <torch dir>: the local-libtorch backend (docs/gpu.md).
# Builds TorchSharp 0.107.0's native glue (libLibTorchSharp.so) against the PyTorch at <torch dir>
# (site-packages/torch of a pip or conda install, CPU or CUDA) with ../shared/gpu/kit, then the host with
# -p:BbnTorchBackend=local so that it loads that glue and that libtorch (libtorch.path beside the host).
#   PYTHON   an interpreter that can import that torch (default: python3 with <torch dir>'s parent on PYTHONPATH)
#   BBN_GPU_KIT   the kit's folder (default ../shared/gpu/kit)
set -euo pipefail
cd "$(dirname "$0")/.."
torch_dir=$(readlink -f "${1:?usage: scripts/build-native.sh <site-packages/torch folder of a PyTorch install>}")
kit=${BBN_GPU_KIT:-$(pwd)/../shared/gpu/kit}
[ -f "$torch_dir/lib/libtorch.so" ] || { echo "$torch_dir/lib/libtorch.so not found: give the torch folder of a PyTorch install (site-packages/torch)." >&2; exit 2; }
[ -f "$torch_dir/__init__.py" ] || { echo "$torch_dir is a plain libtorch: the glue's build reads torch's CMake settings through Python; give the site-packages/torch of the PyTorch of the same version." >&2; exit 2; }
[ -f "$kit/build-libtorchsharp.sh" ] || { echo "No build kit at $kit (TorchSharp 0.107.0's C++ at commit c20b6a1c and its build script): set BBN_GPU_KIT. Downloading it is not built yet." >&2; exit 2; }
export PYTHONPATH="$(dirname "$torch_dir")${PYTHONPATH:+:$PYTHONPATH}"
out=$(pwd)/build/native
mkdir -p "$out"
(cd "$kit" && PYTHON=${PYTHON:-python3} JOBS=${JOBS:-$(nproc)} bash build-libtorchsharp.sh "$out")
dotnet build hosts/Bbn.Trainer -c Release -nologo -v:q -p:BbnTorchBackend=local -p:BbnLibTorchDir="$torch_dir/lib" -p:BbnLibTorchSharp="$out/libLibTorchSharp.so"
echo "Built: hosts/Bbn.Trainer/bin/Release/net10.0/Bbn.Trainer with $out/libLibTorchSharp.so against $torch_dir/lib"
