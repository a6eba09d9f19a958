# cai validate on what cai sample and cai revise write (issue 14 item 5): both output
# directories validate without errors, then corrupted copies of their files (format detected,
# or forced) show each finding at its line. Sourced by tests/cli.sh.
VG=$(mktemp -d)
start_fake "$VG" --generate auto
VG_URL="http://127.0.0.1:$FAKE_PORT/v1"
printf '%s\n' '{"id":"p1","prompt":"How do I boil an egg?"}' '{"id":"p2","prompt":"Name a bird."}' \
    '{"id":"p3","prompt":"Why is the sky blue?"}' >"$VG/prompts.jsonl"
OPENAI_API_KEY=k "$CAI" sample -q -i "$VG/prompts.jsonl" -o "$VG/S" --base-url "$VG_URL" \
    --model pol --n 3 --max-tokens 64 --seed 1 &&
    OPENAI_API_KEY=k "$CAI" revise -q -i "$VG/S" -o "$VG/R" -c "$SRC/constitution/hhh.json" \
        --base-url "$VG_URL" --model pol
check "validate_gen: cai sample and cai revise write their outputs" 0 $?
stop_fake
"$CAI" validate --json "$VG/S" >"$VG/s.json"
check "validate_gen: a cai sample directory validates" 0 $?
"$CAI" validate --json "$VG/R" >"$VG/r.json"
check "validate_gen: a cai revise directory validates" 0 $?
/usr/bin/python3 - "$VG" <<'PY'
import json, sys
d = sys.argv[1]
s, r = json.load(open(d + "/s.json")), json.load(open(d + "/r.json"))
assert s["errors"] == 0 and [f["format"] for f in s["files"]] == ["candidates"], s
assert r["errors"] == 0, r
fmts = sorted((f["path"].split("/")[-1], f["format"]) for f in r["files"])
assert fmts == [("pairs.jsonl.gz", "trl"), ("sft.jsonl.gz", "sft"),
                ("sft_messages.jsonl.gz", "messages")], fmts
assert r["records"] == 27 and s["records"] == 3, (r["records"], s["records"])
PY
check "validate_gen: the SFT files are read as sft and messages, short and failed are not data" 0 $?
# Corrupt copies, one defect a line after a clean first record.
/usr/bin/python3 - "$VG" <<'PY'
import copy, gzip, json, sys
d = sys.argv[1]
def load(p): return [json.loads(l) for l in gzip.open(p, "rt")]
def save(p, recs): open(p, "w").write("".join(json.dumps(r) + "\n" for r in recs))
c = load(d + "/S/candidates.jsonl.gz")[0]
out = [c]
x = copy.deepcopy(c); x["responses"][1] = " "; out.append(x)                         # 2 empty
x = copy.deepcopy(c); x["samples"][0]["finish_reason"] = "length"; out.append(x)    # 3 truncated
x = copy.deepcopy(c); x["responses"][2] = x["responses"][0] + "\n"; out.append(x)   # 4 duplicate
x = copy.deepcopy(c); x["responses"] = x["responses"][:1]; x["samples"] = x["samples"][:1]
out.append(x)                                                                       # 5 too few
save(d + "/cand.jsonl", out)
s = load(d + "/R/sft.jsonl.gz")[0]
out = [s]
x = dict(s); x["completion"] = ""; out.append(x)                                    # 2
x = dict(s); x["completion"] += "\n\nHuman: and then?"; out.append(x)               # 3
x = dict(s); x["prompt"] = "  "; out.append(x)                                      # 4
save(d + "/sft.jsonl", out)
m = load(d + "/R/sft_messages.jsonl.gz")[0]
out = [m]
x = copy.deepcopy(m); x["messages"] = x["messages"][::-1]; out.append(x)            # 2 order
x = copy.deepcopy(m); x["messages"].insert(1, dict(x["messages"][0])); out.append(x)  # 3 alt.
x = copy.deepcopy(m); x["messages"][0]["role"] = "human"; out.append(x)             # 4 role
x = copy.deepcopy(m); x["messages"][-1]["content"] = ""; out.append(x)              # 5 empty
x = copy.deepcopy(m); x["messages"].pop(); out.append(x)                            # 6 last
save(d + "/msgs.jsonl", out)
PY
vg_kinds() { # FILE [ARGS]: "LINE:kind" of each finding but duplicates, sorted
    "$CAI" validate --json "$@" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
f = [x for x in r["findings"] if "duplicate" not in x["kind"]]  # the copies repeat a prompt
print(" ".join("%s:%s" % (x["line"], x["kind"]) for x in sorted(f, key=lambda x: (x["line"] or 0, x["kind"]))))'
}
got=$(vg_kinds "$VG/cand.jsonl")
[ "$got" = "2:empty_response 3:truncated_response 4:identical 5:too_few_responses" ] ||
    echo "candidates: $got"
check "validate_gen: candidates: empty, truncated, duplicate, too few" 0 $?
"$CAI" validate "$VG/cand.jsonl" >"$VG/cand.out"
check "validate_gen: candidates errors exit 1" 1 $?
grep -q 'cand.jsonl:3: warning \[truncated_response\]' "$VG/cand.out" &&
    grep -q 'truncated_response 1' "$VG/cand.out"
check "validate_gen: each finding names FILE:LINE and is counted" 0 $?
got=$(vg_kinds "$VG/sft.jsonl")
[ "$got" = "1:glued 2:empty_completion 3:roles 4:empty_prompt" ] || echo "sft: $got"
check "validate_gen: sft: empty completion, a completion that goes on, empty prompt" 0 $?
got=$(vg_kinds "$VG/msgs.jsonl")
[ "$got" = "2:roles 3:roles_not_alternating 4:roles 5:empty_completion 6:roles" ] || echo "messages: $got"
check "validate_gen: messages: order, alternation, unknown role, empty, last turn" 0 $?
head -n 3 "$VG/msgs.jsonl" | tail -n 1 >"$VG/alt.jsonl"
"$CAI" validate "$VG/alt.jsonl" >/dev/null
check "validate_gen: a warning alone passes" 0 $?
"$CAI" validate --strict "$VG/alt.jsonl" >/dev/null
check "validate_gen: --strict fails on it" 1 $?
"$CAI" validate --format messages "$VG/sft.jsonl" >"$VG/forced.out"
check "validate_gen: --format messages on an sft file" 1 $?
grep -q 'sft.jsonl:1: error \[schema\] missing "messages"' "$VG/forced.out"
check "validate_gen: --format forces the format" 0 $?
"$CAI" run -i "$VG/sft.jsonl" -o "$VG/J" -c "$SRC/constitution/hhh.json" --judge openai \
    --base-url "$VG_URL" --model j 2>"$VG/run.err" </dev/null
check "validate_gen: cai run refuses SFT data" 2 $?
grep -q 'sft.jsonl:1: an SFT record (prompt/completion)' "$VG/run.err"
check "validate_gen: ... naming the record" 0 $?
rm -rf "$VG"
