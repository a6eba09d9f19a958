/* SPDX-License-Identifier: MIT */
/* `cai sample`: options, the API key, signals and progress around cai_sample_execute(). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cai_status exec_stage(void *stage, void *summary, cai_error *err)
{
    return cai_sample_execute(stage, summary, err);
}

static void stop_stage(void *stage)
{
    cai_sample_stop(stage);
}

static const char sample_help[] =
    "usage: cai sample -i PROMPTS -o DIR -m MODEL [options]\n"
    "Asks a policy for N responses per prompt and writes candidates records (the format\n"
    "`cai run -i DIR` judges), sharded gzip, with manifest.json and a dataset card.\n"
    "PROMPTS: JSONL, one prompt a line: {\"id\",\"prompt\": string or message list},\n"
    "{\"messages\": [...]} (up to the last user turn) or an HH/TRL pair (its prompt; the\n"
    "responses are ignored). A line without \"id\" gets \"l<line number>\".\n"
    "\n"
    "sampling:\n"
    "  -n, --n N                  responses per prompt (default 2): one request with n where\n"
    "                             the backend takes it (openai, completions), else N requests\n"
    "      --temperature T        0..2 (default 1)\n"
    "      --top-p P              0..1 (default: the server's)\n"
    "      --max-tokens N         per response (default: the server's; anthropic 1024)\n"
    "      --stop S               a stop string (repeatable, at most 4)\n"
    "      --system TEXT          a system prompt\n"
    "      --seed N               sent where honoured (response i of N requests: N + i)\n"
    "      --skip-flagged         move empty, truncated, duplicate and refused responses out\n"
    "                             of \"responses\" (into skipped.jsonl.gz, one line each), so\n"
    "                             nobody pays to judge them\n"
    "\n"
    "endpoint (the same options as cai run's judge):\n";

static const char sample_help_more[] =
    "\n"
    "output:\n"
    "  -o, --output DIR           candidates*.jsonl.gz, short.jsonl.gz (prompts left with\n"
    "                             fewer than two responses), failed.jsonl.gz, skipped.jsonl.gz\n"
    "                             (--skip-flagged), manifest.json, README.md, journal.cai; a\n"
    "                             rerun resumes from the journal\n"
    "      --shard-records N      records per candidates shard (default: one file)\n"
    "      --force                accept a non-empty DIR without a journal\n"
    "      --dry-run              read the prompts, print the first request body and the\n"
    "                             request count; send and write nothing\n"
    "  -q, --quiet                no progress or summary\n"
    "  -h, --help\n"
    "\n"
    "exit codes: 0 ok, 2 usage or input error, 3 the endpoint failed (down, auth), 4 --max-cost\n"
    "reached, 130 interrupted; rerun the same command to resume.\n";

/* The shared endpoint options cai sample takes (pipeline/cli/endpoint_opts.c). */
#define SAMPLE_EP (CLI_EP_POLICY | CLI_EP_TRAFFIC | CLI_EP_COST)

enum {
    OPT_TEMPERATURE = 256,
    OPT_TOP_P,
    OPT_MAX_TOKENS,
    OPT_STOP,
    OPT_SYSTEM,
    OPT_SEED,
    OPT_SKIP_FLAGGED,
    OPT_SHARD_RECORDS,
    OPT_FORCE,
    OPT_DRY_RUN
};

static const struct option sample_opts[] = {
    {"input", required_argument, NULL, 'i'},
    {"output", required_argument, NULL, 'o'},
    {"n", required_argument, NULL, 'n'},
    {"temperature", required_argument, NULL, OPT_TEMPERATURE},
    {"top-p", required_argument, NULL, OPT_TOP_P},
    {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
    {"stop", required_argument, NULL, OPT_STOP},
    {"system", required_argument, NULL, OPT_SYSTEM},
    {"seed", required_argument, NULL, OPT_SEED},
    {"skip-flagged", no_argument, NULL, OPT_SKIP_FLAGGED},
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

static void on_progress(const cai_sample_progress *p, void *payload)
{
    prog_state *ps = payload;

    if (!ps->tty)
        return;
    fprintf(stderr,
            "\rprompts %llu  requests %llu  resumed %llu  retries %llu  failed %llu  $%.4f   ",
            (unsigned long long)p->prompts_done, (unsigned long long)p->requests,
            (unsigned long long)p->resumed, (unsigned long long)p->retries,
            (unsigned long long)p->failed, p->cost);
}

int cmd_sample(int argc, char **argv)
{
    cai_sample_opts o;
    const char *stops[4];
    const struct option *opts;
    cli_ep ep;
    int c, quiet = 0, rc;
    uint64_t u;
    cai_sample *s = NULL;
    cai_sample_summary sum;
    cai_error err = {0};
    cai_status st;
    prog_state ps = {0};

    cai_sample_opts_init(&o, CAI_SAMPLE_OPTS_VERSION);
    opts = cli_ep_init(&ep, "sample", SAMPLE_EP, &o.judge, sample_opts);
    o.stop = stops;
    optind = 0;
    while ((c = getopt_long(argc, argv, "i:o:n:j:m:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            o.input = optarg;
            break;
        case 'o':
            o.output_dir = optarg;
            break;
        case 'n':
            if (cli_parse_u64(optarg, 1, 128, &u))
                goto bad_value;
            o.n = (unsigned)u;
            break;
        case OPT_TEMPERATURE:
            if (cli_parse_double(optarg, 0, 2, &o.temperature))
                goto bad_value;
            break;
        case OPT_TOP_P:
            if (cli_parse_double(optarg, 0, 1, &o.top_p))
                goto bad_value;
            break;
        case OPT_MAX_TOKENS:
            if (cli_parse_u64(optarg, 1, 1000000, &u))
                goto bad_value;
            o.max_tokens = (unsigned)u;
            break;
        case OPT_STOP:
            if (o.n_stop >= 4) {
                rc = cli_usage("sample", "at most 4 --stop strings");
                goto done;
            }
            stops[o.n_stop++] = optarg;
            break;
        case OPT_SYSTEM:
            o.system = optarg;
            break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, 0, (uint64_t)1 << 53, &u))
                goto bad_value;
            o.seed = (long long)u;
            break;
        case OPT_SKIP_FLAGGED:
            o.skip_flagged = 1;
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
            fputs(sample_help, stdout);
            cli_ep_help_endpoint(SAMPLE_EP, "the policy model (required)");
            fputs("\ncost:\n", stdout);
            cli_ep_help_cost(SAMPLE_EP);
            fputs(sample_help_more, stdout);
            rc = CLI_EXIT_OK;
            goto done;
        default:
            if ((rc = cli_ep_parse(&ep, c, optarg)) < 0)
                rc = cli_opt_error("sample", opts, c, argc, argv);
            if (rc != CLI_EXIT_OK)
                goto done;
        }
    }
    if (optind < argc) {
        rc = cli_usage("sample", "unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (!o.input) {
        rc = cli_usage("sample", "-i PROMPTS is required");
        goto done;
    }
    if (!o.output_dir && !o.dry_run) {
        rc = cli_usage("sample", "-o DIR is required");
        goto done;
    }
    if ((rc = cli_ep_check(&ep)) != CLI_EXIT_OK || (!o.dry_run && (rc = cli_ep_load_key(&ep))))
        goto done;
    o.price_in = ep.price_input;
    o.price_out = ep.price_output;
    o.max_cost = ep.max_cost;
    ps.tty = !quiet && isatty(2);
    o.progress = on_progress;
    o.progress_payload = &ps;
    st = cai_sample_create(&s, &o, &err);
    if (st == CAI_OK)
        st = cli_stage_execute(s, exec_stage, stop_stage, &sum, &err);
    if (ps.tty)
        fputs("\n", stderr);
    if (st != CAI_OK) {
        rc = cli_stage_failed(st, &err, o.output_dir);
    } else if (o.dry_run) {
        printf("%s\n", sum.first_body ? sum.first_body : "");
        fprintf(stderr, "dry run: %llu prompts, %llu requests (%u responses each)\n",
                (unsigned long long)sum.prompts, (unsigned long long)sum.requests_planned, o.n);
        rc = CLI_EXIT_OK;
    } else {
        if (!quiet)
            fprintf(stderr,
                    "sampled %llu prompts: %llu candidates records, %llu short, %llu failed; "
                    "%llu responses (%llu flagged, %llu skipped), %llu requests from the journal; "
                    "tokens %llu in / %llu out, $%.4f\n",
                    (unsigned long long)sum.prompts, (unsigned long long)sum.records,
                    (unsigned long long)sum.short_records, (unsigned long long)sum.failed,
                    (unsigned long long)sum.responses, (unsigned long long)sum.flagged,
                    (unsigned long long)sum.skipped, (unsigned long long)sum.resumed,
                    (unsigned long long)sum.prompt_tokens,
                    (unsigned long long)sum.completion_tokens, sum.cost);
        rc = CLI_EXIT_OK;
    }
    cai_sample_free(s);
    goto done;

bad_value:
    rc = cli_bad_value("sample", opts, c, optarg, NULL);
done:
    cli_ep_dispose(&ep);
    return rc;
}
