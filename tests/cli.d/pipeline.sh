# The walk-through of docs/pipeline.md (sample -> run -i S -> revise), run as the document
# writes it against the fake server's generation mode; then cai revise's flags, concurrency
# invariance, dry run and input errors. Sourced by tests/cli.sh.
PL_TMP=$(mktemp -d)
sed -n '/<!-- walkthrough:begin -->/,/<!-- walkthrough:end -->/p' "$SRC/docs/pipeline.md" |
    grep -v '^<!--\|^```' >"$PL_TMP/walk.sh"
[ "$(grep -c '^cai ' "$PL_TMP/walk.sh")" = 3 ]
check "pipeline: the walk-through block is in docs/pipeline.md" 0 $?
ln -s "$(cd "$SRC" && pwd)"/{datasets,constitution} "$PL_TMP/"
PL_CAI=$(cd "$(dirname "$CAI")" && pwd)/$(basename "$CAI")
start_fake "$PL_TMP" --generate auto
(cd "$PL_TMP" && cai() { "$PL_CAI" "$@"; } && export BASE_URL="http://127.0.0.1:$FAKE_PORT/v1" \
    OPENAI_API_KEY=test-key && set -e && . ./walk.sh) >"$PL_TMP/out" 2>&1
rc=$?
[ "$rc" = 0 ] || cat "$PL_TMP/out"
check "pipeline: the walk-through runs as written" 0 "$rc"
/usr/bin/python3 - "$PL_TMP/round" <<'PY'
import gzip, json, sys
d = sys.argv[1]
cand = [json.loads(l) for l in gzip.open(d + "/S/candidates.jsonl.gz", "rt")]
assert cand and all(len(c["responses"]) == 2 for c in cand), len(cand)
sft = [json.loads(l) for l in gzip.open(d + "/R/sft.jsonl.gz", "rt")]
assert len(sft) == 2 * len(cand), (len(sft), len(cand))
r = sft[0]
assert r["id"] == cand[0]["id"] + "#0" and r["original"] == cand[0]["responses"][0], r
assert len(r["chain"]) == 2 and r["chain"][0]["principle"] != r["chain"][1]["principle"], r
assert r["completion"].strip() == r["chain"][1]["revision"].strip(), r
msgs = [json.loads(l) for l in gzip.open(d + "/R/sft_messages.jsonl.gz", "rt")]
assert msgs[0]["messages"][-1]["role"] == "assistant", msgs[0]
pairs = [json.loads(l) for l in gzip.open(d + "/R/pairs.jsonl.gz", "rt")]
assert all(p["label_source"] == "revision" for p in pairs) and len(pairs) == len(sft)
m = json.load(open(d + "/R/manifest.json"))
assert m["cai_stage"] == "revise" and m["files"][0]["path"] == "pairs.jsonl.gz", m
assert json.load(open(d + "/J/manifest.json")), "run wrote no manifest"
PY
check "pipeline: candidates, SFT, messages, pairs and manifest fit together" 0 $?

PL_URL="http://127.0.0.1:$FAKE_PORT/v1"
printf '%s\n' '{"id":"a","prompt":"\n\nHuman: Hi\n\nAssistant:","response":" Hello."}' \
    '{"id":"e","prompt":"[[gen:empty]] say","response":"x"}' \
    '{"id":"k","prompt":"[[gen:leak]] say","response":"y"}' \
    '{"id":"t","prompt":"[[gen:words=40]] say","response":"z"}' \
    '{"id":"m","messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}' \
    '{"chosen":"\n\nHuman: Q?\n\nAssistant: A.","rejected":"\n\nHuman: Q?\n\nAssistant: B."}' \
    >"$PL_TMP/in.jsonl"
rv() { OPENAI_API_KEY=k "$CAI" revise -q -i "$PL_TMP/in.jsonl" -c "$SRC/constitution/hhh.json" \
    -m pol --base-url "$PL_URL" --max-tokens 30 "$@"; }
rv -o "$PL_TMP/F"
check "revise: JSONL input with prompt and response" 0 $?
z() { gzip -dc "$PL_TMP/$1/sft.jsonl.gz"; }
z F | grep '"id":"e"' | grep -q '"flags":\["empty"\]}$' &&
    z F | grep '"id":"k"' | grep -q '"flags":\["leak"\]}$' &&
    z F | grep '"id":"t"' | grep -q '"flags":\["truncated"\]}$' &&
    z F | grep '"id":"a"' | grep -q '"flags":\[\]}$'
check "revise: empty, leaking and truncated revisions are flagged" 0 $?
[ "$(z F | grep -c '"id":"m"\|"id":"l6"')" = 2 ]
check "revise: messages and HH inputs give their response" 0 $?
rv -o "$PL_TMP/C1" --concurrency 1 && rv -o "$PL_TMP/C9" --concurrency 9
for d in C1 C9; do
    for f in sft.jsonl.gz sft_messages.jsonl.gz pairs.jsonl.gz manifest.json; do
        cmp -s "$PL_TMP/F/$f" "$PL_TMP/$d/$f" || echo "differs: $d/$f"
    done
done >"$PL_TMP/diff"
[ ! -s "$PL_TMP/diff" ] || cat "$PL_TMP/diff"
check "revise: concurrency 1, 9 and 64 give the same bytes" 0 $?
rv --dry-run --rounds 3 >"$PL_TMP/dry.out" 2>"$PL_TMP/dry.err"
check "revise: dry run" 0 $?
grep -q '6 responses to revise, 36 requests' "$PL_TMP/dry.err" && grep -q 'Critique Request' "$PL_TMP/dry.out"
check "revise: dry run prints the first body and the request count" 0 $?
rv -o "$PL_TMP/F" --rounds 2 2>/dev/null
check "revise: other settings over a journal are refused" 2 $?
printf '{"id":"x","prompt":"p"}\n' >"$PL_TMP/bad.jsonl"
OPENAI_API_KEY=k "$CAI" revise -q -i "$PL_TMP/bad.jsonl" -o "$PL_TMP/B" -c "$SRC/constitution/hhh.json" \
    -m pol --base-url "$PL_URL" 2>"$PL_TMP/bad.err"
check "revise: a line without a response is an input error" 2 $?
grep -q 'bad.jsonl:1:' "$PL_TMP/bad.err"
check "revise: it names file:line" 0 $?
"$CAI" revise -i "$PL_TMP/in.jsonl" -o "$PL_TMP/U" -m pol 2>/dev/null
check "revise: no constitution is a usage error" 2 $?
stop_fake
rm -rf "$PL_TMP"
