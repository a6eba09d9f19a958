#!/usr/bin/env bash
# Runs `cai run` as the benchmark harness's candidate (../shared/bench/run.sh, CANDIDATE_CMD hook):
# the peers' job, template and principle rule, one gzip JSONL file at OUT.
# usage: bench/cai_candidate.sh CAI IN OUT SHARED_CONSTITUTION BASE_URL MODEL CONC SEED SCRATCH
set -euo pipefail
cai=$1 in=$2 out=$3 list=$4 base=$5 model=$6 conc=$7 seed=$8 scratch=$9
constitution="$scratch/cai-bench-constitution.json"
# The peers' constitution is a JSON list of principle strings; ours is an object with a template.
# It is generated here (not committed) so the benchmark's text stays in the benchmark.
python3 - "$list" "$constitution" <<'PY'
import json, sys
principles = json.load(open(sys.argv[1]))
json.dump({
    "name": "bench", "version": "1", "description": "the benchmark peers' job",
    "template": "Consider the following conversation between a human and an AI assistant.\n"
                "{conversation}\n\n{principle}\n\n(A) {response_a}\n\n(B) {response_b}\n\n"
                "Answer with a single letter: A or B.",
    "principles": [{"id": "p%02d" % i, "text": t} for i, t in enumerate(principles)],
}, open(sys.argv[2], "w"))
PY
dir="$out.d"
rm -rf "$dir"
# STEADY_DIR (set by judge_bench.sh): also record the server's steady-state answer rate
# (bench/steady_rate.py) in STEADY_DIR/<output name>.json.
wrap=()
if [ -n "${STEADY_DIR:-}" ]; then
    mkdir -p "$STEADY_DIR"
    wrap=(/usr/bin/python3 "$(dirname "$0")/steady_rate.py" --base-url "$base" \
        --out "$STEADY_DIR/$(basename "$out" .jsonl.gz).json" --poll-cpu "${STEADY_POLL_CPU:-0}" --)
fi
"${wrap[@]}" "$cai" run --input "$in" --constitution "$constitution" --output "$dir" --judge openai \
    --base-url "$base" --model "$model" --concurrency "$conc" --seed "$seed" --top-logprobs 5 \
    --test-fraction 0 --keep-ties --format trl --quiet ${CAI_BENCH_ARGS:-}
cp "$dir/data/train-00000-of-00001.jsonl.gz" "$out"
rm -rf "$dir"
