# `cai sample` against the fake server's generation mode: output, resume from a cut journal
# (as a kill leaves it) giving the same bytes and asking only for what is missing, concurrency
# invariance, dry run, and the round sample -> run -i DIR. Sourced by tests/cli.sh.
SM_TMP=$(mktemp -d)
printf '%s\n' '{"id":"a","prompt":"\n\nHuman: Hi there\n\nAssistant:"}' \
    '{"id":"b","prompt":[{"role":"user","content":"Tell me a joke"}]}' \
    '{"chosen":"\n\nHuman: Q?\n\nAssistant: A.","rejected":"\n\nHuman: Q?\n\nAssistant: B."}' \
    '{"id":"d","prompt":"[[gen:dup]] say"}' '{"id":"e","prompt":"[[gen:empty]] say"}' \
    '{"id":"f","prompt":"[[gen:words=30]] long"}' >"$SM_TMP/p.jsonl"
start_fake "$SM_TMP" --generate auto
SM_URL="http://127.0.0.1:$FAKE_PORT/v1"
sm() { "$CAI" sample -q -i "$SM_TMP/p.jsonl" -m pol --base-url "$SM_URL" --n 3 --max-tokens 20 \
    --seed 7 "$@"; }

sm -o "$SM_TMP/S"
check "sample writes a directory" 0 $?
[ "$(gzip -dc "$SM_TMP/S/candidates.jsonl.gz" | wc -l)" = 6 ] &&
    gzip -dc "$SM_TMP/S/candidates.jsonl.gz" | grep '"id":"e"' | grep -q '"empty":true'
check "six candidates records, empty responses flagged" 0 $?
gzip -dc "$SM_TMP/S/candidates.jsonl.gz" | grep '"id":"d"' | grep -q '"duplicate":true' &&
    gzip -dc "$SM_TMP/S/candidates.jsonl.gz" | grep '"id":"f"' | grep -q '"truncated":true'
check "duplicate and truncated responses are flagged" 0 $?
# a message-list prompt among them: every prompt is a message list (one schema per file), an HH
# one split into its turns
[ "$(gzip -dc "$SM_TMP/S/candidates.jsonl.gz" | grep -c '"id":"l3","prompt":\[{"role":"user","content":"Q?"}\]')" = 1 ] &&
    [ "$(gzip -dc "$SM_TMP/S/candidates.jsonl.gz" | grep -c '"prompt":\[{"role"')" = 6 ] &&
    ! gzip -dc "$SM_TMP/S/candidates.jsonl.gz" | grep -q '"empty":\[\|"flags":\['
check "an HH pair gives its prompt as turns; no id: l<line>; message lists throughout" 0 $?

# a kill leaves the journal cut after some records: resume asks only for the rest
mkdir "$SM_TMP/R"
head -n 3 "$SM_TMP/S/journal.cai" >"$SM_TMP/R/journal.cai"
before=$(grep -c . "$SM_TMP/fake.log" 2>/dev/null || echo 0)
sm -o "$SM_TMP/R"
check "resume from a cut journal" 0 $?
for f in candidates.jsonl.gz short.jsonl.gz failed.jsonl.gz skipped.jsonl.gz manifest.json; do
    cmp -s "$SM_TMP/S/$f" "$SM_TMP/R/$f" || echo "differs: $f"
done >"$SM_TMP/diff"
[ ! -s "$SM_TMP/diff" ]
check "resumed output is byte-identical" 0 $?

sm -o "$SM_TMP/C1" --concurrency 1
cmp -s "$SM_TMP/S/candidates.jsonl.gz" "$SM_TMP/C1/candidates.jsonl.gz"
check "concurrency 1 gives the same bytes" 0 $?

sm -o "$SM_TMP/F" --skip-flagged
check "--skip-flagged" 0 $?
# one line per skipped response in skipped.jsonl.gz, none in the records (an empty list in
# most of them would not load in `datasets`): d's two duplicates, e's three empty responses
gzip -dc "$SM_TMP/F/skipped.jsonl.gz" >"$SM_TMP/skipped"
grep -qx '{"id":"d","index":1,"text":"[^"]*","flags":{"empty":false,"truncated":false,"duplicate":true,"refused":false}}' "$SM_TMP/skipped" &&
    grep -q '{"id":"d","index":2,' "$SM_TMP/skipped" &&
    [ "$(grep -c '"id":"e",.*"empty":true' "$SM_TMP/skipped")" = 3 ] &&
    ! grep -q '"id":"d","index":0' "$SM_TMP/skipped" &&
    ! gzip -dc "$SM_TMP/F/candidates.jsonl.gz" "$SM_TMP/F/short.jsonl.gz" | grep -q '"skipped"'
check "--skip-flagged moves flagged responses to skipped.jsonl.gz" 0 $?
[ "$(gzip -dc "$SM_TMP/S/skipped.jsonl.gz" | wc -c)" = 0 ]
check "without --skip-flagged skipped.jsonl.gz is empty" 0 $?
grep -q '"path":[[:space:]]*"skipped.jsonl.gz"' "$SM_TMP/F/manifest.json" &&
    grep -Eq "\"skipped\":[[:space:]]*$(wc -l <"$SM_TMP/skipped")\$" "$SM_TMP/F/manifest.json"
check "--skip-flagged: skipped.jsonl.gz listed and counted in the manifest" 0 $?
"$CAI" validate "$SM_TMP/F" >"$SM_TMP/val.out"
check "validate accepts a --skip-flagged directory" 0 $?
# resume and concurrency give the same skipped.jsonl.gz
mkdir "$SM_TMP/FR"
head -n 2 "$SM_TMP/F/journal.cai" >"$SM_TMP/FR/journal.cai"
sm -o "$SM_TMP/FR" --skip-flagged --concurrency 1 &&
    cmp -s "$SM_TMP/F/skipped.jsonl.gz" "$SM_TMP/FR/skipped.jsonl.gz" &&
    cmp -s "$SM_TMP/F/candidates.jsonl.gz" "$SM_TMP/FR/candidates.jsonl.gz" &&
    cmp -s "$SM_TMP/F/manifest.json" "$SM_TMP/FR/manifest.json"
check "--skip-flagged: resumed at concurrency 1, byte-identical" 0 $?
gzip -dc "$SM_TMP/F/short.jsonl.gz" | grep -q '"id":"e"'
check "--skip-flagged: a prompt left with fewer than two goes to short" 0 $?

sm --dry-run >"$SM_TMP/dry.out" 2>"$SM_TMP/dry.err"
check "dry run" 0 $?
grep -q '"n":3' "$SM_TMP/dry.out" && grep -q '6 prompts, 6 requests' "$SM_TMP/dry.err" &&
    [ ! -e "$SM_TMP/D" ]
check "dry run prints the body and the request count" 0 $?

"$CAI" sample -q -i "$SM_TMP/p.jsonl" -o "$SM_TMP/X" -m pol --base-url "$SM_URL" --n 3 \
    --max-tokens 21 --seed 7 --force 2>/dev/null
# a different setting over the same journal is refused
"$CAI" sample -q -i "$SM_TMP/p.jsonl" -o "$SM_TMP/S" -m pol --base-url "$SM_URL" --n 3 \
    --max-tokens 21 --seed 7 2>/dev/null
check "other settings over a journal are refused" 2 $?

# run's endpoint options: --endpoints FILE, -j, the prices and --max-cost reach the policy
printf '# the policy\n%s\n' "$SM_URL" >"$SM_TMP/eps.txt"
"$CAI" sample -q -i "$SM_TMP/p.jsonl" -o "$SM_TMP/E" -j openai -m pol --endpoints "$SM_TMP/eps.txt" \
    --n 3 --max-tokens 20 --seed 7 --judge-down-timeout 5 --price-input 1 --price-output 2
check "sample --endpoints FILE" 0 $?
cmp -s "$SM_TMP/S/candidates.jsonl.gz" "$SM_TMP/E/candidates.jsonl.gz"
check "sample --endpoints FILE: the same bytes as --base-url" 0 $?
"$CAI" sample -q -i "$SM_TMP/p.jsonl" -o "$SM_TMP/M" -m pol --base-url "$SM_URL" --n 3 \
    --price-input 1000 --price-output 1000 --max-cost 0.000001 2>"$SM_TMP/cost.err"
check "sample --max-cost stops with exit 4" 4 $?

printf '{"id":"x"}\n' >"$SM_TMP/bad.jsonl"
"$CAI" sample -q -i "$SM_TMP/bad.jsonl" -o "$SM_TMP/B" -m pol --base-url "$SM_URL" 2>"$SM_TMP/bad.err"
check "a line without a prompt is an input error" 2 $?
grep -q 'bad.jsonl:1:' "$SM_TMP/bad.err"
check "it names file:line" 0 $?

# the round: sample 2 responses, judge them with cai run -i DIR
"$CAI" sample -q -i "$SM_TMP/p.jsonl" -o "$SM_TMP/S2" -m pol --base-url "$SM_URL" --n 2 --seed 1 &&
    "$CAI" run -q -i "$SM_TMP/S2" -o "$SM_TMP/J" -c "$SRC/constitution/hhh.json" -j openai -m judge \
        --base-url "$SM_URL" --test-fraction 0
check "sample then run -i DIR" 0 $?
stop_fake
rm -rf "$SM_TMP"
