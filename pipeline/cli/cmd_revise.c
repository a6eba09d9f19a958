/* SPDX-License-Identifier: MIT */
/* `cai revise`: options, the API key, signals and progress around cai_revise_execute(). */
#include "cli.h"
#include "key.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The tool (not the library) may keep the running job where the signal handler can reach it. */
static cai_revise *running_revise;

static void on_signal(int sig)
{
    (void)sig;
    if (running_revise)
        cai_revise_stop(running_revise);
}

static const char revise_help[] =
    "Usage: cai revise -i INPUT -o DIR -c CONSTITUTION -m MODEL [options]\n"
    "The supervised phase of Constitutional AI: for each (prompt, response), a principle\n"
    "with critique and revision requests is sampled (seeded by the id and --seed), the model\n"
    "writes a critique, then a revision given it; --rounds K repeats with new principles,\n"
    "each round revising the previous revision. Writes SFT data and revision pairs.\n"
    "INPUT: a `cai sample` directory (each response of each candidates record is revised;\n"
    "ids ID#I) or JSONL with a prompt and a response: {\"id\",\"prompt\",\"response\"},\n"
    "TRL prompt/completion or prompt/chosen, an HH \"chosen\" transcript, {\"messages\"}\n"
    "ending on the assistant's turn, or candidates records.\n"
    "\n"
    "Revising:\n"
    "  -c, --constitution FILE    principles (those with \"critique\" and \"revision\") and\n"
    "                             its revision_examples, shown as few-shot examples\n"
    "      --rounds K             critique-revision rounds (default 1, at most 16)\n"
    "      --seed N               principle sampling seed (default 0)\n"
    "      --temperature T        0..2 (default: the server's)\n"
    "      --max-tokens N         per critique or revision (default: the server's)\n"
    "\n"
    "Endpoint (as in cai run):\n"
    "  -j, --backend NAME         openai, completions or anthropic (default openai)\n"
    "  -m, --model NAME           the model that critiques and revises (required)\n"
    "      --base-url URL         endpoint base (default: the provider's public API)\n"
    "      --api-key-env NAME     variable holding the key (default OPENAI_API_KEY or\n"
    "                             ANTHROPIC_API_KEY)\n"
    "      --api-key-file FILE    read the key from a file instead\n"
    "      --ca-bundle FILE       CA certificates for TLS\n"
    "      --concurrency N        requests in flight (default 64)\n"
    "      --timeout S            per request (default 60)\n"
    "      --max-retries N        retries per request (default 8)\n"
    "      --rpm N, --tpm N       client-side request and token rates\n"
    "      --price-in USD, --price-out USD   per million tokens (cost)\n"
    "      --max-cost USD         stop before spending more (exit 4; resumable)\n"
    "\n";
static const char revise_help_more[] =
    "Output:\n"
    "  -o, --output DIR           sft.jsonl.gz (TRL prompt/completion), sft_messages.jsonl.gz\n"
    "                             (messages), pairs.jsonl.gz (the revision chosen over the\n"
    "                             original, label_source revision: `cai run -i DIR` re-judges\n"
    "                             them), failed.jsonl.gz, manifest.json, README.md,\n"
    "                             journal.cai; each record holds the whole chain (principles,\n"
    "                             critiques, revisions) and flags (empty, unchanged, leak,\n"
    "                             truncated); a rerun resumes from the journal\n"
    "      --shard-records N      records per shard (default: one file)\n"
    "      --force                accept a non-empty DIR without a journal\n"
    "      --dry-run              read the input, print the first critique request body and the\n"
    "                             request count; send and write nothing\n"
    "  -q, --quiet                no progress or summary\n"
    "  -h, --help\n"
    "\n"
    "Exit: 0 ok, 2 usage or input error, 3 the endpoint failed (down, auth), 4 --max-cost\n"
    "reached, 130 interrupted; rerun the same command to resume.\n";

enum {
    OPT_TEMPERATURE = 256,
    OPT_MAX_TOKENS,
    OPT_ROUNDS,
    OPT_SEED,
    OPT_BASE_URL,
    OPT_API_KEY_ENV,
    OPT_API_KEY_FILE,
    OPT_CA_BUNDLE,
    OPT_CONCURRENCY,
    OPT_TIMEOUT,
    OPT_MAX_RETRIES,
    OPT_RPM,
    OPT_TPM,
    OPT_PRICE_IN,
    OPT_PRICE_OUT,
    OPT_MAX_COST,
    OPT_SHARD_RECORDS,
    OPT_FORCE,
    OPT_DRY_RUN
};

static const struct option revise_opts[] = {
    {"input", required_argument, NULL, 'i'},
    {"output", required_argument, NULL, 'o'},
    {"constitution", required_argument, NULL, 'c'},
    {"rounds", required_argument, NULL, OPT_ROUNDS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"temperature", required_argument, NULL, OPT_TEMPERATURE},
    {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
    {"backend", required_argument, NULL, 'j'},
    {"model", required_argument, NULL, 'm'},
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"api-key-env", required_argument, NULL, OPT_API_KEY_ENV},
    {"api-key-file", required_argument, NULL, OPT_API_KEY_FILE},
    {"ca-bundle", required_argument, NULL, OPT_CA_BUNDLE},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-retries", required_argument, NULL, OPT_MAX_RETRIES},
    {"rpm", required_argument, NULL, OPT_RPM},
    {"tpm", required_argument, NULL, OPT_TPM},
    {"price-in", required_argument, NULL, OPT_PRICE_IN},
    {"price-out", required_argument, NULL, OPT_PRICE_OUT},
    {"max-cost", required_argument, NULL, OPT_MAX_COST},
    {"shard-records", required_argument, NULL, OPT_SHARD_RECORDS},
    {"force", no_argument, NULL, OPT_FORCE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct prog_state {
    int tty;
} prog_state;

static void on_progress(const cai_revise_progress *p, void *payload)
{
    prog_state *ps = payload;

    if (!ps->tty)
        return;
    fprintf(stderr,
            "\rresponses %llu  requests %llu  resumed %llu  retries %llu  failed %llu  $%.4f   ",
            (unsigned long long)p->items_done, (unsigned long long)p->requests,
            (unsigned long long)p->resumed, (unsigned long long)p->retries,
            (unsigned long long)p->failed, p->cost);
}

int cmd_revise(int argc, char **argv)
{
    cai_revise_opts o;
    const char *key_env = NULL, *key_file = NULL;
    char *key = NULL;
    int c, v, quiet = 0, rc;
    uint64_t u;
    cai_revise *s = NULL;
    cai_revise_summary sum;
    cai_error err = {0};
    cai_status st;
    prog_state ps = {0};

    cai_revise_opts_init(&o, CAI_REVISE_OPTS_VERSION);
    o.judge.backend = CAI_BACKEND_OPENAI;
    optind = 0;
    while ((c = getopt_long(argc, argv, "i:o:c:j:m:qh", revise_opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            o.input = optarg;
            break;
        case 'o':
            o.output_dir = optarg;
            break;
        case 'c':
            o.constitution = optarg;
            break;
        case OPT_ROUNDS:
            if (cli_parse_u64(optarg, 1, 16, &u))
                goto bad_value;
            o.rounds = (unsigned)u;
            break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, 0, UINT64_MAX, &o.seed))
                goto bad_value;
            break;
        case OPT_TEMPERATURE:
            if (cli_parse_double(optarg, 0, 2, &o.temperature))
                goto bad_value;
            break;
        case OPT_MAX_TOKENS:
            if (cli_parse_u64(optarg, 1, 1000000, &u))
                goto bad_value;
            o.max_tokens = (unsigned)u;
            break;
        case 'j':
            if ((v = cai_backend_parse(optarg)) < 0 || v == CAI_BACKEND_BUILTIN)
                goto bad_value;
            o.judge.backend = (cai_backend)v;
            break;
        case 'm':
            o.judge.model = optarg;
            break;
        case OPT_BASE_URL:
            o.judge.base_url = optarg;
            break;
        case OPT_API_KEY_ENV:
            key_env = optarg;
            break;
        case OPT_API_KEY_FILE:
            key_file = optarg;
            break;
        case OPT_CA_BUNDLE:
            o.judge.ca_bundle = optarg;
            break;
        case OPT_CONCURRENCY:
            if (cli_parse_u64(optarg, 1, 100000, &u))
                goto bad_value;
            o.judge.concurrency = (unsigned)u;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_double(optarg, 0.001, 86400, &o.judge.timeout_s))
                goto bad_value;
            break;
        case OPT_MAX_RETRIES:
            if (cli_parse_u64(optarg, 0, 1000, &u))
                goto bad_value;
            o.judge.max_retries = (unsigned)u;
            break;
        case OPT_RPM:
            if (cli_parse_double(optarg, 0, 1e9, &o.judge.rpm))
                goto bad_value;
            break;
        case OPT_TPM:
            if (cli_parse_double(optarg, 0, 1e12, &o.judge.tpm))
                goto bad_value;
            break;
        case OPT_PRICE_IN:
            if (cli_parse_double(optarg, 0, 1e6, &o.price_in))
                goto bad_value;
            break;
        case OPT_PRICE_OUT:
            if (cli_parse_double(optarg, 0, 1e6, &o.price_out))
                goto bad_value;
            break;
        case OPT_MAX_COST:
            if (cli_parse_double(optarg, 0, 1e9, &o.max_cost))
                goto bad_value;
            break;
        case OPT_SHARD_RECORDS:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &o.shard_records))
                goto bad_value;
            break;
        case OPT_FORCE:
            o.force = 1;
            break;
        case OPT_DRY_RUN:
            o.dry_run = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(revise_help, stdout);
            fputs(revise_help_more, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_opt_error("revise", revise_opts, c, argc, argv);
        }
    }
    if (optind < argc)
        return cli_usage("revise", "unexpected argument '%s'", argv[optind]);
    if (!o.input)
        return cli_usage("revise", "-i INPUT is required");
    if (!o.output_dir && !o.dry_run)
        return cli_usage("revise", "-o DIR is required");
    if (!o.constitution)
        return cli_usage("revise", "-c CONSTITUTION is required");
    if (!o.judge.model)
        return cli_usage("revise", "--model is required for the %s backend",
                         cai_backend_name(o.judge.backend));
    if (!o.dry_run) {
        rc = cli_load_key(o.judge.backend, key_env, key_file, &key);
        if (rc != CLI_EXIT_OK)
            return rc;
        o.judge.api_key = key;
    }
    ps.tty = !quiet && isatty(2);
    o.progress = on_progress;
    o.progress_payload = &ps;
    st = cai_revise_create(&s, &o, &err);
    if (st == CAI_OK) {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        running_revise = s;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        st = cai_revise_execute(s, &sum, &err);
        running_revise = NULL;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
    }
    if (ps.tty)
        fputs("\n", stderr);
    if (st != CAI_OK) {
        cli_error("%s", err.msg[0] ? err.msg : cai_strerror(st));
        if (st == CAI_EINTERRUPTED || st == CAI_EBUDGET || st == CAI_ETRANSPORT || st == CAI_EHTTP)
            cli_error("rerun the same command to resume from %s/journal.cai", o.output_dir);
        rc = cli_exit_code(st);
    } else if (o.dry_run) {
        printf("%s\n", sum.first_body ? sum.first_body : "");
        fprintf(stderr, "dry run: %llu responses to revise, %llu requests (%u rounds)\n",
                (unsigned long long)sum.items, (unsigned long long)sum.requests_planned, o.rounds);
        rc = CLI_EXIT_OK;
    } else {
        if (!quiet)
            fprintf(stderr,
                    "revised %llu responses (%llu input records): %llu records, %llu with a "
                    "flagged revision, %llu failed; %llu requests from the journal; "
                    "tokens %llu in / %llu out, $%.4f\n",
                    (unsigned long long)sum.items, (unsigned long long)sum.inputs,
                    (unsigned long long)sum.records, (unsigned long long)sum.flagged,
                    (unsigned long long)sum.failed, (unsigned long long)sum.resumed,
                    (unsigned long long)sum.prompt_tokens,
                    (unsigned long long)sum.completion_tokens, sum.cost);
        rc = CLI_EXIT_OK;
    }
    cai_revise_free(s);
    cli_free_key(key);
    return rc;

bad_value:
    return cli_bad_value("revise", revise_opts, c, optarg, NULL);
}
