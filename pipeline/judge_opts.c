/* SPDX-License-Identifier: MIT */
/* The judge's options: backend names, defaults resolved, the checks made before sending. */
#include "judge_int.h"
#include "error_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- names */

static const char *const backend_names[] = {"builtin", "openai", "completions", "anthropic"};

int cai_backend_parse(const char *name)
{
    size_t i;

    if (!name)
        return -1;
    for (i = 0; i < sizeof(backend_names) / sizeof(backend_names[0]); i++)
        if (strcmp(name, backend_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *cai_backend_name(cai_backend b)
{
    if ((unsigned)b < sizeof(backend_names) / sizeof(backend_names[0]))
        return backend_names[b];
    return "unknown";
}

char *cai_url_redact(const char *url)
{
    const char *scheme, *auth, *end, *at = NULL, *p;
    size_t n;
    char *out;

    if (!url)
        return NULL;
    scheme = strstr(url, "://");
    if (!scheme)
        return strdup(url);
    auth = scheme + 3;
    end = auth + strcspn(auth, "/?#");
    for (p = auth; p < end; p++)
        if (*p == '@')
            at = p; /* the last '@' ends the user info */
    if (!at)
        return strdup(url);
    n = strlen(url) - (size_t)(at + 1 - auth);
    out = malloc(n + 1);
    if (!out)
        return NULL;
    memcpy(out, url, (size_t)(auth - url));
    strcpy(out + (auth - url), at + 1);
    return out;
}

static char *dup_or_null(const char *s, int *bad)
{
    char *d;

    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *bad = 1;
    return d;
}

void cai_judge__wipe(char *s)
{
    volatile char *p = s;

    while (p && *p)
        *p++ = 0;
}

cai_status cai_judge__resolve_opts(cai_judge *j, const cai_judge_opts *in, cai_error *err)
{
    cai_judge_opts *o = &j->o;
    int bad = 0;

    *o = *in;
    if ((unsigned)o->backend > CAI_BACKEND_ANTHROPIC)
        return cai_error__set(err, CAI_EINVAL, "judge: unknown backend %d", (int)o->backend);
    if ((unsigned)o->mode > CAI_MODE_RATING)
        return cai_error__set(err, CAI_EINVAL, "judge: unknown mode %d", (int)o->mode);
    if (!o->concurrency)
        o->concurrency = 64;
    if (o->concurrency > 100000)
        return cai_error__set(err, CAI_EINVAL, "judge: concurrency %u is above 100000",
                              o->concurrency);
    if (!(o->timeout_s >= 0) || !(o->backoff_base_s >= 0) || !(o->backoff_max_s >= 0) ||
        !(o->rpm >= 0) || !(o->tpm >= 0) || !(o->temperature >= 0) || !(o->temperature <= 2))
        return cai_error__set(err, CAI_EINVAL, "judge: negative or out-of-range option");
    if (o->timeout_s == 0)
        o->timeout_s = 60;
    if (!(o->down_timeout_s >= 0) || !(o->stop_grace_s >= 0))
        return cai_error__set(err, CAI_EINVAL, "judge: negative or out-of-range option");
    if (o->down_timeout_s == 0)
        o->down_timeout_s = 60;
    if (o->stop_grace_s == 0)
        o->stop_grace_s = 5;
    if (o->backoff_base_s == 0)
        o->backoff_base_s = 0.5;
    if (o->backoff_max_s == 0)
        o->backoff_max_s = 30;
    if (!o->top_logprobs)
        o->top_logprobs = o->backend == CAI_BACKEND_COMPLETIONS ? 5 : 10;
    if (o->backend == CAI_BACKEND_OPENAI && o->top_logprobs > 20)
        return cai_error__set(err, CAI_EINVAL, "judge: openai top_logprobs must be 0..20");
    if (o->backend == CAI_BACKEND_COMPLETIONS && o->top_logprobs > 5)
        return cai_error__set(err, CAI_EINVAL, "judge: completions logprobs must be 0..5");
    if (!o->max_tokens)
        o->max_tokens = o->mode == CAI_MODE_COT ? 512 : 1;
    if (o->cot_clamp_lo == 0 && o->cot_clamp_hi == 0) {
        o->cot_clamp_lo = 0.4;
        o->cot_clamp_hi = 0.6;
    }
    if (!(o->cot_clamp_lo >= 0 && o->cot_clamp_lo <= 0.5 && o->cot_clamp_hi >= 0.5 &&
          o->cot_clamp_hi <= 1))
        return cai_error__set(err, CAI_EINVAL,
                              "judge: CoT clamp must satisfy 0 <= lo <= 0.5 <= "
                              "hi <= 1");
    if (o->n_base_urls > 0) {
        size_t i;

        if (!o->base_urls)
            return cai_error__set(err, CAI_EINVAL, "judge: n_base_urls without base_urls");
        for (i = 0; i < o->n_base_urls; i++)
            if (!o->base_urls[i] || !o->base_urls[i][0])
                return cai_error__set(err, CAI_EINVAL, "judge: endpoint %zu is empty", i + 1);
        o->base_url = o->base_urls[0];
        if (o->n_base_urls == 1)
            o->n_base_urls = 0; /* one endpoint: as base_url */
    }
    if (o->n_base_urls > 0) {
        size_t i;

        j->base_urls = calloc(o->n_base_urls, sizeof(*j->base_urls));
        if (!j->base_urls)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        for (i = 0; i < o->n_base_urls; i++)
            if (!(j->base_urls[i] = strdup(o->base_urls[i]))) {
                o->n_base_urls = i; /* what cai_judge_free frees */
                return cai_error__set(err, CAI_ENOMEM, "out of memory");
            }
        o->base_urls = (const char *const *)j->base_urls;
    } else {
        o->base_urls = NULL;
    }
    if (!o->base_url)
        o->base_url = o->backend == CAI_BACKEND_ANTHROPIC ? "https://api.anthropic.com"
                                                          : "https://api.openai.com/v1";
    if (!o->anthropic_version)
        o->anthropic_version = "2023-06-01";
    if (o->api_key && !o->api_key[0])
        o->api_key = NULL;
    if (o->backend != CAI_BACKEND_BUILTIN && (!o->model || !o->model[0]))
        return cai_error__set(err, CAI_EINVAL, "judge: --model is required for the %s backend",
                              cai_backend_name(o->backend));
    j->base_url = dup_or_null(o->base_url, &bad);
    j->model = dup_or_null(o->model, &bad);
    j->api_key = dup_or_null(o->api_key, &bad);
    j->ca_bundle = dup_or_null(o->ca_bundle, &bad);
    j->anthropic_version = dup_or_null(o->anthropic_version, &bad);
    j->cache_dir = dup_or_null(o->cache_dir, &bad);
    if (bad)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    o->base_url = j->base_url;
    o->model = j->model;
    o->api_key = j->api_key;
    o->ca_bundle = j->ca_bundle;
    o->anthropic_version = j->anthropic_version;
    o->cache_dir = j->cache_dir;
    return CAI_OK;
}

void cai_judge_get_opts(const cai_judge *j, cai_judge_opts *out)
{
    *out = j->o;
    out->api_key = NULL;
}

/* Whether the URL's host is a provider's public API, which always wants a key. */
static int public_endpoint(const char *url)
{
    static const char *const hosts[] = {"api.openai.com", "api.anthropic.com"};
    const char *h = strstr(url, "://"), *end, *p;
    size_t i, n;

    h = h ? h + 3 : url;
    end = h + strcspn(h, "/?#");
    for (p = h; p < end; p++)
        if (*p == '@')
            h = p + 1;
    n = strcspn(h, ":/?#");
    while (n > 0 && h[n - 1] == '.')
        n--;
    for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
        if (n == strlen(hosts[i]) && strncasecmp(h, hosts[i], n) == 0)
            return 1;
    return 0;
}

cai_status cai_judge_check(const cai_judge *j, cai_error *err)
{
    CAI_ASSERT_ARG(err, j);
    if (j->o.backend != CAI_BACKEND_BUILTIN && !j->api_key && public_endpoint(j->base_url))
        return cai_error__set(err, CAI_EINVAL,
                              "judge: no API key is set for %s, which needs one (set %s, or use "
                              "--api-key-env or --api-key-file); nothing was sent",
                              j->url_shown ? j->url_shown : j->base_url,
                              j->o.backend == CAI_BACKEND_ANTHROPIC ? "ANTHROPIC_API_KEY"
                                                                    : "OPENAI_API_KEY");
    return CAI_OK;
}
