/* SPDX-License-Identifier: MIT */
/* Exit-code mapping, diagnostics and strict number parsing shared by the cai commands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_exit_code(cai_status st)
{
    switch (st) {
    case CAI_OK:
    case CAI_ITEROVER:
        return CLI_EXIT_OK;
    case CAI_EINTERRUPTED:
        return CLI_EXIT_INTERRUPTED;
    case CAI_EBUDGET:
        return CLI_EXIT_BUDGET;
    case CAI_EPENDING:
        return CLI_EXIT_PENDING;
    case CAI_EHTTP:
    case CAI_ETRANSPORT:
    case CAI_ETIMEOUT:
    case CAI_ERATELIMIT:
        return CLI_EXIT_UNAVAILABLE;
    case CAI_EVERDICT:
        return CLI_EXIT_FINDINGS;
    case CAI_ENOMEM:
    case CAI_EINVAL:
    case CAI_EIO:
    case CAI_EPARSE:
    case CAI_ESCHEMA:
    case CAI_ELIMIT:
    case CAI_EMISMATCH:
    case CAI_ELOCKED:
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_USAGE;
}

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("cai: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "cai %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'cai %s --help'.\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (!s || !*s || *s == '-' || *s == '+') {
        cli__expect_u64(min, max);
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || !end || *end || v < min || v > max) {
        cli__expect_u64(min, max);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_double(const char *s, double min, double max, double *out)
{
    char *end = NULL;
    double v;

    if (!s || !*s) {
        cli__expect_double(min, max);
        return -1;
    }
    errno = 0;
    v = strtod(s, &end);
    if (errno || !end || *end || !isfinite(v) || v < min || v > max) {
        cli__expect_double(min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_write_file(const char *path, const char *text)
{
    size_t n = strlen(text), plen = strlen(path);
    char *tmp = malloc(plen + sizeof(".cai-tmp"));
    FILE *f;
    int ok;

    if (!tmp) {
        cli_error("out of memory");
        return -1;
    }
    /* under a temporary name first: no truncated file under the final one */
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".cai-tmp", sizeof(".cai-tmp"));
    f = fopen(tmp, "w");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        cli_error("%s: write failed", path);
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int cli_print_report(char *text, int json)
{
    if (!text) {
        cli_error("out of memory");
        return CLI_EXIT_USAGE;
    }
    fputs(text, stdout);
    if (json)
        fputc('\n', stdout);
    free(text);
    return CLI_EXIT_OK;
}

int cli_write_report(const char *path, char *text)
{
    int rc = text && cli_write_file(path, text) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;

    if (!text)
        cli_error("out of memory");
    free(text);
    return rc;
}
