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
