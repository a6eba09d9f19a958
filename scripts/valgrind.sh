#!/usr/bin/env bash
# Runs every Check suite (build-valgrind/tests/test_*) under valgrind memcheck in a plain Debug
# build (no sanitizers), with CK_FORK=no so valgrind sees the test code itself; fails on any
# memcheck error or definite leak, and on any failing test. Logs: build-valgrind/valgrind-*.log.
# Usage: scripts/valgrind.sh [SUITE...]   (default: all; e.g. scripts/valgrind.sh reader judge)
# Cases that read the external HH-RLHF sample run as SUITE.hh_sample, skipped when it is absent.
# CAI_VALGRIND_SKIP="crash run" leaves suites out.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 2; }

echo "== build (Debug, no sanitizers)"
cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Debug -DCAI_SANITIZE=OFF -DCAI_WERROR=ON \
    -DCAI_FUZZ=OFF >/dev/null
cmake --build build-valgrind -j"$(nproc)"

if [ $# -gt 0 ]; then
    suites=("$@")
else
    suites=()
    for f in tests/test_*.c; do
        n=${f##*/test_}
        suites+=("${n%.c}")
    done
fi

export CK_FORK=no
# memcheck runs the suites many times slower: client timeouts that tests set short on purpose
# (to cut hangs) must not expire on answers the fake server has already given.
export CAI_TEST_TIME_SCALE=${CAI_TEST_TIME_SCALE:-20}
export CAI_TEST_TMP=$PWD/build-valgrind/tests/tmp
mkdir -p "$CAI_TEST_TMP"
failed=()
for s in "${suites[@]}"; do
    case " ${CAI_VALGRIND_SKIP:-} " in *" $s "*)
        echo "== $s: skipped (CAI_VALGRIND_SKIP)"
        continue
        ;;
    esac
    # a suite's "hh_sample" cases (they read the external HH-RLHF sample) run as a second pass,
    # as in ctest; it exits 77 when the sample is absent
    passes=("")
    grep -q 'tcase_set_tags(.*"hh_sample")' tests/test_"$s".c && passes+=(hh_sample)
    for pass in "${passes[@]}"; do
        name=$s${pass:+.$pass}
        log=build-valgrind/valgrind-$name.log
        start=$(date +%s)
        rc=0
        valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite --error-exitcode=99 --num-callers=30 --log-file="$log" \
            build-valgrind/tests/test_"$s" $pass >build-valgrind/valgrind-"$name".out 2>&1 || rc=$?
        took=$(($(date +%s) - start))
        if [ "$rc" -eq 77 ]; then
            echo "== $name: skipped ($(head -n 1 build-valgrind/valgrind-"$name".out))"
            continue
        fi
        summary=$(grep -E 'ERROR SUMMARY' "$log" | tail -n 1 | sed 's/^==[0-9]*== //')
        checks=$(grep -E '^[0-9]+%: Checks' build-valgrind/valgrind-"$name".out | tail -n 1 || true)
        echo "== $name: rc=$rc ${took}s; $checks; $summary"
        if [ "$rc" -ne 0 ]; then
            failed+=("$name")
            grep -E '^[^:]+:[0-9]+:[EF]:' build-valgrind/valgrind-"$name".out | head -n 20 || true
            grep -E -A12 '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|Source and|[0-9,]+ bytes in [0-9,]+ blocks are definitely)' \
                "$log" | head -n 80 || true
        fi
    done
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "valgrind.sh: FAILED: ${failed[*]} (see build-valgrind/valgrind-<suite>.log and .out)" >&2
    exit 1
fi
echo "valgrind.sh: ${#suites[@]} suites clean"
