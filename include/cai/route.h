/* SPDX-License-Identifier: MIT */
/* Routing: which pairs of a labelled dataset a human should look at, exported for labelling. */
#ifndef CAI_ROUTE_H
#define CAI_ROUTE_H

#include "cai/common.h"

CAI_BEGIN_DECL

typedef enum cai_route_by {
    CAI_ROUTE_UNCERTAIN = 0, /* smallest |p_chosen - 0.5| first */
    CAI_ROUTE_DISAGREE,      /* pairs whose two presentation orders disagree (cai.orders_agree) */
    CAI_ROUTE_PRINCIPLES,    /* principles that disagree most (cai.principle_p_chosen) */
    CAI_ROUTE_RANDOM,        /* a seeded random audit sample: a hash of (seed, id) */
    CAI_ROUTE_MIX /* a quarter random audit, the rest disagreeing orders then uncertain */
} cai_route_by;

/* "uncertain", "disagree", "principles", "random", "mix"; -1 for another name. */
CAI_EXTERN int cai_route_by_parse(const char *name);
CAI_EXTERN const char *cai_route_by_name(cai_route_by by);

typedef struct cai_route_opts {
    unsigned version;
    uint64_t count; /* at most this many pairs (> 0) */
    cai_route_by by;
    uint64_t seed; /* random audit sample and the shown order of the two responses */
} cai_route_opts;

#define CAI_ROUTE_OPTS_VERSION 1

/* Fills *o with the defaults of that version of the struct; CAI_EINVAL for an unknown
 * version (or NULL o). Pass CAI_ROUTE_OPTS_VERSION. */
CAI_EXTERN cai_status cai_route_opts_init(cai_route_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_route_opts_init. */
#define CAI_ROUTE_OPTS_INIT ((cai_route_opts){CAI_ROUTE_OPTS_VERSION, 0, CAI_ROUTE_UNCERTAIN, 0})
#endif

typedef struct cai_route_report {
    uint64_t records;        /* records read */
    uint64_t disagreeing;    /* records whose orders disagree */
    uint64_t selected;       /* pairs exported */
    uint64_t by_reason[4];   /* exported as "uncertain", "disagree", "random", "principles" */
    int orders_known;        /* 1 when records carry orders_agree (runs with both orders) */
    int principles_verdicts; /* 1 when records carry cai.principle_p_chosen */
} cai_route_report;

/*
 * Reads the dataset (a cai output directory or JSONL files), keeps the best opts->count pairs in
 * a heap (memory bounded by count, not by the dataset) and writes into out_dir (new or empty;
 * locked like a run's): tasks.json (Label Studio import: a JSON array of {"data": {id, prompt,
 * a, b}}), tasks.jsonl (one {id, prompt, a, b, reason} per line), labeling-config.xml (a
 * Label Studio <Pairwise> config for those tasks) and route.json (the settings). Items are in
 * id order. Slot a shows the input's response_a, or response_b when cai_route_swapped(seed, id):
 * the shown order depends on (seed, id) only, never on the AI label. CAI_ROUTE_PRINCIPLES
 * ranks pairs judged by two or more principles by the share of principles on the minority side
 * of cai.principle_p_chosen (p above vs below 0.5), then by its spread (max - min); a record
 * without that key is CAI_EINVAL "FILE:LINE: reason". CAI_EINVAL for an unusable out_dir;
 * CAI_EPARSE "FILE:LINE: reason" for a bad record; CAI_EIO.
 */
CAI_EXTERN cai_status cai_route_run(cai_route_report *rep,
                                    const char *const *dataset,
                                    size_t n_dataset,
                                    const char *out_dir,
                                    const cai_route_opts *opts,
                                    cai_error *err);

/* 1 when slot "a" of the exported pair shows the input's response_b. */
CAI_EXTERN int cai_route_swapped(uint64_t seed, const char *id);

/* The report as a JSON object text (caller frees); NULL when out of memory. */
CAI_EXTERN char *cai_route_report_json(const cai_route_report *rep, const cai_route_opts *opts);

CAI_END_DECL

#endif
