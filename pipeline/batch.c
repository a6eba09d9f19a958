/* SPDX-License-Identifier: MIT */
/* The batch client: spools request bodies into parts, submits them, polls and collects replies. */
#include "batch_int.h"
#include "error_int.h"
#include "htab_int.h"
#include "journal_int.h"
#include "util_int.h"
#include "wire_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/*
 * The state is in the run's journal, as records of kind "b" (pipeline/journal.c):
 *   {"t":"b","ev":"sealed","p":P,"n":N}   part P is complete on disk (fsynced);
 *   {"t":"b","ev":"upload","p":P,"f":F}   OpenAI: part P was uploaded as file F, before the
 *                                         creation;
 *   {"t":"b","ev":"batch","p":P,"id":ID}  part P was submitted as batch ID (fsynced at once);
 *   {"t":"b","ev":"done","p":P}           part P's replies were handed over (the judgments
 *                                         before it in the journal).
 * Every record is fsynced (with the judgments before it) the moment it is written. The parts
 * are spool files in the spool directory (DIR/batches):
 *   part-P.jsonl  one request per line, {"custom_id","method","url","body"} (OpenAI's input
 *                 file) or {"custom_id","params"} (an element of Anthropic's "requests");
 *   part-P.meta   one line per request: {"c": custom_id, "k": journal key, "id", "pr", "o",
 *                 "s": the judgment's identity, "e": prompt estimate, "r": submission round}.
 * They stay files, not journal records: the .jsonl is the upload itself, and the .meta (which
 * request ids a part holds) is needed only while the part is in flight and is as long as the
 * part (up to 100,000 lines): in the journal it would stay forever and be read at every open.
 * A part's files are fsynced before its "sealed" record, and removed after its "done".
 * On open, a part with a batch and no "done" is in flight: its keys are loaded, so adding them
 * again is a no-op (reattach), and collect polls it. A part uploaded whose batch is not
 * recorded may have been created with the reply lost: the account's batches are searched for
 * its file before it is created (OpenAI). A part sealed but never sent is dropped (its
 * requests are not in the journal: the caller adds them again).
 */

#define OPENAI_MAX_REQUESTS    50000u
#define OPENAI_MAX_BYTES       (200u * 1000u * 1000u)
#define ANTHROPIC_MAX_REQUESTS 100000u
#define ANTHROPIC_MAX_BYTES    (256u * 1000u * 1000u)
#define WRAP_BYTES             15u /* {"requests":[ ... ]} */

enum { P_SEALED, P_UPLOADED, P_SUBMITTED, P_DONE };

typedef struct part {
    unsigned index;
    int state;
    size_t n;
    char id[128];
    char file_id[128]; /* OpenAI: the uploaded input file */
    int replayed;      /* uploaded by an earlier process: it may have made the batch */
} part;

struct cai_batch {
    cai_judge *j;
    cai_bhttp *h;
    cai_batch_opts o;
    cai_backend backend;
    cai_journal *jn; /* the state: "b" records (borrowed) */
    char *dir;       /* the parts' directory */
    cai_htab keys;   /* keys spooled or in flight (never 0) */
    part *parts;
    size_t nparts, pcap;
    unsigned next_index;
    FILE *spool, *meta; /* the part being written */
    size_t spool_n, spool_bytes;
    volatile sig_atomic_t stop;
    cai_batch_stats st;
};

void cai_batch__custom_id(uint64_t key, char out[24])
{
    snprintf(out, 24, "cai-%016" PRIx64, key);
}

static int key_of_custom_id(const char *s, uint64_t *key)
{
    char *end;

    if (strncmp(s, "cai-", 4) != 0 || strlen(s) != 20)
        return -1;
    errno = 0;
    *key = strtoull(s + 4, &end, 16);
    return errno || *end ? -1 : 0;
}

/* ---- the key set ---------------------------------------------------------------------------- */

static int keys_has(const cai_batch *b, uint64_t k)
{
    k = k ? k : 1;
    return cai_htab__find(&b->keys, &k) != NULL;
}

static int keys_put(cai_batch *b, uint64_t k)
{
    int found;

    k = k ? k : 1;
    return cai_htab__insert(&b->keys, &k, &found) ? 0 : -1;
}

/* ---- the state log -------------------------------------------------------------------------- */

/* One state record, made durable at once (with the judgments written before it). */
static cai_status log_part(cai_batch *b, const char *ev, const part *p, cai_error *err)
{
    cJSON *o = cJSON_CreateObject();
    char *txt;
    cai_status st;

    cJSON_AddStringToObject(o, "ev", ev);
    cJSON_AddNumberToObject(o, "p", p->index);
    if (strcmp(ev, "sealed") == 0)
        cJSON_AddNumberToObject(o, "n", (double)p->n);
    if (strcmp(ev, "batch") == 0)
        cJSON_AddStringToObject(o, "id", p->id);
    if (strcmp(ev, "upload") == 0)
        cJSON_AddStringToObject(o, "f", p->file_id);
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!txt)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai_journal__add_batch(b->jn, txt, err);
    cJSON_free(txt);
    if (st == CAI_OK)
        st = cai_journal__sync(b->jn, 1, err);
    return st;
}

static part *part_find(cai_batch *b, unsigned index)
{
    size_t i;

    for (i = 0; i < b->nparts; i++)
        if (b->parts[i].index == index)
            return &b->parts[i];
    return NULL;
}

static part *part_add(cai_batch *b, unsigned index)
{
    part *np = cai__grow(b->parts, &b->pcap, b->nparts + 1, sizeof(*np), 8);

    if (!np)
        return NULL;
    b->parts = np;
    np = &b->parts[b->nparts++];
    memset(np, 0, sizeof(*np));
    np->index = index;
    if (index >= b->next_index)
        b->next_index = index + 1;
    return np;
}

static char *part_path(const cai_batch *b, unsigned index, const char *ext)
{
    size_t n = strlen(b->dir) + 40;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s/part-%u.%s", b->dir, index, ext);
    return p;
}

static void part_unlink(const cai_batch *b, unsigned index)
{
    char *a = part_path(b, index, "jsonl"), *m = part_path(b, index, "meta");

    if (a)
        unlink(a);
    if (m)
        unlink(m);
    free(a);
    free(m);
}

/* Reads one meta file's keys into the key set (a part in flight). */
static cai_status load_keys(cai_batch *b, unsigned index, cai_error *err)
{
    char *path = part_path(b, index, "meta"), *line = NULL;
    size_t lcap = 0;
    FILE *f;
    cai_status st = CAI_OK;

    if (!path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    f = fopen(path, "re");
    if (!f) {
        st = cai_error__set(err, CAI_EIO, "%s: %s (a batch in flight needs it)", path,
                            strerror(errno));
        free(path);
        return st;
    }
    while (st == CAI_OK && getline(&line, &lcap, f) > 0) {
        uint64_t k;
        char cid[21];
        /* lines start {"c":"cai-<16 hex>" */
        if (strncmp(line, "{\"c\":\"", 6) != 0 || strlen(line) < 26) {
            st = cai_error__set(err, CAI_EPARSE, "%s: damaged line", path);
            break;
        }
        memcpy(cid, line + 6, 20);
        cid[20] = '\0';
        if (key_of_custom_id(cid, &k) != 0)
            st = cai_error__set(err, CAI_EPARSE, "%s: damaged line", path);
        else if (keys_put(b, k) != 0)
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    free(line);
    fclose(f);
    free(path);
    return st;
}

/* Applies one state record ({"ev","p",...}: a "b" record, or a line of the old batches.cai
 * whose event is in "t") to b's parts. */
static cai_status apply_record(cai_batch *b, const cJSON *o, const char *evkey, cai_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, evkey);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "p"), *v;
    part *pt;

    if (!cJSON_IsString(t) || !cJSON_IsNumber(p) || p->valuedouble < 0 || p->valuedouble > 1e9)
        return CAI_OK; /* not one this version knows: skipped */
    pt = part_find(b, (unsigned)p->valuedouble);
    if (!pt && !(pt = part_add(b, (unsigned)p->valuedouble)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (strcmp(t->valuestring, "sealed") == 0) {
        v = cJSON_GetObjectItemCaseSensitive(o, "n");
        pt->n = cJSON_IsNumber(v) ? (size_t)v->valuedouble : 0;
    } else if (strcmp(t->valuestring, "upload") == 0) {
        v = cJSON_GetObjectItemCaseSensitive(o, "f");
        if (cJSON_IsString(v))
            snprintf(pt->file_id, sizeof(pt->file_id), "%s", v->valuestring);
        if (pt->state < P_UPLOADED)
            pt->state = P_UPLOADED;
        pt->replayed = 1;
    } else if (strcmp(t->valuestring, "batch") == 0) {
        v = cJSON_GetObjectItemCaseSensitive(o, "id");
        if (cJSON_IsString(v))
            snprintf(pt->id, sizeof(pt->id), "%s", v->valuestring);
        pt->state = P_SUBMITTED;
    } else if (strcmp(t->valuestring, "done") == 0) {
        pt->state = P_DONE;
    }
    return CAI_OK;
}

/* The parts as the journal's "b" records leave them. */
static cai_status read_state(cai_batch *b, const cai_journal *jn, cai_error *err)
{
    size_t i, n = cai_journal__batch_count(jn);
    cai_status st = CAI_OK;

    for (i = 0; i < n && st == CAI_OK; i++) {
        cJSON *o = cJSON_Parse(cai_journal__batch_record(jn, i));

        st = apply_record(b, o, "ev", err);
        cJSON_Delete(o);
    }
    return st;
}

static cai_status replay(cai_batch *b, cai_error *err)
{
    cai_status st = read_state(b, b->jn, err);
    size_t i;

    for (i = 0; st == CAI_OK && i < b->nparts; i++) {
        part *p = &b->parts[i];
        if (p->state == P_SUBMITTED || p->state == P_UPLOADED) {
            st = load_keys(b, p->index, err);
        } else {
            /* done: its replies are in the journal; sealed only: never sent, added again */
            part_unlink(b, p->index);
        }
    }
    /* forget what is not in flight */
    for (i = 0; i < b->nparts;) {
        if (b->parts[i].state != P_SUBMITTED && b->parts[i].state != P_UPLOADED)
            b->parts[i] = b->parts[--b->nparts];
        else
            i++;
    }
    return st;
}

cai_status cai_batch__open(cai_batch **out, cai_judge *j, const cai_batch_opts *o, cai_error *err)
{
    cai_batch *b;
    cai_judge_opts jo;
    cai_bhttp_opts ho;
    cai_status st;
    size_t n;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out && j && o && o->journal && o->dir);
    *out = NULL;
    cai_judge_get_opts(j, &jo);
    if (jo.backend == CAI_BACKEND_BUILTIN)
        return cai_error__set(err, CAI_EINVAL,
                              "batch: the builtin backend sends nothing; batches need openai, "
                              "completions or anthropic");
    b = calloc(1, sizeof(*b));
    if (!b)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cai_htab__init(&b->keys, sizeof(uint64_t), sizeof(uint64_t));
    b->j = j;
    b->o = *o;
    b->o.api_key = NULL; /* kept only by the HTTP side */
    b->backend = jo.backend;
    {
        size_t mr =
            jo.backend == CAI_BACKEND_ANTHROPIC ? ANTHROPIC_MAX_REQUESTS : OPENAI_MAX_REQUESTS;
        size_t mb = jo.backend == CAI_BACKEND_ANTHROPIC ? ANTHROPIC_MAX_BYTES : OPENAI_MAX_BYTES;
        /* 0 or more than the provider takes: the provider's limit */
        if (!b->o.max_requests || b->o.max_requests > mr)
            b->o.max_requests = mr;
        if (!b->o.max_bytes || b->o.max_bytes > mb)
            b->o.max_bytes = mb;
    }
    if (b->o.poll_s <= 0)
        b->o.poll_s = 30;
    if (!b->o.max_rounds)
        b->o.max_rounds = 3;
    b->jn = o->journal;
    b->dir = strdup(o->dir);
    if (!b->dir) {
        cai_batch__free(b);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    if ((st = cai__mkdir_p(b->dir, err)) != CAI_OK) {
        cai_batch__free(b);
        return st;
    }
    memset(&ho, 0, sizeof(ho));
    ho.backend = jo.backend;
    ho.base_url = jo.base_url;
    ho.api_key = o->api_key;
    ho.anthropic_version = jo.anthropic_version;
    ho.ca_bundle = jo.ca_bundle;
    ho.timeout_s = o->timeout_s;
    if ((st = replay(b, err)) != CAI_OK || (st = cai_bhttp__create(&b->h, &ho, err)) != CAI_OK) {
        cai_batch__free(b);
        return st;
    }
    for (n = 0; n < b->nparts; n++)
        b->st.in_flight += b->parts[n].state == P_SUBMITTED;
    *out = b;
    return CAI_OK;
}

/* ---- spooling ------------------------------------------------------------------------------- */

static cai_status spool_open(cai_batch *b, cai_error *err)
{
    char *a = part_path(b, b->next_index, "jsonl"), *m = part_path(b, b->next_index, "meta");
    cai_status st = CAI_OK;

    if (!a || !m)
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    else if (!(b->spool = fopen(a, "we")) || !(b->meta = fopen(m, "we")))
        st = cai_error__set(err, CAI_EIO, "%s: %s", b->spool ? m : a, strerror(errno));
    free(a);
    free(m);
    b->spool_n = 0;
    b->spool_bytes = b->backend == CAI_BACKEND_ANTHROPIC ? WRAP_BYTES : 0;
    return st;
}

static int close_synced(FILE *f)
{
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;

    return fclose(f) == 0 && rc == 0 ? 0 : -1;
}

/* The current part is complete: made durable and recorded. */
static cai_status seal(cai_batch *b, cai_error *err)
{
    part *p;
    int bad;

    if (!b->spool)
        return CAI_OK;
    bad = close_synced(b->spool) != 0;
    bad |= close_synced(b->meta) != 0;
    b->spool = b->meta = NULL;
    if (bad)
        return cai_error__set(err, CAI_EIO, "%s: cannot write a batch part: %s", b->dir,
                              strerror(errno));
    p = part_add(b, b->next_index);
    if (!p)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    p->n = b->spool_n;
    p->state = P_SEALED;
    return log_part(b, "sealed", p, err);
}

/* Appends one request line (and its meta line) to the spool, sealing the part first when the
 * line would take it past a limit. */
static cai_status
spool_put(cai_batch *b, const char *line, size_t len, const char *meta, cai_error *err)
{
    size_t need = len + 1;
    cai_status st;

    if (b->backend == CAI_BACKEND_ANTHROPIC)
        need = len + 1; /* a comma between elements */
    if ((b->backend == CAI_BACKEND_ANTHROPIC ? WRAP_BYTES : 0) + need > b->o.max_bytes)
        return cai_error__set(err, CAI_ELIMIT,
                              "batch: one request of %zu bytes is over the batch limit of %zu", len,
                              b->o.max_bytes);
    if (b->spool &&
        (b->spool_n + 1 > b->o.max_requests || b->spool_bytes + need > b->o.max_bytes)) {
        if ((st = seal(b, err)) != CAI_OK)
            return st;
    }
    if (!b->spool && (st = spool_open(b, err)) != CAI_OK)
        return st;
    if (fwrite(line, 1, len, b->spool) != len || putc('\n', b->spool) == EOF ||
        fputs(meta, b->meta) == EOF || putc('\n', b->meta) == EOF)
        return cai_error__set(err, CAI_EIO, "%s: %s", b->dir, strerror(errno));
    b->spool_n++;
    b->spool_bytes += need;
    return CAI_OK;
}

static char *meta_line(const cai_batch_item *it, const char *cid, unsigned est, unsigned round)
{
    cJSON *o = cJSON_CreateObject();
    char key[17];
    char *t;

    snprintf(key, sizeof(key), "%016" PRIx64, it->key);
    cJSON_AddStringToObject(o, "c", cid); /* first: load_keys reads it without parsing */
    cJSON_AddStringToObject(o, "k", key);
    cJSON_AddStringToObject(o, "id", it->pair_id);
    cJSON_AddStringToObject(o, "pr", it->principle_id);
    cJSON_AddNumberToObject(o, "o", it->order);
    cJSON_AddNumberToObject(o, "s", it->sample);
    cJSON_AddNumberToObject(o, "e", est);
    cJSON_AddNumberToObject(o, "r", round);
    t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

cai_status
cai_batch__add(cai_batch *b, const cai_batch_item *it, const cai_judge_task *t, cai_error *err)
{
    char cid[24], *body = NULL, *line = NULL, *meta = NULL;
    size_t n;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, b && it && t);
    if (keys_has(b, it->key)) {
        b->st.reattached++;
        return CAI_OK;
    }
    cai_batch__custom_id(it->key, cid);
    st = cai_judge_request_body(b->j, t, &body, err);
    if (st != CAI_OK)
        return st;
    n = strlen(body) + 128;
    line = malloc(n);
    meta = meta_line(it, cid, cai_judge_estimate_tokens(b->j, t), 1);
    if (!line || !meta) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    /* the body's bytes as the online engine sends them, not re-printed */
    if (b->backend == CAI_BACKEND_ANTHROPIC)
        n = (size_t)snprintf(line, n, "{\"custom_id\":\"%s\",\"params\":%s}", cid, body);
    else
        n = (size_t)snprintf(
            line, n, "{\"custom_id\":\"%s\",\"method\":\"POST\",\"url\":\"%s\",\"body\":%s}", cid,
            cai_bhttp__endpoint(b->h), body);
    st = spool_put(b, line, n, meta, err);
    if (st == CAI_OK && keys_put(b, it->key) != 0)
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (st == CAI_OK)
        b->st.added++;
out:
    free(body);
    free(line);
    cJSON_free(meta);
    return st;
}

cai_status cai_batch__submit(cai_batch *b, cai_error *err)
{
    size_t i;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, b);
    if ((st = seal(b, err)) != CAI_OK)
        return st;
    for (i = 0; i < b->nparts; i++) {
        part *p = &b->parts[i];
        char *path;

        if (p->state != P_SEALED && p->state != P_UPLOADED)
            continue;
        if (p->n == 0) {
            part_unlink(b, p->index);
            p->state = P_DONE;
            continue;
        }
        path = part_path(b, p->index, "jsonl");
        if (!path)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        st = CAI_OK;
        if (b->backend != CAI_BACKEND_ANTHROPIC && p->state == P_SEALED) {
            st = cai_bhttp__upload(b->h, path, p->file_id, err);
            if (st == CAI_OK) {
                p->state = P_UPLOADED;
                st = log_part(b, "upload", p, err);
            }
        } else if (p->state == P_UPLOADED && p->replayed) {
            /* an earlier process may have created it and lost the reply */
            st = cai_bhttp__find(b->h, p->file_id, p->id, err);
        }
        if (st == CAI_OK && !p->id[0])
            st = cai_bhttp__make(b->h, path, p->file_id, p->id, err);
        free(path);
        if (st != CAI_OK)
            return st;
        p->state = P_SUBMITTED;
        /* recorded at once: a kill from here on reattaches instead of submitting again */
        if ((st = log_part(b, "batch", p, err)) != CAI_OK)
            return st;
        b->st.batches++;
        b->st.submitted += p->n;
        b->st.in_flight++;
    }
    return CAI_OK;
}

/* ---- collecting ----------------------------------------------------------------------------- */

/* A part's requests in the order of its spool (the meta file is written in step with it), and a
 * cai_htab from each key to its place there: whatever walks the part walks that order, so the
 * failures reported and the requests spooled again come in the order they were first spooled,
 * whatever the keys hash to. */
typedef struct mitem {
    uint64_t key;
    char *pair_id, *principle_id;
    unsigned order, sample, est, round;
    int seen; /* a result line came for it */
    int retry;
    char *why; /* retry: the reason */
} mitem;

typedef struct mslot {
    uint64_t key; /* never 0: a zero key is stored as 1 */
    size_t i;     /* into collecting.m */
} mslot;

typedef struct collecting {
    cai_batch *b;
    mitem *m;
    size_t n, cap;
    cai_htab at; /* key -> mslot */
    cai_batch_result_fn fn;
    void *payload;
    cai_error *err;
} collecting;

static mitem *m_find(collecting *c, uint64_t key)
{
    const mslot *s;

    key = key ? key : 1;
    s = cai_htab__find(&c->at, &key);
    return s ? &c->m[s->i] : NULL;
}

static void m_free(collecting *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        free(c->m[i].pair_id);
        free(c->m[i].principle_id);
        free(c->m[i].why);
    }
    free(c->m);
    c->m = NULL;
    c->n = c->cap = 0;
    cai_htab__dispose(&c->at);
}

/* The item of key: a new one at the end, or the one already there (a key is spooled once a
 * part, but a repeated line must not leak the first). NULL when out of memory. */
static mitem *m_put(collecting *c, uint64_t key)
{
    uint64_t k = key ? key : 1;
    mslot *s;
    mitem *m;
    int found;

    if (c->n == c->cap) {
        mitem *nm = cai__grow(c->m, &c->cap, c->n + 1, sizeof(*nm), 16);
        if (!nm)
            return NULL;
        c->m = nm;
    }
    if (!(s = cai_htab__insert(&c->at, &k, &found)))
        return NULL;
    if (found) {
        m = &c->m[s->i];
        free(m->pair_id);
        free(m->principle_id);
        free(m->why);
    } else {
        s->i = c->n++;
        m = &c->m[s->i];
    }
    memset(m, 0, sizeof(*m));
    m->key = key;
    return m;
}

static cai_status load_meta(collecting *c, const part *p, cai_error *err)
{
    char *path = part_path(c->b, p->index, "meta"), *line = NULL;
    size_t lcap = 0;
    FILE *f;
    cai_status st = CAI_OK;

    cai_htab__init(&c->at, sizeof(mslot), sizeof(uint64_t));
    if (!path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    f = fopen(path, "re");
    if (!f) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
        free(path);
        return st;
    }
    while (st == CAI_OK && getline(&line, &lcap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *c1 = cJSON_GetObjectItemCaseSensitive(o, "c");
        uint64_t key;
        mitem *m;

        if (!cJSON_IsString(c1) || key_of_custom_id(c1->valuestring, &key) != 0) {
            cJSON_Delete(o);
            st = cai_error__set(err, CAI_EPARSE, "%s: damaged line", path);
            break;
        }
        if (!(m = m_put(c, key))) {
            cJSON_Delete(o);
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            break;
        }
        m->pair_id = strdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id")));
        m->principle_id = strdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "pr")));
        m->order = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "o"));
        m->sample = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "s"));
        m->est = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "e"));
        m->round = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "r"));
        if (!m->pair_id || !m->principle_id)
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    free(path);
    return st;
}

static void item_of(const mitem *m, cai_batch_item *it)
{
    it->key = m->key;
    it->pair_id = m->pair_id;
    it->principle_id = m->principle_id;
    it->order = m->order;
    it->sample = m->sample;
}

static void mark_retry(mitem *m, const char *why)
{
    m->seen = 1;
    m->retry = 1;
    free(m->why);
    m->why = strdup(why ? why : "no result");
}

cai_status cai_batch__parse_result(cai_backend backend,
                                   const char *line,
                                   size_t len,
                                   uint64_t *key,
                                   char **reply,
                                   char *why,
                                   size_t why_cap)
{
    cJSON *o = cJSON_ParseWithLength(line, len), *body = NULL;
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(o, "custom_id");

    *reply = NULL;
    if (why_cap)
        why[0] = '\0';
    if (!cJSON_IsString(cid) || key_of_custom_id(cid->valuestring, key) != 0) {
        cJSON_Delete(o);
        return CAI_ESCHEMA;
    }
    if (backend == CAI_BACKEND_ANTHROPIC) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "result");
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "type"));

        if (type && strcmp(type, "succeeded") == 0) {
            body = cJSON_GetObjectItemCaseSensitive(r, "message");
        } else if (type && strcmp(type, "errored") == 0) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(r, "error"), "error");
            const char *et = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type"));
            const char *em = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
            snprintf(why, why_cap, "batch: errored: %.60s: %.200s", et ? et : "error",
                     em ? em : "no message");
        } else {
            snprintf(why, why_cap, "batch: %.40s", type ? type : "no result type");
        }
    } else {
        const cJSON *resp = cJSON_GetObjectItemCaseSensitive(o, "response");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(resp, "status_code");

        if (cJSON_IsObject(e)) {
            const char *ec = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
            const char *em = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
            snprintf(why, why_cap, "batch: %.60s: %.200s", ec ? ec : "error",
                     em ? em : "no message");
        } else if (cJSON_IsNumber(code) && code->valueint == 200) {
            body = cJSON_GetObjectItemCaseSensitive(resp, "body");
        } else {
            const cJSON *eb = cJSON_GetObjectItemCaseSensitive(resp, "body");
            char *txt = eb ? cJSON_PrintUnformatted(eb) : NULL;
            char *msg = txt ? cai_wire__error_message(txt, strlen(txt), NULL) : NULL;
            snprintf(why, why_cap, "batch: HTTP %d: %.200s",
                     cJSON_IsNumber(code) ? code->valueint : 0, msg ? msg : "no body");
            free(msg);
            cJSON_free(txt);
        }
    }
    if (body && !(*reply = cJSON_PrintUnformatted(body))) {
        cJSON_Delete(o);
        return CAI_ENOMEM;
    }
    cJSON_Delete(o);
    return CAI_OK;
}

/* One result line of either provider. */
static cai_status on_line(const char *line, size_t len, void *payload)
{
    collecting *c = payload;
    char why[300], *reply = NULL;
    uint64_t key;
    mitem *m;
    cai_status st;

    st = cai_batch__parse_result(c->b->backend, line, len, &key, &reply, why, sizeof(why));
    if (st == CAI_ENOMEM)
        return cai_error__set(c->err, CAI_ENOMEM, "out of memory");
    if (st != CAI_OK || !(m = m_find(c, key)) || m->seen) {
        cJSON_free(reply); /* not one of ours, or a repeat: ignored */
        return CAI_OK;
    }
    if (reply) {
        cai_judgment res;
        cai_error e2 = {0};
        cai_status rs = cai_judge__batch_reply(c->b->j, m->est, reply, strlen(reply), &res, &e2);

        cJSON_free(reply);
        if (rs == CAI_OK) {
            cai_batch_item it;
            m->seen = 1;
            item_of(m, &it);
            c->b->st.succeeded++;
            return c->fn(&it, CAI_OK, &res, NULL, c->payload, c->err);
        }
        mark_retry(m, e2.msg);
        return CAI_OK;
    }
    mark_retry(m, why);
    return CAI_OK;
}

/* Re-spools the part's requests marked for another round; the others fail for good. Both walk
 * the part's spool order (the failures the meta file's, the new lines the request file's, which
 * are written in step), so a resubmission is deterministic and independent of the hashing. */
static cai_status requeue(collecting *c, const part *p, cai_error *err)
{
    cai_batch *b = c->b;
    char *path = part_path(b, p->index, "jsonl"), *line = NULL;
    size_t lcap = 0, i;
    ssize_t n;
    FILE *f;
    cai_status st = CAI_OK;

    /* spool order: the failures are reported in the order the requests were spooled */
    for (i = 0; i < c->n && st == CAI_OK; i++) {
        mitem *m = &c->m[i];
        cai_batch_item it;

        if (!m->seen)
            mark_retry(m, p->id[0] ? "batch: no result for it" : "batch: not run");
        if (m->retry && m->round >= b->o.max_rounds) {
            char msg[512];
            m->retry = 0;
            item_of(m, &it);
            snprintf(msg, sizeof(msg), "%.300s (after %u batch submissions)", m->why, m->round);
            b->st.failed++;
            st = c->fn(&it, strstr(m->why, "no verdict") ? CAI_EVERDICT : CAI_EHTTP, NULL, msg,
                       c->payload, err);
        }
    }
    if (st != CAI_OK || !path) {
        free(path);
        return st != CAI_OK ? st : cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    f = fopen(path, "re");
    if (!f) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
        free(path);
        return st;
    }
    while (st == CAI_OK && (n = getline(&line, &lcap, f)) > 0) {
        uint64_t key;
        char cid[21];
        mitem *m;
        char *meta;
        cai_batch_item it;

        if (line[n - 1] == '\n')
            line[--n] = '\0';
        /* every line starts {"custom_id":"cai-<16 hex>" (cai_batch__add wrote it) */
        if (n < 35 || strncmp(line, "{\"custom_id\":\"", 14) != 0)
            continue;
        memcpy(cid, line + 14, 20);
        cid[20] = '\0';
        if (key_of_custom_id(cid, &key) != 0 || !(m = m_find(c, key)) || !m->retry)
            continue;
        item_of(m, &it);
        meta = meta_line(&it, cid, m->est, m->round + 1);
        if (!meta) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            break;
        }
        st = spool_put(b, line, (size_t)n, meta, err);
        cJSON_free(meta);
        b->st.retried++;
    }
    free(line);
    fclose(f);
    free(path);
    return st;
}

static cai_status collect_part(cai_batch *b,
                               part *p,
                               const cai_bhttp_status *s,
                               cai_batch_result_fn fn,
                               void *payload,
                               cai_error *err)
{
    collecting c;
    unsigned index = p->index;
    cai_status st;

    memset(&c, 0, sizeof(c));
    c.b = b;
    c.fn = fn;
    c.payload = payload;
    c.err = err;
    st = load_meta(&c, p, err);
    if (st == CAI_OK && !s->failed && s->out_ref[0])
        st = cai_bhttp__download(b->h, s->out_ref, on_line, &c, err);
    if (st == CAI_OK && !s->failed && s->err_ref[0])
        st = cai_bhttp__download(b->h, s->err_ref, on_line, &c, err);
    if (st == CAI_OK && s->failed) {
        size_t i;
        char why[300];
        snprintf(why, sizeof(why), "batch %s failed: %s", p->id, s->message);
        for (i = 0; i < c.n; i++)
            mark_retry(&c.m[i], why);
    }
    if (st == CAI_OK)
        st = requeue(&c, p, err);
    m_free(&c);
    if (st != CAI_OK)
        return st;
    p = part_find(b, index); /* requeue may have sealed a part: b->parts moved */
    p->state = P_DONE;
    if ((st = log_part(b, "done", p, err)) != CAI_OK)
        return st;
    part_unlink(b, p->index);
    b->st.in_flight--;
    return CAI_OK;
}

static void nap(cai_batch *b, double s)
{
    double until = cai__mono_s() + s;

    while (!b->stop && cai__mono_s() < until) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        double left = until - cai__mono_s();
        if (left < 0.02 && left > 0)
            ts.tv_nsec = (long)(left * 1e9);
        nanosleep(&ts, NULL);
    }
}

cai_status cai_batch__collect(cai_batch *b, cai_batch_result_fn fn, void *payload, cai_error *err)
{
    double deadline;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, b && fn);
    deadline = b->o.wait_s < 0 ? -1 : cai__mono_s() + b->o.wait_s;
    for (;;) {
        size_t i;
        int busy = 0;
        cai_batch_progress pr;

        memset(&pr, 0, sizeof(pr));
        for (i = 0; i < b->nparts; i++) {
            part *p = &b->parts[i];
            cai_bhttp_status s;

            if (p->state != P_SUBMITTED)
                continue;
            if (b->stop)
                return cai_error__set(err, CAI_EINTERRUPTED,
                                      "interrupted; the batches in flight are recorded, run the "
                                      "same command to collect them");
            st = cai_bhttp__poll(b->h, p->id, &s, err);
            b->st.polls++;
            if (st != CAI_OK)
                return st;
            pr.polled++;
            pr.requests += s.total;
            pr.done += s.done;
            pr.failed += s.bad;
            if (!s.ended) {
                pr.in_flight++;
                busy = 1;
                continue;
            }
            if ((st = collect_part(b, p, &s, fn, payload, err)) != CAI_OK)
                return st;
        }
        if (pr.polled && b->o.progress)
            b->o.progress(&pr, b->o.progress_payload);
        if (b->spool) {
            /* requests to send again go out in a new batch, polled in this same loop */
            if ((st = cai_batch__submit(b, err)) != CAI_OK)
                return st;
            continue;
        }
        if (!busy) {
            rmdir(b->dir); /* empty once every part is done; kept (and fine) otherwise */
            return CAI_OK;
        }
        if (deadline >= 0 && cai__mono_s() >= deadline)
            return cai_error__set(err, CAI_ETIMEOUT,
                                  "%u batches are still running; they are recorded: run the same "
                                  "command again to collect them",
                                  b->st.in_flight);
        nap(b, b->o.poll_s);
    }
}

cai_status cai_batch__pending(const cai_journal *jn, unsigned *n, cai_error *err)
{
    cai_batch b;
    cai_status st;
    size_t i;

    *n = 0;
    memset(&b, 0, sizeof(b));
    st = read_state(&b, jn, err);
    for (i = 0; i < b.nparts; i++)
        *n += b.parts[i].state == P_SUBMITTED || b.parts[i].state == P_UPLOADED;
    free(b.parts);
    return st;
}

/*
 * The state log of cai before the batch state moved into the journal: lines
 * {"t":EVENT,"p":P,...}<TAB>CRC32, the events those of the "b" records. Each intact line becomes
 * a "b" record, made durable, then the file is removed. A kill between the two migrates it again
 * on the next run: replaying the same events twice leaves the same state.
 */
cai_status cai_batch__migrate(cai_journal *jn, const char *old_path, unsigned *n, cai_error *err)
{
    FILE *f = fopen(old_path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    cai_status st = CAI_OK;

    *n = 0;
    if (!f)
        return errno == ENOENT ? CAI_OK
                               : cai_error__set(err, CAI_EIO, "%s: %s", old_path, strerror(errno));
    while (st == CAI_OK && (len = getline(&line, &cap, f)) > 0) {
        char *tab = memchr(line, '\t', (size_t)len), *txt;
        unsigned long want;
        cJSON *o, *t;

        lineno++;
        if (line[len - 1] != '\n' || !tab || sscanf(tab + 1, "%8lx", &want) != 1 ||
            crc32(0L, (const Bytef *)line, (uInt)(tab - line)) != want)
            break; /* a torn tail: the process died writing it, as the old reader took it */
        o = cJSON_ParseWithLength(line, (size_t)(tab - line));
        t = cJSON_DetachItemFromObjectCaseSensitive(o, "t");
        if (!cJSON_IsString(t)) {
            cJSON_Delete(t);
            cJSON_Delete(o);
            st = cai_error__set(err, CAI_EPARSE,
                                "%s:%lu: not a batch state line; move the file aside if this "
                                "directory has no batches in flight",
                                old_path, lineno);
            break;
        }
        cJSON_AddItemToObject(o, "ev", t); /* the event, under the name "b" records use */
        txt = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        st = txt ? cai_journal__add_batch(jn, txt, err)
                 : cai_error__set(err, CAI_ENOMEM, "out of memory");
        cJSON_free(txt);
        (*n)++;
    }
    free(line);
    fclose(f);
    if (st == CAI_OK)
        st = cai_journal__sync(jn, 1, err);
    if (st == CAI_OK && unlink(old_path) != 0)
        st = cai_error__set(err, CAI_EIO, "%s: %s", old_path, strerror(errno));
    return st;
}

void cai_batch__get_stats(const cai_batch *b, cai_batch_stats *out)
{
    *out = b->st;
}

void cai_batch__stop(cai_batch *b)
{
    b->stop = 1;
}

void cai_batch__free(cai_batch *b)
{
    if (!b)
        return;
    if (b->spool)
        fclose(b->spool);
    if (b->meta)
        fclose(b->meta);
    cai_bhttp__free(b->h);
    cai_htab__dispose(&b->keys);
    free(b->parts);
    free(b->dir);
    free(b);
}
