/* SPDX-License-Identifier: MIT */
/* What the generation stages (`cai sample`, `cai revise`) share: input prompts, the journal
 * of generations, the loop over the engine, the output directory and its manifest and card. */
#ifndef CAI_GEN_STAGE_INT_H
#define CAI_GEN_STAGE_INT_H

#include "cai/judge.h"
#include "cai/writer.h"
#include "journal_int.h"
#include "outdir_int.h"
#include "recdec_int.h"

#include <stdint.h>

struct cJSON;

char *cai_gstage__dup(const char *s); /* NULL for NULL or no memory */

/* A prompt as the stages read it: its turns (to send) and its JSON (to write back). */
typedef struct cai_gstage_prompt {
    char *id;
    char *prompt_json; /* a JSON string (HH transcript or plain text) or a message list */
    cai_message *msgs;
    char **texts; /* owned contents of msgs */
    size_t n_msgs;
} cai_gstage_prompt;

/* The generation stages read their input with the one record decoder under its GEN rule
 * (recdec_int.h): decoder_init makes d (cai_recdec__dispose frees it); read_line reads one
 * line into object *o, or fails naming input:lineno ("not a JSON object", CAI_EPARSE). */
void cai_gstage__decoder_init(cai_recdec *d);
cai_status cai_gstage__read_line(cai_recdec *d,
                                 const char *line,
                                 const char *input,
                                 uint64_t lineno,
                                 cai_jval *o,
                                 cai_error *err);

/*
 * The prompt of object o (read by cai_gstage__read_line into d) from input:lineno: "prompt"
 * (string or messages), "messages" (up to the last user turn), or HH "chosen" (up to its last
 * "\n\nAssistant:"), as cai_recdec__gen_prompt reads it; "id", else "l<lineno>". Responses
 * are not read here. Errors name input:lineno: CAI_ESCHEMA, CAI_ENOMEM. On error p may hold
 * parts: dispose it.
 */
cai_status cai_gstage__parse_prompt(cai_gstage_prompt *p,
                                    cai_recdec *d,
                                    const cai_jval *o,
                                    const char *input,
                                    uint64_t lineno,
                                    cai_error *err);
void cai_gstage__prompt_dispose(cai_gstage_prompt *p);

/*
 * The survey before the first record is written, as `cai run --format auto` makes for its
 * output: *conversational is 1 when some line of the inputs has a message-list prompt ("prompt"
 * or "messages" a list), else 0. Then every prompt of the stage's output files is a message
 * list (cai_gen__conversational_prompt), so each file has one type per key. Lines that do not
 * parse are left to the real pass, which names them. Standard input cannot be read twice:
 * CAI_EINVAL. Errors: CAI_EIO and those of cai_lines.
 */
cai_status
cai_gstage__survey(const char *const *paths, size_t n_paths, int *conversational, cai_error *err);

/*
 * The journal's 'g' records: the choices of one generation request under key (its text:
 * {"rk","id","r","c":[{"x","f","fr","ct"}...],"pt","ct"}). get fills dst[0..n) with owned
 * copies (text, finish_raw) and returns 0, or -1 when the journal holds no such record or one
 * with another number of choices (then nothing is kept: the request is asked again).
 */
cai_status cai_gstage__journal_put(cai_journal *j,
                                   uint64_t key,
                                   const char *kind,
                                   const char *id,
                                   unsigned r,
                                   const cai_generation *g,
                                   cai_error *err);
int cai_gstage__journal_get(const cai_journal *j, uint64_t key, cai_gen_text *dst, unsigned n);
void cai_gstage__text_dispose(cai_gen_text *t); /* frees text and finish_raw, zeroes t */
/* Owned copies of a completion's choice into dst; -1 without memory. */
int cai_gstage__text_copy(cai_gen_text *dst, const cai_gen_text *src);

/*
 * The loop both stages run over the engine: submit while there is room, perform, hand each
 * completion over, make the journal durable, write what is finished in input order, report;
 * until done() says every input was written and no request is pending. Returns the first
 * error (the engine's health, budget and interruption included).
 */
typedef struct cai_gstage_ops {
    cai_status (*submit)(void *ctx, cai_error *err);
    cai_status (*complete)(void *ctx, const cai_judge_completion *c, cai_error *err);
    cai_status (*flush)(void *ctx, cai_error *err);
    int (*done)(void *ctx);
    void (*report)(void *ctx);
} cai_gstage_ops;

cai_status cai_gstage__loop(
    cai_judge *judge, cai_journal *journal, const cai_gstage_ops *ops, void *ctx, cai_error *err);

/* The output directory (created; refused when non-empty without a journal unless force) and
 * its journal, fingerprinted by the settings JSON. */
cai_status cai_gstage__open(cai_outdir **od,
                            cai_journal **journal,
                            const char *dir,
                            int force,
                            const char *settings,
                            cai_error *err);

/* One list of shards in the manifest: its key and its writer (closed). */
typedef struct cai_gstage_files {
    const char *key;  /* "files", "short", ... */
    const char *role; /* split name recorded with each shard */
    const cai_writer *w;
} cai_gstage_files;

/*
 * Writes DIR/manifest.json ({"cai_stage","format","settings", the lists, "statistics"}) by a
 * rename, then the card DIR/README.md: its YAML header points the train split at data_glob,
 * then card_body (markdown). stats_json: a JSON object.
 */
cai_status cai_gstage__write_manifest(const char *dir,
                                      const char *stage,
                                      const char *format,
                                      const char *settings,
                                      const cai_gstage_files *lists,
                                      size_t n_lists,
                                      struct cJSON *stats,
                                      const char *data_glob,
                                      const char *card_body,
                                      cai_error *err);

#endif
