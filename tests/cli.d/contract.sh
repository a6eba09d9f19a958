# The output contract as TRL, `datasets` and OpenRLHF read it (tests/contract.py), and the
# `cai validate` findings that guard it. Sourced by tests/cli.sh. Needs Debian's python3-yaml and
# python3-numpy (scripts/setup.sh installs them): a missing module fails, it is never skipped.
# The same checks on the external HH-RLHF sample are in tests/cli.d/hh_sample/contract.sh.
CONTRACT_TMP=$(mktemp -d)
CONTRACT_PY=/usr/bin/python3
[ -x "$CONTRACT_PY" ] || CONTRACT_PY=python3

contract() { # contract NAME ARGS...: runs one contract.py check and prints its lines on failure
    local name=$1
    shift
    "$CONTRACT_PY" "$SRC/tests/contract.py" "$@" >"$CONTRACT_TMP/out" 2>&1
    local rc=$?
    [ "$rc" = 0 ] || cat "$CONTRACT_TMP/out"
    check "contract: $name" 0 "$rc"
}

contract "prompt + chosen (hh, message lists, strings, auto)" concat "$CAI" "$SRC" "$CONTRACT_TMP"
contract "one schema under datasets' block casting" schema "$CAI" "$SRC" "$CONTRACT_TMP"
contract "the card's YAML" card "$CAI" "$SRC" "$CONTRACT_TMP"
start_fake "$CONTRACT_TMP"
contract "soft-label reward fit" reward "$CAI" "$SRC" "$CONTRACT_TMP" "http://127.0.0.1:$FAKE_PORT/v1"
stop_fake
start_fake "$CONTRACT_TMP" --generate auto
contract "cai sample and cai revise files load as one schema, one TRL kind" generated "$CAI" \
    "$SRC" "$CONTRACT_TMP" "http://127.0.0.1:$FAKE_PORT/v1"
stop_fake

# schema drift: an error naming the first record that differs, for any dataset
printf '%s\n' '{"prompt":"a\n","chosen":"b","rejected":"c"}' \
    '{"prompt":"d\n","chosen":"e","rejected":"f","extra":1}' \
    '{"prompt":"g\n","chosen":"h","rejected":"i","extra":1.5}' >"$CONTRACT_TMP/drift.jsonl"
"$CAI" validate "$CONTRACT_TMP/drift.jsonl" >"$CONTRACT_TMP/out"; check "validate: schema drift fails" 1 $?
grep -q "drift.jsonl:2: error \[schema_drift\] .*has \.extra=i.*drift.jsonl:1" "$CONTRACT_TMP/out"
check "validate: schema drift names FILE:LINE and the key" 0 $?
# across files (splits): the test split drifts from train
mkdir -p "$CONTRACT_TMP/split/data"
printf '%s\n' '{"prompt":"a\n","chosen":"b","rejected":"c","n":1}' | gzip >"$CONTRACT_TMP/split/data/train-00000-of-00001.jsonl.gz"
printf '%s\n' '{"prompt":"x\n","chosen":"y","rejected":"z","n":null}' | gzip >"$CONTRACT_TMP/split/data/test-00000-of-00001.jsonl.gz"
"$CAI" validate "$CONTRACT_TMP/split" >"$CONTRACT_TMP/out"; check "validate: drift between splits fails" 1 $?
# files are read in name order (test before train): the train record is the one that differs
grep -q "train-00000-of-00001.jsonl.gz:1: error \[schema_drift\] .*\.n=i.*test-00000-of-00001.jsonl.gz:1" "$CONTRACT_TMP/out"
check "validate: drift between splits names both files" 0 $?

# glued: prompt + chosen with nothing at the join is a warning (exit 0), reported once per file
printf '%s\n' '{"prompt":"Say hi.","chosen":"Hi!","rejected":" no"}' \
    '{"prompt":"Again.","chosen":"Hello","rejected":"x"}' >"$CONTRACT_TMP/glued.jsonl"
"$CAI" validate "$CONTRACT_TMP/glued.jsonl" >"$CONTRACT_TMP/out"; check "validate: glued is a warning" 0 $?
[ "$(grep -c 'warning \[glued\]' "$CONTRACT_TMP/out")" = 1 ] && grep -q 'glued.jsonl:1: warning \[glued\] prompt + chosen' "$CONTRACT_TMP/out"
check "validate: glued names the first record once" 0 $?

# the example needs torch and TRL, which CI does not have: at least it must parse
"$CONTRACT_PY" -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$SRC/examples/train_reward_model.py"
check "examples/train_reward_model.py parses" 0 $?
grep -q "remove_unused_columns=False" "$SRC/examples/train_reward_model.py"
check "the example keeps p_chosen (remove_unused_columns=False)" 0 $?

"$CAI" run --help | grep -q -- "--format F *auto (default"; check "run --help: --format auto is the default" 0 $?
"$CAI" run -i x -c y -o z --margin wide >/dev/null 2>&1; check "run: --margin wide is a usage error" 2 $?
rm -rf "$CONTRACT_TMP"
