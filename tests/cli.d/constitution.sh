# shellcheck shell=bash
# `cai constitution`: lint and show exit codes and messages (sourced by tests/cli.sh).
cdata="$SRC/tests/data/constitution"
cerr=$(mktemp)

"$CAI" constitution lint "$SRC"/constitution/*.json >/dev/null 2>"$cerr"
check "constitution lint shipped files" 0 $?
[ ! -s "$cerr" ]; check "constitution lint shipped files: no warnings" 0 $?

"$CAI" constitution lint "$cdata/bad_weight_zero.json" >/dev/null 2>"$cerr"
check "constitution lint broken file" 2 $?
grep -qxF "cai: $cdata/bad_weight_zero.json: principles[3].weight: must be > 0" "$cerr"
check "constitution lint broken file: FILE: key: reason" 0 $?

# every file is checked: a good one after a broken one does not hide it, two broken both reported
"$CAI" constitution lint "$cdata/bad_tags.json" "$SRC/constitution/hhh.json" \
    "$cdata/bad_json.json" >/dev/null 2>"$cerr"
check "constitution lint mixed files" 2 $?
[ "$(grep -c '^cai: ' "$cerr")" = 2 ]; check "constitution lint mixed files: two errors" 0 $?
grep -qxF "cai: $cdata/bad_json.json:1:14: invalid JSON" "$cerr"
check "constitution lint invalid JSON at FILE:LINE:COL" 0 $?
"$CAI" constitution lint "$cdata/bad_json_multiline.json" >/dev/null 2>"$cerr"
grep -qxF "cai: $cdata/bad_json_multiline.json:4:33: invalid JSON" "$cerr"
check "constitution lint invalid JSON: line and column, not a byte offset" 0 $?

# success says so, on stdout, with the number of principles
"$CAI" constitution lint "$SRC/constitution/hhh.json" "$cdata/good_child.json" >"$cerr"
check "constitution lint good files" 0 $?
n=$("$CAI" constitution show --json "$SRC/constitution/hhh.json" | grep -o '"id":' | wc -l)
grep -qxF "$SRC/constitution/hhh.json: ok ($n principles)" "$cerr"
check "constitution lint says ok with the principle count" 0 $?
grep -qE "^$cdata/good_child.json: ok \([0-9]+ principles?\)$" "$cerr"
check "constitution lint says ok for each file" 0 $?

"$CAI" constitution lint "$cdata/bad_missing_parent.json" >/dev/null 2>"$cerr"
check "constitution lint missing parent" 2 $?
grep -qF "bad_missing_parent.json: extends: cannot open no-such-parent.json: No such file or directory" "$cerr"
check "constitution lint missing parent message" 0 $?

"$CAI" constitution lint "$cdata/no-such.json" >/dev/null 2>&1
check "constitution lint unreadable file" 2 $?

# warnings: exit 0 by default, 1 with --strict
"$CAI" constitution lint "$cdata/good_list.json" >/dev/null 2>"$cerr"
check "constitution lint warnings only" 0 $?
grep -qxF "cai: warning: $cdata/good_list.json: name: not set" "$cerr"
check "constitution lint prints warnings" 0 $?
"$CAI" constitution lint --strict "$cdata/good_list.json" >/dev/null 2>&1
check "constitution lint --strict with warnings" 1 $?
"$CAI" constitution lint --strict "$SRC/constitution/hhh.json" >/dev/null 2>&1
check "constitution lint --strict clean" 0 $?

"$CAI" constitution show "$SRC/constitution/customer-support.json" >"$cerr" 2>/dev/null
check "constitution show" 0 $?
grep -q '^name: *customer-support$' "$cerr"; check "constitution show name" 0 $?
grep -q '^hash: *[0-9a-f]\{64\}$' "$cerr"; check "constitution show hash" 0 $?
grep -q "^help-clear .*from $SRC/constitution/customer-support.json\$" "$cerr"
check "constitution show override origin" 0 $?
"$CAI" constitution show --json "$SRC/constitution/hhh.json" >"$cerr"
check "constitution show --json" 0 $?
head -c 30 "$cerr" | grep -qF '{"name":"hhh","version":'; check "constitution show --json body" 0 $?
"$CAI" constitution show "$cdata/bad_cycle_a.json" >/dev/null 2>&1
check "constitution show broken file" 2 $?

"$CAI" constitution --help >/dev/null; check "constitution --help" 0 $?
"$CAI" constitution lint --help >/dev/null; check "constitution lint --help" 0 $?
"$CAI" constitution show --help >/dev/null; check "constitution show --help" 0 $?
"$CAI" help constitution >/dev/null; check "help constitution" 0 $?
"$CAI" constitution >/dev/null 2>&1; check "constitution without subcommand" 2 $?
"$CAI" constitution frob >/dev/null 2>&1; check "constitution unknown subcommand" 2 $?
"$CAI" constitution lint >/dev/null 2>&1; check "constitution lint without FILE" 2 $?
"$CAI" constitution lint --bogus x >/dev/null 2>&1; check "constitution lint unknown option" 2 $?
"$CAI" constitution show a b >/dev/null 2>&1; check "constitution show two files" 2 $?

rm -f "$cerr"
