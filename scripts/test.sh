#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks formatting, builds with warnings as
# errors under ASan+UBSan, runs every suite with ctest, then a libFuzzer smoke of every fuzz
# target (scripts/fuzz.sh) and every Check suite under valgrind memcheck (scripts/valgrind.sh).
# Between ctest and the fuzzers, scripts/install_check.sh installs a release build into a
# temporary prefix and builds examples/embed.c and a C++ program against it.
# Arguments go to ctest (e.g. -R judge). CAI_TEST_FAST=1 stops after ctest, for quick local runs.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="clang-format"
[ -n "${CAI_TEST_FAST:-}" ] || extra="$extra clang libclang-rt-14-dev valgrind"
CAI_EXTRA_PACKAGES="$extra ${CAI_EXTRA_PACKAGES:-}" scripts/setup.sh

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
(cd build-asan && ctest --output-on-failure -j"$(nproc)" "$@")

[ -z "${CAI_TEST_FAST:-}" ] || exit 0
echo "== install check (embed.c via pkg-config, C++ headers against libcai.a and libcai.so)"
scripts/install_check.sh
echo "== fuzz smoke (libFuzzer, a fixed 100,000 inputs per target, about a minute)"
# Reproducible: the same inputs on every run, whatever the machine's speed. Exploring (new
# inputs each time) is `scripts/fuzz.sh SECONDS`.
FUZZ_RUNS=100000 FUZZ_SEED=1 scripts/fuzz.sh
echo "== valgrind memcheck"
scripts/valgrind.sh
