# Human labels in the loop: cai agree, cai calibrate and cai compare on the bundled samples
# (offline built-in judge) and on label files with errors.
HU_TMP=$(mktemp -d)
hu_msg() { # hu_msg NAME EXPECTED_STDERR_LINE: the exact message of the last command
    if grep -qxF "cai: $2" "$HU_TMP/err"; then pass=$((pass + 1)); else
        fail=$((fail + 1))
        echo "FAIL: $1: expected 'cai: $2', got:"
        sed 's/^/    /' "$HU_TMP/err"
    fi
}
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" -o "$HU_TMP/pairs"
check "human: run pairs.jsonl" 0 $?
"$CAI" run -q -i "$SRC/datasets/samples/hh-style.jsonl" -c "$SRC/constitution/hhh.json" -o "$HU_TMP/hh"
check "human: run hh-style.jsonl" 0 $?
# The intended labels of pairs.jsonl (scripts/make_samples.py --labels), ties left out.
awk -F'\t' '$2 != "tie" { printf "{\"id\":\"%s\",\"chosen\":\"%s\"}\n", $1, $2 }' \
    "$SRC/datasets/samples/pairs.labels.tsv" >"$HU_TMP/labels.jsonl"

# ---- agree
for c in agree calibrate compare; do
    "$CAI" "$c" --help | grep -q "^exit codes:"; check "$c --help lists exit codes" 0 $?
    "$CAI" "$c" --bogus >/dev/null 2>&1; check "$c: unknown option" 2 $?
done
"$CAI" agree "$HU_TMP/hh" >"$HU_TMP/out" 2>"$HU_TMP/err"; check "agree on hh-style" 0 $?
grep -q '^agreement: 75.0% of 20 pairs (95% Wilson CI 0.531-0.888' "$HU_TMP/out"
check "agree: the rate and Wilson interval of the hh sample" 0 $?
"$CAI" agree --json --svg "$HU_TMP/agree.svg" "$HU_TMP/hh" >"$HU_TMP/agree.json"
check "agree --json --svg" 0 $?
python3 - "$HU_TMP/agree.json" "$HU_TMP/agree.svg" <<'PY'
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
a = r["agreement"]
assert (a["pairs"], a["agree"]) == (20, 15), a
c = r["confusion"]
assert sum(c.values()) == 20 and c["ai_a_human_a"] + c["ai_b_human_b"] == 15, c
for k in ("by_principle", "by_shown_position", "by_length", "by_file", "by_confidence"):
    assert sum(x["pairs"] for x in r[k]) >= 20, k
assert sum(x["pairs"] for x in r["by_length"]) == 20
assert sum(x["pairs"] for x in r["by_confidence"]) == 20
assert len(r["by_file"]) == 2 and r["by_file"][0]["name"].startswith("data/")
svg = ET.parse(sys.argv[2]).getroot()
assert svg.tag.endswith("svg") and len(svg.findall(".//{http://www.w3.org/2000/svg}circle")) > 0
PY
check "agree: JSON counts add up and the SVG parses" 0 $?
"$CAI" agree "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"; check "agree without human labels" 2 $?
hu_msg "agree names the missing labels" "$HU_TMP/pairs: no record has a human label (cai.has_human_label is false in all 394 records); give the labels with --human FILE"
"$CAI" agree --human "$HU_TMP/labels.jsonl" --json "$HU_TMP/pairs" >"$HU_TMP/out"
check "agree --human with the intended labels of pairs.jsonl" 0 $?
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["agreement"]; assert a["pairs"] > 300 and 0.7 < a["rate"] < 0.85, a' "$HU_TMP/out"
check "agree: the built-in judge agrees with the intended labels ~77% of the time" 0 $?
"$CAI" agree --human "$HU_TMP/hh" "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"
check "agree --human DATASET of other pairs" 2 $?
grep -q '^cai: .*/hh/data/train-00000-of-00001.jsonl.gz:1: id "h[0-9a-f]*" is not in ' "$HU_TMP/err"
check "agree: unknown ids from a dataset are named by FILE:LINE" 0 $?

"$CAI" agree --human "$HU_TMP/hh" --json "$HU_TMP/hh" | python3 -c 'import json,sys; a=json.load(sys.stdin)["agreement"]; assert (a["pairs"], a["agree"]) == (20, 15), a'
check "agree --human DATASET reads that dataset's labels" 0 $?

# humans who disagree with the AI label: agreement below chance is a finding (exit 1)
zcat "$HU_TMP"/hh/data/*.jsonl.gz | python3 -c '
import json, sys
for l in sys.stdin:
    x = json.loads(l)
    print(json.dumps({"id": x["id"], "chosen": "b" if x["cai"]["chosen_position"] == "a" else "a"}))
' >"$HU_TMP/contrary.jsonl"
"$CAI" agree --human "$HU_TMP/contrary.jsonl" "$HU_TMP/hh" >"$HU_TMP/out" 2>&1
check "agree: agreement at or below chance exits 1" 1 $?
grep -q "^agreement: 0.0% of 20 pairs.*NOT ABOVE CHANCE" "$HU_TMP/out"; check "agree says so" 0 $?

# bad label files
printf '{"id":"s0001","chosen":"a"}\n{"id":"nope","chosen":"b"}\n' >"$HU_TMP/unknown.jsonl"
printf '{"id":"s0001","chosen":"a"}\n{"id":"s0002","chosen":"a"}\n{"id":"s0001","chosen":"b"}\n' >"$HU_TMP/dup.jsonl"
printf '{"id":"s0001","chosen":"a"}\n{"id":"s0002","chosen":"tie"}\n' >"$HU_TMP/tie.jsonl"
printf '{"id":"s0001","chosen":"a"}\n{"chosen":"b"}\n' >"$HU_TMP/noid.jsonl"
printf '{"id":"s0001","chosen":"a"}\nnot json\n' >"$HU_TMP/json.jsonl"
for c in agree calibrate; do
    "$CAI" "$c" --human "$HU_TMP/unknown.jsonl" "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"
    check "$c: a label naming an unknown id" 2 $?
    hu_msg "$c: unknown id message" "$HU_TMP/unknown.jsonl:2: id \"nope\" is not in $HU_TMP/pairs (1 label name unknown ids)"
    "$CAI" "$c" --human "$HU_TMP/dup.jsonl" "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"
    check "$c: a duplicate id" 2 $?
    hu_msg "$c: duplicate id message" "$HU_TMP/dup.jsonl:3: duplicate id \"s0001\" (first at line 1)"
    "$CAI" "$c" --human "$HU_TMP/tie.jsonl" "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"
    check "$c: a label neither a nor b" 2 $?
    hu_msg "$c: bad label message" "$HU_TMP/tie.jsonl:2: \"chosen\" is \"tie\", neither \"a\" nor \"b\" (leave ties and unlabelled pairs out)"
    "$CAI" "$c" --human "$HU_TMP/noid.jsonl" "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"
    check "$c: a label without id" 2 $?
    hu_msg "$c: no id message" "$HU_TMP/noid.jsonl:2: \"id\" is missing or not a string"
    "$CAI" "$c" --human "$HU_TMP/json.jsonl" "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"
    check "$c: a line that is not JSON" 2 $?
    hu_msg "$c: not JSON message" "$HU_TMP/json.jsonl:2: not a JSON object {\"id\", \"chosen\"}"
    "$CAI" "$c" "$SRC/datasets/samples/pairs.jsonl" >/dev/null 2>"$HU_TMP/err"
    check "$c: an input file, not a labelled dataset" 2 $?
    grep -q "pairs.jsonl:1: not a labelled cai record" "$HU_TMP/err"; check "$c: says why, with FILE:LINE" 0 $?
done

# ---- calibrate
"$CAI" calibrate "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"; check "calibrate without human labels" 2 $?
hu_msg "calibrate names the missing labels" "$HU_TMP/pairs: no record has a human label (cai.has_human_label is false in all 394 records); give the labels with --human FILE"
"$CAI" calibrate --human "$HU_TMP/labels.jsonl" --holdout 0 --json --svg "$HU_TMP/cal.svg" \
    --save "$HU_TMP/cal.json" -o "$HU_TMP/cal" "$HU_TMP/pairs" >"$HU_TMP/out" 2>"$HU_TMP/err"
check "calibrate -o (fit on all labels: the log-loss cannot rise)" 0 $?
cmp -s "$HU_TMP/out" "$HU_TMP/cal.json"; check "calibrate: --save stores the --json report" 0 $?
"$CAI" validate "$HU_TMP/cal" >/dev/null 2>&1; check "the calibrated dataset validates (checksums)" 0 $?
# HH transcripts come through calibrate whole: the scanner once split the record's tree in
# place, and calibrate -o wrote each chosen/rejected cut at its first turn
"$CAI" run -q -i "$SRC/datasets/samples/hh-style.jsonl" -c "$SRC/constitution/hhh.json" \
    --format hh -o "$HU_TMP/hhfmt"
check "human: run hh-style.jsonl --format hh" 0 $?
"$CAI" calibrate --holdout 0 -o "$HU_TMP/hhcal" "$HU_TMP/hhfmt" >/dev/null 2>&1
check "calibrate -o on an hh-format dataset" 0 $?
python3 - "$HU_TMP/hhfmt" "$HU_TMP/hhcal" <<'PY'
import glob, gzip, json, sys
def texts(d):
    return sorted((r["id"], r["chosen"], r["rejected"]) for f in glob.glob(d + "/data/*.jsonl.gz")
                  for r in map(json.loads, gzip.open(f, "rt")))
a, b = texts(sys.argv[1]), texts(sys.argv[2])
sys.exit(0 if a == b and len(a) == 20 and all("\n\nAssistant:" in t[1] for t in a) else 1)
PY
check "calibrate -o keeps HH transcripts whole" 0 $?
python3 - "$HU_TMP/pairs" "$HU_TMP/cal" "$HU_TMP/cal.svg" "$HU_TMP/labels.jsonl" <<'PY'
import glob, gzip, json, math, os, sys, xml.etree.ElementTree as ET
src, out = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(out, "manifest.json")))
cal = m["calibration"]
t = cal["temperature"]
assert cal["method"] == "temperature" and t > 0 and cal["labelled_pairs"] > 300, cal
import hashlib
assert cal["human_labels_sha256"] == hashlib.sha256(open(sys.argv[4], "rb").read()).hexdigest()
assert m["settings"]["margin"] == "capped"
assert "## Calibration" in open(os.path.join(out, "README.md")).read()
for f in sorted(glob.glob(os.path.join(src, "data", "*.jsonl.gz"))):
    g = os.path.join(out, "data", os.path.basename(f))
    a = [json.loads(l) for l in gzip.open(f)]
    b = [json.loads(l) for l in gzip.open(g)]
    assert len(a) == len(b) and a, f
    for x, y in zip(a, b):
        assert list(x) == list(y) and list(x["cai"]) == list(y["cai"])
        for k in x:
            if k not in ("p_chosen", "margin"):
                assert x[k] == y[k], k
        z = math.log(x["p_chosen"] / (1 - x["p_chosen"])) if x["p_chosen"] < 1 else 13.8
        want = 1 / (1 + math.exp(-z / t))
        assert abs(y["p_chosen"] - want) < 1e-9, (x["p_chosen"], y["p_chosen"], want)
        q = min(y["p_chosen"], 1 - 1e-6)
        assert abs(y["margin"] - min(math.log(q / (1 - q)), 3)) < 1e-6
ET.parse(sys.argv[3])
PY
check "calibrate: same records and keys, p_chosen = sigmoid(logit/T), margin capped as the run" 0 $?
"$CAI" calibrate --human "$HU_TMP/labels.jsonl" "$HU_TMP/pairs" >"$HU_TMP/out" 2>"$HU_TMP/err"
# the built-in judge is nearly calibrated on these labels: the held-out 30% gets slightly worse
check "calibrate: a held-out log-loss that rises exits 1" 1 $?
grep -q "^cai: warning: the calibration made the held-out log-loss worse" "$HU_TMP/err"
check "calibrate: says so" 0 $?
grep -q "^measured on [0-9]* held-out pairs:" "$HU_TMP/out"; check "calibrate: held-out report" 0 $?
"$CAI" calibrate --human "$HU_TMP/labels.jsonl" -o "$HU_TMP/cal" "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"
check "calibrate -o refuses a non-empty directory" 2 $?
hu_msg "calibrate: the refusal" "$HU_TMP/cal: exists and is not empty; the calibrated dataset goes to a new directory"
"$CAI" calibrate --human "$HU_TMP/labels.jsonl" --method platt --holdout 0 -o "$HU_TMP/platt" \
    "$HU_TMP/pairs" >/dev/null 2>&1
check "calibrate --method platt" 0 $?
"$CAI" validate "$HU_TMP/platt" >/dev/null 2>&1; check "the Platt-calibrated dataset validates" 0 $?
python3 - "$HU_TMP/pairs" "$HU_TMP/platt" <<'PY'
import glob, gzip, json, math, os, sys
cal = json.load(open(os.path.join(sys.argv[2], "manifest.json")))["calibration"]
a, b, moved = cal["a"], cal["b"], 0
for f in sorted(glob.glob(os.path.join(sys.argv[1], "data", "*.jsonl.gz"))):
    for l1, l2 in zip(gzip.open(f), gzip.open(os.path.join(sys.argv[2], "data", os.path.basename(f)))):
        x, y = json.loads(l1), json.loads(l2)
        pa = x["p_chosen"] if x["cai"]["chosen_position"] == "a" else 1 - x["p_chosen"]
        z = math.log(max(pa, 1e-6) / max(1 - pa, 1e-6))
        pa2 = 1 / (1 + math.exp(-(a * z + b)))
        side = "a" if pa2 > 0.5 else "b"
        assert y["cai"]["chosen_position"] == side, (x["id"], pa, pa2)
        assert abs(y["p_chosen"] - max(pa2, 1 - pa2)) < 1e-9
        if side != x["cai"]["chosen_position"]:
            moved += 1
            assert (y["chosen"], y["rejected"]) == (x["rejected"], x["chosen"])
        else:
            assert (y["chosen"], y["rejected"]) == (x["chosen"], x["rejected"])
assert moved == cal["labels_changed_side"], (moved, cal)
PY
check "calibrate --method platt: P'(A) = sigmoid(a z + b); moved pairs swap chosen and rejected" 0 $?
"$CAI" calibrate --holdout 0 --svg "$HU_TMP/no-such-dir/r.svg" "$HU_TMP/hh" >/dev/null 2>&1
check "calibrate: an unwritable --svg path" 2 $?
"$CAI" calibrate --holdout 2 "$HU_TMP/hh" >/dev/null 2>&1; check "calibrate --holdout out of range" 2 $?
"$CAI" calibrate --method isotonic "$HU_TMP/hh" >/dev/null 2>&1; check "calibrate: unknown method" 2 $?
"$CAI" calibrate --holdout 0 "$HU_TMP/hh" >/dev/null 2>&1; check "calibrate on the hh sample's own labels" 0 $?

# ---- compare
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$HU_TMP/pairs7" --seed 7 --principles-per-pair 2
check "human: a second run with other settings" 0 $?
"$CAI" compare --json --top 5 --flipped "$HU_TMP/flipped.txt" "$HU_TMP/pairs" "$HU_TMP/pairs7" \
    >"$HU_TMP/cmp.json"
check "compare two runs" 0 $?
# the flipped list was written under a temporary name and renamed: none is left beside it
ls -a "$HU_TMP" | grep -c 'cai-tmp' >"$HU_TMP/tmp-left"
check "compare: no temporary file left beside --flipped" 0 "$(cat "$HU_TMP/tmp-left")"
python3 - "$HU_TMP/cmp.json" "$HU_TMP/flipped.txt" "$HU_TMP/pairs" "$HU_TMP/pairs7" <<'PY'
import glob, gzip, json, sys
r = json.load(open(sys.argv[1]))
flipped = open(sys.argv[2]).read().split()
def load(d):
    out = {}
    for f in glob.glob(d + "/data/*.jsonl.gz"):
        for l in gzip.open(f):
            x = json.loads(l)
            out[x["id"]] = x
    return out
a, b = load(sys.argv[3]), load(sys.argv[4])
want = sorted(i for i in a if i in b and a[i]["cai"]["chosen_position"] != b[i]["cai"]["chosen_position"])
assert sorted(flipped) == want and r["flipped"] == len(want) > 0, (r["flipped"], len(want))
assert r["both"] == len(set(a) & set(b)) and r["only_a"] == 0 and r["only_b"] == 0
assert r["runs_agree"]["agree"] == r["both"] - r["flipped"]
pa = lambda x: x["p_chosen"] if x["cai"]["chosen_position"] == "a" else 1 - x["p_chosen"]
d = sorted(((abs(pa(b[i]) - pa(a[i])), i) for i in a if i in b), reverse=True)
top = r["largest_changes"]
assert len(top) == 5 and abs(abs(top[0]["change"]) - d[0][0]) < 1e-12, (top[0], d[0])
assert {p["run"] for p in r["by_principle"]} == {"a", "b"}
PY
check "compare: flips, ids, agreement and the largest change match the records" 0 $?
zcat "$HU_TMP/pairs/data/train-00000-of-00001.jsonl.gz" | head -50 >"$HU_TMP/part.jsonl"
"$CAI" compare --json "$HU_TMP/part.jsonl" "$HU_TMP/pairs" >"$HU_TMP/cmp2.json"
check "compare a part with the whole" 0 $?
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert (r["both"], r["only_a"], r["only_b"], r["flipped"]) == (50, 0, 344, 0), r' "$HU_TMP/cmp2.json"
check "compare: pairs in only one run are counted" 0 $?
"$CAI" compare --json "$HU_TMP/hh" "$HU_TMP/hh" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["human_agreement_a"]["agree"] == 15 and r["human_agreement_b"]["pairs"] == 20, r'
check "compare: each run's agreement with humans" 0 $?
{ cat "$HU_TMP/part.jsonl"; head -1 "$HU_TMP/part.jsonl"; } >"$HU_TMP/dup-run.jsonl"
"$CAI" compare "$HU_TMP/dup-run.jsonl" "$HU_TMP/pairs" >/dev/null 2>"$HU_TMP/err"
check "compare: an id twice in one run" 2 $?
grep -q "dup-run.jsonl:51: duplicate id \"s0" "$HU_TMP/err"; check "compare: names the duplicate's FILE:LINE" 0 $?
"$CAI" compare "$HU_TMP/pairs" >/dev/null 2>&1; check "compare needs two runs" 2 $?
"$CAI" compare "$HU_TMP/pairs" "$HU_TMP/hh" >/dev/null 2>"$HU_TMP/err"; check "compare: no pair in common" 2 $?
hu_msg "compare: no pair in common, said" "$HU_TMP/pairs and $HU_TMP/hh have no pair id in common (394 and 20 records): compare needs two runs over the same pairs"
rm -rf "$HU_TMP"
