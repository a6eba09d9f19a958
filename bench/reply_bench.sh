#!/bin/sh
# Allocations and CPU per judge reply read (cai_wire__parse_reply), per backend's reply shape.
# Usage: bench/reply_bench.sh [BUILD_DIR] [ITERATIONS]   (BUILD_DIR holds libcai.a; a Release
# build gives the CPU figures that mean something)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build-release}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -f "$build/libcai.a" ] || { echo "reply_bench: build first (cmake --build $build)" >&2; exit 2; }
# shellcheck disable=SC2046
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -I"$src/include" -I"$src/pipeline" \
    "$here/reply_bench.c" "$build/libcai.a" \
    $(pkg-config --libs libcjson libcurl zlib) -lcrypto -lm -lpthread -o "$tmp/reply_bench"
"$tmp/reply_bench" "${2:-200000}"
