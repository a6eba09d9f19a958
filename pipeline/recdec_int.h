/* SPDX-License-Identifier: MIT */
/* The one record decoder: walks a record of any of the seven formats into turns and reports
 * what is wrong with it to a sink. The reader (cai run), the scanner (cai validate) and the
 * generation stages (cai sample, cai revise) all use it, each under its own rule. */
#ifndef CAI_RECDEC_INT_H
#define CAI_RECDEC_INT_H

#include "cai/record.h"
#include "jscan_int.h"
#include "recfmt_int.h"

#include <stddef.h>

struct cJSON;

/*
 * Whose rule a record is read by. The two callers want different things of one walk: cai run
 * labels what it reads and refuses a record it could not judge as it is (a prompt that does not
 * end on a user turn, a reply of two messages, fewer than two candidates), in its own words;
 * cai validate reads what trainers read (SFT data too), and leaves order and content to its
 * checks on the decoded turns, so that one record gets all its findings.
 */
typedef enum cai_recdec_rule {
    CAI_RECDEC_RUN,  /* the reader's: pairs, candidates, hh, trl, conversational */
    CAI_RECDEC_SCAN, /* the scanner's: all seven formats, order and content checked later */
    CAI_RECDEC_GEN,  /* the generation stages' (cai sample, cai revise): a prompt, responses */
} cai_recdec_rule;

/* What a finding is about: the record's shape, or its turns' roles (an HH transcript that does
 * not split, a message with an unknown role). */
typedef enum cai_recdec_kind {
    CAI_RECDEC_SCHEMA,
    CAI_RECDEC_ROLES,
} cai_recdec_kind;

/* One problem with the record: it cannot be read into turns. The decoder stops at the first. */
typedef struct cai_recdec_finding {
    cai_recdec_kind kind;
    cai_status code; /* the reader's error code: CAI_ESCHEMA, CAI_EPARSE, ... */
    const char *key; /* the top-level key it is about ("prompt", "chosen", ...), or NULL */
    const char *msg; /* one line, without FILE:LINE */
} cai_recdec_finding;

/* Receives each finding; a status other than CAI_OK stops the decoder, which returns it. */
typedef cai_status (*cai_recdec_sink)(void *payload, const cai_recdec_finding *f, cai_error *err);

/*
 * The decoded record: every turn in one array, split into sequences: sequence 0 is the prompt
 * (context), 1.. the responses (chosen then rejected for labelled formats, the completion for
 * SFT data). The record is read from the line's text in place (jscan_int.h): no tree is built;
 * strings are decoded into the decoder's arena. All of it lives until the next decode or
 * cai_recdec__dispose.
 */
#define CAI_RECDEC_MAX_SEQS (CAI_RECFMT_MAX_RESPONSES + 1)

typedef struct cai_recdec {
    cai_recdec_rule rule;
    cai_recdec_sink sink;
    void *payload;
    /* the record */
    cai_format format;
    cai_recfmt_keys keys;    /* the format-deciding members, as found */
    cai_jval id;             /* "id" (n == 0: absent) */
    size_t n_members;        /* the object's members */
    const char *prompt_text; /* a string "prompt" as given (decoded), or NULL */
    cai_message *turns;
    size_t n_turns, cap_turns;
    size_t seq_start[CAI_RECDEC_MAX_SEQS], seq_len[CAI_RECDEC_MAX_SEQS];
    size_t n_seqs;
    /* candidates (scan rule): "samples"[i].finish_reason is "length" */
    unsigned char truncated[CAI_RECFMT_MAX_RESPONSES];
    /* hh: the chosen and rejected transcripts, split; [2]: an HH transcript "prompt" */
    cai_transcript tr[3];
    /* the decoded strings: texts point here, into blocks of their own, or into the transcripts
     * split in place here */
    char *arena;
    size_t arena_len, arena_cap;
    char **extra;
    size_t n_extra, cap_extra;
    char *reparsed; /* cai_recdec__reread's text */
    int failed;     /* a finding was reported */
    char msg[512];
} cai_recdec;

/*
 * The line as text the decoder reads: root from cai_jscan__check, or, for a line that cJSON takes
 * and RFC 8259 does not (white space of any control byte, "01", "1."), cJSON's reading of it,
 * tree, printed back as JSON (d->reparsed). Callers use the tree only in that rare case: the
 * values are the ones cJSON reads, as before.
 */
cai_status
cai_recdec__reread(cai_recdec *d, const struct cJSON *tree, cai_jval *root, cai_error *err);

void cai_recdec__init(cai_recdec *d, cai_recdec_rule rule, cai_recdec_sink sink, void *payload);

/* Releases what the last line's decode holds; the arrays are kept for reuse. Call it between
 * lines (before cai_recdec__reread and cai_recdec__format). */
void cai_recdec__reset(cai_recdec *d);

/* Releases everything. */
void cai_recdec__dispose(cai_recdec *d);

/*
 * Step one: the format of object o. Duplicate keys (a finding), then fmt, or recfmt's rule when
 * fmt is AUTO (a record of no format is a finding; the run rule also refuses SFT data, and
 * checks that every key of the format is there), then "id"'s type under the scan rule. Sets
 * d->format and d->keys. CAI_OK with d->failed set when a finding was reported.
 */
cai_status cai_recdec__format(cai_recdec *d, const cai_jval *o, cai_format fmt, cai_error *err);

/* Step two: the record's turns in the format step one found. CAI_OK with d->failed set when a
 * finding was reported; CAI_ENOMEM, or what the sink returned, otherwise. */
cai_status cai_recdec__read(cai_recdec *d, const cai_jval *o, cai_error *err);

/* The run rule's "id": a non-empty string, or an integer below 2^53 printed into buf (40
 * bytes). *out points at the id. A finding when it is neither. */
cai_status cai_recdec__id(cai_recdec *d, char buf[40], const char **out, cai_error *err);

/* hh: 0 when chosen and rejected share their context; (size_t)-1 when their turn counts
 * differ; else 1 + the index of the first turn that differs. */
size_t cai_recdec__hh_differs(const cai_recdec *d);

/* "a string", "a number", "a list", "an object", "a boolean" or "null". */
const char *cai_recdec__type_name(const cai_jval *v);

/* String v decoded into the line's arena (it lives as the record does); NULL when v is not a
 * string, or out of memory. */
const char *cai_recdec__str(cai_recdec *d, const cai_jval *v);

/*
 * The generation stages' rule. They read no format: a prompt to send and, for cai revise, the
 * responses to revise, from whichever keys hold them. Findings are about the line
 * (CAI_EPARSE: "not a JSON object") or its prompt (CAI_ESCHEMA).
 *
 * gen_line: resets d and reads the line (a C string) as cJSON_Parse does (white space and text
 * after the value included): *root, an object, or a finding.
 */
cai_status cai_recdec__gen_line(cai_recdec *d, const char *line, cai_jval *root, cai_error *err);

/*
 * The prompt of object o, as sequence 0 of d's turns: a string "prompt"; else (no "prompt" nor
 * "messages") an HH "chosen" transcript up to and including its last "\n\nAssistant:"; else a
 * message list "prompt" (that must end on a user turn) or "messages" (read up to its last user
 * turn; roles system, user or "human", assistant). A string holding "\n\nHuman:" is split from
 * there with cai_transcript_split, each turn's leading spaces dropped and empty assistant turns
 * left out; other text is one user turn. d->prompt_text: the string as sent back (the cut
 * transcript for "chosen"), NULL for a message list. d->id: "id" as found.
 */
cai_status cai_recdec__gen_prompt(cai_recdec *d, const cai_jval *o, cai_error *err);

/* 1 when cai_recdec__gen_prompt reads o's prompt from a message list. */
int cai_recdec__gen_is_list(const cai_jval *o);

/*
 * The responses cai revise revises (at most max, into out, decoded into d's arena): each of the
 * strings of "responses"; else "response" or "completion"; else "chosen" when there is a
 * "prompt"; else the text after an HH "chosen"'s last "\n\nAssistant:" (leading spaces
 * dropped); else "messages" — a value being a string or a message list whose last turn is the
 * assistant's. *n = 0 when there is none (or "responses" holds a non-string or more than max).
 */
cai_status cai_recdec__gen_responses(
    cai_recdec *d, const cai_jval *o, const char **out, size_t max, size_t *n, cai_error *err);

#endif
