#!/usr/bin/env bash
# Installs Fashion-MNIST (IDX, gzip) into /usr/share/datasets/fashion-mnist from Debian's
# dataset-fashion-mnist package, when it is not there yet. Needs apt-get and root (or sudo).
set -euo pipefail
target=/usr/share/datasets/fashion-mnist
if [ -f "$target/train-images-idx3-ubyte.gz" ] && [ -f "$target/t10k-labels-idx1-ubyte.gz" ]; then
  echo "Fashion-MNIST already present in $target"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Fashion-MNIST is missing from $target and this machine has no apt-get." >&2
  echo "Download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and" >&2
  echo "t10k-labels-idx1-ubyte.gz from the Fashion-MNIST project into a folder, then pass" >&2
  echo "--Bbn:Dataset:Root=<that folder> (or set BBN__DATASET__ROOT)." >&2
  exit 1
fi
"$(dirname "$0")/apt-install.sh" dataset-fashion-mnist
ls "$target"
