#!/usr/bin/env bash
# Installs what the tests need besides the dataset, where missing: Debian's python3-torch and
# python3-torchvision (the PyTorch side of the export/import round-trip and pretrained-start tests,
# run with /usr/bin/python3) and
# fonts-dejavu-core (the plots' font), libtcmalloc-minimal4 (the allocator the host preloads), and Open MPI for the data-parallel tests (install-mpi.sh).
# Needs apt-get and root (or sudo).
set -euo pipefail
missing=()
if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then missing+=(python3-torch); fi
# torchvision's own ResNets, the other side of the pretrained-start test.
if ! /usr/bin/python3 -c "import torchvision" >/dev/null 2>&1; then missing+=(python3-torchvision); fi
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then missing+=(fonts-dejavu-core); fi
# tcmalloc, which the host preloads when present (src/Bbn.Core/Runtime/NativeAllocator.cs).
if ! ldconfig -p | grep 'libtcmalloc_minimal\.so\.4' >/dev/null; then missing+=(libtcmalloc-minimal4); fi
"$(dirname "$0")/install-mpi.sh"
if [ ${#missing[@]} -eq 0 ]; then
  echo "python3-torch, python3-torchvision, fonts-dejavu-core and libtcmalloc-minimal4 already present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing ${missing[*]} and this machine has no apt-get: install PyTorch for /usr/bin/python3 and the DejaVu Sans font." >&2
  exit 1
fi
"$(dirname "$0")/apt-install.sh" --no-install-recommends "${missing[@]}"
