/* SPDX-License-Identifier: MIT */
/* The fake judge's batch APIs (OpenAI Files + Batches, Anthropic Message Batches): internals. */
#ifndef CAI_FAKE_BATCH_INT_H
#define CAI_FAKE_BATCH_INT_H

#include "fake_llm.h"

#include <stddef.h>

typedef struct fake_batches fake_batches;

fake_batches *fake_batch__new(void);
void fake_batch__free(fake_batches *b);
/* 1 when path belongs to the batch APIs (/v1/files..., /v1/batches..., /v1/messages/batches...). */
int fake_batch__owns(const char *path);
/* Answers one request: returns the HTTP status and sets *out (malloc'd, *out_len bytes); a
 * negative status: the request took effect but its reply is to be lost (half, then a reset). */
int fake_batch__handle(fake_batches *b,
                       fake_llm *s,
                       const char *method,
                       const char *path,
                       const char *query, /* after "?", or "" */
                       const char *hdrs,
                       size_t hdr_len,
                       const char *body,
                       size_t body_len,
                       char **out,
                       size_t *out_len);

/* In fake_llm.c: the reply body an online request with this body gets (FAKE_OK), counted as a
 * success (and as a duplicate when the same body was answered before); NULL for a bad body. */
char *fake_llm__answer(fake_llm *s, int anthropic, const char *body, size_t len);
int fake_llm__header(const char *h, size_t n, const char *name, const char **val, size_t *vlen);
const char *fake_llm__root(const fake_llm *s);
fake_batches *fake_llm__batches(fake_llm *s);

#endif
