#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan+UBSan) in build-fuzz and runs each for
# SECONDS_PER_TARGET seconds (default 10) over a scratch copy of its seed corpus; fails when any
# target crashes, leaks, hangs or trips a sanitizer. Crash inputs are kept in build-fuzz/crashes/.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (targets: reader, wire, ...)
#        FUZZ_RUNS=N FUZZ_SEED=S scripts/fuzz.sh [TARGET...]
# The first form explores: a fresh random seed each time, so it can find something new. The
# second is reproducible: N inputs from seed S, with address-space randomisation off where the
# kernel allows it, the same inputs on every run whatever the machine's speed (scripts/test.sh
# uses it, so that a new finding cannot fail an unrelated change). See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() {
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
    echo "       FUZZ_RUNS=N FUZZ_SEED=S scripts/fuzz.sh [TARGET...]" >&2
    exit 2
}
is_count() { case $1 in '' | *[!0-9]*) return 1 ;; esac }
norand=()
if [ -n "${FUZZ_RUNS:-}" ]; then
    is_count "$FUZZ_RUNS" && is_count "${FUZZ_SEED:-}" || usage
    # Address-space randomisation reaches libFuzzer through the compared values it records (as
    # pointers and their derived values); without it the run is the same run everywhere.
    budget=(-runs="$FUZZ_RUNS" -seed="$FUZZ_SEED" -reload=0)
    what="$FUZZ_RUNS inputs from seed $FUZZ_SEED"
    if setarch -R true 2>/dev/null; then
        norand=(setarch -R)
    else
        what="$what (setarch -R not allowed here: runs may differ slightly)"
    fi
else
    secs=${1:-10}
    shift || true
    is_count "$secs" || usage
    budget=(-max_total_time="$secs")
    what="${secs}s"
fi
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
    echo "== fuzz_$t: $what"
    # stdin is /dev/null: an input naming /dev/stdin (say, as a constitution's parent) must not
    # block the run. -timeout catches hangs, -rss_limit_mb unbounded growth.
    if ! ${norand[@]+"${norand[@]}"} build-fuzz/tests/fuzz/fuzz_"$t" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
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
echo "fuzz.sh: all ${#targets[@]} targets ran $what without a crash"
