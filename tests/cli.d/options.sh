# Option errors in every command: the option is named with its valid values, a misspelled long
# option gets the nearest spelling, and `cai judge` takes -j/-m as `cai run` does.
# Sourced by tests/cli.sh.
OPT_TMP=$(mktemp -d)

# opt_expect NAME EXPECTED_FIRST_LINE ARGS...: a usage error (exit 2) with exactly that message.
opt_expect() {
    local name=$1 want=$2
    shift 2
    "$CAI" "$@" >/dev/null 2>"$OPT_TMP/err"
    check "option error $name: exit 2" 2 $?
    [ "$(head -n 1 "$OPT_TMP/err")" = "$want" ] || {
        echo "option error $name: expected '$want', got:"
        sed 's/^/    /' "$OPT_TMP/err"
        false
    }
    check "option error $name: message" 0 $?
}

opt_expect run-range "cai run: --concurrency: invalid value '0' (expected an integer from 1 to 100000)" \
    run --concurrency 0
opt_expect run-range-eq "cai run: --gzip-level: invalid value '10' (expected an integer from 1 to 9)" \
    run --gzip-level=10
opt_expect run-double "cai run: --test-fraction: invalid value '2' (expected a number from 0 to 1)" \
    run --test-fraction 2
opt_expect run-choice "cai run: --judge: invalid value 'gpt' (expected builtin, openai, completions or anthropic)" \
    run -j gpt
opt_expect run-typo "cai run: unknown option '--concurency'; did you mean '--concurrency'?" \
    run --concurency 4
opt_expect run-typo-eq "cai run: unknown option '--dryrun'; did you mean '--dry-run'?" run --dryrun
opt_expect run-unknown "cai run: unknown option '--frobnicate'" run --frobnicate
opt_expect run-ambiguous "cai run: option '--price' is ambiguous (--price-input, --price-output, --price-cached-input)" \
    run --price 1
opt_expect run-flag-value "cai run: option '--quiet' takes no value" run --quiet=yes
opt_expect run-no-value "cai run: option '--output' needs a value" run -i x --output
opt_expect run-short "cai run: unknown option '-z'" run -z
opt_expect run-top0 "cai run: --top-logprobs: invalid value '0' (expected an integer from 1 to 20)" \
    run --top-logprobs 0
opt_expect judge-top0 "cai judge: --top-logprobs: invalid value '0' (expected an integer from 1 to 20)" \
    judge --top-logprobs 0
opt_expect judge-typo "cai judge: unknown option '--promt'; did you mean '--prompt'?" judge --promt x
opt_expect judge-mode "cai judge: --mode: invalid value 'vote' (expected choice, cot or rating)" \
    judge --mode vote
opt_expect validate-range "cai validate: --max-examples: invalid value '0' (expected an integer from 1 to 1000000)" \
    validate --max-examples 0 x
opt_expect validate-typo "cai validate: unknown option '--scrict'; did you mean '--strict'?" \
    validate --scrict x
opt_expect stats-typo "cai stats: unknown option '--jsno'; did you mean '--json'?" stats --jsno x
opt_expect stats-format "cai stats: --format: invalid value 'csv' (expected auto, pairs, candidates, hh, trl or conversational)" \
    stats --format csv x
opt_expect lint-typo "cai constitution lint: unknown option '--strikt'; did you mean '--strict'?" \
    constitution lint --strikt x
opt_expect show-typo "cai constitution show: unknown option '--jason'; did you mean '--json'?" \
    constitution show --jason x

opt_expect agree-typo "cai agree: unknown option '--hman'; did you mean '--human'?" agree --hman x d
opt_expect agree-no-value "cai agree: option '--svg' needs a value" agree d --svg
opt_expect calibrate-range "cai calibrate: --holdout: invalid value '0.95' (expected a number from 0 to 0.9)" \
    calibrate --holdout 0.95 d
opt_expect calibrate-method "cai calibrate: --method: invalid value 'isotonic' (expected temperature or platt)" \
    calibrate --method isotonic d
opt_expect compare-range "cai compare: --top: invalid value '0' (expected an integer from 1 to 10000)" \
    compare --top 0 a b
opt_expect route-range "cai route: --count: invalid value '0' (expected an integer from 1 to 16777216)" \
    route --count 0 d
opt_expect route-typo "cai route: unknown option '--cuont'; did you mean '--count'?" route --cuont 3 d
opt_expect mix-p "cai mix: --human-p: invalid value '0.4' (expected a number above 0.5 and below 1)" \
    mix --human-p 0.4 d
opt_expect mix-ties "cai mix: --human-ties: invalid value 'maybe' (expected drop or keep)" \
    mix --human-ties maybe d
# sample and revise share run's endpoint options (pipeline/cli/endpoint_opts.c): names, ranges
opt_expect sample-typo "cai sample: unknown option '--concurency'; did you mean '--concurrency'?" \
    sample --concurency 4
opt_expect sample-range "cai sample: --judge-down-timeout: invalid value '0' (expected a number from 0.001 to 86400)" \
    sample --judge-down-timeout 0
opt_expect sample-choice "cai sample: --judge: invalid value 'builtin' (expected openai, completions or anthropic)" \
    sample -j builtin
opt_expect sample-old-name "cai sample: unknown option '--backend'" sample --backend openai
opt_expect revise-typo "cai revise: unknown option '--price-inptu'; did you mean '--price-input'?" \
    revise --price-inptu 1
opt_expect revise-range "cai revise: --concurrency: invalid value '0' (expected an integer from 1 to 100000)" \
    revise --concurrency 0
opt_expect revise-max-cost "cai revise: --max-cost needs --price-input and --price-output (USD per million tokens)" \
    revise -i x -o y -c z -m m --max-cost 1
opt_expect merge-typo "cai merge: unknown option '--outptu'; did you mean '--output'?" merge --outptu x a
# -j and -m in `cai judge`, as in `cai run`
"$CAI" judge -j openai -m some-model --prompt p --response-a a --response-b b --dry-run \
    >"$OPT_TMP/out" 2>&1
check "judge -j/-m accepted" 0 $?
grep -q '"model":"some-model"' "$OPT_TMP/out"; check "judge -m sets the model" 0 $?
"$CAI" judge --help | grep -q -- "-j, --judge"; check "judge --help lists -j" 0 $?
rm -rf "$OPT_TMP"
