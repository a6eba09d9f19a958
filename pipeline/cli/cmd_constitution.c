/* SPDX-License-Identifier: MIT */
/* `cai constitution`: the command-line front end to constitution files (lint, show). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char constitution_help[] =
    "usage: cai constitution lint [--strict] FILE...\n"
    "       cai constitution show [--json] FILE\n"
    "\n"
    "Checks and inspects constitution files (format: constitution/README.md).\n"
    "\n"
    "subcommands:\n"
    "  lint   load each FILE with its extends chain and report problems\n"
    "  show   print the resolved constitution: name, version, hash, principles\n"
    "\n"
    "Run 'cai constitution lint --help' or 'cai constitution show --help' for options.\n"
    "\n"
    "exit codes:\n"
    "  0  all files load (lint: warnings do not count unless --strict)\n"
    "  1  lint --strict: warnings were found\n"
    "  2  usage error, unreadable or invalid constitution\n";

static const char lint_help[] =
    "usage: cai constitution lint [--strict] FILE...\n"
    "\n"
    "Loads each FILE, following \"extends\", and reports errors on stderr as\n"
    "'cai: FILE: key: reason' and warnings (short texts, texts that are not questions,\n"
    "critique without revision, ...) as 'cai: warning: FILE: ...'.\n"
    "\n"
    "options:\n"
    "  -s, --strict  exit 1 when there are warnings\n"
    "  -h, --help    show this help\n"
    "\n"
    "exit codes: 0 every file loads; 1 --strict and warnings; 2 a file is invalid or\n"
    "unreadable, or bad usage.\n";

static const char show_help[] =
    "usage: cai constitution show [--json] FILE\n"
    "\n"
    "Prints FILE resolved after extends: name, version, description, SHA-256 hash, then\n"
    "for each principle its id, weight, tags, the file that defined it and its text.\n"
    "\n"
    "options:\n"
    "  -j, --json  print the canonical JSON instead (the bytes the hash covers)\n"
    "  -h, --help  show this help\n"
    "\n"
    "exit codes: 0 shown; 2 the file is invalid or unreadable, or bad usage.\n";

typedef struct lint_state {
    size_t warnings;
} lint_state;

static void on_warning(const char *line, void *payload)
{
    lint_state *ls = payload;

    ls->warnings++;
    fprintf(stderr, "cai: warning: %s\n", line);
}

/* "FILE: ok (N principles)" on stdout: a clean lint says so (warnings went to stderr). */
static void print_ok(const char *path)
{
    cai_constitution *c = NULL;
    size_t n;

    if (cai_constitution_load(&c, path, NULL) != CAI_OK)
        return; /* linted a moment ago: only a race with an editor gets here */
    n = cai_constitution_count(c);
    printf("%s: ok (%zu principle%s)\n", path, n, n == 1 ? "" : "s");
    cai_constitution_free(c);
}

static int cmd_lint(int argc, char **argv)
{
    static const struct option opts[] = {
        {"strict", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    lint_state ls = {0};
    int c, strict = 0, rc = CLI_EXIT_OK, i;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":sh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            strict = 1;
            break;
        case 'h':
            fputs(lint_help, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_opt_error("constitution lint", opts, c, argc, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("constitution lint", "no FILE given");
    /* every file is checked, so one run reports every broken file */
    for (i = optind; i < argc; i++) {
        cai_error err = {0};
        cai_status st = cai_constitution_lint(argv[i], on_warning, &ls, &err);
        if (st != CAI_OK) {
            cli_error("%s", err.msg[0] ? err.msg : cai_strerror(st));
            rc = CLI_EXIT_USAGE;
        } else {
            print_ok(argv[i]);
        }
    }
    if (rc == CLI_EXIT_OK && strict && ls.warnings > 0)
        rc = CLI_EXIT_FINDINGS;
    return rc;
}

static void print_principle(const cai_principle *p)
{
    size_t t;

    printf("\n%s  weight %g  tags ", p->id, p->weight);
    if (p->n_tags == 0)
        fputs("-", stdout);
    for (t = 0; t < p->n_tags; t++)
        printf("%s%s", t ? "," : "", p->tags[t]);
    printf("  from %s\n  %s\n", p->origin, p->text);
    if (p->critique)
        printf("  critique: %s\n", p->critique);
    if (p->revision)
        printf("  revision: %s\n", p->revision);
}

static int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    cai_constitution *con = NULL;
    cai_error err = {0};
    cai_status st;
    int c, json = 0;
    size_t i, n;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(show_help, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_opt_error("constitution show", opts, c, argc, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("constitution show", "no FILE given");
    if (argc - optind > 1)
        return cli_usage("constitution show", "one FILE at a time");
    st = cai_constitution_load(&con, argv[optind], &err);
    if (st != CAI_OK) {
        cli_error("%s", err.msg[0] ? err.msg : cai_strerror(st));
        return cli_exit_code(st);
    }
    if (json) {
        char *text = cai_constitution_canonical_json(con);
        if (!text) {
            cai_constitution_free(con);
            cli_error("%s", cai_strerror(CAI_ENOMEM));
            return CLI_EXIT_USAGE;
        }
        printf("%s\n", text);
        free(text);
    } else {
        n = cai_constitution_count(con);
        printf("name:        %s\n", cai_constitution_name(con));
        printf("version:     %s\n", cai_constitution_version(con));
        printf("description: %s\n", cai_constitution_description(con));
        printf("hash:        %s\n", cai_constitution_hash(con));
        printf("template:    %s\n", cai_constitution_template(con) ? "custom" : "built-in");
        printf("examples:    %zu\n", cai_constitution_nexamples(con));
        printf("principles:  %zu\n", n);
        for (i = 0; i < n; i++)
            print_principle(cai_constitution_principle(con, i));
    }
    cai_constitution_free(con);
    if (fflush(stdout) != 0) {
        cli_error("stdout: write failed");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cmd_constitution(int argc, char **argv)
{
    const char *sub;

    if (argc < 2)
        return cli_usage("constitution", "missing subcommand: lint or show");
    sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(constitution_help, stdout);
        return CLI_EXIT_OK;
    }
    /* the subcommand becomes argv[0] of its own getopt_long parse */
    if (strcmp(sub, "lint") == 0)
        return cmd_lint(argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0)
        return cmd_show(argc - 1, argv + 1);
    return cli_usage("constitution", "unknown subcommand '%s'", sub);
}
