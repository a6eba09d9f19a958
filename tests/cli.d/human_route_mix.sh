# cai route and cai mix: pick pairs for humans, export them, bring the answers back into a new
# dataset. The dataset is made here with the built-in judge from the bundled sample.
HU=$(mktemp -d)
"$CAI" run -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" -o "$HU/ds" -q \
    >/dev/null 2>&1
check "route/mix: the source dataset is made" 0 $?

"$CAI" route "$HU/ds" --count 20 --by mix -o "$HU/r1" >/dev/null
check "route --by mix exits 0" 0 $?
"$CAI" route "$HU/ds" --count 20 --by mix -o "$HU/r2" --json >"$HU/route.json"
cmp -s "$HU/r1/tasks.json" "$HU/r2/tasks.json" && cmp -s "$HU/r1/tasks.jsonl" "$HU/r2/tasks.jsonl"
check "route is deterministic (same bytes twice)" 0 $?
grep -q '<Pairwise name="preference" toName="a,b"' "$HU/r1/labeling-config.xml"
check "route writes a Label Studio <Pairwise> config" 0 $?
python3 - "$HU" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
tasks = json.load(open(d + "/r1/tasks.json"))
lines = [json.loads(l) for l in open(d + "/r1/tasks.jsonl")]
rep = json.load(open(d + "/route.json"))
assert len(tasks) == 20 and len(lines) == 20, (len(tasks), len(lines))
assert all(set(t) == {"data"} and set(t["data"]) == {"id", "prompt", "a", "b"} for t in tasks)
assert [t["data"]["id"] for t in tasks] == [l["id"] for l in lines]
assert rep["selected"] == 20 and rep["selected_by_reason"]["random"] == 5, rep
recs = {}
for f in glob.glob(d + "/ds/data/*.jsonl.gz"):
    for l in gzip.open(f, "rt"):
        r = json.loads(l); recs[r["id"]] = r
# the AI's chosen response is in slot a for some pairs and in slot b for others: the shown
# order does not follow the label
first = sum(recs[l["id"]]["chosen"][0]["content"] == l["a"] for l in lines)
assert 0 < first < 20, first
# the uncertain part is the least certain of the dataset
unc = sorted(abs(r["p_chosen"] - 0.5) for r in recs.values())
picked = [abs(recs[l["id"]]["p_chosen"] - 0.5) for l in lines if l["reason"] == "uncertain"]
assert max(picked) <= unc[14], (max(picked), unc[14])
# answers for the next steps: a, b, tie in turn; and the expected chosen text per id
with open(d + "/answers.jsonl", "w") as f, open(d + "/expect.json", "w") as e:
    exp = {}
    for i, l in enumerate(lines[:12]):
        ch = "abt"[i % 3]
        f.write(json.dumps({"id": l["id"], "chosen": {"t": "tie"}.get(ch, ch)}) + "\n")
        if ch != "t":
            exp[l["id"]] = l[ch]
    json.dump(exp, e)
PY
check "route exports 20 pairs with ids, the least certain ones, in a neutral order" 0 $?
# orders that disagree, and independence from file order: JSONL halves of the dataset with
# orders_agree set false on five records, read in both orders
python3 - "$HU" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
recs = [l for f in sorted(glob.glob(d + "/ds/data/*.jsonl.gz")) for l in gzip.open(f, "rt")]
out = [open(d + "/half1.jsonl", "w"), open(d + "/half2.jsonl", "w")]
dis = []
for i, l in enumerate(recs):
    r = json.loads(l)
    if i % 40 == 7:
        r["cai"]["orders_agree"] = False
        dis.append(r["id"])
    out[i % 2].write(json.dumps(r, separators=(",", ":")) + "\n")
json.dump(sorted(dis), open(d + "/dis.json", "w"))
PY
"$CAI" route "$HU/half1.jsonl" "$HU/half2.jsonl" --count 50 --by disagree -o "$HU/rd" >/dev/null
check "route --by disagree exits 0" 0 $?
python3 -c "
import json, sys
ids = [json.loads(l)['id'] for l in open('$HU/rd/tasks.jsonl')]
assert ids == json.load(open('$HU/dis.json')), ids
"
check "route --by disagree exports exactly the pairs whose orders disagree" 0 $?
for by in random uncertain; do
    "$CAI" route "$HU/half1.jsonl" "$HU/half2.jsonl" --count 30 --by $by --seed 7 -o "$HU/o1$by" \
        >/dev/null &&
        "$CAI" route "$HU/half2.jsonl" "$HU/half1.jsonl" --count 30 --by $by --seed 7 \
            -o "$HU/o2$by" >/dev/null &&
        cmp -s "$HU/o1$by/tasks.jsonl" "$HU/o2$by/tasks.jsonl"
    check "route --by $by picks the same pairs whatever the file order" 0 $?
done
"$CAI" route "$HU/half1.jsonl" --count 30 --by random --seed 8 -o "$HU/o3" >/dev/null
"$CAI" route "$HU/half1.jsonl" --count 30 --by random --seed 7 -o "$HU/o4" >/dev/null
cmp -s "$HU/o3/tasks.jsonl" "$HU/o4/tasks.jsonl"
check "route --by random: another seed, another audit sample" 1 $?
"$CAI" route "$HU/ds" -o "$HU/rn" 2>/dev/null; check "route without --count exits 2" 2 $?
"$CAI" route --help | grep -q -- "--count N"; check "route --help" 0 $?

"$CAI" mix "$HU/ds" --human "$HU/answers.jsonl" -o "$HU/m1" >"$HU/mix.out"
check "mix of plain JSONL answers exits 0" 0 $?
"$CAI" mix "$HU/ds" --human "$HU/answers.jsonl" -o "$HU/m2" --json >"$HU/mix.json"
check "mix --json exits 0" 0 $?
for f in "$HU"/m1/data/*.gz; do cmp -s "$f" "$HU/m2/data/$(basename "$f")" || echo differ; done \
    | grep -q differ
check "mix is deterministic (same data bytes twice)" 1 $?
cmp -s "$HU/m1/manifest.json" "$HU/m2/manifest.json"; check "mix manifest is deterministic" 0 $?
"$CAI" validate "$HU/m1" 2>&1 | grep -q "error \["
check "the mixed dataset has no validation errors" 1 $?
python3 - "$HU" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
exp = json.load(open(d + "/expect.json"))
src, out = {}, {}
for f in glob.glob(d + "/ds/data/*.jsonl.gz"):
    for l in gzip.open(f, "rt"):
        r = json.loads(l); src[r["id"]] = (f.split("/")[-1].split("-")[0], r)
keys = None
for f in sorted(glob.glob(d + "/m1/data/*.jsonl.gz")):
    split = f.split("/")[-1].split("-")[0]
    for l in gzip.open(f, "rt"):
        r = json.loads(l)
        out[r["id"]] = r
        assert src[r["id"]][0] == split, "split membership kept"
        k = list(r)
        assert keys is None or k == keys, (k, keys)  # one schema, same key order
        keys = k
assert keys == list(src[next(iter(src))][1]) + ["label_source"], keys
srcs = {}
for i, r in out.items():
    srcs[r["label_source"]] = srcs.get(r["label_source"], 0) + 1
    if i in exp:
        assert r["chosen"][0]["content"] == exp[i], i  # the human's slot became chosen
        assert r["p_chosen"] == 0.95 and abs(r["margin"] - 2.944439) < 1e-6, r
        same = src[i][1]["chosen"] == r["chosen"]
        assert r["label_source"] == ("both" if same else "human"), r
        assert r["cai"]["chosen_position"] != src[i][1]["cai"]["chosen_position"] or same
    else:
        assert r["label_source"] == "ai" and r == dict(src[i][1], label_source="ai"), i
assert len(out) == len(src) - 4, (len(out), len(src))  # 4 human ties dropped
assert srcs["human"] + srcs["both"] == 8, srcs
m = json.load(open(d + "/m1/manifest.json"))["mix"]
rep = json.load(open(d + "/mix.json"))
assert m["counts"]["human"] == srcs["human"] and m["counts"]["both"] == srcs["both"]
assert m["counts"]["ai"] == srcs["ai"] and m["counts"]["human_ties_dropped"] == 4
assert m["human_ai_agreement"]["n"] == 8 and m["human_ai_agreement"]["agree"] == srcs["both"]
assert 0 <= m["human_ai_agreement"]["lo95"] <= m["human_ai_agreement"]["hi95"] <= 1
assert rep["both"] == srcs["both"] and rep["validation_errors"] == 0, rep
card = open(d + "/m1/README.md").read()
assert "- name: label_source\n    dtype: string" in card and "## Human labels" in card
PY
check "mix: human sides replace AI labels, label_source in every record, counts, agreement" 0 $?

"$CAI" mix "$HU/ds" --human "$HU/answers.jsonl" -o "$HU/mw" --weight-human 2 --human-ties keep \
    --human-p 0.9 >/dev/null
check "mix with weights and kept ties exits 0" 0 $?
python3 - "$HU" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
n = 0
for f in glob.glob(d + "/mw/data/*.jsonl.gz"):
    for l in gzip.open(f, "rt"):
        r = json.loads(l); n += 1
        assert isinstance(r["weight"], float)
        assert r["weight"] == (1.0 if r["label_source"] == "ai" else 2.0), r
        if r["label_source"] != "ai":
            assert r["p_chosen"] in (0.9, 0.5), r
        if r["p_chosen"] == 0.5:
            assert r["margin"] == 0.0 and r["label_source"] == "human"
src = sum(1 for f in glob.glob(d + "/ds/data/*.jsonl.gz") for _ in gzip.open(f, "rt"))
assert n == src, (n, src)
PY
check "mix --weight-human adds a float weight to every record; kept ties are 0.5" 0 $?

cp "$SRC/tests/data/labelstudio/export.json" "$HU/ls.json"
"$CAI" mix "$HU/ds" --human "$HU/ls.json" -o "$HU/ml" --json >"$HU/ml.json"
check "mix of a Label Studio export exits 0" 0 $?
python3 - "$HU" <<'PY'
import json, sys
d = sys.argv[1]
rep = json.load(open(d + "/ml.json"))
assert rep["answers"] == 2 and rep["unanswered_tasks"] == 1, rep
assert rep["human"] + rep["both"] == 2, rep
PY
check "Label Studio: pairwise left/right read, cancelled and empty annotations skipped" 0 $?
printf '{"id":"s0002","responses":{"preference":[{"value":"b","user_id":"u1","status":"submitted"}]}}\n' \
    >"$HU/argilla.jsonl"
"$CAI" mix "$HU/ds" --human "$HU/argilla.jsonl" -o "$HU/ma" >/dev/null
check "mix of an Argilla JSONL record exits 0" 0 $?

# bad answers: exit 2, the place named, nothing created
hu_bad() { # hu_bad NAME FILE PATTERN
    "$CAI" mix "$HU/ds" --human "$2" -o "$HU/bad" 2>"$HU/err"
    check "mix: $1 exits 2" 2 $?
    grep -q -- "$3" "$HU/err"; check "mix: $1 names the place ($3)" 0 $?
    [ ! -e "$HU/bad" ]; check "mix: $1 creates nothing" 0 $?
}
printf '{"id":"s0002","chosen":"a"}\n{"id":"nope","chosen":"b"}\n' >"$HU/unknown.jsonl"
hu_bad "an unknown id" "$HU/unknown.jsonl" "unknown.jsonl:2: unknown id \"nope\""
printf '{"id":"s0002","chosen":"a"}\n{"id":"s0003","chosen":"a"}\n{"id":"s0002","chosen":"b"}\n' \
    >"$HU/dup.jsonl"
hu_bad "a duplicate id" "$HU/dup.jsonl" "dup.jsonl:3: duplicate id \"s0002\" (first at .*dup.jsonl:1)"
printf '{"id":"s0002","chosen":"c"}\n' >"$HU/label.jsonl"
hu_bad "a label not a/b/tie" "$HU/label.jsonl" "label.jsonl:1: id \"s0002\": the answer \"c\""
printf '[\n{"data":{"id":"s0002"},\n"annotations":[{"result":[]}]\n' >"$HU/broken.json"
hu_bad "malformed Label Studio JSON" "$HU/broken.json" "broken.json:[0-9]*: invalid JSON"
printf '[{"data":{"id":"s0002"},"annotations":[{"result":[{"type":"pairwise","value":{"selected":"up"}}]}]}]\n' \
    >"$HU/lsbad.json"
hu_bad "a Label Studio pairwise value not left/right" "$HU/lsbad.json" "lsbad.json: task 1 (id \"s0002\")"
"$CAI" mix "$HU/ds" --human "$HU/answers.jsonl" -o "$HU/ds" 2>/dev/null
check "mix refuses to write into a run's directory" 2 $?
"$CAI" mix "$HU/ds" -o "$HU/x" 2>/dev/null; check "mix without --human exits 2" 2 $?
"$CAI" mix --help | grep -q -- "--human-p"; check "mix --help" 0 $?
rm -rf "$HU"
