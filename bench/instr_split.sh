#!/usr/bin/env bash
# Instructions executed by each thread of `cai run` (callgrind), for one or more cai binaries on
# the same pairs and the same fake judge at 0 ms: the event-loop thread (everything but
# compression), the compressor thread, and the event-loop thread without libcrypto. Not a test.
#
# CPU seconds on a shared VM move by 10-15% between identical runs; instruction counts move by
# 0.2%, so this is how a change of a few percent is told from noise. They are not time:
# libcrypto's SHA-256 in particular runs without the CPU's SHA extensions under valgrind, which
# is why it is also shown apart.
#
# usage: bench/instr_split.sh NAME=BINARY [NAME=BINARY ...]
#        (env: N=1000 pairs, CONC=64; SHARED=the harness's parent, as for cpu_split.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${SHARED:-$root/../shared}/bench"
scratch="${SCRATCH:-${TMPDIR:-/tmp}/cai-instr-split}"
n="${N:-1000}" conc="${CONC:-64}"
[ $# -gt 0 ] || { echo "usage: $0 NAME=BINARY [NAME=BINARY ...]" >&2; exit 2; }
for tool in valgrind callgrind_annotate taskset; do
    command -v "$tool" >/dev/null || { echo "instr_split: needs $tool" >&2; exit 2; }
done
mkdir -p "$scratch"
# shellcheck source=bench/fake_judge_job.sh
. "$here/fake_judge_job.sh"

instr() { # FILE [DSO]: the instructions in a callgrind profile, or those of one library
    if [ $# -eq 1 ]; then
        awk '/^summary:/ { print $2; exit }' "$1"
    else
        callgrind_annotate "$1" 2>/dev/null | awk -v dso="$2" 'index($0, dso) {
            gsub(",", "", $1); s += $1 } END { printf "%d\n", s }'
    fi
}
printf "%-10s %16s %16s %22s %14s\n" "impl" "event loop" "compressor" "event loop, no crypto" "per pair"
for arg in "$@"; do
    name=${arg%%=*} bin=${arg#*=}
    rm -rf "$scratch/out" "$scratch/cg".*
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$scratch/cg.%p" \
        "$bin" run --input "$input" --constitution "$cons" --output "$scratch/out" \
        --judge openai --base-url "$url" --model fake-judge --concurrency "$conc" --seed 0 \
        --top-logprobs 5 --test-fraction 0 --keep-ties --format trl --quiet >/dev/null 2>&1
    # thread 1 is the event loop; the writers' compressor threads follow
    main=$(ls "$scratch"/cg.*-01)
    loop=$(instr "$main") crypto=$(instr "$main" libcrypto)
    comp=0
    for f in "$scratch"/cg.*-0[2-9]; do
        [ -e "$f" ] && comp=$((comp + $(instr "$f")))
    done
    printf "%-10s %16d %16d %22d %14d\n" "$name" "$loop" "$comp" $((loop - crypto)) \
        $(((loop - crypto) / n))
done
echo "instructions (valgrind --tool=callgrind), $n pairs, concurrency $conc, fake judge at 0 ms"
