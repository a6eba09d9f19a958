/* SPDX-License-Identifier: MIT */
/* The run journal: append-only lines "JSON<TAB>CRC32", replayed into a hash table on resume. */
#include "journal_int.h"
#include "cai/hash.h"
#include "error_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define JOURNAL_VERSION  1
#define JOURNAL_MAX_LINE (1u << 20)

struct cai_journal {
    char *path;
    int fd;
    cai_jentry *slots; /* open addressing; key 0 = empty */
    size_t cap;        /* power of two */
    size_t used;       /* occupied slots */
    size_t count;      /* entries loaded + added */
    size_t loaded;
    size_t repaired;
    char *buf; /* pending appends */
    size_t len, bufcap;
};

/* ---- hash table ------------------------------------------------------------------------ */

static cai_status table_grow(cai_journal *j, cai_error *err)
{
    size_t ncap = j->cap ? j->cap * 2 : 1024, i;
    cai_jentry *ns = calloc(ncap, sizeof(*ns));

    if (!ns)
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    for (i = 0; i < j->cap; i++) {
        size_t h;
        if (!j->slots[i].key)
            continue;
        for (h = j->slots[i].key & (ncap - 1); ns[h].key; h = (h + 1) & (ncap - 1))
            ;
        ns[h] = j->slots[i];
    }
    free(j->slots);
    j->slots = ns;
    j->cap = ncap;
    return CAI_OK;
}

static cai_status table_put(cai_journal *j, const cai_jentry *e, cai_error *err)
{
    size_t h;
    cai_status st;

    if ((j->used + 1) * 2 > j->cap && (st = table_grow(j, err)) != CAI_OK)
        return st;
    for (h = e->key & (j->cap - 1); j->slots[h].key; h = (h + 1) & (j->cap - 1)) {
        if (j->slots[h].key == e->key) {
            j->slots[h] = *e; /* a re-judged key keeps the latest result */
            return CAI_OK;
        }
    }
    j->slots[h] = *e;
    j->used++;
    j->count++;
    return CAI_OK;
}

const cai_jentry *cai_journal__find(const cai_journal *j, uint64_t key)
{
    size_t h;

    if (!j->cap)
        return NULL;
    key = key ? key : 1;
    for (h = key & (j->cap - 1); j->slots[h].key; h = (h + 1) & (j->cap - 1))
        if (j->slots[h].key == key)
            return &j->slots[h];
    return NULL;
}

uint64_t
cai_journal__key(const char *pair_id, const char *principle_id, unsigned order, unsigned sample)
{
    uint64_t h = cai_hash64(pair_id, strlen(pair_id), 0x6a6f75726e616cULL);
    unsigned char tail[8];
    uint64_t k;

    h = cai_hash64(principle_id, strlen(principle_id), h);
    tail[0] = (unsigned char)order;
    tail[1] = (unsigned char)(order >> 8);
    tail[2] = (unsigned char)sample;
    tail[3] = (unsigned char)(sample >> 8);
    tail[4] = (unsigned char)(sample >> 16);
    tail[5] = (unsigned char)(sample >> 24);
    tail[6] = 0x1f;
    tail[7] = 0x1e;
    k = cai_hash64(tail, sizeof(tail), h);
    return k ? k : 1; /* 0 marks an empty slot */
}

double cai_journal__canon(double p)
{
    char tmp[40];

    snprintf(tmp, sizeof(tmp), "%.17g", p);
    return strtod(tmp, NULL);
}

/* ---- file format --------------------------------------------------------------------- */

static cai_status buf_append(cai_journal *j, const char *s, size_t n, cai_error *err)
{
    if (j->len + n > j->bufcap) {
        size_t ncap = j->bufcap ? j->bufcap : 65536;
        char *nb;
        while (ncap < j->len + n)
            ncap *= 2;
        nb = realloc(j->buf, ncap);
        if (!nb)
            return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
        j->buf = nb;
        j->bufcap = ncap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    return CAI_OK;
}

/* Appends "json\tCRC\n" for one JSON text. */
static cai_status append_line(cai_journal *j, const char *json, cai_error *err)
{
    size_t n = strlen(json);
    char tail[16];
    cai_status st;

    snprintf(tail, sizeof(tail), "\t%08lx\n",
             (unsigned long)crc32(0L, (const Bytef *)json, (uInt)n));
    if ((st = buf_append(j, json, n, err)) != CAI_OK)
        return st;
    return buf_append(j, tail, strlen(tail), err);
}

/* Checks "json\tCRC" (no newline); returns the parsed JSON or NULL. */
static cJSON *parse_line(char *line, size_t len)
{
    char *tab = NULL, *end = NULL;
    unsigned long want;
    size_t i;

    for (i = len; i > 0; i--) {
        if (line[i - 1] == '\t') {
            tab = line + i - 1;
            break;
        }
    }
    if (!tab || line + len - tab != 9)
        return NULL;
    errno = 0;
    want = strtoul(tab + 1, &end, 16);
    if (errno || end != line + len)
        return NULL;
    if (crc32(0L, (const Bytef *)line, (uInt)(tab - line)) != want)
        return NULL;
    return cJSON_ParseWithLength(line, (size_t)(tab - line));
}

static int get_u(const cJSON *o, const char *k, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    if (!cJSON_IsNumber(v))
        return -1;
    *out = v->valuedouble;
    return 0;
}

static cai_status load_entry(cai_journal *j, const cJSON *o, cai_error *err)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "k");
    cai_jentry e;
    double p, v, lp, pt, ct;

    memset(&e, 0, sizeof(e));
    if (!cJSON_IsString(k) || get_u(o, "p", &p) || get_u(o, "v", &v) || get_u(o, "lp", &lp) ||
        get_u(o, "pt", &pt) || get_u(o, "ct", &ct))
        return CAI_EPARSE;
    e.key = strtoull(k->valuestring, NULL, 16);
    if (!e.key)
        return CAI_EPARSE;
    e.p_first = p;
    e.verdict = (unsigned char)v;
    e.from_logprobs = (unsigned char)lp;
    e.prompt_tokens = (unsigned)pt;
    e.completion_tokens = (unsigned)ct;
    return table_put(j, &e, err);
}

/* Reads an existing journal; cuts a torn tail. */
static cai_status replay(cai_journal *j, const char *fingerprint, cai_error *err)
{
    FILE *f = fopen(j->path, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    off_t good_end = 0, pos = 0;
    int have_header = 0;
    cai_status st = CAI_OK;

    if (!f)
        return cai_error__set(err, CAI_EIO, "%s: %s", j->path, strerror(errno));
    while ((n = getline(&line, &cap, f)) > 0) {
        cJSON *o;
        pos += n;
        if (line[n - 1] != '\n')
            break; /* torn: the process died mid-write */
        line[n - 1] = '\0';
        o = parse_line(line, (size_t)n - 1);
        if (!o) {
            j->repaired += (size_t)n; /* corrupt record: its judgment is simply asked again */
            good_end = pos;
            continue;
        }
        if (!have_header) {
            const cJSON *fp = cJSON_GetObjectItemCaseSensitive(o, "fingerprint");
            const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "cai_journal");
            if (!cJSON_IsNumber(ver) || !cJSON_IsString(fp)) {
                cJSON_Delete(o);
                st = cai_error__set(err, CAI_EPARSE, "%s: not a cai journal (bad header)", j->path);
                break;
            }
            if (strcmp(fp->valuestring, fingerprint) != 0) {
                cJSON_Delete(o);
                st = cai_error__set(
                    err, CAI_EMISMATCH,
                    "%s: this output directory holds a run with different input, constitution or "
                    "label-changing settings; use a new --output directory (or delete it to start "
                    "over)",
                    j->path);
                break;
            }
            have_header = 1;
        } else if (load_entry(j, o, err) == CAI_OK) {
            j->loaded++;
        } else {
            j->repaired += (size_t)n;
        }
        cJSON_Delete(o);
        good_end = pos;
    }
    free(line);
    if (st == CAI_OK && ferror(f))
        st = cai_error__set(err, CAI_EIO, "%s: %s", j->path, strerror(errno));
    fclose(f);
    if (st != CAI_OK)
        return st;
    if (pos > good_end) {
        j->repaired += (size_t)(pos - good_end);
        if (truncate(j->path, good_end) != 0)
            return cai_error__set(err, CAI_EIO, "%s: cannot cut torn tail: %s", j->path,
                                  strerror(errno));
    }
    if (!have_header)
        return CAI_ITEROVER; /* empty or headerless: start afresh */
    return CAI_OK;
}

cai_status cai_journal__open(cai_journal **out,
                             const char *path,
                             const char *fingerprint,
                             const char *header_json,
                             cai_error *err)
{
    cai_journal *j;
    cai_status st;
    int fresh;

    *out = NULL;
    j = calloc(1, sizeof(*j));
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    }
    j->fd = -1;
    if ((st = table_grow(j, err)) != CAI_OK)
        goto fail;
    fresh = access(path, F_OK) != 0;
    if (!fresh) {
        st = replay(j, fingerprint, err);
        if (st == CAI_ITEROVER) {
            fresh = 1;
            if (truncate(path, 0) != 0) {
                st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
                goto fail;
            }
        } else if (st != CAI_OK) {
            goto fail;
        }
    }
    j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (fresh) {
        cJSON *h = cJSON_CreateObject();
        cJSON *settings = header_json ? cJSON_Parse(header_json) : NULL;
        char *txt;
        if (!h) {
            cJSON_Delete(settings);
            st = cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
            goto fail;
        }
        cJSON_AddNumberToObject(h, "cai_journal", JOURNAL_VERSION);
        cJSON_AddStringToObject(h, "fingerprint", fingerprint);
        if (settings)
            cJSON_AddItemToObject(h, "settings", settings);
        txt = cJSON_PrintUnformatted(h);
        cJSON_Delete(h);
        if (!txt) {
            st = cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
            goto fail;
        }
        st = append_line(j, txt, err);
        cJSON_free(txt);
        if (st == CAI_OK)
            st = cai_journal__sync(j, 1, err);
        if (st != CAI_OK)
            goto fail;
    }
    *out = j;
    return CAI_OK;
fail:
    cai_journal__free(j);
    return st;
}

cai_status cai_journal__add(cai_journal *j,
                            const cai_jentry *e,
                            const char *pair_id,
                            const char *principle_id,
                            unsigned order,
                            unsigned sample,
                            cai_error *err)
{
    cJSON *o = cJSON_CreateObject();
    char key[17], num[40];
    char *txt;
    cai_status st;

    if (!o)
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    snprintf(key, sizeof(key), "%016" PRIx64, e->key);
    snprintf(num, sizeof(num), "%.17g", e->p_first);
    cJSON_AddStringToObject(o, "k", key);
    cJSON_AddStringToObject(o, "id", pair_id);
    cJSON_AddStringToObject(o, "pr", principle_id);
    cJSON_AddNumberToObject(o, "o", order);
    cJSON_AddNumberToObject(o, "s", sample);
    cJSON_AddRawToObject(o, "p", num); /* exact digits: replay must give the same double */
    cJSON_AddNumberToObject(o, "v", e->verdict);
    cJSON_AddNumberToObject(o, "lp", e->from_logprobs);
    cJSON_AddNumberToObject(o, "pt", e->prompt_tokens);
    cJSON_AddNumberToObject(o, "ct", e->completion_tokens);
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!txt)
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    st = append_line(j, txt, err);
    cJSON_free(txt);
    /* Not added to the table: a run plans each key once, and keeping every new judgment in
     * memory would make memory grow with the input. Resume loads them from the file. */
    j->count++;
    return st;
}

cai_status cai_journal__sync(cai_journal *j, int durable, cai_error *err)
{
    size_t off = 0;

    while (off < j->len) {
        ssize_t w = write(j->fd, j->buf + off, j->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            /* keep what was not written; a retry (after space is freed) continues */
            memmove(j->buf, j->buf + off, j->len - off);
            j->len -= off;
            return cai_error__set(err, CAI_EIO, "%s: %s", j->path, strerror(errno));
        }
        off += (size_t)w;
    }
    j->len = 0;
    if (durable && fsync(j->fd) != 0)
        return cai_error__set(err, CAI_EIO, "%s: fsync: %s", j->path, strerror(errno));
    return CAI_OK;
}

size_t cai_journal__count(const cai_journal *j)
{
    return j->count;
}

size_t cai_journal__loaded(const cai_journal *j)
{
    return j->loaded;
}

size_t cai_journal__repaired(const cai_journal *j)
{
    return j->repaired;
}

void cai_journal__tokens(const cai_journal *j, uint64_t *prompt, uint64_t *completion)
{
    size_t i;

    *prompt = *completion = 0;
    for (i = 0; i < j->cap; i++) {
        if (j->slots[i].key == 0)
            continue;
        *prompt += j->slots[i].prompt_tokens;
        *completion += j->slots[i].completion_tokens;
    }
}

void cai_journal__free(cai_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0) {
        cai_journal__sync(j, 1, NULL);
        close(j->fd);
    }
    free(j->slots);
    free(j->buf);
    free(j->path);
    free(j);
}
