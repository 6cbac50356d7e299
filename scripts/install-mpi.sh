#!/usr/bin/env bash
# Installs Open MPI (mpirun and libmpi.so.40) from Debian where missing: data-parallel training
# (`mpirun -np N Bbn.Trainer train`) and its tests need it; a single-process run does not.
set -euo pipefail
if command -v mpirun >/dev/null 2>&1 && ldconfig -p | grep 'libmpi\.so\.40' >/dev/null; then
  echo "Open MPI already present: $(mpirun --version | head -1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Open MPI is missing and this machine has no apt-get: install Open MPI 4 (mpirun, libmpi.so.40)." >&2
  exit 1
fi
"$(dirname "$0")/apt-install.sh" --no-install-recommends openmpi-bin
