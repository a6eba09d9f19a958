# Several judge endpoints (issue 16 item 3): --base-url repeated and --endpoints FILE, the model
# check at start, balancing, per-endpoint stats, and the same bytes as one endpoint. The death
# of an endpoint mid-run (failover, nothing paid twice) is in tests/test_judge.c. Sourced by
# tests/cli.sh.
EP_TMP=$(mktemp -d)
EP_IN="$SRC/datasets/samples/pairs.jsonl"
EP_C="$SRC/constitution/hhh.json"
start_fake "$EP_TMP" --model-id judge-x --latency-ms 5
EP_A="http://127.0.0.1:$FAKE_PORT/v1"
EP_PID_A=$FAKE_PID
mkdir -p "$EP_TMP/b"
start_fake "$EP_TMP/b" --model-id judge-x --latency-ms 5
EP_B="http://127.0.0.1:$FAKE_PORT/v1"
EP_PID_B=$FAKE_PID
mkdir -p "$EP_TMP/c"
start_fake "$EP_TMP/c" --model-id judge-y
EP_C_URL="http://127.0.0.1:$FAKE_PORT/v1"
EP_PID_C=$FAKE_PID

"$CAI" run -i "$EP_IN" -c "$EP_C" -j openai -m judge-x --base-url "$EP_A" -o "$EP_TMP/one" -q
check "endpoints: one-endpoint reference run" 0 $?
"$CAI" run -i "$EP_IN" -c "$EP_C" -j openai -m judge-x --base-url "$EP_A" --base-url "$EP_B" \
    --concurrency 4 -o "$EP_TMP/two" 2>"$EP_TMP/two.err"
check "endpoints: a run on two endpoints" 0 $?
for f in "$EP_TMP"/one/data/*.jsonl.gz "$EP_TMP/one/failed.jsonl.gz"; do
    cmp -s "$f" "$EP_TMP/two/${f#"$EP_TMP"/one/}" || echo "differs: $f"
done >"$EP_TMP/cmp"
[ ! -s "$EP_TMP/cmp" ] && [ -n "$(ls "$EP_TMP"/two/data/*.jsonl.gz)" ]
check "endpoints: two endpoints write the bytes one endpoint writes" 0 $?
# both served: the manifest's per-endpoint counts, and the summary's lines
python3 - "$EP_TMP/two/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
eps = m["statistics"]["endpoints"]
assert len(eps) == 2, eps
assert all(e["served"] > 0 for e in eps), eps
assert sum(e["served"] for e in eps) == m["statistics"]["judgments_answered"], eps
assert len(m["judge"]["base_urls"]) == 2
PY
check "endpoints: balancing gave both endpoints work (manifest statistics.endpoints)" 0 $?
[ "$(grep -c '^  endpoint http://127.0.0.1:' "$EP_TMP/two.err")" = 2 ]
check "endpoints: the summary has one line per endpoint" 0 $?

# --endpoints FILE: comments and blank lines; the same bytes again
printf '# replicas of judge-x\n\n%s   # first\n  %s\n' "$EP_A" "$EP_B" >"$EP_TMP/eps.txt"
"$CAI" run -i "$EP_IN" -c "$EP_C" -j openai -m judge-x --endpoints "$EP_TMP/eps.txt" \
    -o "$EP_TMP/file" -q
check "endpoints: --endpoints FILE" 0 $?
cmp -s "$EP_TMP/one/data/train-00000-of-00001.jsonl.gz" \
    "$EP_TMP/file/data/train-00000-of-00001.jsonl.gz"
check "endpoints: --endpoints FILE writes the same bytes" 0 $?
printf '%s\nnot-a-url\n' "$EP_A" >"$EP_TMP/bad.txt"
"$CAI" run -i "$EP_IN" -c "$EP_C" -j openai -m judge-x --endpoints "$EP_TMP/bad.txt" \
    -o "$EP_TMP/bad" -q 2>"$EP_TMP/err"
check "endpoints: a bad line in --endpoints is a usage error" 2 $?
grep -q "bad.txt:2: not an endpoint URL" "$EP_TMP/err"
check "endpoints: the bad line is named FILE:LINE" 0 $?
"$CAI" run -i "$EP_IN" -c "$EP_C" -j openai -m judge-x --base-url "$EP_A" --base-url "$EP_A" \
    -o "$EP_TMP/twice" -q 2>"$EP_TMP/err"
check "endpoints: an endpoint given twice is refused" 2 $?

# a mix of models is refused before anything is sent or created
"$CAI" run -i "$EP_IN" -c "$EP_C" -j openai -m judge-x --base-url "$EP_A" \
    --base-url "$EP_C_URL" -o "$EP_TMP/mix" -q 2>"$EP_TMP/err"
check "endpoints: a mix of models is refused with exit 2" 2 $?
grep -q "$EP_C_URL/models serves \"judge-y\"" "$EP_TMP/err"
check "endpoints: the refusal names the endpoint and its model" 0 $?
[ ! -e "$EP_TMP/mix" ]; check "endpoints: nothing created for a mix of models" 0 $?
"$CAI" judge -j openai -m judge-x --base-url "$EP_A" --base-url "$EP_C_URL" -c "$EP_C" \
    --prompt p --response-a a --response-b b >/dev/null 2>"$EP_TMP/err"
check "endpoints: cai judge refuses a mix of models too" 2 $?
"$CAI" judge -j openai -m judge-x --base-url "$EP_A" --base-url "$EP_B" -c "$EP_C" \
    --prompt p --response-a a --response-b b >/dev/null 2>"$EP_TMP/err"
check "endpoints: cai judge on two endpoints" 0 $?

kill "$EP_PID_A" "$EP_PID_B" "$EP_PID_C" 2>/dev/null
wait "$EP_PID_A" "$EP_PID_B" "$EP_PID_C" 2>/dev/null
rm -rf "$EP_TMP"
