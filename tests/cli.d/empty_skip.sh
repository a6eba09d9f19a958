# Empty input is an error; --skip-invalid counts, lists and records every skipped line, and an
# input with no valid line at all is an error, not an empty dataset. Sourced by tests/cli.sh.
ES_TMP=$(mktemp -d)
ES_HHH="$SRC/constitution/hhh.json"

: >"$ES_TMP/empty.jsonl"
printf '\n  \n\n' >"$ES_TMP/blank.jsonl"
for f in empty blank; do
    "$CAI" run -i "$ES_TMP/$f.jsonl" -c "$ES_HHH" -o "$ES_TMP/out-$f" --quiet 2>"$ES_TMP/err"
    check "$f input: exit 2" 2 $?
    [ "$(cat "$ES_TMP/err")" = "cai: $ES_TMP/$f.jsonl: empty input (no records)" ]
    check "$f input: named" 0 $?
    [ ! -e "$ES_TMP/out-$f" ]; check "$f input: no output directory" 0 $?
done
# an empty file among good ones is still refused
"$CAI" run -i "$SRC/datasets/samples/pairs.jsonl" -i "$ES_TMP/empty.jsonl" -c "$ES_HHH" \
    -o "$ES_TMP/out-mixed" --quiet 2>/dev/null
check "empty second input: exit 2" 2 $?

# 26 bad lines among 9 good ones: the summary counts them and lists the first 20, and
# failed.jsonl.gz holds every one with its file, line and reason
# (the good lines are the bundled sample's, so that the built-in judge finds real preferences)
exec 3<"$SRC/datasets/samples/pairs.jsonl"
for i in $(seq 1 35); do
    if [ $((i % 7)) -eq 0 ] || [ "$i" -gt 30 ]; then
        IFS= read -r good <&3
        printf '%s\n' "$good"
    else
        printf '{"id":"b%s","prompt":"p%s","response_a":%s,"response_b":"x"}\n' "$i" "$i" "$i"
    fi
done >"$ES_TMP/mixed.jsonl"
exec 3<&-
"$CAI" run -i "$ES_TMP/mixed.jsonl" -c "$ES_HHH" -o "$ES_TMP/out-skip" --skip-invalid 2>"$ES_TMP/err"
check "skip-invalid run" 0 $?
grep -q "skipped input lines: 26 " "$ES_TMP/err"; check "skipped lines counted in the summary" 0 $?
grep -qxF "    $ES_TMP/mixed.jsonl:1: \"response_a\" must be a string" "$ES_TMP/err"
check "skipped line listed as FILE:LINE: reason" 0 $?
[ "$(grep -c "^    $ES_TMP/mixed.jsonl:" "$ES_TMP/err")" = 20 ]; check "first 20 listed" 0 $?
grep -qxF "    ... and 6 more" "$ES_TMP/err"; check "the rest counted" 0 $?
[ "$(gzip -dc "$ES_TMP/out-skip/failed.jsonl.gz" | grep -c '"reason":"\\"response_a\\" must be a string"')" = 26 ]
check "every skipped line in failed.jsonl.gz" 0 $?
gzip -dc "$ES_TMP/out-skip/failed.jsonl.gz" |
    grep -qF "{\"id\":null,\"file\":\"$ES_TMP/mixed.jsonl\",\"line\":30,"
check "failed.jsonl.gz names file and line" 0 $?
grep -Eq '"skipped_input_lines":[[:space:]]*26' "$ES_TMP/out-skip/manifest.json"
check "manifest counts skipped lines" 0 $?

# nothing valid at all: an error naming the first reason, no dataset
printf '{bad\n{"prompt":1}\n' >"$ES_TMP/allbad.jsonl"
"$CAI" run -i "$ES_TMP/allbad.jsonl" -c "$ES_HHH" -o "$ES_TMP/out-allbad" --skip-invalid \
    --quiet 2>"$ES_TMP/err"
check "all lines skipped: exit 2" 2 $?
grep -qF "cai: no valid input: all 2 non-blank lines were skipped as invalid (the first: $ES_TMP/allbad.jsonl:1: " "$ES_TMP/err"
check "all lines skipped: says so" 0 $?
[ ! -e "$ES_TMP/out-allbad" ]; check "all lines skipped: no output directory" 0 $?
rm -rf "$ES_TMP"
