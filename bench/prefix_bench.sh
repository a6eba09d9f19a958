#!/bin/sh
# Prefix caching (issue 16): the share of each judge request that repeats the previous request's
# leading bytes, for every backend's body, on the sample pairs with a few-shot constitution.
# Ratios only, measured in this run. Usage: bench/prefix_bench.sh [BUILD_DIR] [CONSTITUTION] [INPUT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build-dev}
cons=${2:-$here/data/fewshot.json}
input=${3:-$src/datasets/samples/pairs.jsonl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -f "$build/libcai.a" ] || { echo "prefix_bench: build first (cmake --build $build)" >&2; exit 2; }
# shellcheck disable=SC2046
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -I"$src/include" -I"$src/pipeline" \
    "$here/prefix_bench.c" "$build/libcai.a" \
    $(pkg-config --libs libcjson libcurl zlib) -lcrypto -lm -o "$tmp/prefix_bench"
rc=0
for b in openai anthropic completions; do
    "$tmp/prefix_bench" "$cons" "$input" "$b" || rc=1
done
exit $rc
