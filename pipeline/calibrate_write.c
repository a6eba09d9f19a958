/* SPDX-License-Identifier: MIT */
/* Writes a calibrated copy of a `cai run` dataset: same files and schema, new labels, manifest. */
#include "cai/calibrate.h"
#include "cai/writer.h"
#include "human_int.h"
#include "error_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct wfile {
    char *rel; /* path inside the dataset, e.g. "data/train-00000-of-00001.jsonl.gz" */
    char sha256[65];
    uint64_t records, bytes;
} wfile;

typedef struct wstate {
    const cai_calibrate *c;
    const char *src, *out;
    int margin;        /* 0 none, 1 capped, 2 logit */
    double margin_cap; /* for capped */
    cai_writer *w;
    size_t w_index;
    wfile *files;
    size_t n_files, cap_files;
    double p_sum;
    uint64_t kept, flipped;
} wstate;

static char *dupf(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);

    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static const char *rel_of(const char *dir, const char *file)
{
    size_t n = strlen(dir);

    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strncmp(file, dir, n) == 0 && file[n] == '/' ? file + n + 1 : file;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);

    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Opens a writer whose one final file is OUT/rel (a directory part is created). */
static cai_status open_writer(wstate *s, const char *file, size_t index, cai_error *err)
{
    const char *rel = rel_of(s->src, file), *slash = strrchr(rel, '/');
    cai_writer_opts wo = CAI_WRITER_OPTS_INIT;
    char *sub = NULL, *dir = NULL, *prefix = NULL;
    wfile *nf;
    cai_status st;

    wo.plain = !ends_with(rel, ".gz");
    sub = slash ? strndup(rel, (size_t)(slash - rel)) : strdup("");
    prefix = strdup(slash ? slash + 1 : rel);
    if (!sub || !prefix) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    prefix[strlen(prefix) - (wo.plain ? strlen(".jsonl") : strlen(".jsonl.gz"))] = '\0';
    dir = dupf(s->out, *sub ? "/" : "", sub);
    if (!dir) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    st = cai__mkdir_p(dir, err);
    if (st == CAI_OK)
        st = cai_writer_create(&s->w, dir, prefix, &wo, err);
    if (st != CAI_OK)
        goto out;
    nf = cai__grow(s->files, &s->cap_files, s->n_files + 1, sizeof(*nf), 8);
    if (!nf) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    s->files = nf;
    memset(&s->files[s->n_files], 0, sizeof(*nf));
    if (!(s->files[s->n_files].rel = strdup(rel))) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    s->n_files++;
    s->w_index = index;
out:
    free(sub);
    free(dir);
    free(prefix);
    return st;
}

static cai_status close_writer(wstate *s, cai_error *err)
{
    cai_status st = cai_writer_close(s->w, err);
    wfile *f = &s->files[s->n_files - 1];

    if (st == CAI_OK) {
        const cai_file_info *fi = cai_writer_file(s->w, 0);
        memcpy(f->sha256, fi->sha256, sizeof(f->sha256));
        f->records = fi->records;
        f->bytes = fi->bytes;
    }
    cai_writer_free(s->w);
    s->w = NULL;
    return st;
}

/* The shortest text that reads back as v, with a decimal point (as `cai run` writes p_chosen). */
static void set_exact(cJSON *o, const char *k, double v)
{
    char tmp[40];

    cai__format_double(v, tmp);
    if (!strpbrk(tmp, ".eEn"))
        strcat(tmp, ".0");
    cJSON_ReplaceItemInObjectCaseSensitive(o, k, cJSON_CreateRaw(tmp));
}

static void swap_values(cJSON *x, cJSON *y)
{
    cJSON t = *x;

    x->type = y->type;
    x->child = y->child;
    x->valuestring = y->valuestring;
    x->valueint = y->valueint;
    x->valuedouble = y->valuedouble;
    y->type = t.type;
    y->child = t.child;
    y->valuestring = t.valuestring;
    y->valueint = t.valueint;
    y->valuedouble = t.valuedouble;
}

static cai_status on_record(void *payload, const cai_dsrec *r, cai_error *err)
{
    wstate *s = payload;
    cJSON *o, *meta;
    double pa, pc;
    int pos;
    char *line, tmp[48];
    cai_status st;

    if (!s->w && (st = open_writer(s, r->file, r->file_index, err)) != CAI_OK)
        return st;
    o = cJSON_Duplicate(r->obj, 1);
    if (!o)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    pa = cai_calibrate_apply(s->c, r->p_a);
    pos = pa > 0.5 ? 0 : pa < 0.5 ? 1 : r->position; /* exactly 0.5 keeps its side */
    pc = pos == 0 ? pa : 1.0 - pa;
    set_exact(o, "p_chosen", pc);
    if (s->margin && cJSON_GetObjectItemCaseSensitive(o, "margin")) {
        double q = pc > 1.0 - 1e-6 ? 1.0 - 1e-6 : pc, m = log(q / (1.0 - q));
        if (s->margin == 1 && m > s->margin_cap)
            m = s->margin_cap;
        snprintf(tmp, sizeof(tmp), "%.6f", m);
        cJSON_ReplaceItemInObjectCaseSensitive(o, "margin", cJSON_CreateRaw(tmp));
    }
    meta = cJSON_GetObjectItemCaseSensitive(o, "cai");
    if (pos != r->position) {
        cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "chosen");
        cJSON *rj = cJSON_GetObjectItemCaseSensitive(o, "rejected");
        if (ch && rj)
            swap_values(ch, rj);
        cJSON_ReplaceItemInObjectCaseSensitive(meta, "chosen_position",
                                               cJSON_CreateString(pos == 0 ? "a" : "b"));
        if (cJSON_GetObjectItemCaseSensitive(meta, "agrees_with_human"))
            cJSON_ReplaceItemInObjectCaseSensitive(meta, "agrees_with_human",
                                                   cJSON_CreateBool(r->human == pos));
        s->flipped++;
    }
    if (meta)
        cai_dsrec__side(meta, pos != r->position);
    line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!line)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai_writer_write(s->w, line, strlen(line), err);
    cJSON_free(line);
    s->p_sum += pc;
    s->kept++;
    return st;
}

static cai_status on_file(void *payload, const cai_vfile *f, cai_error *err)
{
    wstate *s = payload;
    cai_status st = CAI_OK;

    if (!s->w)
        st = open_writer(s, f->path, f->index, err); /* an empty file stays an empty file */
    if (st == CAI_OK)
        st = close_writer(s, err);
    return st;
}

static cai_status check_outdir(const char *out, cai_error *err)
{
    DIR *d = opendir(out);
    struct dirent *e;
    int empty = 1;

    if (!d) {
        if (errno == ENOENT)
            return cai__mkdir_p(out, err);
        return cai_error__set(err, CAI_EINVAL, "%s: %s", out, strerror(errno));
    }
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    if (!empty)
        return cai_error__set(err, CAI_EINVAL,
                              "%s: exists and is not empty; the calibrated dataset goes to a new "
                              "directory",
                              out);
    return CAI_OK;
}

static cai_status read_text(const char *path, char **out, cai_error *err)
{
    FILE *f = fopen(path, "rb");
    size_t len;
    cai_status st;

    *out = NULL;
    if (!f)
        return cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
    st = cai__read_stream(f, path, (size_t)64 << 20, out, &len, err);
    fclose(f);
    return st;
}

static cai_status copy_file(const char *from, const char *to, cai_error *err)
{
    char *text = NULL;
    FILE *in = fopen(from, "rb");
    size_t len = 0;
    cai_status st;

    if (!in)
        return errno == ENOENT ? CAI_OK
                               : cai_error__set(err, CAI_EIO, "%s: %s", from, strerror(errno));
    st = cai__read_stream(in, from, (size_t)1 << 30, &text, &len, err);
    fclose(in);
    if (st == CAI_OK) /* under a temporary name first: no truncated file under the final one */
        st = cai__write_atomic_path(to, text, len, err);
    free(text);
    return st;
}

/* The new manifest: the old one with new checksums, sizes, mean and a "calibration" block. */
static cai_status write_manifest(wstate *s, cJSON *m, cai_error *err)
{
    cJSON *e, *stats = cJSON_GetObjectItemCaseSensitive(m, "statistics"), *cal;
    char *text, *path;
    size_t i;
    cai_status st;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m, "files"))
    {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "path");
        for (i = 0; cJSON_IsString(p) && i < s->n_files; i++) {
            if (strcmp(p->valuestring, s->files[i].rel) != 0)
                continue;
            cJSON_ReplaceItemInObjectCaseSensitive(e, "sha256",
                                                   cJSON_CreateString(s->files[i].sha256));
            cJSON_ReplaceItemInObjectCaseSensitive(e, "records",
                                                   cJSON_CreateNumber((double)s->files[i].records));
            cJSON_ReplaceItemInObjectCaseSensitive(e, "bytes",
                                                   cJSON_CreateNumber((double)s->files[i].bytes));
        }
    }
    if (stats && s->kept)
        cJSON_ReplaceItemInObjectCaseSensitive(stats, "mean_p_chosen",
                                               cJSON_CreateNumber(s->p_sum / (double)s->kept));
    /* Quantiles of the uncalibrated labels would mislead; the calibration block explains. */
    cJSON_DeleteItemFromObjectCaseSensitive(stats, "p_chosen_quantiles");
    cJSON_DeleteItemFromObjectCaseSensitive(stats, "margin_quantiles");
    cal = cai_calibrate__json(s->c);
    if (!cal)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cJSON_AddNumberToObject(cal, "labels_changed_side", (double)s->flipped);
    cJSON_AddStringToObject(cal, "note",
                            "p_chosen, margin and mean_p_chosen are calibrated; the other "
                            "statistics and the health block describe the uncalibrated run");
    cJSON_DeleteItemFromObjectCaseSensitive(m, "calibration");
    cJSON_AddItemToObject(m, "calibration", cal);
    text = cJSON_Print(m);
    path = dupf(s->out, "/", "manifest.json");
    if (!text || !path) {
        cJSON_free(text);
        free(path);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    st = cai__write_atomic_path(path, text, strlen(text), err);
    cJSON_free(text);
    free(path);
    return st;
}

static cai_status write_card(wstate *s, cai_error *err)
{
    char *from = dupf(s->src, "/", "README.md"), *to = dupf(s->out, "/", "README.md");
    char *old = NULL, *text = NULL;
    cai_buf b = {0};
    double t, a, bb;
    cai_calib_metrics m;
    cai_status st;

    if (!from || !to) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    st = read_text(from, &old, err);
    if (st != CAI_OK)
        goto out;
    cai_calibrate_params(s->c, &t, &a, &bb);
    cai_calibrate_metrics(s->c, &m);
    cai_buf__puts(&b, old);
    cai_buf__printf(&b, "\n## Calibration\n\nThe soft labels of this dataset were calibrated with "
                        "`cai calibrate` against human labels: ");
    if (bb != 0 || a != 1.0 / t)
        cai_buf__printf(&b, "Platt scaling, P'(A) = sigmoid(%.6f * logit(P(A)) + %.6f)", a, bb);
    else
        cai_buf__printf(&b, "temperature %.6f, P'(A) = sigmoid(logit(P(A)) / T)", t);
    cai_buf__printf(&b,
                    ". On %llu held-out human-labelled pairs, log-loss went from %.4f to %.4f "
                    "and expected calibration error (10 bins) from %.4f to %.4f. `p_chosen` "
                    "and `margin` are recalibrated; %llu labels changed side. The manifest's "
                    "`calibration` block records the parameters and their data; the checksums "
                    "are those of the calibrated files.\n",
                    (unsigned long long)m.n, m.logloss_before, m.logloss_after, m.ece_before,
                    m.ece_after, (unsigned long long)s->flipped);
    text = cai_buf__take(&b);
    if (!text) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    st = cai__write_atomic_path(to, text, strlen(text), err);
out:
    free(from);
    free(to);
    free(old);
    free(text);
    return st;
}

cai_status cai_calibrate_write(const cai_calibrate *c, const char *outdir, cai_error *err)
{
    wstate s;
    cai_dsrec_sink sink = {on_record, on_file, NULL};
    char *mpath, *text = NULL;
    cJSON *m = NULL;
    const cJSON *set, *mode, *cap;
    cai_status st;
    size_t i;

    CAI_ASSERT_ARG(err, c != NULL && outdir != NULL && *outdir);
    memset(&s, 0, sizeof(s));
    s.c = c;
    s.src = cai_calibrate__dataset(c);
    s.out = outdir;
    mpath = dupf(s.src, "/", "manifest.json");
    if (!mpath)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = read_text(mpath, &text, err);
    if (st != CAI_OK) {
        st = cai_error__set(err, CAI_EINVAL,
                            "%s: writing a calibrated dataset needs a `cai run` output directory "
                            "with manifest.json",
                            s.src);
        goto out;
    }
    m = cJSON_Parse(text);
    set = cJSON_GetObjectItemCaseSensitive(m, "settings");
    mode = cJSON_GetObjectItemCaseSensitive(set, "margin");
    cap = cJSON_GetObjectItemCaseSensitive(set, "margin_cap");
    if (!cJSON_IsObject(m) || !cJSON_IsString(mode)) {
        st = cai_error__set(err, CAI_ESCHEMA, "%s: settings.margin: missing (not a cai manifest)",
                            mpath);
        goto out;
    }
    s.margin = !strcmp(mode->valuestring, "capped")  ? 1
               : !strcmp(mode->valuestring, "logit") ? 2
                                                     : 0;
    s.margin_cap = cJSON_IsNumber(cap) && cap->valuedouble > 0 ? cap->valuedouble : 3.0;
    st = check_outdir(outdir, err);
    sink.payload = &s;
    if (st == CAI_OK)
        st = cai_dsrec__scan(s.src, &sink, err);
    for (i = 0; st == CAI_OK && i < 2; i++) {
        const char *name = i == 0 ? "failed.jsonl.gz" : "ties.jsonl.gz";
        char *from = dupf(s.src, "/", name), *to = dupf(outdir, "/", name);
        st = from && to ? copy_file(from, to, err)
                        : cai_error__set(err, CAI_ENOMEM, "out of memory");
        free(from);
        free(to);
    }
    if (st == CAI_OK)
        st = write_card(&s, err);
    if (st == CAI_OK)
        st = write_manifest(&s, m, err); /* last: a manifest means the directory is complete */
out:
    cai_writer_free(s.w);
    for (i = 0; i < s.n_files; i++)
        free(s.files[i].rel);
    free(s.files);
    cJSON_Delete(m);
    free(text);
    free(mpath);
    return st;
}
