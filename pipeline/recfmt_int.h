/* SPDX-License-Identifier: MIT */
/* The record formats' one vocabulary, shared by the reader (cai run) and the dataset scanner
 * (cai validate, stats): which format a JSON object is, the keys each format reads, and the
 * chat roles. */
#ifndef CAI_RECFMT_INT_H
#define CAI_RECFMT_INT_H

#include "cai/record.h"
#include "jscan_int.h"

/* The eight keys that decide a record's format, as found in one JSON object (n == 0: absent). */
typedef struct cai_recfmt_keys {
    cai_jval prompt, response_a, response_b, responses, chosen, rejected;
    cai_jval completion, messages; /* the SFT formats */
} cai_recfmt_keys;

/*
 * Fills k and *id from object o's members (the first of each name), and *members with their
 * count, in one pass; returns the
 * first of those keys that o holds twice, or NULL. cJSON reads the first of two members and
 * Python's json the last: a record with two is read differently by cai and by trainers, so the
 * reader refuses it and the scanner reports it. sft = 0 leaves "completion" and "messages" out
 * of that check: only SFT data reads them.
 */
const char *
cai_recfmt__keys(const cai_jval *o, cai_recfmt_keys *k, cai_jval *id, int sft, size_t *members);

/*
 * The format a record with these keys is in, CAI_FORMAT_AUTO when none fits: "responses" ->
 * candidates; "response_a" or "response_b" -> pairs; "chosen" or "rejected" without "prompt" ->
 * hh; with "prompt" -> conversational when any of the three is a list, else trl; then the SFT
 * formats: "completion" -> sft (TRL prompt-completion); "messages" -> messages. One key of a
 * format is enough, so that a record missing the other is told "missing X", not "unknown".
 */
cai_format cai_recfmt__detect(const cai_recfmt_keys *k);

/* The keys format f reads besides "id" (NULL-terminated; AUTO reads as trl). */
const char *const *cai_recfmt__format_keys(cai_format f);

/* The most responses a candidates record may hold (what `cai sample --samples` allows): the
 * reader refuses more, the scanner reports more as a schema error. */
#define CAI_RECFMT_MAX_RESPONSES 64

#endif
