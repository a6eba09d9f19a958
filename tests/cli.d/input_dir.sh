# `cai run -i DIR`: a cai output directory as input, its manifest's shards checked and in its
# order; resume refuses a directory written again. Sourced by tests/cli.sh.
ID_TMP=$(mktemp -d)
ID_HHH="$SRC/constitution/hhh.json"
ID_CAND="$SRC/datasets/samples/candidates.jsonl"

# A sample directory by hand: data/b then data/a in the manifest (the reverse of name order).
id_sample_dir() { # DIR FIRST_LINES
    mkdir -p "$1/data"
    head -n "$2" "$ID_CAND" | gzip -n >"$1/data/b.jsonl.gz"
    tail -n +"$(($2 + 1))" "$ID_CAND" | gzip -n >"$1/data/a.jsonl.gz"
    {
        printf '{"tool":"cai","files":['
        printf '{"path":"data/b.jsonl.gz","split":"candidates","sha256":"%s","bytes":%s},' \
            "$(sha256sum <"$1/data/b.jsonl.gz" | cut -c1-64)" "$(stat -c %s "$1/data/b.jsonl.gz")"
        printf '{"path":"data/a.jsonl.gz","split":"candidates","sha256":"%s","bytes":%s}]}\n' \
            "$(sha256sum <"$1/data/a.jsonl.gz" | cut -c1-64)" "$(stat -c %s "$1/data/a.jsonl.gz")"
    } >"$1/manifest.json"
}

id_sample_dir "$ID_TMP/S" 3
"$CAI" run -i "$ID_TMP/S" -c "$ID_HHH" -o "$ID_TMP/J" --test-fraction 0 --quiet
check "run -i a sample directory" 0 $?
"$CAI" run -i "$ID_TMP/S/data/b.jsonl.gz" -i "$ID_TMP/S/data/a.jsonl.gz" -c "$ID_HHH" \
    -o "$ID_TMP/K" --test-fraction 0 --quiet
cmp -s "$ID_TMP/J/data/train-00000-of-00001.jsonl.gz" "$ID_TMP/K/data/train-00000-of-00001.jsonl.gz"
check "a directory is its shards in manifest order" 0 $?
[ "$(gzip -dc "$ID_TMP/J/data/train-00000-of-00001.jsonl.gz" | head -n 1 | grep -o '"id":"c00[0-9]')" = \
    '"id":"c001' ]
check "the manifest's first shard comes first" 0 $?
grep -q "S/data/a.jsonl.gz" "$ID_TMP/J/manifest.json"; check "the run's manifest names the shards" 0 $?
"$CAI" run -i "$ID_TMP/S" -c "$ID_HHH" -o "$ID_TMP/J" --test-fraction 0 --quiet
check "resume with the same directory" 0 $?
"$CAI" validate "$ID_TMP/S" >/dev/null; check "validate a sample directory" 0 $?
"$CAI" stats "$ID_TMP/S" | grep -q "24 records"; check "stats of a sample directory" 0 $?

# Sampled again, other data, a manifest that matches it: resume must not mix the two.
id_sample_dir "$ID_TMP/S" 5
"$CAI" run -i "$ID_TMP/S" -c "$ID_HHH" -o "$ID_TMP/J" --test-fraction 0 --quiet 2>"$ID_TMP/err"
check "resume refuses a changed sample directory" 2 $?
grep -q "different input" "$ID_TMP/err"; check "the refusal says the input changed" 0 $?

# A shard changed after the manifest was written (same size): exit 2 naming it, nothing written.
printf 'X' | dd of="$ID_TMP/S/data/a.jsonl.gz" bs=1 seek=30 conv=notrunc status=none
"$CAI" run -i "$ID_TMP/S" -c "$ID_HHH" -o "$ID_TMP/M" --quiet 2>"$ID_TMP/err"
check "a shard that differs from its manifest" 2 $?
grep -q "S/data/a.jsonl.gz: SHA-256 .* differs from .*S/manifest.json" "$ID_TMP/err"
check "the changed shard is named" 0 $?
[ ! -e "$ID_TMP/M" ]; check "nothing written for a changed shard" 0 $?
"$CAI" validate "$ID_TMP/S" >/dev/null 2>&1; check "validate finds the changed shard" 1 $?

rm "$ID_TMP/S/data/b.jsonl.gz"
"$CAI" run -i "$ID_TMP/S" -c "$ID_HHH" -o "$ID_TMP/M" --quiet 2>"$ID_TMP/err"
check "a missing shard" 2 $?
grep -q "S/data/b.jsonl.gz: listed in .*manifest.json but missing" "$ID_TMP/err"
check "the missing shard is named" 0 $?

mkdir "$ID_TMP/E"
"$CAI" run -i "$ID_TMP/E" -c "$ID_HHH" -o "$ID_TMP/M" --quiet 2>"$ID_TMP/err"
check "a directory without a manifest" 2 $?
grep -q "E: no manifest.json" "$ID_TMP/err"; check "no manifest is explained" 0 $?

# A real run's directory (train then test) is an input too: the judged pairs, judged again.
"$CAI" run -i "$SRC/datasets/samples/pairs.jsonl" -c "$ID_HHH" -o "$ID_TMP/R" --limit 20 --quiet
"$CAI" run -i "$ID_TMP/R" -c "$ID_HHH" -o "$ID_TMP/R2" --quiet; check "run -i a run's directory" 0 $?
grep -q '"path":[[:space:]]*"[^"]*R/data/test-00000-of-00001.jsonl.gz"' "$ID_TMP/R2/manifest.json"
check "a run's directory gives its train and test shards" 0 $?
rm -rf "$ID_TMP"
