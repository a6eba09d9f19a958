#!/usr/bin/env bash
# CPU per pair at 0 ms latency, in one run on the peer harness's data and fake judge: the aiohttp
# peer, cai in total, and cai outside its compressor threads (perf samples per thread), so that
# "everything but compression" and "total" can each be quoted as a ratio to aiohttp's. Not a test.
# usage: bench/cpu_split.sh   (env: N=5000 CONC=64 REPS=3; OTHER_CAI=path adds a second cai
#        binary, e.g. an older build, measured the same way; MAX_STEAL=5 keeps only the
#        repetitions the hypervisor stole at most 5% of a CPU from; SHARED=the harness's parent)
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
# shellcheck source=bench/fake_judge_job.sh
. "$here/fake_judge_job.sh"

cpu_of() { # FILE written by GNU time -f '%U %S': user + sys seconds
    awk '{ printf "%.3f", $1 + $2 }' "$1"
}
steal_ticks() { awk 'NR == 1 { print $9 }' /proc/stat; } # hypervisor steal so far, all CPUs
steal_pct() { # TICKS0 TICKS1 SECONDS: steal over the interval, in % of one CPU
    awk -v a="$1" -v b="$2" -v s="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", (s > 0 ? 100 * (b - a) / hz / s : 0) }'
}
now_s() { date +%s.%N; }
timed() { # OUTFILE CMD...: runs CMD on CPU 1 under GNU time; sets STEAL to its steal %
    local out=$1 s0 t0
    shift
    s0=$(steal_ticks) t0=$(now_s)
    taskset -c 1 /usr/bin/time -f '%U %S' -o "$out" "$@" >/dev/null 2>&1
    STEAL=$(steal_pct "$s0" "$(steal_ticks)" "$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { print b - a }')")
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
    timed "$scratch/t" /usr/bin/python3 "$shared/peer_aiohttp.py" \
        --input "$input" --output "$scratch/aiohttp.jsonl.gz" --constitution "$shared/constitution.json" \
        --base-url "$url" --model fake-judge --concurrency "$conc" --seed 0
    echo "aiohttp $rep $(cpu_of "$scratch/t") 1 $STEAL" >>"$results"
    for b in "${bins[@]}"; do
        name=${b%%=*} bin=${b#*=}
        rm -rf "$scratch/out"
        # shellcheck disable=SC2046
        timed "$scratch/t" $(cai_cmd "$bin" "$scratch/out")
        total=$(cpu_of "$scratch/t") steal=$STEAL
        rm -rf "$scratch/out"
        # the same job under perf: the share of CPU samples on the main thread (pid == tid);
        # the rest are the writers' compressor threads
        # shellcheck disable=SC2046
        taskset -c 1 perf record -q -e task-clock -F 2000 -o "$scratch/perf.data" -- \
            $(cai_cmd "$bin" "$scratch/out") >/dev/null 2>&1
        share=$(perf script -i "$scratch/perf.data" -F pid,tid 2>/dev/null |
            awk '{ split($1, a, "/"); n++; if (a[1] == a[2]) m++ } END { printf "%.3f", n ? m / n : 1 }')
        echo "$name $rep $total $share $steal" >>"$results"
    done
done
# Medians over the repetitions whose runs all had at most MAX_STEAL % of a CPU stolen by the
# hypervisor (on a shared VM a busy neighbour inflates everyone's CPU seconds, unevenly).
awk -v n="$n" -v max_steal="${MAX_STEAL:-100}" -v reps="$reps" '
    function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
        if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    { row[NR] = $0; if ($5 > max_steal) bad[$2] = 1 }
    END {
        for (r = 1; r <= NR; r++) {
            split(row[r], f, " ")
            if (f[2] in bad) continue
            if (f[1] == "aiohttp") { ai[++na] = f[3] * 1000 / n; continue }
            k = ++cnt[f[1]]; tot[f[1], k] = f[3] * 1000 / n; main[f[1], k] = f[3] * f[4] * 1000 / n
            names[f[1]] = 1
        }
        printf "repetitions kept: %d of %d (steal <= %s%% of a CPU in each of their runs)\n", na, reps, max_steal
        if (na == 0) exit 1
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
echo "raw: $results (impl rep cpu_s main_thread_share steal_%_of_a_cpu)"
