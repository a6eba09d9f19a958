# Shards through the real binary (issue 16): --shard I/N and auto (Slurm, Kubernetes), then
# `cai merge` giving the unsharded run's bytes, and its refusals (exit 2).
# Sourced by tests/cli.sh.
SH_TMP=$(mktemp -d)
SH_ARGS=(-i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" -q --limit 90)
"$CAI" run "${SH_ARGS[@]}" -o "$SH_TMP/full"
check "shard: unsharded run" 0 $?
# Slurm --array=4-6: tasks 4, 5, 6 are shards 0, 1, 2
for id in 4 5 6; do
    SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_MAX=6 SLURM_ARRAY_TASK_COUNT=3 \
        "$CAI" run "${SH_ARGS[@]}" --shard auto -o "$SH_TMP/s$id"
    check "shard: slurm task $id" 0 $?
done
grep -qE '"index":[[:space:]]*1' "$SH_TMP/s5/manifest.json" && grep -qE '"count":[[:space:]]*3' "$SH_TMP/s5/manifest.json"
check "shard: the manifest records the shard" 0 $?
"$CAI" merge "$SH_TMP/s4" "$SH_TMP/s5" "$SH_TMP/s6" -o "$SH_TMP/merged" -q
check "shard: merge" 0 $?
same=0
for f in data/train-00000-of-00001.jsonl.gz data/test-00000-of-00001.jsonl.gz failed.jsonl.gz \
    ties.jsonl.gz README.md; do
    cmp -s "$SH_TMP/full/$f" "$SH_TMP/merged/$f" || { same=1; echo "differs: $f"; }
done
check "shard: the merged files are the unsharded bytes" 0 $same
"$CAI" merge "$SH_TMP/s4" "$SH_TMP/s6" -o "$SH_TMP/m2" 2>"$SH_TMP/err"
check "shard: a missing shard exits 2" 2 $?
grep -q "missing: 1" "$SH_TMP/err"
check "shard: the missing shard is named" 0 $?
"$CAI" merge "$SH_TMP/s4" "$SH_TMP/s5" "$SH_TMP/s5" "$SH_TMP/s6" -o "$SH_TMP/m3" 2>"$SH_TMP/err"
check "shard: a repeated shard exits 2" 2 $?
# Kubernetes Indexed Job: JOB_COMPLETION_INDEX with the count from CAI_SHARD_COUNT
JOB_COMPLETION_INDEX=1 CAI_SHARD_COUNT=3 "$CAI" run "${SH_ARGS[@]}" --shard auto -o "$SH_TMP/k1"
check "shard: indexed job" 0 $?
cmp -s "$SH_TMP/s5/data/train-00000-of-00001.jsonl.gz" "$SH_TMP/k1/data/train-00000-of-00001.jsonl.gz"
check "shard: the same shard from either scheduler" 0 $?
JOB_COMPLETION_INDEX=1 "$CAI" run "${SH_ARGS[@]}" --shard auto -o "$SH_TMP/k2" 2>"$SH_TMP/err"
check "shard: an indexed job without a count exits 2" 2 $?
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=8 SLURM_ARRAY_TASK_COUNT=5 \
    "$CAI" run "${SH_ARGS[@]}" --shard auto -o "$SH_TMP/k3" 2>"$SH_TMP/err"
check "shard: a stepped Slurm array exits 2" 2 $?
env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX "$CAI" run "${SH_ARGS[@]}" --shard auto \
    -o "$SH_TMP/k4" 2>"$SH_TMP/err"
check "shard: auto outside a scheduler exits 2" 2 $?
"$CAI" run "${SH_ARGS[@]}" --shard 3/3 -o "$SH_TMP/k5" 2>/dev/null
check "shard: an index out of range exits 2" 2 $?
[ ! -e "$SH_TMP/k3" ] && [ ! -e "$SH_TMP/k5" ]
check "shard: a refused spec creates nothing" 0 $?
rm -rf "$SH_TMP"
bash -n "$SRC/examples/slurm/label.sbatch"
check "shard: the Slurm example parses" 0 $?
grep -q '^#SBATCH --array=0-[0-9]*  ' "$SRC/examples/slurm/label.sbatch" &&
    grep -q 'completionMode: Indexed' "$SRC/examples/k8s/label-job.yaml" &&
    grep -q 'cai run --shard auto' "$SRC/examples/k8s/label-job.yaml"
check "shard: the examples use a dense array and an Indexed Job with --shard auto" 0 $?
