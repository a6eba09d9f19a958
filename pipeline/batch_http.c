/* SPDX-License-Identifier: MIT */
/* The batch APIs' HTTP calls: upload, create, poll and download, on one libcurl easy handle. */
#include "batch_int.h"
#include "error_int.h"
#include "wire_int.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Batch calls are few and not latency critical, so they use curl's easy interface (judge.c's
 * multi loop is for the online requests). Wire shapes, from the providers' API references:
 *   OpenAI:    POST {base}/files (multipart: purpose=batch, file) -> {"id"}
 *              POST {base}/batches {"input_file_id","endpoint","completion_window":"24h"}
 *              GET  {base}/batches/{id} -> {"status","request_counts","output_file_id",...}
 *              GET  {base}/files/{id}/content -> JSONL
 *   Anthropic: POST {base}/v1/messages/batches {"requests":[{"custom_id","params"}]}
 *              GET  {base}/v1/messages/batches/{id} -> {"processing_status","request_counts",
 *                   "results_url"}; GET results_url -> JSONL, in any order
 */

#define MAX_REPLY (16u << 20) /* a JSON reply (not a download) */
#define MAX_LINE  (64u << 20) /* one result line */
#define ATTEMPTS  4

struct cai_bhttp {
    cai_bhttp_opts o;
    char *base, *key, *ver, *ca;
    CURL *e;
    struct curl_slist *json_hdrs, *plain_hdrs;
};

static void wipe_free(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
        free(s);
    }
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static struct curl_slist *
add_hdr(struct curl_slist *l, const char *name, const char *value, int *bad)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    struct curl_slist *nl;

    if (!line) {
        *bad = 1;
        return l;
    }
    snprintf(line, n, "%s: %s", name, value);
    nl = curl_slist_append(l, line);
    wipe_free(line);
    if (!nl)
        *bad = 1;
    return nl ? nl : l;
}

static struct curl_slist *auth_hdrs(cai_bhttp *h, int json, int *bad)
{
    struct curl_slist *l = NULL;

    if (json)
        l = add_hdr(l, "Content-Type", "application/json", bad);
    l = add_hdr(l, "Expect", "", bad);
    if (h->o.backend == CAI_BACKEND_ANTHROPIC) {
        l = add_hdr(l, "anthropic-version", h->ver ? h->ver : "2023-06-01", bad);
        if (h->key)
            l = add_hdr(l, "x-api-key", h->key, bad);
    } else if (h->key) {
        size_t n = strlen(h->key) + 8;
        char *v = malloc(n);
        if (!v) {
            *bad = 1;
            return l;
        }
        snprintf(v, n, "Bearer %s", h->key);
        l = add_hdr(l, "Authorization", v, bad);
        wipe_free(v);
    }
    return l;
}

cai_status cai_bhttp__create(cai_bhttp **out, const cai_bhttp_opts *o, cai_error *err)
{
    cai_bhttp *h = calloc(1, sizeof(*h));
    size_t n;
    int bad = 0;

    *out = NULL;
    if (!h)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    h->o = *o;
    h->base = dup_or_null(o->base_url ? o->base_url : "");
    h->key = dup_or_null(o->api_key);
    h->ver = dup_or_null(o->anthropic_version);
    h->ca = dup_or_null(o->ca_bundle);
    if (!h->base || (o->api_key && !h->key) || (o->anthropic_version && !h->ver) ||
        (o->ca_bundle && !h->ca)) {
        cai_bhttp__free(h);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    n = strlen(h->base);
    while (n > 0 && h->base[n - 1] == '/')
        h->base[--n] = '\0';
    if (h->o.timeout_s <= 0)
        h->o.timeout_s = 300;
    h->e = curl_easy_init();
    h->json_hdrs = auth_hdrs(h, 1, &bad);
    h->plain_hdrs = auth_hdrs(h, 0, &bad);
    if (!h->e || bad) {
        cai_bhttp__free(h);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    *out = h;
    return CAI_OK;
}

void cai_bhttp__free(cai_bhttp *h)
{
    if (!h)
        return;
    if (h->e)
        curl_easy_cleanup(h->e);
    curl_slist_free_all(h->json_hdrs);
    curl_slist_free_all(h->plain_hdrs);
    free(h->base);
    wipe_free(h->key);
    free(h->ver);
    free(h->ca);
    free(h);
}

const char *cai_bhttp__endpoint(const cai_bhttp *h)
{
    return h->o.backend == CAI_BACKEND_COMPLETIONS ? "/v1/completions" : "/v1/chat/completions";
}

/* ---- one call ------------------------------------------------------------------------------ */

typedef struct sink {
    CURL *e;
    cai_buf buf;          /* the whole reply, or the partial line when streaming */
    cai_bhttp_line_fn fn; /* streaming: called per complete line of a 2xx reply */
    void *payload;
    long code;
    cai_status st; /* the callback's failure */
    int too_big;
    cai_error *err;
} sink;

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    sink *k = userdata;
    size_t n = size * nmemb, i, start = 0;

    if (k->code == 0) /* the status is known once the body starts */
        curl_easy_getinfo(k->e, CURLINFO_RESPONSE_CODE, &k->code);
    if (!k->fn || k->code < 200 || k->code > 299) {
        if (k->buf.len + n > MAX_REPLY) {
            k->too_big = 1;
            return 0;
        }
        return cai_buf__append(&k->buf, data, n) == 0 ? n : 0;
    }
    for (i = 0; i < n; i++) {
        if (data[i] != '\n')
            continue;
        if (cai_buf__append(&k->buf, data + start, i - start) != 0)
            return 0;
        if (k->buf.len > 0 && (k->st = k->fn(k->buf.data, k->buf.len, k->payload)) != CAI_OK)
            return 0;
        k->buf.len = 0;
        start = i + 1;
    }
    if (k->buf.len + (n - start) > MAX_LINE) {
        k->too_big = 1;
        return 0;
    }
    return cai_buf__append(&k->buf, data + start, n - start) == 0 ? n : 0;
}

typedef struct upload {
    FILE *f;
    int state; /* 0: the opening, 1: lines, 2: the close, 3: done */
    int first;
    int pending_comma;
} upload;

/* Anthropic: {"requests":[line,line,...]} streamed from the spooled JSONL. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    upload *u = userdata;
    size_t cap = size * nitems, n = 0;
    int c;

    while (n < cap) {
        if (u->state == 0) {
            static const char open[] = "{\"requests\":[";
            memcpy(buf, open, sizeof(open) - 1); /* curl's buffer is at least 16 KiB */
            n = sizeof(open) - 1;
            u->state = 1;
            continue;
        }
        if (u->state == 1) {
            if (u->pending_comma) {
                buf[n++] = ',';
                u->pending_comma = 0;
                continue;
            }
            c = getc(u->f);
            if (c == EOF) {
                u->state = 2;
                continue;
            }
            if (c == '\n') {
                u->pending_comma = 1;
                /* a comma only if another line follows */
                c = getc(u->f);
                if (c == EOF) {
                    u->pending_comma = 0;
                    u->state = 2;
                    continue;
                }
                ungetc(c, u->f);
                continue;
            }
            buf[n++] = (char)c;
            continue;
        }
        if (u->state == 2) {
            buf[n++] = ']';
            u->state = 4;
            continue;
        }
        if (u->state == 4) {
            buf[n++] = '}';
            u->state = 3;
            continue;
        }
        break;
    }
    return n;
}

/* The size of the Anthropic body on_read makes from path: the lines, commas and the frame. */
static long long wrapped_size(FILE *f)
{
    long long size = 0, lines = 0, cur = 0;
    int c;

    while ((c = getc(f)) != EOF) {
        if (c == '\n') {
            if (cur)
                lines++;
            cur = 0;
            continue;
        }
        cur++;
        size++;
    }
    if (cur)
        lines++;
    rewind(f);
    return size + (lines > 0 ? lines - 1 : 0) + 15;
}

typedef enum body_kind { B_NONE, B_JSON, B_MULTIPART, B_WRAPPED } body_kind;

/* One attempt. Returns CAI_OK with k->code set, or a transport failure. */
static cai_status attempt(cai_bhttp *h,
                          const char *method,
                          const char *url,
                          body_kind bk,
                          const char *body,
                          const char *path,
                          sink *k,
                          cai_error *err)
{
    CURL *e = h->e;
    curl_mime *mime = NULL;
    upload up;
    CURLcode rc;
    cai_status st = CAI_OK;

    memset(&up, 0, sizeof(up));
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(h->o.timeout_s * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (h->ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER,
                     bk == B_JSON || bk == B_WRAPPED ? h->json_hdrs : h->plain_hdrs);
    switch (bk) {
    case B_NONE:
        if (strcmp(method, "POST") == 0) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
        }
        break;
    case B_JSON:
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        break;
    case B_MULTIPART: {
        curl_mimepart *part;
        mime = curl_mime_init(e);
        part = mime ? curl_mime_addpart(mime) : NULL;
        if (!part || curl_mime_name(part, "purpose") != CURLE_OK ||
            curl_mime_data(part, "batch", CURL_ZERO_TERMINATED) != CURLE_OK ||
            !(part = curl_mime_addpart(mime)) || curl_mime_name(part, "file") != CURLE_OK ||
            curl_mime_filedata(part, path) != CURLE_OK ||
            curl_mime_filename(part, "batch.jsonl") != CURLE_OK ||
            curl_mime_type(part, "application/jsonl") != CURLE_OK) {
            curl_mime_free(mime);
            return cai_error__set(err, CAI_EIO, "batch: cannot attach %s", path);
        }
        curl_easy_setopt(e, CURLOPT_MIMEPOST, mime);
        break;
    }
    case B_WRAPPED:
        up.f = fopen(path, "rbe");
        if (!up.f)
            return cai_error__set(err, CAI_EIO, "batch: cannot read %s", path);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, &up);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)wrapped_size(up.f));
        break;
    }
    k->code = 0;
    k->buf.len = 0;
    rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &k->code);
    if (k->st != CAI_OK)
        st = k->st;
    else if (k->too_big)
        st = cai_error__set(err, CAI_ELIMIT, "batch: %s: reply or line over the size cap", url);
    else if (rc != CURLE_OK)
        st = cai_error__set(err, rc == CURLE_OPERATION_TIMEDOUT ? CAI_ETIMEOUT : CAI_ETRANSPORT,
                            "batch: %s %s: %s", method, url, curl_easy_strerror(rc));
    curl_mime_free(mime);
    if (up.f)
        fclose(up.f);
    return st;
}

static void pause_s(double s)
{
    struct timespec ts;

    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/*
 * A call with retries of what cannot have taken effect or may be repeated: a 429 or 5xx reply,
 * and for idempotent calls (GET, uploads) a lost connection. A creation that may have reached
 * the server is not sent again (it could create a second batch: paying twice).
 */
static cai_status call(cai_bhttp *h,
                       const char *method,
                       const char *url,
                       body_kind bk,
                       const char *body,
                       const char *path,
                       int idempotent,
                       cai_bhttp_line_fn fn,
                       void *payload,
                       cJSON **json,
                       cai_error *err)
{
    sink k;
    cai_status st = CAI_OK;
    int i;

    memset(&k, 0, sizeof(k));
    k.e = h->e;
    k.fn = fn;
    k.payload = payload;
    k.err = err;
    if (json)
        *json = NULL;
    for (i = 0; i < ATTEMPTS; i++) {
        if (i > 0)
            pause_s(0.25 * (double)(1 << i));
        cai_error__clear(err);
        st = attempt(h, method, url, bk, body, path, &k, err);
        /* a download sent again is safe: the collector skips results it has seen */
        if (st == CAI_ETRANSPORT || st == CAI_ETIMEOUT) {
            if (idempotent)
                continue;
            break;
        }
        if (st != CAI_OK)
            break;
        if (k.code == 429 || k.code >= 500) {
            char *m = cai_wire__error_message(k.buf.data ? k.buf.data : "", k.buf.len, h->key);
            st = cai_error__set(err, k.code == 429 ? CAI_ERATELIMIT : CAI_EHTTP,
                                "batch: %s %s: HTTP %ld: %s", method, url, k.code, m ? m : "");
            free(m);
            /* a 500 may come after the batch was made; 429 and 503 say it was not */
            if (idempotent || k.code == 429 || k.code == 503)
                continue;
            break;
        }
        if (k.code < 200 || k.code > 299) {
            char *m = cai_wire__error_message(k.buf.data ? k.buf.data : "", k.buf.len, h->key);
            st = cai_error__set(err, CAI_EHTTP, "batch: %s %s: HTTP %ld: %s", method, url, k.code,
                                m ? m : "");
            free(m);
            break;
        }
        break;
    }
    if (st == CAI_OK && fn && k.buf.len > 0) /* a last line without its newline */
        st = fn(k.buf.data, k.buf.len, payload);
    if (st == CAI_OK && json) {
        *json = cJSON_ParseWithLength(k.buf.data ? k.buf.data : "", k.buf.len);
        if (!*json)
            st =
                cai_error__set(err, CAI_EPARSE, "batch: %s %s: the reply is not JSON", method, url);
    }
    cai_buf__dispose(&k.buf);
    return st;
}

static char *url_of(const cai_bhttp *h, const char *a, const char *b, const char *c)
{
    size_t n = strlen(h->base) + strlen(a) + (b ? strlen(b) : 0) + (c ? strlen(c) : 0) + 1;
    char *u = malloc(n);

    if (u)
        snprintf(u, n, "%s%s%s%s", h->base, a, b ? b : "", c ? c : "");
    return u;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static uint64_t num_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* An id the provider gave: used in URLs, so only [A-Za-z0-9_-]. */
static int safe_id(const char *s)
{
    size_t i, n = s ? strlen(s) : 0;

    if (n == 0 || n >= 128)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

cai_status cai_bhttp__upload(cai_bhttp *h, const char *path, char file_id[128], cai_error *err)
{
    cJSON *r = NULL;
    char *url = url_of(h, "/files", NULL, NULL);
    const char *v;
    cai_status st;

    file_id[0] = '\0';
    if (!url)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = call(h, "POST", url, B_MULTIPART, NULL, path, 1, NULL, NULL, &r, err);
    v = st == CAI_OK ? str_of(r, "id") : NULL;
    if (st == CAI_OK && !safe_id(v))
        st = cai_error__set(err, CAI_ESCHEMA, "batch: %s: no file id in the reply", url);
    if (st == CAI_OK)
        snprintf(file_id, 128, "%s", v);
    cJSON_Delete(r);
    free(url);
    return st;
}

cai_status
cai_bhttp__make(cai_bhttp *h, const char *path, const char *file_id, char id[128], cai_error *err)
{
    cJSON *r = NULL, *req;
    char *url, *body = NULL;
    const char *v;
    cai_status st;

    id[0] = '\0';
    if (h->o.backend == CAI_BACKEND_ANTHROPIC) {
        url = url_of(h, "/v1/messages/batches", NULL, NULL);
        if (!url)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        st = call(h, "POST", url, B_WRAPPED, NULL, path, 0, NULL, NULL, &r, err);
    } else {
        req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "input_file_id", file_id);
        cJSON_AddStringToObject(req, "endpoint", cai_bhttp__endpoint(h));
        cJSON_AddStringToObject(req, "completion_window", "24h");
        body = cJSON_PrintUnformatted(req);
        cJSON_Delete(req);
        url = url_of(h, "/batches", NULL, NULL);
        if (!body || !url)
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        else
            st = call(h, "POST", url, B_JSON, body, NULL, 0, NULL, NULL, &r, err);
    }
    v = st == CAI_OK ? str_of(r, "id") : NULL;
    if (st == CAI_OK && !safe_id(v))
        st = cai_error__set(err, CAI_ESCHEMA, "batch: %s: no batch id in the reply", url);
    if (st == CAI_OK)
        snprintf(id, 128, "%s", v);
    cJSON_Delete(r);
    cJSON_free(body);
    free(url);
    return st;
}

#define FIND_PAGES 10 /* of 100 batches: a lost reply is found among the latest 1,000 */

cai_status cai_bhttp__find(cai_bhttp *h, const char *file_id, char id[128], cai_error *err)
{
    char after[160] = "";
    int page;

    id[0] = '\0';
    for (page = 0; page < FIND_PAGES; page++) {
        cJSON *r = NULL;
        const cJSON *d, *b;
        char q[200];
        char *url;
        cai_status st;
        int more;

        snprintf(q, sizeof(q), "?limit=100%s%s", after[0] ? "&after=" : "", after);
        url = url_of(h, "/batches", q, NULL);
        if (!url)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        st = call(h, "GET", url, B_NONE, NULL, NULL, 1, NULL, NULL, &r, err);
        free(url);
        if (st != CAI_OK)
            return st;
        d = cJSON_GetObjectItemCaseSensitive(r, "data");
        cJSON_ArrayForEach(b, d)
        {
            const char *f = str_of(b, "input_file_id"), *bid = str_of(b, "id");
            if (f && bid && strcmp(f, file_id) == 0 && safe_id(bid)) {
                snprintf(id, 128, "%s", bid);
                cJSON_Delete(r);
                return CAI_OK;
            }
            if (bid && safe_id(bid))
                snprintf(after, sizeof(after), "%s", bid);
        }
        more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "has_more"));
        cJSON_Delete(r);
        if (!more)
            break;
    }
    return CAI_OK;
}

cai_status cai_bhttp__parse_status(
    cai_backend backend, const char *body, size_t len, cai_bhttp_status *s, cai_error *err)
{
    cJSON *r = cJSON_ParseWithLength(body, len);
    const cJSON *rc;
    const char *v;
    cai_status st = CAI_OK;

    memset(s, 0, sizeof(*s));
    if (!r)
        return cai_error__set(err, CAI_EPARSE, "batch: the status reply is not JSON");
    rc = cJSON_GetObjectItemCaseSensitive(r, "request_counts");
    if (backend == CAI_BACKEND_ANTHROPIC) {
        v = str_of(r, "processing_status");
        s->ended = v && strcmp(v, "ended") == 0;
        s->done = num_of(rc, "succeeded");
        s->bad = num_of(rc, "errored") + num_of(rc, "canceled") + num_of(rc, "expired");
        s->total = s->done + s->bad + num_of(rc, "processing");
        if (str_of(r, "results_url"))
            snprintf(s->out_ref, sizeof(s->out_ref), "%s", str_of(r, "results_url"));
    } else {
        v = str_of(r, "status");
        s->ended = v && (strcmp(v, "completed") == 0 || strcmp(v, "expired") == 0 ||
                         strcmp(v, "failed") == 0 || strcmp(v, "cancelled") == 0);
        s->failed = v && strcmp(v, "failed") == 0;
        s->total = num_of(rc, "total");
        s->done = num_of(rc, "completed");
        s->bad = num_of(rc, "failed");
        if (str_of(r, "output_file_id"))
            snprintf(s->out_ref, sizeof(s->out_ref), "%s", str_of(r, "output_file_id"));
        if (str_of(r, "error_file_id"))
            snprintf(s->err_ref, sizeof(s->err_ref), "%s", str_of(r, "error_file_id"));
        if (s->failed) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(r, "errors"), "data");
            const char *m = str_of(cJSON_GetArrayItem(d, 0), "message");
            snprintf(s->message, sizeof(s->message), "%s", m ? m : "no reason given");
        }
    }
    if (!v)
        st = cai_error__set(err, CAI_ESCHEMA, "batch: no status in the reply");
    else
        snprintf(s->status, sizeof(s->status), "%s", v);
    cJSON_Delete(r);
    return st;
}

cai_status cai_bhttp__poll(cai_bhttp *h, const char *id, cai_bhttp_status *s, cai_error *err)
{
    cJSON *r = NULL;
    char *url, *txt = NULL;
    cai_status st;

    memset(s, 0, sizeof(*s));
    if (!safe_id(id))
        return cai_error__set(err, CAI_EINVAL, "batch: bad batch id \"%.60s\"", id);
    url = h->o.backend == CAI_BACKEND_ANTHROPIC ? url_of(h, "/v1/messages/batches/", id, NULL)
                                                : url_of(h, "/batches/", id, NULL);
    if (!url)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    /* the JSON path of call() retries lost connections and 5xx; a status is small */
    st = call(h, "GET", url, B_NONE, NULL, NULL, 1, NULL, NULL, &r, err);
    free(url);
    if (st == CAI_OK && !(txt = cJSON_PrintUnformatted(r)))
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (st == CAI_OK)
        st = cai_bhttp__parse_status(h->o.backend, txt, strlen(txt), s, err);
    cJSON_free(txt);
    cJSON_Delete(r);
    return st;
}

/* "scheme://host[:port]" of u: its length, or 0. */
static size_t origin_len(const char *u)
{
    const char *p = strstr(u, "://");

    if (!p)
        return 0;
    p += 3;
    return (size_t)(p - u) + strcspn(p, "/?#");
}

cai_status cai_bhttp__download(
    cai_bhttp *h, const char *ref, cai_bhttp_line_fn fn, void *payload, cai_error *err)
{
    char *url;
    cai_status st;

    if (h->o.backend == CAI_BACKEND_ANTHROPIC) {
        size_t n = origin_len(ref);
        /* results_url comes from the server: the key goes only where the batch was made */
        if (n == 0 || n != origin_len(h->base) || strncmp(ref, h->base, n) != 0)
            return cai_error__set(err, CAI_ESCHEMA,
                                  "batch: results_url \"%.200s\" is not on the judge's host", ref);
        url = strdup(ref);
    } else {
        if (!safe_id(ref))
            return cai_error__set(err, CAI_EINVAL, "batch: bad file id \"%.60s\"", ref);
        url = url_of(h, "/files/", ref, "/content");
    }
    if (!url)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = call(h, "GET", url, B_NONE, NULL, NULL, 1, fn, payload, NULL, err);
    free(url);
    return st;
}
