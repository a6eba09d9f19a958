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
for conc in ${CONCS:-64 256}; do
    echo "== concurrency $conc"
    CONC=$conc CANDIDATE_NAME=cai \
        CANDIDATE_CMD="$here/cai_candidate.sh $cai {in} {out} {constitution} {base_url} {model} {conc} {seed} {scratch}" \
        "$shared/bench/run.sh"
done
