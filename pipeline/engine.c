/* SPDX-License-Identifier: MIT */
/* The judge engine: one curl multi handle keeping N requests in flight with retries and pacing. */
/*
 * Invariants:
 * - The engine owns 2 x `concurrency` slots and keeps at most `concurrency` requests in flight.
 *   A slot holds one task from the moment it is added until its completion has been read:
 *   built and queued to go (READY), in flight (ACTIVE), answered but not yet handled (REAPED),
 *   waiting for a retry or a token bucket (DELAYED), waiting for an identical body already
 *   in flight (WAITING), or finished with its completion unread (DONE). Memory is therefore
 *   bounded by the concurrency, never by the input.
 * - Handle, then send (the durability promise): perform sends nothing while a completion is
 *   unread, so every reply read off the network has been read by the caller (who journals it)
 *   before its capacity goes to another request. A SIGKILL therefore loses at most the
 *   requests in flight, never a reply that was read. The next requests are built (READY) before
 * capacity frees up, so refilling costs only the send; a reply that asks the pool to wait (429,
 * rate-limit headers) is seen before anything more goes out.
 * - A retry re-sends the slot's body buffer unchanged.
 * - The API key lives only in the header list (and a copy used to scrub messages); replies and
 *   error messages are scrubbed of it before they leave the engine.
 * - No global state: RNG, buckets, the pool pause and the caches live in the handle.
 */
#include "judge_int.h"
#include "builtin_int.h"
#include "gen_wire_int.h"
#include "error_int.h"
#include "opts_int.h"
#include "ratelimit_int.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPLY_BYTES   (4u * 1024 * 1024) /* a judge's reply is tiny; more is an error */
#define MAX_SERVER_WAIT_S 60.0               /* cap on a pause or delay a server asks for */
#define POLL_MAX_MS       200                /* stop() is noticed within this */

/* ---------------------------------------------------------------- create / free */

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    slot *s = userdata;
    size_t n = size * nmemb;

    if (s->resp.len + n > MAX_REPLY_BYTES) {
        s->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (cai_buf__append(&s->resp, data, n) != 0)
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
        s->epoch = cai__wall_s();
    } else
        cai_wire__header(&s->hdrs, data, n, s->epoch);
    return n;
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
    cai_judge__wipe(line);
    free(line);
    if (!l)
        return CAI_ENOMEM;
    j->headers = l;
    return CAI_OK;
}

/*
 * The transport is libcurl's socket interface: its socket callback keeps j->socks (what each
 * connection waits for), its timer callback j->curl_due, and perform hands it only the sockets
 * a poll found ready (curl_multi_socket_action). curl_multi_perform would visit every transfer
 * on each call, with a poll(2) of its own for each one that is only waiting for its reply.
 */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    cai_judge *j = userp;
    short ev = what == CURL_POLL_IN      ? POLLIN
               : what == CURL_POLL_OUT   ? POLLOUT
               : what == CURL_POLL_INOUT ? (short)(POLLIN | POLLOUT)
                                         : 0;

    (void)e;
    (void)socketp;
    if (cai_sockset__want(&j->socks, (int)fd, ev) != CAI_OK) {
        j->socks_failed = 1;
        return -1;
    }
    return 0;
}

/* libcurl's timer callback: when it next wants to run without socket activity. */
static int on_timer(CURLM *m, long ms, void *userp)
{
    cai_judge *j = userp;

    (void)m;
    j->curl_due = ms < 0 ? -1.0 : cai__mono_s() + (double)ms / 1000.0;
    return 0;
}

static cai_status setup_http(cai_judge *j, cai_error *err)
{
    cai_wire_params wp;
    size_t n, i;
    cai_status st;
    char *bearer;

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
        cai_judge__wipe(bearer);
        free(bearer);
    }
    if (st != CAI_OK)
        return cai_error__set(err, st, "out of memory");

    j->multi = curl_multi_init();
    if (!j->multi)
        return cai_error__set(err, CAI_ENOMEM, "curl_multi_init failed");
    curl_multi_setopt(j->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)j->o.concurrency);
    curl_multi_setopt(j->multi, CURLMOPT_MAXCONNECTS, (long)(j->o.concurrency * j->pool.n));
    curl_multi_setopt(j->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(j->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(j->multi, CURLMOPT_SOCKETDATA, j);
    curl_multi_setopt(j->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(j->multi, CURLMOPT_TIMERDATA, j);

    /* Each endpoint's URL is parsed here once: given as text (CURLOPT_URL), libcurl would
     * parse it and print it back for every request, a fifth of its work on one. */
    if (!(j->uh = calloc(j->pool.n, sizeof(*j->uh))))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (i = 0; i < j->pool.n; i++) {
        CURLUcode uc;

        if (!(j->uh[i] = curl_url()))
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        uc = curl_url_set(j->uh[i], CURLUPART_URL, j->pool.m[i].url,
                          CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME);
        if (uc != CURLUE_OK)
            return cai_error__set(err, CAI_EINVAL, "judge: base URL %s: %s", j->pool.m[i].url_shown,
                                  curl_url_strerror(uc));
    }
    return cai_sha256_create(&j->sha, err);
}

static cai_status setup_slots(cai_judge *j, cai_error *err)
{
    size_t i;

    /* in flight on every endpoint, and as many built to follow */
    j->nslots = 2 * (size_t)j->o.concurrency * j->pool.n;
    j->slots = calloc(j->nslots, sizeof(*j->slots));
    j->free_list = calloc(j->nslots, sizeof(*j->free_list));
    j->ready = calloc(j->nslots, sizeof(*j->ready));
    j->reaped = calloc(j->nslots, sizeof(*j->reaped));
    j->compl = calloc(j->nslots, sizeof(*j->compl ));
    if (!j->slots || !j->free_list || !j->ready || !j->reaped || !j->compl )
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (i = 0; i < j->nslots; i++) {
        j->slots[i].j = j;
        j->free_list[i] = j->nslots - 1 - i; /* slot 0 is handed out first */
    }
    j->nfree = j->nslots;
    return CAI_OK;
}

cai_status cai_judge_create(cai_judge **out,
                            const cai_judge_opts *opts,
                            const cai_constitution *c,
                            cai_error *err)
{
    cai_judge *j;
    cai_judge_opts defaults = CAI_JUDGE_OPTS_INIT;
    cai_status st;
    double now = cai__mono_s();

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
    j->curl_due = -1.0;
    cai_sockset__init(&j->socks);
    st = cai_judge__resolve_opts(j, opts ? opts : &defaults, err);
    if (st != CAI_OK)
        goto fail;
    j->rng = j->o.rng_seed ^ 0x6a09e667f3bcc908ULL;
    {
        static const char *const paths[] = {"", "/chat/completions", "/completions",
                                            "/v1/messages"};
        cai_endpoint_cfg ec;
        const char *const *bases = (const char *const *)j->base_urls;
        size_t nb = j->o.n_base_urls;

        memset(&ec, 0, sizeof(ec));
        ec.concurrency = j->o.concurrency;
        ec.timeout_s = j->o.timeout_s;
        ec.backoff_base_s = j->o.backoff_base_s;
        ec.down_timeout_s = j->o.down_timeout_s;
        ec.rpm = j->o.rpm;
        ec.tpm = j->o.tpm;
        if (nb == 0 || j->o.backend == CAI_BACKEND_BUILTIN) {
            bases = (const char *const *)&j->base_url;
            nb = 1;
        }
        st = cai_pool__init(&j->pool, bases, nb, paths[j->o.backend], &ec, now);
        if (st == CAI_OK) {
            j->url = strdup(j->pool.m[0].url);
            j->url_shown = strdup(j->pool.m[0].url_shown);
            if (!j->url || !j->url_shown)
                st = CAI_ENOMEM;
        }
        if (st != CAI_OK) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto fail;
        }
    }
    st = setup_slots(j, err);
    if (st != CAI_OK)
        goto fail;
    if (j->o.backend != CAI_BACKEND_BUILTIN) {
        st = setup_http(j, err);
        if (st != CAI_OK)
            goto fail;
        if (j->cache_dir) {
            st = cai_judge__cache_open(j, err);
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
        cai_buf__dispose(&s->body);
        cai_buf__dispose(&s->resp);
        cai_judge__gen_clear(&s->gch, &s->gn, &s->gcap);
    }
    cai_judge__gen_clear(&j->cur_gch, &j->cur_gn, NULL);
    if (j->multi)
        curl_multi_cleanup(j->multi); /* may still call on_socket */
    cai_sockset__dispose(&j->socks);
    for (l = j->headers; l; l = l->next)
        cai_judge__wipe(l->data); /* the key is in here */
    curl_slist_free_all(j->headers);
    free(j->slots);
    free(j->free_list);
    free(j->ready);
    free(j->reaped);
    free(j->compl );
    cai_wire__dispose(&j->wire);
    cai_sha256_free(j->sha);
    cai_htab__dispose(&j->cache);
    if (j->cache_fd >= 0)
        close(j->cache_fd);
    cai_judge__wipe(j->api_key);
    free(j->api_key);
    free(j->base_url);
    free(j->model);
    free(j->ca_bundle);
    free(j->anthropic_version);
    free(j->cache_dir);
    free(j->url);
    free(j->url_shown);
    for (i = 0; j->uh && i < j->pool.n; i++)
        curl_url_cleanup(j->uh[i]);
    free(j->uh);
    cai_pool__dispose(&j->pool);
    for (i = 0; j->base_urls && i < j->o.n_base_urls; i++)
        free(j->base_urls[i]);
    free(j->base_urls);
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

void cai_judge_get_stats(const cai_judge *j, cai_judge_stats *out)
{
    *out = j->stats;
    out->in_flight = j->active;
    out->limit = (unsigned)cai_pool__limit(&j->pool);
    out->answered = out->conn_failures = out->timeouts = out->probes = 0;
    for (size_t i = 0; i < j->pool.n; i++) {
        const cai_endpoint *h = &j->pool.m[i].h;

        out->answered += h->answered;
        out->conn_failures += h->conn_failures;
        out->timeouts += h->timeouts;
        out->probes += h->probes;
    }
}

size_t cai_judge_endpoint_count(const cai_judge *j)
{
    return j && j->o.backend != CAI_BACKEND_BUILTIN ? j->pool.n : 0;
}

void cai_judge_get_endpoint_stats(const cai_judge *j, size_t i, cai_judge_endpoint_stats *out)
{
    const cai_pool_member *m;

    memset(out, 0, sizeof(*out));
    if (i >= cai_judge_endpoint_count(j))
        return;
    m = &j->pool.m[i];
    out->url = m->url_shown;
    out->requests = m->requests;
    out->answered = m->h.answered;
    out->served = m->served;
    out->conn_failures = m->h.conn_failures;
    out->timeouts = m->h.timeouts;
    out->probes = m->h.probes;
    out->ejections = m->ejections;
    out->returns = m->returns;
    out->in_flight = m->active;
    out->limit = (unsigned)m->h.limit;
    out->ejected = m->h.open;
}

void cai_judge_set_budget(cai_judge *j,
                          double price_in_per_mtok,
                          double price_out_per_mtok,
                          double max_cost,
                          double spent)
{
    if (!j)
        return;
    cai_pool__set_budget(&j->pool, price_in_per_mtok > 0 ? price_in_per_mtok : 0,
                         price_out_per_mtok > 0 ? price_out_per_mtok : 0,
                         max_cost > 0 ? max_cost : 0, spent > 0 ? spent : 0);
}

double cai_judge_spent(const cai_judge *j)
{
    return j ? cai_pool__spent(&j->pool) : 0;
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

/* s is finished: its completion waits in the FIFO for cai_judge_read. res NULL: a failure. */
static void complete(cai_judge *j, slot *s, cai_status st, const cai_judgment *res, const char *msg)
{
    if (s->state == SLOT_DELAYED)
        j->delayed--;
    else if (s->state == SLOT_WAITING)
        j->waiting--;
    s->state = SLOT_DONE;
    s->cst = st;
    if (res) {
        s->cres = *res;
    } else {
        memset(&s->cres, 0, sizeof(s->cres));
        s->cres.p_first = NAN;
        s->cres.score = NAN;
    }
    snprintf(s->cmsg, sizeof(s->cmsg), "%s", msg ? msg : "");
    j->compl [(j->compl_head + j->ncompl) % j->nslots] = (size_t)(s - j->slots);
    j->ncompl++;
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
    size_t i, next;

    j->stats.failed++;
    for (i = s->waiters_head; i != NO_SLOT; i = next) {
        next = j->slots[i].next_waiter;
        if (j->slots[i].state == SLOT_WAITING)
            set_delayed(j, &j->slots[i], 0);
    }
    s->waiters_head = s->waiters_tail = NO_SLOT;
    complete(j, s, code, NULL, msg);
    return CAI_OK;
}

static cai_status succeed_slot(cai_judge *j, slot *s, const cai_judgment *res)
{
    size_t i, next;
    cai_judgment copy;

    j->stats.succeeded++;
    complete(j, s, CAI_OK, res, NULL);
    copy = *res;
    copy.cached = 1;
    copy.attempts = 0;
    for (i = s->waiters_head; i != NO_SLOT; i = next) {
        slot *w = &j->slots[i];

        next = w->next_waiter;
        if (w->state != SLOT_WAITING)
            continue;
        j->stats.succeeded++;
        j->stats.cache_hits++;
        complete(j, w, CAI_OK, &copy, NULL);
    }
    s->waiters_head = s->waiters_tail = NO_SLOT;
    return CAI_OK;
}

/*
 * Renders the request body of t by its kind: the one place where a new request kind adds its
 * renderer (its reply goes to judge_reply.c). *prompt_est (may be NULL): cai's estimate of the
 * prompt's tokens.
 */
static cai_status build_body(cai_judge *j,
                             const cai_judge_task *t,
                             size_t got,
                             cai_buf *body,
                             unsigned *prompt_est,
                             cai_error *e)
{
    cai_prompt pr;
    cai_status st;

    switch (t->kind) {
    case CAI_REQUEST_JUDGMENT:
        memset(&pr, 0, sizeof(pr));
        st = cai_prompt_build(&pr, j->c, &t->cmp, j->o.mode, e);
        if (st == CAI_OK)
            st = cai_wire__build(&j->wire, body, &pr, (long)t->sample, e);
        if (prompt_est)
            *prompt_est = st == CAI_OK ? cai_judge__prompt_estimate(j, &pr) : 0;
        cai_prompt_dispose(&pr);
        return st;
    case CAI_REQUEST_SAMPLE:
    case CAI_REQUEST_CRITIQUE:
    case CAI_REQUEST_REVISION:
        /* judge_gen.c; got: the choices already received (a re-ask asks for the rest) */
        if (!t->gen || t->gen->n == 0)
            return cai_error__set(e, CAI_EINVAL, "judge: a generation request needs n >= 1");
        st = cai_judge__gen_body(j, t, got, body, e);
        if (prompt_est)
            *prompt_est = st == CAI_OK ? cai_judge__gen_estimate(t) : 0;
        return st;
    }
    return cai_error__set(e, CAI_EINVAL, "judge: unknown request kind %d", (int)t->kind);
}

/* Renders s's body again with the current wire (after a switch to reasoning parameters). */
static cai_status rebuild_body(cai_judge *j, slot *s, cai_error *e)
{
    cai_status st = build_body(j, &s->task, s->gn, &s->body, NULL, e);

    if (st == CAI_OK)
        s->wire_gen = j->wire_gen;
    return st;
}

/* ---------------------------------------------------------------- the health gate */
/*
 * The endpoint (pipeline/endpoint.c) holds the breaker, the limiter, pacing and the budget;
 * the engine asks it before each send and tells it what came back. What is curl-specific (which
 * failures are connection failures) and what ends the engine (go_fatal) stays here.
 */

static int halting(const cai_judge *j)
{
    return j->stop || j->fatal != CAI_OK || j->pool.over_budget;
}

/* The estimated cost of sending s once: its body's tokens (4 bytes each) and max_tokens. */
static double est_cost_of(const cai_judge *j, const slot *s)
{
    double out = (double)j->o.max_tokens;

    if (cai_judge__is_gen(s->task.kind))
        out = (double)(s->task.gen->max_tokens ? s->task.gen->max_tokens : 1024) *
              (double)(s->task.gen->n - s->gn);
    return cai_endpoint__cost(&j->pool.m[0].h, (double)(s->body.len / 4), out);
}

/* Ends the engine for a reason of the judge's health; the first reason stays. */
static void go_fatal(cai_judge *j, cai_status code, const char *msg, const char *hint)
{
    if (j->fatal != CAI_OK)
        return;
    j->fatal = code;
    snprintf(j->fatal_msg, sizeof(j->fatal_msg), "%s%s", msg, hint);
}

/* The endpoint s goes to now (cai_pool__pick), or -1; the loop is then woken when one may be
 * free (the next probe, the pause, the rate buckets). */
static int pick(cai_judge *j, const slot *s, double now)
{
    if (halting(j))
        return -1;
    return cai_pool__pick(&j->pool, &s->ep, est_cost_of(j, s), s->avoid, now, &j->wake_at);
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

/* Ends the engine when the breaker has been open too long; otherwise asks to be woken then. */
static void breaker_deadline(cai_judge *j, double now)
{
    char msg[512];

    if (cai_pool__down(&j->pool, now, &j->wake_at, msg, sizeof(msg)))
        go_fatal(j, CAI_ETRANSPORT, msg, "");
}

/* Sends s to pool member i. */
static cai_status launch(cai_judge *j, slot *s, int i, double now, cai_error *err)
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
        return cai_error__set(err, CAI_ENOMEM, "curl_easy_init failed");
    }
    if (s->state == SLOT_DELAYED)
        j->delayed--;
    s->state = SLOT_ACTIVE;
    s->resp.len = 0;
    s->too_big = 0;
    s->errbuf[0] = '\0';
    cai_wire__hdrs_reset(&s->hdrs);
    curl_easy_setopt(e, CURLOPT_CURLU, j->uh[i]);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body.data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body.len);
    mc = curl_multi_add_handle(j->multi, e);
    if (mc != CURLM_OK) {
        slot_release(j, s);
        return cai_error__set(err, CAI_ETRANSPORT, "curl: %s", curl_multi_strerror(mc));
    }
    j->active++;
    s->attempts++;
    j->stats.requests++;
    s->epi = i;
    cai_pool__sent(&j->pool, (size_t)i, &s->ep, est_cost_of(j, s), now);
    if (j->capture && !j->cap_request) {
        j->cap_request = strdup(s->body.data);
        if (!j->cap_request)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    return CAI_OK;
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
    cai_judge__hex_u64(s->sha, &s->k1);
    cai_judge__hex_u64(s->sha + 16, &s->k2);
}

/* Takes a freshly added task into slot s: render, consult the caches, then queue or wait. */
static cai_status admit(cai_judge *j, slot *s)
{
    cai_error e = {0};
    cai_status st;
    centry *hit;
    size_t idx = (size_t)(s - j->slots);

    s->attempts = s->retries = s->parse_fail = s->failovers = 0;
    s->avoid = -1;
    s->prompt_tokens = s->completion_tokens = 0;
    cai_judge__gen_clear(&s->gch, &s->gn, &s->gcap);
    s->greplies = 0;
    s->waiters_head = s->waiters_tail = s->next_waiter = NO_SLOT;
    st = build_body(j, &s->task, 0, &s->body, &s->prompt_est, &e);
    s->wire_gen = j->wire_gen;
    if (st != CAI_OK) {
        s->state = SLOT_ACTIVE; /* counted nowhere; fail_slot releases it */
        return fail_slot(j, s, st, e.msg);
    }
    if (cai_judge__is_gen(s->task.kind)) {
        /* No answer cache and no sharing of identical bodies: samples must differ. */
        s->ep.est_tokens = (unsigned)(s->body.len / 4) +
                           (s->task.gen->max_tokens ? s->task.gen->max_tokens : 1024);
        s->state = SLOT_READY;
        j->ready[(j->ready_head + j->nready) % j->nslots] = (size_t)(s - j->slots);
        j->nready++;
        return CAI_OK;
    }
    key_of(j, s);
    hit = cai_judge__cache_find(j, s->k1, s->k2);
    if (hit && !hit->pending) {
        cai_judgment res;

        cai_judge__from_cache(j, hit, &res);
        j->stats.cache_hits++;
        j->stats.succeeded++;
        if (j->capture && !j->cap_request)
            j->cap_request = strdup(s->body.data);
        complete(j, s, CAI_OK, &res, NULL);
        return CAI_OK;
    }
    s->ep.est_tokens = (unsigned)(s->body.len / 4) + j->o.max_tokens;
    /* The same body already on its way: wait for its answer instead of paying twice. The cache
     * entry names the slot sending it (a stale one, of a slot since reused, fails the check). */
    if (hit && hit->leader > 0 && hit->leader <= j->nslots) {
        slot *o = &j->slots[hit->leader - 1];

        if (o != s &&
            (o->state == SLOT_READY || o->state == SLOT_ACTIVE || o->state == SLOT_DELAYED) &&
            o->k1 == s->k1 && o->k2 == s->k2) {
            s->state = SLOT_WAITING;
            s->leader = hit->leader - 1;
            if (o->waiters_tail == NO_SLOT)
                o->waiters_head = idx;
            else
                j->slots[o->waiters_tail].next_waiter = idx;
            o->waiters_tail = idx;
            j->waiting++;
            return CAI_OK;
        }
    }
    if (hit) {
        hit->leader = (uint32_t)idx + 1;
    } else {
        centry mark;

        memset(&mark, 0, sizeof(mark));
        mark.k1 = s->k1;
        mark.k2 = s->k2;
        mark.pending = 1;
        mark.leader = (uint32_t)idx + 1;
        cai_judge__cache_put(j, &mark); /* a full cache keeps no mark: duplicates then go out */
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
        int i = pick(j, s, now);

        if (i < 0)
            break;
        j->ready_head = (j->ready_head + 1) % j->nslots;
        j->nready--;
        st = launch(j, s, i, now, err);
    }
    return st;
}

/*
 * Due retries first, then READY requests (built by cai_judge_add before capacity frees up, so
 * refilling costs only the send), up to the concurrency. Sending honours the pool pause and
 * the buckets.
 */
static cai_status fill_slots(cai_judge *j, cai_error *err)
{
    double now = cai__mono_s();
    cai_status st = CAI_OK;
    size_t i;

    j->wake_at = now + 3600;
    breaker_deadline(j, now);
    if (halting(j))
        return CAI_OK;
    if (j->delayed > 0) {
        for (i = 0; i < j->nslots && st == CAI_OK && j->active < j->o.concurrency * j->pool.n;
             i++) {
            slot *s = &j->slots[i];
            int m;

            if (s->state != SLOT_DELAYED)
                continue;
            if (s->due > now) {
                wake_by(j, s->due);
                continue;
            }
            m = pick(j, s, now);
            if (m < 0) {
                if (halting(j) || s->avoid < 0)
                    break; /* no endpoint may take anything now */
                continue;  /* a member it avoids may be the only one free: others may go */
            }
            st = launch(j, s, m, now, err);
        }
    }
    if (st == CAI_OK)
        st = launch_ready(j, now, err);
    return st;
}

static void redacted_msg(cai_judge *j, slot *s, long code, char *out, size_t cap)
{
    char *m = cai_wire__error_message(s->resp.data ? s->resp.data : "", s->resp.len, j->api_key);

    snprintf(out, cap, "%s: HTTP %ld: %s", j->pool.m[s->epi].url_shown, code,
             m ? m : "out of memory");
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
            return fmax(0, (double)t - cai__wall_s());
    }
    return -1;
}

/* A 2xx reply to a generation request: its choices are kept; fewer than asked: ask again. */
static cai_status on_gen_reply(cai_judge *j, slot *s, double now)
{
    cai_error e = {0};
    unsigned pt, ct;
    int has_usage, r;
    char msg[512];

    r = cai_judge__gen_take(j, s, s->resp.data ? s->resp.data : "", s->resp.len, &pt, &ct,
                            &has_usage, &e);
    if (r < 0) {
        snprintf(msg, sizeof(msg), "%.200s: %.300s", j->url_shown, e.msg);
        if (e.code == CAI_ENOMEM)
            return fail_slot(j, s, CAI_ENOMEM, msg);
        j->stats.parse_failures++;
        return retry_or_fail(j, s, e.code, msg, 1, -1, now);
    }
    if (has_usage) {
        j->stats.prompt_tokens += pt;
        j->stats.completion_tokens += ct;
        s->prompt_tokens += pt;
        s->completion_tokens += ct;
    }
    cai_endpoint__charge(&j->pool.m[s->epi].h, &s->ep, has_usage, pt, ct, est_cost_of(j, s));
    if (r == 0) {
        cai_status st;

        if (halting(j)) {
            s->state = SLOT_FREE;
            j->free_list[j->nfree++] = (size_t)(s - j->slots);
            return CAI_OK;
        }
        st = rebuild_body(j, s, &e);
        if (st != CAI_OK)
            return fail_slot(j, s, st, e.msg);
        s->state = SLOT_FREE;
        set_delayed(j, s, now); /* the rest, at once */
        return CAI_OK;
    }
    j->stats.succeeded++;
    complete(j, s, CAI_OK, NULL, NULL);
    return CAI_OK;
}

static cai_status on_success_reply(cai_judge *j, slot *s, double now)
{
    cai_wire_reply r;
    cai_error e = {0};
    cai_judgment res;
    cai_status st;
    char msg[512];

    if (cai_judge__is_gen(s->task.kind))
        return on_gen_reply(j, s, now);
    st = cai_wire__parse_reply(&r, j->o.backend, s->resp.data ? s->resp.data : "", s->resp.len, &e);
    if (st != CAI_OK) {
        snprintf(msg, sizeof(msg), "%.200s: %.300s", j->pool.m[s->epi].url_shown, e.msg);
        return retry_or_fail(j, s, st, msg, 1, -1, now);
    }
    if (r.has_usage) {
        j->stats.prompt_tokens += r.prompt_tokens;
        j->stats.completion_tokens += r.completion_tokens;
        s->prompt_tokens += r.prompt_tokens;
        s->completion_tokens += r.completion_tokens;
    }
    cai_endpoint__charge(&j->pool.m[s->epi].h, &s->ep, r.has_usage, r.prompt_tokens,
                         r.completion_tokens, est_cost_of(j, s));
    memset(&res, 0, sizeof(res));
    if (cai_judge__interpret(j, &r, &res) != 0) {
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
    cai_judge__reply_facts(j, &r, s->prompt_est, &res);
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
        cai_judge__cache_put(j, &ce);
        cai_judge__cache_append(j, s->sha, &ce);
    }
    j->pool.m[s->epi].served++;
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
 * With several endpoints it is re-sent to another one at once (failover), no retry spent, at
 * most once per endpoint; the connection died, so no endpoint answered it.
 */
static cai_status on_conn_failure(cai_judge *j, slot *s, CURLcode rc, const char *msg, double now)
{
    int r = cai_pool__conn_failure(&j->pool, (size_t)s->epi, &s->ep, refused(rc), msg, now);

    s->avoid = s->epi;
    if (r == 2 && s->failovers < j->pool.n && !halting(j)) {
        s->failovers++;
        s->state = SLOT_FREE;
        set_delayed(j, s, now);
        return CAI_OK;
    }
    if (r == 2)
        r = 0;

    if (r < 0) {
        go_fatal(j, CAI_ETRANSPORT, msg,
                 " (before any reply: is the judge running, and is --base-url right?)");
        return CAI_OK; /* the loop ends; the slot is released with the others */
    }
    if (r == 0)
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
    double now = cai__mono_s(), pause, ra;
    char msg[512];
    int retryable;
    cai_status st;

    cai_pool_member *m = &j->pool.m[s->epi];

    cai_pool__back(&j->pool, (size_t)s->epi, &s->ep);
    capture_reply(j, s);
    pause = cai_wire__hdrs_pause(&s->hdrs);
    if (pause > 0)
        cai_endpoint__pause(&m->h, now + fmin(pause, MAX_SERVER_WAIT_S));
    if (s->too_big) {
        s->ep.probe = 0;
        snprintf(msg, sizeof(msg), "%s: reply larger than %u bytes", m->url_shown, MAX_REPLY_BYTES);
        return fail_slot(j, s, CAI_ELIMIT, msg);
    }
    if (rc != CURLE_OK) {
        st = rc == CURLE_OPERATION_TIMEDOUT ? CAI_ETIMEOUT : CAI_ETRANSPORT;
        snprintf(msg, sizeof(msg), "%s: %s", m->url_shown,
                 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
        if (conn_failure(rc) && code == 0)
            return on_conn_failure(j, s, rc, msg, now);
        s->ep.probe = 0;
        if (rc == CURLE_OPERATION_TIMEDOUT)
            cai_endpoint__timeout(&m->h, &s->ep, now);
        s->avoid = s->epi; /* its re-send goes elsewhere when it can */
        return retry_or_fail(j, s, st, msg, 1, -1, now);
    }
    s->ep.probe = 0;
    cai_pool__reply(&j->pool, (size_t)s->epi, &s->ep, code, now);
    if (!m->h.ok_seen && (code == 401 || code == 403 || code == 404)) {
        /* Not transient: a wrong key, a forbidden model, a wrong URL or an unknown model. */
        redacted_msg(j, s, code, msg, sizeof(msg));
        go_fatal(j, CAI_EHTTP, msg,
                 code == 404 ? " (check --base-url and --model)" : " (check the API key)");
        return CAI_OK;
    }
    if (code >= 200 && code < 300)
        return on_success_reply(j, s, now);
    if (code == 400 && j->o.backend == CAI_BACKEND_OPENAI && s->task.kind == CAI_REQUEST_JUDGMENT &&
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

        cai_endpoint__pause(&m->h, now + fmin(wait, MAX_SERVER_WAIT_S));
        if (ra < 0)
            ra = wait;
    }
    redacted_msg(j, s, code, msg, sizeof(msg));
    return retry_or_fail(j, s, code == 429 ? CAI_ERATELIMIT : CAI_EHTTP, msg, retryable, ra, now);
}

static int poll_timeout_ms(const cai_judge *j)
{
    double due = j->curl_due >= 0 && j->curl_due < j->wake_at ? j->curl_due : j->wake_at;
    double ms = (due - cai__mono_s()) * 1000.0;

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

        if (s->state == SLOT_FREE || s->state == SLOT_DONE)
            continue; /* a completion stays readable */
        if (s->state == SLOT_ACTIVE) {
            curl_multi_remove_handle(j->multi, s->easy);
            j->active--;
        }
        if (s->state == SLOT_ACTIVE || s->state == SLOT_REAPED)
            cai_pool__back(&j->pool, (size_t)s->epi, &s->ep);
        s->ep.probe = 0;
        slot_release(j, s);
    }
    for (i = 0; i < j->pool.n; i++)
        j->pool.m[i].h.probe_out = 0;
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
    size_t i;
    CURLMsg *m;
    CURLMcode mc = CURLM_OK;
    cai_status st;

    /* What the last wait found ready, or else a look now. libcurl runs only the transfers
     * whose sockets moved (a socket it closed meanwhile is ignored), then any whose timer is
     * due: a transfer just added is due at once. */
    if (j->socks.nready == 0 && (st = cai_sockset__poll(&j->socks, 0, err)) != CAI_OK)
        return st;
    for (i = 0; i < j->socks.nready && mc == CURLM_OK; i++) {
        int fd = j->socks.ready[i].fd;
        short r = j->socks.ready[i].revents;
        int ev = (r & (POLLIN | POLLHUP | POLLERR) ? CURL_CSELECT_IN : 0) |
                 (r & (POLLOUT | POLLERR) ? CURL_CSELECT_OUT : 0) |
                 (r & POLLNVAL ? CURL_CSELECT_ERR : 0);

        mc = curl_multi_socket_action(j->multi, fd, ev, &running);
        if (r & POLLNVAL) /* not open: it would be reported on every poll */
            (void)cai_sockset__want(&j->socks, fd, 0);
    }
    j->socks.nready = 0;
    if (mc == CURLM_OK && j->curl_due >= 0 && cai__mono_s() >= j->curl_due) {
        j->curl_due = -1.0;
        mc = curl_multi_socket_action(j->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    if (j->socks_failed)
        return cai_error__set(err, CAI_ENOMEM, "out of memory (the judge's socket set)");
    if (mc != CURLM_OK) {
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
 * Handles every REAPED reply in the order curl finished them; each becomes a completion (or a
 * retry), and perform sends nothing more until every completion has been read.
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

/* ---------------------------------------------------------------- the queue API */

/* Whether the engine has ended: a second stop, the grace after the first, the judge's health,
 * or a halt (stop, budget) with nothing left in flight. */
static int ended(const cai_judge *j, double now)
{
    return j->stop >= 2 || j->fatal != CAI_OK || (j->stop_seen && now >= j->stop_deadline) ||
           (halting(j) && j->active == 0);
}

/* Why the engine ended (see ended()). */
static cai_status end_status(const cai_judge *j, cai_error *err)
{
    if (j->fatal != CAI_OK)
        return cai_error__set(err, j->fatal, "%s", j->fatal_msg);
    if (j->stop)
        return cai_error__set(err, CAI_EINTERRUPTED, "judge: stopped");
    return cai_error__set(err, CAI_EBUDGET,
                          "judge: stopped at the spending cap of $%.4f ($%.4f spent, $%.4f of "
                          "it before this run)",
                          j->pool.max_cost, j->pool.spent_before + cai_pool__spent(&j->pool),
                          j->pool.spent_before);
}

static cai_status perform_http(cai_judge *j, cai_error *err)
{
    cai_status st = CAI_OK;

    if (j->stop && !j->stop_seen) {
        j->stop_seen = 1;
        j->stop_deadline = cai__mono_s() + j->o.stop_grace_s;
    }
    if (!ended(j, cai__mono_s())) {
        /* Handle, then send: nothing goes out while a completion is unread. */
        if (j->ncompl == 0)
            st = fill_slots(j, err);
        if (st == CAI_OK && j->fatal == CAI_OK)
            st = perform(j, err);
        if (st == CAI_OK)
            st = finish_reaped(j);
    }
    if (st != CAI_OK) {
        drain_all(j);
        return st;
    }
    /* Abandoned requests were not completed, so nothing is lost: a resume asks again. */
    if (ended(j, cai__mono_s())) {
        drain_all(j);
        return end_status(j, err);
    }
    return CAI_OK;
}

/* The builtin backend has no network: every queued task is answered here. */
static cai_status perform_builtin(cai_judge *j, cai_error *err)
{
    if (j->stop) {
        drain_all(j);
        return cai_error__set(err, CAI_EINTERRUPTED, "judge: stopped");
    }
    while (j->nready > 0) {
        slot *s = &j->slots[j->ready[j->ready_head]];
        cai_judgment res;
        cai_error e = {0};
        cai_status js;

        j->ready_head = (j->ready_head + 1) % j->nslots;
        j->nready--;
        memset(&res, 0, sizeof(res));
        js = cai_builtin__judge(&s->task.cmp, j->o.mode, &res, &e);
        if (js == CAI_OK) {
            res.attempts = res.attempts ? res.attempts : 1;
            res.source = CAI_SOURCE_TEXT;
            j->stats.succeeded++;
            complete(j, s, CAI_OK, &res, NULL);
        } else {
            j->stats.failed++;
            complete(j, s, js, NULL, e.msg);
        }
    }
    return CAI_OK;
}

cai_status cai_judge_add(cai_judge *j, const cai_judge_task *t, cai_error *err)
{
    cai_status st;
    slot *s;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, j && t);
    if (t->kind != CAI_REQUEST_JUDGMENT && !cai_judge__is_gen(t->kind))
        return cai_error__set(err, CAI_EINVAL, "judge: unknown request kind %d", (int)t->kind);
    if (cai_judge__is_gen(t->kind)) {
        if (!t->gen || t->gen->n == 0 || t->gen->n > CAI_GEN_MAX_CHOICES)
            return cai_error__set(err, CAI_EINVAL, "judge: a %s request needs 1..%d responses",
                                  cai_request_kind_name(t->kind), CAI_GEN_MAX_CHOICES);
        if (j->o.backend == CAI_BACKEND_BUILTIN)
            return cai_error__set(err, CAI_EINVAL,
                                  "judge: the builtin backend does not generate text (%s)",
                                  cai_request_kind_name(t->kind));
        if (t->gen->n > 1 && !cai_gen_wire__has_n(j->o.backend))
            return cai_error__set(err, CAI_EINVAL,
                                  "judge: the %s backend takes one response per request",
                                  cai_backend_name(j->o.backend));
    }
    if (!j->checked) {
        st = cai_judge_check(j, err);
        if (st != CAI_OK)
            return st;
        j->checked = 1;
    }
    if (cai_judge_room(j) == 0)
        return cai_error__set(err, CAI_ELIMIT,
                              "judge: no room for another request (see cai_judge_room)");
    s = &j->slots[j->free_list[--j->nfree]];
    s->task = *t;
    if (j->o.backend == CAI_BACKEND_BUILTIN) {
        s->state = SLOT_READY;
        j->ready[(j->ready_head + j->nready) % j->nslots] = (size_t)(s - j->slots);
        j->nready++;
        return CAI_OK;
    }
    wake_by(j, 0); /* a wait before the next perform must not sleep on it */
    return admit(j, s);
}

size_t cai_judge_room(const cai_judge *j)
{
    size_t busy, cap;

    if (!j || halting(j))
        return 0;
    busy = j->nslots - j->nfree;
    /* the limiters' cap in flight, and as many to follow */
    cap = 2 * (size_t)cai_pool__limit(&j->pool);
    if (j->o.backend == CAI_BACKEND_BUILTIN || cap > j->nslots)
        cap = j->nslots;
    return busy >= cap ? 0 : cap - busy;
}

size_t cai_judge_pending(const cai_judge *j)
{
    return j ? j->nslots - j->nfree : 0;
}

cai_status cai_judge_perform(cai_judge *j, unsigned *running, cai_error *err)
{
    cai_status st;

    cai_error__clear(err);
    if (running)
        *running = 0;
    CAI_ASSERT_ARG(err, j);
    st = j->o.backend == CAI_BACKEND_BUILTIN ? perform_builtin(j, err) : perform_http(j, err);
    if (running)
        *running = (unsigned)(j->nslots - j->nfree - j->ncompl);
    return st;
}

const cai_judge_completion *cai_judge_read(cai_judge *j)
{
    size_t idx;
    slot *s;

    if (!j || j->ncompl == 0)
        return NULL;
    idx = j->compl [j->compl_head];
    j->compl_head = (j->compl_head + 1) % j->nslots;
    j->ncompl--;
    s = &j->slots[idx];
    j->cur_task = s->task;
    memcpy(j->cur_msg, s->cmsg, sizeof(j->cur_msg));
    memset(&j->cur, 0, sizeof(j->cur));
    j->cur.kind = s->task.kind;
    j->cur.task = &j->cur_task;
    j->cur.status = s->cst;
    j->cur.message = j->cur_msg;
    if (cai_judge__is_gen(s->task.kind)) {
        cai_judge__gen_clear(&j->cur_gch, &j->cur_gn, NULL);
        if (s->cst == CAI_OK) {
            j->cur_gch = s->gch;
            j->cur_gn = s->gn;
            s->gch = NULL;
            s->gn = s->gcap = 0;
        }
        j->cur.result.generation.choices = j->cur_gch;
        j->cur.result.generation.n_choices = j->cur_gn;
        j->cur.result.generation.prompt_tokens = s->prompt_tokens;
        j->cur.result.generation.completion_tokens = s->completion_tokens;
        j->cur.result.generation.attempts = s->attempts;
        j->cur.result.generation.replies = s->greplies;
    } else {
        j->cur.result.judgment = s->cres;
    }
    s->state = SLOT_FREE;
    j->free_list[j->nfree++] = idx;
    wake_by(j, 0); /* its capacity may go to a queued request at once */
    return &j->cur;
}

cai_status cai_judge_wait(cai_judge *j, int timeout_ms, cai_error *err)
{
    int ms;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, j);
    if (j->ncompl > 0 || j->o.backend == CAI_BACKEND_BUILTIN)
        return CAI_OK;
    ms = poll_timeout_ms(j);
    if (timeout_ms >= 0 && timeout_ms < ms)
        ms = timeout_ms;
    return cai_sockset__poll(&j->socks, ms, err); /* perform hands on what is ready */
}

/* ---------------------------------------------------------------- one task */

cai_status cai_judge_one(cai_judge *j,
                         const cai_judge_task *t,
                         cai_judgment *res,
                         char **request_body,
                         char **reply_body,
                         cai_error *err)
{
    const cai_judge_completion *c = NULL;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, j && t && res);
    if (request_body)
        *request_body = NULL;
    if (reply_body)
        *reply_body = NULL;
    if (cai_judge_pending(j) > 0)
        return cai_error__set(err, CAI_EINVAL, "judge: cai_judge_one needs an idle judge");
    j->fatal = CAI_OK; /* the health of an earlier call does not end this one before it asks */
    j->stop_seen = 0;
    j->pool.over_budget = 0;
    j->capture = request_body || reply_body;
    st = cai_judge_add(j, t, err);
    while (st == CAI_OK) {
        cai_status ps = cai_judge_perform(j, NULL, err);

        c = cai_judge_read(j);
        if (c || ps != CAI_OK) {
            st = ps;
            break;
        }
        st = cai_judge_wait(j, POLL_MAX_MS, err);
    }
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
    if (c && c->status != CAI_OK) {
        cai_error__clear(err);
        return cai_error__set(err, c->status, "%s", c->message);
    }
    if (c) {
        cai_error__clear(err);
        *res = c->result.judgment;
        return CAI_OK;
    }
    return st != CAI_OK ? st : cai_error__set(err, CAI_EINVAL, "judge: no answer");
}

cai_status
cai_judge_request_body(cai_judge *j, const cai_judge_task *t, char **body, cai_error *err)
{
    cai_buf b = {0};
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, j && t && body);
    *body = NULL;
    if (j->o.backend == CAI_BACKEND_BUILTIN)
        return CAI_OK; /* nothing is sent */
    st = build_body(j, t, 0, &b, NULL, err);
    if (st != CAI_OK) {
        cai_buf__dispose(&b);
        return st;
    }
    *body = b.data;
    return CAI_OK;
}

unsigned cai_judge_estimate_tokens(cai_judge *j, const cai_judge_task *t)
{
    cai_prompt pr;
    unsigned n;

    if (t && cai_judge__is_gen(t->kind))
        return cai_judge__gen_estimate(t);
    memset(&pr, 0, sizeof(pr));
    if (!j || !t || cai_prompt_build(&pr, j->c, &t->cmp, j->o.mode, NULL) != CAI_OK) {
        cai_prompt_dispose(&pr);
        return 0;
    }
    n = cai_judge__prompt_estimate(j, &pr);
    cai_prompt_dispose(&pr);
    return n;
}
