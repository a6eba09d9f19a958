/* SPDX-License-Identifier: MIT */
/* The fake judge server for tests: HTTP/1.1 over poll() in one thread, deterministic verdicts. */
#define _GNU_SOURCE /* accept4, pipe2, SOCK_CLOEXEC: no descriptor leaks into forked commands */
#include "fake_llm.h"
#include "fake_batch_int.h"

#include "hash_int.h"
#include "htab_int.h"
#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * One thread owns the listening socket and every connection; the test thread only touches the
 * configuration and counters, all under s->mu. A connection is a small state machine:
 *   READ  -> (request complete) -> WAIT (latency timer) -> WRITE -> READ (keep-alive)
 *   READ  -> HANG (read and discard until the client closes)
 * Pipelined requests stay in the input buffer and are parsed once the previous answer is out.
 */

#define MAX_HEADER_BYTES (64u * 1024u)
#define MAX_BODY_BYTES   (64u * 1024u * 1024u)
#define KEEP_REQUESTS    1000
#define NSTATUS          600

enum { C_READ, C_WAIT, C_WRITE, C_HANG };

typedef struct conn {
    int fd;
    int state;
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_off;
    double due_ms;   /* C_WAIT: when the answer may go out */
    int close_after; /* close once the answer is written */
    int rst_after;   /* ... with an RST (SO_LINGER 0) */
    int continued;   /* "100 Continue" already sent for the current request */
} conn;

typedef struct body_stat {
    uint64_t key; /* cai_hash64 of the raw body (0 stored as 1): a cai_htab key */
    uint32_t attempts;
    uint32_t successes;
} body_stat;

typedef struct queued_fault {
    fake_fault f;
    unsigned n;
} queued_fault;

struct fake_llm {
    fake_llm_opts o;
    char *log_path;
    FILE *log;
    int lfd;
    int wake[2];
    unsigned port;
    char url[64], root[64];
    pthread_t thread;
    int started;

    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* fake_llm_fork: hold and held change */
    int hold;           /* fake_llm_fork asks the server thread to park ... */
    int held;           /* ... and it has: it holds no lock and allocates nothing */
    size_t open_conns;  /* connections open at the end of the last loop iteration */
    uint64_t iters;     /* loop iterations completed (fake_llm_quiesce) */
    fake_fault always;
    double rate;
    queued_fault *q;
    size_t q_head, q_len, q_cap;
    size_t requests, successes, dups;
    size_t max_open; /* most requests received and not yet answered at once */
    size_t status_counts[NSTATUS];
    char *bodies[KEEP_REQUESTS], *headers[KEEP_REQUESTS];
    size_t nkept;
    cai_htab tab;          /* body_stat slots */
    pid_t kill_pid;        /* fake_llm_kill_on_request: SIGKILL this process ... */
    size_t kill_at;        /* ... at this value of requests */
    unsigned ctx;          /* fake_llm_set_context */
    int reasoning;         /* fake_llm_set_reasoning */
    size_t die_after;      /* fake_llm_die_after: the request that makes the server go away */
    int dying;             /* ... has come: the server thread closes everything */
    int dead;              /* no listening socket until fake_llm_revive */
    int revived_fd;        /* fake_llm_revive's new listening socket, for the server thread */
    unsigned q_slots;      /* fake_llm_set_slots: requests processed at once (0 = unlimited) */
    unsigned q_service_ms; /* ... each taking this long */
    double *q_free_at;     /* when each slot is free again (now_ms clock) */

    unsigned cached;   /* fake_llm_set_cached */
    char model[128];   /* fake_llm_set_model: the id GET /v1/models lists */
    fake_gen_mode gen; /* fake_llm_set_generate */
    unsigned gen_min, gen_max;
    unsigned gen_max_n;    /* fake_llm_set_gen_max_n */
    fake_batches *batches; /* the batch APIs (fake_batch.c); own lock */

    /* server thread only */
    conn **conns;
    size_t nconns, conns_cap;
};

/* ------------------------------------------------------------------ small helpers */

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static char *dup_n(const char *p, size_t n)
{
    char *r = malloc(n + 1);

    if (!r)
        return NULL;
    if (n)
        memcpy(r, p, n);
    r[n] = '\0';
    return r;
}

static const char *find_crlf2(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i + 3 < n; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
            return p + i;
    }
    return NULL;
}

/* Case-insensitive header lookup in a raw header block; *val is not NUL-terminated. */
static int find_header(const char *h, size_t n, const char *name, const char **val, size_t *vlen)
{
    size_t nl = strlen(name), i = 0, e;

    while (i < n) {
        for (e = i; e < n && h[e] != '\n'; e++) {
        }
        if (e - i > nl && h[i + nl] == ':' && strncasecmp(h + i, name, nl) == 0) {
            size_t a = i + nl + 1, b = e;

            while (a < b && (h[a] == ' ' || h[a] == '\t'))
                a++;
            while (b > a && (h[b - 1] == '\r' || h[b - 1] == ' ' || h[b - 1] == '\t'))
                b--;
            *val = h + a;
            *vlen = b - a;
            return 1;
        }
        i = e + 1;
    }
    return 0;
}

static int header_has_token(const char *h, size_t n, const char *name, const char *token)
{
    const char *v;
    size_t vl, tl = strlen(token), i;

    if (!find_header(h, n, name, &v, &vl))
        return 0;
    for (i = 0; i + tl <= vl; i++) {
        if (strncasecmp(v + i, token, tl) == 0)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ fault names */

static const char *const fault_names[FAKE_NFAULTS] = {
    "ok",    "429",      "500",         "503",        "hang",
    "reset", "bad_json", "no_logprobs", "no_verdict", "401_echo"};

const char *fake_fault_name(fake_fault f)
{
    return (unsigned)f < FAKE_NFAULTS ? fault_names[f] : "?";
}

int fake_fault_parse(const char *name)
{
    int i;

    for (i = 0; i < FAKE_NFAULTS; i++) {
        if (strcasecmp(name, fault_names[i]) == 0)
            return i;
    }
    if (strcasecmp(name, "bad-json") == 0)
        return FAKE_BAD_JSON;
    if (strcasecmp(name, "no-logprobs") == 0)
        return FAKE_NO_LOGPROBS;
    if (strcasecmp(name, "no-verdict") == 0)
        return FAKE_NO_VERDICT;
    if (strcasecmp(name, "401") == 0 || strcasecmp(name, "401-echo") == 0)
        return FAKE_401_ECHO;
    return -1;
}

/* ------------------------------------------------------------------ per-body table */

/* Called under s->mu. Returns the slot for key, inserting it; NULL on OOM. */
static body_stat *body_slot(fake_llm *s, uint64_t key)
{
    int found;

    if (key == 0)
        key = 1;
    return cai_htab__insert(&s->tab, &key, &found);
}

/* ------------------------------------------------------------------ request decoding */

typedef enum wire { W_CHAT, W_COMPLETIONS, W_MESSAGES } wire;

typedef struct request {
    wire w;
    char *text; /* decoded prompt text */
    size_t text_len;
    const char *model;
    long max_tokens; /* -1: absent */
    int logprobs;    /* log-probs asked for */
    int top_n;       /* how many alternatives per position */
    unsigned ctx;    /* the server's context in tokens: usage counts at most this; 0 = none */
    int reasoning;   /* answer as a reasoning model (fake_llm_set_reasoning) */
    int judge;       /* fake_judge_kind of the server */
    unsigned cached; /* prompt tokens reported as read from a prefix cache (fake_llm_set_cached) */
    /* generation (fake_llm_set_generate) */
    long n;             /* "n"; 1 when absent */
    int has_n;          /* the body carried "n" */
    uint64_t req_seed;  /* "seed", 0 when absent */
    double temperature; /* "temperature", 1 when absent */
    const cJSON *stop;  /* "stop" / "stop_sequences": a string or an array of strings */
    uint32_t variant;   /* Anthropic: earlier 200 answers to this same body */
} request;

#define FAKE_REASONING_TOKENS 100

/* What an OpenAI reasoning model says to parameters it does not take (NULL: none sent). */
static const char *reasoning_refusal(const cJSON *root)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "temperature");

    if (cJSON_GetObjectItemCaseSensitive(root, "max_tokens"))
        return "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
               "'max_completion_tokens' instead.";
    if (cJSON_GetObjectItemCaseSensitive(root, "logprobs") ||
        cJSON_GetObjectItemCaseSensitive(root, "top_logprobs"))
        return "Unsupported parameter: 'logprobs' is not supported with this model.";
    if (t && !(cJSON_IsNumber(t) && t->valuedouble == 1))
        return "Unsupported value: 'temperature' does not support 0 with this model. Only the "
               "default (1) value is supported.";
    return NULL;
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        char *np;

        while (nc < b->len + n + 1)
            nc *= 2;
        np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Adds a content value: a string, or an array of {"type":"text","text":...} blocks. */
static int add_content(sbuf *b, const cJSON *c)
{
    const cJSON *part;

    if (cJSON_IsString(c)) {
        sb_add(b, c->valuestring, strlen(c->valuestring));
        sb_add(b, "\n", 1);
        return 0;
    }
    if (!cJSON_IsArray(c))
        return -1;
    cJSON_ArrayForEach(part, c)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");

        if (cJSON_IsString(t)) {
            sb_add(b, t->valuestring, strlen(t->valuestring));
            sb_add(b, "\n", 1);
        }
    }
    return 0;
}

/* Fills r from a parsed body; returns NULL or a message for a 400. */
static const char *decode_request(request *r, const cJSON *root)
{
    sbuf b = {0};
    const cJSON *it, *m, *mt, *lp, *tl;

    if (!cJSON_IsObject(root))
        return "request body must be a JSON object";
    it = cJSON_GetObjectItemCaseSensitive(root, "model");
    r->model = cJSON_IsString(it) ? it->valuestring : "fake-judge";
    mt = cJSON_GetObjectItemCaseSensitive(root, "max_tokens");
    if (!mt && r->w == W_CHAT)
        mt = cJSON_GetObjectItemCaseSensitive(root, "max_completion_tokens");
    r->max_tokens = cJSON_IsNumber(mt) ? (long)mt->valuedouble : -1;
    it = cJSON_GetObjectItemCaseSensitive(root, "n");
    r->has_n = it != NULL;
    r->n = cJSON_IsNumber(it) ? (long)it->valuedouble : 1;
    if (r->has_n && r->w != W_MESSAGES && (r->n < 1 || r->n > 128))
        return "n: must be an integer between 1 and 128";
    if (r->has_n && r->w == W_MESSAGES)
        return "n: Extra inputs are not permitted";
    it = cJSON_GetObjectItemCaseSensitive(root, "seed");
    r->req_seed = cJSON_IsNumber(it) ? (uint64_t)(int64_t)it->valuedouble : 0;
    it = cJSON_GetObjectItemCaseSensitive(root, "temperature");
    r->temperature = cJSON_IsNumber(it) ? it->valuedouble : 1.0;
    r->stop =
        cJSON_GetObjectItemCaseSensitive(root, r->w == W_MESSAGES ? "stop_sequences" : "stop");
    if (r->w == W_MESSAGES && r->max_tokens < 0)
        return "max_tokens: Field required";
    if (r->w == W_COMPLETIONS) {
        it = cJSON_GetObjectItemCaseSensitive(root, "prompt");
        if (cJSON_IsString(it)) {
            sb_add(&b, it->valuestring, strlen(it->valuestring));
        } else if (cJSON_IsArray(it)) {
            cJSON_ArrayForEach(m, it)
            {
                if (cJSON_IsString(m))
                    sb_add(&b, m->valuestring, strlen(m->valuestring));
            }
        } else {
            return "'prompt' is a required property";
        }
        lp = cJSON_GetObjectItemCaseSensitive(root, "logprobs");
        if (cJSON_IsNumber(lp) && lp->valuedouble >= 0) {
            r->logprobs = 1;
            r->top_n = (int)lp->valuedouble;
        }
    } else {
        if (r->w == W_MESSAGES) {
            it = cJSON_GetObjectItemCaseSensitive(root, "system");
            if (it && add_content(&b, it) != 0) {
                free(b.p);
                return "system: Input should be a string or a list of blocks";
            }
        }
        it = cJSON_GetObjectItemCaseSensitive(root, "messages");
        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) == 0) {
            free(b.p);
            return "'messages' must be a non-empty array";
        }
        cJSON_ArrayForEach(m, it)
        {
            if (add_content(&b, cJSON_GetObjectItemCaseSensitive(m, "content")) != 0) {
                free(b.p);
                return "messages: each message needs a string or block-list 'content'";
            }
        }
        if (r->w == W_CHAT) {
            lp = cJSON_GetObjectItemCaseSensitive(root, "logprobs");
            tl = cJSON_GetObjectItemCaseSensitive(root, "top_logprobs");
            if (cJSON_IsTrue(lp)) {
                r->logprobs = 1;
                r->top_n = cJSON_IsNumber(tl) ? (int)tl->valuedouble : 0;
            }
        }
    }
    if (b.oom) {
        free(b.p);
        return "out of memory";
    }
    if (!b.p)
        sb_add(&b, "", 0);
    if (r->top_n < 0)
        r->top_n = 0;
    if (r->top_n > 20)
        r->top_n = 20;
    r->text = b.p;
    r->text_len = b.len;
    return NULL;
}

static int contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* ------------------------------------------------------------------ replies */

typedef struct cand {
    const char *tok;
    double lp;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;

    if (x->lp != y->lp)
        return x->lp > y->lp ? -1 : 1;
    return strcmp(x->tok, y->tok);
}

/* What the judge says: a text, and for its deciding position the alternatives. */
typedef struct answer {
    char text[512];
    cand alts[8]; /* sorted, alts[0] is the chosen token */
    size_t nalts;
    const char *pre;  /* text before the deciding token (CoT), "" otherwise */
    const char *post; /* text after it */
    int completion_tokens;
    int truncated; /* stopped by max_tokens */
} answer;

/*
 * A scripted soft label: when one response holds "[[p=0.NN]]" and the other "[[other]]", P(A)
 * is 0.NN if the marked response is shown first and 1 - 0.NN if second, whatever the order, so
 * a run with both orders labels the pair exactly p_chosen = 0.NN (tests of the soft-label loss).
 */
static void marker_p(const request *r, double *p)
{
    const char *m = r->text ? strstr(r->text, "[[p=") : NULL;
    const char *o = r->text ? strstr(r->text, "[[other]]") : NULL;
    double v;

    if (!m || !o || sscanf(m + 4, "%lf", &v) != 1 || v <= 0 || v >= 1)
        return;
    *p = m < o ? v : 1.0 - v;
}

/*
 * A scripted rating: a rated response holding "[[score=N]]" (N in 1..7) gets its log-probs
 * centred on digit N, whatever the principle, so a rating run's labels are predictable (the
 * response with the higher N is chosen; equal N is a tie).
 */
static void marker_score(const request *r, int *d)
{
    const char *m = r->text ? strstr(r->text, "[[score=") : NULL;
    int v;

    if (m && sscanf(m + 8, "%d", &v) == 1 && v >= 1 && v <= 7)
        *d = v;
}

/* The text of the last "<<<NAME_nonce>>>\n...\n<<<END_nonce>>>" block of r's prompt. */
static int fenced_block(const request *r, const char *name, const char **s, size_t *len)
{
    const char *p = r->text, *hit = NULL, *body, *end;

    while ((p = strstr(p, name)) != NULL)
        hit = p++;
    if (!hit || !(body = strstr(hit, ">>>\n")))
        return -1;
    body += 4;
    if (!(end = strstr(body, "\n<<<END_")))
        return -1;
    *s = body;
    *len = (size_t)(end - body);
    return 0;
}

/* P(first shown is better) by the server's fake_judge_kind (fake_llm.h). */
static double judge_p(const request *r, uint64_t seed, uint64_t h)
{
    const char *ra, *rb, *q;
    size_t la, lb, lq;
    uint64_t hq;
    double qa, qb, p;

    switch (r->judge) {
    case FAKE_JUDGE_FIRST:
        return 0.97;
    case FAKE_JUDGE_COIN:
        return (h >> 7) & 1 ? 0.95 : 0.05;
    case FAKE_JUDGE_CONSISTENT:
        for (q = NULL, ra = r->text; (ra = strstr(ra, "\nQuestion: ")) != NULL; ra++)
            q = ra; /* the last: solved examples come first */
        if (fenced_block(r, "<<<RESPONSE_A_", &ra, &la) != 0 ||
            fenced_block(r, "<<<RESPONSE_B_", &rb, &lb) != 0)
            break;
        lq = q ? strcspn(q + 11, "\n") : 0;
        hq = q ? cai_hash64(q + 11, lq, seed) : seed;
        qa = (double)(cai_hash64(ra, la, hq) % 10000) / 10000.0;
        qb = (double)(cai_hash64(rb, lb, hq) % 10000) / 10000.0;
        p = 1.0 / (1.0 + exp(-6.0 * (qa - qb))) + 0.1 * ((double)(h % 1000) / 999.0 - 0.5);
        return p < 0.02 ? 0.02 : p > 0.98 ? 0.98 : p;
    case FAKE_JUDGE_HASH:
        break;
    }
    return 0.02 + 0.96 * (double)(h % 10000) / 9999.0;
}

int fake_judge_kind_parse(const char *name)
{
    static const char *const names[] = {"consistent", "hash", "coin", "first"}; /* enum order */
    int i;

    for (i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static void make_answer(answer *a, const request *r, uint64_t seed, fake_fault f)
{
    static const char *const digits[7] = {"1", "2", "3", "4", "5", "6", "7"};
    uint64_t h = cai_hash64(r->text, r->text_len, seed);
    double p = judge_p(r, seed, h);
    int rating = (contains(r->text, "1 to 7") || contains(r->text, "Rating") ||
                  contains(r->text, "rating")) &&
                 !contains(r->text, "(B)");
    int cot = r->max_tokens > 16 || (r->max_tokens < 0 && contains(r->text, "Verdict:"));
    const char *sp = r->w == W_COMPLETIONS ? " " : "";
    size_t i;

    marker_p(r, &p);
    memset(a, 0, sizeof(*a));
    a->pre = "";
    a->post = "";
    if (f == FAKE_NO_VERDICT) {
        snprintf(a->text, sizeof(a->text), "%sI'm not able to decide.", sp);
        a->alts[0] = (cand){r->w == W_COMPLETIONS ? " I" : "I", -0.05};
        a->alts[1] = (cand){r->w == W_COMPLETIONS ? " Sorry" : "Sorry", -3.2};
        a->alts[2] = (cand){r->w == W_COMPLETIONS ? " The" : "The", -4.1};
        a->nalts = 3;
        a->completion_tokens = 7;
        return;
    }
    if (rating) {
        int d = 1 + (int)((h >> 20) % 7), k;
        double z = 0;

        marker_score(r, &d);

        for (k = 1; k <= 7; k++)
            z += exp(-1.5 * fabs((double)(k - d)));
        for (k = 1; k <= 7; k++) {
            a->alts[k - 1].tok = digits[k - 1];
            a->alts[k - 1].lp = -1.5 * fabs((double)(k - d)) - log(z);
        }
        a->nalts = 7;
    } else {
        a->alts[0] = (cand){"A", log(p)};
        a->alts[1] = (cand){"B", log(1.0 - p)};
        a->alts[2] = (cand){" ", log(0.002)};
        a->alts[3] = (cand){"The", log(0.001)};
        a->alts[4] = (cand){"(", log(0.0005)};
        a->nalts = 5;
    }
    qsort(a->alts, a->nalts, sizeof(a->alts[0]), cand_cmp);
    if (r->w == W_COMPLETIONS && !cot) {
        /* legacy completion tokens carry their leading space */
        static const char *const spaced[] = {" 1", " 2", " 3", " 4", " 5", " 6", " 7"};

        for (i = 0; i < a->nalts; i++) {
            const char *t = a->alts[i].tok;

            a->alts[i].tok = (t[0] >= '1' && t[0] <= '7') ? spaced[t[0] - '1']
                             : strcmp(t, "A") == 0        ? " A"
                             : strcmp(t, "B") == 0        ? " B"
                             : strcmp(t, "The") == 0      ? " The"
                             : strcmp(t, " ") == 0        ? "\n"
                             : strcmp(t, "(") == 0        ? " ("
                                                          : t;
        }
    }
    if (cot) {
        a->pre = rating ? "The response follows the principle in part and misses it in places.\n"
                          "Rating: "
                        : "Both responses address the request, but one follows the principle "
                          "more closely.\nVerdict: (";
        a->post = rating ? "" : ")";
        snprintf(a->text, sizeof(a->text), "%s%s%s%s", sp, a->pre, a->alts[0].tok, a->post);
        a->completion_tokens = 30;
        a->truncated = 0;
    } else {
        snprintf(a->text, sizeof(a->text), "%s", a->alts[0].tok);
        a->completion_tokens = 1;
        a->truncated = r->max_tokens >= 0 && r->max_tokens <= 1;
    }
}

static cJSON *bytes_of(const char *t)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i;

    for (i = 0; arr && t[i]; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber((unsigned char)t[i]));
    return arr;
}

static cJSON *chat_lp_entry(const char *tok, double lp, const cand *alts, size_t nalts, int top_n)
{
    cJSON *e = cJSON_CreateObject(), *tops = cJSON_CreateArray();
    size_t i;

    cJSON_AddStringToObject(e, "token", tok);
    cJSON_AddNumberToObject(e, "logprob", lp);
    cJSON_AddItemToObject(e, "bytes", bytes_of(tok));
    for (i = 0; i < nalts && (int)i < top_n; i++) {
        cJSON *t = cJSON_CreateObject();

        cJSON_AddStringToObject(t, "token", alts[i].tok);
        cJSON_AddNumberToObject(t, "logprob", alts[i].lp);
        cJSON_AddItemToObject(t, "bytes", bytes_of(alts[i].tok));
        cJSON_AddItemToArray(tops, t);
    }
    cJSON_AddItemToObject(e, "top_logprobs", tops);
    return e;
}

static void add_usage(cJSON *root, const request *r, const answer *a)
{
    cJSON *u = cJSON_AddObjectToObject(root, "usage");
    double pt = (double)(r->text_len / 4 + 1);

    if (r->ctx && pt > r->ctx)
        pt = r->ctx; /* cut silently, as llama.cpp and others do */

    if (r->w == W_MESSAGES && r->cached) {
        double c = r->cached < pt ? r->cached : pt;
        cJSON_AddNumberToObject(u, "input_tokens", pt - c);
        cJSON_AddNumberToObject(u, "cache_read_input_tokens", c);
        cJSON_AddNumberToObject(u, "output_tokens", a->completion_tokens);
    } else if (r->w == W_MESSAGES) {
        cJSON_AddNumberToObject(u, "input_tokens", pt);
        cJSON_AddNumberToObject(u, "output_tokens", a->completion_tokens);
    } else {
        unsigned rt = r->reasoning ? FAKE_REASONING_TOKENS : 0;

        cJSON_AddNumberToObject(u, "prompt_tokens", pt);
        cJSON_AddNumberToObject(u, "completion_tokens", a->completion_tokens + rt);
        cJSON_AddNumberToObject(u, "total_tokens", pt + a->completion_tokens + rt);
        if (rt)
            cJSON_AddNumberToObject(cJSON_AddObjectToObject(u, "completion_tokens_details"),
                                    "reasoning_tokens", rt);
        if (r->cached)
            cJSON_AddNumberToObject(cJSON_AddObjectToObject(u, "prompt_tokens_details"),
                                    "cached_tokens", r->cached < pt ? r->cached : pt);
    }
}

/* The 200 body for r; with_lp = 0 forces "logprobs": null. Caller frees (cJSON_free). */
static char *success_body(const request *r, const answer *a, uint64_t body_hash, int with_lp)
{
    cJSON *root = cJSON_CreateObject(), *choices, *ch, *lp = NULL;
    char id[40];
    char *out;
    int top_n = r->top_n;

    with_lp = with_lp && r->logprobs;
    if (r->w == W_MESSAGES) {
        cJSON *content, *blk;

        snprintf(id, sizeof(id), "msg_fake%016llx", (unsigned long long)body_hash);
        cJSON_AddStringToObject(root, "id", id);
        cJSON_AddStringToObject(root, "type", "message");
        cJSON_AddStringToObject(root, "role", "assistant");
        cJSON_AddStringToObject(root, "model", r->model);
        content = cJSON_AddArrayToObject(root, "content");
        blk = cJSON_CreateObject();
        cJSON_AddStringToObject(blk, "type", "text");
        cJSON_AddStringToObject(blk, "text", a->text);
        cJSON_AddItemToArray(content, blk);
        cJSON_AddStringToObject(root, "stop_reason", a->truncated ? "max_tokens" : "end_turn");
        cJSON_AddNullToObject(root, "stop_sequence");
        add_usage(root, r, a);
        goto print;
    }
    snprintf(id, sizeof(id), "%s-fake%016llx", r->w == W_CHAT ? "chatcmpl" : "cmpl",
             (unsigned long long)body_hash);
    cJSON_AddStringToObject(root, "id", id);
    cJSON_AddStringToObject(root, "object", r->w == W_CHAT ? "chat.completion" : "text_completion");
    cJSON_AddNumberToObject(root, "created", 1700000000);
    cJSON_AddStringToObject(root, "model", r->model);
    choices = cJSON_AddArrayToObject(root, "choices");
    ch = cJSON_CreateObject();
    cJSON_AddItemToArray(choices, ch);
    if (r->w == W_CHAT) {
        cJSON *msg = cJSON_AddObjectToObject(ch, "message");

        cJSON_AddNumberToObject(ch, "index", 0);
        cJSON_AddStringToObject(msg, "role", "assistant");
        cJSON_AddStringToObject(msg, "content", a->text);
        if (with_lp) {
            cJSON *content;

            lp = cJSON_CreateObject();
            content = cJSON_AddArrayToObject(lp, "content");
            if (a->pre[0]) {
                cand self = {a->pre, -0.3};

                cJSON_AddItemToArray(content, chat_lp_entry(a->pre, -0.3, &self, 1, top_n));
            }
            cJSON_AddItemToArray(
                content, chat_lp_entry(a->alts[0].tok, a->alts[0].lp, a->alts, a->nalts, top_n));
            if (a->post[0]) {
                cand self = {a->post, -0.01};

                cJSON_AddItemToArray(content, chat_lp_entry(a->post, -0.01, &self, 1, top_n));
            }
        }
    } else {
        cJSON_AddStringToObject(ch, "text", a->text);
        cJSON_AddNumberToObject(ch, "index", 0);
        if (with_lp) {
            cJSON *toks, *tlps, *tops, *offs, *map;
            size_t i;
            const char *dec = a->alts[0].tok;

            lp = cJSON_CreateObject();
            toks = cJSON_AddArrayToObject(lp, "tokens");
            tlps = cJSON_AddArrayToObject(lp, "token_logprobs");
            tops = cJSON_AddArrayToObject(lp, "top_logprobs");
            offs = cJSON_AddArrayToObject(lp, "text_offset");
            if (a->pre[0]) {
                char pre[256];

                snprintf(pre, sizeof(pre), " %s", a->pre);
                cJSON_AddItemToArray(toks, cJSON_CreateString(pre));
                cJSON_AddItemToArray(tlps, cJSON_CreateNumber(-0.3));
                map = cJSON_CreateObject();
                cJSON_AddNumberToObject(map, pre, -0.3);
                cJSON_AddItemToArray(tops, map);
                cJSON_AddItemToArray(offs, cJSON_CreateNumber(0));
            }
            cJSON_AddItemToArray(toks, cJSON_CreateString(dec));
            cJSON_AddItemToArray(tlps, cJSON_CreateNumber(a->alts[0].lp));
            map = cJSON_CreateObject();
            for (i = 0; i < a->nalts && (int)i < top_n; i++)
                cJSON_AddNumberToObject(map, a->alts[i].tok, a->alts[i].lp);
            cJSON_AddItemToArray(tops, map);
            cJSON_AddItemToArray(offs,
                                 cJSON_CreateNumber(a->pre[0] ? (double)strlen(a->pre) + 1 : 0));
            if (a->post[0]) {
                cJSON_AddItemToArray(toks, cJSON_CreateString(a->post));
                cJSON_AddItemToArray(tlps, cJSON_CreateNumber(-0.01));
                map = cJSON_CreateObject();
                cJSON_AddNumberToObject(map, a->post, -0.01);
                cJSON_AddItemToArray(tops, map);
                cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)strlen(a->text) - 1));
            }
        }
    }
    if (lp)
        cJSON_AddItemToObject(ch, "logprobs", lp);
    else
        cJSON_AddNullToObject(ch, "logprobs");
    cJSON_AddStringToObject(ch, "finish_reason", a->truncated ? "length" : "stop");
    add_usage(root, r, a);
print:
    out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

/* ------------------------------------------------------------------ generation mode */

static int looks_like_judging(const request *r)
{
    return contains(r->text, "<<<RESPONSE_") || contains(r->text, "Verdict:") ||
           contains(r->text, "1 to 7");
}

static const char *const gen_words[32] = {
    "the",    "answer", "is",    "simple", "first",   "consider",  "what",    "you",
    "need",   "then",   "check", "each",   "step",    "carefully", "before",  "acting",
    "a",      "good",   "plan",  "helps",  "people",  "stay",      "safe",    "and",
    "honest", "about",  "their", "limits", "because", "clarity",   "matters", "most"};

/* The first stop string found in t (as "stop" / "stop_sequences" gives them), or NULL. */
static const char *first_stop(const cJSON *stop, const char *t)
{
    const cJSON *it;
    const char *best = NULL, *hit;

    if (cJSON_IsString(stop) && stop->valuestring[0])
        return strstr(t, stop->valuestring);
    cJSON_ArrayForEach(it, stop)
    {
        if (cJSON_IsString(it) && it->valuestring[0] && (hit = strstr(t, it->valuestring)) &&
            (!best || hit < best))
            best = hit;
    }
    return best;
}

/* One choice: its text into b, its finish reason ("stop", "length", "stop_sequence"), tokens. */
static void gen_choice(
    sbuf *b, const request *r, uint64_t h, unsigned lo, unsigned hi, const char **fin, long *ntok)
{
    const char *m = r->text ? strstr(r->text, "[[gen:words=") : NULL;
    unsigned long words = lo + (unsigned long)(h % (uint64_t)(hi - lo + 1)), k;
    uint64_t st = h;
    const char *cut;

    *fin = "stop";
    *ntok = 0;
    if (contains(r->text, "[[gen:empty]]"))
        return;
    if (m)
        words = strtoul(m + 12, NULL, 10);
    if (contains(r->text, "[[gen:leak]]"))
        sb_add(b, "Here is the revised response: ", 30);
    if (r->w == W_COMPLETIONS)
        sb_add(b, " ", 1);
    for (k = 0; k < words; k++) {
        const char *w = gen_words[cai_splitmix64(&st) % 32];

        if (r->max_tokens >= 0 && (long)k >= r->max_tokens) {
            *fin = "length";
            break;
        }
        if (k > 0)
            sb_add(b, " ", 1);
        sb_add(b, w, strlen(w));
        (*ntok)++;
    }
    if (strcmp(*fin, "stop") == 0 && words > 0)
        sb_add(b, ".", 1);
    if (b->p && r->stop && (cut = first_stop(r->stop, b->p)) != NULL) {
        b->len = (size_t)(cut - b->p);
        b->p[b->len] = '\0';
        *fin = "stop_sequence";
    }
}

/* The 200 body of a generation request. Caller frees (cJSON_free). */
static char *gen_body(const request *r, uint64_t seed, unsigned lo, unsigned hi, uint64_t body_hash)
{
    cJSON *root = cJSON_CreateObject(), *choices = NULL;
    uint64_t h = cai_hash64(r->text, r->text_len, seed ^ r->req_seed);
    long n = r->w == W_MESSAGES ? 1 : r->n, i, total = 0, ntok;
    char id[48];
    char *out;
    const char *fin;

    if (!lo && !hi) {
        lo = 8;
        hi = 24;
    }
    if (hi < lo)
        hi = lo;
    if (r->w == W_MESSAGES) {
        h ^= 0x9e3779b97f4a7c15ULL * (uint64_t)r->variant;
        snprintf(id, sizeof(id), "msg_fake%016llx", (unsigned long long)body_hash);
        cJSON_AddStringToObject(root, "id", id);
        cJSON_AddStringToObject(root, "type", "message");
        cJSON_AddStringToObject(root, "role", "assistant");
        cJSON_AddStringToObject(root, "model", r->model);
    } else {
        snprintf(id, sizeof(id), "%s-fake%016llx", r->w == W_CHAT ? "chatcmpl" : "cmpl",
                 (unsigned long long)body_hash);
        cJSON_AddStringToObject(root, "id", id);
        cJSON_AddStringToObject(root, "object",
                                r->w == W_CHAT ? "chat.completion" : "text_completion");
        cJSON_AddNumberToObject(root, "created", 1700000000);
        cJSON_AddStringToObject(root, "model", r->model);
        choices = cJSON_AddArrayToObject(root, "choices");
    }
    for (i = 0; i < n; i++) {
        sbuf b = {0};
        uint64_t hc = h;
        const char *text;

        if (!(r->temperature == 0 || contains(r->text, "[[gen:dup]]")))
            hc = cai_hash64(&i, sizeof(i), h);
        gen_choice(&b, r, hc, lo, hi, &fin, &ntok);
        total += ntok;
        text = b.p ? b.p : "";
        if (r->w == W_MESSAGES) {
            cJSON *content = cJSON_AddArrayToObject(root, "content");

            if (text[0]) {
                cJSON *blk = cJSON_CreateObject();

                cJSON_AddStringToObject(blk, "type", "text");
                cJSON_AddStringToObject(blk, "text", text);
                cJSON_AddItemToArray(content, blk);
            }
            cJSON_AddStringToObject(root, "stop_reason",
                                    strcmp(fin, "length") == 0 ? "max_tokens"
                                    : strcmp(fin, "stop") == 0 ? "end_turn"
                                                               : "stop_sequence");
            if (strcmp(fin, "stop_sequence") == 0)
                cJSON_AddStringToObject(root, "stop_sequence",
                                        cJSON_IsString(r->stop)
                                            ? r->stop->valuestring
                                            : cJSON_GetArrayItem(r->stop, 0)->valuestring);
            else
                cJSON_AddNullToObject(root, "stop_sequence");
        } else {
            cJSON *ch = cJSON_CreateObject();

            cJSON_AddNumberToObject(ch, "index", (double)i);
            if (r->w == W_CHAT) {
                cJSON *msg = cJSON_AddObjectToObject(ch, "message");

                cJSON_AddStringToObject(msg, "role", "assistant");
                cJSON_AddStringToObject(msg, "content", text);
            } else {
                cJSON_AddStringToObject(ch, "text", text);
            }
            cJSON_AddNullToObject(ch, "logprobs");
            /* OpenAI reports a stop string as a plain "stop" */
            cJSON_AddStringToObject(ch, "finish_reason",
                                    strcmp(fin, "length") == 0 ? "length" : "stop");
            cJSON_AddItemToArray(choices, ch);
        }
        free(b.p);
    }
    {
        answer a;

        memset(&a, 0, sizeof(a));
        a.completion_tokens = (unsigned)total;
        add_usage(root, r, &a);
    }
    out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

/* An error body in the dialect of the path. Caller frees (cJSON_free). */
static char *error_body(int anthropic, const char *type, const char *code, const char *msg)
{
    cJSON *root = cJSON_CreateObject(), *e;
    char *out;

    if (anthropic) {
        cJSON_AddStringToObject(root, "type", "error");
        e = cJSON_AddObjectToObject(root, "error");
        cJSON_AddStringToObject(e, "type", type);
        cJSON_AddStringToObject(e, "message", msg);
    } else {
        e = cJSON_AddObjectToObject(root, "error");
        cJSON_AddStringToObject(e, "message", msg);
        cJSON_AddStringToObject(e, "type", type);
        cJSON_AddNullToObject(e, "param");
        if (code)
            cJSON_AddStringToObject(e, "code", code);
        else
            cJSON_AddNullToObject(e, "code");
    }
    out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

/* Queues status line, headers and the first send_len bytes of body (whose full length is
 * announced) on c. Returns -1 on OOM. */
static int queue_reply(
    conn *c, int status, const char *extra, const char *body, size_t body_len, size_t send_len)
{
    char head[512];
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
                      "%zu\r\n%s%s\r\n",
                      status, reason(status), body_len, extra ? extra : "",
                      c->close_after ? "Connection: close\r\n" : "");
    char *out;

    if (hl < 0 || (size_t)hl >= sizeof(head))
        return -1;
    out = malloc((size_t)hl + send_len + 1);
    if (!out)
        return -1;
    memcpy(out, head, (size_t)hl);
    if (send_len)
        memcpy(out + hl, body, send_len);
    free(c->out);
    c->out = out;
    c->out_len = (size_t)hl + send_len;
    c->out_off = 0;
    return 0;
}

/* ------------------------------------------------------------------ the decision */

/* fake_llm_kill_on_request: 1 when this request killed the client (it gets no answer). */
static int kill_due(fake_llm *s)
{
    if (s->kill_pid <= 0 || s->requests < s->kill_at)
        return 0;
    kill(s->kill_pid, SIGKILL);
    s->kill_pid = 0;
    return 1;
}

static fake_fault pick_fault(fake_llm *s, const char *body, size_t len, uint32_t attempt)
{
    unsigned mask, eligible[FAKE_NFAULTS], n = 0, k;
    uint64_t h, st;
    double u;

    if (kill_due(s))
        return FAKE_HANG;
    if (s->always != FAKE_OK)
        return s->always;
    if (s->q_len > 0) {
        queued_fault *qf = &s->q[s->q_head];
        fake_fault f = qf->f;

        if (--qf->n == 0) {
            s->q_head = (s->q_head + 1) % s->q_cap;
            s->q_len--;
        }
        return f;
    }
    if (!(s->rate > 0))
        return FAKE_OK;
    h = cai_hash64(body, len, s->o.seed ^ (0x9e3779b97f4a7c15ULL * ((uint64_t)attempt + 1)));
    u = (double)(h >> 11) * (1.0 / 9007199254740992.0);
    if (u >= s->rate)
        return FAKE_OK;
    mask = s->o.fault_mask ? s->o.fault_mask : ~((1u << FAKE_OK) | (1u << FAKE_401_ECHO));
    for (k = 1; k < FAKE_NFAULTS; k++) {
        if (mask & (1u << k))
            eligible[n++] = k;
    }
    if (n == 0)
        return FAKE_OK;
    st = h;
    return (fake_fault)eligible[cai_splitmix64(&st) % n];
}

static int status_of(fake_fault f)
{
    switch (f) {
    case FAKE_429:
        return 429;
    case FAKE_500:
        return 500;
    case FAKE_503:
        return 503;
    case FAKE_HANG:
    case FAKE_RESET:
        return 0;
    case FAKE_401_ECHO:
        return 401;
    case FAKE_OK:
    case FAKE_BAD_JSON:
    case FAKE_NO_LOGPROBS:
    case FAKE_NO_VERDICT:
    case FAKE_NFAULTS:
        break;
    }
    return 200;
}

/* Records the request; for a well-formed one (bad_status == 0) decides its fault. */
static fake_fault record(fake_llm *s,
                         const char *hdrs,
                         size_t hdr_len,
                         const char *body,
                         size_t body_len,
                         const char *path,
                         int bad_status,
                         uint64_t bh,
                         uint32_t *prior_successes)
{
    fake_fault f = FAKE_OK;
    int status = bad_status;
    body_stat *bs;

    pthread_mutex_lock(&s->mu);
    s->requests++;
    if (s->nkept < KEEP_REQUESTS) {
        s->bodies[s->nkept] = dup_n(body, body_len);
        s->headers[s->nkept] = dup_n(hdrs, hdr_len);
        s->nkept++;
    }
    bs = body_slot(s, bh);
    if (!bad_status) {
        f = pick_fault(s, body, body_len, bs ? bs->attempts : 0);
        status = status_of(f);
        *prior_successes = bs ? bs->successes : 0;
        if (f == FAKE_OK || f == FAKE_NO_LOGPROBS) {
            s->successes++;
            if (bs && bs->successes > 0)
                s->dups++;
            if (bs)
                bs->successes++;
        }
    }
    if (bs)
        bs->attempts++;
    if (status >= 0 && status < NSTATUS)
        s->status_counts[status]++;
    if (s->log) {
        fprintf(s->log, "%d %016llx %s\n", status, (unsigned long long)bh, path);
        fflush(s->log);
    }
    pthread_mutex_unlock(&s->mu);
    return f;
}

/* With fake_llm_set_slots: the answer waits for the first free slot, then for the service time.
 * A slot stays taken for its request even when the client gives up on it, as real servers do. */
static void queue_for_a_slot(fake_llm *s, conn *c)
{
    double now = now_ms(), start;
    unsigned k, best = 0;

    pthread_mutex_lock(&s->mu);
    if (s->q_slots > 0 && s->q_free_at) {
        for (k = 1; k < s->q_slots; k++)
            if (s->q_free_at[k] < s->q_free_at[best])
                best = k;
        start = s->q_free_at[best] > now ? s->q_free_at[best] : now;
        s->q_free_at[best] = start + s->q_service_ms;
        c->state = C_WAIT;
        c->due_ms = s->q_free_at[best];
    }
    pthread_mutex_unlock(&s->mu);
}

/* Answers one complete request on c. Returns -1 on OOM (c is then closed). */
static int
handle(fake_llm *s, conn *c, const char *hdrs, size_t hdr_len, const char *body, size_t body_len)
{
    char method[16] = "?", path[256] = "?", query[256] = "", extra[64], msg[512];
    const char *sp1, *sp2, *le, *v = NULL;
    size_t vl = 0, n, len;
    int anthropic, status = 0, rc = 0;
    cJSON *root = NULL;
    request r;
    answer a;
    const char *bad = NULL, *btype = "invalid_request_error";
    uint64_t bh = cai_hash64(body, body_len, 0);
    fake_fault f;
    char *out = NULL;
    int dying;
    fake_gen_mode gen;
    unsigned gen_min, gen_max, gen_max_n;

    pthread_mutex_lock(&s->mu);
    dying = s->die_after && s->requests >= s->die_after;
    s->dying |= dying;
    pthread_mutex_unlock(&s->mu);
    if (dying) {
        c->state = C_HANG; /* never answered: the server goes away with it */
        return 0;
    }
    memset(&r, 0, sizeof(r));
    for (le = hdrs; le < hdrs + hdr_len && *le != '\r' && *le != '\n'; le++) {
    }
    sp1 = memchr(hdrs, ' ', (size_t)(le - hdrs));
    sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || (size_t)(sp1 - hdrs) >= sizeof(method)) {
        c->close_after = 1;
        status = 400;
        bad = "malformed request line";
    } else {
        memcpy(method, hdrs, (size_t)(sp1 - hdrs));
        method[sp1 - hdrs] = '\0';
        n = (size_t)(sp2 - sp1 - 1);
        if (n >= sizeof(path))
            n = sizeof(path) - 1;
        memcpy(path, sp1 + 1, n);
        path[n] = '\0';
        if (strchr(path, '?'))
            snprintf(query, sizeof(query), "%s", strchr(path, '?') + 1);
        path[strcspn(path, "?")] = '\0';
        if (le - sp2 > 8 && strncmp(sp2 + 1, "HTTP/1.0", 8) == 0 &&
            !header_has_token(hdrs, hdr_len, "Connection", "keep-alive"))
            c->close_after = 1;
    }
    if (header_has_token(hdrs, hdr_len, "Connection", "close"))
        c->close_after = 1;
    if (!status && fake_batch__owns(path)) {
        size_t olen = 0;

        pthread_mutex_lock(&s->mu);
        s->requests++;
        pthread_mutex_unlock(&s->mu);
        status = fake_batch__handle(s->batches, s, method, path, query, hdrs, hdr_len, body,
                                    body_len, &out, &olen);
        if (status < 0) { /* done, but the reply is lost: half of it, then a reset */
            status = -status;
            c->close_after = 1;
            c->rst_after = 1;
            if (!out || queue_reply(c, status, NULL, out, olen, olen / 2) != 0)
                rc = -1;
            goto done;
        }
        if (!out || queue_reply(c, status, NULL, out, olen, olen) != 0)
            rc = -1;
        goto done;
    }
    if (!status && strcmp(path, "/v1/models") == 0 && strcmp(method, "GET") == 0) {
        /* The model list (OpenAI's shape, which vLLM and llama.cpp serve too); not counted as a
         * request: the counters stay about judgments. */
        char list[256];

        pthread_mutex_lock(&s->mu);
        snprintf(list, sizeof(list),
                 "{\"object\":\"list\",\"data\":[{\"id\":\"%s\",\"object\":\"model\"}]}", s->model);
        pthread_mutex_unlock(&s->mu);
        if (queue_reply(c, 200, NULL, list, strlen(list), strlen(list)) != 0)
            return -1;
        c->state = C_WRITE;
        return 0;
    }
    anthropic = strcmp(path, "/v1/messages") == 0;
    if (!status) {
        if (strcmp(path, "/v1/chat/completions") == 0) {
            r.w = W_CHAT;
        } else if (strcmp(path, "/v1/completions") == 0) {
            r.w = W_COMPLETIONS;
        } else if (anthropic) {
            r.w = W_MESSAGES;
        } else {
            status = 404;
            bad = "Unknown request URL";
        }
    }
    if (!status && strcmp(method, "POST") != 0) {
        status = 405;
        bad = "Only POST is supported by the fake judge";
    }
    if (!status && anthropic && !find_header(hdrs, hdr_len, "x-api-key", &v, &vl)) {
        status = 400;
        bad = "x-api-key header is required";
    }
    if (!status && anthropic && !find_header(hdrs, hdr_len, "anthropic-version", &v, &vl)) {
        status = 400;
        bad = "anthropic-version: header is required";
    }
    if (!status) {
        root = cJSON_ParseWithLength(body, body_len);
        if (!root) {
            status = 400;
            bad = "We could not parse the JSON body of your request.";
        } else if ((bad = decode_request(&r, root)) != NULL) {
            status = 400;
        }
    }
    pthread_mutex_lock(&s->mu);
    r.reasoning = s->reasoning && r.w == W_CHAT;
    r.cached = s->cached;
    pthread_mutex_unlock(&s->mu);
    if (!status && r.reasoning && (bad = reasoning_refusal(root)) != NULL)
        status = 400;

    f = record(s, hdrs, hdr_len, body, body_len, path, status, bh, &r.variant);
    pthread_mutex_lock(&s->mu);
    r.ctx = s->ctx;
    gen = s->gen;
    gen_min = s->gen_min;
    gen_max = s->gen_max;
    gen_max_n = s->gen_max_n;
    pthread_mutex_unlock(&s->mu);
    if (!status && gen == FAKE_GEN_AUTO && looks_like_judging(&r))
        gen = FAKE_GEN_OFF;
    extra[0] = '\0';
    if (status) {
        out = error_body(anthropic, btype, NULL, bad);
        if (!out || queue_reply(c, status, NULL, out, strlen(out), strlen(out)) != 0)
            rc = -1;
        goto done;
    }
    switch (f) {
    case FAKE_OK:
    case FAKE_NO_LOGPROBS:
    case FAKE_NO_VERDICT:
    case FAKE_BAD_JSON:
    case FAKE_RESET:
    case FAKE_NFAULTS:
        r.judge = s->o.judge;
        if (gen != FAKE_GEN_OFF) {
            if (gen_max_n && r.n > (long)gen_max_n)
                r.n = (long)gen_max_n; /* a server that ignores "n" */
            out = gen_body(&r, s->o.seed, gen_min, gen_max, bh);
        } else {
            make_answer(&a, &r, s->o.seed, f);
            out = success_body(&r, &a, bh, f != FAKE_NO_LOGPROBS);
        }
        if (!out) {
            rc = -1;
            break;
        }
        len = strlen(out);
        if (f == FAKE_BAD_JSON) {
            rc = queue_reply(c, 200, NULL, out, len / 2, len / 2);
        } else if (f == FAKE_RESET) {
            rc = queue_reply(c, 200, NULL, out, len, len / 2);
            c->close_after = 1;
            c->rst_after = 1;
        } else {
            rc = queue_reply(c, 200, NULL, out, len, len);
        }
        break;
    case FAKE_429:
        snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", s->o.retry_after_s);
        out = error_body(anthropic, anthropic ? "rate_limit_error" : "requests",
                         "rate_limit_exceeded",
                         "Rate limit reached for requests (fake judge). Please try again later.");
        break;
    case FAKE_500:
        out = error_body(anthropic, anthropic ? "api_error" : "server_error", NULL,
                         "The server had an error while processing your request (fake judge).");
        break;
    case FAKE_503:
        out = error_body(anthropic, anthropic ? "overloaded_error" : "server_error", NULL,
                         "The engine is currently overloaded (fake judge).");
        break;
    case FAKE_401_ECHO:
        if (!find_header(hdrs, hdr_len, "Authorization", &v, &vl) &&
            !find_header(hdrs, hdr_len, "x-api-key", &v, &vl)) {
            v = "(none)";
            vl = 6;
        }
        snprintf(msg, sizeof(msg), "Incorrect API key provided: %.*s.", (int)vl, v);
        out = error_body(anthropic, anthropic ? "authentication_error" : "invalid_request_error",
                         "invalid_api_key", msg);
        break;
    case FAKE_HANG:
        c->state = C_HANG;
        goto done;
    }
    if (f == FAKE_429 || f == FAKE_500 || f == FAKE_503 || f == FAKE_401_ECHO) {
        status = status_of(f);
        if (!out || queue_reply(c, status, extra, out, strlen(out), strlen(out)) != 0)
            rc = -1;
    }
done:
    if (c->state != C_HANG && rc == 0) {
        if (s->o.latency_ms > 0) {
            c->state = C_WAIT;
            c->due_ms = now_ms() + s->o.latency_ms;
        } else {
            c->state = C_WRITE;
        }
        queue_for_a_slot(s, c);
    }
    cJSON_free(out);
    cJSON_Delete(root);
    free(r.text);
    return rc;
}

/* ------------------------------------------------------------------ connections */

/* Decodes a chunked body at p. 1: complete (*out owned, *used bytes consumed); 0: need more;
 * -1: malformed or too large. */
static int dechunk(const char *p, size_t n, size_t *used, char **out, size_t *outlen)
{
    sbuf b = {0};
    size_t j = 0;

    for (;;) {
        size_t sz = 0, k;
        int digits = 0;

        for (; j < n; j++) {
            int ch = (unsigned char)p[j], d;

            if (ch >= '0' && ch <= '9')
                d = ch - '0';
            else if (ch >= 'a' && ch <= 'f')
                d = ch - 'a' + 10;
            else if (ch >= 'A' && ch <= 'F')
                d = ch - 'A' + 10;
            else
                break;
            sz = sz * 16 + (size_t)d;
            digits++;
            if (sz > MAX_BODY_BYTES)
                goto bad;
        }
        if (j >= n)
            goto more;
        if (!digits)
            goto bad;
        while (j < n && p[j] != '\n') /* chunk extensions */
            j++;
        if (j >= n)
            goto more;
        j++;
        if (sz == 0) {
            for (;;) { /* trailers up to an empty line */
                for (k = j; k < n && p[k] != '\n'; k++) {
                }
                if (k >= n)
                    goto more;
                if (k == j || (k == j + 1 && p[j] == '\r')) {
                    j = k + 1;
                    break;
                }
                j = k + 1;
            }
            sb_add(&b, "", 0);
            if (b.oom)
                goto bad;
            *used = j;
            *out = b.p;
            *outlen = b.len;
            return 1;
        }
        if (n - j < sz + 2)
            goto more;
        sb_add(&b, p + j, sz);
        if (b.len > MAX_BODY_BYTES || b.oom)
            goto bad;
        j += sz;
        if (p[j] == '\r')
            j++;
        if (p[j] != '\n')
            goto bad;
        j++;
    }
more:
    free(b.p);
    return 0;
bad:
    free(b.p);
    return -1;
}

static void conn_free(conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static void consume(conn *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

static void maybe_continue(conn *c, const char *hdrs, size_t hdr_len)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    if (c->continued || !header_has_token(hdrs, hdr_len, "Expect", "100-continue"))
        return;
    c->continued = 1;
    if (send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL) < 0) {
        /* the client will notice on its own */
    }
}

/* 1: one request handled; 0: need more bytes; -1: close the connection. */
static int try_parse(fake_llm *s, conn *c)
{
    const char *end = c->in ? find_crlf2(c->in, c->in_len) : NULL, *v;
    size_t hdr_len, body_off, vl, cl = 0, i;
    int rc;

    if (!end)
        return c->in_len > MAX_HEADER_BYTES ? -1 : 0;
    hdr_len = (size_t)(end - c->in) + 2;
    body_off = hdr_len + 2;
    if (header_has_token(c->in, hdr_len, "Transfer-Encoding", "chunked")) {
        char *b = NULL;
        size_t bl = 0, used = 0;

        rc = dechunk(c->in + body_off, c->in_len - body_off, &used, &b, &bl);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            maybe_continue(c, c->in, hdr_len);
            return 0;
        }
        rc = handle(s, c, c->in, hdr_len, b, bl);
        free(b);
        consume(c, body_off + used);
    } else {
        if (find_header(c->in, hdr_len, "Content-Length", &v, &vl)) {
            if (vl == 0)
                return -1;
            for (i = 0; i < vl; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return -1;
                cl = cl * 10 + (size_t)(v[i] - '0');
                if (cl > MAX_BODY_BYTES)
                    return -1;
            }
        }
        if (c->in_len - body_off < cl) {
            maybe_continue(c, c->in, hdr_len);
            return 0;
        }
        rc = handle(s, c, c->in, hdr_len, c->in + body_off, cl);
        consume(c, body_off + cl);
    }
    c->continued = 0;
    return rc < 0 ? -1 : 1;
}

/* 1: all written; 0: the socket is full; -1: close (error, Connection: close, or reset). */
static int flush_out(conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        c->out_off += (size_t)k;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    if (c->rst_after) {
        struct linger lg = {1, 0}; /* close() then sends RST instead of FIN */

        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        return -1;
    }
    if (c->close_after)
        return -1;
    c->state = C_READ;
    return 1;
}

/* Runs c's state machine until it must wait. 0: wait; -1: close. */
static int advance(fake_llm *s, conn *c)
{
    int rc;

    for (;;) {
        switch (c->state) {
        case C_WAIT:
            if (now_ms() < c->due_ms)
                return 0;
            c->state = C_WRITE;
            break;
        case C_WRITE:
            rc = flush_out(c);
            if (rc <= 0)
                return rc;
            break;
        case C_HANG:
            c->in_len = 0;
            return 0;
        default:
            rc = try_parse(s, c);
            if (rc <= 0)
                return rc;
            break;
        }
    }
}

/* 0: read what there was; 1: end of stream; -1: error or over the size cap. */
static int read_in(conn *c)
{
    for (;;) {
        ssize_t k;

        if (c->in_cap - c->in_len < 4096) {
            size_t nc = c->in_cap ? c->in_cap * 2 : 16384;
            char *np;

            if (nc > MAX_HEADER_BYTES + MAX_BODY_BYTES + 65536)
                return -1;
            np = realloc(c->in, nc);
            if (!np)
                return -1;
            c->in = np;
            c->in_cap = nc;
        }
        k = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (k > 0) {
            c->in_len += (size_t)k;
            if (c->state == C_HANG)
                c->in_len = 0;
            continue;
        }
        if (k == 0)
            return 1;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return -1;
    }
}

static void accept_all(fake_llm *s)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
        conn *c;

        if (fd < 0)
            return;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (s->nconns == s->conns_cap) {
            size_t nc = s->conns_cap ? s->conns_cap * 2 : 64;
            conn **np = realloc(s->conns, nc * sizeof(*np));

            if (!np) {
                close(fd);
                return;
            }
            s->conns = np;
            s->conns_cap = nc;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->state = C_READ;
        s->conns[s->nconns++] = c;
    }
}

/* ------------------------------------------------------------------ the server thread */

/* After fake_llm_die_after's request: no listening socket, every connection closed. */
static void go_away_if_asked(fake_llm *s)
{
    size_t i;
    int dying;

    pthread_mutex_lock(&s->mu);
    dying = s->dying;
    if (dying) {
        s->dying = 0;
        s->die_after = 0;
        s->dead = 1;
    }
    pthread_mutex_unlock(&s->mu);
    if (!dying)
        return;
    for (i = 0; i < s->nconns; i++)
        conn_free(s->conns[i]);
    s->nconns = 0;
    close(s->lfd);
    s->lfd = -1;
}

static void *serve(void *arg)
{
    fake_llm *s = arg;
    struct pollfd *pfd = NULL;
    size_t pcap = 0;

    for (;;) {
        size_t n, i, k;
        double next = -1;
        int timeout = -1, rc, dead;

        pthread_mutex_lock(&s->mu);
        if (s->revived_fd >= 0) {
            s->lfd = s->revived_fd;
            s->revived_fd = -1;
        }
        dead = s->dead;
        pthread_mutex_unlock(&s->mu);
        n = s->nconns;

        if (n + 2 > pcap) {
            size_t nc = (n + 2) * 2;
            struct pollfd *np = realloc(pfd, nc * sizeof(*np));

            if (!np)
                break;
            pfd = np;
            pcap = nc;
        }
        pfd[0] = (struct pollfd){s->wake[0], POLLIN, 0};
        pfd[1] = (struct pollfd){s->lfd, POLLIN, 0};
        for (i = 0; i < n; i++) {
            conn *c = s->conns[i];
            short ev = 0;

            if (c->state == C_READ || c->state == C_HANG)
                ev = POLLIN;
            else if (c->state == C_WRITE)
                ev = POLLOUT;
            else if (next < 0 || c->due_ms < next)
                next = c->due_ms;
            pfd[i + 2] = (struct pollfd){c->fd, ev, 0};
        }
        if (next >= 0) {
            double d = next - now_ms();

            timeout = d <= 0 ? 0 : (int)ceil(d);
        }
        if (dead && (timeout < 0 || timeout > 5))
            timeout = 5; /* look for fake_llm_revive's socket */
        rc = poll(pfd, (nfds_t)(n + 2), timeout);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc < 0)
            continue;
        if (pfd[0].revents) {
            char b[16];
            ssize_t r = read(s->wake[0], b, sizeof(b));
            int parked;

            if (r == 0 || (r > 0 && memchr(b, 1, (size_t)r)))
                break; /* fake_llm_stop */
            pthread_mutex_lock(&s->mu);
            parked = s->hold;
            if (s->hold) {
                s->held = 1;
                pthread_cond_broadcast(&s->cv);
                while (s->hold)
                    pthread_cond_wait(&s->cv, &s->mu);
                s->held = 0;
            }
            pthread_mutex_unlock(&s->mu);
            if (parked)
                continue; /* after a fork: poll again */
            /* else a nudge (fake_llm_quiesce): the iteration goes on to its end */
        }
        for (i = 0; i < n; i++) {
            conn *c = s->conns[i];
            short re = pfd[i + 2].revents;
            int drop = 0, eof = 0;

            if (re && (c->state == C_READ || c->state == C_HANG)) {
                rc = read_in(c);
                drop = rc < 0;
                eof = rc == 1;
            } else if (re && c->state == C_WAIT) {
                drop = 1; /* the client went away while we "thought" */
            }
            if (!drop && (re || c->state == C_WAIT))
                drop = advance(s, c) < 0;
            if (!drop && eof && (c->state == C_READ || c->state == C_HANG))
                drop = 1;
            if (drop) {
                conn_free(c);
                s->conns[i] = NULL;
            }
        }
        for (i = k = 0; i < s->nconns; i++) {
            if (s->conns[i])
                s->conns[k++] = s->conns[i];
        }
        s->nconns = k;
        for (i = k = 0; i < s->nconns; i++)
            k += s->conns[i]->state != C_READ;
        pthread_mutex_lock(&s->mu);
        if (k > s->max_open)
            s->max_open = k;
        pthread_mutex_unlock(&s->mu);
        if (s->lfd >= 0 && (pfd[1].revents & POLLIN))
            accept_all(s);
        go_away_if_asked(s);
        pthread_mutex_lock(&s->mu);
        s->open_conns = s->nconns;
        s->iters++;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    free(pfd);
    return NULL;
}

/* ------------------------------------------------------------------ public API */

/* Many concurrent connections need two descriptors each when client and server share the
 * process; raise the soft limit towards the hard one (tests only). */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= 8192)
        return;
    rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
    setrlimit(RLIMIT_NOFILE, &rl);
}

fake_llm *fake_llm_start(const fake_llm_opts *opts)
{
    fake_llm *s = calloc(1, sizeof(*s));
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    int one = 1;

    if (!s)
        return NULL;
    cai_htab__init(&s->tab, sizeof(body_stat), sizeof(uint64_t));
    snprintf(s->model, sizeof(s->model), "fake-judge");
    s->o = opts ? *opts : FAKE_LLM_OPTS_INIT;
    s->lfd = -1;
    s->revived_fd = -1;
    s->wake[0] = s->wake[1] = -1;
    s->rate = s->o.fault_rate;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    raise_fd_limit();
    if (s->o.log_path) {
        s->log_path = strdup(s->o.log_path);
        if (!s->log_path || !(s->log = fopen(s->log_path, "ae")))
            goto fail;
    }
    s->o.log_path = s->log_path; /* the caller's string is borrowed only during start */
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->lfd < 0)
        goto fail;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)s->o.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s->o.port > 65535 || bind(s->lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(s->lfd, 4096) != 0 || getsockname(s->lfd, (struct sockaddr *)&addr, &alen) != 0)
        goto fail;
    s->port = ntohs(addr.sin_port);
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0)
        goto fail;
    s->batches = fake_batch__new();
    if (!s->batches)
        goto fail;
    snprintf(s->root, sizeof(s->root), "http://127.0.0.1:%u", s->port);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u/v1", s->port);
    if (pthread_create(&s->thread, NULL, serve, s) != 0)
        goto fail;
    s->started = 1;
    return s;
fail:
    fake_llm_stop(s);
    return NULL;
}

void fake_llm_stop(fake_llm *s)
{
    size_t i;

    if (!s)
        return;
    if (s->started) {
        char x = 1;

        if (write(s->wake[1], &x, 1) < 0) {
            /* a full pipe already holds a wake-up */
        }
        pthread_join(s->thread, NULL);
    }
    for (i = 0; i < s->nconns; i++)
        conn_free(s->conns[i]);
    free(s->conns);
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->revived_fd >= 0)
        close(s->revived_fd);
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
    for (i = 0; i < s->nkept; i++) {
        free(s->bodies[i]);
        free(s->headers[i]);
    }
    fake_batch__free(s->batches);
    cai_htab__dispose(&s->tab);
    free(s->q);
    free(s->q_free_at);
    if (s->log)
        fclose(s->log);
    free(s->log_path);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void fake_llm_quiesce(fake_llm *s)
{
    uint64_t start, seen;
    char nudge = 'n';
    int done = 0;

    pthread_mutex_lock(&s->mu);
    start = s->iters;
    pthread_mutex_unlock(&s->mu);
    while (!done) {
        pthread_mutex_lock(&s->mu);
        seen = s->iters; /* before the nudge: the iteration it causes may end at once */
        pthread_mutex_unlock(&s->mu);
        if (write(s->wake[1], &nudge, 1) < 0) {
            /* a full pipe already holds a wake-up */
        }
        pthread_mutex_lock(&s->mu);
        while (s->iters == seen)
            pthread_cond_wait(&s->cv, &s->mu);
        /* an iteration that began after this call began has ended with nothing open: whatever
         * a dead client left (in a socket or in the listen backlog) has been read */
        done = s->iters >= start + 2 && s->open_conns == 0;
        pthread_mutex_unlock(&s->mu);
    }
}

pid_t fake_llm_fork(fake_llm *s)
{
    char h = 'h';
    pid_t pid;

    pthread_mutex_lock(&s->mu);
    s->hold = 1;
    pthread_mutex_unlock(&s->mu);
    if (write(s->wake[1], &h, 1) < 0) {
        /* a full pipe already holds a wake-up; the thread reads hold under the lock */
    }
    pthread_mutex_lock(&s->mu);
    while (!s->held)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    pid = fork();
    if (pid != 0) {
        pthread_mutex_lock(&s->mu);
        s->hold = 0;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    return pid;
}

const char *fake_llm_url(const fake_llm *s)
{
    return s->url;
}

const char *fake_llm_root_url(const fake_llm *s)
{
    return s->root;
}

unsigned fake_llm_port(const fake_llm *s)
{
    return s->port;
}

void fake_llm_push_fault(fake_llm *s, fake_fault f, unsigned count)
{
    if ((unsigned)f >= FAKE_NFAULTS || count == 0)
        return;
    pthread_mutex_lock(&s->mu);
    if (s->q_len == s->q_cap) {
        size_t nc = s->q_cap ? s->q_cap * 2 : 16, i;
        queued_fault *nq = malloc(nc * sizeof(*nq));

        if (!nq) {
            pthread_mutex_unlock(&s->mu);
            return;
        }
        for (i = 0; i < s->q_len; i++)
            nq[i] = s->q[(s->q_head + i) % s->q_cap];
        free(s->q);
        s->q = nq;
        s->q_cap = nc;
        s->q_head = 0;
    }
    s->q[(s->q_head + s->q_len) % s->q_cap] = (queued_fault){f, count};
    s->q_len++;
    pthread_mutex_unlock(&s->mu);
}

void fake_llm_set_fault_rate(fake_llm *s, double rate)
{
    pthread_mutex_lock(&s->mu);
    s->rate = rate;
    pthread_mutex_unlock(&s->mu);
}

void fake_llm_set_always(fake_llm *s, fake_fault f)
{
    pthread_mutex_lock(&s->mu);
    s->always = (unsigned)f < FAKE_NFAULTS ? f : FAKE_OK;
    pthread_mutex_unlock(&s->mu);
}

void fake_llm_kill_on_request(fake_llm *s, pid_t pid, size_t m)
{
    pthread_mutex_lock(&s->mu);
    s->kill_pid = m > 0 ? pid : 0;
    s->kill_at = s->requests + m;
    pthread_mutex_unlock(&s->mu);
}

static size_t read_counter(fake_llm *s, const size_t *p)
{
    size_t v;

    pthread_mutex_lock(&s->mu);
    v = *p;
    pthread_mutex_unlock(&s->mu);
    return v;
}

size_t fake_llm_requests(fake_llm *s)
{
    return read_counter(s, &s->requests);
}

size_t fake_llm_successes(fake_llm *s)
{
    return read_counter(s, &s->successes);
}

size_t fake_llm_duplicate_successes(fake_llm *s)
{
    return read_counter(s, &s->dups);
}

size_t fake_llm_max_open(fake_llm *s)
{
    return read_counter(s, &s->max_open);
}

size_t fake_llm_count_status(fake_llm *s, int status)
{
    if (status < 0 || status >= NSTATUS)
        return 0;
    return read_counter(s, &s->status_counts[status]);
}

static char *copy_kept(fake_llm *s, char *const *arr, size_t i)
{
    char *r = NULL;

    pthread_mutex_lock(&s->mu);
    if (i < s->nkept && arr[i])
        r = strdup(arr[i]);
    pthread_mutex_unlock(&s->mu);
    return r;
}

char *fake_llm_request_body(fake_llm *s, size_t i)
{
    return copy_kept(s, s->bodies, i);
}

char *fake_llm_request_headers(fake_llm *s, size_t i)
{
    return copy_kept(s, s->headers, i);
}

void fake_llm_set_context(fake_llm *s, unsigned tokens)
{
    pthread_mutex_lock(&s->mu);
    s->ctx = tokens;
    pthread_mutex_unlock(&s->mu);
}

void fake_llm_set_reasoning(fake_llm *s, int on)
{
    pthread_mutex_lock(&s->mu);
    s->reasoning = on;
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ a judge that goes away */

void fake_llm_die_after(fake_llm *s, size_t k)
{
    pthread_mutex_lock(&s->mu);
    s->die_after = k;
    pthread_mutex_unlock(&s->mu);
}

int fake_llm_is_dead(fake_llm *s)
{
    int dead;

    pthread_mutex_lock(&s->mu);
    dead = s->dead;
    pthread_mutex_unlock(&s->mu);
    return dead;
}

int fake_llm_revive(fake_llm *s)
{
    struct sockaddr_in addr;
    int one = 1, fd;

    if (!fake_llm_is_dead(s))
        return 0;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)s->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 4096) != 0) {
        close(fd);
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    s->revived_fd = fd;
    s->dead = 0;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* ------------------------------------------------------------------ a slow queue with few slots */

int fake_llm_set_slots(fake_llm *s, unsigned slots, unsigned service_ms)
{
    double *t = slots ? calloc(slots, sizeof(*t)) : NULL;

    if (slots && !t)
        return -1;
    pthread_mutex_lock(&s->mu);
    free(s->q_free_at);
    s->q_free_at = t;
    s->q_slots = slots;
    s->q_service_ms = service_ms;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void fake_llm_set_generate(fake_llm *s, fake_gen_mode mode, unsigned min_words, unsigned max_words)
{
    pthread_mutex_lock(&s->mu);
    s->gen = mode;
    s->gen_min = min_words;
    s->gen_max = max_words;
    pthread_mutex_unlock(&s->mu);
}

void fake_llm_set_gen_max_n(fake_llm *s, unsigned max_n)
{
    pthread_mutex_lock(&s->mu);
    s->gen_max_n = max_n;
    pthread_mutex_unlock(&s->mu);
}

void fake_llm_set_model(fake_llm *s, const char *id)
{
    pthread_mutex_lock(&s->mu);
    snprintf(s->model, sizeof(s->model), "%s", id ? id : "fake-judge");
    pthread_mutex_unlock(&s->mu);
}

void fake_llm_set_cached(fake_llm *s, unsigned tokens)
{
    pthread_mutex_lock(&s->mu);
    s->cached = tokens;
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ for the batch APIs */

int fake_llm__header(const char *h, size_t n, const char *name, const char **val, size_t *vlen)
{
    return find_header(h, n, name, val, vlen);
}

fake_batches *fake_llm__batches(fake_llm *s)
{
    return s->batches;
}

const char *fake_llm__root(const fake_llm *s)
{
    return s->root;
}

char *fake_llm__answer(fake_llm *s, int anthropic, const char *body, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    uint64_t bh = cai_hash64(body, len, 0);
    request r;
    answer a;
    body_stat *bs;
    char *out = NULL;

    memset(&r, 0, sizeof(r));
    r.w = anthropic ? W_MESSAGES : W_CHAT;
    if (!root || decode_request(&r, root) != NULL)
        goto done;
    pthread_mutex_lock(&s->mu);
    r.ctx = s->ctx;
    r.cached = s->cached;
    r.judge = s->o.judge;
    s->successes++;
    bs = body_slot(s, bh);
    if (bs && bs->successes > 0)
        s->dups++;
    if (bs) {
        bs->successes++;
        bs->attempts++;
    }
    pthread_mutex_unlock(&s->mu);
    make_answer(&a, &r, s->o.seed, FAKE_OK);
    out = success_body(&r, &a, bh, 1);
done:
    cJSON_Delete(root);
    free(r.text);
    return out;
}
