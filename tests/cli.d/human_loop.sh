# The end-to-end walk-through of docs/human-loop.md (label with AI -> agree -> calibrate -> route
# -> mix), run exactly as the document writes it, with `cai` standing for the binary under test.
HL2_TMP=$(mktemp -d)
sed -n '/<!-- walkthrough:begin -->/,/<!-- walkthrough:end -->/p' "$SRC/docs/human-loop.md" |
    grep -v '^<!--\|^```' >"$HL2_TMP/walk.sh"
[ "$(grep -c '^cai \|^if cai ' "$HL2_TMP/walk.sh")" -ge 6 ]
check "human loop: the walk-through block is in docs/human-loop.md" 0 $?
ln -s "$(cd "$SRC" && pwd)"/{datasets,constitution,scripts} "$HL2_TMP/"
HL2_CAI=$(cd "$(dirname "$CAI")" && pwd)/$(basename "$CAI") # the block runs in another directory
(cd "$HL2_TMP" && cai() { "$HL2_CAI" "$@"; } && set -e && . ./walk.sh) >"$HL2_TMP/out" 2>&1
rc=$?
[ "$rc" = 0 ] || cat "$HL2_TMP/out"
check "human loop: the walk-through runs as written" 0 "$rc"
# what each step left: an agreement report, routed tasks, answers, a mixed dataset that says
# whose label each record carries, with human and both counts matching the non-tie answers
/usr/bin/python3 - "$HL2_TMP/loop" <<'PY'
import gzip, glob, json, sys
d = sys.argv[1]
agree = json.load(open(d + "/agree.json"))
assert 0.5 < agree["agreement"]["rate"] < 1, agree["agreement"]
tasks = [json.loads(l) for l in open(d + "/route/tasks.jsonl")]
assert len(tasks) == 100, len(tasks)
answers = [json.loads(l) for l in open(d + "/answers.jsonl")]
decided = sum(a["chosen"] != "tie" for a in answers)
src = {}
for f in glob.glob(d + "/final/data/*.jsonl.gz"):
    for line in gzip.open(f, "rt", encoding="utf-8"):
        r = json.loads(line)
        src[r["label_source"]] = src.get(r["label_source"], 0) + 1
assert src.get("human", 0) + src.get("both", 0) == decided, (src, decided)
assert src.get("ai", 0) > 0, src
PY
check "human loop: agree, route, answers and the mixed dataset fit together" 0 $?
rm -rf "$HL2_TMP"
