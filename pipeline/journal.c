/* SPDX-License-Identifier: MIT */
/* The run journal: append-only lines "JSON<TAB>CRC32", replayed into a hash table on resume. */
/*
 * The format (version 3), one file per output directory, every line "JSON<TAB>CRC32 in hex":
 * - line 1, the header: {"cai_journal":3,"fingerprint":SHA-256 hex of "settings",
 *   "settings":{the label-changing settings},"effective":{the rest, for humans}};
 * - then one record per finished request: {"t":KIND,"k":KEY,...}. "t" says what the record
 *   is, and so which keys follow; a stage reads the kinds it knows and skips the others (they
 *   are neither loaded nor counted as damage):
 *     "j"  a judgment: "k" (cai_journal__key in hex), "id", "pr", "o", "s" (pair, principle,
 *          order, sample), "p" (P(first), or the 1..7 score in rating mode, exact digits), "v"
 *          (verdict), "lp" (from log-probs), "pt", "ct" (tokens), optional "tr" (truncated)
 *          and "rt" (reasoning tokens), written only when not 0.
 *     "g"  a generation (sample, critique, revision: pipeline/stage.c): "k", "rk" (the request
 *          kind), "id", "r" (request index), "c" (choices: "x" text, "f" finish, "fr" the
 *          server's word, "ct" tokens or -1), "pt", "ct"; loaded as text, found by key.
 *     "b"  the state of `cai run --batch` (pipeline/batch.c): "ev" (sealed, upload, batch,
 *          done), "p" (the part), and "n", "f" or "id" by event; no "k". Loaded as text in
 *          file order, with those added since, for the batch client to replay (a few per
 *          part of up to 100,000 requests: small).
 *   Later stages add their own kinds with their own key
 *   spaces; a kind's keys only ever grow, with optional keys left out at their default.
 * Versions: 1 kept the settings as given ("0 = default"), 2 resolved them and versioned the
 * prompt template, 3 added "t" (a version-2 record, which has none, is a judgment). A version-2
 * journal resumes unchanged (its settings are in the current form); version 1 is upgraded
 * through the caller's upgrade function; a newer version is refused, naming the file.
 */
#include "journal_int.h"
#include "hash_int.h"
#include "htab_int.h"
#include "util_int.h"
#include "wire_int.h"
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

/* 1: settings as given ("0 = default"); 2: settings resolved, prompt template versioned;
 * 3: records carry their kind ("t"). See the format above. */
#define JOURNAL_VERSION  3
#define SETTINGS_CURRENT 2 /* the first version whose settings are in the current form */
#define KIND_JUDGMENT    "j"
#define KIND_GENERATION  "g"
#define KIND_BATCH       "b"
#define JOURNAL_MAX_LINE (1u << 20)

struct cai_journal {
    char *path;
    int fd;
    cai_htab table; /* cai_jentry by key (never 0) */
    size_t count;   /* entries loaded + added */
    size_t loaded;
    size_t repaired;
    size_t other;     /* records of kinds this reader does not load */
    unsigned version; /* of the file's header */
    int damaged;      /* the header failed its CRC */
    size_t intact;    /* damaged: entries whose CRCs hold */
    char damage[256]; /* damaged: what is wrong with the header */
    cai_buf buf;      /* pending appends */
    cai_htab gens;    /* generation records loaded at open: gentry by key (never 0) */
    /* batch state records, loaded and added, in file order: their JSON texts (owned) */
    char **btexts;
    size_t bn, bcap;
};

/* ---- hash table ------------------------------------------------------------------------ */

static cai_status table_put(cai_journal *j, const cai_jentry *e, cai_error *err)
{
    int found;
    uint64_t key = e->key ? e->key : 1; /* as cai_journal__find looks it up */
    cai_jentry *slot = cai_htab__insert(&j->table, &key, &found);

    if (!slot)
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    *slot = *e; /* a re-judged key keeps the latest result */
    slot->key = key;
    if (!found)
        j->count++;
    return CAI_OK;
}

const cai_jentry *cai_journal__find(const cai_journal *j, uint64_t key)
{
    key = key ? key : 1;
    return cai_htab__find(&j->table, &key);
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

/* ---- file format --------------------------------------------------------------------- */

static cai_status buf_append(cai_journal *j, const char *s, size_t n, cai_error *err)
{
    if (cai_buf__append(&j->buf, s, n) != 0)
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    return CAI_OK;
}

/* Ends the line that started at offset start of the pending appends with "\tCRC\n". After a
 * failed put (the buffer's sticky oom) the partial line is taken back, so none is written. */
static cai_status end_line(cai_journal *j, size_t start, cai_error *err)
{
    char tail[16];

    if (!j->buf.oom) {
        snprintf(tail, sizeof(tail), "\t%08lx\n",
                 (unsigned long)crc32(0L, (const Bytef *)j->buf.data + start,
                                      (uInt)(j->buf.len - start)));
        cai_buf__put(&j->buf, tail, strlen(tail));
    }
    if (j->buf.oom) {
        j->buf.len = start;
        if (j->buf.data)
            j->buf.data[start] = '\0';
        j->buf.oom = 0;
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    }
    return CAI_OK;
}

/* Appends "json\tCRC\n" for one JSON text. */
static cai_status append_line(cai_journal *j, const char *json, cai_error *err)
{
    size_t start = j->buf.len;

    cai_buf__puts(&j->buf, json);
    return end_line(j, start, err);
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

/* Loads a judgment record; CAI_ITEROVER for a record of another kind (skipped), CAI_EPARSE for
 * one that does not hold what its kind needs. */
static cai_status load_entry(cai_journal *j, const cJSON *o, cai_error *err)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "k");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    cai_jentry e;
    double p, v, lp, pt, ct;

    if (t && !(cJSON_IsString(t) && strcmp(t->valuestring, KIND_JUDGMENT) == 0))
        return cJSON_IsString(t) ? CAI_ITEROVER : CAI_EPARSE;
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
    if (get_u(o, "tr", &v) == 0)
        e.truncated = v != 0;
    if (get_u(o, "rt", &v) == 0 && v >= 0 && v < 4e9)
        e.reasoning_tokens = (unsigned)v;
    return table_put(j, &e, err);
}

/* ---- batch state records ("b") --------------------------------------------------------- */

static cai_status batch_keep(cai_journal *j, char *text, cai_error *err)
{
    char **nt = cai__grow(j->btexts, &j->bcap, j->bn + 1, sizeof(*nt), 16);

    if (!nt) {
        cJSON_free(text);
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    }
    j->btexts = nt;
    j->btexts[j->bn++] = text;
    return CAI_OK;
}

/* Keeps a batch state record's text; CAI_ITEROVER for another kind. */
static cai_status load_batch(cai_journal *j, const cJSON *o, cai_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    char *text;

    if (!cJSON_IsString(t) || strcmp(t->valuestring, KIND_BATCH) != 0)
        return CAI_ITEROVER;
    text = cJSON_PrintUnformatted(o);
    if (!text)
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    return batch_keep(j, text, err);
}

cai_status cai_journal__add_batch(cai_journal *j, const char *fields, cai_error *err)
{
    size_t n;
    char *text;
    cai_status st;

    if (!fields || fields[0] != '{')
        return cai_error__set(err, CAI_EINVAL, "journal: a record must be a JSON object");
    n = strlen(fields) + 16;
    text = cJSON_malloc(n);
    if (!text)
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    snprintf(text, n, "{\"t\":\"%s\"%s%s", KIND_BATCH, fields[1] == '}' ? "" : ",", fields + 1);
    if ((st = append_line(j, text, err)) != CAI_OK) {
        cJSON_free(text);
        return st;
    }
    return batch_keep(j, text, err);
}

size_t cai_journal__batch_count(const cai_journal *j)
{
    return j->bn;
}

const char *cai_journal__batch_record(const cai_journal *j, size_t i)
{
    return i < j->bn ? j->btexts[i] : NULL;
}

/* ---- generation records ("g") ---------------------------------------------------------- */

/* A generation record loaded at open: its key and its JSON text (owned, cJSON_free). */
typedef struct gentry {
    uint64_t key;
    char *text;
} gentry;

/* Loads a generation record (its text, for the stage to parse); CAI_ITEROVER for another kind. */
static cai_status load_gen(cai_journal *j, const cJSON *o, cai_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "k");
    uint64_t key;
    char *text;
    gentry *g;
    int found;

    if (!cJSON_IsString(t) || strcmp(t->valuestring, KIND_GENERATION) != 0)
        return CAI_ITEROVER;
    if (!cJSON_IsString(k) || !(key = strtoull(k->valuestring, NULL, 16)))
        return CAI_EPARSE;
    text = cJSON_PrintUnformatted(o);
    if (!text || !(g = cai_htab__insert(&j->gens, &key, &found))) {
        cJSON_free(text);
        return cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
    }
    if (found)
        cJSON_free(g->text); /* asked again: the latest answer */
    else
        j->count++;
    g->text = text;
    return CAI_OK;
}

const char *cai_journal__find_gen(const cai_journal *j, uint64_t key)
{
    const gentry *g;

    key = key ? key : 1;
    g = cai_htab__find(&j->gens, &key);
    return g ? g->text : NULL;
}

cai_status cai_journal__add_gen(cai_journal *j, uint64_t key, const char *fields, cai_error *err)
{
    char head[64];
    cai_status st;
    size_t n;
    uint32_t crc;
    char tail[16];

    /* {"t":"g","k":KEY, then the caller's fields: "t" and "k" first, as in every record */
    if (!fields || fields[0] != '{')
        return cai_error__set(err, CAI_EINVAL, "journal: a record must be a JSON object");
    n = (size_t)snprintf(head, sizeof(head), "{\"t\":\"%s\",\"k\":\"%016" PRIx64 "\"%s",
                         KIND_GENERATION, key ? key : 1, fields[1] == '}' ? "" : ",");
    crc = (uint32_t)crc32(0L, (const Bytef *)head, (uInt)n);
    crc = (uint32_t)crc32(crc, (const Bytef *)fields + 1, (uInt)strlen(fields + 1));
    snprintf(tail, sizeof(tail), "\t%08lx\n", (unsigned long)crc);
    if ((st = buf_append(j, head, n, err)) != CAI_OK ||
        (st = buf_append(j, fields + 1, strlen(fields + 1), err)) != CAI_OK ||
        (st = buf_append(j, tail, strlen(tail), err)) != CAI_OK)
        return st;
    j->count++;
    return CAI_OK;
}

/* The header line's JSON for the current version. Caller frees (cJSON_free). */
static char *header_text(const cai_journal_open_opts *jo)
{
    cJSON *h = cJSON_CreateObject();
    cJSON *settings = jo->settings_json ? cJSON_Parse(jo->settings_json) : NULL;
    cJSON *eff = jo->effective_json ? cJSON_Parse(jo->effective_json) : NULL;
    char *txt;

    if (!h) {
        cJSON_Delete(settings);
        cJSON_Delete(eff);
        return NULL;
    }
    cJSON_AddNumberToObject(h, "cai_journal", JOURNAL_VERSION);
    cJSON_AddStringToObject(h, "fingerprint", jo->fingerprint);
    if (settings)
        cJSON_AddItemToObject(h, "settings", settings);
    if (eff)
        cJSON_AddItemToObject(h, "effective", eff);
    txt = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    return txt;
}

/* "key: old -> new" for up to four top-level keys whose values differ. */
static void diff_settings(const char *old_json, const char *new_json, char *out, size_t cap)
{
    cJSON *a = old_json ? cJSON_Parse(old_json) : NULL,
          *b = new_json ? cJSON_Parse(new_json) : NULL;
    const cJSON *e;
    size_t o = 0;
    int shown = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(e, b)
    {
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(a, e->string);
        char *vo = old ? cJSON_PrintUnformatted(old) : NULL, *vn = cJSON_PrintUnformatted(e);
        int n;

        if (vn && (!vo || strcmp(vo, vn) != 0) && shown < 4 && o < cap) {
            n = snprintf(out + o, cap - o, "%s%s %.24s -> %.24s", shown ? ", " : "", e->string,
                         vo ? vo : "(absent)", vn);
            o += n > 0 ? (size_t)n : 0;
            shown++;
        }
        cJSON_free(vo);
        cJSON_free(vn);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* Checks a parsed header against the run's settings (upgrading an older version first). */
static cai_status
check_header(cai_journal *j, const cJSON *o, const cai_journal_open_opts *jo, cai_error *err)
{
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(o, "fingerprint");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "cai_journal");
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(o, "settings");
    char *old = NULL, *upgraded = NULL, diff[200], hex[65];
    int same;

    if (!cJSON_IsNumber(ver) || !cJSON_IsString(fp) || ver->valuedouble < 1)
        return cai_error__set(err, CAI_EPARSE, "%s: not a cai journal (bad header)", j->path);
    if (ver->valuedouble > JOURNAL_VERSION)
        return cai_error__set(err, CAI_EMISMATCH,
                              "%s: written by a newer cai (journal version %g); use that "
                              "version or a new --output directory",
                              j->path, ver->valuedouble);
    j->version = (unsigned)ver->valuedouble;
    old = set ? cJSON_PrintUnformatted(set) : NULL;
    if (j->version < SETTINGS_CURRENT) {
        upgraded = old && jo->upgrade ? jo->upgrade(j->version, old, jo->upgrade_payload) : NULL;
        if (upgraded)
            cai_sha256_hex(upgraded, strlen(upgraded), hex);
        same = upgraded && strcmp(hex, jo->fingerprint) == 0;
    } else
        same = strcmp(fp->valuestring, jo->fingerprint) == 0;
    if (!same) {
        diff_settings(upgraded ? upgraded : old, jo->settings_json, diff, sizeof(diff));
        cai_error__set(err, CAI_EMISMATCH,
                       "%s: this output directory holds a run with different input, "
                       "constitution or label-changing settings%s%s%s; use a new --output "
                       "directory (or delete it to start over)",
                       j->path, diff[0] ? " (" : "", diff, diff[0] ? ")" : "");
    }
    cJSON_free(old);
    free(upgraded);
    return same ? CAI_OK : CAI_EMISMATCH;
}

/* Says what is wrong with a header line that fails its CRC, against the one this run writes. */
static void describe_damage(cai_journal *j, const char *line, size_t len, const char *expect)
{
    const char *tab = len >= 9 ? line + len - 9 : NULL;
    size_t body = tab && *tab == '\t' ? len - 9 : len, el = expect ? strlen(expect) : 0, i, nd = 0;
    unsigned long crc = crc32(0L, (const Bytef *)line, (uInt)body);
    size_t first = 0;

    if (body == el) {
        for (i = 0; i < el; i++)
            if (line[i] != expect[i] && nd++ == 0)
                first = i;
    }
    if (tab && *tab == '\t' && body == el && nd > 0)
        snprintf(j->damage, sizeof(j->damage),
                 "CRC %08lx does not match the stored %.8s; %zu byte(s) differ from the header "
                 "this run would write, the first at byte %zu",
                 crc, tab + 1, nd, first + 1);
    else if (tab && *tab == '\t')
        snprintf(j->damage, sizeof(j->damage), "CRC %08lx does not match the stored %.8s", crc,
                 tab + 1);
    else
        snprintf(j->damage, sizeof(j->damage), "no CRC field at the end of the line");
}

/* Reads an existing journal; cuts a torn tail. */
static cai_status replay(cai_journal *j, const cai_journal_open_opts *jo, cai_error *err)
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
    while (j->bn > 0) /* read again after a header repair: the file's records, once */
        cJSON_free(j->btexts[--j->bn]);
    while ((n = getline(&line, &cap, f)) > 0) {
        cJSON *o;
        int first = pos == 0;
        pos += n;
        if (line[n - 1] != '\n')
            break; /* torn: the process died mid-write */
        line[n - 1] = '\0';
        o = parse_line(line, (size_t)n - 1);
        if (first && !o) {
            /* A damaged header: count what could be kept, change nothing. */
            char *expect = header_text(jo);
            describe_damage(j, line, (size_t)n - 1, expect);
            cJSON_free(expect);
            j->damaged = 1;
            while ((n = getline(&line, &cap, f)) > 0) {
                cJSON *e = NULL;

                if (line[n - 1] == '\n') {
                    line[n - 1] = '\0';
                    e = parse_line(line, (size_t)n - 1);
                }
                j->intact += e != NULL;
                cJSON_Delete(e);
            }
            free(line);
            fclose(f);
            return CAI_OK;
        }
        if (!o) {
            j->repaired += (size_t)n; /* corrupt record: its judgment is simply asked again */
            good_end = pos;
            continue;
        }
        if (!have_header) {
            st = check_header(j, o, jo, err);
            if (st != CAI_OK) {
                cJSON_Delete(o);
                break;
            }
            have_header = 1;
        } else {
            cai_status le = load_gen(j, o, err);

            if (le == CAI_ITEROVER)
                le = load_entry(j, o, err);
            if (le == CAI_ITEROVER && (le = load_batch(j, o, err)) == CAI_OK) {
                cJSON_Delete(o); /* state, not an entry: not counted as loaded */
                good_end = pos;
                continue;
            }

            if (le == CAI_OK)
                j->loaded++;
            else if (le == CAI_ITEROVER)
                j->other++; /* another stage's record: not ours to read */
            else
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

/*
 * Rewrites a journal whose header is damaged: the header of these settings, then every entry
 * whose CRC holds, under a temporary name renamed over the original (a crash leaves one or the
 * other whole).
 */
static cai_status rewrite_header(cai_journal *j, const cai_journal_open_opts *jo, cai_error *err)
{
    size_t plen = strlen(j->path);
    char *tmp = malloc(plen + 8), *hdr = header_text(jo), *line = NULL;
    FILE *in = NULL, *out = NULL;
    size_t cap = 0;
    ssize_t n;
    int first = 1, fd;
    cai_status st = CAI_OK;

    if (!tmp || !hdr) {
        st = cai_error__set(err, CAI_ENOMEM, "journal: out of memory");
        goto done;
    }
    snprintf(tmp, plen + 8, "%s.tmp", j->path);
    in = fopen(j->path, "rb");
    out = fopen(tmp, "wb");
    if (!in || !out) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", in ? tmp : j->path, strerror(errno));
        goto done;
    }
    fprintf(out, "%s\t%08lx\n", hdr,
            (unsigned long)crc32(0L, (const Bytef *)hdr, (uInt)strlen(hdr)));
    while ((n = getline(&line, &cap, in)) > 0) {
        cJSON *e;
        if (first) {
            first = 0;
            continue;
        }
        if (line[n - 1] != '\n')
            break;
        line[n - 1] = '\0';
        e = parse_line(line, (size_t)n - 1);
        if (e)
            fprintf(out, "%s\n", line);
        cJSON_Delete(e);
    }
    fd = fileno(out);
    if (ferror(in) || fflush(out) != 0 || ferror(out) || fsync(fd) != 0) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    if (fclose(out) != 0) {
        out = NULL;
        st = cai_error__set(err, CAI_EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    out = NULL;
    if (rename(tmp, j->path) != 0)
        st = cai_error__set(err, CAI_EIO, "%s: %s", j->path, strerror(errno));
done:
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    if (st != CAI_OK && tmp)
        remove(tmp);
    free(line);
    free(tmp);
    cJSON_free(hdr);
    return st;
}

cai_status cai_journal__open(cai_journal **out,
                             const char *path,
                             const char *fingerprint,
                             const char *header_json,
                             cai_error *err)
{
    cai_journal_open_opts jo;

    memset(&jo, 0, sizeof(jo));
    jo.fingerprint = fingerprint;
    jo.settings_json = header_json;
    return cai_journal__open_ex(out, path, &jo, err);
}

cai_status cai_journal__open_ex(cai_journal **out,
                                const char *path,
                                const cai_journal_open_opts *jo,
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
    j->version = JOURNAL_VERSION;
    cai_htab__init(&j->table, sizeof(cai_jentry), sizeof(uint64_t));
    cai_htab__init(&j->gens, sizeof(gentry), sizeof(uint64_t));
    fresh = access(path, F_OK) != 0;
    if (!fresh) {
        st = replay(j, jo, err);
        if (st == CAI_OK && j->damaged && jo->repair_header) {
            j->damaged = 0;
            st = rewrite_header(j, jo, err);
            if (st == CAI_OK)
                st = replay(j, jo, err);
        }
        if (st == CAI_OK && j->damaged) {
            st = cai_error__set(
                err, CAI_EPARSE,
                "%s:1: the journal header is damaged (%s). Its %zu entries with intact CRCs "
                "can be kept: if this is the same command that wrote it, rerun it with "
                "--repair-journal (the header is rewritten from the current settings); "
                "otherwise move the journal aside to start over",
                path, j->damage, j->intact);
            goto fail;
        }
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
        char *txt = header_text(jo);
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

/* ,"key": and an unsigned value, as cJSON prints it */
static void put_member(cai_buf *b, const char *key, uint64_t v)
{
    cai_buf__puts(b, key);
    cai_buf__put_uint(b, v);
}

cai_status cai_journal__add(cai_journal *j,
                            const cai_jentry *e,
                            const char *pair_id,
                            const char *principle_id,
                            unsigned order,
                            unsigned sample,
                            cai_error *err)
{
    cai_buf *b = &j->buf;
    size_t start = b->len;
    cai_status st;
    char num[32];

    /*
     * Written directly, with the bytes cJSON_PrintUnformatted gave an object of these members
     * (in this order; unsigned numbers print as cJSON prints them, in decimal): a cJSON tree per
     * judgment was most of this function's cost on the event-loop thread. The line is built in
     * place at the end of the pending appends.
     */
    cai_buf__puts(b, "{\"t\":");
    cai_wire__put_cjson_str(b, KIND_JUDGMENT);
    cai_buf__puts(b, ",\"k\":\"");
    cai_buf__put_hex64(b, e->key);
    cai_buf__puts(b, "\",\"id\":");
    cai_wire__put_cjson_str(b, pair_id);
    cai_buf__puts(b, ",\"pr\":");
    cai_wire__put_cjson_str(b, principle_id);
    put_member(b, ",\"o\":", order);
    put_member(b, ",\"s\":", sample);
    /* "p": exact digits, so that replay gives the same double */
    snprintf(num, sizeof(num), "%.17g", e->p_first);
    cai_buf__puts(b, ",\"p\":");
    cai_buf__puts(b, num);
    put_member(b, ",\"v\":", e->verdict);
    put_member(b, ",\"lp\":", e->from_logprobs);
    put_member(b, ",\"pt\":", e->prompt_tokens);
    put_member(b, ",\"ct\":", e->completion_tokens);
    /* Optional keys, left out at their default so older readers' lines stay byte-identical. */
    if (e->truncated)
        put_member(b, ",\"tr\":", 1);
    if (e->reasoning_tokens)
        put_member(b, ",\"rt\":", e->reasoning_tokens);
    cai_buf__put(b, "}", 1);
    if ((st = end_line(j, start, err)) != CAI_OK)
        return st;
    /* Not added to the table: a run plans each key once, and keeping every new judgment in
     * memory would make memory grow with the input. Resume loads them from the file. */
    j->count++;
    return CAI_OK;
}

cai_status cai_journal__sync(cai_journal *j, int durable, cai_error *err)
{
    size_t off = 0;

    while (off < j->buf.len) {
        ssize_t w = write(j->fd, j->buf.data + off, j->buf.len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            /* keep what was not written; a retry (after space is freed) continues */
            memmove(j->buf.data, j->buf.data + off, j->buf.len - off);
            j->buf.len -= off;
            return cai_error__set(err, CAI_EIO, "%s: %s", j->path, strerror(errno));
        }
        off += (size_t)w;
    }
    j->buf.len = 0;
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

size_t cai_journal__other(const cai_journal *j)
{
    return j->other;
}

size_t cai_journal__repaired(const cai_journal *j)
{
    return j->repaired;
}

unsigned cai_journal__version(const cai_journal *j)
{
    return j->version;
}

void cai_journal__tokens(const cai_journal *j, uint64_t *prompt, uint64_t *completion)
{
    size_t i;

    *prompt = *completion = 0;
    for (i = 0; i < j->table.cap; i++) {
        const cai_jentry *e = cai_htab__at(&j->table, i);
        if (!e)
            continue;
        *prompt += e->prompt_tokens;
        *completion += e->completion_tokens;
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
    cai_htab__dispose(&j->table);
    for (size_t i = 0; i < j->gens.cap; i++) {
        gentry *g = cai_htab__at(&j->gens, i);
        if (g)
            cJSON_free(g->text);
    }
    cai_htab__dispose(&j->gens);
    for (size_t i = 0; i < j->bn; i++)
        cJSON_free(j->btexts[i]);
    free(j->btexts);
    cai_buf__dispose(&j->buf);
    free(j->path);
    free(j);
}
