#!/usr/bin/env bash
# Command-line contract tests: exit codes and messages of the real cai binary.
# usage: tests/cli.sh PATH/TO/cai SOURCE_DIR                      (tests/cli.d/*.sh)
#        tests/cli.sh PATH/TO/cai SOURCE_DIR hh_sample HH_SAMPLE    (tests/cli.d/hh_sample/*.sh)
# The second form runs only the tests that read the HH-RLHF sample, which is not part of the
# repository ($CAI_HH_SAMPLE overrides the path); it exits 77 (skipped) when the file is absent.
set -u
CAI=$1
SRC=$2
parts="$SRC/tests/cli.d"
if [ "${3:-}" = hh_sample ]; then
    HH_SAMPLE=${CAI_HH_SAMPLE:-$4}
    if [ ! -r "$HH_SAMPLE" ]; then
        echo "skipped: no HH-RLHF sample at $HH_SAMPLE (set CAI_HH_SAMPLE=PATH to run these tests)"
        exit 77
    fi
    parts="$SRC/tests/cli.d/hh_sample"
fi
pass=0
fail=0

check() { # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" = "$3" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $1: expected exit $2, got $3"
    fi
}

"$CAI" --version >/dev/null; check "--version" 0 $?
"$CAI" --help >/dev/null; check "--help" 0 $?
"$CAI" >/dev/null 2>&1; check "no command" 2 $?
"$CAI" no-such-command >/dev/null 2>&1; check "unknown command" 2 $?
"$CAI" --bogus >/dev/null 2>&1; check "unknown global option" 2 $?
"$CAI" --version | grep -q '^cai [0-9]'; check "--version format" 0 $?

# start_fake DIR [ARGS...]: starts the fake judge server (tests/fake_judge_main.c) with its
# port file in DIR and waits until it listens; sets FAKE_PID and FAKE_PORT. stop_fake ends it.
start_fake() {
    local dir=$1
    shift
    rm -f "$dir/port"
    "$(dirname "$CAI")/tests/cai-fake-judge" --port-file "$dir/port" "$@" >"$dir/fake.out" 2>&1 &
    FAKE_PID=$!
    # the file appears (renamed into place) once the socket listens; give up after 10 s
    for _ in $(seq 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
    FAKE_PORT=$(cat "$dir/port")
}
stop_fake() { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; }

for f in "$parts"/*.sh; do
    [ -e "$f" ] || continue
    # shellcheck source=/dev/null
    . "$f"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
