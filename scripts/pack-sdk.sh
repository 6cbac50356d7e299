#!/usr/bin/env bash
# The plugin SDK: packs the contracts (Bbn.Abstractions, versioned with the contracts) into
# artifacts/feed and installs the `bbn-plugin` template from templates/bbn-plugin.
# Usage: scripts/pack-sdk.sh [FEED_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
feed=${1:-artifacts/feed}
dotnet pack src/Bbn.Abstractions -c Release -nologo -v:q -o "$feed"
dotnet new install "$PWD/templates/bbn-plugin" --force >/dev/null
echo "Packed Bbn.Abstractions into $feed; installed the template: dotnet new bbn-plugin -n MyPlugins --kind sampler --feed $(realpath "$feed")"
