/* SPDX-License-Identifier: MIT */
/* The run journal: an append-only, checksummed log of finished judgments, replayed on resume. */
#ifndef CAI_JOURNAL_INT_H
#define CAI_JOURNAL_INT_H

#include "cai/common.h"
#include "cai/verdict.h"

/* What the journal keeps of one judgment: enough to aggregate, never the texts. */
typedef struct cai_jentry {
    uint64_t key; /* cai_journal__key() of (pair id, principle id, order, sample) */
    double p_first;
    unsigned prompt_tokens;
    unsigned completion_tokens;
    unsigned char verdict; /* cai_verdict */
    unsigned char from_logprobs;
    unsigned char truncated;   /* "tr", written only when 1 (absent in older journals) */
    unsigned reasoning_tokens; /* "rt", written only when > 0 */
} cai_jentry;

typedef struct cai_journal cai_journal;

/* The key of one judgment: a 64-bit hash of its identity. */
uint64_t
cai_journal__key(const char *pair_id, const char *principle_id, unsigned order, unsigned sample);

/*
 * Opens (creating if absent) path. An existing journal whose header fingerprint differs from
 * fingerprint is refused with CAI_EMISMATCH and a message naming what to do. Complete records are
 * loaded into memory; a torn or corrupt tail (the process died mid-write) is cut off and counted.
 * header_json is stored in a new journal's header for humans (settings).
 */
cai_status cai_journal__open(cai_journal **out,
                             const char *path,
                             const char *fingerprint,
                             const char *header_json,
                             cai_error *err);

/*
 * Turns the settings of an older header (version < the current one) into the current settings
 * text, resolving what that version left implicit, or returns NULL when it cannot. Caller frees.
 */
typedef char *(*cai_journal_upgrade_fn)(unsigned version, const char *settings_json, void *payload);

typedef struct cai_journal_open_opts {
    const char *fingerprint;    /* SHA-256 hex of settings_json */
    const char *settings_json;  /* the label-changing settings (stored in the header) */
    const char *effective_json; /* other settings in effect, stored for humans; may be NULL */
    cai_journal_upgrade_fn upgrade;
    void *upgrade_payload;
    int repair_header; /* a damaged header is rewritten from these settings, entries kept */
} cai_journal_open_opts;

/*
 * cai_journal__open with the current format (version 3, described in pipeline/journal.c; a
 * version-2 journal resumes as it is, its records being judgments): an older header is accepted
 * when upgrade() turns its settings into exactly settings_json. A mismatch (CAI_EMISMATCH) names
 * the settings that differ. A header that fails its CRC is CAI_EPARSE with a message naming the
 * damage and the way to keep the intact entries (repair_header).
 */
cai_status cai_journal__open_ex(cai_journal **out,
                                const char *path,
                                const cai_journal_open_opts *jo,
                                cai_error *err);

/* The entry for key, or NULL. Borrowed until the next add. */
const cai_jentry *cai_journal__find(const cai_journal *j, uint64_t key);

/*
 * Appends one finished judgment (buffered; made durable by cai_journal__sync). It is not added
 * to the in-memory table, which holds only what was loaded at open (a run asks for each key
 * once), so memory stays flat during a run.
 */
cai_status cai_journal__add(cai_journal *j,
                            const cai_jentry *e,
                            const char *pair_id,
                            const char *principle_id,
                            unsigned order,
                            unsigned sample,
                            cai_error *err);

/*
 * Generation records (kind "g": the sample, critique and revision stages): the stage gives the
 * record's other fields as a JSON object text (fields, after which "t" and "k" are put first);
 * at open every "g" record is loaded as its JSON text, found by key (the latest one of a key).
 * Unlike judgments their texts are held in memory on resume (a stage's own journal only).
 */
cai_status cai_journal__add_gen(cai_journal *j, uint64_t key, const char *fields, cai_error *err);
const char *cai_journal__find_gen(const cai_journal *j, uint64_t key); /* NULL: none */

/*
 * Batch state records (kind "b": `cai run --batch`, pipeline/batch.c): fields is a JSON object
 * text, written after "t". Every "b" record met at open and every one added since is kept, in
 * file order, as its JSON text (few: a handful per batch); buffered like any record, so call
 * cai_journal__sync(j, 1, ...) to make one durable.
 */
cai_status cai_journal__add_batch(cai_journal *j, const char *fields, cai_error *err);
size_t cai_journal__batch_count(const cai_journal *j);
const char *cai_journal__batch_record(const cai_journal *j, size_t i); /* NULL past the end */

/* Writes buffered records to the file; with durable, fsyncs as well. */
cai_status cai_journal__sync(cai_journal *j, int durable, cai_error *err);

size_t cai_journal__count(const cai_journal *j);  /* entries known (loaded + added) */
size_t cai_journal__loaded(const cai_journal *j); /* entries loaded at open */
/* Records of other kinds (another stage's) met at open: skipped, not loaded, not damage. */
size_t cai_journal__other(const cai_journal *j);
size_t cai_journal__repaired(const cai_journal *j);  /* bytes of torn tail cut at open */
unsigned cai_journal__version(const cai_journal *j); /* header version of the file */
/* Tokens of the entries loaded at open (what earlier runs paid for). */
void cai_journal__tokens(const cai_journal *j, uint64_t *prompt, uint64_t *completion);

/* Syncs and closes; NULL is a no-op. Errors on the final sync are ignored: call sync first. */
void cai_journal__free(cai_journal *j);

#endif
