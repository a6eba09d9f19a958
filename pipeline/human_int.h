/* SPDX-License-Identifier: MIT */
/* Internals shared by agree, calibrate and compare: the labelled-record iterator over a dataset
 * (built on the validate/stats scanner), a compact id map, human labels and a reliability plot. */
#ifndef CAI_HUMAN_INT_H
#define CAI_HUMAN_INT_H

#include "validate_int.h"
#include "cai/calibrate.h"

/* ---- labelled records of one dataset (dsrec.c) ------------------------------------------ */

/* One preference record written by `cai run`, borrowed for the duration of the callback. */
typedef struct cai_dsrec {
    const char *file; /* the data file (shard) as the scanner names it */
    size_t file_index;
    uint64_t line;
    cai_split split;
    const char *id; /* "id" (a number's text as cJSON printed it); NULL when absent */
    double p_chosen;
    double p_a;              /* P(response_a) = p_chosen if chosen_position is "a", else 1 − it */
    int position;            /* cai.chosen_position: 0 "a", 1 "b" */
    int human;               /* cai.human_chosen_position when cai.has_human_label: 0/1; else -1 */
    const cJSON *principles; /* cai.principles, or NULL */
    int64_t first_wins, second_wins; /* -1 when absent */
    uint64_t chosen_chars, rejected_chars;
    const cJSON *obj; /* the whole record */
} cai_dsrec;

typedef struct cai_dsrec_sink {
    cai_status (*record)(void *payload, const cai_dsrec *r, cai_error *err);
    /* after each data file (may be NULL): path, index, records read */
    cai_status (*file_done)(void *payload, const cai_vfile *f, cai_error *err);
    void *payload;
} cai_dsrec_sink;

/*
 * Reads the dataset at path (a `cai run` output directory, or a JSONL file) with the same
 * scanner as `cai validate` and `cai stats`, one record at a time, and calls the sink for each.
 * A line that is not a valid record, or a record without p_chosen and cai.chosen_position,
 * stops the scan: CAI_ESCHEMA "FILE:LINE: reason". CAI_EIO when path cannot be read.
 */
cai_status cai_dsrec__scan(const char *path, const cai_dsrec_sink *sink, cai_error *err);

/*
 * For a record's "cai" object (cJSON, from a dataset) whose chosen side a rewrite keeps
 * (swapped = 0) or swaps (1): cai.principle_p_chosen becomes 1 - p per entry when swapped, and
 * cai.rating_chosen / rating_rejected trade places, so both still describe the record's chosen
 * response. Every such number is written back as `cai run` prints it (the shortest exact text
 * with a decimal point), never as cJSON would. Keys that are absent are left alone.
 */
void cai_dsrec__side(cJSON *cai, int swapped);

/* ---- a compact map from pair id to a value (idmap.c) ------------------------------------ */

/*
 * Keys are 128 bits derived from the id (two independent 64-bit hashes), so an entry holds no
 * text unless the caller keeps one (keep_ids): 40 bytes per pair. Two ids collide only if both
 * hashes do (about n² / 2^129 for n ids).
 */
typedef struct cai_idslot {
    uint64_t h1, h2; /* h1 == 0 && h2 == 0: empty */
    double v;
    char *id;      /* a copy of the id when the map keeps ids, else NULL */
    uint32_t line; /* where the entry came from (lines past 2^32-1 are stored as 2^32-1) */
    uint16_t aux;  /* caller's: file index, principle-set index, ... */
    uint8_t flags; /* caller's bits */
    uint8_t used;  /* set by lookups that matched */
} cai_idslot;

typedef struct cai_idmap cai_idmap;

cai_status cai_idmap__create(cai_idmap **out, int keep_ids, cai_error *err);
/* Finds id; NULL when absent. */
cai_idslot *cai_idmap__find(cai_idmap *m, const char *id);
/* Finds or inserts id (*found says which). The slot stays valid until the next insert. */
cai_status
cai_idmap__upsert(cai_idmap *m, const char *id, cai_idslot **slot, int *found, cai_error *err);
size_t cai_idmap__count(const cai_idmap *m);
size_t cai_idmap__capacity(const cai_idmap *m);
/* Slot i of [0, capacity), or NULL when empty: to iterate. */
cai_idslot *cai_idmap__at(cai_idmap *m, size_t i);
void cai_idmap__free(cai_idmap *m);

/* ---- human labels (hlabels.c) ----------------------------------------------------------- */

/*
 * Human labels by pair id, from --human PATH: a directory is a human-labelled cai dataset (its
 * records' cai.human_chosen_position where cai.has_human_label is true); a file is JSONL, one
 * {"id": "...", "chosen": "a" | "b"} per line ("a": the human prefers response_a, the input's
 * first response). Held in memory (one slot and the id per label).
 */
typedef struct cai_hlabels cai_hlabels;

/* CAI_ESCHEMA "FILE:LINE: reason" for a line that is not such an object, a label that is
 * neither "a" nor "b", a duplicate id; CAI_ESCHEMA "PATH: no human labels" when there are none;
 * CAI_EIO when PATH cannot be read. */
cai_status cai_hlabels__load(cai_hlabels **out, const char *path, cai_error *err);
/* The human's position (0 "a", 1 "b") for id, or -1; marks the label as used. */
int cai_hlabels__get(cai_hlabels *h, const char *id);
size_t cai_hlabels__count(const cai_hlabels *h);
/* CAI_ESCHEMA "FILE:LINE: id \"X\" is not in DATASET" for the first label (in file order) that
 * no record asked for; CAI_OK when every label was used. */
cai_status cai_hlabels__check_used(const cai_hlabels *h, const char *dataset, cai_error *err);
/* Marks as used the labels of pairs that the run behind the dataset directory wrote to
 * ties.jsonl.gz or failed.jsonl.gz (dropped, not unknown); *n counts them. */
cai_status
cai_hlabels__mark_dropped(cai_hlabels *h, const char *dataset, uint64_t *n, cai_error *err);
/* 1 when the labels came from a dataset directory, 0 from a JSONL file. */
int cai_hlabels__is_dataset(const cai_hlabels *h);
const char *cai_hlabels__path(const cai_hlabels *h);
void cai_hlabels__free(cai_hlabels *h);

/* ---- reliability plot (relplot.c) ------------------------------------------------------- */

#define CAI_REL_BINS 10 /* equal-width bins of the confidence max(p, 1 − p) over [0.5, 1] */

/* Per bin: pairs, pairs whose label the human agrees with, and the sum of their confidences. */
typedef struct cai_relbins {
    uint64_t n[CAI_REL_BINS], k[CAI_REL_BINS];
    double conf[CAI_REL_BINS];
} cai_relbins;

/* Adds one pair of confidence c (in [0.5, 1]) whose label the human agrees with (agrees). */
void cai_relbins__add(cai_relbins *b, double c, int agrees);
/* Expected calibration error: sum over bins of n_b / N · |mean confidence − accuracy|. */
double cai_relbins__ece(const cai_relbins *b);
int cai_relbins__bin(double c);

typedef struct cai_relseries {
    const char *label;
    const char *color;
    const cai_relbins *bins;
} cai_relseries;

/* A standalone SVG document: accuracy (with 95% Wilson bars) against mean confidence per bin,
 * one line per series, and the diagonal of perfect calibration. Caller frees; NULL on OOM. */
char *cai_relplot__svg(const char *title, const cai_relseries *s, size_t n);

/* The calibration as one JSON object (--save, and the calibrated manifest's "calibration"). */
cJSON *cai_calibrate__json(const cai_calibrate *c);
/* The dataset it was fitted on. */
const char *cai_calibrate__dataset(const cai_calibrate *c);

/* Writes text to path through a temporary file and a rename: nothing under the final name
 * unless complete. CAI_EIO "PATH: reason". */

#endif
