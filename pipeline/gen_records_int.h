/* SPDX-License-Identifier: MIT */
/* Records the generation stages write (candidates, SFT, revision pairs) and the flags on them. */
#ifndef CAI_GEN_RECORDS_INT_H
#define CAI_GEN_RECORDS_INT_H

#include "gen_wire_int.h"

/*
 * Pure: texts in, one JSON line out (no newline; caller frees). Keys are always present and
 * in a fixed order with null for absent values (one schema per file, docs/output-contract.md);
 * numbers are printed with a fixed format, so output bytes are a function of the inputs.
 * prompt_json is the JSON text of the record's prompt as the input gave it: a string, or a
 * message list [{"role","content"}...] ending on a user turn.
 */

/* Why a candidate is not worth judging (bits). */
enum {
    CAI_CAND_EMPTY = 1u << 0,     /* empty or white space only */
    CAI_CAND_TRUNCATED = 1u << 1, /* finish_reason length: cut by max_tokens */
    CAI_CAND_DUPLICATE = 1u << 2, /* same text (surrounding white space aside) as an earlier one */
    CAI_CAND_REFUSED = 1u << 3    /* finish_reason other: content filter, refusal, tool call */
};

/* One sampled response. */
typedef struct cai_gen_sample {
    const char *text;
    cai_finish finish;
    const char *finish_raw; /* the server's word, NULL when absent */
    long completion_tokens; /* -1: not known per response (several choices in one reply) */
} cai_gen_sample;

/* The sampling settings recorded with every response (what produced it). */
typedef struct cai_gen_settings {
    const char *backend; /* "openai", "completions", "anthropic" */
    const char *model;
    unsigned n;          /* responses asked for per prompt */
    double temperature;  /* < 0: the server's default (null) */
    double top_p;        /* < 0: null */
    unsigned max_tokens; /* 0: null */
    long long seed;      /* < 0: null; else the base seed (response i used seed + i) */
} cai_gen_settings;

/* Flags of each of n samples into flags[i] (CAI_CAND_* bits); returns how many have none. */
size_t cai_gen__flag_candidates(const cai_gen_sample *s, size_t n, unsigned *flags);
/* "empty", "truncated", "duplicate", "refused" for one bit; NULL otherwise. */
const char *cai_gen__cand_flag_name(unsigned bit);

/*
 * A `candidates` record that `cai run` reads: {"id","prompt","responses":[texts],
 * "samples":[{"index","finish_reason","finish_raw","completion_tokens","flags":{...}}...],
 * "sampling":{...}}. "responses" holds every sample, or with skip_flagged only those without
 * flags, so the judge never pays for the others (the stage writes each of those with
 * cai_gen__skipped_record to a file of its own: a list that is empty for most prompts would
 * not load in `datasets`); "samples" describes the responses in order. *n_kept: how many
 * responses the record holds; fewer than 2 is not a candidates record cai run accepts, and
 * the stage writes such a record elsewhere (its bytes are still returned).
 * Errors: CAI_EINVAL (prompt_json not a string or a message list), CAI_ENOMEM.
 */
cai_status cai_gen__candidates_record(char **out,
                                      const char *id,
                                      const char *prompt_json,
                                      const cai_gen_sample *s,
                                      size_t n,
                                      const cai_gen_settings *set,
                                      int skip_flagged,
                                      size_t *n_kept,
                                      cai_error *err);

/*
 * A response that skip_flagged kept out of its candidates record, one line of skipped.jsonl.gz:
 * {"id": the prompt's id,"index": its position among the prompt's samples,"text","flags":{...}}
 * (flags as in "samples": every CAI_CAND_* name, true or false). Errors: CAI_ENOMEM.
 */
cai_status cai_gen__skipped_record(
    char **out, const char *id, size_t index, const char *text, unsigned flags, cai_error *err);

/*
 * The prompt of a conversational output file: a string prompt_json (malloc'd, replaced) becomes
 * the message list sent[0, n_sent), the turns the policy was asked with (for an HH transcript:
 * its turns as the stages send them, the closing "\n\nAssistant:" cue dropped), so that the
 * record holds what was sent; a message list is left as it is. Errors: CAI_EINVAL, CAI_ENOMEM.
 */
cai_status cai_gen__conversational_prompt(char **prompt_json,
                                          const cai_message *sent,
                                          size_t n_sent,
                                          cai_error *err);

/* Why a revision is not worth training on (bits). */
enum {
    CAI_REV_EMPTY = 1u << 0,     /* empty or white space only */
    CAI_REV_UNCHANGED = 1u << 1, /* the same text as what it revised (white space aside) */
    CAI_REV_LEAK = 1u << 2,      /* speaks about the task: "Here is the revised response:",
                                    "Revision:", "Critique:" ... at its start, or "Critique
                                    Request" / "Revision Request" anywhere */
    CAI_REV_TRUNCATED = 1u << 3  /* finish_reason length */
};

unsigned cai_gen__revision_flags(const char *before, const char *revision, cai_finish finish);
const char *cai_gen__rev_flag_name(unsigned bit); /* "empty", "unchanged", "leak", "truncated" */

/* One critique-revision round. */
typedef struct cai_revise_step {
    const char *principle; /* id */
    const char *critique;
    const char *revision;
    cai_finish revision_finish;
} cai_revise_step;

typedef enum cai_sft_format {
    CAI_SFT_PROMPT_COMPLETION = 0, /* TRL: {"prompt","completion"} (strings, or message lists
                                      for a conversational prompt) */
    CAI_SFT_MESSAGES               /* {"messages": [... the prompt's turns, assistant reply]} */
} cai_sft_format;

/*
 * An SFT record of the final revision: the format's keys, then "id", "original" (the response
 * revised), "chain" (every round: principle, critique, revision, flags) and "flags" (the final
 * revision's). A string prompt in messages format becomes one user turn (an HH transcript is
 * split into its turns); a string completion keeps the leading space HH replies carry.
 */
cai_status cai_gen__sft_record(char **out,
                               cai_sft_format fmt,
                               const char *id,
                               const char *prompt_json,
                               const char *original,
                               const cai_revise_step *steps,
                               size_t n_steps,
                               cai_error *err);

/* A TRL preference pair that cai run reads: {"id","prompt","chosen": final revision,
 * "rejected": original,"label_source":"revision","flags":[...]} (the label is the revision's,
 * not a judge's: re-judge it with cai run, or train on it as is). */
cai_status cai_gen__revision_pair(char **out,
                                  const char *id,
                                  const char *prompt_json,
                                  const char *original,
                                  const cai_revise_step *steps,
                                  size_t n_steps,
                                  cai_error *err);

#endif
