/* SPDX-License-Identifier: MIT */
/* `cai revise`: options, the API key, signals and progress around cai_revise_execute(). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cai_status exec_stage(void *stage, void *summary, cai_error *err)
{
    return cai_revise_execute(stage, summary, err);
}

static void stop_stage(void *stage)
{
    cai_revise_stop(stage);
}

static const char revise_help[] =
    "usage: cai revise -i INPUT -o DIR -c CONSTITUTION -m MODEL [options]\n"
    "The supervised phase of Constitutional AI: for each (prompt, response), a principle\n"
    "with critique and revision requests is sampled (seeded by the id and --seed), the model\n"
    "writes a critique, then a revision given it; --rounds K repeats with new principles,\n"
    "each round revising the previous revision. Writes SFT data and revision pairs.\n"
    "INPUT: a `cai sample` directory (each response of each candidates record is revised;\n"
    "ids ID#I) or JSONL with a prompt and a response: {\"id\",\"prompt\",\"response\"},\n"
    "TRL prompt/completion or prompt/chosen, an HH \"chosen\" transcript, {\"messages\"}\n"
    "ending on the assistant's turn, or candidates records.\n"
    "\n"
    "revising:\n"
    "  -c, --constitution FILE    principles (those with \"critique\" and \"revision\") and\n"
    "                             its revision_examples, shown as few-shot examples\n"
    "      --rounds K             critique-revision rounds (default 1, at most 16)\n"
    "      --seed N               principle sampling seed (default 0)\n"
    "      --temperature T        0..2 (default: the server's)\n"
    "      --max-tokens N         per critique or revision (default: the server's)\n"
    "\n"
    "endpoint (the same options as cai run's judge):\n";

static const char revise_help_more[] =
    "\n"
    "output:\n"
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
    "exit codes: 0 ok, 2 usage or input error, 3 the endpoint failed (down, auth), 4 --max-cost\n"
    "reached, 130 interrupted; rerun the same command to resume.\n";

/* The shared endpoint options cai revise takes (pipeline/cli/endpoint_opts.c). */
#define REVISE_EP (CLI_EP_POLICY | CLI_EP_TRAFFIC | CLI_EP_COST)

enum {
    OPT_TEMPERATURE = 256,
    OPT_MAX_TOKENS,
    OPT_ROUNDS,
    OPT_SEED,
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
    const struct option *opts;
    cli_ep ep;
    int c, quiet = 0, rc;
    uint64_t u;
    cai_revise *s = NULL;
    cai_revise_summary sum;
    cai_error err = {0};
    cai_status st;
    prog_state ps = {0};

    cai_revise_opts_init(&o, CAI_REVISE_OPTS_VERSION);
    opts = cli_ep_init(&ep, "revise", REVISE_EP, &o.judge, revise_opts);
    optind = 0;
    while ((c = getopt_long(argc, argv, "i:o:c:j:m:qh", opts, NULL)) != -1) {
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
            cli_ep_help_endpoint(REVISE_EP, "the model that critiques and revises (required)");
            fputs("\ncost:\n", stdout);
            cli_ep_help_cost(REVISE_EP);
            fputs(revise_help_more, stdout);
            rc = CLI_EXIT_OK;
            goto done;
        default:
            if ((rc = cli_ep_parse(&ep, c, optarg)) < 0)
                rc = cli_opt_error("revise", opts, c, argc, argv);
            if (rc != CLI_EXIT_OK)
                goto done;
        }
    }
    if (optind < argc) {
        rc = cli_usage("revise", "unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (!o.input || (!o.output_dir && !o.dry_run) || !o.constitution) {
        rc = cli_usage("revise", "%s is required",
                       !o.input          ? "-i INPUT"
                       : !o.constitution ? "-c CONSTITUTION"
                                         : "-o DIR");
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
    st = cai_revise_create(&s, &o, &err);
    if (st == CAI_OK)
        st = cli_stage_execute(s, exec_stage, stop_stage, &sum, &err);
    if (ps.tty)
        fputs("\n", stderr);
    if (st != CAI_OK) {
        rc = cli_stage_failed(st, &err, o.output_dir);
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
    goto done;

bad_value:
    rc = cli_bad_value("revise", opts, c, optarg, NULL);
done:
    cli_ep_dispose(&ep);
    return rc;
}
