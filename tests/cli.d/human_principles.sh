# Per-principle verdicts (cai.principle_p_chosen), cai route --by principles, and
# cai run --calibration. Datasets are made here with the built-in judge from the bundled sample.
HP=$(mktemp -d)
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" -o "$HP/k3" \
    --principles-per-pair 3 >/dev/null 2>&1
check "principles: a K=3 dataset is made" 0 $?
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" -o "$HP/rt" \
    --principles-per-pair 2 --mode rating --format trl >/dev/null 2>&1
check "principles: a K=2 rating dataset is made" 0 $?
python3 - "$HP" <<'PY'
import gzip, glob, json, math, sys
d = sys.argv[1]
def recs(ds):
    for f in sorted(glob.glob(d + "/" + ds + "/data/*.jsonl.gz")):
        for l in gzip.open(f, "rt"):
            yield json.loads(l), l
n = 0
for r, line in recs("k3"):
    c = r["cai"]
    pp = c["principle_p_chosen"]
    assert len(pp) == len(c["principles"]) == 3, c
    assert all(isinstance(x, float) and 0 <= x <= 1 for x in pp), pp
    assert line.count("principle_p_chosen") == 1
    # choice mode: the principles' mean is P(chosen), the record's p_chosen
    assert abs(sum(pp) / 3 - r["p_chosen"]) < 1e-12, (pp, r["p_chosen"])
    n += 1
assert n > 300, n
for r, _ in recs("rt"):
    c = r["cai"]
    pp = c["principle_p_chosen"]
    assert len(pp) == len(c["principles"]) == 2 and all(0 < x < 1 for x in pp), c
# the card declares the column, the manifest's schema describes it
card = open(d + "/k3/README.md").read()
assert "- name: principle_p_chosen\n      sequence: float64\n" in card, card[:3000]
m = json.load(open(d + "/k3/manifest.json"))
assert "cai.principle_p_chosen" in m["schema"], m["schema"]
PY
check "principles: every record has one verdict per principle; card and manifest declare it" 0 $?
"$CAI" validate "$HP/k3" >/dev/null; check "principles: validate accepts the dataset" 0 $?

# validate checks the column: a list as long as cai.principles, of numbers in [0, 1]
python3 - "$HP" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
f = sorted(glob.glob(d + "/k3/data/train-*.jsonl.gz"))[0]
rows = [json.loads(l) for l in gzip.open(f, "rt")]
for name, change in (("short", lambda c: c["principle_p_chosen"].pop()),
                     ("range", lambda c: c["principle_p_chosen"].__setitem__(0, 1.5)),
                     ("type", lambda c: c["principle_p_chosen"].__setitem__(1, "x"))):
    out = [json.loads(json.dumps(r)) for r in rows[:5]]
    change(out[2]["cai"])
    with open(d + "/bad_" + name + ".jsonl", "w") as g:
        for r in out:
            g.write(json.dumps(r) + "\n")
# a dataset from before per-principle verdicts: the key dropped from every record
with open(d + "/old.jsonl", "w") as g:
    for r in rows:
        del r["cai"]["principle_p_chosen"]
        g.write(json.dumps(r) + "\n")
PY
for b in short range type; do
    "$CAI" validate "$HP/bad_$b.jsonl" >"$HP/v_$b.out" 2>&1
    check "principles: validate rejects a bad principle_p_chosen ($b)" 1 $?
    grep -q "bad_$b.jsonl:3: .*principle_p_chosen" "$HP/v_$b.out"
    check "principles: validate names FILE:LINE and the key ($b)" 0 $?
done

# route --by principles: the pairs whose principles split most, none judged by one principle
"$CAI" route "$HP/k3" --count 25 --by principles -o "$HP/r1" --json >"$HP/r1.json"
check "route --by principles exits 0" 0 $?
"$CAI" route "$HP/k3" --count 25 --by principles -o "$HP/r2" >/dev/null
cmp -s "$HP/r1/tasks.jsonl" "$HP/r2/tasks.jsonl"; check "route --by principles is deterministic" 0 $?
python3 - "$HP" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
key = {}
for f in glob.glob(d + "/k3/data/*.jsonl.gz"):
    for l in gzip.open(f, "rt"):
        r = json.loads(l)
        pp = r["cai"]["principle_p_chosen"]
        above = sum(x > 0.5 for x in pp); below = sum(x < 0.5 for x in pp)
        key[r["id"]] = ((1000 * min(above, below) + len(pp) // 2) // len(pp), max(pp) - min(pp))
sel = [json.loads(l) for l in open(d + "/r1/tasks.jsonl")]
rep = json.load(open(d + "/r1.json"))
assert len(sel) == 25 and rep["selected_by_reason"]["principles"] == 25, rep
assert rep["principle_verdicts"] is True, rep
assert all(s["reason"] == "principles" for s in sel)
ids = {s["id"] for s in sel}
worst = min(key[i] for i in ids)
best_left = max(v for i, v in key.items() if i not in ids)
assert worst >= best_left, (worst, best_left)
assert worst[0] > 0, worst  # on this sample at least 25 pairs have principles on both sides
PY
check "route --by principles exports the pairs whose principles disagree most" 0 $?
"$CAI" route "$HP/old.jsonl" --count 5 --by principles -o "$HP/rold" 2>"$HP/err"
check "route --by principles on records without verdicts exits 2" 2 $?
grep -q "old.jsonl:1: .*principle_p_chosen" "$HP/err"; check "route names FILE:LINE and the key" 0 $?
[ ! -e "$HP/rold" ]; check "route --by principles on old records creates nothing" 0 $?
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" -o "$HP/k1" \
    >/dev/null 2>&1
"$CAI" route "$HP/k1" --count 5 --by principles -o "$HP/rk1" --json >"$HP/rk1.json"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['selected'] == 0, r" \
    "$HP/rk1.json"
check "route --by principles: pairs judged by one principle have nothing to disagree about" 0 $?

# --calibration: a run with a saved fit writes what cai calibrate -o writes afterwards
awk -F'\t' '$2 != "tie" { printf "{\"id\":\"%s\",\"chosen\":\"%s\"}\n", $1, $2 }' \
    "$SRC/datasets/samples/pairs.labels.tsv" >"$HP/labels.jsonl"
for method in platt temperature; do
    "$CAI" calibrate "$HP/k3" --human "$HP/labels.jsonl" --method $method -o "$HP/cal_$method" \
        --save "$HP/$method.json" >/dev/null
    rc=$?; [ $rc -le 1 ]; check "calibrate --method $method -o --save" 0 $?
    "$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
        -o "$HP/run_$method" --principles-per-pair 3 --calibration "$HP/$method.json" >/dev/null 2>&1
    check "run --calibration ($method) exits 0" 0 $?
    same=0
    for f in "$HP/cal_$method"/data/*.gz; do
        cmp -s "$f" "$HP/run_$method/data/$(basename "$f")" || same=1
    done
    check "run --calibration ($method) equals cai calibrate afterwards, byte for byte" 0 $same
done
python3 - "$HP" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
m = json.load(open(d + "/run_platt/manifest.json"))
c = m["calibration"]
assert c["method"] == "platt" and c["file"].endswith("platt.json") and len(c["file_sha256"]) == 64, c
assert "## Calibration" in open(d + "/run_platt/README.md").read()
def recs(ds):
    out = {}
    for f in sorted(glob.glob(d + "/" + ds + "/data/*.jsonl.gz")):
        for l in gzip.open(f, "rt"):
            r = json.loads(l); out[r["id"]] = r
    return out
a, b = recs("k3"), recs("run_platt")
flipped = [i for i in a if a[i]["cai"]["chosen_position"] != b[i]["cai"]["chosen_position"]]
assert flipped, "platt moved no label across 0.5 on this sample"
for i in flipped:  # the per-principle verdicts follow the chosen response
    assert all(abs((1 - x) - y) < 1e-12 for x, y in
               zip(a[i]["cai"]["principle_p_chosen"], b[i]["cai"]["principle_p_chosen"])), i
PY
check "run --calibration: manifest and card record it; per-principle verdicts follow a flip" 0 $?
# the journal keeps the judge's numbers: the same directory rerun without the calibration gives
# the uncalibrated dataset
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$HP/run_platt" --principles-per-pair 3 >/dev/null 2>&1
check "rerun without --calibration on the calibrated directory exits 0" 0 $?
same=0
for f in "$HP"/k3/data/*.gz; do cmp -s "$f" "$HP/run_platt/data/$(basename "$f")" || same=1; done
check "rerun without --calibration gives the judge's own labels back" 0 $same
# a malformed calibration file: exit 2 naming FILE and key, nothing written
printf '{"cai_calibration":1,"method":"platt","a":"x","b":0}\n' >"$HP/badcal.json"
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$HP/run_bad" --calibration "$HP/badcal.json" 2>"$HP/err"
check "run --calibration with a malformed file exits 2" 2 $?
grep -q 'badcal.json: "a": not a finite number' "$HP/err"; check "the error names FILE and key" 0 $?
[ ! -e "$HP/run_bad/journal.cai" ]; check "a malformed calibration file starts nothing" 0 $?
printf '{"cai_calibration":1,"method":"isotonic","a":1,"b":0}\n' >"$HP/badcal2.json"
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$HP/run_bad2" --calibration "$HP/badcal2.json" 2>"$HP/err"
check "run --calibration with an unknown method exits 2" 2 $?
grep -q 'badcal2.json: "method"' "$HP/err"; check "the error names the method key" 0 $?
"$CAI" run -q -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$HP/run_bad3" --calibration "$HP/none.json" 2>/dev/null
check "run --calibration with a missing file exits 2" 2 $?

# mix: a human answer that changes side turns the per-principle verdicts with it
"$CAI" route "$HP/k3" --count 60 --by principles -o "$HP/rm" >/dev/null
python3 "$SRC/scripts/simulate_labeller.py" "$HP/rm/tasks.jsonl" \
    "$SRC/datasets/samples/pairs.jsonl" "$SRC/datasets/samples/pairs.labels.tsv" >"$HP/ans.jsonl"
"$CAI" mix "$HP/k3" --human "$HP/ans.jsonl" -o "$HP/mx" >/dev/null
check "mix of answers to principle-routed pairs exits 0" 0 $?
python3 - "$HP" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
def recs(ds):
    out = {}
    for f in sorted(glob.glob(d + "/" + ds + "/data/*.jsonl.gz")):
        for l in gzip.open(f, "rt"):
            r = json.loads(l); out[r["id"]] = r
    return out
a, b = recs("k3"), recs("mx")
n = 0
for i, r in b.items():
    x, y = a[i]["cai"]["principle_p_chosen"], r["cai"]["principle_p_chosen"]
    if r["cai"]["chosen_position"] != a[i]["cai"]["chosen_position"]:
        n += 1
        assert all(abs((1 - p) - q) < 1e-12 for p, q in zip(x, y)), i
    else:
        assert x == y, i
assert n > 0, "no human answer changed side"
PY
check "mix: per-principle verdicts follow the chosen response" 0 $?
rm -rf "$HP"
