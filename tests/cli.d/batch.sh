# `cai run --batch` against the fake judge's batch APIs: the dataset is byte-identical to an
# online run's, a killed run reattaches (one submission), --batch-wait exits 5 and a rerun
# collects, expired and failed requests go again, splitting. Sourced by tests/cli.sh.
BT_TMP=$(mktemp -d)
head -n 60 "$SRC/datasets/samples/pairs.jsonl" >"$BT_TMP/in.jsonl"

# bt_run BACKEND DIR [ARGS...]: cai run against the fake on $FAKE_PORT
bt_run() {
    local backend=$1 dir=$2 base="http://127.0.0.1:$FAKE_PORT/v1"
    shift 2
    [ "$backend" = anthropic ] && base="http://127.0.0.1:$FAKE_PORT"
    OPENAI_API_KEY=test-key ANTHROPIC_API_KEY=test-key "$CAI" run -i "$BT_TMP/in.jsonl" \
        -c "$SRC/constitution/hhh.json" -o "$dir" --judge "$backend" --model fake \
        --base-url "$base" -q "$@"
}
# bt_same DIR_A DIR_B: every data file byte-identical
bt_same() {
    local f rc=0
    for f in data/train-00000-of-00001.jsonl.gz data/test-00000-of-00001.jsonl.gz \
        failed.jsonl.gz ties.jsonl.gz; do
        cmp -s "$1/$f" "$2/$f" || rc=1
    done
    return $rc
}
# bt_stat NAME: a number from the stopped fake's summary line
bt_stat() { tail -n 1 "$BT_TMP/fake.out" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

for backend in openai anthropic; do
    start_fake "$BT_TMP" --seed 7
    bt_run "$backend" "$BT_TMP/$backend-online" 2>"$BT_TMP/err"
    check "$backend: online run" 0 $?
    stop_fake
    start_fake "$BT_TMP" --seed 7
    bt_run "$backend" "$BT_TMP/$backend-batch" --batch --batch-poll 0.01 2>"$BT_TMP/err"
    check "$backend: --batch run" 0 $?
    bt_same "$BT_TMP/$backend-online" "$BT_TMP/$backend-batch"
    check "$backend: --batch writes the online run's bytes" 0 $?
    stop_fake
    [ "$(bt_stat batch_creates)" = 1 ] && [ "$(bt_stat batch_items)" = 120 ] &&
        [ "$(bt_stat duplicate_successes)" = 0 ]
    check "$backend: one batch of 120 requests, nothing answered twice" 0 $?
    ! grep -q "in flight" "$BT_TMP/err"; check "$backend: -q: no progress lines" 0 $?
    # counted as batch judgments, not as replayed from the journal
    grep -qE '"succeeded":[[:space:]]*120,' "$BT_TMP/$backend-batch/manifest.json" &&
        grep -qE '"judgments_replayed":[[:space:]]*0,' "$BT_TMP/$backend-batch/manifest.json" &&
        grep -qE '"submitted":[[:space:]]*120,' "$BT_TMP/$backend-batch/manifest.json"
    check "$backend: statistics.batch counts the batch's judgments" 0 $?
    # one source of truth: the state is in the journal, no batches.cai beside it
    grep -q '"t":"b","ev":"done"' "$BT_TMP/$backend-batch/journal.cai" &&
        [ ! -e "$BT_TMP/$backend-batch/batches.cai" ]
    check "$backend: the batch state is in the journal" 0 $?

    # killed while polling: the rerun reattaches to the recorded batch
    start_fake "$BT_TMP" --seed 7 --batch-polls 30
    (
        # exec: $! is cai itself, not a subshell around it
        base="http://127.0.0.1:$FAKE_PORT/v1"
        [ "$backend" = anthropic ] && base="http://127.0.0.1:$FAKE_PORT"
        OPENAI_API_KEY=test-key ANTHROPIC_API_KEY=test-key exec "$CAI" run -i "$BT_TMP/in.jsonl" \
            -c "$SRC/constitution/hhh.json" -o "$BT_TMP/$backend-kill" --judge "$backend" \
            --model fake --base-url "$base" -q --batch --batch-poll 0.05 2>/dev/null
    ) &
    bt_pid=$!
    for _ in $(seq 200); do
        grep -q '"t":"b","ev":"batch"' "$BT_TMP/$backend-kill/journal.cai" 2>/dev/null && break
        sleep 0.05
    done
    kill -9 "$bt_pid" 2>/dev/null
    wait "$bt_pid" 2>/dev/null
    check "$backend: the first run was killed" 137 $?
    bt_run "$backend" "$BT_TMP/$backend-kill" 2>"$BT_TMP/err"
    check "$backend: without --batch, a directory with batches in flight is refused" 2 $?
    grep -q -- "--batch to collect" "$BT_TMP/err"
    check "$backend: the refusal says how to collect" 0 $?
    bt_run "$backend" "$BT_TMP/$backend-kill" --batch --batch-poll 0.01 2>"$BT_TMP/err"
    check "$backend: the rerun collects" 0 $?
    bt_same "$BT_TMP/$backend-online" "$BT_TMP/$backend-kill"
    check "$backend: after a kill, the same bytes" 0 $?
    stop_fake
    [ "$(bt_stat batch_creates)" = 1 ] && [ "$(bt_stat duplicate_successes)" = 0 ]
    check "$backend: a killed run is not submitted again (never paid twice)" 0 $?
    grep -qE '"reattached":[[:space:]]*120,' "$BT_TMP/$backend-kill/manifest.json" &&
        grep -qE '"batches":[[:space:]]*0,' "$BT_TMP/$backend-kill/manifest.json" &&
        grep -qE '"judgments_replayed":[[:space:]]*0,' "$BT_TMP/$backend-kill/manifest.json"
    check "$backend: the rerun counts the reattached batch's judgments as batch ones" 0 $?
done

# progress lines per poll (no -q), the cost line says the batch price was used
start_fake "$BT_TMP" --seed 7 --batch-polls 3
OPENAI_API_KEY=test-key "$CAI" run -i "$BT_TMP/in.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$BT_TMP/progress" --judge openai --model fake --base-url "http://127.0.0.1:$FAKE_PORT/v1" \
    --batch --batch-poll 0.01 --price-input 1 --price-output 2 2>"$BT_TMP/err" >/dev/null
check "--batch with progress: the run completes" 0 $?
stop_fake
grep -qE '^batch: 1 in flight  requests [0-9]+/120 done' "$BT_TMP/err"
check "a progress line while the batch runs" 0 $?
grep -qE '^batch: 0 in flight  requests 120/120 done' "$BT_TMP/err"
check "a progress line when it has ended" 0 $?
grep -q 'estimated cost: .*(batch price: 0.5 of --price-\*)' "$BT_TMP/err"
check "the cost line says the batch price was used" 0 $?
grep -q '  batch: 120 judgments answered by batches' "$BT_TMP/err"
check "the summary counts the batch's judgments" 0 $?

# several --base-url: refused (a batch goes to one provider account)
bt_run openai "$BT_TMP/two-urls" --batch --base-url "http://127.0.0.1:9/v1" 2>"$BT_TMP/err"
check "--batch with two --base-url is a usage error" 2 $?
grep -q -- "--batch takes one --base-url" "$BT_TMP/err"; check "and says so" 0 $?
[ ! -e "$BT_TMP/two-urls" ]; check "nothing is created" 0 $?

# a directory from the cai that kept the state in DIR/batches.cai: migrated, reattached
start_fake "$BT_TMP" --seed 7 --batch-polls 4
bt_run openai "$BT_TMP/old" --batch --batch-wait 0 --batch-poll 0.01 2>"$BT_TMP/err"
check "old format: a batch left in flight" 5 $?
python3 - "$BT_TMP/old" <<'PY'
import json, sys, zlib
d = sys.argv[1]
keep, old = [], []
for line in open(d + "/journal.cai", encoding="utf-8"):
    body = line.rstrip("\n").rsplit("\t", 1)[0]
    rec = json.loads(body)
    if rec.get("t") == "b":
        rec.pop("t")
        rec = {"t": rec.pop("ev"), **rec}
        body = json.dumps(rec, separators=(",", ":"))
        old.append("%s\t%08x\n" % (body, zlib.crc32(body.encode())))
    else:
        keep.append(line)
open(d + "/journal.cai", "w", encoding="utf-8").writelines(keep)
open(d + "/batches.cai", "w", encoding="utf-8").writelines(old)
PY
bt_run openai "$BT_TMP/old" 2>"$BT_TMP/err"
check "old format: without --batch, the migrated batch in flight is refused" 2 $?
[ ! -e "$BT_TMP/old/batches.cai" ] && grep -q '"ev":"batch"' "$BT_TMP/old/journal.cai"
check "old format: batches.cai moved into the journal" 0 $?
bt_run openai "$BT_TMP/old" --batch --batch-poll 0.01 2>"$BT_TMP/err"
check "old format: the rerun collects" 0 $?
bt_same "$BT_TMP/openai-online" "$BT_TMP/old"; check "old format: the same bytes" 0 $?
stop_fake
[ "$(bt_stat batch_creates)" = 1 ]; check "old format: one submission" 0 $?

# --batch-wait 0 submits and exits 5; the same command collects
start_fake "$BT_TMP" --seed 7 --batch-polls 4
bt_run openai "$BT_TMP/wait" --batch --batch-wait 0 --batch-poll 0.01 2>"$BT_TMP/err"
check "--batch-wait 0 exits 5 while the batch runs" 5 $?
grep -q "run the same command to collect" "$BT_TMP/err"; check "exit 5 says what to do" 0 $?
[ ! -e "$BT_TMP/wait/manifest.json" ]; check "no dataset before the batch is collected" 0 $?
bt_run openai "$BT_TMP/wait" --batch --batch-poll 0.01 2>"$BT_TMP/err"
check "the rerun collects" 0 $?
bt_same "$BT_TMP/openai-online" "$BT_TMP/wait"; check "--batch-wait: the same bytes" 0 $?
stop_fake
[ "$(bt_stat batch_creates)" = 1 ]; check "--batch-wait: one submission" 0 $?

# half the first batch expires and some requests fail: they go again in new batches
start_fake "$BT_TMP" --seed 7 --batch-expire 1 --batch-fail-every 5
bt_run anthropic "$BT_TMP/expire" --batch --batch-poll 0.01 2>"$BT_TMP/err"
check "expired and failed requests: the run completes" 0 $?
bt_same "$BT_TMP/anthropic-online" "$BT_TMP/expire"; check "retried: the same bytes" 0 $?
stop_fake
[ "$(bt_stat batch_expired)" = 60 ] && [ "$(bt_stat batch_creates)" -ge 2 ] &&
    [ "$(bt_stat successes)" = 120 ] && [ "$(bt_stat duplicate_successes)" = 0 ]
check "retried in new batches, each request answered once" 0 $?

# split at a small limit: 120 requests, 50 a batch
start_fake "$BT_TMP" --seed 7
bt_run openai "$BT_TMP/split" --batch --batch-poll 0.01 --batch-max-requests 50 2>"$BT_TMP/err"
check "--batch-max-requests 50" 0 $?
bt_same "$BT_TMP/openai-online" "$BT_TMP/split"; check "split: the same bytes" 0 $?
stop_fake
[ "$(bt_stat batch_creates)" = 3 ] && [ "$(bt_stat batch_uploads)" = 3 ]
check "split: 3 files and batches" 0 $?

bt_run builtin "$BT_TMP/builtin" --batch 2>"$BT_TMP/err"
check "--batch with the builtin judge is a usage error" 2 $?
rm -rf "$BT_TMP"
