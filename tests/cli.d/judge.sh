# `cai judge` through the binary: the offline judge, dry runs, usage errors, key hygiene.
# Sourced by tests/cli.sh.
JUDGE_TMP=$(mktemp -d)
JUDGE_PAIR=(--prompt "How do I boil an egg?" --response-a "Put it in boiling water for 8 minutes."
    --response-b "I cannot help with that.")

"$CAI" judge --help | grep -q -- "--dry-run"; check "judge --help lists options" 0 $?
"$CAI" judge --judge builtin "${JUDGE_PAIR[@]}" >"$JUDGE_TMP/out" 2>&1
check "judge builtin" 0 $?
grep -q '^P(A): [01]\.[0-9]*$' "$JUDGE_TMP/out"; check "judge builtin prints P(A)" 0 $?
grep -q '^verdict: ' "$JUDGE_TMP/out"; check "judge builtin prints the verdict" 0 $?

"$CAI" judge "${JUDGE_PAIR[@]}" --swap >"$JUDGE_TMP/out" 2>&1
check "judge --swap" 0 $?
grep -q '== order BA' "$JUDGE_TMP/out" && grep -q 'mean of both orders' "$JUDGE_TMP/out"
check "judge --swap shows both orders and the mean" 0 $?

"$CAI" judge "${JUDGE_PAIR[@]}" --json >"$JUDGE_TMP/out" 2>&1
check "judge --json" 0 $?
grep -q '"p_a":' "$JUDGE_TMP/out" && [ "$(wc -l <"$JUDGE_TMP/out")" -eq 1 ]
check "judge --json is one object with p_a" 0 $?

if [ -f "$SRC/datasets/samples/pairs.jsonl" ]; then
    "$CAI" judge -i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" \
        >"$JUDGE_TMP/out" 2>&1
    check "judge the first record of a file" 0 $?
    grep -q '^P(A): ' "$JUDGE_TMP/out"; check "judge --input prints P(A)" 0 $?
fi

# Port 1 has no listener: a request would fail (exit 3), so exit 0 means nothing was sent.
OPENAI_API_KEY=sk-cli-SECRET-42 "$CAI" judge --judge openai --model m \
    --base-url http://127.0.0.1:1/v1 "${JUDGE_PAIR[@]}" --dry-run >"$JUDGE_TMP/out" 2>&1
check "judge --dry-run openai" 0 $?
grep -q '"top_logprobs":10' "$JUDGE_TMP/out"; check "dry-run body asks for top_logprobs" 0 $?
grep -q 'SECRET' "$JUDGE_TMP/out"; check "dry-run never shows the key" 1 $?
"$CAI" judge --judge anthropic --model m --base-url http://127.0.0.1:1 "${JUDGE_PAIR[@]}" \
    --dry-run >"$JUDGE_TMP/out" 2>&1
check "judge --dry-run anthropic" 0 $?
grep -q '"messages":\[{"role":"user"' "$JUDGE_TMP/out"; check "anthropic dry-run body" 0 $?

OPENAI_API_KEY=sk-cli-SECRET-42 "$CAI" judge --judge openai --model m --timeout 2 \
    --base-url http://u:pw@127.0.0.1:1/v1 "${JUDGE_PAIR[@]}" >"$JUDGE_TMP/out" 2>&1
check "judge against an unreachable endpoint" 3 $?
grep -q -e 'SECRET' -e 'pw@' "$JUDGE_TMP/out"; check "errors never show the key or password" 1 $?

"$CAI" judge >/dev/null 2>&1; check "judge without a pair" 2 $?
"$CAI" judge --prompt p --response-a a >/dev/null 2>&1; check "judge without response b" 2 $?
"$CAI" judge "${JUDGE_PAIR[@]}" --judge gpt >/dev/null 2>&1; check "judge with unknown judge" 2 $?
"$CAI" judge "${JUDGE_PAIR[@]}" --mode vibes >/dev/null 2>&1; check "judge with unknown mode" 2 $?
"$CAI" judge "${JUDGE_PAIR[@]}" --judge openai >/dev/null 2>&1
check "judge openai without --model" 2 $?
"$CAI" judge "${JUDGE_PAIR[@]}" --api-key sk-x >/dev/null 2>&1; check "no key on argv" 2 $?
"$CAI" judge "${JUDGE_PAIR[@]}" --timeout -1 >/dev/null 2>&1; check "judge bad timeout" 2 $?
"$CAI" judge "${JUDGE_PAIR[@]}" -c "$JUDGE_TMP/none.json" >/dev/null 2>&1
check "judge with a missing constitution" 2 $?
"$CAI" judge "${JUDGE_PAIR[@]}" -c "$SRC/constitution/hhh.json" --principle nope >/dev/null 2>&1
check "judge with an unknown principle" 2 $?

rm -rf "$JUDGE_TMP"
