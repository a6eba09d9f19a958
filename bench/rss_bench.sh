#!/usr/bin/env bash
# Memory stays flat in the size of the input: pairs/s and peak RSS of `cai run` for 10,000 and
# 100,000 pairs through the fake judge (tests/fake_judge_main.c), in one run. Not a test.
# usage: bench/rss_bench.sh   (env: SIZES="10000 100000", CONC=64)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
scratch="${SCRATCH:-${TMPDIR:-/tmp}/cai-rss-bench}"
mkdir -p "$scratch"
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DCAI_SANITIZE=OFF -DCAI_TESTS=ON >/dev/null
cmake --build "$root/build-release" -j"$(nproc)" --target cai cai-fake-judge >/dev/null
cai="$root/build-release/cai"
fake="$root/build-release/tests/cai-fake-judge"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }

rm -f "$scratch/port"
"$fake" --port-file "$scratch/port" >"$scratch/fake.log" 2>&1 &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$scratch/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$scratch/port")/v1"

printf '%-8s %10s %10s %10s\n' pairs wall_s pairs/s rss_MB
for n in ${SIZES:-10000 100000}; do
    in="$scratch/pairs-$n.jsonl"
    [ -s "$in" ] || python3 - "$n" "$in" <<'PY'
import json, sys, random
n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(1)
words = "the a to of and help please explain how why what safe kind careful answer question".split()
with open(out, "w") as f:
    for i in range(n):
        t = lambda k: " ".join(rnd.choice(words) for _ in range(k))
        f.write(json.dumps({"id": "p%07d" % i, "prompt": t(30), "response_a": t(60),
                            "response_b": t(50)}) + "\n")
PY
    rm -rf "$scratch/out-$n"
    /usr/bin/time -f '%e %M' -o "$scratch/time-$n" "$cai" run --input "$in" \
        --constitution "$root/constitution/hhh.json" --output "$scratch/out-$n" --judge openai \
        --base-url "$url" --model fake --concurrency "${CONC:-64}" --quiet --no-validate
    read -r wall rss <"$scratch/time-$n"
    awk -v n="$n" -v w="$wall" -v r="$rss" 'BEGIN { printf "%-8d %10.2f %10.0f %10.1f\n", n, w, n / w, r / 1024 }'
done
