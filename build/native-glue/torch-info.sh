#!/usr/bin/env bash
# torch-info.sh <libtorch folder>: what build-libtorchsharp.sh needs to know about a plain libtorch
# (PyTorch's libtorch zip), read from its files since there is no Python torch to ask. KEY=value lines.
set -euo pipefail
d=$(cd "${1:?usage: torch-info.sh <libtorch folder>}" && pwd)
if [[ ! -f "$d/share/cmake/Torch/TorchConfig.cmake" || ! -f "$d/lib/libtorch.so" ]]; then
  echo "$d is not a libtorch folder (it needs share/cmake/Torch/TorchConfig.cmake and lib/libtorch.so)." >&2
  exit 2
fi
ver=$(head -1 "$d/build-version" 2>/dev/null || true)
# The ABI flag is in the CMake files of every libtorch since 1.x; older ones only show it in their symbols.
abi=$(grep -rhoE '_GLIBCXX_USE_CXX11_ABI=[01]' "$d/share/cmake/Torch/TorchConfig.cmake" "$d/share/cmake/Caffe2" 2>/dev/null | head -1 | cut -d= -f2 || true)
if [[ -z "$abi" ]]; then
  if nm -D --defined-only "$d/lib/libc10.so" 2>/dev/null | grep -q '__cxx11'; then abi=1; else abi=0; fi
fi
cuda=None
if [[ -e "$d/lib/libtorch_cuda.so" ]]; then
  cuda=$(grep -oE 'cu[0-9]+' <<<"$ver" | head -1 || true)
  cuda=${cuda:-unknown}
fi
echo "TORCH_VERSION=${ver:-unknown}"
echo "TORCH_CUDA=$cuda"
echo "TORCH_ABI=$abi"
echo "TORCH_CMAKE_PREFIX=$d/share/cmake"
echo "TORCH_DIR=$d"
echo "PY_EXE=$(command -v "${PYTHON:-python3}" || echo python3)"
echo "PY_SITE=$(dirname "$d")"
