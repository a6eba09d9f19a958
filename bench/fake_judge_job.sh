# shellcheck shell=bash disable=SC2154,SC2034 # the caller sets the inputs and reads the results
# Sourced by cpu_split.sh, instr_split.sh and steady_ab.sh: the peer harness's job on this machine. Builds
# the harness's fake judge, makes (once) its N pairs, writes its principles as a cai
# constitution (as cai_candidate.sh does), and starts the judge on CPU 0 (at $latency ms, 0 unless
# the caller sets it) until the calling script exits.
# needs: $shared (the harness's bench folder), $scratch, $n (and $latency, optional); sets: input,
# cons, url, server
[ -f "$shared/fake_judge.c" ] || {
    echo "needs the peer harness's bench folder at $shared (set SHARED to the folder above it)" >&2
    exit 2
}
cc -O2 -std=gnu11 -o "$scratch/fake_judge" "$shared/fake_judge.c" -lcjson -lz -lm
input="$scratch/pairs-$n.jsonl"
[ -s "$input" ] || /usr/bin/python3 "$shared/gen_data.py" --n "$n" --seed 0 --out "$input" >/dev/null
cons="$scratch/constitution.json"
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
    --latency-ms "${latency:-0}" >"$scratch/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$scratch/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$scratch/port")/v1"
