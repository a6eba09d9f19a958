/* SPDX-License-Identifier: MIT */
/* The internal pair model and the streaming reader that turns any input format into it. */
#ifndef CAI_RECORD_H
#define CAI_RECORD_H

#include "cai/common.h"

CAI_BEGIN_DECL

/* Input formats. AUTO recognises each line from its fields. */
typedef enum cai_format {
    CAI_FORMAT_AUTO = 0,
    CAI_FORMAT_PAIRS,          /* {"id"?, "prompt", "response_a", "response_b"} */
    CAI_FORMAT_CANDIDATES,     /* {"id"?, "prompt", "responses": [2+]} */
    CAI_FORMAT_HH,             /* {"chosen", "rejected"} HH-RLHF transcripts */
    CAI_FORMAT_TRL,            /* {"prompt","chosen","rejected"} strings */
    CAI_FORMAT_CONVERSATIONAL, /* {"prompt","chosen","rejected"} message lists */
    /* SFT data, as `cai revise` writes it: validate and stats read it, cai run does not (one
     * response: nothing to compare) */
    CAI_FORMAT_SFT, /* {"prompt","completion"} strings, or message lists (TRL prompt-completion) */
    CAI_FORMAT_MESSAGES /* {"messages": [...]} ending on the assistant turn (TRL conversational) */
} cai_format;

/* Parses "auto", "pairs", "candidates", "hh", "trl", "conversational", "sft", "messages"; -1 if
 * unknown. */
CAI_EXTERN int cai_format_parse(const char *name);
CAI_EXTERN const char *cai_format_name(cai_format f);

typedef enum cai_role { CAI_ROLE_SYSTEM, CAI_ROLE_USER, CAI_ROLE_ASSISTANT } cai_role;

CAI_EXTERN const char *cai_role_name(cai_role r);

typedef struct cai_message {
    cai_role role;
    const char *content; /* UTF-8, NUL-terminated */
} cai_message;

/*
 * One comparison unit. Without an input "id", the id is "h" + the first 16 hex digits of
 * SHA-256 over "<role> <bytes>:<content>" for each context turn then "response <bytes>:<text>"
 * for each response, so the same pair gets the same id in every run and input format.
 * Every input format is read into this shape:
 * - context: the conversation up to the responses (ends on a user turn);
 * - responses: two for pairs/hh/trl, two or more for candidates;
 * - human_choice: for hh/trl inputs, the index of the human-preferred response (0 for "chosen",
 *   which is always read as responses[0]); -1 when the input carries no label. It is metadata:
 *   the judge never sees it.
 * - meta_json: the input's unknown fields as a JSON object text ("{}" when none).
 * All pointers are owned by the reader and valid until the next cai_reader_next() or free.
 */
typedef struct cai_record {
    const char *id; /* input "id" (string or number as text), else "h" + 16 hex of content hash */
    int id_from_input;
    const cai_message *context;
    size_t n_context;
    const char *const *responses;
    size_t n_responses;
    int human_choice;
    const char *meta_json;
    cai_format format; /* the format this line was recognised as */
    const char *file;  /* path as given ("-" = stdin) */
    uint64_t line;     /* 1-based physical line number */
    /* The input's "prompt" verbatim when it was a string (pairs, candidates, trl), so output
     * in the same shape carries it byte for byte; NULL for message lists and hh input. */
    const char *prompt_text;
} cai_record;

/*
 * Called for every line skipped with skip_invalid: the file, its line and the reason (without the
 * "FILE:LINE: " prefix). A status other than CAI_OK (with err filled) stops cai_reader_next().
 */
typedef cai_status (*cai_reader_skip_fn)(
    const char *path, uint64_t line, const char *reason, cai_error *err, void *payload);

typedef struct cai_reader_opts {
    unsigned version;
    cai_format format;          /* AUTO (default) or forced */
    size_t max_line_bytes;      /* 0 = 64 MiB */
    int skip_invalid;           /* 1: skip bad lines, counting them (see cai_reader_skipped) */
    cai_reader_skip_fn on_skip; /* optional: told of each skipped line */
    void *skip_payload;
} cai_reader_opts;

#define CAI_READER_OPTS_VERSION 1

/* Fills *o with the defaults of that version of the struct; CAI_EINVAL for an unknown
 * version (or NULL o). Pass CAI_READER_OPTS_VERSION. */
CAI_EXTERN cai_status cai_reader_opts_init(cai_reader_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_reader_opts_init. */
#define CAI_READER_OPTS_INIT                                                                       \
    ((cai_reader_opts){CAI_READER_OPTS_VERSION, CAI_FORMAT_AUTO, 0, 0, NULL, NULL})
#endif

typedef struct cai_reader cai_reader;

/* Opens path ("-" = stdin); gzip is detected by its magic bytes. Caller frees *out. */
CAI_EXTERN cai_status cai_reader_create(cai_reader **out,
                                        const char *path,
                                        const cai_reader_opts *opts,
                                        cai_error *err);

/*
 * CAI_OK: *out is borrowed until the next call. CAI_ITEROVER: end of input.
 * Errors carry "FILE:LINE: reason": CAI_EPARSE (JSON, UTF-8, NUL byte, \u escapes of lone
 * surrogates or of NUL, gzip corruption or truncation, hh contexts that differ), CAI_ESCHEMA
 * (missing, duplicate or mistyped fields, e.g. "\"response_a\" must be a string"),
 * CAI_ELIMIT (line too long, JSON nested deeper than 64 levels), CAI_EIO. With skip_invalid,
 * bad lines are skipped instead and listed through cai_reader_skipped(); I/O and gzip errors
 * still stop the reader.
 * A string "prompt" that starts with "\n\nHuman:" is split into turns in every format (a
 * trailing empty "\n\nAssistant:" cue is dropped); any other string is one user message.
 */
CAI_EXTERN cai_status cai_reader_next(cai_reader *r, const cai_record **out, cai_error *err);

/* Records returned so far; 0 at the end means the input held no record (an empty file). */
CAI_EXTERN uint64_t cai_reader_records(const cai_reader *r);

/* Number of lines skipped so far (skip_invalid); the first few messages are kept. */
CAI_EXTERN uint64_t cai_reader_skipped(const cai_reader *r);
/* i-th kept skip message ("FILE:LINE: reason"), or NULL past the end (at most 100 kept). */
CAI_EXTERN const char *cai_reader_skipped_msg(const cai_reader *r, size_t i);

/*
 * Problems that do not stop a record, e.g. "FILE:LINE: chosen reply is empty or
 * whitespace-only" (real HH-RLHF data has such replies): the record is still returned.
 * cai_reader_warnings() counts them all; the first 100 messages are kept (NULL past the end).
 */
CAI_EXTERN uint64_t cai_reader_warnings(const cai_reader *r);
CAI_EXTERN const char *cai_reader_warning_msg(const cai_reader *r, size_t i);

/* Bytes of (uncompressed) input consumed so far. */
CAI_EXTERN uint64_t cai_reader_bytes(const cai_reader *r);

CAI_EXTERN void cai_reader_free(cai_reader *r);

/*
 * Lower level: the raw line iterator that cai_reader uses (JSONL lines, validated as UTF-8
 * without NUL bytes, BOM and CR stripped, blank lines skipped). validate and stats use it
 * to check datasets in any shape. The line is NUL-terminated and borrowed until the next call.
 * gzip is recognised by its magic bytes; concatenated members are read as one stream.
 * max_line_bytes 0 = 64 MiB; the line buffer grows to the longest line, never past the cap.
 */
typedef struct cai_lines cai_lines;
CAI_EXTERN cai_status cai_lines_create(cai_lines **out,
                                       const char *path,
                                       size_t max_line_bytes,
                                       cai_error *err);
/*
 * CAI_OK with the line, its length and number set, CAI_ITEROVER at end. Errors carry
 * "FILE:LINE: reason"; byte positions in reasons are 1-based within the line:
 * - one line (the next call goes on with the next line; *lineno is set):
 *   CAI_EPARSE "invalid UTF-8 at byte N" (overlongs, surrogates, truncated sequences,
 *   code points above U+10FFFF), CAI_EPARSE "NUL byte at byte N",
 *   CAI_ELIMIT "line longer than N bytes";
 * - the input (every later call returns the same error): CAI_EIO "read error: ...",
 *   CAI_EPARSE "truncated gzip data (unexpected end of file)", "corrupt gzip data (...)",
 *   "trailing garbage after gzip data", where LINE is the line being read.
 */
CAI_EXTERN cai_status
cai_lines_next(cai_lines *l, const char **line, size_t *len, uint64_t *lineno, cai_error *err);
CAI_EXTERN void cai_lines_free(cai_lines *l);

/*
 * Splits an HH transcript ("\n\nHuman: ..." / "\n\nAssistant: ..." turns). A turn starts at
 * "\n\nHuman:" or "\n\nAssistant:" (one following space belongs to the marker); "\n\nSystem:"
 * counts as a turn only at the very start. The text must start with a marker. So the output of
 * cai_prompt_render_context() splits back into the same turns.
 */
typedef struct cai_transcript {
    cai_message *turns; /* owned; contents point into text (which the call modifies) */
    size_t n_turns;
} cai_transcript;
/* Splits text in place. CAI_EPARSE with a reason in err when it is not a transcript. */
CAI_EXTERN cai_status cai_transcript_split(cai_transcript *out, char *text, cai_error *err);
CAI_EXTERN void cai_transcript_dispose(cai_transcript *t);

CAI_END_DECL

#endif
