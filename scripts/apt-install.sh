#!/usr/bin/env bash
# apt-get install "$@" as root (through sudo when not root), after refreshing the package lists
# (a fresh machine has none). Used by the install-*.sh scripts.
set -euo pipefail
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq "$@"
