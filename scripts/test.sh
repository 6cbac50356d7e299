#!/usr/bin/env bash
# Every test: installs what the tests need (Fashion-MNIST, python3-torch, fonts), builds the solution in Release and runs the suite.
# scripts/test.sh --fast: only the fast unit tests (those without the Speed=slow trait), in about half a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
# The kernel refuses plugin folders others may write to: build and test with files only their owner writes.
umask 022
scripts/install-dataset.sh
scripts/install-test-tools.sh
dotnet build Bbn.Framework.sln -c Release -nologo -v:q
log=$(mktemp)
status=0
filter=()
[ "${1:-}" = "--fast" ] && filter=(--filter "Speed!=slow")
dotnet test Bbn.Framework.sln -c Release --no-build -nologo "${filter[@]}" 2>&1 | tee "$log" || status=$?
# One plain closing line for tools that read it: "N passed, N failed, N skipped".
sed -n 's/.*Failed: *\([0-9]*\), Passed: *\([0-9]*\), Skipped: *\([0-9]*\).*/\2 passed, \1 failed, \3 skipped/p' "$log" | tail -n 1
rm -f "$log"
exit "$status"
