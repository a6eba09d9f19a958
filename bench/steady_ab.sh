#!/usr/bin/env bash
# The steady-state rate of two or more cai builds, alternated run by run on one fake judge (the
# peer harness's, at 50 ms by default) with every client pinned to CPU 1: the answers per second
# over the middle of each run (bench/steady_rate.py), the CPU per answer in that window and the
# hypervisor's steal, then each build's medians. Alternating is what makes a difference of a few
# percent visible on a VM whose CPU per run drifts by more than that from minute to minute. Not
# a test.
#
# usage: bench/steady_ab.sh NAME=BINARY [NAME=BINARY ...]
#        (env: N=5000 pairs, CONC=256, LATENCY=50 ms, REPS=8; MAX_STEAL=5 leaves the runs with
#        more hypervisor steal, in % of a CPU, out of the medians; SHARED=the harness's parent)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${SHARED:-$root/../shared}/bench"
scratch="${SCRATCH:-${TMPDIR:-/tmp}/cai-steady-ab}"
n="${N:-5000}" conc="${CONC:-256}" latency="${LATENCY:-50}" reps="${REPS:-8}"
[ $# -gt 0 ] || { echo "usage: $0 NAME=BINARY [NAME=BINARY ...]" >&2; exit 2; }
command -v taskset >/dev/null || { echo "steady_ab: needs taskset" >&2; exit 2; }
mkdir -p "$scratch"
# shellcheck source=bench/fake_judge_job.sh
. "$here/fake_judge_job.sh"

results="$scratch/results.txt"
: >"$results"
printf '%-12s %4s %10s %8s %14s %6s %8s\n' impl rep answers/s "% bound" "CPU ms/answer" busy "steal %"
for rep in $(seq "$reps"); do
    for arg in "$@"; do
        name=${arg%%=*} bin=${arg#*=}
        rm -rf "$scratch/out"
        taskset -c 1 /usr/bin/python3 "$here/steady_rate.py" --base-url "$url" \
            --out "$scratch/steady.json" --poll-cpu 0 -- \
            "$bin" run --input "$input" --constitution "$cons" --output "$scratch/out" \
            --judge openai --base-url "$url" --model fake-judge --concurrency "$conc" --seed 0 \
            --top-logprobs 5 --test-fraction 0 --keep-ties --format trl --quiet >/dev/null
        /usr/bin/python3 - "$scratch/steady.json" "$name" "$rep" "$conc" "$latency" <<'PY' | tee -a "$results"
import json, sys
r = json.load(open(sys.argv[1]))
name, rep, conc, lat = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rps = r.get("steady_rps") or 0
pct = 100 * rps * lat / 1000 / conc if lat else 0
print("%-12s %4s %10.0f %8.1f %14.4f %6.2f %8.0f" % (name, rep, rps, pct,
      r.get("cpu_ms_per_answer") or 0, r.get("cpu_busy") or 0, r.get("steal_pct", 0)))
PY
    done
done
echo
echo "medians ($n pairs, concurrency $conc, fake judge at $latency ms; runs with steal <= ${MAX_STEAL:-any}):"
/usr/bin/python3 - "$results" "${MAX_STEAL:-1000000}" <<'PY'
import statistics, sys
rows, cap = {}, float(sys.argv[2])
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], [])
    if float(f[6]) <= cap:
        rows[f[0]].append((float(f[3]), float(f[4]), float(f[6])))
for name, v in rows.items():
    if not v:
        print("%-12s no run kept" % name)
        continue
    print("%-12s %d runs   %% of bound %.1f (%.1f-%.1f)   CPU ms/answer %.4f   steal %% %.0f-%.0f" % (
        name, len(v), statistics.median(x[0] for x in v), min(x[0] for x in v),
        max(x[0] for x in v), statistics.median(x[1] for x in v), min(x[2] for x in v),
        max(x[2] for x in v)))
PY
