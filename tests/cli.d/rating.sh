# `cai run --mode rating` through the binary: the plan counts, the scale option, the request count
# at the fake judge. Sourced by tests/cli.sh.
RT_TMP=$(mktemp -d)
RT_CANDS="$SRC/datasets/samples/candidates.jsonl"
RT_HHH="$SRC/constitution/hhh.json"

"$CAI" run --help | grep -q -- "--rating-scale"; check "run --help lists --rating-scale" 0 $?
"$CAI" run -i "$RT_CANDS" -c "$RT_HHH" -o "$RT_TMP/d" --mode rating --rating-scale 0 2>/dev/null
check "--rating-scale 0 is a usage error" 2 $?
"$CAI" run -i "$RT_CANDS" -c "$RT_HHH" -o "$RT_TMP/d" --mode rating --dry-run 2>"$RT_TMP/rate.dry"
check "rating dry run" 0 $?
"$CAI" run -i "$RT_CANDS" -c "$RT_HHH" -o "$RT_TMP/d" --dry-run 2>"$RT_TMP/choice.dry"
check "choice dry run" 0 $?
# one request per non-blank response (never per pair): count them from the input
rt_resp=$(python3 -c 'import json,sys
print(sum(sum(1 for r in json.loads(l)["responses"] if r.strip()) for l in open(sys.argv[1]) if l.strip()))' "$RT_CANDS")
grep -q " $rt_resp judgments" "$RT_TMP/rate.dry"; check "rating dry run plans one request a response" 0 $?
rt_pairs=$(sed -n 's/^dry run: \([0-9]*\) pairs.*/\1/p' "$RT_TMP/choice.dry")
grep -q "^dry run: $rt_pairs pairs" "$RT_TMP/rate.dry"; check "rating derives the same pairs" 0 $?

start_fake "$RT_TMP"
OPENAI_API_KEY=test-key "$CAI" run -i "$RT_CANDS" -c "$RT_HHH" -o "$RT_TMP/out" -q --mode rating \
    --no-swap --judge openai --model fake --base-url "http://127.0.0.1:$FAKE_PORT/v1"
check "rating run against the fake judge (--no-swap accepted)" 0 $?
stop_fake
grep -q "\"requests\":$rt_resp," "$RT_TMP/fake.out"; check "the judge got one request a response" 0 $?
gzip -dc "$RT_TMP/out/data/"*.jsonl.gz | grep -c '"rating_chosen":' >"$RT_TMP/n"
[ "$(cat "$RT_TMP/n")" -gt 0 ] && ! gzip -dc "$RT_TMP/out/data/"*.jsonl.gz | grep -qv '"rating_rejected":'
check "every record carries both ratings" 0 $?
"$CAI" validate "$RT_TMP/out" >/dev/null 2>&1; check "the rating dataset validates" 0 $?
rm -rf "$RT_TMP"
