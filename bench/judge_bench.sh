#!/usr/bin/env bash
# Labelling throughput beside the peers (Python aiohttp, Node openai) and wrk, in one run each, at
# concurrency 64 and 256 with 0 ms and 50 ms server latency. Not a test: prints tables.
# usage: bench/judge_bench.sh   (env: N, REPS, CONCS="64 256", PEERS, anything run.sh takes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${SHARED:-$root/../shared}"
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DCAI_SANITIZE=OFF >/dev/null
cmake --build "$root/build-release" -j"$(nproc)" --target cai >/dev/null
cai="$root/build-release/cai"
steady="${SCRATCH:-${TMPDIR:-/tmp}/cai-bench}/steady"
for conc in ${CONCS:-64 256}; do
    echo "== concurrency $conc"
    rm -rf "$steady/c$conc"
    STEADY_DIR="$steady/c$conc" CONC=$conc CANDIDATE_NAME=cai \
        CANDIDATE_CMD="$here/cai_candidate.sh $cai {in} {out} {constitution} {base_url} {model} {conc} {seed} {scratch}" \
        "$shared/bench/run.sh"
done
# The steady-state rate (issue 13's measure): the server's answers per second while cai's count
# went from 20% to 80% of its final value, so start-up and the final validation are outside it;
# and cai's CPU (all threads) per answer and per second of that window (1.00 = a whole core);
# steal % = CPU time the hypervisor gave elsewhere during the run, in % of one CPU.
echo
echo "== cai steady state (answers/s between 20% and 80% of the run's answers)"
printf '%-6s %-8s %-5s %12s %10s %14s %10s %10s %10s %8s\n' conc latency rep "answers/s" "% bound" \
    "CPU ms/answer" "CPU busy" "window s" "wall s" "steal %"
for conc in ${CONCS:-64 256}; do
    for f in "$steady/c$conc"/*.json; do
        [ -e "$f" ] || continue
        tag=$(basename "$f" .json) # latL-cai-rR
        lat=${tag%%-*} lat=${lat#lat} rep=${tag##*-r}
        /usr/bin/python3 - "$f" "$conc" "$lat" "$rep" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
conc, lat, rep = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rps = r.get("steady_rps")
pct = "-" if not rps or not lat else "%.1f" % (100 * rps * lat / 1000 / conc)
cpu, busy = r.get("cpu_ms_per_answer"), r.get("cpu_busy")
print("%-6d %-8s %-5s %12s %10s %14s %10s %10s %10.2f %8.0f" % (conc, "%d ms" % lat, rep,
      "-" if rps is None else "%.0f" % rps, pct, "-" if cpu is None else "%.4f" % cpu,
      "-" if busy is None else "%.2f" % busy,
      "-" if rps is None else "%.2f" % r["window_s"], r["wall_s"], r.get("steal_pct", 0)))
PY
    done
done
