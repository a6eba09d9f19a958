#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan+UBSan) in build-fuzz and runs each for
# SECONDS_PER_TARGET seconds (default 10) over a scratch copy of its seed corpus; fails when any
# target crashes, leaks, hangs or trips a sanitizer. Crash inputs are kept in build-fuzz/crashes/.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (targets: reader, wire, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
case $secs in '' | *[!0-9]*)
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
    ;;
esac
command -v clang >/dev/null || { echo "fuzz.sh: clang not found (apt-get install clang libclang-rt-dev)" >&2; exit 2; }

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in tests/fuzz/fuzz_*.c; do
        n=${f##*/fuzz_}
        targets+=("${n%.c}")
    done
fi

echo "== build (clang, libFuzzer, ASan + UBSan)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCAI_FUZZ=ON -DCAI_TESTS=OFF \
    -DCAI_WERROR=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Scratch files of the file-based targets go to RAM when it is there.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi
mkdir -p build-fuzz/crashes
failed=()
for t in "${targets[@]}"; do
    seeds=tests/fuzz/corpus/$t
    work=build-fuzz/corpus/$t
    [ -d "$seeds" ] || { echo "fuzz.sh: no corpus $seeds" >&2; exit 2; }
    rm -rf "$work"
    mkdir -p "$work"
    cp "$seeds"/* "$work"/
    echo "== fuzz_$t: ${secs}s"
    # stdin is /dev/null: an input naming /dev/stdin (say, as a constitution's parent) must not
    # block the run. -timeout catches hangs, -rss_limit_mb unbounded growth.
    if ! build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/"$t"- \
        "$work" </dev/null >build-fuzz/fuzz_"$t".log 2>&1; then
        tail -n 60 build-fuzz/fuzz_"$t".log
        failed+=("$t")
    else
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|cov:' build-fuzz/fuzz_"$t".log |
            tail -n 3
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (inputs in build-fuzz/crashes/, logs in build-fuzz/fuzz_*.log)" >&2
    exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran ${secs}s without a crash"
