/* SPDX-License-Identifier: MIT */
/* `cai run`: options, the API key, signals and progress lines around cai_run_execute(). */
#include "cli.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The tool (not the library) may keep the running job where the signal handler can reach it. */
static cai_run *running;

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        cai_run_stop(running);
}

static const char run_help[] =
    "usage: cai run --input FILE... --constitution FILE --output DIR [options]\n"
    "\n"
    "Labels response pairs with a constitution and a judge, and writes a preference dataset:\n"
    "DIR/data/{train,test}-NNNNN-of-NNNNN.jsonl.gz, DIR/manifest.json, DIR/README.md (dataset\n"
    "card) and DIR/failed.jsonl.gz. DIR/journal.cai records every finished judgment: after a\n"
    "crash or Ctrl-C, run the same command again to resume without paying twice.\n"
    "\n"
    "input and output:\n"
    "  -i, --input FILE           input JSONL, plain or gzip (repeatable); or a cai output\n"
    "                             directory: the data shards its manifest.json lists, in\n"
    "                             that order, each checked against its SHA-256 first\n"
    "      --input-format F       auto (default), pairs, candidates, hh, trl, conversational\n"
    "      --skip-invalid         skip invalid input lines (counted and listed) instead of "
    "stopping\n"
    "  -c, --constitution FILE    principles for the judge (e.g. constitution/hhh.json)\n"
    "  -o, --output DIR           dataset directory (created; reused to resume)\n"
    "      --force                write into a non-empty DIR that is not a cai output (cai's\n"
    "                             own names there are replaced; nothing else is touched)\n"
    "      --no-lock              do not lock DIR, for file systems without locks (some NFS,\n"
    "                             Lustre); DANGEROUS: two runs on one DIR then corrupt it\n"
    "      --format F             auto (default: conversational when a prompt is a message\n"
    "                             list, else trl), trl, conversational, hh\n"
    "      --margin M             the margin column: capped (default, at --margin-cap),\n"
    "                             logit (ln(p/(1-p))), none (no column)\n"
    "      --margin-cap X         largest margin for --margin capped (default 3)\n"
    "      --license ID           dataset card license (default other)\n"
    "      --language CODE        dataset card language (default en)\n"
    "      --test-fraction F      share of prompts in the test split (default 0.1)\n"
    "      --shard-records N      records per shard (default 100000)\n"
    "      --gzip-level N         zlib level of the output, 1 (fastest) to 9 (default 6)\n"
    "      --limit N              judge only the first N pairs\n"
    "      --shard I/N|auto       judge and write only shard I of N (a hash of the prompt);\n"
    "                             auto: from a Slurm job array or a Kubernetes Indexed Job;\n"
    "                             join the shards' directories with 'cai merge'\n"
    "      --shard-count N        with --shard auto: the number of shards (Kubernetes; or\n"
    "                             CAI_SHARD_COUNT)\n"
    "\n";

/* In two parts: C99 promises string literals of up to 4095 bytes only. */
static const char run_help_more[] = "judge:\n";

/* After the shared endpoint options (pipeline/cli/endpoint_opts.c): the judge's own. */
static const char run_help_judge[] =
    "      --mode M               choice (default: one letter, log-probs), cot (reasoning, "
    "clamped),\n"
    "                             rating (each response scored 1-7 alone: N requests per\n"
    "                             candidates record instead of N(N-1); no order, no swap)\n"
    "      --rating-scale S       rating mode: P(A) = 1/(1+exp(-(score A - score B)/S)) "
    "(default 1)\n"
    "      --cot-clamp LO,HI      CoT probability band (default 0.4,0.6)\n"
    "      --temperature T        sampling temperature (default 0)\n"
    "      --top-logprobs N       log-probs asked per position, 1 to 20 (default 10;\n"
    "                             completions: 1 to 5, default 5)\n"
    "      --max-tokens N         reply tokens (default 1; cot 512)\n"
    "\n";

static const char run_help_plan[] =
    "plan and labels:\n"
    "      --seed N               seed for principle sampling (default 0)\n"
    "      --principles-per-pair K  principles sampled per pair, by weight (default 1)\n"
    "      --no-swap              judge one order only (halves cost; keeps position bias)\n"
    "      --samples N            samples per order at --temperature > 0 (default 1)\n"
    "      --min-margin M         pairs with |P(A) - 0.5| <= M are ties (default 0)\n"
    "      --keep-ties            write ties (p_chosen 0.5) instead of dropping them\n"
    "      --calibration FILE     apply a fit saved by cai calibrate --save to the labels as\n"
    "                             they are written (the journal keeps the judge's own)\n"
    "      --max-failure-rate F   exit 1 when failed pairs exceed this share (default 0.01)\n"
    "\n"
    "cost and progress:\n"
    "      --dry-run              count requests and estimate tokens and cost; send nothing\n";

/* After the shared cost options: the rest of run's own. */
static const char run_help_tail[] =
    "      --no-validate          do not validate the written dataset at the end\n"
    "      --repair-journal       a journal whose header is damaged gets a new header from\n"
    "                             this command's settings; entries with intact CRCs are kept\n"
    "      --accept-unhealthy-judge  exit 0 despite judge-health errors (position noise, text\n"
    "                             fallback, all ties, ...; see docs/judges.md)\n"
    "      --strict               exit 1 on warnings too (judge health and dataset checks)\n"
    "  -q, --quiet                no progress lines or summary\n"
    "  -h, --help                 show this help\n";

/* Apart from run_help: C11 promises string literals of 4095 bytes only. */
static const char run_help_batch[] =
    "\n"
    "providers' batch APIs (half price; docs/scale.md):\n"
    "      --batch                send what the journal lacks as OpenAI Batch API or Anthropic\n"
    "                             Message Batches requests, wait for them, write the dataset;\n"
    "                             a rerun (after a kill, or --batch-wait) collects the\n"
    "                             batches in flight instead of submitting again\n"
    "                             (one --base-url only; a progress line per poll)\n"
    "      --batch-wait SECONDS   wait at most this long for the batches, then exit 5 (they\n"
    "                             stay recorded in DIR/journal.cai; default: until they end)\n"
    "      --batch-poll SECONDS   between status requests (default 30)\n"
    "      --batch-discount F     the batch price as a share of --price-* (default 0.5)\n"
    "      --batch-rounds N       batch submissions of an expired or failed request before\n"
    "                             it is asked online (default 3)\n"
    "      --batch-max-requests N  requests per batch (default and cap: OpenAI 50000,\n"
    "                             Anthropic 100000)\n"
    "      --batch-max-bytes N    bytes per batch (default and cap: 200 MB, 256 MB)\n";

static const char run_help_exit[] =
    "\n"
    "exit codes: 0 done; 1 too many failed pairs, a judge-health error or the output failed\n"
    "validation; 2 usage or input error, DIR in use by another run or not a cai output; 3 judge\n"
    "unreachable or refusing (auth, quota; resumable); 4 stopped at --max-cost (resumable\n"
    "with a higher cap); 5 --batch: batches still running at --batch-wait (rerun the same\n"
    "command to collect them); 130 interrupted (resumable). Ctrl-C stops sending and lets\n"
    "requests in flight finish for a few seconds; a second Ctrl-C abandons them at once\n"
    "(nothing answered is lost).\n";

/* The shared endpoint options cai run takes: all of them. */
#define RUN_EP (CLI_EP_TRAFFIC | CLI_EP_CACHE | CLI_EP_COST | CLI_EP_CACHED_PRICE)

enum {
    OPT_INPUT_FORMAT = 256,
    OPT_SKIP_INVALID,
    OPT_FORMAT,
    OPT_TEST_FRACTION,
    OPT_SHARD_RECORDS,
    OPT_GZIP_LEVEL,
    OPT_LIMIT,
    OPT_MODE,
    OPT_COT_CLAMP,
    OPT_TEMPERATURE,
    OPT_TOP_LOGPROBS,
    OPT_MAX_TOKENS,
    OPT_SEED,
    OPT_PPP,
    OPT_NO_SWAP,
    OPT_SAMPLES,
    OPT_MIN_MARGIN,
    OPT_KEEP_TIES,
    OPT_MAX_FAILURE_RATE,
    OPT_DRY_RUN,
    OPT_NO_VALIDATE,
    OPT_FORCE,
    OPT_NO_LOCK,
    OPT_REPAIR_JOURNAL,
    OPT_MARGIN,
    OPT_MARGIN_CAP,
    OPT_RATING_SCALE,
    OPT_CALIBRATION,
    OPT_LICENSE,
    OPT_LANGUAGE,
    OPT_ACCEPT_UNHEALTHY = 400, /* apart from the others' numbers: other options are added above */
    OPT_STRICT,
    OPT_SHARD = 421, /* issue 16 (scale): apart from the numbers above */
    OPT_SHARD_COUNT,
    OPT_MERGE_SHARD,
    OPT_BATCH = 440, /* issue 16 item 1: apart from the numbers above */
    OPT_BATCH_WAIT,
    OPT_BATCH_POLL,
    OPT_BATCH_DISCOUNT,
    OPT_BATCH_ROUNDS,
    OPT_BATCH_MAX_REQUESTS,
    OPT_BATCH_MAX_BYTES
};

static const struct option long_opts[] = {
    {"input", required_argument, NULL, 'i'},
    {"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
    {"skip-invalid", no_argument, NULL, OPT_SKIP_INVALID},
    {"constitution", required_argument, NULL, 'c'},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"test-fraction", required_argument, NULL, OPT_TEST_FRACTION},
    {"shard-records", required_argument, NULL, OPT_SHARD_RECORDS},
    {"gzip-level", required_argument, NULL, OPT_GZIP_LEVEL},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"mode", required_argument, NULL, OPT_MODE},
    {"cot-clamp", required_argument, NULL, OPT_COT_CLAMP},
    {"temperature", required_argument, NULL, OPT_TEMPERATURE},
    {"top-logprobs", required_argument, NULL, OPT_TOP_LOGPROBS},
    {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"principles-per-pair", required_argument, NULL, OPT_PPP},
    {"no-swap", no_argument, NULL, OPT_NO_SWAP},
    {"samples", required_argument, NULL, OPT_SAMPLES},
    {"min-margin", required_argument, NULL, OPT_MIN_MARGIN},
    {"keep-ties", no_argument, NULL, OPT_KEEP_TIES},
    {"max-failure-rate", required_argument, NULL, OPT_MAX_FAILURE_RATE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"no-validate", no_argument, NULL, OPT_NO_VALIDATE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"no-lock", no_argument, NULL, OPT_NO_LOCK},
    {"repair-journal", no_argument, NULL, OPT_REPAIR_JOURNAL},
    {"margin", required_argument, NULL, OPT_MARGIN},
    {"margin-cap", required_argument, NULL, OPT_MARGIN_CAP},
    {"rating-scale", required_argument, NULL, OPT_RATING_SCALE},
    {"calibration", required_argument, NULL, OPT_CALIBRATION},
    {"license", required_argument, NULL, OPT_LICENSE},
    {"language", required_argument, NULL, OPT_LANGUAGE},
    {"accept-unhealthy-judge", no_argument, NULL, OPT_ACCEPT_UNHEALTHY},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"batch", no_argument, NULL, OPT_BATCH},
    {"batch-wait", required_argument, NULL, OPT_BATCH_WAIT},
    {"batch-poll", required_argument, NULL, OPT_BATCH_POLL},
    {"batch-discount", required_argument, NULL, OPT_BATCH_DISCOUNT},
    {"batch-rounds", required_argument, NULL, OPT_BATCH_ROUNDS},
    {"batch-max-requests", required_argument, NULL, OPT_BATCH_MAX_REQUESTS},
    {"batch-max-bytes", required_argument, NULL, OPT_BATCH_MAX_BYTES},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"shard-count", required_argument, NULL, OPT_SHARD_COUNT},
    {"merge-from", required_argument, NULL, OPT_MERGE_SHARD}, /* cai merge's own (undocumented) */
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct progress_state {
    int tty;
    double last_plain;
} progress_state;

static void fmt_eta(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, n, "--");
    else if (s >= 3600)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

static void on_progress(const cai_run_progress *p, void *payload)
{
    progress_state *ps = payload;
    double left = (double)(p->judgments_total - p->judgments_done);
    char eta[32];

    if (p->batch_waiting) {
        /* one line per round of status requests (every --batch-poll seconds) */
        fprintf(stderr,
                "%sbatch: %u in flight  requests %llu/%llu done  %llu failed (go again)  "
                "elapsed %.0fs%s",
                ps->tty ? "\r\033[K" : "", p->batches_in_flight,
                (unsigned long long)p->batch_requests_done, (unsigned long long)p->batch_requests,
                (unsigned long long)p->batch_requests_failed, p->elapsed_s, ps->tty ? "" : "\n");
        return;
    }
    if (!ps->tty && !p->final && p->elapsed_s - ps->last_plain < 10.0)
        return; /* logs (Slurm, Kubernetes): one plain line every 10 s */
    ps->last_plain = p->elapsed_s;
    fmt_eta(eta, sizeof(eta), p->rate > 0 ? left / p->rate : NAN);
    fprintf(stderr,
            "%spairs %llu/%llu  judgments %llu/%llu  %.1f/s  eta %s  retries %llu  failed %llu  "
            "tokens %llu",
            ps->tty ? "\r\033[K" : "", (unsigned long long)p->pairs_done,
            (unsigned long long)p->pairs_total, (unsigned long long)p->judgments_done,
            (unsigned long long)p->judgments_total, p->rate, eta, (unsigned long long)p->retries,
            (unsigned long long)p->failures,
            (unsigned long long)(p->prompt_tokens + p->completion_tokens));
    if (p->cost > 0)
        fprintf(stderr, "  $%.4f", p->cost);
    fputs(ps->tty && !p->final ? "" : "\n", stderr);
}

static void print_rate(const char *label, double v)
{
    if (isfinite(v))
        fprintf(stderr, "  %-34s %.1f%%\n", label, 100.0 * v);
}

/* Prompts the server seems to have cut (the verdict sources are in the judge-health lines). */
static void print_truncation(const cai_run_summary *s)
{
    if (s->judgments_truncated)
        fprintf(stderr,
                "  warning: %llu judgment(s) where the server counted under half the prompt "
                "tokens cai estimates: it probably cut the prompt to its context size\n",
                (unsigned long long)s->judgments_truncated);
}

/*
 * Judge health and validation, the last lines of the summary. "validation: clean" only when
 * neither the judge-health checks nor the dataset checks found anything at all.
 */
static void print_health(const cai_run_opts *o, const cai_run_summary *s)
{
    const cai_health_counts *c = &s->health;
    const cai_health_report *h = &s->health_report;
    uint64_t n = c->judgments ? c->judgments : 1;
    int ve = s->validation_findings > 0 ? s->validation_findings : 0;
    int vw = s->validation_warnings > 0 ? s->validation_warnings : 0;
    size_t i;

    fprintf(stderr,
            "  judge health: %.1f%% log-probs, %.1f%% text verdicts, %.1f%% failed of %llu "
            "judgments\n",
            100.0 * (double)c->from_logprobs / (double)n, 100.0 * (double)c->from_text / (double)n,
            100.0 * (double)c->failed / (double)n, (unsigned long long)c->judgments);
    print_rate("won by the first-shown response", cai_health_first_shown_rate(c));
    print_rate("ties among judged pairs", c->pairs ? (double)c->ties / (double)c->pairs : NAN);
    if (c->human_n) {
        double lo, hi;
        cai_agree_wilson(c->human_agree, c->human_n, 1.959963984540054, &lo, &hi);
        fprintf(stderr, "  %-34s %.1f%% of %llu (95%% CI %.3f-%.3f)\n", "agrees with human labels",
                100.0 * (double)c->human_agree / (double)c->human_n, (unsigned long long)c->human_n,
                lo, hi);
    }
    for (i = 0; i < h->n; i++)
        fprintf(stderr, "  %s [%s] %s\n    try: %s\n",
                h->f[i].severity == CAI_HEALTH_ERROR ? "ERROR" : "warning", h->f[i].code,
                h->f[i].message, h->f[i].hint);
    if (s->validation_findings < 0)
        fprintf(stderr, "  validation: not run; judge health: %u error(s), %u warning(s)\n",
                h->errors, h->warnings);
    else if (ve + vw == 0 && h->n == 0)
        fprintf(stderr, "  validation: clean\n");
    else
        fprintf(stderr,
                "  validation: %u error(s), %u warning(s) (judge health %u/%u, dataset %d/%d); "
                "run 'cai validate %s'\n",
                h->errors + (unsigned)ve, h->warnings + (unsigned)vw, h->errors, h->warnings, ve,
                vw, o->output_dir);
}

static void print_summary(const cai_run_opts *o, const cai_run_summary *s)
{
    if (o->dry_run) {
        fprintf(stderr,
                "dry run: %llu pairs, %llu judgments (requests); estimated %llu prompt + %llu "
                "completion tokens",
                (unsigned long long)s->pairs_read, (unsigned long long)s->judgments,
                (unsigned long long)s->prompt_tokens, (unsigned long long)s->completion_tokens);
        if (o->price_input_per_mtok > 0 || o->price_output_per_mtok > 0)
            fprintf(stderr, ", about $%.4f", s->cost);
        fprintf(stderr, ". Nothing was sent or written.\n");
        return;
    }
    /* Every pair read is in exactly one of kept / ties dropped / failed / unjudgeable. */
    fprintf(stderr,
            "done in %.1fs: %llu pairs read, %llu kept (train %llu, test %llu), %llu ties%s, "
            "%llu failed, %llu unjudgeable",
            s->elapsed_s, (unsigned long long)s->pairs_read, (unsigned long long)s->pairs_kept,
            (unsigned long long)s->train, (unsigned long long)s->test, (unsigned long long)s->ties,
            o->keep_ties ? " (kept)" : "", (unsigned long long)s->failed,
            (unsigned long long)s->unjudgeable);
    if (s->skipped_input)
        fprintf(stderr, "; %llu invalid input lines skipped", (unsigned long long)s->skipped_input);
    fprintf(stderr, "\n");
    fprintf(stderr, "  judgments: %llu sent, %llu answered, %llu from the journal\n",
            (unsigned long long)s->judgments_sent, (unsigned long long)s->judgments_answered,
            (unsigned long long)s->judgments_replayed);
    if (s->batch.used)
        fprintf(stderr,
                "  batch: %llu judgments answered by batches, %llu requests submitted in %llu "
                "batches (%llu reattached), %llu retried, %llu failed\n",
                (unsigned long long)s->batch.succeeded, (unsigned long long)s->batch.submitted,
                (unsigned long long)s->batch.batches, (unsigned long long)s->batch.reattached,
                (unsigned long long)s->batch.retried, (unsigned long long)s->batch.failed);
    if (s->requests)
        fprintf(stderr, "  requests: %llu sent, %llu timed out\n", (unsigned long long)s->requests,
                (unsigned long long)s->timeouts);
    if (s->n_endpoints > 1)
        for (size_t i = 0; i < s->n_endpoints; i++) {
            const cai_judge_endpoint_stats *e = &s->endpoints[i];

            fprintf(stderr,
                    "  endpoint %s: %llu requests, %llu served, %llu connection failures, "
                    "%llu timeouts, ejected %llu times, back %llu times%s\n",
                    e->url, (unsigned long long)e->requests, (unsigned long long)e->served,
                    (unsigned long long)e->conn_failures, (unsigned long long)e->timeouts,
                    (unsigned long long)e->ejections, (unsigned long long)e->returns,
                    e->ejected ? " (ejected at the end)" : "");
        }
    print_truncation(s);
    print_rate("position consistency", s->position_consistency);
    print_rate("chosen is response_a", s->position_a_rate);
    print_rate("chosen is the longer response", s->longer_rate);
    if (isfinite(s->mean_p_chosen))
        fprintf(stderr, "  %-34s %.3f\n", "mean p_chosen", s->mean_p_chosen);
    if (s->prompt_tokens || s->completion_tokens)
        fprintf(stderr,
                "  tokens: %llu prompt (%llu from the server's prefix cache), %llu completion\n",
                (unsigned long long)s->prompt_tokens, (unsigned long long)s->cached_prompt_tokens,
                (unsigned long long)s->completion_tokens);
    if ((o->price_input_per_mtok > 0 || o->price_output_per_mtok > 0) && s->batch.used)
        fprintf(stderr, "  estimated cost: $%.4f (batch price: %g of --price-*)\n", s->cost,
                s->batch.discount);
    else if (o->price_input_per_mtok > 0 || o->price_output_per_mtok > 0)
        fprintf(stderr, "  estimated cost: $%.4f\n", s->cost);
    print_health(o, s);
    fprintf(stderr, "  dataset: %s\n", o->output_dir);
}

/* What the options that are not plain numbers accept (numbers say it themselves). */
static const char *run_expected(int c)
{
    switch (c) {
    case OPT_INPUT_FORMAT:
        return "auto, pairs, candidates, hh, trl or conversational";
    case OPT_FORMAT:
        return "trl, conversational or hh";
    case OPT_MODE:
        return "choice or cot";
    case OPT_COT_CLAMP:
        return "LO,HI with 0 <= LO <= HI <= 1";
    default:
        return NULL;
    }
}

/* Input lines skipped with --skip-invalid: counted, the first few listed (all in failed.jsonl.gz).
 */
static void print_skipped(const cai_run *r, const cai_run_opts *o, const cai_run_summary *s)
{
    const char *msg;
    size_t i;

    if (!s->skipped_input)
        return;
    fprintf(stderr, "  skipped input lines: %llu (listed in %s/failed.jsonl.gz)\n",
            (unsigned long long)s->skipped_input, o->output_dir);
    for (i = 0; (msg = cai_run_skipped_msg(r, i)) != NULL; i++)
        fprintf(stderr, "    %s\n", msg);
    if (s->skipped_input > i)
        fprintf(stderr, "    ... and %llu more\n", (unsigned long long)(s->skipped_input - i));
}

/* Judge-health errors fail the run unless accepted on purpose; the errors are also printed
 * under --quiet, since they decide the exit code. */
static int health_fails(const cai_run_summary *s, int accept)
{
    const cai_health_report *h = &s->health_report;
    size_t i;

    if (h->errors == 0)
        return 0;
    for (i = 0; i < h->n; i++)
        if (h->f[i].severity == CAI_HEALTH_ERROR)
            cli_error("judge health: %s [%s]", h->f[i].message, h->f[i].code);
    if (accept) {
        cli_error("judge-health errors accepted (--accept-unhealthy-judge)");
        return 0;
    }
    cli_error("the labels are not trustworthy; see docs/judges.md, or pass "
              "--accept-unhealthy-judge to keep them anyway");
    return 1;
}

static int parse_clamp(const char *s, double *lo, double *hi)
{
    char buf[64], *comma;

    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    comma = strchr(buf, ',');
    if (!comma)
        return -1;
    *comma = '\0';
    if (cli_parse_double(buf, 0, 1, lo) || cli_parse_double(comma + 1, 0, 1, hi) || *lo > *hi)
        return -1;
    return 0;
}

static const char *env_get(const char *name, void *payload)
{
    (void)payload;
    return getenv(name);
}

/* "cai run ARGS" with each argument quoted for a POSIX shell where it needs it; caller frees.
 * Keys never reach argv (see --api-key-env); credentials in a URL are redacted like everywhere
 * else, so the line is safe to record. */
static char *command_line(int argc, char **argv)
{
    size_t n = 8, i;
    char *out, *p;
    int k;

    for (k = 0; k < argc; k++)
        n += 4 * strlen(argv[k]) + 8; /* a redacted URL is never longer than the URL */
    if (!(out = malloc(n)))
        return NULL;
    p = out + sprintf(out, "cai");
    for (k = 0; k < argc; k++) {
        char *red = strstr(argv[k], "://") ? cai_url_redact(argv[k]) : NULL;
        const char *a = red ? red : strstr(argv[k], "://") ? "<url>" : argv[k];
        int plain = *a != '\0';
        for (i = 0; a[i]; i++)
            plain &= (strchr("@%+=:,./-_", a[i]) || isalnum((unsigned char)a[i])) ? 1 : 0;
        *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            free(red);
            continue;
        }
        *p++ = '\'';
        for (i = 0; a[i]; i++) {
            if (a[i] == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = a[i];
            }
        }
        *p++ = '\'';
        *p = '\0';
        free(red);
    }
    return out;
}

int cmd_run(int argc, char **argv)
{
    char *cmdline = NULL;
    cai_run_opts o;
    const char **inputs = NULL;
    size_t n_inputs = 0;
    const struct option *opts;
    cli_ep ep;
    int quiet = 0, c, rc, v, accept_unhealthy = 0, strict = 0;
    uint64_t u;
    cai_run *r = NULL;
    cai_run_summary sum;
    cai_error err = {0};
    cai_status st;
    progress_state ps = {0, 0};
    const char *shard_spec = NULL;
    unsigned shard_count = 0;
    const char **merge_dirs = NULL;
    size_t n_merge = 0;

    cai_run_opts_init(&o, CAI_RUN_OPTS_VERSION);
    opts = cli_ep_init(&ep, "run", RUN_EP, &o.judge, long_opts);
    inputs = calloc((size_t)argc + 1, sizeof(*inputs));
    merge_dirs = calloc((size_t)argc + 1, sizeof(*merge_dirs));
    if (!inputs || !merge_dirs) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    o.command_line = cmdline = command_line(argc, argv);
    while ((c = getopt_long(argc, argv, "+:i:c:o:j:m:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            inputs[n_inputs++] = optarg;
            break;
        case OPT_INPUT_FORMAT:
            if ((v = cai_format_parse(optarg)) < 0)
                goto bad_value;
            o.input_format = (cai_format)v;
            break;
        case OPT_SKIP_INVALID:
            o.skip_invalid = 1;
            break;
        case 'c':
            o.constitution = optarg;
            break;
        case 'o':
            o.output_dir = optarg;
            break;
        case OPT_FORMAT:
            if ((v = cai_out_format_parse(optarg)) < 0)
                goto bad_value;
            o.format = (cai_out_format)v;
            break;
        case OPT_TEST_FRACTION:
            if (cli_parse_double(optarg, 0, 1, &o.test_fraction))
                goto bad_value;
            break;
        case OPT_SHARD_RECORDS:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &o.shard_records))
                goto bad_value;
            break;
        case OPT_GZIP_LEVEL:
            if (cli_parse_u64(optarg, 1, 9, &u))
                goto bad_value;
            o.gzip_level = (int)u;
            break;
        case OPT_LIMIT:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &o.limit))
                goto bad_value;
            break;
        case OPT_MODE:
            if ((v = cai_judge_mode_parse(optarg)) < 0)
                goto bad_value;
            o.judge.mode = (cai_judge_mode)v;
            break;
        case OPT_COT_CLAMP:
            if (parse_clamp(optarg, &o.judge.cot_clamp_lo, &o.judge.cot_clamp_hi))
                goto bad_value;
            break;
        case OPT_TEMPERATURE:
            if (cli_parse_double(optarg, 0, 2, &o.judge.temperature))
                goto bad_value;
            break;
        case OPT_TOP_LOGPROBS:
            if (cli_parse_u64(optarg, 1, 20, &u)) /* 0 would mean the default in the library */
                goto bad_value;
            o.judge.top_logprobs = (unsigned)u;
            break;
        case OPT_MAX_TOKENS:
            if (cli_parse_u64(optarg, 1, 1000000, &u))
                goto bad_value;
            o.judge.max_tokens = (unsigned)u;
            break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, 0, UINT64_MAX, &o.seed))
                goto bad_value;
            break;
        case OPT_PPP:
            if (cli_parse_u64(optarg, 1, 64, &u))
                goto bad_value;
            o.principles_per_pair = (unsigned)u;
            break;
        case OPT_NO_SWAP:
            o.no_swap = 1;
            break;
        case OPT_SAMPLES:
            if (cli_parse_u64(optarg, 1, 64, &u))
                goto bad_value;
            o.samples = (unsigned)u;
            break;
        case OPT_MIN_MARGIN:
            if (cli_parse_double(optarg, 0, 0.5, &o.min_margin))
                goto bad_value;
            break;
        case OPT_KEEP_TIES:
            o.keep_ties = 1;
            break;
        case OPT_MAX_FAILURE_RATE:
            if (cli_parse_double(optarg, 0, 1, &o.max_failure_rate))
                goto bad_value;
            break;
        case OPT_DRY_RUN:
            o.dry_run = 1;
            break;
        case OPT_NO_VALIDATE:
            o.no_validate = 1;
            break;
        case OPT_FORCE:
            o.force = 1;
            break;
        case OPT_NO_LOCK:
            o.no_lock = 1;
            break;
        case OPT_REPAIR_JOURNAL:
            o.repair_journal = 1;
            break;
        case OPT_MARGIN:
            if ((v = cai_margin_mode_parse(optarg)) < 0)
                goto bad_value;
            o.margin = (cai_margin_mode)v;
            break;
        case OPT_RATING_SCALE:
            if (cli_parse_double(optarg, 0.001, 1000, &o.rating_scale))
                goto bad_value;
            break;
        case OPT_CALIBRATION:
            o.calibration = optarg;
            break;
        case OPT_MARGIN_CAP:
            if (cli_parse_double(optarg, 0.001, 1000, &o.margin_cap))
                goto bad_value;
            break;
        case OPT_LICENSE:
            o.license = optarg;
            break;
        case OPT_LANGUAGE:
            o.language = optarg;
            break;
        case OPT_ACCEPT_UNHEALTHY:
            accept_unhealthy = 1;
            break;
        case OPT_STRICT:
            strict = 1;
            break;
        case OPT_SHARD:
            shard_spec = optarg;
            break;
        case OPT_SHARD_COUNT:
            if (cli_parse_u64(optarg, 1, CAI_SHARD_MAX, &u))
                goto bad_value;
            shard_count = (unsigned)u;
            break;
        case OPT_MERGE_SHARD:
            merge_dirs[n_merge++] = optarg;
            break;
        case OPT_BATCH:
            o.batch = 1;
            break;
        case OPT_BATCH_WAIT:
            if (cli_parse_double(optarg, 0, 1e9, &o.batch_wait_s))
                goto bad_value;
            break;
        case OPT_BATCH_POLL:
            if (cli_parse_double(optarg, 0.001, 86400, &o.batch_poll_s))
                goto bad_value;
            break;
        case OPT_BATCH_DISCOUNT:
            if (cli_parse_double(optarg, 0.001, 1, &o.batch_discount))
                goto bad_value;
            break;
        case OPT_BATCH_ROUNDS:
            if (cli_parse_u64(optarg, 1, 100, &u))
                goto bad_value;
            o.batch_max_rounds = (unsigned)u;
            break;
        case OPT_BATCH_MAX_REQUESTS:
            if (cli_parse_u64(optarg, 1, 100000, &u))
                goto bad_value;
            o.batch_max_requests = (size_t)u;
            break;
        case OPT_BATCH_MAX_BYTES:
            if (cli_parse_u64(optarg, 1024, 256000000, &u))
                goto bad_value;
            o.batch_max_bytes = (size_t)u;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(run_help, stdout);
            fputs(run_help_more, stdout);
            cli_ep_help_endpoint(RUN_EP, "judge model (required for HTTP judges)");
            fputs(run_help_judge, stdout);
            fputs(run_help_plan, stdout);
            cli_ep_help_cost(RUN_EP);
            fputs(run_help_tail, stdout);
            fputs(run_help_batch, stdout);
            fputs(run_help_exit, stdout);
            rc = CLI_EXIT_OK;
            goto done;
        default: /* the shared endpoint options, or ':' or '?' */
            if ((rc = cli_ep_parse(&ep, c, optarg)) < 0)
                rc = cli_opt_error("run", opts, c, argc, argv);
            if (rc != CLI_EXIT_OK)
                goto done;
        }
    }
    if (optind < argc) {
        rc = cli_usage("run", "unexpected argument '%s' (inputs go after --input)", argv[optind]);
        goto done;
    }
    if (!n_inputs || !o.constitution || !o.output_dir) {
        rc = cli_usage("run", "--input, --constitution and --output are required");
        goto done;
    }
    if ((rc = cli_ep_check(&ep)) != CLI_EXIT_OK)
        goto done;
    o.price_input_per_mtok = ep.price_input;
    o.price_output_per_mtok = ep.price_output;
    o.price_cached_input_per_mtok = ep.price_cached_input;
    o.max_cost = ep.max_cost;
    o.inputs = inputs;
    o.n_inputs = n_inputs;
    o.merge_dirs = merge_dirs;
    o.n_merge_dirs = n_merge;
    if (shard_count && (!shard_spec || strcmp(shard_spec, "auto") != 0)) {
        rc = cli_usage("run", "--shard-count goes with --shard auto");
        goto done;
    }
    if (shard_spec) {
        st = strcmp(shard_spec, "auto") == 0
                 ? cai_shard_from_env(&o.shard, env_get, NULL, shard_count, &err)
                 : cai_shard_parse(&o.shard, shard_spec, &err);
        if (st != CAI_OK) {
            rc = cli_usage("run", "%s", err.msg);
            goto done;
        }
        if (!quiet)
            fprintf(stderr, "cai: shard %u/%u\n", o.shard.index, o.shard.count);
    }
    /* a merge sends nothing: no key needed */
    if (!o.dry_run && !n_merge && (rc = cli_ep_load_key(&ep)) != CLI_EXIT_OK)
        goto done;
    if (!quiet) {
        ps.tty = isatty(STDERR_FILENO);
        o.progress = on_progress;
        o.progress_payload = &ps;
    }

    st = cai_run_create(&r, &o, &err);
    if (st == CAI_OK) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        running = r;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        st = cai_run_execute(r, &sum, &err);
        running = NULL;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
    }
    if (st != CAI_OK) {
        if (ps.tty)
            fputs("\n", stderr);
        cli_error("%s", err.msg[0] ? err.msg : cai_strerror(st)); /* says how to resume */
        rc = cli_exit_code(st);
    } else {
        if (!quiet) {
            print_summary(&o, &sum);
            print_skipped(r, &o, &sum);
        }
        rc = CLI_EXIT_OK;
        if (sum.failure_rate_exceeded) {
            cli_error("%llu of %llu pairs failed, more than --max-failure-rate %g; see "
                      "%s/failed.jsonl.gz",
                      (unsigned long long)sum.failed, (unsigned long long)sum.pairs_read,
                      o.max_failure_rate, o.output_dir);
            rc = CLI_EXIT_FINDINGS;
        }
        if (sum.validation_findings > 0)
            rc = CLI_EXIT_FINDINGS;
        if (health_fails(&sum, accept_unhealthy))
            rc = CLI_EXIT_FINDINGS;
        if (strict &&
            sum.health_report.warnings +
                    (unsigned)(sum.validation_warnings > 0 ? sum.validation_warnings : 0) >
                0) {
            cli_error("--strict: %u judge-health and %d dataset warning(s)",
                      sum.health_report.warnings,
                      sum.validation_warnings > 0 ? sum.validation_warnings : 0);
            rc = CLI_EXIT_FINDINGS;
        }
    }
    cai_run_free(r);
    goto done;

bad_value:
    rc = cli_bad_value("run", opts, c, optarg, run_expected(c));
done: /* the one way out once the argument arrays exist: nothing leaks on any path */
    cli_ep_dispose(&ep);
    free(inputs);
    free(merge_dirs);
    free(cmdline);
    return rc;
}
