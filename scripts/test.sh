#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks formatting, builds with warnings as
# errors under ASan+UBSan, and runs every suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
CAI_EXTRA_PACKAGES="clang-format ${CAI_EXTRA_PACKAGES:-}" scripts/setup.sh

echo "== clang-format"
git ls-files -- '*.c' '*.h' | xargs clang-format --dry-run --Werror

echo "== build (ASan + UBSan, -Werror)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCAI_SANITIZE=ON -DCAI_WERROR=ON >/dev/null
cmake --build build-asan -j"$(nproc)"

echo "== no mutable global state in the library"
globals=$(nm -f sysv build-asan/libcai.a 2>/dev/null | awk -F'|' '$7 ~ /\.(bss|data) *$/ && $1 !~ /^\.|asan|ubsan/' || true)
if [ -n "$globals" ]; then
    echo "mutable globals in libcai:"; echo "$globals"; exit 1
fi

echo "== tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest --output-on-failure -j"$(nproc)" "$@"
