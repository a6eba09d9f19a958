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

# The output directory: one run at a time, never a user's directory or files.
OD_TMP=$(mktemp -d)
OD_ARGS=(-i "$SAMPLES" -c "$HHH" --quiet --limit 10)
"$CAI" run "${OD_ARGS[@]}" -o "" 2>"$OD_TMP/err"; check "run -o '' is refused" 2 $?
grep -q "the path is empty" "$OD_TMP/err"; check "an empty -o is explained" 0 $?
mkdir "$OD_TMP/myproj"
printf '# my project\n' >"$OD_TMP/myproj/README.md"
cp "$OD_TMP/myproj/README.md" "$OD_TMP/readme.orig"
"$CAI" run "${OD_ARGS[@]}" -o "$OD_TMP/myproj" 2>"$OD_TMP/err"
check "a non-empty directory that is not cai's is refused" 2 $?
cmp -s "$OD_TMP/myproj/README.md" "$OD_TMP/readme.orig"; check "the user's README.md is untouched" 0 $?
[ "$(ls -A "$OD_TMP/myproj")" = README.md ]; check "nothing added to a refused directory" 0 $?
grep -q -- "--force" "$OD_TMP/err"; check "the refusal names --force" 0 $?
mkdir "$OD_TMP/myproj/data"
echo keep >"$OD_TMP/myproj/data/train-notes.txt"
"$CAI" run "${OD_ARGS[@]}" -o "$OD_TMP/myproj" --force; check "--force writes into it" 0 $?
"$CAI" run "${OD_ARGS[@]}" -o "$OD_TMP/myproj" --shard-records 2; check "a rerun with other shards" 0 $?
[ "$(cat "$OD_TMP/myproj/data/train-notes.txt")" = keep ]; check "a user file in data/ survives" 0 $?

# A second run while the first holds the directory: exit 2 at once, naming the first's pid and
# host; the judge is asked each judgment once.
start_fake "$OD_TMP" --latency-ms 300 --log "$OD_TMP/requests.log"
OD_FAKE=(--judge openai --model fake --base-url "http://127.0.0.1:$FAKE_PORT/v1" --concurrency 1)
OPENAI_API_KEY=k "$CAI" run "${OD_ARGS[@]}" "${OD_FAKE[@]}" -o "$OD_TMP/busy" &
od_first=$!
for _ in $(seq 400); do [ -s "$OD_TMP/busy/.cai.lock" ] && break; sleep 0.05; done
OPENAI_API_KEY=k "$CAI" run "${OD_ARGS[@]}" "${OD_FAKE[@]}" -o "$OD_TMP/busy" 2>"$OD_TMP/err"
check "a second run on a busy directory" 2 $?
grep -q "in use by another cai run (pid $od_first on host $(uname -n))" "$OD_TMP/err"
check "the refusal names the holder's pid and host" 0 $?
wait "$od_first"; check "the first run finishes" 0 $?
[ "$(wc -l <"$OD_TMP/requests.log")" -eq 20 ]; check "nothing was asked twice" 0 $?
stop_fake
rm -rf "$OD_TMP"
