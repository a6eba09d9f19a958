/* SPDX-License-Identifier: MIT */
/* Shared pieces of the cai tool: command entry points, exit codes, strict number parsing. */
#ifndef CAI_CLI_H
#define CAI_CLI_H

#include <cai.h>
#include <getopt.h>

/* Exit codes (documented in README.md and `cai --help`). */
enum {
    CLI_EXIT_OK = 0,          /* success; validate found nothing */
    CLI_EXIT_FINDINGS = 1,    /* the command ran and found problems */
    CLI_EXIT_USAGE = 2,       /* bad usage, unreadable or invalid input */
    CLI_EXIT_UNAVAILABLE = 3, /* the judge endpoint could not be used (down, auth, quota) */
    CLI_EXIT_BUDGET = 4,      /* stopped at the --max-cost spending cap; resumable */
    CLI_EXIT_PENDING = 5,     /* --batch: batches still running at --batch-wait; rerun to collect */
    CLI_EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM; rerun the command to resume */
};

/* Each command: argv[0] is the command name; returns an exit code. */
int cmd_sample(int argc, char **argv);
int cmd_revise(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_judge(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_constitution(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_mix(int argc, char **argv);
int cmd_agree(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_compare(int argc, char **argv);

/* Maps a library status to the documented exit code. */
int cli_exit_code(cai_status st);

/*
 * A stage (cai sample, cai revise) run with SIGINT/SIGTERM asking it to stop (stop must be
 * async-signal-safe), then the default handlers back. cli_stage_failed prints err (or the
 * status's text) and, where the journal keeps the work, the resume hint; returns the exit code.
 */
typedef cai_status (*cli_stage_exec_fn)(void *stage, void *summary, cai_error *err);
typedef void (*cli_stage_stop_fn)(void *stage);
cai_status cli_stage_execute(
    void *stage, cli_stage_exec_fn exec, cli_stage_stop_fn stop, void *summary, cai_error *err);
int cli_stage_failed(cai_status st, const cai_error *err, const char *output_dir);

/* Prints "cai: <msg>" to stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Prints "cai <cmd>: <msg>\nTry 'cai <cmd> --help'." to stderr; returns CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Writes text to path (a report or plot) through a temporary name and a rename; prints
 * "cai: PATH: reason" and returns -1 on failure. */
int cli_write_file(const char *path, const char *text);

/* A command's report: prints text to stdout (a JSON text with a final newline) and frees it;
 * CLI_EXIT_OK, or CLI_EXIT_USAGE for NULL text (out of memory). */
int cli_print_report(char *text, int json);

/* Writes text (a plot) to path with cli_write_file and frees it; the exit code, as above. */
int cli_write_report(const char *path, char *text);

/* The judge's endpoints: --base-url URL (repeatable) and --endpoints FILE (one URL a line,
 * "#" comments, blank lines), in the order given; a URL given twice is refused. The add
 * functions print "cai: WHERE: reason" and return -1 on a bad entry. */
typedef struct cli_endpoints {
    char **urls;
    size_t n;
} cli_endpoints;
int cli_endpoints_add(cli_endpoints *e, const char *url);
int cli_endpoints_file(cli_endpoints *e, const char *path);
/* Points jo's base_url / base_urls at e (which must outlive the judge's creation). */
void cli_endpoints_apply(const cli_endpoints *e, cai_judge_opts *jo);
void cli_endpoints_free(cli_endpoints *e);

/*
 * The endpoint options of cai run, judge, sample and revise (pipeline/cli/endpoint_opts.c): one
 * spelling, range, default and help line each. Every command has -j/--judge, -m/--model,
 * --base-url (repeatable), --endpoints, --api-key-env, --api-key-file, --ca-bundle and
 * --timeout; the groups below add the rest.
 */
enum {
    CLI_EP_POLICY = 1u << 0,  /* HTTP backends only, openai by default (sample, revise) */
    CLI_EP_TRAFFIC = 1u << 1, /* --concurrency --max-retries --judge-down-timeout --rpm --tpm */
    CLI_EP_CACHE = 1u << 2,   /* --cache-dir */
    CLI_EP_COST = 1u << 3,    /* --price-input --price-output --max-cost */
    CLI_EP_CACHED_PRICE = 1u << 4, /* --price-cached-input */
};
#define CLI_EP_OPT_BASE  1000 /* the shared options' codes; a command's own stay below */
#define CLI_EP_TABLE_MAX 128

typedef struct cli_ep {
    const char *cmd; /* in messages: "cai CMD: ..." */
    unsigned flags;
    cai_judge_opts *jo; /* borrowed: the options fill it */
    const char *key_env, *key_file;
    char *key; /* cli_ep_load_key; wiped by cli_ep_dispose */
    cli_endpoints eps;
    double price_input, price_output, price_cached_input, max_cost; /* CLI_EP_COST; 0: unset */
    struct option table[CLI_EP_TABLE_MAX]; /* the command's options, then the shared ones */
} cli_ep;

/* Starts e; returns the getopt_long table: own (up to its zero entry), then the shared options
 * of flags. With CLI_EP_POLICY jo's backend becomes openai. */
const struct option *cli_ep_init(
    cli_ep *e, const char *cmd, unsigned flags, cai_judge_opts *jo, const struct option *own);
/* -1 when c is not a shared option; else CLI_EXIT_OK, or CLI_EXIT_USAGE after the message. */
int cli_ep_parse(cli_ep *e, int c, const char *arg);
/* After the options: applies the endpoints to jo; --model for HTTP backends; --max-cost needs
 * a price. CLI_EXIT_OK or CLI_EXIT_USAGE (message printed). */
int cli_ep_check(cli_ep *e);
/* Loads the API key (HTTP backends) into jo->api_key; never prints it. */
int cli_ep_load_key(cli_ep *e);
void cli_ep_dispose(cli_ep *e); /* frees the endpoint list, wipes the key */
/* Help lines (stdout): the endpoint options of flags, -m described as model; the cost ones. */
void cli_ep_help_endpoint(unsigned flags, const char *model);
void cli_ep_help_cost(unsigned flags);

/* Strict parsers: whole string, range checked. Return 0 on success, -1 otherwise. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int cli_parse_double(const char *s, double min, double max, double *out);

/* What a failed strict parse expected, kept for cli_bad_value (called by the parsers above). */
void cli__expect_u64(uint64_t min, uint64_t max);
void cli__expect_double(double min, double max);

/*
 * "cai CMD: --NAME: invalid value 'VALUE' (expected EXPECTED)" for option code c of opts, plus the
 * usage hint; EXPECTED NULL means what the last failed strict parse wanted. Returns
 * CLI_EXIT_USAGE.
 */
int cli_bad_value(
    const char *cmd, const struct option *opts, int c, const char *value, const char *expected);

/*
 * Reports getopt_long's ':' (missing value) or '?' (unknown, ambiguous, or a value given to a flag)
 * naming the option as typed, with the nearest long option for a misspelling. Returns
 * CLI_EXIT_USAGE.
 */
int cli_opt_error(const char *cmd, const struct option *opts, int c, int argc, char **argv);

#endif
