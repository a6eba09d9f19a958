# A damaged journal header through the real binary: the message, exit 2, nothing changed, and
# --repair-journal keeping every paid judgment. Also `cai judge`'s prompt-token numbers.
# Sourced by tests/cli.sh.
JH_TMP=$(mktemp -d)
start_fake "$JH_TMP"
JH_ARGS=(-i "$SRC/tests/data/journal/v1/input.jsonl" -c "$SRC/tests/data/journal/v1/constitution.json"
    -o "$JH_TMP/out" --judge openai --model fake --base-url "http://127.0.0.1:$FAKE_PORT/v1"
    --no-validate -q)
OPENAI_API_KEY=k "$CAI" run "${JH_ARGS[@]}"
check "journal: first run" 0 $?
# flip one bit of a fingerprint digit in the header (line 1)
sed -i '1s/"fingerprint":"\(.\)/"fingerprint":"X\1/; 1s/"fingerprint":"X0/"fingerprint":"1/; 1s/"fingerprint":"X\(.\)/"fingerprint":"0/' "$JH_TMP/out/journal.cai"
cp "$JH_TMP/out/journal.cai" "$JH_TMP/damaged"
OPENAI_API_KEY=k "$CAI" run "${JH_ARGS[@]}" 2>"$JH_TMP/err"
check "journal: a damaged header exits 2" 2 $?
grep -q "journal.cai:1: the journal header is damaged (CRC" "$JH_TMP/err"
check "journal: the damage is named" 0 $?
grep -q "Its 24 entries with intact CRCs" "$JH_TMP/err" && grep -q -- "--repair-journal" "$JH_TMP/err"
check "journal: the intact entries and the way to keep them are named" 0 $?
cmp -s "$JH_TMP/damaged" "$JH_TMP/out/journal.cai"
check "journal: the refusal changes nothing" 0 $?
OPENAI_API_KEY=k "$CAI" run "${JH_ARGS[@]}" --repair-journal -q 2>"$JH_TMP/err2"
check "journal: --repair-journal resumes" 0 $?
grep -qE '"judgments_replayed":[[:space:]]*24,' "$JH_TMP/out/manifest.json"
check "journal: every paid judgment kept" 0 $?
grep -qE '"judgments_sent":[[:space:]]*0,' "$JH_TMP/out/manifest.json"
check "journal: nothing asked again" 0 $?

OPENAI_API_KEY=k "$CAI" judge --judge openai --model fake --base-url "http://127.0.0.1:$FAKE_PORT/v1" \
    -c "$SRC/constitution/hhh.json" --prompt "How do I boil an egg? $(printf 'Please explain in detail. %.0s' {1..40})" \
    --response-a "Simmer it for nine minutes." --response-b "No." >"$JH_TMP/judge.out" 2>&1
check "journal: judge against the fake server" 0 $?
grep -q '^prompt tokens: [0-9]* reported by the server, about [0-9]* estimated by cai$' "$JH_TMP/judge.out"
check "judge shows the server's and cai's prompt token counts" 0 $?
stop_fake
rm -rf "$JH_TMP"
