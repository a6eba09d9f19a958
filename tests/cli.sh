#!/usr/bin/env bash
# Command-line contract tests: exit codes and messages of the real cai binary.
# usage: tests/cli.sh PATH/TO/cai SOURCE_DIR
set -u
CAI=$1
SRC=$2
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

for f in "$SRC"/tests/cli.d/*.sh; do
    [ -e "$f" ] || continue
    # shellcheck source=/dev/null
    . "$f"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
