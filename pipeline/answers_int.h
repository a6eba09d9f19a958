/* SPDX-License-Identifier: MIT */
/* Human answers for `cai mix`: Label Studio JSON exports, Argilla JSONL, plain JSONL. */
#ifndef CAI_ANSWERS_INT_H
#define CAI_ANSWERS_INT_H

#include "cai/common.h"

#include <stddef.h>

enum { CAI_ANSWER_A = 0, CAI_ANSWER_B = 1, CAI_ANSWER_TIE = 2 };

typedef struct cai_answer {
    char *id;
    int slot;       /* CAI_ANSWER_A / _B (the slots `cai route` exported) / _TIE */
    size_t file;    /* index into the paths given */
    uint64_t where; /* line (JSONL) or 1-based task number (Label Studio) */
    int task;       /* 1: where is a Label Studio task number */
    int used;       /* set by the caller when a dataset record has this id */
} cai_answer;

typedef struct cai_answers {
    cai_answer *v; /* sorted by id, ids unique */
    size_t n, cap;
    uint64_t skipped; /* Label Studio tasks without an answer (no or only cancelled annotations) */
} cai_answers;

/*
 * Reads every file: one whose first non-blank byte is '[' is a Label Studio JSON export
 * (tasks with data.id and annotations[].result[]: type "pairwise" with value.selected "left" |
 * "right", or type "choices" with value.choices ["a" | "b" | "tie"]); otherwise JSONL, each
 * line {"id", "chosen": "a" | "b" | "tie"} or an Argilla record {"id", "responses":
 * {QUESTION: [{"value": ...}]}} or {"id", "QUESTION.responses": [...]} (the first value counts).
 * question: the Argilla question's name (NULL: "preference"). Errors name the place:
 * "FILE:LINE: ..." (JSONL, invalid JSON), "FILE: task N (id "X"): ..." (Label Studio), and a
 * duplicate id names both places. CAI_EPARSE, CAI_EIO, CAI_ENOMEM, CAI_ELIMIT.
 */
cai_status cai_answers__load(
    cai_answers *a, const char *const *paths, size_t n, const char *question, cai_error *err);

/* Where an answer came from: "FILE:LINE" or "FILE: task N". */
void cai_answers__place(char *out, size_t cap, const char *const *paths, const cai_answer *x);

/* The answer for id, or NULL. */
cai_answer *cai_answers__find(const cai_answers *a, const char *id);

void cai_answers__dispose(cai_answers *a);

#endif
