/* SPDX-License-Identifier: MIT */
/* Option errors for every cai command: name the option, its valid values, the nearest spelling. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/*
 * What the last failed cli_parse_u64/cli_parse_double call expected ("an integer from 1 to 9"),
 * for cli_bad_value. The tool is one thread and reports the failure right after the parse.
 */
static char last_expect[96];

void cli__expect_u64(uint64_t min, uint64_t max)
{
    if (max == UINT64_MAX)
        snprintf(last_expect, sizeof(last_expect), "an integer of at least %llu",
                 (unsigned long long)min);
    else
        snprintf(last_expect, sizeof(last_expect), "an integer from %llu to %llu",
                 (unsigned long long)min, (unsigned long long)max);
}

void cli__expect_double(double min, double max)
{
    snprintf(last_expect, sizeof(last_expect), "a number from %g to %g", min, max);
}

static const struct option *by_val(const struct option *opts, int val)
{
    for (; opts->name; opts++)
        if (opts->val == val)
            return opts;
    return NULL;
}

int cli_bad_value(
    const char *cmd, const struct option *opts, int c, const char *value, const char *expected)
{
    const struct option *o = by_val(opts, c);

    if (!expected && last_expect[0])
        expected = last_expect;
    if (expected)
        return cli_usage(cmd, "--%s: invalid value '%s' (expected %s)", o ? o->name : "?", value,
                         expected);
    return cli_usage(cmd, "--%s: invalid value '%s'", o ? o->name : "?", value);
}

/* Edit distance between a[0..na) and b, a swap of neighbours counting as one edit (OSA). */
static size_t distance(const char *a, size_t na, const char *b)
{
    unsigned short d[48][48];
    size_t nb = strlen(b), i, j, v;

    if (na >= 48 || nb >= 48)
        return (size_t)-1;
    for (i = 0; i <= na; i++)
        d[i][0] = (unsigned short)i;
    for (j = 0; j <= nb; j++)
        d[0][j] = (unsigned short)j;
    for (i = 1; i <= na; i++) {
        for (j = 1; j <= nb; j++) {
            v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1u < v)
                v = d[i - 1][j] + 1u;
            if (d[i][j - 1] + 1u < v)
                v = d[i][j - 1] + 1u;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1u < v)
                v = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned short)v;
        }
    }
    return d[na][nb];
}

/* "--name[=value]": unknown, ambiguous, or given a value it does not take. */
static int bad_long(const char *cmd, const struct option *opts, const char *arg)
{
    const char *name = arg + 2;
    size_t n = strcspn(name, "="), best = (size_t)-1, d, prefixes = 0;
    const struct option *o, *near = NULL;
    char list[256] = "";

    for (o = opts; o->name; o++) {
        if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
            return cli_usage(cmd, "option '--%s' takes no value", o->name);
        if (strncmp(o->name, name, n) == 0) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof(list) - used, "%s--%s", prefixes ? ", " : "", o->name);
            prefixes++;
        }
        d = distance(name, n, o->name);
        if (d < best) {
            best = d;
            near = o;
        }
    }
    if (prefixes > 1)
        return cli_usage(cmd, "option '%.*s' is ambiguous (%s)", (int)(n + 2), arg, list);
    /* a typo, not another word: at most one edit in three characters, and at least one */
    if (near && best <= (n / 3 > 0 ? n / 3 : 1))
        return cli_usage(cmd, "unknown option '%.*s'; did you mean '--%s'?", (int)(n + 2), arg,
                         near->name);
    return cli_usage(cmd, "unknown option '%.*s'", (int)(n + 2), arg);
}

int cli_opt_error(const char *cmd, const struct option *opts, int c, int argc, char **argv)
{
    const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : NULL;
    const struct option *o;

    if (c == ':') {
        o = by_val(opts, optopt);
        if (arg && strncmp(arg, "--", 2) == 0 && o)
            return cli_usage(cmd, "option '--%s' needs a value", o->name);
        return cli_usage(cmd, "option '-%c' needs a value", optopt);
    }
    if (arg && strncmp(arg, "--", 2) == 0 && arg[2]) {
        size_t n = strcspn(arg + 2, "=");
        /* optopt is 0 for an unknown or ambiguous long option, and the option's own value for
         * one given a value it does not take; anything else is a short option in a cluster */
        for (o = opts; o->name && !(strlen(o->name) == n && !strncmp(o->name, arg + 2, n)); o++)
            ;
        if (optopt == 0 || (o->name && o->val == optopt))
            return bad_long(cmd, opts, arg);
    }
    if (optopt > ' ' && optopt < 127)
        return cli_usage(cmd, "unknown option '-%c'", optopt);
    return cli_usage(cmd, "unknown option '%s'", arg ? arg : "?");
}
