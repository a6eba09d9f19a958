/* SPDX-License-Identifier: MIT */
/* The judge engine: one curl multi handle keeping N judgments in flight with retries and pacing. */
/*
 * Invariants:
 * - The engine owns 2 x `concurrency` slots and keeps at most `concurrency` requests in flight.
 *   A slot holds one task from the moment it is pulled until its done callback has returned:
 *   built and queued to go (READY), in flight (ACTIVE), answered but not yet handled (REAPED),
 *   waiting for a retry or a token bucket (DELAYED), or waiting for an identical body already
 *   in flight (WAITING). Memory is therefore bounded by the concurrency, never by the input.
 * - Handle, then send (the durability promise): every reply read off the network is handled,
 *   and its done callback has returned (the run journals it there), before its capacity goes to
 *   another request. A SIGKILL therefore loses at most the requests in flight, never a reply
 *   that was read. The next requests are built (READY) before capacity frees up, so refilling
 *   costs only the send; a reply that asks the pool to wait (429, rate-limit headers) is seen
 *   before anything more goes out.
 * - A retry re-sends the slot's body buffer unchanged.
 * - The API key lives only in the header list (and a copy used to scrub messages); replies and
 *   error messages are scrubbed of it before they leave the engine.
 * - No global state: RNG, buckets, the pool pause and the caches live in the handle.
 */
#include "cai/judge.h"
#include "builtin_int.h"
#include "error_int.h"
#include "ratelimit_int.h"
#include "wire_int.h"
#include "batch_int.h"
#include "opts_int.h"

#include "hash_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPLY_BYTES (4u * 1024 * 1024) /* a judge's reply is tiny; more is an error */
/*
 * The in-run answer cache is bounded so memory stays flat in the size of the input: without a
 * cache directory it holds the most recent 49,152 answers (2.5 MiB) and starts afresh when full,
 * which still catches duplicate requests close together; with a cache directory the user has
 * asked for reuse across runs, and it may grow to 786,432 answers (40 MiB).
 */
#define CACHE_RUN_SLOTS   (1u << 16)
#define CACHE_DISK_SLOTS  (1u << 20)
#define CACHE_FILE        "cai-judge-cache.v1"
#define MAX_SERVER_WAIT_S 60.0 /* cap on a pause or delay a server asks for */
#define POLL_MAX_MS       200  /* stop() is noticed within this */
#define BREAKER_AFTER     5    /* consecutive connection failures that open the breaker */
#define PROBE_MAX_S       5.0  /* the longest wait between two probes of a judge that is down */
#define LIMIT_START       16   /* the limiter starts here (never above --concurrency) and grows */
#define LIMIT_HEALTHY     0.25 /* a reply within this share of the timeout is healthy */
#define LIMIT_TARGET      0.33 /* under load, the limiter aims at latencies of this share */

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

/* ---------------------------------------------------------------- the handle */

typedef enum slot_state {
    SLOT_FREE,
    SLOT_READY,
    SLOT_ACTIVE,
    SLOT_REAPED,
    SLOT_DELAYED,
    SLOT_WAITING
} slot_state;

typedef struct slot {
    struct cai_judge *j;
    CURL *easy; /* created on first use, reused for every later request of this slot */
    slot_state state;
    cai_judge_task task;
    cai_wbuf body;
    cai_wbuf resp;
    cai_wire_hdrs hdrs;
    uint64_t k1, k2;     /* 128 bits of the body's SHA-256 */
    char sha[65];        /* the whole digest, for the disk cache */
    unsigned attempts;   /* HTTP attempts of this judgment */
    unsigned retries;    /* transport/HTTP re-sends */
    unsigned parse_fail; /* replies without a verdict */
    unsigned est_tokens; /* charged to the token bucket at launch */
    unsigned prompt_est; /* cai's estimate of the prompt's tokens (truncation check) */
    unsigned wire_gen;   /* j->wire_gen when body was rendered */
    unsigned prompt_tokens, completion_tokens;
    size_t leader;      /* WAITING: the slot whose identical body is in flight */
    double due;         /* DELAYED: monotonic time it may start */
    double sent_at;     /* ACTIVE: monotonic time it went out */
    double est_cost;    /* ACTIVE: estimated USD, counted in the health gate's out_cost */
    unsigned n_at_send; /* ACTIVE: requests in flight when it went out, itself included */
    int probe;          /* ACTIVE: sent alone to see whether the judge is back */
    double epoch;       /* wall clock at the reply's status line */
    int too_big;
    CURLcode rc; /* REAPED: the transfer's result */
    long code;   /* REAPED: its HTTP status (0 when none came) */
    char errbuf[CURL_ERROR_SIZE];
} slot;

/*
 * The health gate: what the engine knows about its endpoint, and every rule that decides from it
 * whether a request may go out now (see the section "the health gate" below). One per endpoint;
 * the engine has one endpoint today.
 */
typedef struct health {
    int ok_seen;         /* a 2xx reply has come: refusals are no longer taken as fatal */
    unsigned conn_fails; /* consecutive connection failures */
    int open;            /* breaker open: one probe at a time, nothing else */
    double open_since;   /* monotonic */
    double probe_at;     /* monotonic: the next probe may go */
    unsigned probe_n;    /* probes failed since the breaker opened */
    int probe_out;       /* a probe is in flight */
    char last_err[256];  /* the last connection failure, for the final message */
    double limit;        /* requests in flight allowed now, 1..concurrency */
    double cut_at;       /* monotonic: the last cut; replies to requests sent before it don't cut */
    double price_in, price_out, max_cost, spent_before; /* the budget (max_cost 0 = none) */
    double spent;    /* answered requests: usage, else the estimate */
    double out_cost; /* requests in flight, estimated */
    int over_budget; /* the next request would pass the cap: nothing more is sent */
} health;

typedef struct centry {
    uint64_t k1, k2;
    double value; /* p_first, or the score in rating mode */
    uint32_t prompt_tokens, completion_tokens;
    uint8_t used, verdict, from_logprobs;
} centry;

struct cai_judge {
    cai_judge_opts o; /* defaults resolved; its strings point at the copies below */
    char *base_url, *model, *api_key, *ca_bundle, *anthropic_version, *cache_dir;
    char *url, *url_shown;
    const cai_constitution *c;
    cai_wire wire;
    unsigned wire_gen; /* bumped when the wire switches to a reasoning model's parameters */
    struct curl_slist *headers;
    CURLM *multi;
    slot *slots;
    size_t nslots;
    size_t *free_list;
    size_t nfree;
    size_t *ready; /* FIFO ring of READY slots, in the order they were pulled */
    size_t ready_head, nready;
    size_t *reaped; /* REAPED slots, in the order curl finished them */
    size_t nreaped;
    int engine_err; /* the run failed in curl, not in a callback: err says how */
    health h;
    cai_status fatal; /* the judge's health ended the run (CAI_OK = not) */
    char fatal_msg[512];
    int stop_seen;        /* the loop has noticed the first stop */
    double stop_deadline; /* monotonic: in-flight requests are abandoned after this */
    unsigned active, delayed, waiting;
    uint64_t rng;
    volatile sig_atomic_t stop;
    int running;
    cai_judge_stats stats;
    double not_before; /* monotonic: the pool starts nothing before this */
    double wake_at;    /* monotonic: when fill_slots wants to run again */
    cai_bucket rpm, tpm;
    centry *cache;
    size_t cache_cap, cache_count;
    int cache_fd;
    cai_sha256 *sha;
    /* one run */
    cai_judge_pull_fn pull;
    cai_judge_done_fn done;
    void *payload;
    int source_done, pull_blocked;
    cai_judge_idle_fn idle;
    /* cai_judge_one's raw copies */
    int capture;
    char *cap_request, *cap_reply;
};

static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static void wipe(char *s)
{
    volatile char *p = s;

    while (p && *p)
        *p++ = 0;
}

/* ---------------------------------------------------------------- the answer cache */

static centry *cache_find(cai_judge *j, uint64_t k1, uint64_t k2)
{
    size_t i;

    if (!j->cache)
        return NULL;
    for (i = (size_t)k1 & (j->cache_cap - 1);; i = (i + 1) & (j->cache_cap - 1)) {
        centry *e = &j->cache[i];

        if (!e->used)
            return NULL;
        if (e->k1 == k1 && e->k2 == k2)
            return e;
    }
}

static centry *cache_slot(centry *tab, size_t cap, uint64_t k1, uint64_t k2)
{
    size_t i;

    for (i = (size_t)k1 & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!tab[i].used || (tab[i].k1 == k1 && tab[i].k2 == k2))
            return &tab[i];
}

/* Rehashes the cache into cap slots; -1 when memory is short. */
static int cache_grow(cai_judge *j, size_t cap)
{
    centry *tab = calloc(cap, sizeof(*tab));
    size_t i;

    if (!tab)
        return -1;
    for (i = 0; i < j->cache_cap; i++)
        if (j->cache[i].used)
            *cache_slot(tab, cap, j->cache[i].k1, j->cache[i].k2) = j->cache[i];
    free(j->cache);
    j->cache = tab;
    j->cache_cap = cap;
    return 0;
}

/* Remembers an answer; silently does nothing when a disk-backed cache is full or memory is short.
 */
static void cache_put(cai_judge *j, const centry *in)
{
    centry *e;

    if ((j->cache_count + 1) * 4 > j->cache_cap * 3) {
        size_t cap = j->cache_cap ? j->cache_cap * 2 : 1024;

        if (cap <= (j->cache_dir ? CACHE_DISK_SLOTS : CACHE_RUN_SLOTS)) {
            if (cache_grow(j, cap) != 0)
                return;
        } else if (j->cache_dir) {
            return;
        } else {
            memset(j->cache, 0, j->cache_cap * sizeof(*j->cache)); /* a new generation */
            j->cache_count = 0;
        }
    }
    e = cache_slot(j->cache, j->cache_cap, in->k1, in->k2);
    if (!e->used)
        j->cache_count++;
    *e = *in;
    e->used = 1;
}

static int hex_u64(const char *h, uint64_t *out)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 16; i++) {
        char c = h[i];
        unsigned d;

        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

/* Loads the disk cache; lines that do not parse (a torn tail) are skipped. */
static cai_status cache_open(cai_judge *j, cai_error *err)
{
    char *path;
    FILE *f;
    char line[256];
    size_t n = strlen(j->cache_dir) + sizeof(CACHE_FILE) + 2;

    if (mkdir(j->cache_dir, 0700) != 0 && errno != EEXIST)
        return cai_error__set(err, CAI_EIO, "%s: %s", j->cache_dir, strerror(errno));
    path = malloc(n);
    if (!path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    snprintf(path, n, "%s/%s", j->cache_dir, CACHE_FILE);
    f = fopen(path, "r");
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            char hex[65];
            unsigned verdict, from_lp, pt, ct;
            double value;
            centry e;

            if (sscanf(line, "%64[0-9a-f] %u %u %lf %u %u", hex, &verdict, &from_lp, &value, &pt,
                       &ct) != 6 ||
                strlen(hex) != 64 || !strchr(line, '\n') || verdict > CAI_VERDICT_TIE ||
                !isfinite(value))
                continue;
            memset(&e, 0, sizeof(e));
            if (hex_u64(hex, &e.k1) || hex_u64(hex + 16, &e.k2))
                continue;
            e.value = value;
            e.verdict = (uint8_t)verdict;
            e.from_logprobs = from_lp != 0;
            e.prompt_tokens = pt;
            e.completion_tokens = ct;
            cache_put(j, &e);
        }
        fclose(f);
    }
    j->cache_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (j->cache_fd < 0) {
        cai_status st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));

        free(path);
        return st;
    }
    free(path);
    return CAI_OK;
}

/* Appends one answer as a single write, so concurrent writers interleave whole lines. */
static void cache_append(cai_judge *j, const char *sha, const centry *e)
{
    char line[256];
    int n;

    if (j->cache_fd < 0)
        return;
    n = snprintf(line, sizeof(line), "%s %u %u %.17g %u %u\n", sha, (unsigned)e->verdict,
                 (unsigned)e->from_logprobs, e->value, (unsigned)e->prompt_tokens,
                 (unsigned)e->completion_tokens);
    if (n > 0 && (size_t)n < sizeof(line) && write(j->cache_fd, line, (size_t)n) != n) {
        /* The cache is an optimisation: a failed append only costs a repeat request later. */
    }
}

static double cot_p(const cai_judge *j, cai_verdict v)
{
    return v == CAI_VERDICT_A ? j->o.cot_clamp_hi : v == CAI_VERDICT_B ? j->o.cot_clamp_lo : 0.5;
}

int cai_judge_asks_logprobs(const cai_judge *j)
{
    return j->o.backend != CAI_BACKEND_BUILTIN && j->wire.p.top_logprobs > 0;
}

static cai_judgment_source source_of(const cai_judge *j, int from_logprobs)
{
    if (from_logprobs)
        return CAI_SOURCE_LOGPROBS;
    return cai_judge_asks_logprobs(j) ? CAI_SOURCE_TEXT_FALLBACK : CAI_SOURCE_TEXT;
}

/* Characters / 4 of what the model reads: about right for English, an underestimate for code
 * and most other scripts (so the truncation check errs towards silence). */
static unsigned prompt_estimate(const cai_judge *j, const cai_prompt *pr)
{
    size_t n;

    if (j->o.backend == CAI_BACKEND_COMPLETIONS && pr->raw)
        n = strlen(pr->raw);
    else
        n = (pr->system ? strlen(pr->system) : 0) + (pr->user ? strlen(pr->user) : 0) +
            (pr->prefill ? strlen(pr->prefill) : 0);
    return (unsigned)((n + 3) / 4);
}

static void result_from_entry(const cai_judge *j, const centry *e, cai_judgment *res)
{
    memset(res, 0, sizeof(*res));
    res->verdict = (cai_verdict)e->verdict;
    res->from_logprobs = e->from_logprobs;
    res->source = source_of(j, e->from_logprobs);
    res->prompt_tokens = e->prompt_tokens;
    res->completion_tokens = e->completion_tokens;
    res->cached = 1;
    res->score = NAN;
    if (j->o.mode == CAI_MODE_RATING) {
        res->p_first = NAN;
        res->score = e->value;
    } else if (j->o.mode == CAI_MODE_COT) {
        /* Re-derived so that a cache written under other clamp settings still applies. */
        res->p_first = cot_p(j, res->verdict);
    } else
        res->p_first = e->value;
}

/* ---------------------------------------------------------------- create / free */

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    slot *s = userdata;
    size_t n = size * nmemb;

    if (s->resp.len + n > MAX_REPLY_BYTES) {
        s->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (cai_wire__put(&s->resp, data, n) != 0)
        return 0;
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    slot *s = userdata;
    size_t n = size * nmemb;

    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new status line (after a 100 Continue, or a redirect): forget earlier headers. */
        cai_wire__hdrs_reset(&s->hdrs);
        s->epoch = wall_now();
    } else
        cai_wire__header(&s->hdrs, data, n, s->epoch);
    return n;
}

static cai_status resolve_opts(cai_judge *j, const cai_judge_opts *in, cai_error *err)
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

static cai_status add_header(cai_judge *j, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    struct curl_slist *l;

    if (!line)
        return CAI_ENOMEM;
    snprintf(line, n, "%s: %s", name, value);
    l = curl_slist_append(j->headers, line);
    wipe(line);
    free(line);
    if (!l)
        return CAI_ENOMEM;
    j->headers = l;
    return CAI_OK;
}

static cai_status setup_http(cai_judge *j, cai_error *err)
{
    static const char *const paths[] = {"", "/chat/completions", "/completions", "/v1/messages"};
    cai_wire_params wp;
    size_t blen = strlen(j->base_url), n, i;
    cai_status st;
    char *bearer;

    while (blen > 0 && j->base_url[blen - 1] == '/')
        blen--;
    n = blen + strlen(paths[j->o.backend]) + 1;
    j->url = malloc(n);
    if (!j->url)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    snprintf(j->url, n, "%.*s%s", (int)blen, j->base_url, paths[j->o.backend]);
    j->url_shown = cai_url_redact(j->url);
    if (!j->url_shown)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");

    memset(&wp, 0, sizeof(wp));
    wp.backend = j->o.backend;
    wp.mode = j->o.mode;
    wp.model = j->model;
    wp.max_tokens = j->o.max_tokens;
    wp.temperature = j->o.temperature;
    wp.top_logprobs =
        j->o.mode == CAI_MODE_COT || j->o.backend == CAI_BACKEND_ANTHROPIC ? 0 : j->o.top_logprobs;
    /* Reasoning models refuse max_tokens, temperature and log-probs: their verdicts are read
     * from the text on purpose (CAI_SOURCE_TEXT, not a fallback). */
    wp.reasoning = j->o.backend == CAI_BACKEND_OPENAI && cai_wire__is_reasoning_model(j->model);
    if (wp.reasoning)
        wp.top_logprobs = 0;
    st = cai_wire__init(&j->wire, &wp, err);
    if (st != CAI_OK)
        return st;

    /* "Expect:" stops curl from waiting for 100 Continue before bodies over 1 KiB. */
    st = add_header(j, "Content-Type", "application/json");
    if (st == CAI_OK)
        st = add_header(j, "Expect", "");
    if (st == CAI_OK && j->o.backend == CAI_BACKEND_ANTHROPIC) {
        st = add_header(j, "anthropic-version", j->anthropic_version);
        if (st == CAI_OK && j->api_key)
            st = add_header(j, "x-api-key", j->api_key);
    } else if (st == CAI_OK && j->api_key) {
        n = strlen(j->api_key) + 8;
        bearer = malloc(n);
        if (!bearer)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        snprintf(bearer, n, "Bearer %s", j->api_key);
        st = add_header(j, "Authorization", bearer);
        wipe(bearer);
        free(bearer);
    }
    if (st != CAI_OK)
        return cai_error__set(err, st, "out of memory");

    j->multi = curl_multi_init();
    if (!j->multi)
        return cai_error__set(err, CAI_ENOMEM, "curl_multi_init failed");
    curl_multi_setopt(j->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)j->o.concurrency);
    curl_multi_setopt(j->multi, CURLMOPT_MAXCONNECTS, (long)j->o.concurrency);
    curl_multi_setopt(j->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);

    j->nslots = 2 * (size_t)j->o.concurrency; /* in flight, and as many built to follow */
    j->slots = calloc(j->nslots, sizeof(*j->slots));
    j->free_list = calloc(j->nslots, sizeof(*j->free_list));
    j->ready = calloc(j->nslots, sizeof(*j->ready));
    j->reaped = calloc(j->nslots, sizeof(*j->reaped));
    if (!j->slots || !j->free_list || !j->ready || !j->reaped)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (i = 0; i < j->nslots; i++) {
        j->slots[i].j = j;
        j->free_list[i] = j->nslots - 1 - i; /* slot 0 is handed out first */
    }
    j->nfree = j->nslots;
    return cai_sha256_create(&j->sha, err);
}

cai_status cai_judge_create(cai_judge **out,
                            const cai_judge_opts *opts,
                            const cai_constitution *c,
                            cai_error *err)
{
    cai_judge *j;
    cai_judge_opts defaults = CAI_JUDGE_OPTS_INIT;
    cai_status st;
    double now = mono_now();

    cai_error__clear(err);
    *out = NULL;
    st = cai_judge_opts__check(opts, err);
    if (st != CAI_OK)
        return st;
    j = calloc(1, sizeof(*j));
    if (!j)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    j->cache_fd = -1;
    j->c = c;
    st = resolve_opts(j, opts ? opts : &defaults, err);
    if (st != CAI_OK)
        goto fail;
    j->rng = j->o.rng_seed ^ 0x6a09e667f3bcc908ULL;
    j->h.limit = j->o.concurrency < LIMIT_START ? j->o.concurrency : LIMIT_START;
    cai_bucket__init(&j->rpm, j->o.rpm, now);
    cai_bucket__init(&j->tpm, j->o.tpm, now);
    if (j->o.backend != CAI_BACKEND_BUILTIN) {
        st = setup_http(j, err);
        if (st != CAI_OK)
            goto fail;
        if (j->cache_dir) {
            st = cache_open(j, err);
            if (st != CAI_OK)
                goto fail;
        }
    }
    *out = j;
    return CAI_OK;
fail:
    cai_judge_free(j);
    return st;
}

static CURL *slot_easy(cai_judge *j, slot *s)
{
    CURL *e;

    if (s->easy)
        return s->easy;
    e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, j->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cai/" CAI_VERSION);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(j->o.timeout_s * 1000.0 + 0.5));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(fmin(j->o.timeout_s, 10.0) * 1000.0 + 0.5));
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (j->ca_bundle)
        curl_easy_setopt(e, CURLOPT_CAINFO, j->ca_bundle);
    s->easy = e;
    return e;
}

void cai_judge_free(cai_judge *j)
{
    size_t i;
    struct curl_slist *l;

    if (!j)
        return;
    for (i = 0; j->slots && i < j->nslots; i++) {
        slot *s = &j->slots[i];

        if (s->easy) {
            if (s->state == SLOT_ACTIVE)
                curl_multi_remove_handle(j->multi, s->easy);
            curl_easy_cleanup(s->easy);
        }
        cai_wire__buf_dispose(&s->body);
        cai_wire__buf_dispose(&s->resp);
    }
    if (j->multi)
        curl_multi_cleanup(j->multi);
    for (l = j->headers; l; l = l->next)
        wipe(l->data); /* the key is in here */
    curl_slist_free_all(j->headers);
    free(j->slots);
    free(j->free_list);
    free(j->ready);
    free(j->reaped);
    cai_wire__dispose(&j->wire);
    cai_sha256_free(j->sha);
    free(j->cache);
    if (j->cache_fd >= 0)
        close(j->cache_fd);
    wipe(j->api_key);
    free(j->api_key);
    free(j->base_url);
    free(j->model);
    free(j->ca_bundle);
    free(j->anthropic_version);
    free(j->cache_dir);
    free(j->url);
    free(j->url_shown);
    free(j->cap_request);
    free(j->cap_reply);
    free(j);
}

void cai_judge_stop(cai_judge *j)
{
    /* Only signal handlers and the caller's thread write it, never the loop: a plain store. */
    if (j)
        j->stop = j->stop ? 2 : 1;
}

void cai_judge_get_opts(const cai_judge *j, cai_judge_opts *out)
{
    *out = j->o;
    out->api_key = NULL;
}

void cai_judge_get_stats(const cai_judge *j, cai_judge_stats *out)
{
    *out = j->stats;
    out->in_flight = j->active;
    out->limit = (unsigned)j->h.limit;
}

void cai_judge_set_budget(cai_judge *j,
                          double price_in_per_mtok,
                          double price_out_per_mtok,
                          double max_cost,
                          double spent)
{
    if (!j)
        return;
    j->h.price_in = price_in_per_mtok > 0 ? price_in_per_mtok : 0;
    j->h.price_out = price_out_per_mtok > 0 ? price_out_per_mtok : 0;
    j->h.max_cost = max_cost > 0 ? max_cost : 0;
    j->h.spent_before = spent > 0 ? spent : 0;
}

double cai_judge_spent(const cai_judge *j)
{
    return j ? j->h.spent : 0;
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

/* ---------------------------------------------------------------- interpreting replies */

/* Fills res from a parsed reply; returns -1 when it holds no verdict (or no score). */
static int interpret(const cai_judge *j, const cai_wire_reply *r, cai_judgment *res)
{
    double p, score;
    cai_verdict v;

    res->p_first = NAN;
    res->score = NAN;
    res->verdict = CAI_VERDICT_NONE;
    res->from_logprobs = 0;
    switch (j->o.mode) {
    case CAI_MODE_RATING:
        if (r->n_top > 0 && cai_verdict_rating_from_logprobs(r->top, r->n_top, &score) == 0)
            res->from_logprobs = 1;
        else if (!r->text || cai_verdict_parse_rating(r->text, r->text_len, &score) != 0)
            return -1;
        res->score = score;
        return 0;
    case CAI_MODE_COT:
        v = r->text ? cai_verdict_parse(r->text, r->text_len) : CAI_VERDICT_NONE;
        if (v == CAI_VERDICT_NONE)
            return -1;
        res->verdict = v;
        res->p_first = cot_p(j, v);
        return 0;
    case CAI_MODE_CHOICE:
        if (r->n_top > 0 && cai_verdict_from_logprobs(r->top, r->n_top, &p) == 0) {
            res->p_first = p;
            res->from_logprobs = 1;
            res->verdict = p > 0.5 ? CAI_VERDICT_A : p < 0.5 ? CAI_VERDICT_B : CAI_VERDICT_TIE;
            return 0;
        }
        v = r->text ? cai_verdict_parse(r->text, r->text_len) : CAI_VERDICT_NONE;
        if (v == CAI_VERDICT_NONE)
            return -1;
        res->verdict = v;
        res->p_first = v == CAI_VERDICT_A ? 1.0 : v == CAI_VERDICT_B ? 0.0 : 0.5;
        return 0;
    }
    return -1;
}

/* ---------------------------------------------------------------- the engine */

static void slot_release(cai_judge *j, slot *s)
{
    if (s->state == SLOT_DELAYED)
        j->delayed--;
    else if (s->state == SLOT_WAITING)
        j->waiting--;
    s->state = SLOT_FREE;
    j->free_list[j->nfree++] = (size_t)(s - j->slots);
}

/* Asks the loop to run again by monotonic time t at the latest. */
static void wake_by(cai_judge *j, double t)
{
    if (t < j->wake_at)
        j->wake_at = t;
}

static void set_delayed(cai_judge *j, slot *s, double due)
{
    if (s->state == SLOT_WAITING)
        j->waiting--;
    if (s->state != SLOT_DELAYED)
        j->delayed++;
    s->state = SLOT_DELAYED;
    s->due = due;
    wake_by(j, due);
}

static void capture_reply(cai_judge *j, slot *s)
{
    if (!j->capture)
        return;
    free(j->cap_reply);
    j->cap_reply = cai_wire__redact(s->resp.data ? s->resp.data : "", s->resp.len, j->api_key);
}

/* Reports a final failure; identical bodies waiting on this one go out on their own. */
static cai_status fail_slot(cai_judge *j, slot *s, cai_status code, const char *msg)
{
    size_t i, idx = (size_t)(s - j->slots);
    cai_status st;

    j->stats.failed++;
    for (i = 0; i < j->nslots; i++)
        if (j->slots[i].state == SLOT_WAITING && j->slots[i].leader == idx)
            set_delayed(j, &j->slots[i], 0);
    st = j->done(&s->task, code, NULL, msg, j->payload);
    slot_release(j, s);
    return st;
}

static cai_status succeed_slot(cai_judge *j, slot *s, const cai_judgment *res)
{
    size_t i, idx = (size_t)(s - j->slots);
    cai_status st = CAI_OK;
    cai_judgment copy;

    j->stats.succeeded++;
    st = j->done(&s->task, CAI_OK, res, NULL, j->payload);
    copy = *res;
    copy.cached = 1;
    copy.attempts = 0;
    for (i = 0; i < j->nslots && st == CAI_OK; i++) {
        slot *w = &j->slots[i];

        if (w->state != SLOT_WAITING || w->leader != idx)
            continue;
        j->stats.succeeded++;
        j->stats.cache_hits++;
        st = j->done(&w->task, CAI_OK, &copy, NULL, j->payload);
        slot_release(j, w);
    }
    slot_release(j, s);
    return st;
}

/* Renders s's body again with the current wire (after a switch to reasoning parameters). */
static cai_status rebuild_body(cai_judge *j, slot *s, cai_error *e)
{
    cai_prompt pr;
    cai_status st;

    memset(&pr, 0, sizeof(pr));
    st = cai_prompt_build(&pr, j->c, &s->task.cmp, j->o.mode, e);
    if (st == CAI_OK)
        st = cai_wire__build(&j->wire, &s->body, &pr, (long)s->task.sample, e);
    cai_prompt_dispose(&pr);
    if (st == CAI_OK)
        s->wire_gen = j->wire_gen;
    return st;
}

/* ---------------------------------------------------------------- the health gate */
/*
 * Three rules decide from the endpoint's health whether a request may go out now:
 * - The breaker. BREAKER_AFTER consecutive connection failures (or as many as the concurrency
 *   when that is smaller: every request in flight failed) open it. While it is open, one probe
 *   at a time goes out, with a doubling wait; the first HTTP reply of any kind closes it.
 *   Requests that fail while it is open wait for it without spending a retry. Open for
 *   down_timeout_s, the run ends (CAI_ETRANSPORT). Before the first 2xx reply, a refused
 *   connection or HTTP 401/403/404 ends the run at once: the judge is not there, or will not
 *   take these requests, and retrying cannot change that.
 * - The limiter. Requests in flight are capped at `limit`, which starts at LIMIT_START and grows
 *   by one per healthy reply (within LIMIT_HEALTHY of the timeout) up to the concurrency. A
 *   slower reply sets it by Little's law to what the server got through (requests in flight
 *   when it was sent / its latency) times LIMIT_TARGET of the timeout; a timeout halves it.
 *   One cut per round trip: replies to requests sent before the last cut do not cut again.
 *   Requests that would wait in the server's queue past the timeout are then not sent, instead
 *   of being sent, timed out and sent again.
 * - The budget (cai_judge_set_budget): the estimated cost of what was answered and of what is
 *   in flight, plus the next request's, must stay within the cap.
 */

static int halting(const cai_judge *j)
{
    return j->stop || j->fatal != CAI_OK || j->h.over_budget;
}

static double cost_of(const health *h, double prompt_tokens, double completion_tokens)
{
    return (prompt_tokens * h->price_in + completion_tokens * h->price_out) / 1e6;
}

/* The estimated cost of sending s once: its body's tokens (4 bytes each) and max_tokens. */
static double est_cost_of(const cai_judge *j, const slot *s)
{
    return cost_of(&j->h, (double)(s->body.len / 4), (double)j->o.max_tokens);
}

/* Ends the run for a reason of the judge's health; the first reason stays. */
static void go_fatal(cai_judge *j, cai_status code, const char *msg, const char *hint)
{
    if (j->fatal != CAI_OK)
        return;
    j->fatal = code;
    snprintf(j->fatal_msg, sizeof(j->fatal_msg), "%s%s", msg, hint);
}

/* Whether s may go out now. While the breaker holds it, the loop is woken for the next probe. */
static int may_send(cai_judge *j, const slot *s, double now)
{
    health *h = &j->h;

    if (halting(j) || j->active >= (unsigned)h->limit)
        return 0;
    if (h->open && (h->probe_out || now < h->probe_at)) {
        if (!h->probe_out)
            wake_by(j, h->probe_at);
        return 0;
    }
    if (h->max_cost > 0 &&
        h->spent_before + h->spent + h->out_cost + est_cost_of(j, s) > h->max_cost) {
        h->over_budget = 1;
        return 0;
    }
    return 1;
}

/* s has just gone out (launch counted it in active). */
static void health_sent(cai_judge *j, slot *s, double now)
{
    health *h = &j->h;

    s->sent_at = now;
    s->n_at_send = j->active;
    s->est_cost = est_cost_of(j, s);
    h->out_cost += s->est_cost;
    s->probe = h->open;
    if (s->probe) {
        h->probe_out = 1;
        j->stats.probes++;
    }
}

/* s is back from the network, answered or not, and about to be handled: from here its cost is
 * either in `spent` (a reply) or nowhere (no reply). */
static void health_back(cai_judge *j, slot *s)
{
    health *h = &j->h;

    h->out_cost = fmax(0, h->out_cost - s->est_cost);
    s->est_cost = 0;
    if (s->probe)
        h->probe_out = 0;
}

/* An HTTP reply came: the judge is there. The limiter learns from its latency. */
static void health_reply(cai_judge *j, const slot *s, long code, double now)
{
    health *h = &j->h;
    double rtt = now - s->sent_at, target;

    j->stats.answered++;
    h->conn_fails = 0;
    h->open = 0;
    h->probe_n = 0;
    if (code >= 200 && code < 300)
        h->ok_seen = 1;
    if (rtt <= LIMIT_HEALTHY * j->o.timeout_s) {
        if (h->limit < j->o.concurrency)
            h->limit += 1;
        return;
    }
    if (s->sent_at < h->cut_at)
        return;
    target = (double)s->n_at_send / rtt * LIMIT_TARGET * j->o.timeout_s;
    if (target < h->limit) {
        h->limit = fmax(1, floor(target));
        h->cut_at = now;
    }
}

static void health_timeout(cai_judge *j, const slot *s, double now)
{
    health *h = &j->h;

    j->stats.timeouts++;
    if (s->sent_at < h->cut_at)
        return;
    h->limit = fmax(1, floor(h->limit / 2));
    h->cut_at = now;
}

/* Whether a transfer failed for want of a connection (refused, unresolvable, dropped). */
static int conn_failure(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
           rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR ||
           rc == CURLE_RECV_ERROR;
}

/* Whether it failed before any connection existed: nobody is there. */
static int refused(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
           rc == CURLE_COULDNT_RESOLVE_PROXY;
}

/* Ends the run when the breaker has been open too long; otherwise asks to be woken then. */
static void breaker_deadline(cai_judge *j, double now)
{
    health *h = &j->h;
    double end = h->open_since + j->o.down_timeout_s;
    char msg[512];

    if (!h->open)
        return;
    if (now < end) {
        wake_by(j, end);
        return;
    }
    snprintf(msg, sizeof(msg),
             "judge: no connection for %.1f s (%llu probes; %llu replies before it went away): "
             "%.300s",
             now - h->open_since, (unsigned long long)j->stats.probes,
             (unsigned long long)j->stats.answered, h->last_err);
    go_fatal(j, CAI_ETRANSPORT, msg, "");
}

static cai_status launch(cai_judge *j, slot *s, double now, cai_error *err)
{
    CURL *e = slot_easy(j, s);
    CURLMcode mc;

    if (s->wire_gen != j->wire_gen) {
        cai_error ignored = {0};

        /* Rendered before the switch: the old body would only be refused. On failure the old
         * body goes out and its 400 brings it back here. */
        (void)rebuild_body(j, s, &ignored);
    }
    if (!e) {
        j->engine_err = 1;
        return cai_error__set(err, CAI_ENOMEM, "curl_easy_init failed");
    }
    if (s->state == SLOT_DELAYED)
        j->delayed--;
    s->state = SLOT_ACTIVE;
    s->resp.len = 0;
    s->too_big = 0;
    s->errbuf[0] = '\0';
    cai_wire__hdrs_reset(&s->hdrs);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body.data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body.len);
    mc = curl_multi_add_handle(j->multi, e);
    if (mc != CURLM_OK) {
        slot_release(j, s);
        j->engine_err = 1;
        return cai_error__set(err, CAI_ETRANSPORT, "curl: %s", curl_multi_strerror(mc));
    }
    j->active++;
    s->attempts++;
    j->stats.requests++;
    health_sent(j, s, now);
    cai_bucket__take(&j->rpm, 1, now);
    cai_bucket__take(&j->tpm, s->est_tokens, now);
    if (j->capture && !j->cap_request) {
        j->cap_request = strdup(s->body.data);
        if (!j->cap_request)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    return CAI_OK;
}

/* Seconds until both buckets allow s to go (0 = now). */
static double bucket_wait(cai_judge *j, const slot *s, double now)
{
    double a = cai_bucket__wait(&j->rpm, 1, now), b = cai_bucket__wait(&j->tpm, s->est_tokens, now);

    return a > b ? a : b;
}

static void key_of(cai_judge *j, slot *s)
{
    cai_sha256_update(j->sha, s->body.data, s->body.len);
    if (j->o.temperature > 0) {
        /* Samples must differ even where the body cannot say so (anthropic has no seed). */
        char tag[32];
        int n = snprintf(tag, sizeof(tag), "\n#sample=%u", s->task.sample);

        cai_sha256_update(j->sha, tag, (size_t)n);
    }
    cai_sha256_final(j->sha, s->sha);
    hex_u64(s->sha, &s->k1);
    hex_u64(s->sha + 16, &s->k2);
}

/* Takes a freshly pulled task into slot s: render, consult the caches, then queue or wait. */
static cai_status admit(cai_judge *j, slot *s)
{
    cai_prompt pr;
    cai_error e = {0};
    cai_status st;
    centry *hit;
    size_t i;

    s->attempts = s->retries = s->parse_fail = 0;
    s->prompt_tokens = s->completion_tokens = 0;
    memset(&pr, 0, sizeof(pr));
    st = cai_prompt_build(&pr, j->c, &s->task.cmp, j->o.mode, &e);
    if (st == CAI_OK)
        st = cai_wire__build(&j->wire, &s->body, &pr, (long)s->task.sample, &e);
    s->prompt_est = st == CAI_OK ? prompt_estimate(j, &pr) : 0;
    s->wire_gen = j->wire_gen;
    cai_prompt_dispose(&pr);
    if (st != CAI_OK) {
        s->state = SLOT_ACTIVE; /* counted nowhere; fail_slot releases it */
        return fail_slot(j, s, st, e.msg);
    }
    key_of(j, s);
    hit = cache_find(j, s->k1, s->k2);
    if (hit) {
        cai_judgment res;

        result_from_entry(j, hit, &res);
        j->stats.cache_hits++;
        j->stats.succeeded++;
        if (j->capture && !j->cap_request)
            j->cap_request = strdup(s->body.data);
        s->state = SLOT_ACTIVE;
        st = j->done(&s->task, CAI_OK, &res, NULL, j->payload);
        slot_release(j, s);
        return st;
    }
    s->est_tokens = (unsigned)(s->body.len / 4) + j->o.max_tokens;
    for (i = 0; i < j->nslots; i++) {
        slot *o = &j->slots[i];

        if (o != s &&
            (o->state == SLOT_READY || o->state == SLOT_ACTIVE || o->state == SLOT_DELAYED) &&
            o->k1 == s->k1 && o->k2 == s->k2) {
            s->state = SLOT_WAITING;
            s->leader = i;
            j->waiting++;
            return CAI_OK;
        }
    }
    s->state = SLOT_READY;
    j->ready[(j->ready_head + j->nready) % j->nslots] = (size_t)(s - j->slots);
    j->nready++;
    return CAI_OK;
}

/* Sends READY requests, oldest first, while there is room in flight and the pool may send. */
static cai_status launch_ready(cai_judge *j, double now, cai_error *err)
{
    cai_status st = CAI_OK;

    while (st == CAI_OK && j->nready > 0) {
        slot *s = &j->slots[j->ready[j->ready_head]];
        double w;

        if (!may_send(j, s, now))
            break;
        if (now < j->not_before) {
            wake_by(j, j->not_before);
            break;
        }
        w = bucket_wait(j, s, now);
        if (w > 0) {
            wake_by(j, now + w);
            break;
        }
        j->ready_head = (j->ready_head + 1) % j->nslots;
        j->nready--;
        st = launch(j, s, now, err);
    }
    return st;
}

/*
 * Due retries first, then READY requests, up to the concurrency; then new tasks are pulled and
 * built into the free slots, so that the next requests are ready before capacity frees up.
 * Sending honours the pool pause and the buckets; building does not need to.
 */
static cai_status fill_slots(cai_judge *j, cai_error *err)
{
    double now = mono_now();
    cai_status st = CAI_OK;
    int paused;
    size_t i;

    j->wake_at = now + 3600;
    breaker_deadline(j, now);
    if (halting(j))
        return CAI_OK;
    paused = now < j->not_before;
    if (paused)
        wake_by(j, j->not_before);
    if (j->delayed > 0 && !paused) {
        for (i = 0; i < j->nslots && st == CAI_OK && j->active < j->o.concurrency; i++) {
            slot *s = &j->slots[i];
            double w;

            if (s->state != SLOT_DELAYED)
                continue;
            if (s->due > now) {
                wake_by(j, s->due);
                continue;
            }
            if (!may_send(j, s, now))
                break;
            w = bucket_wait(j, s, now);
            if (w > 0) {
                set_delayed(j, s, now + w);
                continue;
            }
            st = launch(j, s, now, err);
        }
    }
    if (st == CAI_OK && !paused)
        st = launch_ready(j, now, err);
    while (st == CAI_OK && j->nfree > 0 && !j->source_done && !j->pull_blocked && !halting(j)) {
        slot *s = &j->slots[j->free_list[j->nfree - 1]];
        int r = j->pull(&s->task, j->payload);

        if (r < 0) {
            j->source_done = 1;
            break;
        }
        if (r == 0) {
            j->pull_blocked = 1;
            break;
        }
        j->nfree--;
        st = admit(j, s);
        if (st == CAI_OK && !paused)
            st = launch_ready(j, now, err);
    }
    return st;
}

static void redacted_msg(cai_judge *j, slot *s, long code, char *out, size_t cap)
{
    char *m = cai_wire__error_message(s->resp.data ? s->resp.data : "", s->resp.len, j->api_key);

    snprintf(out, cap, "%s: HTTP %ld: %s", j->url_shown, code, m ? m : "out of memory");
    free(m);
}

/* Schedules a re-send or reports the failure for good. */
static cai_status retry_or_fail(cai_judge *j,
                                slot *s,
                                cai_status code,
                                const char *msg,
                                int retryable,
                                double retry_after,
                                double now)
{
    double delay, cap = fmax(j->o.backoff_max_s, MAX_SERVER_WAIT_S);

    if (halting(j)) {
        /* Unfinished: resume will ask again. Nothing is reported. */
        s->state = SLOT_FREE;
        j->free_list[j->nfree++] = (size_t)(s - j->slots);
        return CAI_OK;
    }
    if (!retryable || s->retries >= j->o.max_retries)
        return fail_slot(j, s, code, msg);
    s->retries++;
    j->stats.retries++;
    delay = retry_after >= 0
                ? fmin(retry_after, cap)
                : cai_backoff__delay(&j->rng, s->retries, j->o.backoff_base_s, j->o.backoff_max_s);
    s->state = SLOT_FREE;
    set_delayed(j, s, now + delay);
    return CAI_OK;
}

static double retry_after_of(const slot *s)
{
    if (s->hdrs.retry_after_s >= 0)
        return s->hdrs.retry_after_s;
    if (s->hdrs.retry_after_date[0]) {
        time_t t = curl_getdate(s->hdrs.retry_after_date, NULL);

        if (t != (time_t)-1)
            return fmax(0, (double)t - wall_now());
    }
    return -1;
}

static cai_status on_success_reply(cai_judge *j, slot *s, double now)
{
    cai_wire_reply r;
    cai_error e = {0};
    cai_judgment res;
    cai_status st;
    char msg[512];

    st = cai_wire__parse_reply(&r, j->o.backend, s->resp.data ? s->resp.data : "", s->resp.len, &e);
    if (st != CAI_OK) {
        snprintf(msg, sizeof(msg), "%.200s: %.300s", j->url_shown, e.msg);
        return retry_or_fail(j, s, st, msg, 1, -1, now);
    }
    if (r.has_usage) {
        j->stats.prompt_tokens += r.prompt_tokens;
        j->stats.completion_tokens += r.completion_tokens;
        s->prompt_tokens += r.prompt_tokens;
        s->completion_tokens += r.completion_tokens;
        cai_bucket__adjust(&j->tpm,
                           (double)s->est_tokens - (double)r.prompt_tokens - r.completion_tokens);
        j->h.spent += cost_of(&j->h, r.prompt_tokens, r.completion_tokens);
    } else {
        j->h.spent += est_cost_of(j, s); /* no usage: the estimate is all there is */
    }
    memset(&res, 0, sizeof(res));
    if (interpret(j, &r, &res) != 0) {
        char *text = cai_wire__redact(r.text ? r.text : "", r.text ? r.text_len : 0, j->api_key);

        j->stats.parse_failures++;
        snprintf(msg, sizeof(msg), "no verdict in the judge's reply after %u attempts: \"%.120s\"",
                 s->parse_fail + 1, text ? text : "");
        free(text);
        cai_wire__reply_dispose(&r);
        if (halting(j)) {
            s->state = SLOT_FREE;
            j->free_list[j->nfree++] = (size_t)(s - j->slots);
            return CAI_OK;
        }
        if (s->parse_fail >= j->o.parse_retries)
            return fail_slot(j, s, CAI_EVERDICT, msg);
        s->parse_fail++;
        j->stats.retries++;
        s->state = SLOT_FREE;
        set_delayed(j, s, now);
        return CAI_OK;
    }
    res.source = source_of(j, res.from_logprobs);
    res.reasoning_tokens = r.reasoning_tokens;
    res.prompt_tokens_estimate = s->prompt_est;
    res.prompt_tokens_reported = r.has_prompt_tokens ? r.prompt_tokens : 0;
    res.truncated = r.has_prompt_tokens && s->prompt_est >= CAI_TRUNCATION_MIN_TOKENS &&
                    (double)r.prompt_tokens < CAI_TRUNCATION_RATIO * (double)s->prompt_est;
    j->stats.truncated += (uint64_t)res.truncated;
    j->stats.reasoning_tokens += r.reasoning_tokens;
    j->stats.cached_tokens += r.cached_tokens;
    cai_wire__reply_dispose(&r);
    res.prompt_tokens = s->prompt_tokens;
    res.completion_tokens = s->completion_tokens;
    res.attempts = s->attempts;
    res.cached = 0;
    {
        centry ce;

        memset(&ce, 0, sizeof(ce));
        ce.k1 = s->k1;
        ce.k2 = s->k2;
        ce.value = j->o.mode == CAI_MODE_RATING ? res.score : res.p_first;
        ce.verdict = (uint8_t)res.verdict;
        ce.from_logprobs = (uint8_t)res.from_logprobs;
        ce.prompt_tokens = res.prompt_tokens;
        ce.completion_tokens = res.completion_tokens;
        cache_put(j, &ce);
        cache_append(j, s->sha, &ce);
    }
    return succeed_slot(j, s, &res);
}

/*
 * The server said the model takes max_completion_tokens (a reasoning model whose name cai did
 * not recognise): every later body is rendered with a reasoning model's parameters, and this
 * one is rendered again and sent at once (once per slot; a second 400 is a failure as usual).
 * CAI_ITEROVER (not a failure here): not applicable, handle the 400 as an error.
 */
static cai_status to_reasoning_params(cai_judge *j, slot *s, double now)
{
    cai_wire_params wp = j->wire.p;
    cai_wire nw;
    cai_error e = {0};
    cai_status st;

    if (!j->wire.p.reasoning) {
        wp.reasoning = 1;
        wp.top_logprobs = 0;
        if (cai_wire__init(&nw, &wp, &e) != CAI_OK)
            return CAI_ITEROVER;
        cai_wire__dispose(&j->wire);
        j->wire = nw;
        j->wire_gen++;
    } else if (s->wire_gen == j->wire_gen)
        return CAI_ITEROVER;
    st = rebuild_body(j, s, &e);
    if (st != CAI_OK)
        return fail_slot(j, s, st, e.msg);
    j->stats.retries++;
    s->state = SLOT_FREE;
    set_delayed(j, s, now);
    return CAI_OK;
}

/*
 * A connection failure: before any 2xx reply a refusal ends the run; otherwise it feeds the
 * breaker, and while the breaker is open the request waits for it without spending a retry.
 */
static cai_status on_conn_failure(cai_judge *j, slot *s, CURLcode rc, const char *msg, double now)
{
    health *h = &j->h;
    int was_probe = s->probe;

    j->stats.conn_failures++;
    s->probe = 0;
    snprintf(h->last_err, sizeof(h->last_err), "%s", msg);
    if (!h->ok_seen && refused(rc)) {
        go_fatal(j, CAI_ETRANSPORT, msg,
                 " (before any reply: is the judge running, and is --base-url right?)");
        return CAI_OK; /* the loop ends; the slot is released with the others */
    }
    h->conn_fails++;
    if (was_probe) {
        double wait = fmax(j->o.backoff_base_s, 0.001) * ldexp(1.0, (int)fmin(h->probe_n, 20));

        h->probe_n++;
        h->probe_at = now + fmin(wait, PROBE_MAX_S);
    } else if (!h->open && h->conn_fails >= (j->o.concurrency < BREAKER_AFTER ? j->o.concurrency
                                                                              : BREAKER_AFTER)) {
        h->open = 1;
        h->open_since = now;
        h->probe_n = 0;
        h->probe_at = now + fmin(fmax(j->o.backoff_base_s, 0.001), PROBE_MAX_S);
    }
    if (!h->open)
        return retry_or_fail(j, s, CAI_ETRANSPORT, msg, 1, -1, now);
    if (halting(j)) {
        s->state = SLOT_FREE;
        j->free_list[j->nfree++] = (size_t)(s - j->slots);
        return CAI_OK;
    }
    s->state = SLOT_FREE;
    set_delayed(j, s, now); /* goes out when the breaker closes (or as the probe) */
    return CAI_OK;
}

/* Handles a REAPED slot: success, a retry, or a failure for good. */
static cai_status finish(cai_judge *j, slot *s)
{
    CURLcode rc = s->rc;
    long code = s->code;
    double now = mono_now(), pause, ra;
    char msg[512];
    int retryable;
    cai_status st;

    j->pull_blocked = 0; /* a completion may have made new work ready */
    health_back(j, s);
    capture_reply(j, s);
    pause = cai_wire__hdrs_pause(&s->hdrs);
    if (pause > 0)
        j->not_before = fmax(j->not_before, now + fmin(pause, MAX_SERVER_WAIT_S));
    if (s->too_big) {
        s->probe = 0;
        snprintf(msg, sizeof(msg), "%s: reply larger than %u bytes", j->url_shown, MAX_REPLY_BYTES);
        return fail_slot(j, s, CAI_ELIMIT, msg);
    }
    if (rc != CURLE_OK) {
        st = rc == CURLE_OPERATION_TIMEDOUT ? CAI_ETIMEOUT : CAI_ETRANSPORT;
        snprintf(msg, sizeof(msg), "%s: %s", j->url_shown,
                 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
        if (conn_failure(rc) && code == 0)
            return on_conn_failure(j, s, rc, msg, now);
        s->probe = 0;
        if (rc == CURLE_OPERATION_TIMEDOUT)
            health_timeout(j, s, now);
        return retry_or_fail(j, s, st, msg, 1, -1, now);
    }
    s->probe = 0;
    health_reply(j, s, code, now);
    if (!j->h.ok_seen && (code == 401 || code == 403 || code == 404)) {
        /* Not transient: a wrong key, a forbidden model, a wrong URL or an unknown model. */
        redacted_msg(j, s, code, msg, sizeof(msg));
        go_fatal(j, CAI_EHTTP, msg,
                 code == 404 ? " (check --base-url and --model)" : " (check the API key)");
        return CAI_OK;
    }
    if (code >= 200 && code < 300)
        return on_success_reply(j, s, now);
    if (code == 400 && j->o.backend == CAI_BACKEND_OPENAI &&
        (s->wire_gen != j->wire_gen ||
         (!j->wire.p.reasoning &&
          cai_wire__wants_reasoning_params(s->resp.data ? s->resp.data : "", s->resp.len)))) {
        st = to_reasoning_params(j, s, now);
        if (st != CAI_ITEROVER)
            return st;
    }
    retryable = code == 408 || code == 409 || code == 429 || code >= 500;
    if (s->hdrs.should_retry >= 0)
        retryable = s->hdrs.should_retry;
    ra = retry_after_of(s);
    if (code == 429) {
        /* The whole pool waits, not just this request: the limit is the account's. */
        double wait = ra >= 0 ? ra
                              : cai_backoff__delay(&j->rng, s->retries + 1, j->o.backoff_base_s,
                                                   j->o.backoff_max_s);

        j->not_before = fmax(j->not_before, now + fmin(wait, MAX_SERVER_WAIT_S));
        if (ra < 0)
            ra = wait;
    }
    redacted_msg(j, s, code, msg, sizeof(msg));
    return retry_or_fail(j, s, code == 429 ? CAI_ERATELIMIT : CAI_EHTTP, msg, retryable, ra, now);
}

static int poll_timeout_ms(const cai_judge *j)
{
    double ms = (j->wake_at - mono_now()) * 1000.0;

    if (ms > POLL_MAX_MS)
        return POLL_MAX_MS;
    if (ms < 0)
        return 0;
    return (int)ceil(ms);
}

/* Removes everything from the multi handle and frees every slot (after stop or an error). */
static void drain_all(cai_judge *j)
{
    size_t i;

    for (i = 0; i < j->nslots; i++) {
        slot *s = &j->slots[i];

        if (s->state == SLOT_FREE)
            continue;
        if (s->state == SLOT_ACTIVE) {
            curl_multi_remove_handle(j->multi, s->easy);
            j->active--;
        }
        health_back(j, s);
        s->probe = 0;
        slot_release(j, s);
    }
    j->h.probe_out = 0;
    j->ready_head = j->nready = j->nreaped = 0;
}

/*
 * Moves the transfers and takes every finished one off the multi handle (REAPED), to be handled
 * by finish_reaped before anything more is sent. Every perform is followed by this: a finished
 * transfer whose message stayed in curl's queue would make no more socket activity, and the poll
 * would sleep on it.
 */
static cai_status perform(cai_judge *j, cai_error *err)
{
    int running, left;
    CURLMsg *m;
    CURLMcode mc = curl_multi_perform(j->multi, &running);

    if (mc != CURLM_OK) {
        j->engine_err = 1;
        return cai_error__set(err, CAI_ETRANSPORT, "curl: %s", curl_multi_strerror(mc));
    }
    while ((m = curl_multi_info_read(j->multi, &left)) != NULL) {
        char *priv = NULL;
        slot *s;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        s = (slot *)(void *)priv;
        s->rc = m->data.result; /* read first: *m dies in remove_handle */
        s->code = 0;
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->code);
        curl_multi_remove_handle(j->multi, m->easy_handle);
        s->state = SLOT_REAPED;
        j->active--;
        j->reaped[j->nreaped++] = (size_t)(s - j->slots);
    }
    return CAI_OK;
}

/*
 * Handles every REAPED reply in the order curl finished them, so each one reaches the done
 * callback (which journals it) before its capacity is offered to another request.
 */
static cai_status finish_reaped(cai_judge *j)
{
    cai_status st = CAI_OK;
    size_t i;

    for (i = 0; i < j->nreaped && st == CAI_OK; i++)
        st = finish(j, &j->slots[j->reaped[i]]);
    j->nreaped = 0;
    return st;
}

/* Moves the transfers, then handles what finished; *handled counts the replies handled. */
static cai_status perform_and_finish(cai_judge *j, size_t *handled, cai_error *err)
{
    cai_status st = perform(j, err);

    *handled += j->nreaped;
    if (st == CAI_OK)
        st = finish_reaped(j);
    return st;
}

static cai_status run_http(cai_judge *j, cai_error *err)
{
    cai_status st = CAI_OK;

    st = cai_judge_check(j, err);
    if (st != CAI_OK)
        return st;
    for (;;) {
        CURLMcode mc;
        size_t handled = 0;

        if (j->stop && !j->stop_seen) {
            j->stop_seen = 1;
            j->stop_deadline = mono_now() + j->o.stop_grace_s;
        }
        /* A second stop, the grace after the first, or the judge's health: in-flight requests
         * are abandoned. They were not reported, so nothing is lost: a resume asks again. */
        if (j->stop >= 2 || j->fatal != CAI_OK || (j->stop_seen && mono_now() >= j->stop_deadline))
            break;
        /* Every reply read so far has been handled: the freed capacity may be reused. */
        st = fill_slots(j, err);
        if (st != CAI_OK || j->fatal != CAI_OK)
            break;
        if (j->active == 0) {
            if (halting(j))
                break;
            if (j->delayed == 0 && j->waiting == 0 && j->nready == 0 &&
                (j->source_done || j->pull_blocked))
                break;
        }
        st = perform_and_finish(j, &handled, err);
        if (st == CAI_OK && j->fatal == CAI_OK && j->idle) {
            /* Requests are on the wire: do the caller's deferred work while they are out, then
             * send whatever it made ready before waiting. */
            st = j->idle(j->payload);
            if (st == CAI_OK && j->pull_blocked) { /* the idle work may have made room */
                j->pull_blocked = 0;
                st = fill_slots(j, err);
                if (st == CAI_OK && j->fatal == CAI_OK)
                    st = perform_and_finish(j, &handled, err);
            }
        }
        if (st != CAI_OK || j->fatal != CAI_OK)
            break;
        if (handled == 0) {
            mc = curl_multi_poll(j->multi, NULL, 0, poll_timeout_ms(j), NULL);
            if (mc != CURLM_OK) {
                j->engine_err = 1;
                st = cai_error__set(err, CAI_ETRANSPORT, "curl: %s", curl_multi_strerror(mc));
                break;
            }
            st = perform_and_finish(j, &handled, err);
        }
        if (st != CAI_OK || j->fatal != CAI_OK)
            break;
    }
    drain_all(j);
    if (st == CAI_OK && j->fatal != CAI_OK)
        st = cai_error__set(err, j->fatal, "%s", j->fatal_msg);
    else if (st == CAI_OK && j->stop)
        st = cai_error__set(err, CAI_EINTERRUPTED, "judge: stopped");
    else if (st == CAI_OK && j->h.over_budget)
        st = cai_error__set(err, CAI_EBUDGET,
                            "judge: stopped at the spending cap of $%.4f ($%.4f spent, $%.4f of "
                            "it before this run)",
                            j->h.max_cost, j->h.spent_before + j->h.spent, j->h.spent_before);
    else if (st != CAI_OK && !j->engine_err) /* curl's own failures already say what failed */
        st = cai_error__set(err, st, "judge: stopped by the completion callback (%s)",
                            cai_strerror(st));
    return st;
}

static cai_status run_builtin(cai_judge *j, cai_error *err)
{
    cai_judge_task t;
    cai_status st = CAI_OK;

    while (st == CAI_OK && !j->stop) {
        cai_judgment res;
        cai_error e = {0};
        cai_status js;
        int r = j->pull(&t, j->payload);

        if (r <= 0)
            break;
        memset(&res, 0, sizeof(res));
        js = cai_builtin__judge(&t.cmp, j->o.mode, &res, &e);
        if (js == CAI_OK) {
            res.attempts = res.attempts ? res.attempts : 1;
            res.source = CAI_SOURCE_TEXT;
            j->stats.succeeded++;
            st = j->done(&t, CAI_OK, &res, NULL, j->payload);
        } else {
            j->stats.failed++;
            st = j->done(&t, js, NULL, e.msg, j->payload);
        }
        /* No network to wait for: the idle work runs every so many judgments instead. */
        if (st == CAI_OK && j->idle && (j->stats.succeeded + j->stats.failed) % 64 == 0)
            st = j->idle(j->payload);
    }
    if (st == CAI_OK && j->stop)
        return cai_error__set(err, CAI_EINTERRUPTED, "judge: stopped");
    if (st != CAI_OK)
        return cai_error__set(err, st, "judge: stopped by the completion callback (%s)",
                              cai_strerror(st));
    return CAI_OK;
}

cai_status cai_judge_run(
    cai_judge *j, cai_judge_pull_fn pull, cai_judge_done_fn done, void *payload, cai_error *err)
{
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, j && pull && done);
    if (j->running)
        return cai_error__set(err, CAI_EINVAL, "judge: cai_judge_run is not reentrant");
    j->running = 1;
    j->pull = pull;
    j->done = done;
    j->payload = payload;
    j->source_done = 0;
    j->pull_blocked = 0;
    j->engine_err = 0;
    j->fatal = CAI_OK; /* the health of an earlier run does not end this one before it asks */
    j->stop_seen = 0;
    j->h.over_budget = 0;
    st = j->o.backend == CAI_BACKEND_BUILTIN ? run_builtin(j, err) : run_http(j, err);
    j->running = 0;
    return st;
}

void cai_judge_set_idle(cai_judge *j, cai_judge_idle_fn idle)
{
    if (j)
        j->idle = idle;
}

/* ---------------------------------------------------------------- one task */

typedef struct one_ctx {
    const cai_judge_task *t;
    int given;
    cai_status st;
    cai_judgment res;
    char msg[512];
} one_ctx;

static int one_pull(cai_judge_task *out, void *payload)
{
    one_ctx *c = payload;

    if (c->given)
        return -1;
    c->given = 1;
    *out = *c->t;
    return 1;
}

static cai_status one_done(const cai_judge_task *t,
                           cai_status st,
                           const cai_judgment *res,
                           const char *errmsg,
                           void *payload)
{
    one_ctx *c = payload;

    (void)t;
    c->st = st;
    if (res)
        c->res = *res;
    if (errmsg)
        snprintf(c->msg, sizeof(c->msg), "%s", errmsg);
    return CAI_OK;
}

cai_status cai_judge_one(cai_judge *j,
                         const cai_judge_task *t,
                         cai_judgment *res,
                         char **request_body,
                         char **reply_body,
                         cai_error *err)
{
    one_ctx c;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, j && t && res);
    if (request_body)
        *request_body = NULL;
    if (reply_body)
        *reply_body = NULL;
    memset(&c, 0, sizeof(c));
    c.t = t;
    c.st = CAI_EINTERRUPTED;
    snprintf(c.msg, sizeof(c.msg), "judge: stopped");
    j->capture = request_body || reply_body;
    st = cai_judge_run(j, one_pull, one_done, &c, err);
    j->capture = 0;
    if (request_body) {
        *request_body = j->cap_request;
        j->cap_request = NULL;
    }
    if (reply_body) {
        *reply_body = j->cap_reply;
        j->cap_reply = NULL;
    }
    free(j->cap_request);
    free(j->cap_reply);
    j->cap_request = j->cap_reply = NULL;
    if (st == CAI_OK && c.st != CAI_OK)
        st = cai_error__set(err, c.st, "%s", c.msg);
    if (st == CAI_OK)
        *res = c.res;
    return st;
}

cai_status
cai_judge_request_body(cai_judge *j, const cai_judge_task *t, char **body, cai_error *err)
{
    cai_prompt pr;
    cai_wbuf b = {0};
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, j && t && body);
    *body = NULL;
    if (j->o.backend == CAI_BACKEND_BUILTIN)
        return CAI_OK; /* nothing is sent */
    memset(&pr, 0, sizeof(pr));
    st = cai_prompt_build(&pr, j->c, &t->cmp, j->o.mode, err);
    if (st == CAI_OK)
        st = cai_wire__build(&j->wire, &b, &pr, (long)t->sample, err);
    cai_prompt_dispose(&pr);
    if (st != CAI_OK) {
        cai_wire__buf_dispose(&b);
        return st;
    }
    *body = b.data;
    return CAI_OK;
}

unsigned cai_judge_estimate_tokens(cai_judge *j, const cai_judge_task *t)
{
    cai_prompt pr;
    unsigned n;

    memset(&pr, 0, sizeof(pr));
    if (!j || !t || cai_prompt_build(&pr, j->c, &t->cmp, j->o.mode, NULL) != CAI_OK) {
        cai_prompt_dispose(&pr);
        return 0;
    }
    n = prompt_estimate(j, &pr);
    cai_prompt_dispose(&pr);
    return n;
}

/* ---------------------------------------------------------------- batch replies */

/* The provider's batch API answered a request this judge rendered: the same parse and the same
 * rules as on_success_reply, for one attempt (batch_int.h). The judge's own counters are left
 * alone: a run counts batch judgments when it replays them from its journal. */
cai_status cai_judge__batch_reply(cai_judge *j,
                                  unsigned prompt_est,
                                  const char *body,
                                  size_t len,
                                  cai_judgment *res,
                                  cai_error *err)
{
    cai_wire_reply r;
    cai_status st;

    memset(res, 0, sizeof(*res));
    st = cai_wire__parse_reply(&r, j->o.backend, body, len, err);
    if (st != CAI_OK)
        return st;
    if (r.has_usage) {
        res->prompt_tokens = r.prompt_tokens;
        res->completion_tokens = r.completion_tokens;
    }
    if (interpret(j, &r, res) != 0) {
        char *text = cai_wire__redact(r.text ? r.text : "", r.text ? r.text_len : 0, j->api_key);

        st = cai_error__set(err, CAI_EVERDICT, "no verdict in the judge's reply: \"%.120s\"",
                            text ? text : "");
        free(text);
        cai_wire__reply_dispose(&r);
        return st;
    }
    res->source = source_of(j, res->from_logprobs);
    res->reasoning_tokens = r.reasoning_tokens;
    res->prompt_tokens_estimate = prompt_est;
    res->prompt_tokens_reported = r.has_prompt_tokens ? r.prompt_tokens : 0;
    res->truncated = r.has_prompt_tokens && prompt_est >= CAI_TRUNCATION_MIN_TOKENS &&
                     (double)r.prompt_tokens < CAI_TRUNCATION_RATIO * (double)prompt_est;
    res->attempts = 1;
    cai_wire__reply_dispose(&r);
    return CAI_OK;
}
