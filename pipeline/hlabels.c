/* SPDX-License-Identifier: MIT */
/* Human labels by pair id, from a JSONL {id, chosen: a|b} file or a human-labelled dataset. */
#include "human_int.h"
#include "error_int.h"
#include "util_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct cai_hlabels {
    cai_idmap *map;
    char *path;
    char **files; /* data files of a dataset source, by aux index; NULL for a JSONL file */
    size_t n_files, cap_files;
};

static uint32_t line32(uint64_t line)
{
    return line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
}

static cai_status add(cai_hlabels *h,
                      const char *id,
                      int pos,
                      const char *file,
                      uint64_t line,
                      uint16_t aux,
                      cai_error *err)
{
    cai_idslot *s;
    int found;
    cai_status st = cai_idmap__upsert(h->map, id, &s, &found, err);

    if (st != CAI_OK)
        return st;
    if (found)
        return cai_error__set(err, CAI_ESCHEMA,
                              "%s:%llu: duplicate id \"%.80s\" (first at line %lu)", file,
                              (unsigned long long)line, id, (unsigned long)s->line);
    s->v = pos;
    s->line = line32(line);
    s->aux = aux;
    return CAI_OK;
}

static cai_status
load_line(cai_hlabels *h, const char *line, size_t len, uint64_t no, cai_error *err)
{
    cJSON *o = cJSON_ParseWithLength(line, len);
    const cJSON *id, *ch;
    cai_status st;
    char num[32];
    const char *ids;

    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return cai_error__set(err, CAI_ESCHEMA, "%s:%llu: not a JSON object {\"id\", \"chosen\"}",
                              h->path, (unsigned long long)no);
    }
    id = cJSON_GetObjectItemCaseSensitive(o, "id");
    ch = cJSON_GetObjectItemCaseSensitive(o, "chosen");
    if (cJSON_IsNumber(id)) {
        cai__format_double(id->valuedouble, num);
        ids = num;
    } else if (cJSON_IsString(id) && id->valuestring[0]) {
        ids = id->valuestring;
    } else {
        cJSON_Delete(o);
        return cai_error__set(err, CAI_ESCHEMA, "%s:%llu: \"id\" is missing or not a string",
                              h->path, (unsigned long long)no);
    }
    if (!cJSON_IsString(ch) ||
        (strcmp(ch->valuestring, "a") != 0 && strcmp(ch->valuestring, "b") != 0)) {
        st = cai_error__set(err, CAI_ESCHEMA,
                            "%s:%llu: \"chosen\" is %s%.20s%s, neither \"a\" nor \"b\" (leave "
                            "ties and unlabelled pairs out)",
                            h->path, (unsigned long long)no, cJSON_IsString(ch) ? "\"" : "",
                            cJSON_IsString(ch) ? ch->valuestring
                            : ch               ? "not a string"
                                               : "missing",
                            cJSON_IsString(ch) ? "\"" : "");
        cJSON_Delete(o);
        return st;
    }
    st = add(h, ids, ch->valuestring[0] == 'b', h->path, no, 0, err);
    cJSON_Delete(o);
    return st;
}

static cai_status load_jsonl(cai_hlabels *h, cai_error *err)
{
    cai_lines *l = NULL;
    cai_status st = cai_lines_create(&l, h->path, 0, err);

    while (st == CAI_OK) {
        const char *line;
        size_t len;
        uint64_t no = 0;

        st = cai_lines_next(l, &line, &len, &no, err);
        if (st == CAI_ITEROVER) {
            st = CAI_OK;
            break;
        }
        if (st == CAI_OK)
            st = load_line(h, line, len, no, err);
    }
    cai_lines_free(l);
    return st;
}

static cai_status on_record(void *payload, const cai_dsrec *r, cai_error *err)
{
    cai_hlabels *h = payload;

    if (r->human < 0)
        return CAI_OK;
    if (!r->id)
        return cai_error__set(err, CAI_ESCHEMA, "%s:%llu: a human-labelled record without \"id\"",
                              r->file, (unsigned long long)r->line);
    return add(h, r->id, r->human, r->file, r->line, (uint16_t)r->file_index, err);
}

static cai_status on_file(void *payload, const cai_vfile *f, cai_error *err)
{
    cai_hlabels *h = payload;
    char **nf = cai__grow(h->files, &h->cap_files, f->index + 1, sizeof(*nf), 8);

    if (!nf)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    h->files = nf;
    /* aux holds the scanner's file index (non-data files leave gaps) */
    while (h->n_files <= f->index)
        h->files[h->n_files++] = NULL;
    h->files[f->index] = strdup(f->path);
    if (!h->files[f->index])
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

cai_status cai_hlabels__load(cai_hlabels **out, const char *path, cai_error *err)
{
    cai_hlabels *h = calloc(1, sizeof(*h));
    struct stat sb;
    cai_status st;

    *out = NULL;
    if (!h || !(h->path = strdup(path))) {
        free(h);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    st = cai_idmap__create(&h->map, 1, err);
    if (st == CAI_OK && stat(path, &sb) != 0)
        st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
    if (st == CAI_OK && S_ISDIR(sb.st_mode)) {
        cai_dsrec_sink sink = {on_record, on_file, h};
        st = cai_dsrec__scan(path, &sink, err);
    } else if (st == CAI_OK) {
        st = load_jsonl(h, err);
    }
    if (st == CAI_OK && cai_idmap__count(h->map) == 0)
        st = cai_error__set(err, CAI_ESCHEMA, "%s: no human labels", path);
    if (st != CAI_OK) {
        cai_hlabels__free(h);
        return st;
    }
    *out = h;
    return CAI_OK;
}

int cai_hlabels__get(cai_hlabels *h, const char *id)
{
    cai_idslot *s = id ? cai_idmap__find(h->map, id) : NULL;

    if (!s)
        return -1;
    s->used = 1;
    return (int)s->v;
}

size_t cai_hlabels__count(const cai_hlabels *h)
{
    return cai_idmap__count(h->map);
}

int cai_hlabels__is_dataset(const cai_hlabels *h)
{
    return h->files != NULL;
}

const char *cai_hlabels__path(const cai_hlabels *h)
{
    return h->path;
}

cai_status cai_hlabels__check_used(const cai_hlabels *h, const char *dataset, cai_error *err)
{
    const cai_idslot *first = NULL;
    size_t i, cap = cai_idmap__capacity(h->map), unused = 0;

    for (i = 0; i < cap; i++) {
        const cai_idslot *s = cai_idmap__at(h->map, i);
        if (!s || s->used)
            continue;
        unused++;
        if (!first || s->aux < first->aux || (s->aux == first->aux && s->line < first->line))
            first = s;
    }
    if (!first)
        return CAI_OK;
    return cai_error__set(
        err, CAI_ESCHEMA, "%s:%lu: id \"%.80s\" is not in %s (%zu label%s name unknown ids)",
        h->files && first->aux < h->n_files && h->files[first->aux] ? h->files[first->aux]
                                                                    : h->path,
        (unsigned long)first->line, first->id ? first->id : "?", dataset, unused,
        unused == 1 ? "" : "s");
}

/* Marks the labels whose id is in one of the run's side files (ties, failed pairs). */
static cai_status
mark_in(cai_hlabels *h, const char *dir, const char *name, uint64_t *n, cai_error *err)
{
    char *path = cai__path_join(dir, name);
    cai_lines *l = NULL;
    cai_status st;
    struct stat sb;

    if (!path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (stat(path, &sb) != 0) {
        free(path);
        return CAI_OK;
    }
    st = cai_lines_create(&l, path, 0, err);
    while (st == CAI_OK) {
        const char *line;
        size_t len;
        uint64_t no = 0;
        cJSON *o;
        const cJSON *id;
        cai_idslot *s;

        st = cai_lines_next(l, &line, &len, &no, err);
        if (st != CAI_OK)
            break;
        o = cJSON_ParseWithLength(line, len);
        id = cJSON_GetObjectItemCaseSensitive(o, "id");
        s = cJSON_IsString(id) ? cai_idmap__find(h->map, id->valuestring) : NULL;
        if (s && !s->used) {
            s->used = 1;
            (*n)++;
        }
        cJSON_Delete(o);
    }
    cai_lines_free(l);
    free(path);
    return st == CAI_ITEROVER ? CAI_OK : st;
}

cai_status
cai_hlabels__mark_dropped(cai_hlabels *h, const char *dataset, uint64_t *n, cai_error *err)
{
    struct stat sb;
    cai_status st = CAI_OK;

    *n = 0;
    if (stat(dataset, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return CAI_OK;
    st = mark_in(h, dataset, "ties.jsonl.gz", n, err);
    if (st == CAI_OK)
        st = mark_in(h, dataset, "failed.jsonl.gz", n, err);
    return st;
}

void cai_hlabels__free(cai_hlabels *h)
{
    size_t i;

    if (!h)
        return;
    cai_idmap__free(h->map);
    for (i = 0; i < h->n_files; i++)
        free(h->files[i]);
    free(h->files);
    free(h->path);
    free(h);
}
