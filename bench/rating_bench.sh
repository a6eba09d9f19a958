#!/usr/bin/env bash
# Requests per labelled pair of `cai run --mode choice` and `--mode rating` on the same
# candidates input (N responses per prompt), both through the fake judge, measured in one run.
# Not a test: prints a table. usage: bench/rating_bench.sh  (env: RECORDS=200 N=4 K=1 BUILD=dir)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
records="${RECORDS:-200}" n="${N:-4}" k="${K:-1}"
if [ -n "${BUILD:-}" ]; then # an existing build tree, used as configured
    build="$BUILD"
else
    build="$root/build-release"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCAI_SANITIZE=OFF -DCAI_WERROR=OFF \
        >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target cai cai-fake-judge >/dev/null
tmp="$(mktemp -d)"
fj=""
cleanup() {
    [ -n "$fj" ] && kill "$fj" 2>/dev/null && wait "$fj" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# RECORDS prompts with N distinct responses each (lengths and wording vary by record).
awk -v R="$records" -v N="$n" 'BEGIN {
    for (r = 0; r < R; r++) {
        printf "{\"id\":\"q%d\",\"prompt\":\"Question %d: how should I approach task %d?\",\"responses\":[", r, r, r % 37
        for (i = 0; i < N; i++)
            printf "%s\"Answer %d to question %d: %s\"", (i ? "," : ""), i, r, substr("step by step, with care and a check at the end", 1, 10 + 7 * ((r + i) % 5))
        printf "]}\n"
    }
}' >"$tmp/cands.jsonl"

# One fake judge per mode, so its exit summary counts that mode's requests alone.
measure() { # mode -> "requests pairs"
    local mode="$1" port req pairs
    "$build/tests/cai-fake-judge" --port-file "$tmp/port.$mode" >"$tmp/fj.$mode" 2>&1 &
    fj=$!
    for _ in $(seq 100); do [ -s "$tmp/port.$mode" ] && break; sleep 0.05; done
    port="$(cat "$tmp/port.$mode")"
    OPENAI_API_KEY=bench "$build/cai" run -q -i "$tmp/cands.jsonl" -o "$tmp/out.$mode" \
        -c "$root/constitution/hhh.json" --judge openai --model fake \
        --base-url "http://127.0.0.1:$port/v1" --mode "$mode" --principles-per-pair "$k" \
        --keep-ties >/dev/null
    kill "$fj" && wait "$fj" || true
    fj=""
    req="$(grep -o '"requests":[0-9]*' "$tmp/fj.$mode" | cut -d: -f2)"
    pairs="$(gzip -dc "$tmp/out.$mode"/data/*.jsonl.gz | wc -l)"
    echo "$req $pairs"
}

read -r c_req c_pairs < <(measure choice)
read -r r_req r_pairs < <(measure rating)
echo "candidates: $records prompts x $n responses, $k principle(s) per pair; ties kept"
printf '%-8s %10s %15s %18s\n' mode requests labelled_pairs requests_per_pair
awk -v m=choice -v q="$c_req" -v p="$c_pairs" 'BEGIN { printf "%-8s %10d %15d %18.3f\n", m, q, p, q / p }'
awk -v m=rating -v q="$r_req" -v p="$r_pairs" 'BEGIN { printf "%-8s %10d %15d %18.3f\n", m, q, p, q / p }'
awk -v c="$c_req" -v cp="$c_pairs" -v r="$r_req" -v rp="$r_pairs" \
    'BEGIN { printf "choice / rating requests per labelled pair: %.2f\n", (c / cp) / (r / rp) }'
