/* SPDX-License-Identifier: MIT */
/* The dataset scanner behind validate and stats: finds the data files of each PATH, checks a
 * manifest's promises, and reads every line once into the pair model, reporting what is wrong. */
#include "validate_int.h"
#include "error_int.h"
#include "util_int.h"
#include "jsonraw_int.h"
#include "recdec_int.h"
#include "recfmt_int.h"
#include "cai/writer.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- names ------------------------------------------------------------------------------ */

static const char *const kind_names[CAI_VK__COUNT] = {
    [CAI_VK_READ] = "read",
    [CAI_VK_GZIP] = "gzip",
    [CAI_VK_UTF8] = "utf8",
    [CAI_VK_NUL] = "nul",
    [CAI_VK_TOOLONG] = "too_long",
    [CAI_VK_JSON] = "json",
    [CAI_VK_SCHEMA] = "schema",
    [CAI_VK_ROLES] = "roles",
    [CAI_VK_EMPTY_PROMPT] = "empty_prompt",
    [CAI_VK_EMPTY_CHOSEN] = "empty_chosen",
    [CAI_VK_EMPTY_REJECTED] = "empty_rejected",
    [CAI_VK_EMPTY_RESPONSE] = "empty_response",
    [CAI_VK_IDENTICAL] = "identical",
    [CAI_VK_CONTEXT] = "context_mismatch",
    [CAI_VK_LABEL] = "label",
    [CAI_VK_EMPTY_COMPLETION] = "empty_completion",
    [CAI_VK_EMPTY_TURN] = "empty_turn",
    [CAI_VK_TOO_FEW] = "too_few_responses",
    [CAI_VK_MANIFEST] = "manifest",
    [CAI_VK_MISSING] = "missing_file",
    [CAI_VK_SHA256] = "sha256_mismatch",
    [CAI_VK_RECORDS] = "records_mismatch",
    [CAI_VK_BYTES] = "bytes_mismatch",
    [CAI_VK_UNLISTED] = "unlisted_file",
    [CAI_VK_LEAK] = "leak",
    [CAI_VK_DRIFT] = "schema_drift",
    [CAI_VK_ALTERNATION] = "roles_not_alternating",
    [CAI_VK_DUP_PAIR] = "duplicate_pair",
    [CAI_VK_CONFLICT] = "conflicting_pair",
    [CAI_VK_DUP_PROMPT] = "duplicate_prompt",
    [CAI_VK_NEAR_DUP_PAIR] = "near_duplicate_pair",
    [CAI_VK_NEAR_DUP_PROMPT] = "near_duplicate_prompt",
    [CAI_VK_LONG] = "long",
    [CAI_VK_POSITION_BIAS] = "position_bias",
    [CAI_VK_LENGTH_BIAS] = "length_bias",
    [CAI_VK_CONSISTENCY] = "low_consistency",
    [CAI_VK_PRINCIPLE_BIAS] = "principle_bias",
    [CAI_VK_GLUED] = "glued",
    [CAI_VK_TRUNCATED] = "truncated_response",
    [CAI_VK_MULTI_TURN_REPLY] = "multi_turn_reply",
    [CAI_VK_NO_RECORDS] = "no_records",
    [CAI_VK_JUDGE_ALL_TIES] = "judge_all_ties",
    [CAI_VK_JUDGE_TEXT_FALLBACK] = "judge_text_fallback",
    [CAI_VK_JUDGE_POSITION_BIAS] = "judge_position_bias",
    [CAI_VK_JUDGE_ORDER_INCONSISTENT] = "judge_order_inconsistent",
    [CAI_VK_JUDGE_DISAGREES_WITH_HUMAN] = "judge_disagrees_with_human",
    [CAI_VK_JUDGE_ORDER_CONSISTENCY] = "judge_order_consistency",
    [CAI_VK_JUDGE_HUMAN_AGREEMENT] = "judge_human_agreement",
    [CAI_VK_JUDGE_LENGTH_BIAS] = "judge_length_bias",
    [CAI_VK_JUDGE_TRUNCATED_PROMPTS] = "judge_truncated_prompts",
};

const char *cai_vkind__name(cai_vkind k)
{
    return (unsigned)k < CAI_VK__COUNT ? kind_names[k] : "unknown";
}

const char *cai_split__name(cai_split s)
{
    switch (s) {
    case CAI_SPLIT_TRAIN:
        return "train";
    case CAI_SPLIT_TEST:
        return "test";
    case CAI_SPLIT_VALIDATION:
        return "validation";
    case CAI_SPLIT_NONE:
    case CAI_SPLIT__COUNT:
        break;
    }
    return "";
}

/* ---- the plan: which files to read, with what a manifest promised ------------------------- */

typedef struct plan_file {
    char *path;
    cai_split split;
    int data;   /* 1: records to validate; 0: integrity only (a run's failed.jsonl.gz) */
    int expect; /* a manifest entry gave sha256/records/bytes */
    char sha256[65];
    uint64_t records, bytes;
    int has_records, has_bytes;
    int has_id; /* dev/ino known: the same file under two names is read once */
    dev_t dev;
    ino_t ino;
} plan_file;

typedef struct plan {
    plan_file *f;
    size_t n, cap;
} plan;

typedef struct strlist {
    char **s;
    size_t n, cap;
} strlist;

static int strlist_add(strlist *l, const char *s)
{
    char **ns = cai__grow(l->s, &l->cap, l->n + 1, sizeof(*ns), 16);

    if (!ns)
        return -1;
    l->s = ns;
    l->s[l->n] = strdup(s);
    if (!l->s[l->n])
        return -1;
    l->n++;
    return 0;
}

static void strlist_free(strlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The planned file that sb describes, or NULL. */
static plan_file *plan_find(const plan *p, const struct stat *sb)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        if (p->f[i].has_id && p->f[i].dev == sb->st_dev && p->f[i].ino == sb->st_ino)
            return &p->f[i];
    return NULL;
}

/* sb: the file's stat, or NULL when it has none (stdin). */
static plan_file *
plan_add(plan *p, const char *path, cai_split split, int data, const struct stat *sb)
{
    plan_file *f;

    f = cai__grow(p->f, &p->cap, p->n + 1, sizeof(*f), 16);
    if (!f)
        return NULL;
    p->f = f;
    f = &p->f[p->n];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    if (!f->path)
        return NULL;
    f->split = split;
    f->data = data;
    if (sb) {
        f->has_id = 1;
        f->dev = sb->st_dev;
        f->ino = sb->st_ino;
    }
    p->n++;
    return f;
}

static void plan_free(plan *p)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        free(p->f[i].path);
    free(p->f);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_data_name(const char *name)
{
    return ends_with(name, ".jsonl") || ends_with(name, ".jsonl.gz");
}

/* "train-00000-of-00001.jsonl.gz", "test_prefs.jsonl", "validation.jsonl": the leading word. */
static cai_split split_of_word(const char *s, size_t n)
{
    static const struct {
        const char *word;
        cai_split split;
    } words[] = {{"train", CAI_SPLIT_TRAIN},           {"test", CAI_SPLIT_TEST},
                 {"validation", CAI_SPLIT_VALIDATION}, {"valid", CAI_SPLIT_VALIDATION},
                 {"val", CAI_SPLIT_VALIDATION},        {"dev", CAI_SPLIT_VALIDATION}};
    size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t m = strlen(words[i].word);
        if (n >= m && strncasecmp(s, words[i].word, m) == 0 &&
            (n == m || s[m] == '-' || s[m] == '_' || s[m] == '.'))
            return words[i].split;
    }
    return CAI_SPLIT_NONE;
}

static cai_split split_of_path(const char *path)
{
    const char *base = strrchr(path, '/'), *parent;
    cai_split s;

    base = base ? base + 1 : path;
    s = split_of_word(base, strlen(base));
    if (s != CAI_SPLIT_NONE || base == path)
        return s;
    for (parent = base - 1; parent > path && parent[-1] != '/'; parent--)
        ;
    return split_of_word(parent, (size_t)(base - 1 - parent));
}

static cai_split split_of_name(const char *name)
{
    return name ? split_of_word(name, strlen(name)) : CAI_SPLIT_NONE;
}

/* Relative paths of *.jsonl[.gz] files under dir (hidden entries skipped), sorted. */
static cai_status walk(const char *root, const char *rel, int depth, strlist *out, cai_error *err)
{
    char *dirpath = rel[0] ? cai__path_join(root, rel) : strdup(root);
    DIR *d;
    struct dirent *e;
    cai_status st = CAI_OK;

    if (!dirpath)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    d = opendir(dirpath);
    if (!d) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", dirpath, strerror(errno));
        free(dirpath);
        return st;
    }
    while (st == CAI_OK && (e = readdir(d)) != NULL) {
        char *sub, *full;
        struct stat sb;

        if (e->d_name[0] == '.')
            continue;
        sub = rel[0] ? cai__path_join(rel, e->d_name) : strdup(e->d_name);
        full = sub ? cai__path_join(root, sub) : NULL;
        if (!sub || !full) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        } else if (stat(full, &sb) != 0) {
            st = cai_error__set(err, CAI_EIO, "%s: %s", full, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            if (depth < 8)
                st = walk(root, sub, depth + 1, out, err);
        } else if (S_ISREG(sb.st_mode) && is_data_name(e->d_name)) {
            if (strlist_add(out, sub) != 0)
                st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        }
        free(sub);
        free(full);
    }
    closedir(d);
    free(dirpath);
    return st;
}

/* The type of a member of the "cai" labels (read from the line's cJSON tree). */
static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsArray(v))
        return "a list";
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsBool(v))
        return "a boolean";
    return "null";
}

/* The line as a cJSON tree, built when a sink asks for it. */
struct cai_vtree {
    const char *text;
    size_t len;
    cJSON *tree;
};

const cJSON *cai_vrec__json(const cai_vrec *r)
{
    struct cai_vtree *t = r->tree;

    if (!t->tree)
        t->tree = cJSON_ParseWithLength(t->text, t->len);
    return t->tree;
}

/* ---- scanner state ---------------------------------------------------------------------- */

typedef struct scan {
    const cai_vscan_opts *o;
    const cai_vsink *sink;
    cai_vfile file;
    uint64_t line;
    int line_bad;   /* this line has an error finding */
    int structural; /* ... one that keeps it out of the pair model */
    int content;    /* ... about its content (empty, identical, context, label) */
    cai_vturn *turns;
    size_t n_turns, cap_turns;
    size_t seq_start[CAI_VREC_MAX_RESP + 2], seq_len[CAI_VREC_MAX_RESP + 2]; /* prompt, responses */
    cai_vseq seqs[CAI_VREC_MAX_RESP + 1];
    size_t n_seqs;
    cai_recdec dec;        /* the line's record, as the one decoder reads it */
    struct cai_vtree tree; /* the line as a tree, when a sink asks for one (cai_vrec__json) */
    cJSON *meta;           /* its "cai" object, for the labels */
    char msg[512];
    /* per kind of training data (preference, sft, messages): the first record's type signature
     * (cai_json__signature) and its FILE:LINE */
    char *ref_sig[3];
    cai_jsig sig; /* the current record's signature, reused from record to record */
    char ref_where[3][300];
    size_t drift_reported; /* 1 + index of the last file with a schema_drift finding */
    size_t glued_reported; /* ... with a glued finding */
} scan;

#define MAX_CANDIDATES CAI_VREC_MAX_RESP

/* Hands one finding about the current line to the sink. */
static cai_status report(scan *s, cai_error *err, cai_vkind k, const char *msg)
{
    return s->sink->finding(s->sink->payload, k, s->file.path, s->line, msg, err);
}

#define STRUCT_ERR(s, err, kind, ...)                                                              \
    do {                                                                                           \
        snprintf((s)->msg, sizeof((s)->msg), __VA_ARGS__);                                         \
        (s)->line_bad = 1;                                                                         \
        (s)->structural = 1;                                                                       \
        return report((s), (err), (kind), (s)->msg);                                               \
    } while (0)

/* A finding that leaves the record in the pair model: a content error, or a warning. */
static cai_status content_err(scan *s, cai_error *err, cai_vkind k, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static cai_status content_err(scan *s, cai_error *err, cai_vkind k, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
    va_end(ap);
    if (k < CAI_VK__FIRST_WARNING) {
        s->line_bad = 1;
        s->content = 1;
    }
    return report(s, err, k, s->msg);
}

static int push_turn(scan *s, cai_role role, const char *text, size_t len)
{
    cai_vturn *nt = cai__grow(s->turns, &s->cap_turns, s->n_turns + 1, sizeof(*nt), 64);

    if (!nt)
        return -1;
    s->turns = nt;
    s->turns[s->n_turns].role = role;
    s->turns[s->n_turns].s = text;
    s->turns[s->n_turns].len = len;
    s->n_turns++;
    return 0;
}

/* The decoder's findings (recdec.c): each keeps the record out of the pair model. */
static cai_status on_finding(void *payload, const cai_recdec_finding *f, cai_error *err)
{
    scan *s = payload;

    s->line_bad = 1;
    s->structural = 1;
    return report(s, err, f->kind == CAI_RECDEC_ROLES ? CAI_VK_ROLES : CAI_VK_SCHEMA, f->msg);
}

/* ---- checks on the decoded turns -------------------------------------------------------- */

static const char *turn_role_name(cai_role r)
{
    return r == CAI_ROLE_USER ? "user" : r == CAI_ROLE_ASSISTANT ? "assistant" : "system";
}

/* What the responses of a record are: check_order's and check_content's names for them. */
enum { RESP_UNLABELLED, RESP_LABELLED, RESP_COMPLETION };

/* Turn order of a prompt (seq 0) and the responses: the prompt may open with one system turn
 * and ends on a user turn; a response opens with an assistant turn. Two turns of one role in a
 * row are only a warning: the text is usable, but strict chat templates refuse it. SFT data
 * (RESP_COMPLETION) is stricter: its prompt's first turn after the system turn is a user turn,
 * and its completion holds assistant turns only. */
static cai_status check_order(scan *s, int labelled, cai_error *err)
{
    size_t i, k, start = s->seq_start[0], n = s->seq_len[0];
    const cai_vturn *t = s->turns + start;
    int alternation = 0;
    cai_status st = CAI_OK;

    for (i = 0; i < n; i++) {
        if (t[i].role == CAI_ROLE_SYSTEM && i > 0)
            STRUCT_ERR(s, err, CAI_VK_ROLES, "prompt turn %zu is a system turn after the first",
                       i + 1);
        if (i > 0 && t[i].role == t[i - 1].role)
            alternation = 1;
    }
    if (n > 0 && t[n - 1].role != CAI_ROLE_USER)
        STRUCT_ERR(s, err, CAI_VK_ROLES, "the prompt ends on %s turn, not a user turn",
                   t[n - 1].role == CAI_ROLE_ASSISTANT ? "an assistant" : "a system");
    if (labelled == RESP_COMPLETION) {
        i = n > 0 && t[0].role == CAI_ROLE_SYSTEM;
        if (i < n && t[i].role != CAI_ROLE_USER)
            STRUCT_ERR(
                s, err, CAI_VK_ROLES,
                "the first turn after the system turn is an assistant turn, not a user turn");
    }
    for (k = 1; k < s->n_seqs; k++) {
        const cai_vturn *r = s->turns + s->seq_start[k];
        size_t m = s->seq_len[k];
        const char *name = labelled == RESP_COMPLETION ? "the completion"
                           : labelled == RESP_LABELLED ? (k == 1 ? "chosen" : "rejected")
                                                       : "a response";

        if (m > 0 && r[0].role != CAI_ROLE_ASSISTANT)
            STRUCT_ERR(s, err, CAI_VK_ROLES, "%s starts with a %s turn, not an assistant turn",
                       name, turn_role_name(r[0].role));
        for (i = 0; i < m; i++) {
            if (r[i].role == CAI_ROLE_SYSTEM)
                STRUCT_ERR(s, err, CAI_VK_ROLES, "%s has a system turn", name);
            if (labelled == RESP_COMPLETION && r[i].role != CAI_ROLE_ASSISTANT)
                STRUCT_ERR(s, err, CAI_VK_ROLES,
                           "the completion has a user turn (turn %zu): the answer goes on "
                           "with the next question",
                           i + 1);
            if (i > 0 && r[i].role == r[i - 1].role)
                alternation = 1;
        }
    }
    if (alternation)
        st = content_err(s, err, CAI_VK_ALTERNATION, "two turns of the same role in a row");
    return st;
}

/* hh: two transcripts that share everything before the last Assistant turn. */

/* hh: the contexts must agree turn by turn, or the pair compares answers to different talks. */
static cai_status check_hh_context(scan *s, cai_error *err)
{
    const cai_transcript *t = s->dec.tr;
    size_t at = cai_recdec__hh_differs(&s->dec);

    if (at == 0)
        return CAI_OK;
    if (at == (size_t)-1)
        return content_err(s, err, CAI_VK_CONTEXT,
                           "chosen and rejected have different contexts (%zu and %zu turns "
                           "before the last Assistant turn)",
                           t[0].n_turns - 1, t[1].n_turns - 1);
    return content_err(s, err, CAI_VK_CONTEXT,
                       "chosen and rejected have different contexts (from turn %zu)", at);
}

/* A string completion that holds an HH turn marker wrote the next turns too; an HH transcript
 * prompt (one that opens with "\n\nHuman:") must end on the "\n\nAssistant:" cue. */
static cai_status check_sft_strings(scan *s, cai_error *err)
{
    const cai_jval *pv = &s->dec.keys.prompt, *cv = &s->dec.keys.completion;
    static const char cue[] = "\n\nAssistant:";
    const char *p, *c;
    size_t n;

    if (!cai_jscan__is_string(pv) || !cai_jscan__is_string(cv))
        return CAI_OK;
    if (!(p = cai_recdec__str(&s->dec, pv)) || !(c = cai_recdec__str(&s->dec, cv)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (strstr(c, "\n\nHuman:") || strstr(c, "\n\nAssistant:"))
        STRUCT_ERR(s, err, CAI_VK_ROLES,
                   "the completion holds a \"\\n\\n%s:\" turn: the answer goes on with the "
                   "next turns",
                   strstr(c, "\n\nHuman:") ? "Human" : "Assistant");
    if (strncmp(p, "\n\nHuman:", sizeof("\n\nHuman:") - 1) != 0)
        return CAI_OK;
    n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n < sizeof(cue) - 1 || memcmp(p + n - (sizeof(cue) - 1), cue, sizeof(cue) - 1))
        STRUCT_ERR(s, err, CAI_VK_ROLES,
                   "the prompt is an HH transcript that does not end with \"\\n\\nAssistant:\": "
                   "the completion is not the assistant's turn");
    return CAI_OK;
}

/* messages (TRL conversational): the turns before the last are the prompt, the last (an
 * assistant turn) the completion. */
/* ---- content checks --------------------------------------------------------------------- */

static int blank_seq(const cai_vseq *q)
{
    size_t i, j;

    for (i = 0; i < q->n; i++)
        for (j = 0; j < q->t[i].len; j++)
            if (!isspace((unsigned char)q->t[i].s[j]))
                return 0;
    return 1;
}

static int same_seq(const cai_vseq *a, const cai_vseq *b)
{
    size_t i;

    if (a->n != b->n)
        return 0;
    for (i = 0; i < a->n; i++)
        if (a->t[i].role != b->t[i].role || a->t[i].len != b->t[i].len ||
            memcmp(a->t[i].s, b->t[i].s, a->t[i].len) != 0)
            return 0;
    return 1;
}

/* Equal after trimming the ends' white space (one turn each): how `cai sample` flags a
 * candidate that repeats another. */
static int same_trimmed_seq(const cai_vseq *a, const cai_vseq *b)
{
    const char *x, *y;
    size_t nx, ny;

    if (a->n != 1 || b->n != 1)
        return same_seq(a, b);
    for (x = a->t[0].s, nx = a->t[0].len; nx && isspace((unsigned char)*x); x++, nx--)
        ;
    for (y = b->t[0].s, ny = b->t[0].len; ny && isspace((unsigned char)*y); y++, ny--)
        ;
    while (nx && isspace((unsigned char)x[nx - 1]))
        nx--;
    while (ny && isspace((unsigned char)y[ny - 1]))
        ny--;
    return nx == ny && memcmp(x, y, nx) == 0;
}

/* messages: a blank turn inside a prompt that is not blank as a whole (once per record). */
static cai_status check_turns(scan *s, cai_error *err)
{
    const cai_vseq *p = &s->seqs[0];
    size_t i;

    if (blank_seq(p))
        return CAI_OK; /* empty_prompt says it */
    for (i = 0; i < p->n; i++) {
        cai_vseq one = {p->t + i, 1};
        if (blank_seq(&one))
            return content_err(s, err, CAI_VK_EMPTY_TURN,
                               "messages[%zu] (%s) is empty or whitespace-only", i,
                               turn_role_name(p->t[i].role));
    }
    return CAI_OK;
}

/*
 * candidates: responses cut at max_tokens (a warning each), and fewer than two usable
 * responses (an error): usable is what `cai sample` leaves unflagged, neither empty nor
 * truncated nor a repeat of an earlier response of the record (ends trimmed).
 */
static cai_status check_candidates(scan *s, cai_error *err)
{
    size_t i, j, n = s->n_seqs - 1, usable = 0;
    const cai_vseq *r = s->seqs + 1;
    cai_status st = CAI_OK;

    for (i = 0; st == CAI_OK && i < n; i++) {
        int ok = !blank_seq(&r[i]) && !s->dec.truncated[i];

        if (s->dec.truncated[i])
            st =
                content_err(s, err, CAI_VK_TRUNCATED,
                            "response %zu was cut at max_tokens (finish_reason \"length\")", i + 1);
        for (j = 0; ok && j < i; j++)
            ok = !same_trimmed_seq(&r[i], &r[j]);
        usable += ok;
    }
    if (st == CAI_OK && usable < 2)
        st = content_err(s, err, CAI_VK_TOO_FEW,
                         "%zu usable response%s of %zu (empty, truncated and repeated ones left "
                         "out): no pair to judge",
                         usable, usable == 1 ? "" : "s", n);
    return st;
}

static cai_status check_content(scan *s, int labelled, cai_format f, cai_error *err)
{
    size_t i, j, n = s->n_seqs - 1;
    const cai_vseq *r = s->seqs + 1;
    cai_status st = CAI_OK;

    if (blank_seq(&s->seqs[0]))
        st = content_err(s, err, CAI_VK_EMPTY_PROMPT, "the prompt is empty or whitespace-only");
    for (i = 0; st == CAI_OK && i < n; i++) {
        if (!blank_seq(&r[i]))
            continue;
        if (labelled == RESP_COMPLETION)
            st = content_err(s, err, CAI_VK_EMPTY_COMPLETION,
                             "the completion is empty or whitespace-only");
        else if (labelled)
            st = content_err(s, err, i == 0 ? CAI_VK_EMPTY_CHOSEN : CAI_VK_EMPTY_REJECTED,
                             "the %s response is empty or whitespace-only",
                             i == 0 ? "chosen" : "rejected");
        else
            st = content_err(s, err, CAI_VK_EMPTY_RESPONSE,
                             "response %zu is empty or whitespace-only", i + 1);
    }
    for (i = 0; st == CAI_OK && i < n; i++) {
        for (j = i + 1; j < n; j++) {
            if (f == CAI_FORMAT_CANDIDATES ? !same_trimmed_seq(&r[i], &r[j])
                                           : !same_seq(&r[i], &r[j]))
                continue;
            if (labelled)
                st = content_err(s, err, CAI_VK_IDENTICAL, "chosen and rejected are identical");
            else
                st = content_err(s, err, CAI_VK_IDENTICAL, "responses %zu and %zu are identical",
                                 i + 1, j + 1);
            return st;
        }
    }
    return st;
}

/* A count in the "cai" object: absent (-1) or a non-negative integer. */
static cai_status
read_count(scan *s, const cJSON *meta, const char *key, int64_t *out, cai_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);

    *out = -1;
    if (!v)
        return CAI_OK;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 1e15 ||
        v->valuedouble != floor(v->valuedouble))
        STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai.%s\" is not a non-negative integer", key);
    *out = (int64_t)v->valuedouble;
    return CAI_OK;
}

/* The judge-health fields of the "cai" object (cai_vrec). */
static cai_status read_shown_counts(scan *s, const cJSON *meta, cai_vrec *rec, cai_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, "agrees_with_human");
    cai_status st = read_count(s, meta, "first_shown_wins", &rec->first_wins, err);

    if (st == CAI_OK)
        st = read_count(s, meta, "second_shown_wins", &rec->second_wins, err);
    if (st == CAI_OK)
        st = read_count(s, meta, "text_judgments", &rec->text_judgments, err);
    if (st != CAI_OK)
        return st;
    if (v && !cJSON_IsBool(v))
        STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai.agrees_with_human\" is %s, not true or false",
                   type_name(v));
    rec->human_agree = v ? cJSON_IsTrue(v) : -1;
    return CAI_OK;
}

/* p_chosen, margin, id and the "cai" metadata object written by `cai run`. */
static cai_status read_labels(scan *s, const cai_jval *o, cai_vrec *rec, cai_error *err)
{
    static const char *const names[] = {"p_chosen", "margin", "cai"};
    cai_jval f[3];
    const cJSON *meta = NULL, *v;

    cai_jscan__get_many(o, names, f, 3);
    if (f[0].n && !cai_jscan__is_number(&f[0]))
        STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"p_chosen\" is %s, not a number",
                   cai_recdec__type_name(&f[0]));
    if (f[1].n && !cai_jscan__is_number(&f[1]))
        STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"margin\" is %s, not a number",
                   cai_recdec__type_name(&f[1]));
    if (f[2].n && !cai_jscan__is_object(&f[2]))
        STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai\" is %s, not an object",
                   cai_recdec__type_name(&f[2]));
    /* the "cai" object alone as a tree: principles and their p_chosen go to the sinks so */
    if (f[2].n && !(meta = s->meta = cJSON_ParseWithLength(f[2].p, f[2].n)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (meta) {
        v = cJSON_GetObjectItemCaseSensitive(meta, "chosen_position");
        if (v && !(cJSON_IsString(v) &&
                   (strcmp(v->valuestring, "a") == 0 || strcmp(v->valuestring, "b") == 0)))
            STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai.chosen_position\" is not \"a\" or \"b\"");
        rec->position = v ? v->valuestring[0] == 'b' : -1;
        v = cJSON_GetObjectItemCaseSensitive(meta, "orders_agree");
        if (v && !cJSON_IsBool(v) && !cJSON_IsNull(v))
            STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai.orders_agree\" is %s, not true, false or null",
                       type_name(v));
        rec->agree = cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
        v = cJSON_GetObjectItemCaseSensitive(meta, "principles");
        if (v) {
            const cJSON *id;
            if (!cJSON_IsArray(v))
                STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai.principles\" is %s, not a list",
                           type_name(v));
            cJSON_ArrayForEach(id, v)
            {
                if (!cJSON_IsString(id))
                    STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai.principles\" holds %s, not a string",
                               type_name(id));
            }
            rec->principles = v;
        }
        v = cJSON_GetObjectItemCaseSensitive(meta, "principle_p_chosen");
        if (v) {
            const cJSON *x;
            if (!cJSON_IsArray(v))
                STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai.principle_p_chosen\" is %s, not a list",
                           type_name(v));
            cJSON_ArrayForEach(x, v)
            {
                if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0.0 && x->valuedouble <= 1.0))
                    STRUCT_ERR(s, err, CAI_VK_SCHEMA,
                               "\"cai.principle_p_chosen\" holds %s, not a number in [0, 1]",
                               cJSON_IsNumber(x) ? "a number outside [0, 1]" : type_name(x));
            }
            if (!rec->principles || cJSON_GetArraySize(v) != cJSON_GetArraySize(rec->principles))
                STRUCT_ERR(s, err, CAI_VK_SCHEMA,
                           "\"cai.principle_p_chosen\" has %d entries for %d principles",
                           cJSON_GetArraySize(v),
                           rec->principles ? cJSON_GetArraySize(rec->principles) : 0);
            rec->principle_p = v;
        }
        v = cJSON_GetObjectItemCaseSensitive(meta, "judgments");
        if (v && !cJSON_IsNumber(v))
            STRUCT_ERR(s, err, CAI_VK_SCHEMA, "\"cai.judgments\" is %s, not a number",
                       type_name(v));
        {
            cai_status st = read_shown_counts(s, meta, rec, err);
            if (st != CAI_OK || s->structural)
                return st;
        }
    }
    if (f[0].n) {
        double p = cai_jscan__number(&f[0]);
        rec->has_p = 1;
        rec->p_chosen = p;
        if (!(p >= 0.0 && p <= 1.0))
            return content_err(s, err, CAI_VK_LABEL, "p_chosen %g is outside [0, 1]", p);
        if (p < 0.5)
            return content_err(s, err, CAI_VK_LABEL,
                               "p_chosen %g is below 0.5: the rejected response is the likelier",
                               p);
    }
    return CAI_OK;
}

/* ---- one schema: schema drift and glued joins ------------------------------------------- */

/* The first "path=type" entry in which two sorted signatures differ, as a short reason. */
static void sig_diff(const char *ref, const char *cur, char *out, size_t n)
{
    while (*ref || *cur) {
        size_t lr = strcspn(ref, "\n"), lc = strcspn(cur, "\n");
        int c = !*ref ? 1 : !*cur ? -1 : strncmp(ref, cur, lr < lc ? lr : lc);
        if (c == 0 && lr != lc)
            c = lr < lc ? -1 : 1;
        if (c == 0) {
            ref += lr + (ref[lr] != '\0');
            cur += lc + (cur[lc] != '\0');
            continue;
        }
        if (c < 0)
            snprintf(out, n, "lacks %.*s", (int)(lr < 140 ? lr : 140), ref);
        else
            snprintf(out, n, "has %.*s", (int)(lc < 140 ? lc : 140), cur);
        return;
    }
    snprintf(out, n, "differs");
}

/*
 * Arrow-based loaders (Hugging Face datasets) fix every column's type from the first block they
 * read and cast every later block, file and split to it: a key or a JSON type that changes
 * between records fails the load. Checked for training records (trl, conversational, hh); once
 * per file, naming the first record that differs.
 */
static cai_status check_drift(scan *s, int cls, const char *line, size_t len, cai_error *err)
{
    const char *sig = cai_jsig__of(&s->sig, line, len);
    char why[160];

    if (!sig)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (!s->ref_sig[cls]) {
        if (!(s->ref_sig[cls] = strdup(sig)))
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        snprintf(s->ref_where[cls], sizeof(s->ref_where[cls]), "%.260s:%llu", s->file.path,
                 (unsigned long long)s->line);
        return CAI_OK;
    }
    if (strcmp(sig, s->ref_sig[cls]) != 0 && s->drift_reported != s->file.index + 1) {
        s->drift_reported = s->file.index + 1;
        sig_diff(s->ref_sig[cls], sig, why, sizeof(why));
        snprintf(s->msg, sizeof(s->msg),
                 "schema drift: this record %s (path=type; s string, i integer, f float, b bool, "
                 "n null) unlike the first record at %.200s; `datasets` cannot load both",
                 why, s->ref_where[cls]);
        /* an error, but the record itself is sound: it still counts in the statistics */
        return report(s, err, CAI_VK_DRIFT, s->msg);
    }
    return CAI_OK;
}

static int join_ok(const char *prompt, const char *resp)
{
    size_t n = strlen(prompt);

    if (!n || !*resp)
        return 1;
    return strchr(" \t\r\n", prompt[n - 1]) || strchr(" \t\r\n", resp[0]) || prompt[n - 1] == ':';
}

/* TRL and OpenRLHF train on prompt + chosen (prompt + completion for SFT) joined with no
 * separator. Once per file: a file is usually glued throughout or not at all. */
static cai_status check_glued(scan *s, cai_error *err)
{
    const cai_jval *pv = &s->dec.keys.prompt, *cv = &s->dec.keys.chosen;
    const cai_jval *rv = &s->dec.keys.rejected;
    const char *p, *c, *r;

    if (!cv->n && !rv->n)
        cv = rv = &s->dec.keys.completion;
    if (!cai_jscan__is_string(pv) || !cai_jscan__is_string(cv) || !cai_jscan__is_string(rv) ||
        s->glued_reported == s->file.index + 1)
        return CAI_OK;
    if (!(p = cai_recdec__str(&s->dec, pv)) || !(c = cai_recdec__str(&s->dec, cv)) ||
        !(r = cv == rv ? c : cai_recdec__str(&s->dec, rv)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (join_ok(p, c) && join_ok(p, r))
        return CAI_OK;
    s->glued_reported = s->file.index + 1;
    return content_err(s, err, CAI_VK_GLUED,
                       "prompt + %s has no whitespace or role cue at the join (TRL and "
                       "OpenRLHF concatenate them as they are; reported for the first such "
                       "record of each file)",
                       cv == rv        ? "completion"
                       : join_ok(p, c) ? "rejected"
                                       : "chosen");
}

/* One JSON line: parse, recognise, extract, check, then hand the record to the sink. */
static cai_status read_line(scan *s, const char *line, size_t len, cai_error *err)
{
    const cJSON *o;
    cai_vrec rec;
    cai_format f, fmt;
    cai_jval root;
    cai_status st = CAI_OK;
    size_t k, at = 0;
    cai_jcheck jc;
    int mode, clean;

    s->n_turns = s->n_seqs = 0;
    memset(&rec, 0, sizeof(rec));
    rec.position = rec.agree = -1;
    rec.first_wins = rec.second_wins = rec.text_judgments = -1;
    rec.human_agree = -1;
    /* what the reader (cai run) refuses before parsing: one check for both, in the same pass
     * as the syntax for a good line (cai_jscan__check_clean) */
    clean = cai_jscan__check_clean(line, len, &root) == 0;
    jc = clean ? CAI_JCHECK_OK : cai_json__check(line, len, &at);
    if (jc == CAI_JCHECK_DEEP || jc == CAI_JCHECK_SURROGATE) {
        if (jc == CAI_JCHECK_DEEP)
            snprintf(s->msg, sizeof(s->msg), "JSON nested deeper than %d levels at byte %zu",
                     CAI_JSON_MAX_DEPTH, at);
        else
            snprintf(s->msg, sizeof(s->msg), "lone surrogate escape \\%.5s at byte %zu", line + at,
                     at);
        s->line_bad = 1;
        return report(s, err, CAI_VK_JSON, s->msg);
    }
    /* the record is read from the text in place; cJSON only judges and reads what RFC 8259
     * refuses (recdec_int.h) */
    s->tree.text = line;
    s->tree.len = len;
    if (!clean && cai_jscan__check(line, len, &root) != 0) {
        o = s->tree.tree = cJSON_ParseWithLengthOpts(line, len + 1, NULL, 1);
        if (!o) {
            s->line_bad = 1;
            return report(s, err, CAI_VK_JSON, "invalid JSON");
        }
        if ((st = cai_recdec__reread(&s->dec, o, &root, err)) != CAI_OK)
            goto done;
    }
    if (!cai_jscan__is_object(&root)) {
        snprintf(s->msg, sizeof(s->msg), "the line is %s, not a JSON object",
                 cai_recdec__type_name(&root));
        s->line_bad = 1;
        st = report(s, err, CAI_VK_SCHEMA, s->msg);
        goto done;
    }
    /* cJSON decodes \u0000 and silently cuts the string there. */
    if (jc == CAI_JCHECK_NUL) {
        st = content_err(s, err, CAI_VK_NUL, "a string holds an escaped NUL (\\u0000)");
        if (st != CAI_OK)
            goto done;
    }
    fmt = s->o->format != CAI_FORMAT_AUTO ? s->o->format : s->file.format;
    st = cai_recdec__format(&s->dec, &root, fmt, err);
    f = s->dec.format;
    if (fmt == CAI_FORMAT_AUTO && f != CAI_FORMAT_AUTO)
        s->file.format = f; /* the first recognised record's format is the file's */
    if (st != CAI_OK || s->structural)
        goto done;
    rec.labelled = f == CAI_FORMAT_HH || f == CAI_FORMAT_TRL || f == CAI_FORMAT_CONVERSATIONAL;
    mode = rec.labelled                                      ? RESP_LABELLED
           : f == CAI_FORMAT_SFT || f == CAI_FORMAT_MESSAGES ? RESP_COMPLETION
                                                             : RESP_UNLABELLED;
    /* training data: preference pairs, SFT prompt/completion and SFT messages are three
     * datasets, each loaded on its own */
    if (mode != RESP_UNLABELLED && (st = check_drift(s,
                                                     rec.labelled          ? 0
                                                     : f == CAI_FORMAT_SFT ? 1
                                                                           : 2,
                                                     line, len, err)) != CAI_OK)
        goto done;
    if ((f == CAI_FORMAT_TRL || f == CAI_FORMAT_SFT) && (st = check_glued(s, err)) != CAI_OK)
        goto done;
    if ((st = cai_recdec__read(&s->dec, &root, err)) != CAI_OK || s->structural)
        goto done;
    if (f == CAI_FORMAT_SFT && ((st = check_sft_strings(s, err)) != CAI_OK || s->structural))
        goto done;
    s->n_turns = 0;
    for (k = 0; k < s->dec.n_turns; k++) {
        const cai_message *m = &s->dec.turns[k];
        if (push_turn(s, m->role, m->content, strlen(m->content)) != 0) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto done;
        }
    }
    s->n_seqs = s->dec.n_seqs;
    for (k = 0; k < s->n_seqs; k++) {
        s->seq_start[k] = s->dec.seq_start[k];
        s->seq_len[k] = s->dec.seq_len[k];
        s->seqs[k].t = s->turns + s->seq_start[k];
        s->seqs[k].n = s->seq_len[k];
    }
    st = check_order(s, mode, err);
    if (st == CAI_OK && !s->structural && f == CAI_FORMAT_HH)
        st = check_hh_context(s, err);
    if (st == CAI_OK && !s->structural)
        st = check_content(s, mode, f, err);
    if (st == CAI_OK && !s->structural && f == CAI_FORMAT_MESSAGES)
        st = check_turns(s, err);
    if (st == CAI_OK && !s->structural && f == CAI_FORMAT_CANDIDATES)
        st = check_candidates(s, err);
    for (k = 1; st == CAI_OK && !s->structural && f == CAI_FORMAT_CONVERSATIONAL && k < 3; k++) {
        if (s->seqs[k].n > 1) {
            st = content_err(s, err, CAI_VK_MULTI_TURN_REPLY,
                             "\"%s\" holds %zu messages: trainers take it, but cai run judges a "
                             "reply of one assistant message and refuses this record",
                             k == 1 ? "chosen" : "rejected", s->seqs[k].n);
            break;
        }
    }
    if (st == CAI_OK && !s->structural && rec.labelled)
        st = read_labels(s, &root, &rec, err);
    if (st != CAI_OK || s->structural)
        goto done;
    rec.file = &s->file;
    rec.line = s->line;
    rec.format = f;
    rec.prompt = s->seqs[0];
    rec.resp = s->seqs + 1;
    rec.n_resp = s->n_seqs - 1;
    rec.content_error = s->content;
    rec.tree = &s->tree;
    rec.text = line;
    rec.text_len = len;
    st = s->sink->record(s->sink->payload, &rec, err);
done:
    cai_recdec__reset(&s->dec);
    cJSON_Delete(s->tree.tree);
    s->tree.tree = NULL;
    cJSON_Delete(s->meta);
    s->meta = NULL;
    return st;
}

/* ---- reading one file ------------------------------------------------------------------- */

static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

/* cai_lines errors read "FILE:LINE: reason"; split them back into line and reason. */
static const char *split_msg(const char *msg, const char *path, uint64_t *line)
{
    size_t n = strlen(path);
    const char *p;
    char *end;
    unsigned long long v;

    if (strncmp(msg, path, n) != 0 || msg[n] != ':')
        return msg;
    p = msg + n + 1;
    if (*p < '0' || *p > '9') {
        while (*p == ' ')
            p++;
        return p;
    }
    v = strtoull(p, &end, 10);
    if (end[0] != ':')
        return msg;
    *line = v;
    for (p = end + 1; *p == ' '; p++)
        ;
    return p;
}

static cai_vkind classify(cai_status code, const char *reason)
{
    if (code == CAI_EIO)
        return CAI_VK_READ;
    if (code == CAI_ELIMIT)
        return CAI_VK_TOOLONG;
    if (find_ci(reason, "gzip") || find_ci(reason, "crc") || find_ci(reason, "truncat") ||
        find_ci(reason, "compress") || find_ci(reason, "zlib"))
        return CAI_VK_GZIP;
    if (find_ci(reason, "utf-8") || find_ci(reason, "utf8"))
        return CAI_VK_UTF8;
    if (find_ci(reason, "nul"))
        return CAI_VK_NUL;
    return CAI_VK_READ;
}

static cai_status read_file(scan *s, const plan_file *pf, cai_error *err)
{
    cai_lines *l = NULL;
    cai_error e = {0};
    cai_status st, rc;
    char prev[sizeof(e.msg)] = "";

    st = cai_lines_create(&l, pf->path, 0, &e);
    if (st != CAI_OK)
        return cai_error__set(err, st, "%s", e.msg);
    for (;;) {
        const char *line;
        size_t len;
        uint64_t lineno = s->line + 1;

        memset(&e, 0, sizeof(e));
        rc = cai_lines_next(l, &line, &len, &lineno, &e);
        if (rc == CAI_ITEROVER)
            break;
        if (rc == CAI_ENOMEM) {
            st = cai_error__set(err, rc, "%s", e.msg);
            break;
        }
        s->line_bad = s->structural = s->content = 0;
        if (rc != CAI_OK) {
            uint64_t at = s->line + 1;
            const char *reason = split_msg(e.msg, pf->path, &at);
            cai_vkind k = classify(rc, reason);

            s->line = at;
            st = report(s, err, k, reason);
            if (st != CAI_OK)
                break;
            /* A stream error (gzip, I/O) ends the file; so does a line error that repeats. */
            if (k == CAI_VK_GZIP || k == CAI_VK_READ || strcmp(prev, e.msg) == 0) {
                s->file.stopped = 1;
                break;
            }
            s->file.records++;
            s->file.bad_lines++;
            snprintf(prev, sizeof(prev), "%s", e.msg);
            continue;
        }
        prev[0] = '\0';
        s->line = lineno;
        s->file.records++;
        if (pf->data) {
            st = read_line(s, line, len, err);
            if (s->line_bad)
                s->file.bad_lines++;
            if (st != CAI_OK)
                break;
        }
    }
    cai_lines_free(l);
    return st;
}

/* ---- manifest --------------------------------------------------------------------------- */

static int safe_rel(const char *p)
{
    const char *seg = p;

    if (!p[0] || p[0] == '/')
        return 0;
    while (seg) {
        if (strncmp(seg, "..", 2) == 0 && (seg[2] == '/' || seg[2] == '\0'))
            return 0;
        seg = strchr(seg, '/');
        if (seg)
            seg++;
    }
    return 1;
}

/* Reads a whole file of at most cap bytes (a manifest). */
static cai_status read_small_file(const char *path, size_t cap, char **out, cai_error *err)
{
    FILE *f = fopen(path, "rb");
    size_t len;
    cai_status st;

    *out = NULL;
    if (!f)
        return cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
    st = cai__read_stream(f, path, cap, out, &len, err);
    fclose(f);
    return st;
}

static cai_status dir_finding(
    const cai_vsink *sink, cai_vkind k, const char *file, cai_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static cai_status dir_finding(
    const cai_vsink *sink, cai_vkind k, const char *file, cai_error *err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sink->finding(sink->payload, k, file, 0, msg, err);
}

static int get_u64(const cJSON *o, const char *name, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0)
        return 0;
    *out = (uint64_t)v->valuedouble;
    return 1;
}

/* One manifest entry ("files" item or "failed"): listed, checked for existence. */
static cai_status manifest_entry(const char *dir,
                                 const cJSON *e,
                                 const char *where,
                                 int data,
                                 plan *p,
                                 size_t first,
                                 strlist *listed,
                                 const cai_vscan_opts *o,
                                 const cai_vsink *sink,
                                 const char *mpath,
                                 cai_error *err)
{
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(e, "path");
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(e, "split");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(e, "sha256");
    const char *rel;
    char *full;
    struct stat sb;
    plan_file *f;
    cai_status st = CAI_OK;

    if (!cJSON_IsObject(e) || !cJSON_IsString(path))
        return dir_finding(sink, CAI_VK_MANIFEST, mpath, err, "%s has no \"path\" string", where);
    rel = path->valuestring;
    while (strncmp(rel, "./", 2) == 0)
        rel += 2;
    if (!safe_rel(rel))
        return dir_finding(sink, CAI_VK_MANIFEST, mpath, err,
                           "%s: \"%.200s\" is not a path inside the dataset directory", where,
                           path->valuestring);
    if (strlist_add(listed, rel) != 0)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    full = cai__path_join(dir, rel);
    if (!full)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (o->integrity)
            st = dir_finding(sink, CAI_VK_MISSING, full, err, "listed in %s but %s", mpath,
                             errno == ENOENT ? "missing" : "not a readable file");
        free(full);
        return st;
    }
    /* Each file is read once: a second reading would count its records twice and call each
     * of them a duplicate. A file this manifest lists twice is a manifest error; one given
     * earlier on the command line takes this entry's promises. */
    f = plan_find(p, &sb);
    if (f && (size_t)(f - p->f) >= first) {
        st = dir_finding(sink, CAI_VK_MANIFEST, mpath, err,
                         "%s: \"%.200s\" names a file an earlier entry lists (%s)", where,
                         path->valuestring, f->path);
        free(full);
        return st;
    }
    if (!f)
        f = plan_add(p, full, CAI_SPLIT_NONE, data, &sb);
    if (!f) {
        free(full);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    f->split = cJSON_IsString(split) ? split_of_name(split->valuestring) : split_of_path(full);
    f->data = data;
    free(full);
    f->expect = 1;
    if (cJSON_IsString(sha))
        snprintf(f->sha256, sizeof(f->sha256), "%s", sha->valuestring);
    f->has_records = get_u64(e, "records", &f->records);
    f->has_bytes = get_u64(e, "bytes", &f->bytes);
    return CAI_OK;
}

static cai_status
plan_dir(const char *dir, plan *p, const cai_vscan_opts *o, const cai_vsink *sink, cai_error *err)
{
    char *mpath = cai__path_join(dir, "manifest.json"), *text = NULL;
    cJSON *m = NULL;
    strlist found = {0}, listed = {0};
    int have_manifest = 0, known;
    size_t i, before = p->n;
    struct stat sb;
    cai_status st = CAI_OK;

    if (!mpath)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (stat(mpath, &sb) == 0) {
        st = read_small_file(mpath, (size_t)64 << 20, &text, err);
        if (st != CAI_OK)
            goto out;
        m = cJSON_Parse(text);
        if (!cJSON_IsObject(m) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(m, "files"))) {
            if (o->integrity)
                st = dir_finding(sink, CAI_VK_MANIFEST, mpath, err, "%s",
                                 m ? "no \"files\" list" : "invalid JSON");
        } else {
            const cJSON *e, *failed = cJSON_GetObjectItemCaseSensitive(m, "failed");
            char where[64];
            int k = 0;

            have_manifest = 1;
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m, "files"))
            {
                snprintf(where, sizeof(where), "files[%d]", k++);
                st = manifest_entry(dir, e, where, 1, p, before, &listed, o, sink, mpath, err);
                if (st != CAI_OK)
                    goto out;
            }
            if (cJSON_IsObject(failed))
                st = manifest_entry(dir, failed, "failed", 0, p, before, &listed, o, sink, mpath,
                                    err);
            if (st == CAI_OK && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(m, "ties")))
                st = manifest_entry(dir, cJSON_GetObjectItemCaseSensitive(m, "ties"), "ties", 0, p,
                                    before, &listed, o, sink, mpath, err);
            if (st != CAI_OK)
                goto out;
            /* `cai sample` and `cai revise` ("cai_stage") list each output in a list of its
             * own: "sft", "sft_messages" hold data; "short", "failed" and "skipped" are set
             * aside, only checked for integrity, like a run's "failed" */
            if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "cai_stage"))) {
                const cJSON *list;
                cJSON_ArrayForEach(list, m)
                {
                    int data = strcmp(list->string, "short") != 0 &&
                               strcmp(list->string, "failed") != 0 &&
                               strcmp(list->string, "skipped") != 0;
                    if (!cJSON_IsArray(list) || strcmp(list->string, "files") == 0)
                        continue;
                    k = 0;
                    cJSON_ArrayForEach(e, list)
                    {
                        snprintf(where, sizeof(where), "%.40s[%d]", list->string, k++);
                        st = manifest_entry(dir, e, where, data, p, before, &listed, o, sink, mpath,
                                            err);
                        if (st != CAI_OK)
                            goto out;
                    }
                }
            }
        }
    }
    st = walk(dir, "", 0, &found, err);
    if (st != CAI_OK)
        goto out;
    if (found.n > 1)
        qsort(found.s, found.n, sizeof(*found.s), cmp_str);
    if (listed.n > 1)
        qsort(listed.s, listed.n, sizeof(*listed.s), cmp_str);
    for (i = 0; i < found.n; i++) {
        char *full;
        if (have_manifest && listed.n > 0 &&
            bsearch(&found.s[i], listed.s, listed.n, sizeof(*listed.s), cmp_str))
            continue;
        full = cai__path_join(dir, found.s[i]);
        if (!full) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto out;
        }
        /* Listed under another spelling ("data//x.jsonl"), a link to a listed file, or a
         * file given before on the command line: read once. */
        known = stat(full, &sb) == 0;
        if (known && plan_find(p, &sb)) {
            free(full);
            continue;
        }
        if (!plan_add(p, full, split_of_path(found.s[i]), 1, known ? &sb : NULL)) {
            free(full);
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto out;
        }
        if (have_manifest && o->integrity)
            st = dir_finding(sink, CAI_VK_UNLISTED, full, err, "a data file that %s does not list",
                             mpath);
        free(full);
        if (st != CAI_OK)
            goto out;
    }
    if (p->n == before && !have_manifest)
        st = cai_error__set(err, CAI_EIO, "%s: no *.jsonl or *.jsonl.gz files", dir);
out:
    cJSON_Delete(m);
    free(text);
    free(mpath);
    strlist_free(&found);
    strlist_free(&listed);
    return st;
}

static cai_status check_integrity(scan *s, const plan_file *pf, cai_error *err)
{
    char hex[65];
    uint64_t bytes = 0;
    cai_error e = {0};
    cai_status st;

    if (!pf->expect || !s->o->integrity)
        return CAI_OK;
    st = cai_sha256_file(pf->path, hex, &bytes, &e);
    if (st != CAI_OK)
        return cai_error__set(err, st, "%s", e.msg);
    s->line = 0;
    if (pf->has_bytes && bytes != pf->bytes) {
        snprintf(s->msg, sizeof(s->msg), "the manifest says %llu bytes; the file has %llu",
                 (unsigned long long)pf->bytes, (unsigned long long)bytes);
        st = report(s, err, CAI_VK_BYTES, s->msg);
    }
    if (st == CAI_OK && strcasecmp(hex, pf->sha256) != 0) {
        snprintf(s->msg, sizeof(s->msg), "SHA-256 %.64s differs from the manifest's %.64s", hex,
                 pf->sha256[0] ? pf->sha256 : "(none)");
        st = report(s, err, CAI_VK_SHA256, s->msg);
    }
    return st;
}

/* ---- entry point ------------------------------------------------------------------------ */

uint64_t cai_vseq__chars(const cai_vseq *q)
{
    uint64_t n = 0;
    size_t i;

    for (i = 0; i < q->n; i++)
        n += cai_utf8__chars(q->t[i].s, q->t[i].len);
    return n;
}

void cai_vrec__chars(const cai_vrec *r, uint64_t out[1 + CAI_VREC_MAX_RESP])
{
    size_t i;

    out[0] = cai_vseq__chars(&r->prompt);
    for (i = 0; i < r->n_resp && i < CAI_VREC_MAX_RESP; i++)
        out[1 + i] = cai_vseq__chars(&r->resp[i]);
}

cai_status cai_vscan__run(const char *const *paths,
                          size_t n,
                          const cai_vscan_opts *o,
                          const cai_vsink *sink,
                          cai_error *err)
{
    plan p = {0};
    scan s;
    size_t i;
    cai_status st = CAI_OK;

    memset(&s, 0, sizeof(s));
    s.o = o;
    s.sink = sink;
    cai_recdec__init(&s.dec, CAI_RECDEC_SCAN, on_finding, &s);
    for (i = 0; st == CAI_OK && i < n; i++) {
        int is_stdin = strcmp(paths[i], "-") == 0;
        struct stat sb;

        if (!is_stdin && stat(paths[i], &sb) != 0)
            st = cai_error__set(err, CAI_EIO, "%s: %s", paths[i], strerror(errno));
        else if (!is_stdin && S_ISDIR(sb.st_mode))
            st = plan_dir(paths[i], &p, o, sink, err);
        else if (!is_stdin && plan_find(&p, &sb))
            continue; /* named twice (or also inside a directory given before): read once */
        else if (!plan_add(&p, paths[i], split_of_path(paths[i]), 1, is_stdin ? NULL : &sb))
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    for (i = 0; st == CAI_OK && i < p.n; i++) {
        const plan_file *pf = &p.f[i];

        memset(&s.file, 0, sizeof(s.file));
        s.file.path = pf->path;
        s.file.index = i;
        s.file.split = pf->split;
        s.file.format = CAI_FORMAT_AUTO;
        s.line = 0;
        st = check_integrity(&s, pf, err);
        if (st == CAI_OK)
            st = read_file(&s, pf, err);
        if (st == CAI_OK && o->integrity && pf->expect && pf->has_records && !s.file.stopped &&
            s.file.records != pf->records) {
            s.line = 0;
            snprintf(s.msg, sizeof(s.msg), "the manifest says %llu records; the file has %llu",
                     (unsigned long long)pf->records, (unsigned long long)s.file.records);
            st = report(&s, err, CAI_VK_RECORDS, s.msg);
        }
        if (st == CAI_OK && pf->data)
            st = sink->file_done(sink->payload, &s.file, err);
    }
    free(s.turns);
    cai_recdec__dispose(&s.dec);
    for (i = 0; i < 3; i++)
        free(s.ref_sig[i]);
    cai_jsig__dispose(&s.sig);
    plan_free(&p);
    return st;
}
