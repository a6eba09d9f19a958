/* SPDX-License-Identifier: MIT */
/* Private glue between the reader's line layer (lines.c) and its record layer (reader.c). */
#ifndef CAI_READER_INT_H
#define CAI_READER_INT_H

#include "cai/record.h"

/*
 * Non-zero once the line iterator hit an error that ends the input (read error, corrupt or
 * truncated gzip): every later cai_lines_next() returns it again. Errors of one line (invalid
 * UTF-8, NUL byte, line too long) are not fatal: the next call continues with the next line.
 */
int cai_lines__fatal(const cai_lines *l);

/* Uncompressed bytes consumed so far, newlines included. */
uint64_t cai_lines__bytes(const cai_lines *l);

#endif
