/* SPDX-License-Identifier: MIT */
/* `cai merge`: joins the finished shard directories of one run into the unsharded dataset. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char merge_help[] =
    "usage: cai merge SHARD_DIR... -o DIR [--force] [--no-lock] [-q]\n"
    "\n"
    "Joins the output directories of 'cai run --shard I/N' (every shard 0..N-1 once, each\n"
    "finished) into DIR, the dataset the same command writes unsharded, byte for byte. The\n"
    "shards' command lines (in their manifest.json) must be the same apart from --shard,\n"
    "--shard-count and --output; cai merge replays that command unsharded, taking every\n"
    "judgment from the shard journals: nothing is sent to the judge. Run it where the inputs\n"
    "and the constitution have the paths the shards used (they are checked by SHA-256).\n"
    "\n"
    "  -o, --output DIR   the merged dataset (created; a cai output directory is reused)\n"
    "      --force        write into a non-empty DIR that is not a cai output\n"
    "      --no-lock      do not lock DIR (file systems without locks; see docs/scale.md)\n"
    "  -q, --quiet        no progress lines or summary\n"
    "  -h, --help         show this help\n"
    "\n"
    "exit codes: as 'cai run'; 2 also when a shard is missing, given twice, unfinished or of\n"
    "another run.\n";

/* The words of a command line as `cai run` records it (POSIX shell quoting: '...' and \x). */
static char **split_words(const char *s, int *n_out)
{
    size_t cap = strlen(s) + 2, n = 0;
    char **v = calloc(cap, sizeof(*v)), *cur = malloc(strlen(s) + 1);
    size_t len = 0;
    int quoted = 0, in_word = 0;

    if (!v || !cur) {
        free(v);
        free(cur);
        return NULL;
    }
    for (;; s++) {
        if (!quoted && (*s == ' ' || *s == '\0')) {
            if (in_word) {
                cur[len] = '\0';
                if (!(v[n++] = strdup(cur)))
                    break;
            }
            len = 0;
            in_word = 0;
            if (*s == '\0')
                break;
            continue;
        }
        if (*s == '\0')
            break; /* an open quote: the caller sees a NULL-terminated, shorter list */
        in_word = 1;
        if (*s == '\'')
            quoted = !quoted;
        else if (!quoted && *s == '\\' && s[1])
            cur[len++] = *++s;
        else
            cur[len++] = *s;
    }
    free(cur);
    *n_out = (int)n;
    return v;
}

static void free_words(char **v)
{
    size_t i;

    for (i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* Drops the options a shard may differ in (--shard, --shard-count, --output) in place. */
static int strip_shard_words(char **v, int n)
{
    int i, k = 0;

    for (i = 0; i < n; i++) {
        const char *w = v[i];
        int with_value = strcmp(w, "--shard") == 0 || strcmp(w, "--shard-count") == 0 ||
                         strcmp(w, "--output") == 0 || strcmp(w, "-o") == 0;
        if (with_value || strncmp(w, "--shard=", 8) == 0 || strncmp(w, "--shard-count=", 14) == 0 ||
            strncmp(w, "--output=", 9) == 0 || (strncmp(w, "-o", 2) == 0 && w[2])) {
            free(v[i]);
            if (with_value && i + 1 < n)
                free(v[++i]);
            continue;
        }
        v[k++] = v[i];
    }
    v[k] = NULL;
    return k;
}

static int same_words(char **a, char **b)
{
    size_t i;

    for (i = 0; a[i] && b[i]; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return !a[i] && !b[i];
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'F'},
        {"no-lock", no_argument, NULL, 'L'},      {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int force = 0, no_lock = 0, quiet = 0, c, i, n0 = 0, rc = CLI_EXIT_USAGE, k;
    char **first = NULL, **runv = NULL;
    char *cmd = NULL;
    cai_error err = {0};
    cai_shard spec;

    while ((c = getopt_long(argc, argv, "+:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'F':
            force = 1;
            break;
        case 'L':
            no_lock = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(merge_help, stdout);
            return CLI_EXIT_OK;
        default: /* ':' or '?' */
            return cli_opt_error("merge", opts, c, argc, argv);
        }
    }
    /* options may also follow the directories */
    if (optind >= argc || !out) {
        for (i = optind; i + 1 < argc && !out; i++)
            if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output"))
                out = argv[i + 1];
        if (optind >= argc || !out)
            return cli_usage("merge", "give the shard directories and -o DIR");
    }
    for (i = optind; i < argc; i++) {
        char **words;
        int n;

        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            i++;
            continue;
        }
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--force") ||
            !strcmp(argv[i], "--no-lock")) {
            quiet |= argv[i][1] == 'q';
            force |= !strcmp(argv[i], "--force");
            no_lock |= !strcmp(argv[i], "--no-lock");
            continue;
        }
        if (cai_shard_dir_read(argv[i], &spec, &cmd, &err) != CAI_OK) {
            cli_error("%s", err.msg);
            goto out;
        }
        if (!cmd || !(words = split_words(cmd, &n)) || n < 2 || strcmp(words[1], "run") != 0) {
            cli_error("merge: %s: its manifest records no 'cai run' command line", argv[i]);
            if (cmd && (words = split_words(cmd, &n)))
                free_words(words);
            goto out;
        }
        n = strip_shard_words(words, n);
        free(cmd);
        cmd = NULL;
        if (!first) {
            first = words;
            n0 = n;
        } else {
            int same = same_words(first, words);
            free_words(words);
            if (!same) {
                cli_error("merge: %s ran another command than the first shard (only --shard, "
                          "--shard-count and --output may differ)",
                          argv[i]);
                goto out;
            }
        }
    }
    if (!first)
        return cli_usage("merge", "give the shard directories and -o DIR");
    /* cai run <the shards' options> --output DIR --merge-from SHARD... */
    runv = calloc((size_t)n0 + 2 * (size_t)argc + 8, sizeof(*runv));
    if (!runv)
        goto out;
    k = 0;
    for (i = 1; i < n0; i++)
        runv[k++] = first[i];
    runv[k++] = "--output";
    runv[k++] = (char *)out;
    for (i = optind; i < argc; i++) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            i++;
            continue;
        }
        if (argv[i][0] == '-')
            continue;
        runv[k++] = "--merge-from";
        runv[k++] = argv[i];
    }
    if (force)
        runv[k++] = "--force";
    if (no_lock)
        runv[k++] = "--no-lock";
    if (quiet)
        runv[k++] = "-q";
    optind = 0;
    rc = cmd_run(k, runv);
out:
    free(cmd);
    free(runv);
    free_words(first);
    return rc;
}
