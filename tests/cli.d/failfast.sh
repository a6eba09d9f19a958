# `cai run` failing fast and stopping on purpose: a judge that is not there, no key for a public
# endpoint, the spending cap, and Ctrl-C twice. Sourced by tests/cli.sh.
FF_TMP=$(mktemp -d)
FF_IN="$SRC/datasets/samples/pairs.jsonl"
FF_C="$SRC/constitution/hhh.json"

env -u OPENAI_API_KEY "$CAI" run -j openai -m gpt-4o-mini -i "$FF_IN" -c "$FF_C" \
    -o "$FF_TMP/nokey" -q 2>"$FF_TMP/err"
check "run: no API key for the public endpoint" 2 $?
grep -q "no API key" "$FF_TMP/err"; check "run: says no key is set" 0 $?
[ ! -e "$FF_TMP/nokey" ]; check "run: nothing created without a key" 0 $?

"$CAI" run -j openai -m m --base-url http://127.0.0.1:1/v1 -i "$FF_IN" -c "$FF_C" \
    -o "$FF_TMP/refused" -q 2>"$FF_TMP/err"
check "run: a judge refusing connections is exit 3" 3 $?
grep -q "before any reply" "$FF_TMP/err"; check "run: says the judge never answered" 0 $?

"$CAI" run -i "$FF_IN" -c "$FF_C" -o "$FF_TMP/noprice" --max-cost 1 2>"$FF_TMP/err"
check "run: --max-cost without prices" 2 $?
grep -q "needs --price-input" "$FF_TMP/err"; check "run: says the cap needs prices" 0 $?
"$CAI" run --help | grep -q -- "--max-cost USD"; check "run --help lists --max-cost" 0 $?
"$CAI" run --help | grep -q -- "--judge-down-timeout"; check "run --help lists the breaker" 0 $?
"$CAI" --help | grep -q "^  4 "; check "--help lists exit code 4" 0 $?

start_fake "$FF_TMP"
FF_JUDGE=(-j openai -m fake --base-url "http://127.0.0.1:$FAKE_PORT/v1" -i "$FF_IN" -c "$FF_C"
    --limit 40 --price-input 1000 --price-output 1000 -q)
"$CAI" run "${FF_JUDGE[@]}" -o "$FF_TMP/capped" --max-cost 3 2>"$FF_TMP/err"
check "run: stopped at the spending cap is exit 4" 4 $?
grep -q "higher --max-cost" "$FF_TMP/err"; check "run: says how to continue" 0 $?
[ ! -e "$FF_TMP/capped/manifest.json" ]; check "run: nothing final at the cap" 0 $?
"$CAI" run "${FF_JUDGE[@]}" -o "$FF_TMP/capped" --max-cost 1000
check "run: a higher cap finishes" 0 $?
"$CAI" run "${FF_JUDGE[@]}" -o "$FF_TMP/uncapped"
check "run: uncapped reference" 0 $?
cmp -s "$FF_TMP/capped/data/train-00000-of-00001.jsonl.gz" \
    "$FF_TMP/uncapped/data/train-00000-of-00001.jsonl.gz"
check "run: capped and resumed equals uncapped" 0 $?
stop_fake

# Ctrl-C twice against a judge that never answers: exit 130 with the resume hint (which the
# judge's own message used to hide). Two signals sent back to back may merge into one, which
# then ends the run after the grace; the second stop itself is tested in test_judge/test_run.
start_fake "$FF_TMP" --always hang
"$CAI" run -j openai -m fake --base-url "http://127.0.0.1:$FAKE_PORT/v1" -i "$FF_IN" -c "$FF_C" \
    -o "$FF_TMP/int" --timeout 600 -q 2>"$FF_TMP/err" &
FF_PID=$!
for _ in $(seq 200); do [ -s "$FF_TMP/int/journal.cai" ] && break; sleep 0.05; done
kill -INT "$FF_PID"
kill -INT "$FF_PID"
wait "$FF_PID"
check "run: Ctrl-C twice is exit 130" 130 $?
grep -q "run the same command to resume" "$FF_TMP/err"; check "run: says how to resume" 0 $?
stop_fake
rm -rf "$FF_TMP"
