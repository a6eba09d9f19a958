# `cai run` through the binary: usage errors, the offline quickstart, dry runs. Sourced by tests/cli.sh.
RUN_TMP=$(mktemp -d)
SAMPLES="$SRC/datasets/samples/pairs.jsonl"
HHH="$SRC/constitution/hhh.json"

"$CAI" run --help | grep -q -- "--principles-per-pair"; check "run --help lists options" 0 $?
"$CAI" run >/dev/null 2>&1; check "run without arguments" 2 $?
"$CAI" run --input "$SAMPLES" --constitution "$HHH" >/dev/null 2>&1; check "run without --output" 2 $?
"$CAI" run -i "$SAMPLES" -c "$HHH" -o "$RUN_TMP/x" --concurrency zero >/dev/null 2>&1
check "run with a bad number" 2 $?
"$CAI" run -i "$SAMPLES" -c "$HHH" -o "$RUN_TMP/x" --judge openai >/dev/null 2>&1
check "run --judge openai without --model" 2 $?
"$CAI" run -i "$RUN_TMP/missing.jsonl" -c "$HHH" -o "$RUN_TMP/m" 2>"$RUN_TMP/err"
check "run with a missing input" 2 $?
grep -q "missing.jsonl" "$RUN_TMP/err"; check "missing input is named" 0 $?
[ ! -e "$RUN_TMP/m/manifest.json" ]; check "nothing written for a missing input" 0 $?

printf '{"prompt":"hi","response_a":"a","response_b":"b"}\n{"prompt":"x","response_a":3,"response_b":"b"}\n' >"$RUN_TMP/bad.jsonl"
"$CAI" run -i "$RUN_TMP/bad.jsonl" -c "$HHH" -o "$RUN_TMP/bad" 2>"$RUN_TMP/err"
check "run with a mistyped field" 2 $?
grep -q "bad.jsonl:2:" "$RUN_TMP/err"; check "mistyped field reported as FILE:LINE" 0 $?
[ ! -e "$RUN_TMP/bad/data/train-00000-of-00001.jsonl.gz" ]; check "no dataset from bad input" 0 $?

"$CAI" run -i "$SAMPLES" -c "$HHH" -o "$RUN_TMP/q" --quiet; check "offline run" 0 $?
[ -s "$RUN_TMP/q/manifest.json" ] && [ -s "$RUN_TMP/q/README.md" ]; check "manifest and card" 0 $?
"$CAI" run -i "$SAMPLES" -c "$HHH" -o "$RUN_TMP/x" --gzip-level 0 >/dev/null 2>&1
check "run --gzip-level out of range" 2 $?
"$CAI" run -i "$SAMPLES" -c "$HHH" -o "$RUN_TMP/g1" --gzip-level 1 --quiet
check "run --gzip-level 1" 0 $?
# Same records, other compression: identical once decompressed, larger at level 1.
g1="$RUN_TMP/g1/data/train-00000-of-00001.jsonl.gz"
g6="$RUN_TMP/q/data/train-00000-of-00001.jsonl.gz"
cmp -s <(gzip -dc "$g1") <(gzip -dc "$g6"); check "gzip level changes no record" 0 $?
[ "$(stat -c %s "$g1")" -gt "$(stat -c %s "$g6")" ]; check "level 1 is larger than level 6" 0 $?
grep -Eq '"gzip_level":[[:space:]]*1' "$RUN_TMP/g1/manifest.json"; check "manifest records the level" 0 $?
"$CAI" run -i "$SAMPLES" -c "$HHH" -o "$RUN_TMP/q" --seed 9 --quiet 2>"$RUN_TMP/err"
check "resume with another seed refused" 2 $?
grep -q "different input, constitution" "$RUN_TMP/err"; check "refusal explains itself" 0 $?

"$CAI" run -i "$SAMPLES" -c "$HHH" -o "$RUN_TMP/dry" --judge openai --model m --dry-run \
    --price-input 2.5 2>"$RUN_TMP/err"
check "dry run" 0 $?
grep -q "Nothing was sent or written" "$RUN_TMP/err"; check "dry run says so" 0 $?
[ ! -e "$RUN_TMP/dry" ]; check "dry run writes nothing" 0 $?

rm -rf "$RUN_TMP"

DUP_TMP=$(mktemp -d)
printf '{"id":"x","prompt":"p","response_a":"a","response_b":"b"}\n{"id":"y","prompt":"p","response_a":"a","response_b":"c"}\n{"id":"x","prompt":"q","response_a":"a","response_b":"b"}\n' >"$DUP_TMP/dup.jsonl"
"$CAI" run -i "$DUP_TMP/dup.jsonl" -c "$HHH" -o "$DUP_TMP/out" 2>"$DUP_TMP/err"
check "duplicate input ids" 2 $?
grep -q 'dup.jsonl:3: duplicate id "x"' "$DUP_TMP/err"; check "duplicate id named with FILE:LINE" 0 $?
[ ! -e "$DUP_TMP/out/journal.cai" ]; check "nothing written for duplicate ids" 0 $?
rm -rf "$DUP_TMP"
