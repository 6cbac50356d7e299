#!/usr/bin/env bash
# sources.sh <out.tar.gz>: TorchSharp 0.107.0's native sources (src/Native at commit c20b6a1c) in the
# layout build-libtorchsharp.sh unpacks: from ../shared/gpu/kit when it is there (BBN_GPU_KIT), otherwise
# downloaded from TorchSharp's repository at the pinned commit. Either way the files of src/Native must
# hash to NATIVE_SHA256 (sha256 of the sorted per-file sha256 list), so a changed archive stops here.
#   BBN_GPU_KIT               the kit's folder (default <repo>/../shared/gpu/kit)
#   BBN_TORCHSHARP_ARCHIVE    where to download from (default GitHub's archive of the commit; file:// works)
set -euo pipefail
out=${1:?usage: sources.sh <out.tar.gz>}
root=$(cd "$(dirname "$0")/../.." && pwd)
commit=c20b6a1cc574d690707638a488d2583f3b8b983f
NATIVE_SHA256=911cff81cb030ec38e190561921dd3d5d2402b1980f0096da988eb1a3639568a
kit=${BBN_GPU_KIT:-$root/../shared/gpu/kit}
archive=${BBN_TORCHSHARP_ARCHIVE:-https://github.com/dotnet/TorchSharp/archive/$commit.tar.gz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=TorchSharp-0.107.0-native
if [[ -f "$kit/libtorchsharp-src.tar.gz" ]]; then
  echo "TorchSharp sources: $kit/libtorchsharp-src.tar.gz" >&2
  tar -xzf "$kit/libtorchsharp-src.tar.gz" -C "$work"
else
  echo "TorchSharp sources: no kit at $kit; downloading $archive" >&2
  curl -fsSL --retry 3 -o "$work/archive.tar.gz" "$archive" \
    || { echo "sources.sh: could not download $archive; copy ../shared/gpu/kit beside the repository or set BBN_TORCHSHARP_ARCHIVE to a copy of it." >&2; exit 2; }
  mkdir "$work/x"
  tar -xzf "$work/archive.tar.gz" -C "$work/x"
  top=$(find "$work/x" -mindepth 1 -maxdepth 1 -type d | head -1)
  [[ -d "$top/src/Native" ]] || { echo "sources.sh: $archive has no src/Native: not TorchSharp's repository." >&2; exit 2; }
  mkdir -p "$work/$name/src"
  cp -r "$top/src/Native" "$work/$name/src/"
  cp "$top/LICENSE.txt" "$top/THIRD-PARTY-NOTICES.TXT" "$work/$name/" 2>/dev/null || true
  printf 'repo=https://github.com/dotnet/TorchSharp\ncommit=%s\nversion=0.107.0\nfrom=%s\n' "$commit" "$archive" > "$work/$name/SOURCE_COMMIT"
fi
got=$(cd "$work/$name/src/Native" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [[ "$got" != "$NATIVE_SHA256" ]]; then
  echo "sources.sh: TorchSharp's src/Native hashes to $got, not $NATIVE_SHA256 (commit $commit): refusing to build from it." >&2
  exit 2
fi
tar -czf "$out" -C "$work" "$name"
echo "TorchSharp sources verified (src/Native of $commit): $out" >&2
