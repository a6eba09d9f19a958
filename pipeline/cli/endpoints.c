/* SPDX-License-Identifier: MIT */
/* The judge's endpoints from the command line: --base-url (repeatable) and --endpoints FILE. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has_scheme(const char *u)
{
    return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

/* 0, or -1 after a message naming where (what: "--base-url" or "FILE:LINE"). */
static int add(cli_endpoints *e, const char *url, const char *what)
{
    char **p;
    size_t i;

    for (i = 0; i < e->n; i++)
        if (strcmp(e->urls[i], url) == 0) {
            cli_error("%s: endpoint %s is given twice", what, url);
            return -1;
        }
    p = realloc(e->urls, (e->n + 1) * sizeof(*p));
    if (!p) {
        cli_error("out of memory");
        return -1;
    }
    e->urls = p;
    if (!(e->urls[e->n] = strdup(url))) {
        cli_error("out of memory");
        return -1;
    }
    e->n++;
    return 0;
}

int cli_endpoints_add(cli_endpoints *e, const char *url)
{
    return add(e, url, "--base-url");
}

int cli_endpoints_file(cli_endpoints *e, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096], where[4200];
    size_t lineno = 0, before = e->n;
    int rc = 0;

    if (!f) {
        cli_error("--endpoints %s: cannot open it", path);
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        char *s = line, *end;

        lineno++;
        snprintf(where, sizeof(where), "%s:%zu", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            cli_error("%s: line longer than %zu bytes", where, sizeof(line) - 2);
            rc = -1;
            break;
        }
        s[strcspn(s, "#")] = '\0';
        while (*s == ' ' || *s == '\t')
            s++;
        end = s + strlen(s);
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
            *--end = '\0';
        if (!*s)
            continue;
        if (!has_scheme(s) || strpbrk(s, " \t")) {
            cli_error("%s: not an endpoint URL (one http:// or https:// URL a line): \"%.80s\"",
                      where, s);
            rc = -1;
            break;
        }
        rc = add(e, s, where);
    }
    if (rc == 0 && ferror(f)) {
        cli_error("--endpoints %s: read error", path);
        rc = -1;
    }
    fclose(f);
    if (rc == 0 && e->n == before) {
        cli_error("--endpoints %s: no endpoint in it", path);
        rc = -1;
    }
    return rc;
}

void cli_endpoints_apply(const cli_endpoints *e, cai_judge_opts *jo)
{
    if (e->n == 0)
        return;
    jo->base_url = e->urls[0];
    jo->base_urls = (const char *const *)e->urls;
    jo->n_base_urls = e->n;
}

void cli_endpoints_free(cli_endpoints *e)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        free(e->urls[i]);
    free(e->urls);
    e->urls = NULL;
    e->n = 0;
}
