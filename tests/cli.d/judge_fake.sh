# `cai judge` against the fake judge server, once per HTTP backend: the request, the raw reply,
# the verdict and P(A). Also bad input paths for `cai run`. Sourced by tests/cli.sh.
JF_TMP=$(mktemp -d)
start_fake "$JF_TMP"
JF_ROOT="http://127.0.0.1:$FAKE_PORT"
JF_PAIR=(--prompt "How do I boil an egg?" --response-a "Simmer it for nine minutes, then cool it."
    --response-b "No.")

for backend in openai completions anthropic; do
    base="$JF_ROOT/v1"
    [ "$backend" = anthropic ] && base="$JF_ROOT"
    ANTHROPIC_API_KEY=test-key "$CAI" judge --judge "$backend" --model fake --base-url "$base" \
        -c "$SRC/constitution/hhh.json" "${JF_PAIR[@]}" --swap >"$JF_TMP/$backend.out" 2>&1
    check "judge $backend against the fake server" 0 $?
    grep -q '^P(A): [01]\.[0-9]*' "$JF_TMP/$backend.out"; check "judge $backend prints P(A)" 0 $?
    grep -q '^verdict: [AB]' "$JF_TMP/$backend.out"; check "judge $backend prints a verdict" 0 $?
done
grep -q 'top_logprobs' "$JF_TMP/openai.out"; check "openai reply shows log-probs" 0 $?
stop_fake

mkdir -p "$JF_TMP/adir"
"$CAI" run -i "$JF_TMP/adir" -c "$SRC/constitution/hhh.json" -o "$JF_TMP/o1" 2>"$JF_TMP/err"
check "run with a directory as input" 2 $?
grep -q "adir" "$JF_TMP/err"; check "the directory is named" 0 $?
: >"$JF_TMP/empty.jsonl"
"$CAI" run -i "$JF_TMP/empty.jsonl" -c "$SRC/constitution/hhh.json" -o "$JF_TMP/o2" -q 2>/dev/null
check "run on an empty file is an input error" 2 $?
[ ! -e "$JF_TMP/o2" ]; check "an empty input creates no output directory" 0 $?
# records that are all unjudgeable (identical responses) make a dataset of 0 records: it fails
printf '{"prompt":"p","response_a":"same","response_b":"same"}\n' >"$JF_TMP/same.jsonl"
"$CAI" run -i "$JF_TMP/same.jsonl" -c "$SRC/constitution/hhh.json" -o "$JF_TMP/o4" -q 2>"$JF_TMP/err"
check "run with only unjudgeable pairs writes its (empty) dataset but fails: 0 records never pass" 1 $?
grep -q "no_records" "$JF_TMP/err"; check "the 0-records error is named" 0 $?
[ -e "$JF_TMP/o4/manifest.json" ]; check "the empty dataset's manifest is still written" 0 $?
"$CAI" run -i "$SRC/datasets/samples/pairs.jsonl" -c "$JF_TMP/adir" -o "$JF_TMP/o3" 2>"$JF_TMP/err"
check "run with a directory as constitution" 2 $?
[ ! -e "$JF_TMP/o1/manifest.json" ] && [ ! -e "$JF_TMP/o3/manifest.json" ]
check "nothing final written for bad inputs" 0 $?
rm -rf "$JF_TMP"
