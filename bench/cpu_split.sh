#!/usr/bin/env bash
# CPU per pair at 0 ms latency, in one run on the peer harness's data and fake judge: the aiohttp
# peer, cai in total, and cai outside its compressor threads (perf samples per thread), so that
# "everything but compression" and "total" can each be quoted as a ratio to aiohttp's. Not a test.
# usage: bench/cpu_split.sh   (env: N=5000 CONC=64 REPS=3; OTHER_CAI=path adds a second cai
#        binary, e.g. an older build, measured the same way; SHARED=the peer harness's parent)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${SHARED:-$root/../shared}/bench"
scratch="${SCRATCH:-${TMPDIR:-/tmp}/cai-cpu-split}"
n="${N:-5000}" conc="${CONC:-64}" reps="${REPS:-3}"
for tool in /usr/bin/time perf taskset; do
    command -v "$tool" >/dev/null || { echo "cpu_split: needs $tool" >&2; exit 2; }
done
/usr/bin/python3 -c 'import aiohttp' 2>/dev/null || { echo "cpu_split: needs python3-aiohttp" >&2; exit 2; }
mkdir -p "$scratch"
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DCAI_SANITIZE=OFF >/dev/null
cmake --build "$root/build-release" -j"$(nproc)" --target cai >/dev/null
cc -O2 -std=gnu11 -o "$scratch/fake_judge" "$shared/fake_judge.c" -lcjson -lz -lm
input="$scratch/pairs-$n.jsonl"
[ -s "$input" ] || /usr/bin/python3 "$shared/gen_data.py" --n "$n" --seed 0 --out "$input" >/dev/null
cons="$scratch/constitution.json" # the peers' job as a cai constitution (as cai_candidate.sh does)
/usr/bin/python3 - "$shared/constitution.json" "$cons" <<'PY'
import json, sys
principles = json.load(open(sys.argv[1]))
json.dump({"name": "bench", "version": "1", "description": "the benchmark peers' job",
           "template": "Consider the following conversation between a human and an AI assistant.\n"
                       "{conversation}\n\n{principle}\n\n(A) {response_a}\n\n(B) {response_b}\n\n"
                       "Answer with a single letter: A or B.",
           "principles": [{"id": "p%02d" % i, "text": t} for i, t in enumerate(principles)]},
          open(sys.argv[2], "w"))
PY

rm -f "$scratch/port"
taskset -c 0 "$scratch/fake_judge" --host 127.0.0.1 --port 0 --port-file "$scratch/port" \
    --latency-ms 0 >"$scratch/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$scratch/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$scratch/port")/v1"

cpu_of() { # FILE written by GNU time -f '%U %S': user + sys seconds
    awk '{ printf "%.3f", $1 + $2 }' "$1"
}
cai_cmd() { # BINARY OUTDIR
    echo "$1" run --input "$input" --constitution "$cons" --output "$2" --judge openai \
        --base-url "$url" --model fake-judge --concurrency "$conc" --seed 0 --top-logprobs 5 \
        --test-fraction 0 --keep-ties --format trl --quiet
}
results="$scratch/results.txt"
: >"$results"
bins=("cai=$root/build-release/cai")
[ -z "${OTHER_CAI:-}" ] || bins+=("other=$OTHER_CAI")
for rep in $(seq "$reps"); do
    taskset -c 1 /usr/bin/time -f '%U %S' -o "$scratch/t" /usr/bin/python3 "$shared/peer_aiohttp.py" \
        --input "$input" --output "$scratch/aiohttp.jsonl.gz" --constitution "$shared/constitution.json" \
        --base-url "$url" --model fake-judge --concurrency "$conc" --seed 0 >/dev/null 2>&1
    echo "aiohttp $rep $(cpu_of "$scratch/t")" >>"$results"
    for b in "${bins[@]}"; do
        name=${b%%=*} bin=${b#*=}
        rm -rf "$scratch/out"
        # shellcheck disable=SC2046
        taskset -c 1 /usr/bin/time -f '%U %S' -o "$scratch/t" $(cai_cmd "$bin" "$scratch/out")
        total=$(cpu_of "$scratch/t")
        rm -rf "$scratch/out"
        # the same job under perf: the share of CPU samples on the main thread (pid == tid);
        # the rest are the writers' compressor threads
        # shellcheck disable=SC2046
        taskset -c 1 perf record -q -e task-clock -F 2000 -o "$scratch/perf.data" -- \
            $(cai_cmd "$bin" "$scratch/out") >/dev/null 2>&1
        share=$(perf script -i "$scratch/perf.data" -F pid,tid 2>/dev/null |
            awk '{ split($1, a, "/"); n++; if (a[1] == a[2]) m++ } END { printf "%.3f", n ? m / n : 1 }')
        echo "$name $rep $total $share" >>"$results"
    done
done
awk -v n="$n" '
    function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
        if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    $1 == "aiohttp" { ai[++na] = $3 * 1000 / n; next }
    { k = ++cnt[$1]; tot[$1, k] = $3 * 1000 / n; main[$1, k] = $3 * $4 * 1000 / n; names[$1] = 1 }
    END {
        a = median(ai, na)
        printf "%-8s %14s %18s %12s %18s\n", "impl", "CPU ms/pair", "outside compressor", "x aiohttp", "outside x aiohttp"
        printf "%-8s %14.3f %18s %12s %18s\n", "aiohttp", a, "-", "1.000", "-"
        for (m in names) {
            delete t; delete u
            for (i = 1; i <= cnt[m]; i++) { t[i] = tot[m, i]; u[i] = main[m, i] }
            T = median(t, cnt[m]); U = median(u, cnt[m])
            printf "%-8s %14.3f %18.3f %12.3f %18.3f\n", m, T, U, T / a, U / a
        }
    }' "$results"
echo "raw: $results (impl rep cpu_s main_thread_share)"
