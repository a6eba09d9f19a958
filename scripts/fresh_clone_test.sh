#!/usr/bin/env bash
# Proves that a clone of this repository alone builds and passes its tests: clones the committed
# HEAD into a temporary directory (no ../shared sibling beside it, CAI_HH_SAMPLE unset), runs
# scripts/quickstart.sh there, builds the tests in the same plain Release build and runs every
# ctest suite. They must pass, and the entries that need the external HH-RLHF sample (label
# hh_sample) must report SKIPPED: not failed, not passed. CI runs it after scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-hardlinks "$PWD" "$tmp/cai"
cd "$tmp/cai"
unset CAI_HH_SAMPLE
if [ -e ../shared ]; then
    echo "fresh_clone_test.sh: $tmp/shared exists" >&2
    exit 1
fi

echo "== fresh clone: scripts/quickstart.sh"
scripts/quickstart.sh --quiet
test -s datasets/out/quickstart/manifest.json

echo "== fresh clone: ctest (Release build, no HH-RLHF sample)"
cmake --build build-release -j"$(nproc)" >/dev/null
(cd build-release && ctest --output-on-failure -j"$(nproc)") | tee "$tmp/ctest.log"
want=$(cd build-release && ctest -N -L hh_sample | sed -n 's/^ *Test *#[0-9]*: //p' | sort)
got=$(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (Skipped)$/\1/p' "$tmp/ctest.log" | sort)
if [ -z "$want" ] || [ "$want" != "$got" ]; then
    echo "fresh_clone_test.sh: expected exactly these entries skipped:" $want >&2
    echo "fresh_clone_test.sh: skipped were:" $got >&2
    exit 1
fi
echo "fresh_clone_test.sh: passed; skipped without the HH-RLHF sample:" $want
