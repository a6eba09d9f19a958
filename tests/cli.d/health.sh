# Judge health through the CLI: a judge that always picks the first-shown response fails the run
# (exit 1) and cai validate, unless accepted on purpose; a consistent judge gives "validation:
# clean"; cai stats reports the shown position.
HL_TMP=$(mktemp -d)
# The prompt ends with a newline, so prompt + response is not `glued` (a warning).
for i in $(seq 0 199); do
    printf '{"id":"u%d","prompt":"What is item %d about?\\n","response_a":"Item %d is about topic %d.","response_b":"It covers subject %d, in short."}\n' \
        "$i" "$i" "$i" $((i * 7)) $((i * 13))
done >"$HL_TMP/pairs.jsonl"
hl_run() { # hl_run KIND OUT [ARGS...]
    local kind=$1 out=$2
    shift 2
    start_fake "$HL_TMP" --judge "$kind"
    OPENAI_API_KEY=k "$CAI" run -i "$HL_TMP/pairs.jsonl" -c "$SRC/constitution/hhh.json" -o "$out" \
        --judge openai --model m --base-url "http://127.0.0.1:$FAKE_PORT/v1" "$@" 2>"$HL_TMP/err"
    HL_RC=$?
    stop_fake
}

hl_run first "$HL_TMP/first"
check "run against an always-first judge exits 1" 1 "$HL_RC"
grep -q "first-shown response in 100.0% of 400 judgments" "$HL_TMP/err"
check "the position-bias error says what it means" 0 $?
grep -q "judge_position_bias" "$HL_TMP/err"; check "the error names its code" 0 $?
grep -q "validation: clean" "$HL_TMP/err"; check "no 'validation: clean' with findings" 1 $?
"$CAI" validate "$HL_TMP/first" >"$HL_TMP/vout" 2>&1
check "validate on the always-first output exits 1" 1 $?
grep -q "error \[judge_position_bias\]" "$HL_TMP/vout"; check "validate names the bias" 0 $?

hl_run first "$HL_TMP/first2" --accept-unhealthy-judge
check "--accept-unhealthy-judge accepts health errors on purpose" 0 "$HL_RC"
grep -q "accepted (--accept-unhealthy-judge)" "$HL_TMP/err"; check "acceptance is said" 0 $?

hl_run coin "$HL_TMP/coin"
check "a coin-flip judge only warns" 0 "$HL_RC"
grep -q "warning \[judge_order_consistency\]" "$HL_TMP/err"; check "order-consistency warning" 0 $?
grep -q "validation: clean" "$HL_TMP/err"; check "warnings are not clean" 1 $?
hl_run coin "$HL_TMP/coin2" --strict
check "run --strict fails on the warning" 1 "$HL_RC"
"$CAI" validate --strict "$HL_TMP/coin" >/dev/null 2>&1
check "validate --strict fails on the warning" 1 $?

hl_run consistent "$HL_TMP/cons"
check "a consistent judge passes" 0 "$HL_RC"
grep -q "validation: clean" "$HL_TMP/err"; check "consistent judge: validation: clean" 0 $?
"$CAI" validate "$HL_TMP/cons" >/dev/null 2>&1; check "validate passes the consistent output" 0 $?
hl_run consistent "$HL_TMP/cons2" --strict
check "run --strict passes a clean run" 0 "$HL_RC"
"$CAI" stats "$HL_TMP/cons" >"$HL_TMP/sout" 2>&1
grep -q "first-shown response wins" "$HL_TMP/sout"; check "stats reports the shown position" 0 $?
"$CAI" stats --json "$HL_TMP/cons" | grep -q '"shown_position":{"n":400'
check "stats --json counts every judgment by shown position" 0 $?

: >"$HL_TMP/empty.jsonl"
"$CAI" validate "$HL_TMP/empty.jsonl" >"$HL_TMP/vout" 2>&1
check "validate: a dataset of 0 records never passes" 1 $?
grep -q "no_records" "$HL_TMP/vout"; check "the 0-records error is named" 0 $?
rm -rf "$HL_TMP"
