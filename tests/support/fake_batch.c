/* SPDX-License-Identifier: MIT */
/* The fake judge's batch APIs: OpenAI Files and Batches, Anthropic Message Batches, in memory. */
#include "fake_batch_int.h"
#include "hash_int.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Shapes follow the providers' API references: an OpenAI input line is {"custom_id", "method":
 * "POST", "url", "body"}; an output line {"id", "custom_id", "response": {"status_code",
 * "request_id", "body"}, "error": null}; an error-file line carries a non-200 response or
 * "error": {"code", "message"} (code "batch_expired" / "batch_cancelled"). An Anthropic result
 * line is {"custom_id", "result": {"type": "succeeded", "message"} | {"type": "errored",
 * "error": {"type": "error", "error": {...}}} | {"type": "expired"} | {"type": "canceled"}}.
 */

enum { R_PENDING, R_OK, R_ERRORED, R_EXPIRED, R_CANCELED };

typedef struct fb_item {
    char *custom_id;
    char *body; /* the request body (OpenAI "body", Anthropic "params"), unformatted JSON */
    int result; /* R_* once the batch ended */
    char *answer;
} fb_item;

typedef struct fb_file {
    char id[40];
    char *data;
    size_t len;
} fb_file;

typedef struct fb_batch {
    char id[48];
    int anthropic;
    char endpoint[64];
    char input_file_id[40];
    char output_file_id[40], error_file_id[40];
    fb_item *items;
    size_t n;
    unsigned polls;
    int expire;    /* this batch expires */
    int cancelled; /* cancel was asked */
    int ended;
    int failed; /* validation failed (OpenAI "failed") */
    char fail_msg[200];
    char *results; /* Anthropic: the results JSONL once ended */
    size_t results_len;
} fb_batch;

struct fake_batches {
    pthread_mutex_t mu;
    fb_file *files;
    size_t nfiles;
    fb_batch *batches;
    size_t nbatches;
    unsigned polls_to_end;
    unsigned expire_next;
    unsigned fail_mod;
    unsigned lose_next; /* fake_llm_batch_lose_next_create */
    char **failed_once; /* custom_ids failed already (fail_every fails each once) */
    size_t nfailed_once;
    fake_batch_stats st;
};

fake_batches *fake_batch__new(void)
{
    fake_batches *b = calloc(1, sizeof(*b));

    if (!b)
        return NULL;
    pthread_mutex_init(&b->mu, NULL);
    b->polls_to_end = 3;
    return b;
}

void fake_batch__free(fake_batches *b)
{
    size_t i, k;

    if (!b)
        return;
    for (i = 0; i < b->nfiles; i++)
        free(b->files[i].data);
    free(b->files);
    for (i = 0; i < b->nbatches; i++) {
        for (k = 0; k < b->batches[i].n; k++) {
            free(b->batches[i].items[k].custom_id);
            free(b->batches[i].items[k].body);
            free(b->batches[i].items[k].answer);
        }
        free(b->batches[i].items);
        free(b->batches[i].results);
    }
    free(b->batches);
    for (i = 0; i < b->nfailed_once; i++)
        free(b->failed_once[i]);
    free(b->failed_once);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

int fake_batch__owns(const char *path)
{
    return strncmp(path, "/v1/files", 9) == 0 || strncmp(path, "/v1/batches", 11) == 0 ||
           strncmp(path, "/v1/messages/batches", 20) == 0;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static int reply_json(cJSON *o, int status, char **out, size_t *out_len)
{
    char *t = o ? cJSON_PrintUnformatted(o) : NULL;

    cJSON_Delete(o);
    *out = t;
    *out_len = t ? strlen(t) : 0;
    return t ? status : 500;
}

static int reply_error(
    int anthropic, int status, const char *type, const char *msg, char **out, size_t *out_len)
{
    cJSON *o = cJSON_CreateObject(), *e;

    if (anthropic) {
        cJSON_AddStringToObject(o, "type", "error");
        e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "type", type);
        cJSON_AddStringToObject(e, "message", msg);
    } else {
        e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "message", msg);
        cJSON_AddStringToObject(e, "type", type);
        cJSON_AddNullToObject(e, "param");
        cJSON_AddNullToObject(e, "code");
    }
    return reply_json(o, status, out, out_len);
}

static char *dup_n(const char *p, size_t n)
{
    char *s = malloc(n + 1);

    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static const void *find_mem(const void *hay, size_t n, const char *needle, size_t nl)
{
    const char *h = hay;
    size_t i;

    for (i = 0; nl <= n && i <= n - nl; i++)
        if (memcmp(h + i, needle, nl) == 0)
            return h + i;
    return NULL;
}

static fb_file *file_find(fake_batches *b, const char *id, size_t n)
{
    size_t i;

    for (i = 0; i < b->nfiles; i++)
        if (strlen(b->files[i].id) == n && memcmp(b->files[i].id, id, n) == 0)
            return &b->files[i];
    return NULL;
}

static fb_batch *batch_find(fake_batches *b, const char *id, size_t n)
{
    size_t i;

    for (i = 0; i < b->nbatches; i++)
        if (strlen(b->batches[i].id) == n && memcmp(b->batches[i].id, id, n) == 0)
            return &b->batches[i];
    return NULL;
}

static fb_file *file_add(fake_batches *b, char *data, size_t len)
{
    fb_file *nf = realloc(b->files, (b->nfiles + 1) * sizeof(*nf));

    if (!nf)
        return NULL;
    b->files = nf;
    nf = &b->files[b->nfiles];
    snprintf(nf->id, sizeof(nf->id), "file-fake%06zu", b->nfiles + 1);
    nf->data = data;
    nf->len = len;
    b->nfiles++;
    return nf;
}

/* fail_every: the first sighting of a custom_id that hashes to 0 mod fail_mod fails. */
static int fails_now(fake_batches *b, const char *custom_id)
{
    size_t i;
    char **nf;

    if (!b->fail_mod || cai_hash64(custom_id, strlen(custom_id), 7) % b->fail_mod != 0)
        return 0;
    for (i = 0; i < b->nfailed_once; i++)
        if (strcmp(b->failed_once[i], custom_id) == 0)
            return 0;
    nf = realloc(b->failed_once, (b->nfailed_once + 1) * sizeof(*nf));
    if (!nf)
        return 0;
    b->failed_once = nf;
    b->failed_once[b->nfailed_once++] = strdup(custom_id);
    return 1;
}

static size_t count_result(const fb_batch *bt, int r)
{
    size_t i, n = 0;

    for (i = 0; i < bt->n; i++)
        n += bt->items[i].result == r;
    return n;
}

/* The share of items shown done at this poll (progress), without ending the batch. */
static size_t progress(const fake_batches *b, const fb_batch *bt)
{
    if (bt->ended)
        return bt->n;
    return bt->n * bt->polls / (b->polls_to_end + 1);
}

/* ---- ending a batch ----------------------------------------------------------------------- */

/* Answers the items: the online answer, an error, expiry or cancellation. */
static void end_batch(fake_batches *b, fake_llm *s, fb_batch *bt)
{
    size_t i, keep = bt->expire || bt->cancelled ? bt->n / 2 : bt->n;

    for (i = 0; i < bt->n; i++) {
        fb_item *it = &bt->items[i];

        if (i >= keep) {
            it->result = bt->cancelled ? R_CANCELED : R_EXPIRED;
            b->st.expired += !bt->cancelled;
        } else if (fails_now(b, it->custom_id)) {
            it->result = R_ERRORED;
            b->st.errored++;
        } else {
            it->answer = fake_llm__answer(s, bt->anthropic, it->body, strlen(it->body));
            it->result = it->answer ? R_OK : R_ERRORED;
            b->st.errored += !it->answer;
        }
    }
    bt->ended = 1;
}

static char *openai_line(const fb_batch *bt, const fb_item *it, size_t k)
{
    cJSON *o = cJSON_CreateObject(), *resp, *e;
    char id[64];
    char *t;

    snprintf(id, sizeof(id), "batch_req_%s_%zu", bt->id + 6, k);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "custom_id", it->custom_id);
    if (it->result == R_OK || it->result == R_ERRORED) {
        resp = cJSON_AddObjectToObject(o, "response");
        cJSON_AddNumberToObject(resp, "status_code", it->result == R_OK ? 200 : 500);
        snprintf(id, sizeof(id), "req_fake%zu", k);
        cJSON_AddStringToObject(resp, "request_id", id);
        if (it->result == R_OK) {
            cJSON_AddItemToObject(resp, "body", cJSON_Parse(it->answer));
        } else {
            e = cJSON_AddObjectToObject(cJSON_AddObjectToObject(resp, "body"), "error");
            cJSON_AddStringToObject(e, "message",
                                    "The server had an error processing your request (fake).");
            cJSON_AddStringToObject(e, "type", "server_error");
        }
        cJSON_AddNullToObject(o, "error");
    } else {
        cJSON_AddNullToObject(o, "response");
        e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "code",
                                it->result == R_EXPIRED ? "batch_expired" : "batch_cancelled");
        cJSON_AddStringToObject(e, "message",
                                it->result == R_EXPIRED
                                    ? "This request could not be executed before "
                                      "the completion window expired."
                                    : "This request was cancelled.");
    }
    t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

static char *anthropic_line(const fb_item *it)
{
    cJSON *o = cJSON_CreateObject(), *r, *e;
    char *t;

    cJSON_AddStringToObject(o, "custom_id", it->custom_id);
    r = cJSON_AddObjectToObject(o, "result");
    switch (it->result) {
    case R_OK:
        cJSON_AddStringToObject(r, "type", "succeeded");
        cJSON_AddItemToObject(r, "message", cJSON_Parse(it->answer));
        break;
    case R_ERRORED:
        cJSON_AddStringToObject(r, "type", "errored");
        e = cJSON_AddObjectToObject(r, "error");
        cJSON_AddStringToObject(e, "type", "error");
        e = cJSON_AddObjectToObject(e, "error");
        cJSON_AddStringToObject(e, "type", "api_error");
        cJSON_AddStringToObject(e, "message", "Internal server error (fake).");
        break;
    case R_EXPIRED:
        cJSON_AddStringToObject(r, "type", "expired");
        break;
    default:
        cJSON_AddStringToObject(r, "type", "canceled");
        break;
    }
    t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

static int buf_line(char **buf, size_t *len, char *line)
{
    size_t n = line ? strlen(line) : 0;
    char *nb = line ? realloc(*buf, *len + n + 2) : NULL;

    if (!nb) {
        free(line);
        return -1;
    }
    memcpy(nb + *len, line, n);
    nb[*len + n] = '\n';
    *len += n + 1;
    nb[*len] = '\0';
    *buf = nb;
    free(line);
    return 0;
}

/* Writes the ended batch's output: OpenAI output and error files (lines reversed), Anthropic
 * results (odd positions first, then even ones backwards). */
static void publish(fake_batches *b, fb_batch *bt)
{
    char *ok = NULL, *bad = NULL;
    size_t okn = 0, badn = 0, i, k;

    if (!bt->anthropic) {
        for (i = bt->n; i-- > 0;) {
            fb_item *it = &bt->items[i];
            if (it->result == R_OK)
                buf_line(&ok, &okn, openai_line(bt, it, i));
            else
                buf_line(&bad, &badn, openai_line(bt, it, i));
        }
        if (ok) {
            fb_file *f = file_add(b, ok, okn);
            if (f)
                snprintf(bt->output_file_id, sizeof(bt->output_file_id), "%s", f->id);
        }
        if (bad) {
            fb_file *f = file_add(b, bad, badn);
            if (f)
                snprintf(bt->error_file_id, sizeof(bt->error_file_id), "%s", f->id);
        }
        return;
    }
    for (k = 0; k < bt->n; k++) {
        i = k < bt->n / 2 ? 2 * k + 1 : ((bt->n - 1) & ~(size_t)1) - 2 * (k - bt->n / 2);
        buf_line(&bt->results, &bt->results_len, anthropic_line(&bt->items[i]));
    }
}

/* ---- batch objects ------------------------------------------------------------------------ */

static cJSON *openai_object(const fake_batches *b, const fb_batch *bt)
{
    cJSON *o = cJSON_CreateObject(), *rc;
    const char *status;
    size_t done = progress(b, bt);

    if (bt->failed)
        status = "failed";
    else if (bt->ended && bt->cancelled)
        status = "cancelled";
    else if (bt->ended && bt->expire)
        status = "expired";
    else if (bt->ended)
        status = "completed";
    else if (bt->cancelled)
        status = "cancelling";
    else if (bt->polls == 0)
        status = "validating";
    else if (bt->polls + 1 >= b->polls_to_end)
        status = "finalizing";
    else
        status = "in_progress";
    cJSON_AddStringToObject(o, "id", bt->id);
    cJSON_AddStringToObject(o, "object", "batch");
    cJSON_AddStringToObject(o, "endpoint", bt->endpoint);
    cJSON_AddStringToObject(o, "input_file_id", bt->input_file_id);
    cJSON_AddStringToObject(o, "completion_window", "24h");
    cJSON_AddStringToObject(o, "status", status);
    if (bt->output_file_id[0])
        cJSON_AddStringToObject(o, "output_file_id", bt->output_file_id);
    else
        cJSON_AddNullToObject(o, "output_file_id");
    if (bt->error_file_id[0])
        cJSON_AddStringToObject(o, "error_file_id", bt->error_file_id);
    else
        cJSON_AddNullToObject(o, "error_file_id");
    if (bt->failed) {
        cJSON *errs = cJSON_AddObjectToObject(o, "errors"), *d, *e;
        cJSON_AddStringToObject(errs, "object", "list");
        d = cJSON_AddArrayToObject(errs, "data");
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "code", "invalid_request");
        cJSON_AddStringToObject(e, "message", bt->fail_msg);
        cJSON_AddItemToArray(d, e);
    } else {
        cJSON_AddNullToObject(o, "errors");
    }
    rc = cJSON_AddObjectToObject(o, "request_counts");
    cJSON_AddNumberToObject(rc, "total", (double)bt->n);
    if (bt->ended) {
        cJSON_AddNumberToObject(rc, "completed", (double)count_result(bt, R_OK));
        cJSON_AddNumberToObject(rc, "failed", (double)(bt->n - count_result(bt, R_OK)));
    } else {
        cJSON_AddNumberToObject(rc, "completed", bt->failed ? 0 : (double)done);
        cJSON_AddNumberToObject(rc, "failed", 0);
    }
    return o;
}

static cJSON *anthropic_object(const fake_batches *b, const fb_batch *bt, const char *root)
{
    cJSON *o = cJSON_CreateObject(), *rc;
    char url[160];
    size_t done = progress(b, bt);

    cJSON_AddStringToObject(o, "id", bt->id);
    cJSON_AddStringToObject(o, "type", "message_batch");
    cJSON_AddStringToObject(o, "processing_status",
                            bt->ended       ? "ended"
                            : bt->cancelled ? "canceling"
                                            : "in_progress");
    rc = cJSON_AddObjectToObject(o, "request_counts");
    if (bt->ended) {
        cJSON_AddNumberToObject(rc, "processing", 0);
        cJSON_AddNumberToObject(rc, "succeeded", (double)count_result(bt, R_OK));
        cJSON_AddNumberToObject(rc, "errored", (double)count_result(bt, R_ERRORED));
        cJSON_AddNumberToObject(rc, "canceled", (double)count_result(bt, R_CANCELED));
        cJSON_AddNumberToObject(rc, "expired", (double)count_result(bt, R_EXPIRED));
    } else {
        cJSON_AddNumberToObject(rc, "processing", (double)(bt->n - done));
        cJSON_AddNumberToObject(rc, "succeeded", (double)done);
        cJSON_AddNumberToObject(rc, "errored", 0);
        cJSON_AddNumberToObject(rc, "canceled", 0);
        cJSON_AddNumberToObject(rc, "expired", 0);
    }
    cJSON_AddStringToObject(o, "created_at", "2024-09-24T18:37:24.100435Z");
    cJSON_AddStringToObject(o, "expires_at", "2024-09-25T18:37:24.100435Z");
    if (bt->ended) {
        snprintf(url, sizeof(url), "%s/v1/messages/batches/%s/results", root, bt->id);
        cJSON_AddStringToObject(o, "ended_at", "2024-09-24T19:37:24.100435Z");
        cJSON_AddStringToObject(o, "results_url", url);
    } else {
        cJSON_AddNullToObject(o, "ended_at");
        cJSON_AddNullToObject(o, "results_url");
    }
    return o;
}

static fb_batch *batch_new(fake_batches *b, int anthropic)
{
    fb_batch *nb = realloc(b->batches, (b->nbatches + 1) * sizeof(*nb));

    if (!nb)
        return NULL;
    b->batches = nb;
    nb = &b->batches[b->nbatches];
    memset(nb, 0, sizeof(*nb));
    nb->anthropic = anthropic;
    snprintf(nb->id, sizeof(nb->id), anthropic ? "msgbatch_fake%06zu" : "batch_fake%06zu",
             b->nbatches + 1);
    if (b->expire_next > 0) {
        b->expire_next--;
        nb->expire = 1;
    }
    b->nbatches++;
    b->st.creates++;
    return nb;
}

static int item_add(fb_batch *bt, const char *custom_id, const cJSON *body)
{
    fb_item *ni = realloc(bt->items, (bt->n + 1) * sizeof(*ni));

    if (!ni)
        return -1;
    bt->items = ni;
    ni = &bt->items[bt->n];
    memset(ni, 0, sizeof(*ni));
    ni->custom_id = strdup(custom_id);
    ni->body = cJSON_PrintUnformatted(body);
    bt->n++;
    return ni->custom_id && ni->body ? 0 : -1;
}

static int valid_custom_id(const char *s)
{
    size_t n = strlen(s), i;

    if (n < 1 || n > 64)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

/* ---- OpenAI ------------------------------------------------------------------------------- */

/* POST /v1/files: multipart/form-data with purpose=batch and file. */
static int files_upload(fake_batches *b,
                        const char *hdrs,
                        size_t hdr_len,
                        const char *body,
                        size_t len,
                        char **out,
                        size_t *out_len)
{
    const char *ct, *bd, *p, *end, *file = NULL, *part_end;
    size_t ctl, file_len = 0;
    char boundary[200];
    int purpose_ok = 0;
    fb_file *f;
    cJSON *o;
    char *data;

    if (!fake_llm__header(hdrs, hdr_len, "Content-Type", &ct, &ctl) ||
        !(bd = find_mem(ct, ctl, "boundary=", 9)))
        return reply_error(0, 400, "invalid_request_error", "expected multipart/form-data", out,
                           out_len);
    bd += 9;
    snprintf(boundary, sizeof(boundary), "--%.*s", (int)(ct + ctl - bd), bd);
    p = body;
    end = body + len;
    while ((p = find_mem(p, (size_t)(end - p), boundary, strlen(boundary))) != NULL) {
        const char *h = p + strlen(boundary), *he, *cd;

        if (end - h >= 2 && h[0] == '-' && h[1] == '-')
            break;
        he = find_mem(h, (size_t)(end - h), "\r\n\r\n", 4);
        if (!he)
            break;
        part_end = find_mem(he + 4, (size_t)(end - he - 4), boundary, strlen(boundary));
        if (!part_end)
            break;
        cd = find_mem(h, (size_t)(he - h), "name=\"", 6);
        if (cd && strncmp(cd + 6, "purpose\"", 8) == 0)
            purpose_ok = part_end - 2 - (he + 4) == 5 && memcmp(he + 4, "batch", 5) == 0;
        else if (cd && strncmp(cd + 6, "file\"", 5) == 0) {
            file = he + 4;
            file_len = (size_t)(part_end - 2 - file);
        }
        p = part_end;
    }
    if (!purpose_ok || !file)
        return reply_error(0, 400, "invalid_request_error", "a file and purpose=batch are required",
                           out, out_len);
    data = dup_n(file, file_len);
    f = data ? file_add(b, data, file_len) : NULL;
    if (!f) {
        free(data);
        return reply_error(0, 500, "server_error", "out of memory", out, out_len);
    }
    b->st.uploads++;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", f->id);
    cJSON_AddStringToObject(o, "object", "file");
    cJSON_AddNumberToObject(o, "bytes", (double)file_len);
    cJSON_AddStringToObject(o, "filename", "batch.jsonl");
    cJSON_AddStringToObject(o, "purpose", "batch");
    return reply_json(o, 200, out, out_len);
}

/* Validates the input file's lines into bt's items; a bad line fails the batch. */
static void openai_load(fb_batch *bt, const fb_file *f)
{
    const char *p = f->data, *end = f->data + f->len, *nl;
    size_t line = 0;

    for (; p < end; p = nl + 1) {
        cJSON *o, *cid, *url, *body;

        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        line++;
        if (nl == p)
            continue;
        o = cJSON_ParseWithLength(p, (size_t)(nl - p));
        cid = cJSON_GetObjectItemCaseSensitive(o, "custom_id");
        url = cJSON_GetObjectItemCaseSensitive(o, "url");
        body = cJSON_GetObjectItemCaseSensitive(o, "body");
        if (!cJSON_IsString(cid) || !cJSON_IsString(url) || !cJSON_IsObject(body) ||
            strcmp(url->valuestring, bt->endpoint) != 0 || item_add(bt, cid->valuestring, body)) {
            bt->failed = 1;
            snprintf(bt->fail_msg, sizeof(bt->fail_msg),
                     "line %zu: needs custom_id, url %s and a body object", line, bt->endpoint);
        }
        cJSON_Delete(o);
        if (bt->failed)
            return;
    }
}

static int openai_route(fake_batches *b,
                        fake_llm *s,
                        const char *method,
                        const char *path,
                        const char *query,
                        const char *hdrs,
                        size_t hdr_len,
                        const char *body,
                        size_t len,
                        char **out,
                        size_t *out_len)
{
    const char *v, *id, *rest;
    size_t vl;
    fb_batch *bt;

    (void)s;
    if (!fake_llm__header(hdrs, hdr_len, "Authorization", &v, &vl) || vl < 8 ||
        strncmp(v, "Bearer ", 7) != 0)
        return reply_error(0, 401, "invalid_request_error", "You didn't provide an API key.", out,
                           out_len);
    if (strcmp(path, "/v1/files") == 0 && strcmp(method, "POST") == 0)
        return files_upload(b, hdrs, hdr_len, body, len, out, out_len);
    if (strncmp(path, "/v1/files/", 10) == 0 && strcmp(method, "GET") == 0) {
        fb_file *f;
        id = path + 10;
        rest = strchr(id, '/');
        if (!rest || strcmp(rest, "/content") != 0 || !(f = file_find(b, id, (size_t)(rest - id))))
            return reply_error(0, 404, "invalid_request_error", "No such File object", out,
                               out_len);
        b->st.downloads++;
        *out = dup_n(f->data, f->len);
        *out_len = f->len;
        return *out ? 200 : 500;
    }
    if (strcmp(path, "/v1/batches") == 0 && strcmp(method, "POST") == 0) {
        cJSON *o = cJSON_ParseWithLength(body, len), *fid, *ep, *cw;
        fb_file *f = NULL;
        int st;

        fid = cJSON_GetObjectItemCaseSensitive(o, "input_file_id");
        ep = cJSON_GetObjectItemCaseSensitive(o, "endpoint");
        cw = cJSON_GetObjectItemCaseSensitive(o, "completion_window");
        if (!cJSON_IsString(fid) || !cJSON_IsString(ep) || !cJSON_IsString(cw) ||
            strcmp(cw->valuestring, "24h") != 0 ||
            (strcmp(ep->valuestring, "/v1/chat/completions") != 0 &&
             strcmp(ep->valuestring, "/v1/completions") != 0) ||
            !(f = file_find(b, fid->valuestring, strlen(fid->valuestring)))) {
            cJSON_Delete(o);
            return reply_error(0, 400, "invalid_request_error",
                               "input_file_id (an uploaded file), endpoint and "
                               "completion_window 24h are required",
                               out, out_len);
        }
        bt = batch_new(b, 0);
        if (!bt) {
            cJSON_Delete(o);
            return reply_error(0, 500, "server_error", "out of memory", out, out_len);
        }
        snprintf(bt->endpoint, sizeof(bt->endpoint), "%s", ep->valuestring);
        snprintf(bt->input_file_id, sizeof(bt->input_file_id), "%s", f->id);
        openai_load(bt, f);
        b->st.items += bt->n;
        cJSON_Delete(o);
        st = reply_json(openai_object(b, bt), 200, out, out_len);
        if (st == 200 && b->lose_next > 0) {
            b->lose_next--;
            st = -200;
        }
        return st;
    }
    if (strcmp(path, "/v1/batches") == 0 && strcmp(method, "GET") == 0) {
        /* newest first, as OpenAI lists them; "after" is the last id of the previous page */
        cJSON *o = cJSON_CreateObject(), *data = cJSON_AddArrayToObject(o, "data");
        const char *q = query, *a;
        size_t i = b->nbatches, limit = 20, n = 0;
        char after[48] = "";

        if (q && (a = strstr(q, "limit=")) != NULL)
            limit = (size_t)strtoul(a + 6, NULL, 10);
        if (q && (a = strstr(q, "after=")) != NULL)
            snprintf(after, sizeof(after), "%.*s", (int)strcspn(a + 6, "&"), a + 6);
        if (limit < 1 || limit > 100)
            limit = 20;
        if (after[0]) {
            while (i > 0 && strcmp(b->batches[i - 1].id, after) != 0)
                i--;
            if (i > 0)
                i--;
        }
        cJSON_AddStringToObject(o, "object", "list");
        for (; i > 0 && n < limit; i--) {
            if (b->batches[i - 1].anthropic)
                continue;
            cJSON_AddItemToArray(data, openai_object(b, &b->batches[i - 1]));
            n++;
        }
        cJSON_AddBoolToObject(o, "has_more", i > 0);
        return reply_json(o, 200, out, out_len);
    }
    if (strncmp(path, "/v1/batches/", 12) == 0) {
        id = path + 12;
        rest = strchr(id, '/');
        bt = batch_find(b, id, rest ? (size_t)(rest - id) : strlen(id));
        if (!bt || bt->anthropic)
            return reply_error(0, 404, "invalid_request_error", "No such Batch object", out,
                               out_len);
        if (rest && strcmp(rest, "/cancel") == 0 && strcmp(method, "POST") == 0) {
            if (!bt->ended && !bt->failed)
                bt->cancelled = 1;
            return reply_json(openai_object(b, bt), 200, out, out_len);
        }
        if (rest || strcmp(method, "GET") != 0)
            return reply_error(0, 404, "invalid_request_error", "Unknown request URL", out,
                               out_len);
        b->st.polls++;
        if (!bt->ended && !bt->failed && ++bt->polls >= b->polls_to_end) {
            end_batch(b, s, bt);
            publish(b, bt);
        }
        return reply_json(openai_object(b, bt), 200, out, out_len);
    }
    return reply_error(0, 404, "invalid_request_error", "Unknown request URL", out, out_len);
}

/* ---- Anthropic ---------------------------------------------------------------------------- */

static int anthropic_route(fake_batches *b,
                           fake_llm *s,
                           const char *method,
                           const char *path,
                           const char *hdrs,
                           size_t hdr_len,
                           const char *body,
                           size_t len,
                           char **out,
                           size_t *out_len)
{
    const char *v, *id, *rest;
    size_t vl;
    fb_batch *bt;

    if (!fake_llm__header(hdrs, hdr_len, "x-api-key", &v, &vl))
        return reply_error(1, 401, "authentication_error", "x-api-key header is required", out,
                           out_len);
    if (!fake_llm__header(hdrs, hdr_len, "anthropic-version", &v, &vl))
        return reply_error(1, 400, "invalid_request_error", "anthropic-version: header is required",
                           out, out_len);
    if (strcmp(path, "/v1/messages/batches") == 0 && strcmp(method, "POST") == 0) {
        cJSON *o = cJSON_ParseWithLength(body, len), *reqs, *r, *walk;
        const char *bad = NULL;

        reqs = cJSON_GetObjectItemCaseSensitive(o, "requests");
        if (!cJSON_IsArray(reqs) || cJSON_GetArraySize(reqs) == 0)
            bad = "requests: a non-empty array is required";
        walk = bad ? NULL : reqs;
        cJSON_ArrayForEach(r, walk)
        {
            const cJSON *cid = cJSON_GetObjectItemCaseSensitive(r, "custom_id");
            const cJSON *params = cJSON_GetObjectItemCaseSensitive(r, "params");
            if (!cJSON_IsString(cid) || !valid_custom_id(cid->valuestring)) {
                bad = "requests: custom_id must match ^[a-zA-Z0-9_-]{1,64}$";
                break;
            }
            if (!cJSON_IsObject(params)) {
                bad = "requests: params must be an object";
                break;
            }
        }
        if (bad) {
            cJSON_Delete(o);
            return reply_error(1, 400, "invalid_request_error", bad, out, out_len);
        }
        bt = batch_new(b, 1);
        walk = bt ? reqs : NULL;
        cJSON_ArrayForEach(r, walk)
        {
            item_add(bt, cJSON_GetObjectItemCaseSensitive(r, "custom_id")->valuestring,
                     cJSON_GetObjectItemCaseSensitive(r, "params"));
        }
        cJSON_Delete(o);
        if (!bt)
            return reply_error(1, 500, "api_error", "out of memory", out, out_len);
        b->st.items += bt->n;
        return reply_json(anthropic_object(b, bt, fake_llm__root(s)), 200, out, out_len);
    }
    if (strncmp(path, "/v1/messages/batches/", 21) == 0) {
        id = path + 21;
        rest = strchr(id, '/');
        bt = batch_find(b, id, rest ? (size_t)(rest - id) : strlen(id));
        if (!bt || !bt->anthropic)
            return reply_error(1, 404, "not_found_error", "batch not found", out, out_len);
        if (rest && strcmp(rest, "/cancel") == 0 && strcmp(method, "POST") == 0) {
            if (!bt->ended)
                bt->cancelled = 1;
            return reply_json(anthropic_object(b, bt, fake_llm__root(s)), 200, out, out_len);
        }
        if (rest && strcmp(rest, "/results") == 0 && strcmp(method, "GET") == 0) {
            if (!bt->ended)
                return reply_error(1, 400, "invalid_request_error", "the batch is still processing",
                                   out, out_len);
            b->st.downloads++;
            *out = dup_n(bt->results ? bt->results : "", bt->results_len);
            *out_len = bt->results_len;
            return *out ? 200 : 500;
        }
        if (rest || strcmp(method, "GET") != 0)
            return reply_error(1, 404, "not_found_error", "Unknown request URL", out, out_len);
        b->st.polls++;
        if (!bt->ended && ++bt->polls >= b->polls_to_end) {
            end_batch(b, s, bt);
            publish(b, bt);
        }
        return reply_json(anthropic_object(b, bt, fake_llm__root(s)), 200, out, out_len);
    }
    return reply_error(1, 404, "not_found_error", "Unknown request URL", out, out_len);
}

int fake_batch__handle(fake_batches *b,
                       fake_llm *s,
                       const char *method,
                       const char *path,
                       const char *query,
                       const char *hdrs,
                       size_t hdr_len,
                       const char *body,
                       size_t body_len,
                       char **out,
                       size_t *out_len)
{
    int st;

    *out = NULL;
    *out_len = 0;
    pthread_mutex_lock(&b->mu);
    if (strncmp(path, "/v1/messages/", 13) == 0)
        st = anthropic_route(b, s, method, path, hdrs, hdr_len, body, body_len, out, out_len);
    else
        st = openai_route(b, s, method, path, query, hdrs, hdr_len, body, body_len, out, out_len);
    pthread_mutex_unlock(&b->mu);
    return st;
}

/* ---- the test API (fake_llm.h) ------------------------------------------------------------ */

void fake_llm_batch_stats(fake_llm *s, fake_batch_stats *out)
{
    fake_batches *b = fake_llm__batches(s);

    pthread_mutex_lock(&b->mu);
    *out = b->st;
    pthread_mutex_unlock(&b->mu);
}

void fake_llm_batch_set_polls(fake_llm *s, unsigned polls)
{
    fake_batches *b = fake_llm__batches(s);

    pthread_mutex_lock(&b->mu);
    b->polls_to_end = polls ? polls : 1;
    pthread_mutex_unlock(&b->mu);
}

void fake_llm_batch_expire_next(fake_llm *s, unsigned n)
{
    fake_batches *b = fake_llm__batches(s);

    pthread_mutex_lock(&b->mu);
    b->expire_next = n;
    pthread_mutex_unlock(&b->mu);
}

void fake_llm_batch_lose_next_create(fake_llm *s, unsigned n)
{
    fake_batches *b = fake_llm__batches(s);

    pthread_mutex_lock(&b->mu);
    b->lose_next = n;
    pthread_mutex_unlock(&b->mu);
}

void fake_llm_batch_fail_every(fake_llm *s, unsigned mod)
{
    fake_batches *b = fake_llm__batches(s);

    pthread_mutex_lock(&b->mu);
    b->fail_mod = mod;
    pthread_mutex_unlock(&b->mu);
}
