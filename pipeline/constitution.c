/* SPDX-License-Identifier: MIT */
/*
 * Constitutions: the principle sets that guide the judge, read from JSON files.
 *
 * A file is validated completely before its "extends" parents are read, so an error always
 * names the file and key that caused it; the layers are then merged into one list and the
 * result is fingerprinted by the SHA-256 of its canonical JSON. Invariant: a cai_constitution
 * is immutable once cai_constitution_load returns, and every string it hands out lives until
 * cai_constitution_free.
 */
#include "cai/constitution.h"
#include "hash_int.h"
#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define MAX_FILE_BYTES ((size_t)4 << 20) /* a constitution is configuration, not data */
#define MAX_DEPTH      16                /* extends nesting */

struct cai_constitution {
    char *name;
    char *version;
    char *description;
    char *tmpl; /* NULL: the prompt module's built-in template */
    cai_principle *p;
    size_t np, capp;
    cai_example *ex;
    size_t nex, capex;
    cai_revision_example *rex; /* critique-revision examples, accumulated like ex */
    size_t nrex, caprex;
    char **files; /* every path read, in load order; principle origins point here */
    size_t nfiles, capfiles;
    char hash[65];
};

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

static int valid_id(const char *s)
{
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

static void principle_dispose(cai_principle *p)
{
    size_t i;

    free((void *)p->id);
    free((void *)p->text);
    for (i = 0; i < p->n_tags; i++)
        free((void *)p->tags[i]);
    free((void *)p->tags);
    free((void *)p->critique);
    free((void *)p->revision);
    memset(p, 0, sizeof(*p));
}

static void rexample_dispose(cai_revision_example *e)
{
    free((void *)e->conversation);
    free((void *)e->response);
    free((void *)e->critique);
    free((void *)e->revision);
    free((void *)e->principle);
    memset(e, 0, sizeof(*e));
}

static void example_dispose(cai_example *e)
{
    free((void *)e->conversation);
    free((void *)e->response_a);
    free((void *)e->response_b);
    free((void *)e->rationale);
    memset(e, 0, sizeof(*e));
}

/* ------------------------------------------------------------------------------------------ */
/* Templates                                                                                   */

static const char *const placeholders[] = {"conversation", "principle", "response_a", "response_b"};
#define N_PLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

static int placeholder_index(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < N_PLACEHOLDERS; i++)
        if (strlen(placeholders[i]) == len && memcmp(placeholders[i], name, len) == 0)
            return (int)i;
    return -1;
}

/*
 * Walks tmpl. With out == NULL it only checks: every placeholder known, all four present,
 * braces balanced. With out it appends the expansion to *out (values[i] for placeholder i).
 * where prefixes error messages ("FILE: " or "").
 */
static cai_status template_walk(
    const char *tmpl, const char *where, const char *const *values, char **out, cai_error *err)
{
    size_t i = 0, n = strlen(tmpl), total = 0, o = 0, k;
    int seen[N_PLACEHOLDERS] = {0};
    int pass;

    /* pass 0 validates and sizes; pass 1 writes */
    for (pass = 0; pass < (out ? 2 : 1); pass++) {
        i = 0;
        while (i < n) {
            char ch = tmpl[i];
            if ((ch == '{' && tmpl[i + 1] == '{') || (ch == '}' && tmpl[i + 1] == '}')) {
                if (pass)
                    (*out)[o++] = ch;
                else
                    total++;
                i += 2;
            } else if (ch == '{') {
                size_t start = i + 1, end = start;
                int idx;
                while (end < n && tmpl[end] != '}' && tmpl[end] != '{')
                    end++;
                if (end >= n || tmpl[end] != '}')
                    return cai_error__set(err, CAI_ESCHEMA,
                                          "%stemplate: unmatched '{' at offset %zu", where, i);
                idx = placeholder_index(tmpl + start, end - start);
                if (idx < 0)
                    return cai_error__set(err, CAI_ESCHEMA,
                                          "%stemplate: unknown placeholder {%.*s}", where,
                                          (int)(end - start > 64 ? 64 : end - start), tmpl + start);
                seen[idx] = 1;
                if (pass) {
                    k = strlen(values[idx]);
                    memcpy(*out + o, values[idx], k);
                    o += k;
                } else if (values) {
                    total += strlen(values[idx]);
                }
                i = end + 1;
            } else if (ch == '}') {
                return cai_error__set(err, CAI_ESCHEMA,
                                      "%stemplate: unmatched '}' at offset %zu (write }} for a "
                                      "literal brace)",
                                      where, i);
            } else {
                if (pass)
                    (*out)[o++] = ch;
                else
                    total++;
                i++;
            }
        }
        if (pass == 0) {
            for (k = 0; k < N_PLACEHOLDERS; k++)
                if (!seen[k])
                    return cai_error__set(err, CAI_ESCHEMA, "%stemplate: missing placeholder {%s}",
                                          where, placeholders[k]);
            if (out) {
                *out = malloc(total + 1);
                if (!*out)
                    return cai_error__set(err, CAI_ENOMEM, "out of memory");
            }
        }
    }
    if (out)
        (*out)[o] = '\0';
    return CAI_OK;
}

cai_status cai_constitution_render_template(char **out,
                                            const char *tmpl,
                                            const char *conversation,
                                            const char *principle,
                                            const char *response_a,
                                            const char *response_b,
                                            cai_error *err)
{
    const char *values[N_PLACEHOLDERS];
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out);
    *out = NULL;
    CAI_ASSERT_ARG(err, tmpl && conversation && principle && response_a && response_b);
    values[0] = conversation;
    values[1] = principle;
    values[2] = response_a;
    values[3] = response_b;
    st = template_walk(tmpl, "", values, out, err);
    if (st != CAI_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* One file: validated and converted into a layer before its parents are read                  */

typedef struct layer {
    int has_name, has_version, has_description, has_template;
    char *name, *version, *description, *tmpl;
    cai_principle *p;
    size_t np;
    cai_example *ex;
    size_t nex;
    cai_revision_example *rex;
    size_t nrex;
    char **extends;
    size_t nextends;
} layer;

static void layer_dispose(layer *l)
{
    size_t i;

    free(l->name);
    free(l->version);
    free(l->description);
    free(l->tmpl);
    for (i = 0; i < l->np; i++)
        principle_dispose(&l->p[i]);
    free(l->p);
    for (i = 0; i < l->nex; i++)
        example_dispose(&l->ex[i]);
    free(l->ex);
    for (i = 0; i < l->nrex; i++)
        rexample_dispose(&l->rex[i]);
    free(l->rex);
    for (i = 0; i < l->nextends; i++)
        free(l->extends[i]);
    free(l->extends);
    memset(l, 0, sizeof(*l));
}

/* Rejects keys outside allowed and repeated keys (cJSON keeps both; typos must not pass). */
static cai_status check_keys(
    const cJSON *obj, const char *const *allowed, const char *path, const char *ctx, cai_error *err)
{
    const cJSON *it, *prev;
    size_t i;

    for (it = obj->child; it; it = it->next) {
        int known = 0;
        for (i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], it->string) == 0)
                known = 1;
        if (!known)
            return cai_error__set(err, CAI_ESCHEMA, "%s: %s%s: unknown key", path, ctx, it->string);
        for (prev = obj->child; prev != it; prev = prev->next)
            if (strcmp(prev->string, it->string) == 0)
                return cai_error__set(err, CAI_ESCHEMA, "%s: %s%s: duplicate key", path, ctx,
                                      it->string);
    }
    return CAI_OK;
}

/*
 * Copies the string member key of obj into *out. Absent: *out = NULL, an error when required.
 * ctx is the key path prefix for messages ("principles[3]." or "").
 */
static cai_status get_string(const cJSON *obj,
                             const char *key,
                             int required,
                             const char *path,
                             const char *ctx,
                             char **out,
                             cai_error *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (!it) {
        if (required)
            return cai_error__set(err, CAI_ESCHEMA, "%s: %s%s: missing", path, ctx, key);
        return CAI_OK;
    }
    if (!cJSON_IsString(it) || !it->valuestring)
        return cai_error__set(err, CAI_ESCHEMA, "%s: %s%s: must be a string", path, ctx, key);
    *out = strdup(it->valuestring);
    if (!*out)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

/* get_string, and the value must not be empty or all white space. */
static cai_status get_text(const cJSON *obj,
                           const char *key,
                           int required,
                           const char *path,
                           const char *ctx,
                           char **out,
                           cai_error *err)
{
    cai_status st = get_string(obj, key, required, path, ctx, out, err);

    if (st == CAI_OK && *out && is_blank(*out)) {
        free(*out);
        *out = NULL;
        st = cai_error__set(err, CAI_ESCHEMA, "%s: %s%s: must not be empty", path, ctx, key);
    }
    return st;
}

static cai_status
read_principle(const cJSON *obj, size_t idx, const char *path, cai_principle *p, cai_error *err)
{
    static const char *const keys[] = {"id",       "text",     "weight", "tags",
                                       "critique", "revision", NULL};
    const cJSON *w, *tags, *t;
    char ctx[48];
    char *s = NULL;
    char **tv;
    size_t n, i;
    cai_status st;

    memset(p, 0, sizeof(*p));
    snprintf(ctx, sizeof(ctx), "principles[%zu].", idx);
    if (!cJSON_IsObject(obj))
        return cai_error__set(err, CAI_ESCHEMA, "%s: principles[%zu]: must be an object", path,
                              idx);
    if ((st = check_keys(obj, keys, path, ctx, err)) != CAI_OK)
        return st;
    if ((st = get_text(obj, "id", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    p->id = s;
    if (!valid_id(s))
        return cai_error__set(err, CAI_ESCHEMA,
                              "%s: %sid: must contain only letters, digits, '.', '_' and '-'", path,
                              ctx);
    if ((st = get_text(obj, "text", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    p->text = s;

    p->weight = 1.0;
    w = cJSON_GetObjectItemCaseSensitive(obj, "weight");
    if (w) {
        if (!cJSON_IsNumber(w))
            return cai_error__set(err, CAI_ESCHEMA, "%s: %sweight: must be a number", path, ctx);
        if (!isfinite(w->valuedouble))
            return cai_error__set(err, CAI_ESCHEMA, "%s: %sweight: must be a finite number", path,
                                  ctx);
        if (!(w->valuedouble > 0))
            return cai_error__set(err, CAI_ESCHEMA, "%s: %sweight: must be > 0", path, ctx);
        p->weight = w->valuedouble;
    }

    tags = cJSON_GetObjectItemCaseSensitive(obj, "tags");
    if (tags) {
        if (!cJSON_IsArray(tags))
            return cai_error__set(err, CAI_ESCHEMA, "%s: %stags: must be a list of strings", path,
                                  ctx);
        n = (size_t)cJSON_GetArraySize(tags);
        tv = calloc(n ? n : 1, sizeof(*tv));
        if (!tv)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        p->tags = (const char *const *)tv;
        i = 0;
        cJSON_ArrayForEach(t, tags)
        {
            if (!cJSON_IsString(t) || !t->valuestring)
                return cai_error__set(err, CAI_ESCHEMA, "%s: %stags: must be a list of strings",
                                      path, ctx);
            if (is_blank(t->valuestring))
                return cai_error__set(err, CAI_ESCHEMA, "%s: %stags[%zu]: must not be empty", path,
                                      ctx, i);
            tv[i] = strdup(t->valuestring);
            if (!tv[i])
                return cai_error__set(err, CAI_ENOMEM, "out of memory");
            p->n_tags = ++i;
        }
    }

    if ((st = get_text(obj, "critique", 0, path, ctx, &s, err)) != CAI_OK)
        return st;
    p->critique = s;
    if ((st = get_text(obj, "revision", 0, path, ctx, &s, err)) != CAI_OK)
        return st;
    p->revision = s;
    return CAI_OK;
}

static cai_status
read_example(const cJSON *obj, size_t idx, const char *path, cai_example *e, cai_error *err)
{
    static const char *const keys[] = {"conversation", "response_a", "response_b",
                                       "answer",       "rationale",  NULL};
    const cJSON *ans;
    char ctx[48];
    char *s = NULL;
    cai_status st;

    memset(e, 0, sizeof(*e));
    snprintf(ctx, sizeof(ctx), "examples[%zu].", idx);
    if (!cJSON_IsObject(obj))
        return cai_error__set(err, CAI_ESCHEMA, "%s: examples[%zu]: must be an object", path, idx);
    if ((st = check_keys(obj, keys, path, ctx, err)) != CAI_OK)
        return st;
    if ((st = get_text(obj, "conversation", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->conversation = s;
    if ((st = get_text(obj, "response_a", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->response_a = s;
    if ((st = get_text(obj, "response_b", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->response_b = s;
    ans = cJSON_GetObjectItemCaseSensitive(obj, "answer");
    if (!ans)
        return cai_error__set(err, CAI_ESCHEMA, "%s: %sanswer: missing", path, ctx);
    if (!cJSON_IsString(ans) || !ans->valuestring ||
        (strcmp(ans->valuestring, "A") != 0 && strcmp(ans->valuestring, "B") != 0))
        return cai_error__set(err, CAI_ESCHEMA, "%s: %sanswer: must be \"A\" or \"B\"", path, ctx);
    e->answer = ans->valuestring[0];
    if ((st = get_text(obj, "rationale", 0, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->rationale = s;
    return CAI_OK;
}

/* A critique-revision example: a response, what a critique of it says, and its revision. */
static cai_status read_rexample(
    const cJSON *obj, size_t idx, const char *path, cai_revision_example *e, cai_error *err)
{
    static const char *const keys[] = {"conversation", "response",  "critique",
                                       "revision",     "principle", NULL};
    char ctx[48];
    char *s = NULL;
    cai_status st;

    memset(e, 0, sizeof(*e));
    snprintf(ctx, sizeof(ctx), "revision_examples[%zu].", idx);
    if (!cJSON_IsObject(obj))
        return cai_error__set(err, CAI_ESCHEMA, "%s: revision_examples[%zu]: must be an object",
                              path, idx);
    if ((st = check_keys(obj, keys, path, ctx, err)) != CAI_OK)
        return st;
    if ((st = get_text(obj, "conversation", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->conversation = s;
    if ((st = get_text(obj, "response", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->response = s;
    if ((st = get_text(obj, "critique", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->critique = s;
    if ((st = get_text(obj, "revision", 1, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->revision = s;
    if ((st = get_text(obj, "principle", 0, path, ctx, &s, err)) != CAI_OK)
        return st;
    e->principle = s;
    return CAI_OK;
}

/* The short form: a list of principle texts, ids p1..pN, weight 1 (bench/constitution.json). */
static cai_status read_list_form(const cJSON *root, const char *path, layer *l, cai_error *err)
{
    size_t n = (size_t)cJSON_GetArraySize(root), i = 0;
    const cJSON *it;
    char id[32];

    if (n == 0)
        return cai_error__set(err, CAI_ESCHEMA, "%s: principles: must not be empty", path);
    l->p = calloc(n, sizeof(*l->p));
    if (!l->p)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cJSON_ArrayForEach(it, root)
    {
        if (!cJSON_IsString(it) || !it->valuestring)
            return cai_error__set(err, CAI_ESCHEMA, "%s: [%zu]: must be a string", path, i);
        if (is_blank(it->valuestring))
            return cai_error__set(err, CAI_ESCHEMA, "%s: [%zu]: must not be empty", path, i);
        snprintf(id, sizeof(id), "p%zu", i + 1);
        l->p[i].weight = 1.0;
        l->p[i].id = strdup(id);
        l->p[i].text = strdup(it->valuestring);
        l->np = ++i;
        if (!l->p[i - 1].id || !l->p[i - 1].text)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    return CAI_OK;
}

static cai_status read_layer(const cJSON *root, const char *path, layer *l, cai_error *err)
{
    static const char *const keys[] = {"name",       "version",           "description",
                                       "extends",    "template",          "examples",
                                       "principles", "revision_examples", NULL};
    const cJSON *ext, *prin, *exs, *rexs, *it;
    size_t n, i, j;
    cai_status st;

    if (cJSON_IsArray(root))
        return read_list_form(root, path, l, err);
    if (!cJSON_IsObject(root))
        return cai_error__set(err, CAI_ESCHEMA,
                              "%s: top level: must be an object (or a list of principle texts)",
                              path);
    if ((st = check_keys(root, keys, path, "", err)) != CAI_OK)
        return st;
    if ((st = get_string(root, "name", 0, path, "", &l->name, err)) != CAI_OK)
        return st;
    if ((st = get_string(root, "version", 0, path, "", &l->version, err)) != CAI_OK)
        return st;
    if ((st = get_string(root, "description", 0, path, "", &l->description, err)) != CAI_OK)
        return st;
    if ((st = get_string(root, "template", 0, path, "", &l->tmpl, err)) != CAI_OK)
        return st;
    l->has_name = l->name != NULL;
    l->has_version = l->version != NULL;
    l->has_description = l->description != NULL;
    l->has_template = l->tmpl != NULL;
    if (l->tmpl) {
        char where[1024];
        snprintf(where, sizeof(where), "%s: ", path);
        if ((st = template_walk(l->tmpl, where, NULL, NULL, err)) != CAI_OK)
            return st;
    }

    ext = cJSON_GetObjectItemCaseSensitive(root, "extends");
    if (ext) {
        int ok = cJSON_IsString(ext) ? !is_blank(ext->valuestring) : cJSON_IsArray(ext);
        if (cJSON_IsArray(ext)) {
            cJSON_ArrayForEach(it, ext)
            {
                if (!cJSON_IsString(it) || is_blank(it->valuestring))
                    ok = 0;
            }
        }
        if (!ok)
            return cai_error__set(err, CAI_ESCHEMA,
                                  "%s: extends: must be a path or a list of paths", path);
        n = cJSON_IsString(ext) ? 1 : (size_t)cJSON_GetArraySize(ext);
        l->extends = calloc(n ? n : 1, sizeof(*l->extends));
        if (!l->extends)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        for (i = 0; i < n; i++) {
            it = cJSON_IsString(ext) ? ext : cJSON_GetArrayItem(ext, (int)i);
            l->extends[i] = strdup(it->valuestring);
            if (!l->extends[i])
                return cai_error__set(err, CAI_ENOMEM, "out of memory");
            l->nextends = i + 1;
        }
    }

    prin = cJSON_GetObjectItemCaseSensitive(root, "principles");
    if (!prin) {
        if (l->nextends == 0)
            return cai_error__set(err, CAI_ESCHEMA, "%s: principles: missing", path);
    } else {
        if (!cJSON_IsArray(prin))
            return cai_error__set(err, CAI_ESCHEMA, "%s: principles: must be a list", path);
        n = (size_t)cJSON_GetArraySize(prin);
        /* a file that extends others may only set a name or a template */
        if (n == 0 && l->nextends == 0)
            return cai_error__set(err, CAI_ESCHEMA, "%s: principles: must not be empty", path);
        l->p = calloc(n ? n : 1, sizeof(*l->p));
        if (!l->p)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        i = 0;
        cJSON_ArrayForEach(it, prin)
        {
            l->np = i + 1; /* so that a half-read principle is disposed with the layer */
            if ((st = read_principle(it, i, path, &l->p[i], err)) != CAI_OK)
                return st;
            for (j = 0; j < i; j++)
                if (strcmp(l->p[j].id, l->p[i].id) == 0)
                    return cai_error__set(err, CAI_ESCHEMA,
                                          "%s: principles[%zu].id: duplicate id \"%s\"", path, i,
                                          l->p[i].id);
            i++;
        }
    }

    exs = cJSON_GetObjectItemCaseSensitive(root, "examples");
    if (exs) {
        if (!cJSON_IsArray(exs))
            return cai_error__set(err, CAI_ESCHEMA, "%s: examples: must be a list", path);
        n = (size_t)cJSON_GetArraySize(exs);
        l->ex = calloc(n ? n : 1, sizeof(*l->ex));
        if (!l->ex)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        i = 0;
        cJSON_ArrayForEach(it, exs)
        {
            l->nex = i + 1;
            if ((st = read_example(it, i, path, &l->ex[i], err)) != CAI_OK)
                return st;
            i++;
        }
    }

    rexs = cJSON_GetObjectItemCaseSensitive(root, "revision_examples");
    if (rexs) {
        if (!cJSON_IsArray(rexs))
            return cai_error__set(err, CAI_ESCHEMA, "%s: revision_examples: must be a list", path);
        n = (size_t)cJSON_GetArraySize(rexs);
        l->rex = calloc(n ? n : 1, sizeof(*l->rex));
        if (!l->rex)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        i = 0;
        cJSON_ArrayForEach(it, rexs)
        {
            l->nrex = i + 1;
            if ((st = read_rexample(it, i, path, &l->rex[i], err)) != CAI_OK)
                return st;
            i++;
        }
    }
    return CAI_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Resolution of extends                                                                       */

typedef struct file_id {
    dev_t dev;
    ino_t ino;
} file_id;

typedef struct loader {
    cai_constitution *c;
    file_id stack[MAX_DEPTH + 1];
    const char *stack_path[MAX_DEPTH + 1];
    size_t depth;
    file_id *done; /* files merged already: a diamond reads the shared base once */
    size_t ndone, capdone;
} loader;

static char *own_path(cai_constitution *c, const char *base, const char *rel)
{
    const char *slash = base ? strrchr(base, '/') : NULL;
    size_t dl = (rel[0] != '/' && slash) ? (size_t)(slash - base) + 1 : 0;
    size_t rl = strlen(rel);
    char *p, **files;

    files = cai__grow(c->files, &c->capfiles, c->nfiles + 1, sizeof(*c->files), 8);
    if (!files)
        return NULL;
    c->files = files;
    p = malloc(dl + rl + 1);
    if (!p)
        return NULL;
    if (dl)
        memcpy(p, base, dl);
    memcpy(p + dl, rel, rl + 1);
    c->files[c->nfiles++] = p;
    return p;
}

/* 1-based line and column (in characters, as editors count them) of byte off of text. */
static void line_col(const char *text, size_t off, size_t *line, size_t *col)
{
    size_t i;

    *line = 1;
    *col = 1;
    for (i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static cai_status parse_file(FILE *f, const char *path, cJSON **root, cai_error *err)
{
    char *buf = NULL;
    size_t len = 0, skip = 0, bad, line, col;
    const char *end = NULL;
    cai_status st;

    *root = NULL;
    if ((st = cai__read_stream(f, path, MAX_FILE_BYTES, &buf, &len, err)) != CAI_OK)
        return st;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        skip = 3; /* a UTF-8 byte order mark, as some editors write */
    bad = skip + cai_utf8__invalid_at(buf + skip, len - skip);
    if (bad < len) {
        line_col(buf + skip, bad - skip, &line, &col);
        free(buf);
        return cai_error__set(err, CAI_EPARSE, "%s:%zu:%zu: invalid UTF-8", path, line, col);
    }
    /* The Opts variant reports where parsing stopped without cJSON's global error state. */
    *root = cJSON_ParseWithLengthOpts(buf + skip, len - skip + 1, &end, 1);
    if (!*root) {
        size_t off = end ? (size_t)(end - buf) : skip;
        line_col(buf + skip, off - skip, &line, &col);
        free(buf);
        return cai_error__set(err, CAI_EPARSE, "%s:%zu:%zu: invalid JSON", path, line, col);
    }
    free(buf);
    return CAI_OK;
}

static long find_in(const cai_principle *p, size_t n, const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(p[i].id, id) == 0)
            return (long)i;
    return -1;
}

static void replace_str(char **dst, char **src)
{
    free(*dst);
    *dst = *src;
    *src = NULL;
}

/* Moves the layer's contents into c: the layer comes after everything merged so far. */
static cai_status merge_layer(cai_constitution *c, layer *l, const char *path, cai_error *err)
{
    size_t i;
    long at;

    if (l->has_name)
        replace_str(&c->name, &l->name);
    if (l->has_version)
        replace_str(&c->version, &l->version);
    if (l->has_description)
        replace_str(&c->description, &l->description);
    if (l->has_template)
        replace_str(&c->tmpl, &l->tmpl);
    for (i = 0; i < l->np; i++) {
        l->p[i].origin = path;
        at = find_in(c->p, c->np, l->p[i].id);
        if (at >= 0) {
            principle_dispose(&c->p[at]);
            c->p[at] = l->p[i];
        } else {
            cai_principle *np = cai__grow(c->p, &c->capp, c->np + 1, sizeof(*c->p), 8);
            if (!np)
                return cai_error__set(err, CAI_ENOMEM, "out of memory");
            c->p = np;
            c->p[c->np++] = l->p[i];
        }
        memset(&l->p[i], 0, sizeof(l->p[i])); /* moved */
    }
    for (i = 0; i < l->nex; i++) {
        cai_example *nex = cai__grow(c->ex, &c->capex, c->nex + 1, sizeof(*c->ex), 8);
        if (!nex)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        c->ex = nex;
        c->ex[c->nex++] = l->ex[i];
        memset(&l->ex[i], 0, sizeof(l->ex[i]));
    }
    for (i = 0; i < l->nrex; i++) {
        cai_revision_example *nrex = cai__grow(c->rex, &c->caprex, c->nrex + 1, sizeof(*c->rex), 8);
        if (!nrex)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        c->rex = nrex;
        c->rex[c->nrex++] = l->rex[i];
        memset(&l->rex[i], 0, sizeof(l->rex[i]));
    }
    return CAI_OK;
}

static int same_file(file_id a, file_id b)
{
    return a.dev == b.dev && a.ino == b.ino;
}

static cai_status cycle_error(loader *L, size_t from, const char *path, cai_error *err)
{
    char chain[1024];
    size_t i, o = 0;

    chain[0] = '\0';
    for (i = from; i < L->depth && o < sizeof(chain); i++)
        o += (size_t)snprintf(chain + o, sizeof(chain) - o, "%s -> ", L->stack_path[i]);
    if (o < sizeof(chain))
        snprintf(chain + o, sizeof(chain) - o, "%s", path);
    return cai_error__set(err, CAI_ESCHEMA, "%s: extends: cycle %s", L->stack_path[L->depth - 1],
                          chain);
}

/* Loads the file open on f (path owned by c->files; f is closed here), then its parents. */
static cai_status load_file(loader *L, FILE *f, const char *path, cai_error *err)
{
    struct stat sb;
    file_id id;
    cJSON *root = NULL;
    layer l;
    size_t i;
    cai_status st;

    memset(&l, 0, sizeof(l));
    if (fstat(fileno(f), &sb) != 0) {
        int e = errno;
        fclose(f);
        return cai_error__set(err, CAI_EIO, "%s: cannot read: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        fclose(f);
        return cai_error__set(err, CAI_EIO, "%s: cannot read: %s", path, strerror(EISDIR));
    }
    id.dev = sb.st_dev;
    id.ino = sb.st_ino;
    for (i = 0; i < L->depth; i++)
        if (same_file(L->stack[i], id)) {
            fclose(f);
            return cycle_error(L, i, path, err);
        }
    for (i = 0; i < L->ndone; i++)
        if (same_file(L->done[i], id)) {
            fclose(f);
            return CAI_OK;
        }
    if (L->depth > MAX_DEPTH) {
        fclose(f);
        return cai_error__set(err, CAI_ELIMIT, "%s: extends: nested more than %d levels deep",
                              L->stack_path[L->depth - 1], MAX_DEPTH);
    }

    st = parse_file(f, path, &root, err);
    fclose(f);
    if (st == CAI_OK)
        st = read_layer(root, path, &l, err);
    cJSON_Delete(root); /* the layer holds copies; parents are read without it in memory */
    if (st != CAI_OK)
        goto done;

    L->stack[L->depth] = id;
    L->stack_path[L->depth] = path;
    L->depth++;
    for (i = 0; i < l.nextends && st == CAI_OK; i++) {
        char *ppath = own_path(L->c, path, l.extends[i]);
        FILE *pf;
        if (!ppath) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            break;
        }
        pf = fopen(ppath, "rb");
        if (!pf) {
            st = cai_error__set(err, CAI_ESCHEMA, "%s: extends: cannot open %s: %s", path,
                                l.extends[i], strerror(errno));
            break;
        }
        st = load_file(L, pf, ppath, err);
    }
    L->depth--;
    if (st == CAI_OK)
        st = merge_layer(L->c, &l, path, err);
    if (st == CAI_OK) {
        file_id *nd = cai__grow(L->done, &L->capdone, L->ndone + 1, sizeof(*L->done), 8);
        if (!nd)
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        else {
            L->done = nd;
            L->done[L->ndone++] = id;
        }
    }
done:
    layer_dispose(&l);
    return st;
}

static int ensure_str(char **s)
{
    if (!*s)
        *s = strdup("");
    return *s ? 0 : -1;
}

cai_status cai_constitution_load(cai_constitution **out, const char *path, cai_error *err)
{
    cai_constitution *c = NULL;
    loader L;
    char *canon = NULL, *root_path;
    FILE *f;
    cai_status st;
    size_t i;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out);
    *out = NULL;
    CAI_ASSERT_ARG(err, path);
    memset(&L, 0, sizeof(L));
    c = calloc(1, sizeof(*c));
    if (!c)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    L.c = c;
    root_path = own_path(c, NULL, path);
    if (!root_path) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    f = fopen(path, "rb");
    if (!f) {
        st = cai_error__set(err, CAI_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    st = load_file(&L, f, root_path, err);
    if (st != CAI_OK)
        goto fail;
    if (ensure_str(&c->name) || ensure_str(&c->version) || ensure_str(&c->description)) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    /* after extends: an example may name a principle that a parent defines */
    for (i = 0; i < c->nrex; i++) {
        if (c->rex[i].principle && find_in(c->p, c->np, c->rex[i].principle) < 0) {
            st = cai_error__set(err, CAI_ESCHEMA,
                                "%s: revision_examples[%zu].principle: no principle \"%s\"", path,
                                i, c->rex[i].principle);
            goto fail;
        }
    }
    canon = cai_constitution_canonical_json(c);
    if (!canon) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    cai_sha256_hex(canon, strlen(canon), c->hash);
    free(canon);
    free(L.done);
    *out = c;
    return CAI_OK;
fail:
    free(L.done);
    cai_constitution_free(c);
    return st;
}

void cai_constitution_free(cai_constitution *c)
{
    size_t i;

    if (!c)
        return;
    free(c->name);
    free(c->version);
    free(c->description);
    free(c->tmpl);
    for (i = 0; i < c->np; i++)
        principle_dispose(&c->p[i]);
    free(c->p);
    for (i = 0; i < c->nex; i++)
        example_dispose(&c->ex[i]);
    free(c->ex);
    for (i = 0; i < c->nrex; i++)
        rexample_dispose(&c->rex[i]);
    free(c->rex);
    for (i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->files);
    free(c);
}

/* ------------------------------------------------------------------------------------------ */
/* Accessors                                                                                   */

const char *cai_constitution_name(const cai_constitution *c)
{
    return c->name;
}

const char *cai_constitution_version(const cai_constitution *c)
{
    return c->version;
}

const char *cai_constitution_description(const cai_constitution *c)
{
    return c->description;
}

const char *cai_constitution_hash(const cai_constitution *c)
{
    return c->hash;
}

const char *cai_constitution_template(const cai_constitution *c)
{
    return c->tmpl;
}

size_t cai_constitution_count(const cai_constitution *c)
{
    return c->np;
}

const cai_principle *cai_constitution_principle(const cai_constitution *c, size_t i)
{
    return i < c->np ? &c->p[i] : NULL;
}

long cai_constitution_find(const cai_constitution *c, const char *id)
{
    return find_in(c->p, c->np, id);
}

size_t cai_constitution_nexamples(const cai_constitution *c)
{
    return c->nex;
}

const cai_example *cai_constitution_example(const cai_constitution *c, size_t i)
{
    return i < c->nex ? &c->ex[i] : NULL;
}

size_t cai_constitution_nrevision_examples(const cai_constitution *c)
{
    return c->nrex;
}

const cai_revision_example *cai_constitution_revision_example(const cai_constitution *c, size_t i)
{
    return i < c->nrex ? &c->rex[i] : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Canonical form                                                                              */

static int add_str(cJSON *obj, const char *key, const char *val)
{
    return cJSON_AddStringToObject(obj, key, val) ? 0 : -1;
}

static cJSON *principle_json(const cai_principle *p)
{
    cJSON *o = cJSON_CreateObject(), *tags;
    size_t i;

    if (!o || add_str(o, "id", p->id) || add_str(o, "text", p->text) ||
        !cJSON_AddNumberToObject(o, "weight", p->weight))
        goto fail;
    tags = cJSON_AddArrayToObject(o, "tags");
    if (!tags)
        goto fail;
    for (i = 0; i < p->n_tags; i++) {
        cJSON *t = cJSON_CreateString(p->tags[i]);
        if (!t || !cJSON_AddItemToArray(tags, t)) {
            cJSON_Delete(t);
            goto fail;
        }
    }
    if ((p->critique && add_str(o, "critique", p->critique)) ||
        (p->revision && add_str(o, "revision", p->revision)))
        goto fail;
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

static cJSON *example_json(const cai_example *e)
{
    cJSON *o = cJSON_CreateObject();
    char ans[2] = {e->answer, '\0'};

    if (!o || add_str(o, "conversation", e->conversation) ||
        add_str(o, "response_a", e->response_a) || add_str(o, "response_b", e->response_b) ||
        add_str(o, "answer", ans) || (e->rationale && add_str(o, "rationale", e->rationale))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *rexample_json(const cai_revision_example *e)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || add_str(o, "conversation", e->conversation) || add_str(o, "response", e->response) ||
        add_str(o, "critique", e->critique) || add_str(o, "revision", e->revision) ||
        (e->principle && add_str(o, "principle", e->principle))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

char *cai_constitution_canonical_json(const cai_constitution *c)
{
    cJSON *root = cJSON_CreateObject(), *arr, *item;
    char *text = NULL, *copy = NULL;
    size_t i;

    if (!root || add_str(root, "name", c->name ? c->name : "") ||
        add_str(root, "version", c->version ? c->version : "") ||
        add_str(root, "description", c->description ? c->description : "") ||
        (c->tmpl && add_str(root, "template", c->tmpl)))
        goto done;
    arr = cJSON_AddArrayToObject(root, "principles");
    if (!arr)
        goto done;
    for (i = 0; i < c->np; i++) {
        item = principle_json(&c->p[i]);
        if (!item || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            goto done;
        }
    }
    arr = cJSON_AddArrayToObject(root, "examples");
    if (!arr)
        goto done;
    for (i = 0; i < c->nex; i++) {
        item = example_json(&c->ex[i]);
        if (!item || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            goto done;
        }
    }
    /* only when present: constitutions without them keep the hash they had before the key */
    if (c->nrex > 0) {
        arr = cJSON_AddArrayToObject(root, "revision_examples");
        if (!arr)
            goto done;
        for (i = 0; i < c->nrex; i++) {
            item = rexample_json(&c->rex[i]);
            if (!item || !cJSON_AddItemToArray(arr, item)) {
                cJSON_Delete(item);
                goto done;
            }
        }
    }
    text = cJSON_PrintUnformatted(root);
    if (text)
        copy = strdup(text); /* the contract says free(); cJSON's allocator is its own */
done:
    cJSON_free(text);
    cJSON_Delete(root);
    return copy;
}

/* ------------------------------------------------------------------------------------------ */
/* Weighted sampling without replacement (Efraimidis-Spirakis)                                 */

/* log(u) / w for u uniform in (0, 1]: ordering by it equals ordering by u^(1/w). */
static double es_key(uint64_t x, double w)
{
    double u = ((double)(x >> 11) + 1.0) * (1.0 / 9007199254740992.0); /* 2^-53 */
    return log(u) / w;
}

/* a ranks before b: larger key first, ties by lower index. */
static int ranks_before(double ka, size_t a, double kb, size_t b)
{
    return ka > kb || (ka == kb && a < b);
}

size_t cai_constitution_sample(const cai_constitution *c, uint64_t seed, size_t k, size_t *out)
{
    size_t n = c ? c->np : 0, j, i, best = 0;
    double prev_key = 0, best_key = 0, key;
    uint64_t state;
    int found;

    if (k > n)
        k = n;
    /*
     * The top k keys, one per pass; the keys are regenerated from the seed on every pass
     * instead of stored, so sampling needs no allocation and cannot fail. n and k are small.
     */
    for (j = 0; j < k; j++) {
        state = seed;
        found = 0;
        for (i = 0; i < n; i++) {
            key = es_key(cai_splitmix64(&state), c->p[i].weight);
            if (j > 0 && !ranks_before(prev_key, out[j - 1], key, i))
                continue; /* already taken in an earlier pass */
            if (!found || ranks_before(key, i, best_key, best)) {
                best = i;
                best_key = key;
                found = 1;
            }
        }
        out[j] = best;
        prev_key = best_key;
    }
    return k;
}

/* ------------------------------------------------------------------------------------------ */
/* Lint                                                                                        */

static int ends_with_question(const char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return n > 0 && s[n - 1] == '?';
}

#define LINT_MIN_TEXT 20 /* characters; shorter questions rarely tell the judge enough */

cai_status cai_constitution_lint(const char *path, cai_lint_fn warn, void *payload, cai_error *err)
{
    cai_constitution *c = NULL;
    char line[1024];
    size_t i, j, len;
    cai_status st;

    cai_error__clear(err);
    st = cai_constitution_load(&c, path, err);
    if (st != CAI_OK)
        return st;
#define WARN(...)                                                                                  \
    do {                                                                                           \
        snprintf(line, sizeof(line), __VA_ARGS__);                                                 \
        if (warn)                                                                                  \
            warn(line, payload);                                                                   \
    } while (0)
    if (!*c->name)
        WARN("%s: name: not set", path);
    if (!*c->version)
        WARN("%s: version: not set", path);
    for (i = 0; i < c->np; i++) {
        const cai_principle *p = &c->p[i];
        len = cai_utf8__chars(p->text, strlen(p->text));
        if (len < LINT_MIN_TEXT)
            WARN("%s: principle \"%s\": text is very short (%zu characters)", p->origin, p->id,
                 len);
        if (!ends_with_question(p->text))
            WARN("%s: principle \"%s\": text is not a question; the judge is asked it to compare "
                 "two responses",
                 p->origin, p->id);
        if (p->critique && !p->revision)
            WARN("%s: principle \"%s\": critique without revision", p->origin, p->id);
        if (p->revision && !p->critique)
            WARN("%s: principle \"%s\": revision without critique", p->origin, p->id);
        for (j = 0; j < i; j++)
            if (strcmp(c->p[j].text, p->text) == 0) {
                WARN("%s: principle \"%s\": same text as principle \"%s\"", p->origin, p->id,
                     c->p[j].id);
                break;
            }
    }
    for (i = 0, j = 0; i < c->np; i++)
        j += c->p[i].critique && c->p[i].revision;
    if (c->nrex > 0 && j == 0)
        WARN("%s: revision_examples: no principle has both a critique and a revision request, so "
             "cai revise cannot use them",
             path);
    for (i = 0; i < c->nrex; i++)
        if (strcmp(c->rex[i].response, c->rex[i].revision) == 0)
            WARN("%s: revision_examples[%zu]: the revision repeats the response", path, i);
#undef WARN
    cai_constitution_free(c);
    return CAI_OK;
}
