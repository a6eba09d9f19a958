# Secret hygiene through the binary: a canary API key and URL credentials must appear in no
# stdout, stderr, journal, manifest, card or dataset byte, even when the server echoes the key.
# Output files are never world-writable. Sourced by tests/cli.sh.
SEC_TMP=$(mktemp -d)
CANARY="sk-canary-7f3a9c2e41d8b6"
URLPASS="hunter2-url-secret"

leaks() { # leaks DIR FILE...: prints the places where a secret appears
    for f in "$@"; do
        grep -l -a -e "$CANARY" -e "$URLPASS" "$f" 2>/dev/null
    done
    find "$1" -type f -name '*.gz' -exec sh -c 'zcat "$1" | grep -q -a -e "$2" -e "$3" && echo "$1"' _ {} "$CANARY" "$URLPASS" \;
    grep -r -l -a -e "$CANARY" -e "$URLPASS" "$1" 2>/dev/null
}

# 1. a server that rejects the key and echoes it back
start_fake "$SEC_TMP" --always 401_echo
OPENAI_API_KEY=$CANARY "$CAI" run -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$SEC_TMP/out401" --judge openai --model m --base-url "http://user:$URLPASS@127.0.0.1:$FAKE_PORT/v1" \
    --max-retries 1 >"$SEC_TMP/401.stdout" 2>"$SEC_TMP/401.stderr"
check "401 from the judge exits 3" 3 $?
grep -q "401" "$SEC_TMP/401.stderr"; check "401 is reported" 0 $?
OPENAI_API_KEY=$CANARY "$CAI" judge --judge openai --model m --constitution "$SRC/constitution/hhh.json" \
    --base-url "http://127.0.0.1:$FAKE_PORT/v1" --prompt "hi" --response-a "a" --response-b "b" \
    >"$SEC_TMP/judge.stdout" 2>"$SEC_TMP/judge.stderr"
check "cai judge against a 401 fails" 3 $?
stop_fake
found=$(leaks "$SEC_TMP/out401" "$SEC_TMP/401.stdout" "$SEC_TMP/401.stderr" "$SEC_TMP/judge.stdout" "$SEC_TMP/judge.stderr")
[ -z "$found" ]; check "no secret in any output of a failing run ($found)" 0 $?

# 2. a successful run with the key and URL credentials
start_fake "$SEC_TMP"
OPENAI_API_KEY=$CANARY "$CAI" run -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$SEC_TMP/ok" --judge openai --model m --base-url "http://user:$URLPASS@127.0.0.1:$FAKE_PORT/v1" \
    --limit 20 >"$SEC_TMP/ok.stdout" 2>"$SEC_TMP/ok.stderr"
check "run with a key succeeds" 0 $?
# cai judge is the debug mode: it prints the request body and the raw reply
OPENAI_API_KEY=$CANARY "$CAI" judge --judge openai --model m --constitution "$SRC/constitution/hhh.json" \
    --base-url "http://user:$URLPASS@127.0.0.1:$FAKE_PORT/v1" --prompt "hi" --response-a "a" \
    --response-b "b" --swap >"$SEC_TMP/judge-ok.stdout" 2>"$SEC_TMP/judge-ok.stderr"
check "cai judge with a key succeeds" 0 $?
grep -q '"model"' "$SEC_TMP/judge-ok.stdout"; check "cai judge printed the request body" 0 $?
stop_fake
found=$(leaks "$SEC_TMP/ok" "$SEC_TMP/ok.stdout" "$SEC_TMP/ok.stderr" "$SEC_TMP/judge-ok.stdout" \
    "$SEC_TMP/judge-ok.stderr")
[ -z "$found" ]; check "no secret in any output of a good run ($found)" 0 $?
grep -q "127.0.0.1:$FAKE_PORT" "$SEC_TMP/ok/manifest.json"; check "manifest keeps the redacted URL" 0 $?
ww=$(find "$SEC_TMP/ok" -perm -o+w -type f)
[ -z "$ww" ]; check "no world-writable output ($ww)" 0 $?
(umask 000 && "$CAI" run -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
    -o "$SEC_TMP/umask" --limit 5 --quiet)
ww=$(find "$SEC_TMP/umask" -perm -o+w)
[ -z "$ww" ]; check "no world-writable output even with umask 000 ($ww)" 0 $?

rm -rf "$SEC_TMP"
