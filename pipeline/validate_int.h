/* SPDX-License-Identifier: MIT */
/* Internals shared by validate.c, stats.c and their helpers: finding kinds, the dataset scanner,
 * fingerprint tables and the statistics accumulator. */
#ifndef CAI_VALIDATE_INT_H
#define CAI_VALIDATE_INT_H

#include "cai/validate.h"
#include "cai/health.h"
#include "util_int.h"
#include "recfmt_int.h"

#include <cjson/cJSON.h>

/* ---- finding kinds (validate_scan.c holds the names) ------------------------------------ */

typedef enum cai_vkind {
    /* errors */
    CAI_VK_READ,    /* I/O error while reading */
    CAI_VK_GZIP,    /* gzip corruption or truncation */
    CAI_VK_UTF8,    /* invalid UTF-8 */
    CAI_VK_NUL,     /* NUL byte */
    CAI_VK_TOOLONG, /* line over the size cap */
    CAI_VK_JSON,    /* not JSON */
    CAI_VK_SCHEMA,  /* missing or mistyped field, no known format */
    CAI_VK_ROLES,   /* unknown role, bad order, malformed transcript */
    CAI_VK_EMPTY_PROMPT,
    CAI_VK_EMPTY_CHOSEN,
    CAI_VK_EMPTY_REJECTED,
    CAI_VK_EMPTY_RESPONSE, /* pairs / candidates */
    CAI_VK_IDENTICAL,
    CAI_VK_CONTEXT,          /* hh: chosen and rejected contexts differ */
    CAI_VK_LABEL,            /* p_chosen outside [0, 1] or below 0.5 */
    CAI_VK_EMPTY_COMPLETION, /* sft / messages: the answer is blank */
    CAI_VK_EMPTY_TURN,       /* messages: one turn is blank */
    CAI_VK_TOO_FEW,          /* candidates: fewer than 2 usable responses */
    CAI_VK_MANIFEST,
    CAI_VK_MISSING,
    CAI_VK_SHA256,
    CAI_VK_RECORDS,
    CAI_VK_BYTES,
    CAI_VK_UNLISTED,
    CAI_VK_LEAK,
    CAI_VK_DRIFT, /* a record's keys or JSON types differ from the first record's */
    /* judge health (health.c), errors; names are the health codes */
    CAI_VK_NO_RECORDS,
    CAI_VK_JUDGE_ALL_TIES,
    CAI_VK_JUDGE_TEXT_FALLBACK,
    CAI_VK_JUDGE_POSITION_BIAS,
    CAI_VK_JUDGE_ORDER_INCONSISTENT,
    CAI_VK_JUDGE_DISAGREES_WITH_HUMAN,
    /* warnings */
    CAI_VK_ALTERNATION, /* two turns of the same role in a row */
    CAI_VK_DUP_PAIR,
    CAI_VK_CONFLICT, /* the same pair with the opposite label */
    CAI_VK_DUP_PROMPT,
    CAI_VK_NEAR_DUP_PAIR,
    CAI_VK_NEAR_DUP_PROMPT,
    CAI_VK_LONG,
    CAI_VK_POSITION_BIAS,
    CAI_VK_LENGTH_BIAS,
    CAI_VK_CONSISTENCY,
    CAI_VK_PRINCIPLE_BIAS,
    CAI_VK_GLUED,            /* trl: prompt + response has no whitespace or role cue at the join */
    CAI_VK_TRUNCATED,        /* candidates: a response cut at max_tokens (finish_reason "length") */
    CAI_VK_MULTI_TURN_REPLY, /* conversational: a reply of several messages (cai run refuses it) */
    /* judge health, warnings */
    CAI_VK_JUDGE_ORDER_CONSISTENCY,
    CAI_VK_JUDGE_HUMAN_AGREEMENT,
    CAI_VK_JUDGE_LENGTH_BIAS,
    CAI_VK_JUDGE_TRUNCATED_PROMPTS,
    CAI_VK__COUNT
} cai_vkind;

#define CAI_VK__FIRST_WARNING CAI_VK_ALTERNATION

const char *cai_vkind__name(cai_vkind k);

/* ---- the dataset scanner (validate_scan.c) ---------------------------------------------- */

typedef enum cai_split {
    CAI_SPLIT_NONE = 0,
    CAI_SPLIT_TRAIN,
    CAI_SPLIT_TEST,
    CAI_SPLIT_VALIDATION,
    CAI_SPLIT__COUNT
} cai_split;

const char *cai_split__name(cai_split s);

/* One data file, as the scanner reports it when it is done with it. */
typedef struct cai_vfile {
    const char *path; /* as shown in findings */
    size_t index;     /* 0-based, in scan order */
    cai_split split;
    cai_format format;  /* detected or forced; AUTO if no record was recognised */
    uint64_t records;   /* lines read (each a JSON text or an attempt at one) */
    uint64_t bad_lines; /* lines with an error finding */
    int stopped;        /* reading stopped early (gzip or I/O error) */
} cai_vfile;

/* A run of message turns: a prompt, or one response. */
typedef struct cai_vturn {
    cai_role role;
    const char *s;
    size_t len;
} cai_vturn;

typedef struct cai_vseq {
    const cai_vturn *t;
    size_t n;
} cai_vseq;

/* One structurally valid record, borrowed for the duration of the record callback. */
typedef struct cai_vrec {
    const cai_vfile *file;
    uint64_t line;
    cai_format format;
    int labelled; /* 1: resp[0] is chosen and resp[1] rejected; 0: unlabelled responses */
    cai_vseq prompt;
    const cai_vseq *resp;
    size_t n_resp;
    int content_error; /* empty or identical texts, a differing context or a bad label */
    int has_p;         /* p_chosen present (and a number) */
    double p_chosen;
    int position;            /* cai.chosen_position: 0 "a", 1 "b", -1 absent */
    int agree;               /* cai.orders_agree: 1, 0, or -1 for null/absent */
    const cJSON *principles; /* cai.principles (array of strings), or NULL */
    /* cai.principle_p_chosen (floats in [0, 1], one per principle), or NULL */
    const cJSON *principle_p;
    /* cai.first_shown_wins / second_shown_wins / text_judgments (judgments won by the response
     * the judge saw first / second; read from text verdicts), cai.agrees_with_human: -1 absent */
    int64_t first_wins, second_wins, text_judgments;
    int human_agree;
    const char *text; /* the line's bytes, text_len of them, without the newline */
    size_t text_len;
    struct cai_vtree *tree; /* the line as a cJSON tree, built on demand: cai_vrec__json */
} cai_vrec;

/* The record's line parsed by cJSON (borrowed, like the rest), built at the first call: the
 * scanner reads records in place, and only some sinks want a tree. NULL when out of memory. */
const cJSON *cai_vrec__json(const cai_vrec *r);

typedef struct cai_vsink {
    /* A finding; msg is one line without the FILE:LINE prefix. */
    cai_status (*finding)(void *payload,
                          cai_vkind kind,
                          const char *file,
                          uint64_t line,
                          const char *msg,
                          cai_error *err);
    /* A record that parsed into the pair model (possibly with content errors). */
    cai_status (*record)(void *payload, const cai_vrec *rec, cai_error *err);
    /* A file finished (or given up on); called once per data file, in order. */
    cai_status (*file_done)(void *payload, const cai_vfile *f, cai_error *err);
    void *payload;
} cai_vsink;

typedef struct cai_vscan_opts {
    cai_format format;
    int integrity; /* 1: check manifests (sha256, sizes, records) and unlisted files */
} cai_vscan_opts;

/* Finds the data files under paths, reads each once and feeds the sink. CAI_EIO when a PATH
 * or a file inside it cannot be opened; a sink's error stops the scan and is returned. */
cai_status cai_vscan__run(const char *const *paths,
                          size_t n,
                          const cai_vscan_opts *opts,
                          const cai_vsink *sink,
                          cai_error *err);

/*
 * Reads the records of a dataset (a directory as `cai stats` reads it, or JSONL files) in file
 * and line order and calls fn for each, for commands that rewrite or pick records (route, mix).
 * Every error finding of a line (invalid JSON, a missing field, a bad label, ...) stops the
 * read: CAI_EPARSE "FILE:LINE: reason". Warnings are ignored (`cai validate` reports them).
 */
cai_status cai_vscan__records(const char *const *paths,
                              size_t n,
                              cai_status (*fn)(void *payload, const cai_vrec *rec, cai_error *err),
                              void *payload,
                              cai_error *err);

/* Number of characters (UTF-8 code points) of a turn sequence. */
uint64_t cai_vseq__chars(const cai_vseq *q);
/* The most responses a record has (candidates). */
#define CAI_VREC_MAX_RESP CAI_RECFMT_MAX_RESPONSES
/* out[0]: characters of the prompt; out[1 + i]: of response i. */
void cai_vrec__chars(const cai_vrec *r, uint64_t out[1 + CAI_VREC_MAX_RESP]);

/* ---- fingerprints (fingerprint.c) ------------------------------------------------------- */

typedef struct cai_fp {
    uint64_t lo, hi;
} cai_fp;

/*
 * Fingerprints of a turn sequence (roles and texts) in one call, two passes over the text:
 * norm is a 64-bit hash of the normalised text (ASCII case folded, whitespace runs as one space,
 * ends trimmed) and exact is 128-bit: a 64-bit hash of the exact text, with the normalised hash
 * as the high half. Two texts collide only if both hashes do; texts that differ only in case or
 * spacing are told apart by the low 64 bits. buf is scratch space the call grows. Returns 0, or
 * -1 when it cannot (out of memory).
 */
int cai_fp__seq(const cai_vseq *q, char **buf, size_t *cap, cai_fp *exact, uint64_t *norm);
/* Mixes fingerprints into one (order-sensitive). */
cai_fp cai_fp__mix(cai_fp a, cai_fp b);

/*
 * What the duplicate and leakage checks remember of the record on one line (24 bytes): its
 * normalised prompt and pair hashes (both 0 for a line without a record), a 32-bit tag of the
 * exact prompt, and a 28-bit tag of the exact pair in qtag's high bits above 4 caller bits.
 */
typedef struct cai_fprec {
    uint64_t prompt, pair;
    uint32_t ptag, qtag;
} cai_fprec;

#define CAI_FPREC_FLAGS 0xFu

/*
 * Records by line number (1-based, counted across all files, at most 2^32 - 1), and two indexes
 * of them: CAI_FPIDX_PROMPT groups records by normalised prompt, CAI_FPIDX_PAIR by normalised
 * pair. An index holds the records the caller adds, typically one per distinct exact text.
 */
typedef struct cai_fpidx cai_fpidx;

#define CAI_FPIDX_PROMPT 0
#define CAI_FPIDX_PAIR   1

cai_status cai_fpidx__create(cai_fpidx **out, cai_error *err);
/* Stores the record of line ref. CAI_ENOMEM. */
cai_status cai_fpidx__set(cai_fpidx *x, uint32_t ref, const cai_fprec *rec, cai_error *err);
/* The record of line ref (valid until the next set), or NULL when none was set near it. */
cai_fprec *cai_fpidx__rec(cai_fpidx *x, uint32_t ref);
/* Looks the record of line ref (set, not necessarily added) up in one index: *near is the
 * first added line with the same normalised key, *exact the added line with the same key and
 * exact tag; 0 when there is none. */
void cai_fpidx__find(cai_fpidx *x, int which, uint32_t ref, uint32_t *exact, uint32_t *near);
/* Adds line ref (already set) to one index. CAI_ENOMEM. */
cai_status cai_fpidx__add(cai_fpidx *x, int which, uint32_t ref, cai_error *err);
size_t cai_fpidx__count(const cai_fpidx *x, int which);
/* Bytes allocated: the records' chunks and both indexes. */
size_t cai_fpidx__bytes(const cai_fpidx *x);
void cai_fpidx__free(cai_fpidx *x);

/* ---- statistics accumulator (stats.c) --------------------------------------------------- */

/* Two-sided binomial test of k successes in n trials against p = 0.5 (exact tail). */
double cai_stats__binom_p(uint64_t k, uint64_t n);

typedef struct cai_sacc cai_sacc;

/* lengths: 1 to keep length distributions (stats), 0 for the bias counters only (validate). */
cai_status cai_sacc__create(cai_sacc **out, int lengths, cai_error *err);
/* chars: characters of the prompt, then of each response (cai_vrec__chars). */
cai_status cai_sacc__add(cai_sacc *a, const cai_vrec *rec, const uint64_t *chars, cai_error *err);
cai_status cai_sacc__file(cai_sacc *a, const cai_vfile *f, cai_error *err);
void cai_sacc__free(cai_sacc *a);

/* Judge-health counts from the records' cai objects (all splits): shown-position wins, order
 * agreement, human agreement, records; *swap = 1 when records say both orders were asked. */
void cai_sacc__health(const cai_sacc *a, cai_health_counts *out, int *swap);

/* A dataset-level bias the accumulator found significant. */
typedef struct cai_bias {
    cai_vkind kind; /* POSITION_BIAS, LENGTH_BIAS, CONSISTENCY or PRINCIPLE_BIAS */
    char where[256];
    char msg[768]; /* a judge-health finding: its message and what to try */
} cai_bias;

/* Calls fn for each bias of each split: binomial p < alpha (position, length), agreement below
 * min_consistency, a principle whose position-A win rate differs from the rest (two-proportion
 * test, p < alpha / number of principles). */
cai_status cai_sacc__biases(const cai_sacc *a,
                            double alpha,
                            double min_consistency,
                            cai_status (*fn)(void *payload, const cai_bias *b, cai_error *err),
                            void *payload,
                            cai_error *err);

/* ---- judge health (validate_health.c) --------------------------------------------------- */

/* The judge-health verdict on the datasets in paths: from their manifests' statistics.health
 * when every PATH has one, else from the records (cai_sacc__health). Calls fn per finding
 * (b->kind is the finding's health code as a cai_vkind). */
cai_status cai_vhealth__check(const cai_sacc *a,
                              const char *const *paths,
                              size_t n,
                              cai_status (*fn)(void *payload, const cai_bias *b, cai_error *err),
                              void *payload,
                              cai_error *err);

#endif
