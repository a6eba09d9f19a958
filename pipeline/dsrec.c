/* SPDX-License-Identifier: MIT */
/* The labelled records of one dataset, one at a time, through the validate/stats scanner. */
#include "human_int.h"
#include "error_int.h"
#include "util_int.h"

#include <string.h>

typedef struct dsscan {
    const cai_dsrec_sink *sink;
    char idbuf[64];
} dsscan;

static cai_status on_finding(
    void *payload, cai_vkind kind, const char *file, uint64_t line, const char *msg, cai_error *err)
{
    (void)payload;
    if (kind >= CAI_VK__FIRST_WARNING)
        return CAI_OK; /* warnings (bias, glued joins, ...) do not make a record unusable */
    if (line)
        return cai_error__set(err, CAI_ESCHEMA, "%s:%llu: %s", file, (unsigned long long)line, msg);
    return cai_error__set(err, CAI_ESCHEMA, "%s: %s", file, msg);
}

static cai_status on_record(void *payload, const cai_vrec *v, cai_error *err)
{
    dsscan *s = payload;
    const cJSON *json = cai_vrec__json(v);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(json, "cai"), *id, *has, *hp;
    uint64_t chars[1 + CAI_VREC_MAX_RESP];
    cai_dsrec r;

    if (!json)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (!v->labelled || !v->has_p || v->position < 0)
        return cai_error__set(err, CAI_ESCHEMA,
                              "%s:%llu: not a labelled cai record (needs p_chosen and "
                              "cai.chosen_position, as `cai run` writes them)",
                              v->file->path, (unsigned long long)v->line);
    memset(&r, 0, sizeof(r));
    r.file = v->file->path;
    r.file_index = v->file->index;
    r.line = v->line;
    r.split = v->file->split;
    id = cJSON_GetObjectItemCaseSensitive(json, "id");
    if (cJSON_IsString(id)) {
        r.id = id->valuestring;
    } else if (cJSON_IsNumber(id)) {
        cai__format_double(id->valuedouble, s->idbuf);
        r.id = s->idbuf;
    }
    r.p_chosen = v->p_chosen;
    r.position = v->position;
    r.p_a = v->position == 0 ? v->p_chosen : 1.0 - v->p_chosen;
    r.human = -1;
    has = cJSON_GetObjectItemCaseSensitive(meta, "has_human_label");
    hp = cJSON_GetObjectItemCaseSensitive(meta, "human_chosen_position");
    if (cJSON_IsTrue(has)) {
        if (!cJSON_IsString(hp) ||
            (strcmp(hp->valuestring, "a") != 0 && strcmp(hp->valuestring, "b") != 0))
            return cai_error__set(err, CAI_ESCHEMA,
                                  "%s:%llu: cai.has_human_label is true but "
                                  "cai.human_chosen_position is not \"a\" or \"b\"",
                                  v->file->path, (unsigned long long)v->line);
        r.human = hp->valuestring[0] == 'b';
    }
    r.principles = v->principles;
    r.first_wins = v->first_wins;
    r.second_wins = v->second_wins;
    cai_vrec__chars(v, chars);
    r.chosen_chars = chars[1];
    r.rejected_chars = v->n_resp > 1 ? chars[2] : 0;
    r.obj = json;
    return s->sink->record(s->sink->payload, &r, err);
}

static cai_status on_file(void *payload, const cai_vfile *f, cai_error *err)
{
    dsscan *s = payload;

    if (f->stopped || f->bad_lines)
        return cai_error__set(err, CAI_ESCHEMA, "%s: unreadable lines", f->path);
    return s->sink->file_done ? s->sink->file_done(s->sink->payload, f, err) : CAI_OK;
}

cai_status cai_dsrec__scan(const char *path, const cai_dsrec_sink *sink, cai_error *err)
{
    cai_vscan_opts so = {CAI_FORMAT_AUTO, 0};
    cai_vsink vs = {on_finding, on_record, on_file, NULL};
    dsscan s;

    CAI_ASSERT_ARG(err, path != NULL && sink != NULL && sink->record != NULL);
    memset(&s, 0, sizeof(s));
    s.sink = sink;
    vs.payload = &s;
    return cai_vscan__run(&path, 1, &so, &vs, err);
}

static cJSON *exact_number(double v)
{
    char t[40];

    cai__format_double(v, t);
    if (!strpbrk(t, ".eEn"))
        strcat(t, ".0");
    return cJSON_CreateRaw(t);
}

void cai_dsrec__side(cJSON *cai, int swapped)
{
    cJSON *pp = cJSON_GetObjectItemCaseSensitive(cai, "principle_p_chosen");
    cJSON *rc = cJSON_GetObjectItemCaseSensitive(cai, "rating_chosen");
    cJSON *rr = cJSON_GetObjectItemCaseSensitive(cai, "rating_rejected");
    int i, n = cJSON_IsArray(pp) ? cJSON_GetArraySize(pp) : 0;

    for (i = 0; i < n; i++) {
        const cJSON *x = cJSON_GetArrayItem(pp, i);
        double v = cJSON_IsNumber(x) ? x->valuedouble : 0.5;
        cJSON_ReplaceItemInArray(pp, i, exact_number(swapped ? 1.0 - v : v));
    }
    if (cJSON_IsNumber(rc) && cJSON_IsNumber(rr)) {
        double c = rc->valuedouble, r = rr->valuedouble;
        cJSON_ReplaceItemInObjectCaseSensitive(cai, "rating_chosen", exact_number(swapped ? r : c));
        cJSON_ReplaceItemInObjectCaseSensitive(cai, "rating_rejected",
                                               exact_number(swapped ? c : r));
    }
}
