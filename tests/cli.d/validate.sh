# `cai validate` and `cai stats` through the binary: exit codes 0/1/2, --json, --strict, --svg.
# (Their runs on the HH-RLHF sample are in tests/cli.d/hh_sample/validate.sh.)
# Sourced by tests/cli.sh.
VALIDATE_TMP=$(mktemp -d)
VDATA="$SRC/tests/data/validate"

"$CAI" validate --help | grep -q -- "--strict"; check "validate --help lists options" 0 $?
"$CAI" validate "$VDATA/trl_good.jsonl" >"$VALIDATE_TMP/out"; check "validate a clean file" 0 $?
tail -n 1 "$VALIDATE_TMP/out" | grep -q '^verdict: PASS: no findings in 6 records$'
check "clean file verdict line" 0 $?
"$CAI" validate "$VDATA/trl_defects.jsonl" >"$VALIDATE_TMP/out"; check "validate a defective file" 1 $?
grep -q 'trl_defects.jsonl:7: error \[empty_chosen\]' "$VALIDATE_TMP/out"
check "finding named FILE:LINE" 0 $?
tail -n 1 "$VALIDATE_TMP/out" | grep -q '^verdict: FAIL: 16 errors'; check "defective verdict line" 0 $?
"$CAI" validate --json "$VDATA/trl_defects.jsonl" >"$VALIDATE_TMP/out"; check "validate --json" 1 $?
[ "$(wc -l <"$VALIDATE_TMP/out")" -eq 1 ] && grep -q '"verdict":"fail"' "$VALIDATE_TMP/out" &&
    grep -q '"kind":"json","file":"[^"]*trl_defects.jsonl","line":2' "$VALIDATE_TMP/out"
check "validate --json is one object with findings" 0 $?

# Warnings alone pass, unless --strict.
"$CAI" validate "$VDATA/duplicates.jsonl" >/dev/null; check "warnings only" 0 $?
"$CAI" validate --strict "$VDATA/duplicates.jsonl" >/dev/null; check "warnings with --strict" 1 $?
"$CAI" validate "$VDATA/leak" >/dev/null; check "leakage between splits" 1 $?
"$CAI" validate --format hh "$VDATA/hh_defects.jsonl" >"$VALIDATE_TMP/out"; check "HH file with defects" 1 $?
grep -q 'hh_defects.jsonl:5: error \[empty_chosen\]' "$VALIDATE_TMP/out" &&
    grep -q 'hh_defects.jsonl:7: warning \[roles_not_alternating\]' "$VALIDATE_TMP/out"
check "HH defects named FILE:LINE" 0 $?

# A flipped byte in a gzip shard.
printf '{"prompt":"q","chosen":"a","rejected":"b"}\n' | gzip -n >"$VALIDATE_TMP/d.jsonl.gz"
"$CAI" validate "$VALIDATE_TMP/d.jsonl.gz" >/dev/null; check "intact gzip" 0 $?
size=$(wc -c <"$VALIDATE_TMP/d.jsonl.gz")
printf '\xff' | dd of="$VALIDATE_TMP/d.jsonl.gz" bs=1 seek=$((size - 7)) conv=notrunc 2>/dev/null
"$CAI" validate "$VALIDATE_TMP/d.jsonl.gz" >"$VALIDATE_TMP/out"; check "flipped gzip byte" 1 $?
grep -q 'error \[gzip\]' "$VALIDATE_TMP/out"; check "flipped gzip byte reported as gzip" 0 $?

# Usage and input errors.
"$CAI" validate >/dev/null 2>&1; check "validate without PATH" 2 $?
"$CAI" validate --bogus "$VDATA/trl_good.jsonl" >/dev/null 2>&1; check "validate bad option" 2 $?
"$CAI" validate --format yaml "$VDATA/trl_good.jsonl" >/dev/null 2>&1; check "validate bad format" 2 $?
"$CAI" validate --max-examples x "$VDATA/trl_good.jsonl" >/dev/null 2>&1
check "validate bad number" 2 $?
"$CAI" validate "$VALIDATE_TMP/missing.jsonl" 2>"$VALIDATE_TMP/err" >/dev/null
check "validate a missing file" 2 $?
grep -q "missing.jsonl" "$VALIDATE_TMP/err"; check "missing file is named" 0 $?
mkdir "$VALIDATE_TMP/empty"
"$CAI" validate "$VALIDATE_TMP/empty" >/dev/null 2>&1; check "validate a folder without data" 2 $?

# A dataset written by `cai run` passes its own validation.
if [ -f "$SRC/datasets/samples/hh-style.jsonl" ] && [ -f "$SRC/constitution/hhh.json" ]; then
    "$CAI" run -i "$SRC/datasets/samples/hh-style.jsonl" -c "$SRC/constitution/hhh.json" \
        -o "$VALIDATE_TMP/run" --quiet >/dev/null 2>&1
    "$CAI" validate "$VALIDATE_TMP/run" >"$VALIDATE_TMP/out"; check "cai run output validates" 0 $?
    grep -q '^verdict: PASS' "$VALIDATE_TMP/out"; check "cai run output verdict" 0 $?
fi

# stats
"$CAI" stats --help | grep -q -- "--svg"; check "stats --help lists options" 0 $?
# the bundled HH transcripts; expected values computed independently with Python (json.loads,
# final reply after the last "\n\nAssistant:" less one space, lengths in code points)
"$CAI" stats "$SRC/datasets/samples/hh-style.jsonl" >"$VALIDATE_TMP/out"; check "stats on HH transcripts" 0 $?
grep -q '^  chosen  *20  *151  *253  *305  *336  *252.8$' "$VALIDATE_TMP/out" &&
    grep -q '^  rejected  *20  *41  *88  *291  *424  *147.7$' "$VALIDATE_TMP/out" &&
    grep -q 'longer response in 85.0% of 20 pairs (binomial p = 0.0026)' "$VALIDATE_TMP/out"
check "stats of HH transcripts: reply lengths and length bias" 0 $?
"$CAI" stats --json --svg "$VALIDATE_TMP/s.svg" "$VDATA/trl_good.jsonl" >"$VALIDATE_TMP/out"
check "stats --json --svg" 0 $?
grep -q '"splits":\[' "$VALIDATE_TMP/out"; check "stats --json has splits" 0 $?
head -c 5 "$VALIDATE_TMP/s.svg" | grep -q '<?xml' && tail -n 1 "$VALIDATE_TMP/s.svg" | grep -q '</svg>'
check "stats --svg writes a whole SVG document" 0 $?
"$CAI" stats "$VALIDATE_TMP/missing.jsonl" >/dev/null 2>&1; check "stats a missing file" 2 $?
"$CAI" stats >/dev/null 2>&1; check "stats without PATH" 2 $?
"$CAI" stats --svg "$VALIDATE_TMP/no/such/dir/s.svg" "$VDATA/trl_good.jsonl" >/dev/null 2>&1
check "stats --svg to an unwritable path" 2 $?

rm -rf "$VALIDATE_TMP"
