# The malformed-input corpus through `cai run`: every case exits 2 with its exact
# "cai: FILE:LINE: reason" (or "FILE: key: reason" for constitutions) and creates nothing in the
# output directory. The library-level tables in tests/test_reader.c and tests/test_constitution.c
# check the same fixtures' statuses and messages. Sourced by tests/cli.sh.
BI_TMP=$(mktemp -d)
BI_DATA="$SRC/tests/data/reader"
BI_HHH="$SRC/constitution/hhh.json"

# bi_expect NAME PATH EXPECTED_LINE [CONSTITUTION]: one run that must fail cleanly.
bi_expect() {
    local out="$BI_TMP/out-$1"
    "$CAI" run -i "$2" -c "${4:-$BI_HHH}" -o "$out" --quiet 2>"$BI_TMP/err"
    check "bad input $1: exit 2" 2 $?
    grep -qxF "cai: $3" "$BI_TMP/err" || {
        echo "bad input $1: expected 'cai: $3', got:"
        sed 's/^/    /' "$BI_TMP/err"
        false
    }
    check "bad input $1: exact message" 0 $?
    [ ! -e "$out" ]; check "bad input $1: nothing written" 0 $?
}

# file | expected "LINE: reason" after the path
while IFS='|' read -r name want; do
    bi_expect "$name" "$BI_DATA/$name" "$BI_DATA/$name:$want"
done <<'EOF'
bad_json.jsonl|3: invalid JSON at byte 50
bad_utf8_overlong.jsonl|2: invalid UTF-8 at byte 13
bad_utf8_surrogate.jsonl|3: invalid UTF-8 at byte 14
bad_utf8_truncated.jsonl|1: invalid UTF-8 at byte 18
nul_byte.jsonl|2: NUL byte at byte 14
lone_surrogate.jsonl|3: lone surrogate escape \ud800 at byte 17
lone_low_surrogate.jsonl|1: lone surrogate escape \uDC00 at byte 17
escaped_nul.jsonl|1: escaped NUL character (\u0000) at byte 14
deep_nesting.jsonl|2: JSON nested deeper than 64 levels at byte 127
number_for_string.jsonl|4: "response_a" must be a string
prompt_wrong_type.jsonl|4: "prompt" must be a string or a message list
missing_field.jsonl|1: missing "response_b" (pairs format)
not_object.jsonl|1: a line must hold a JSON object
trailing_text.jsonl|1: invalid JSON at byte 56: text after the value
bad_role.jsonl|1: "prompt"[0].role must be "system", "user" or "assistant"
prompt_ends_assistant.jsonl|1: "prompt" must end on a user turn
duplicate_key.jsonl|1: duplicate key "response_a"
hh_mismatch.jsonl|2: chosen and rejected transcripts have different contexts
EOF

# gzip: truncated inside the data, trailing garbage after a valid stream, a corrupt CRC
gzip -9 -c "$BI_DATA/good.jsonl" >"$BI_TMP/good.jsonl.gz"
size=$(stat -c %s "$BI_TMP/good.jsonl.gz")
head -c $((size - 12)) "$BI_TMP/good.jsonl.gz" >"$BI_TMP/truncated.gz"
bi_expect truncated.gz "$BI_TMP/truncated.gz" "$BI_TMP/truncated.gz:3: truncated gzip data (unexpected end of file)"
{ cat "$BI_TMP/good.jsonl.gz"; printf 'garbage'; } >"$BI_TMP/garbage.gz"
bi_expect garbage.gz "$BI_TMP/garbage.gz" "$BI_TMP/garbage.gz:4: trailing garbage after gzip data"
cp "$BI_TMP/good.jsonl.gz" "$BI_TMP/crc.gz"
printf '\x00\x00\x00\x00' | dd of="$BI_TMP/crc.gz" bs=1 seek=$((size - 8)) conv=notrunc 2>/dev/null
bi_expect crc.gz "$BI_TMP/crc.gz" "$BI_TMP/crc.gz:1: corrupt gzip data (incorrect data check)"

# paths that cannot be read, even by root: a directory that is not a cai output (one with a
# manifest.json is read as its shards, see input_dir.sh), a path through a file, a symlink loop
mkdir -p "$BI_TMP/adir"
bi_expect directory "$BI_TMP/adir" \
    "$BI_TMP/adir: no manifest.json (a directory given as input must be a finished cai output directory)"
bi_expect not-a-dir "$BI_DATA/good.jsonl/x" "$BI_DATA/good.jsonl/x: Not a directory"
ln -s "$BI_TMP/loop-b" "$BI_TMP/loop-a"
ln -s "$BI_TMP/loop-a" "$BI_TMP/loop-b"
bi_expect symlink-loop "$BI_TMP/loop-a" "$BI_TMP/loop-a: Too many levels of symbolic links"

# constitutions: every broken fixture is refused naming its file and key, nothing written
for f in "$SRC"/tests/data/constitution/bad_*.json; do
    n=${f##*/}
    out="$BI_TMP/c-$n"
    "$CAI" run -i "$BI_DATA/good.jsonl" -c "$f" -o "$out" --quiet 2>"$BI_TMP/err"
    check "bad constitution $n: exit 2" 2 $?
    grep -qE "^cai: $SRC/tests/data/constitution/bad_[a-z0-9_]+\.json(:[0-9]+:[0-9]+)?: [^ ]" "$BI_TMP/err"
    check "bad constitution $n: FILE: key: reason (or FILE:LINE:COL: reason)" 0 $?
    [ ! -e "$out" ]; check "bad constitution $n: nothing written" 0 $?
done
bi_expect extends-cycle "$BI_DATA/good.jsonl" \
    "$SRC/tests/data/constitution/bad_cycle_b.json: extends: cycle $SRC/tests/data/constitution/bad_cycle_a.json -> $SRC/tests/data/constitution/bad_cycle_b.json -> $SRC/tests/data/constitution/bad_cycle_a.json" \
    "$SRC/tests/data/constitution/bad_cycle_a.json"
rm -rf "$BI_TMP"
