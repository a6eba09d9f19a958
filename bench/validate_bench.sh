#!/usr/bin/env bash
# Throughput of `cai validate` on a large gzip JSONL file, beside `gzip -dc` on the same file in the
# same run. Not a test: prints MB/s of uncompressed JSONL for both, and their ratio (target >= 0.5).
#
# usage: bench/validate_bench.sh [PATH/TO/cai]     (default: build-release/cai, built if missing)
# env:   SCRATCH (default ${TMPDIR:-/tmp}/cai-validate-bench), TARGET_MB (default 200),
#        REPS (default 3: the best of REPS runs is reported for each command)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/cai-validate-bench}
TARGET_MB=${TARGET_MB:-200}
REPS=${REPS:-3}
HH="$SRC/../shared/data/hh-rlhf/harmless-base-test-head1000.jsonl.gz"
CAI=${1:-}

if [ -z "$CAI" ]; then
    CAI=build-release/cai
    if [ ! -x "$CAI" ]; then
        cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DCAI_TESTS=OFF -DCAI_WERROR=OFF >/dev/null
        cmake --build build-release -j"$(nproc)" --target cai >/dev/null 2>&1
    fi
fi
[ -f "$HH" ] || { echo "missing $HH" >&2; exit 2; }
mkdir -p "$SCRATCH"
DATA="$SCRATCH/hh-${TARGET_MB}mb.jsonl.gz"

# The HH sample, replicated until TARGET_MB of JSONL: every copy gets its own ids and a marker in
# the first human turn, so that no prompt repeats and the fingerprint tables hold every record.
if [ ! -s "$DATA" ]; then
    python3 - "$HH" "$TARGET_MB" <<'PY' | gzip -6 >"$DATA.tmp"
import gzip, json, sys
src, target = sys.argv[1], int(sys.argv[2]) * 1000 * 1000
lines = [json.loads(l) for l in gzip.open(src, "rt", encoding="utf-8") if l.strip()]
out, size, copy = sys.stdout, 0, 0
while size < target:
    for i, rec in enumerate(lines):
        tag = "\n\nHuman: (variant %d) " % copy
        r = {"id": "c%d-%d" % (copy, i),
             "chosen": rec["chosen"].replace("\n\nHuman: ", tag, 1),
             "rejected": rec["rejected"].replace("\n\nHuman: ", tag, 1)}
        s = json.dumps(r, ensure_ascii=False) + "\n"
        out.write(s)
        size += len(s.encode("utf-8"))
    copy += 1
PY
    mv "$DATA.tmp" "$DATA"
fi

bytes=$(gzip -dc "$DATA" | wc -c)
best() { # best wall time in seconds of REPS runs of "$@" (output discarded)
    local b="" t s e
    for _ in $(seq "$REPS"); do
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || true
        e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc -l)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
gz=$(best gzip -dc "$DATA")
cv=$(best "$CAI" validate --format hh "$DATA")
rss=""
if command -v /usr/bin/time >/dev/null 2>&1; then
    rss=$({ /usr/bin/time -f %M "$CAI" validate --format hh "$DATA" 2>&1 >/dev/null || true; } | tail -n 1)
fi
mb=$(echo "$bytes / 1000000" | bc -l)
printf 'file: %s (%.1f MB of JSONL, %d bytes gzip)\n' "$DATA" "$mb" "$(wc -c <"$DATA")"
printf '%-28s %8.2f s %8.1f MB/s\n' "gzip -dc > /dev/null" "$gz" "$(echo "$mb / $gz" | bc -l)"
printf '%-28s %8.2f s %8.1f MB/s\n' "cai validate --format hh" "$cv" "$(echo "$mb / $cv" | bc -l)"
printf 'ratio (validate / gzip -dc): %.2f (target >= 0.5)\n' "$(echo "$gz / $cv" | bc -l)"
[ -z "$rss" ] || printf 'cai validate peak RSS: %.1f MiB\n' "$(echo "$rss / 1024" | bc -l)"
