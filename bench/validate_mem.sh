#!/usr/bin/env bash
# Validation's own memory per record (issue 13: at most 40 bytes): `cai validate --json` on
# synthetic TRL files of SIZES records, every prompt distinct so that the duplicate checks keep
# one entry per record. Prints the fingerprint structures' bytes per record (the report's
# fingerprint_bytes / records) and the process's peak RSS beside a one-record run. Not a test.
# usage: bench/validate_mem.sh [PATH/TO/cai]   (env: SIZES="100000 1000000", SCRATCH)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/cai-validate-mem}
CAI=${1:-build-release/cai}
if [ ! -x "$CAI" ]; then
    cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DCAI_TESTS=OFF -DCAI_WERROR=OFF >/dev/null
    cmake --build build-release -j"$(nproc)" --target cai >/dev/null 2>&1
fi
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }
mkdir -p "$SCRATCH"

gen() { # N PATH
    [ -s "$2" ] || python3 - "$1" "$2" <<'PY'
import json, sys, random
n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(1)
words = "the a to of and help please explain how why what safe kind careful answer question".split()
with open(out, "w") as f:
    for i in range(n):
        t = lambda k: " ".join(rnd.choice(words) for _ in range(k))
        f.write(json.dumps({"prompt": "q%d " % i + t(20), "chosen": t(30), "rejected": t(25)}) + "\n")
PY
}

gen 1 "$SCRATCH/t1.jsonl"
base=$(/usr/bin/time -f %M "$CAI" validate "$SCRATCH/t1.jsonl" 2>&1 >/dev/null | tail -n 1)
printf '%-9s %12s %14s %12s %14s\n' records fp_bytes fp_bytes/rec peak_RSS_MB RSS-base/rec
for n in ${SIZES:-100000 1000000}; do
    gen "$n" "$SCRATCH/t$n.jsonl"
    rss=$(/usr/bin/time -f %M -o "$SCRATCH/time" "$CAI" validate --json "$SCRATCH/t$n.jsonl" \
        >"$SCRATCH/report.json" || true; cat "$SCRATCH/time")
    rss=$(tail -n 1 <<<"$rss")
    python3 - "$SCRATCH/report.json" "$rss" "$base" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); rss, base = int(sys.argv[2]), int(sys.argv[3])
n, fp = d["records"], d["fingerprint_bytes"]
print("%-9d %12d %14.1f %12.1f %14.1f" % (n, fp, fp / n, rss / 1024, (rss - base) * 1024 / n))
PY
done
