/* SPDX-License-Identifier: MIT */
/* `cai calibrate`: fit a temperature (or Platt scaling) to human labels; apply it to a dataset. */
#ifndef CAI_CALIBRATE_H
#define CAI_CALIBRATE_H

#include "cai/common.h"

CAI_BEGIN_DECL

/*
 * Soft labels should mean what they say: among pairs with p_chosen 0.8 the human should agree
 * 80% of the time. With z = logit(P(response_a)) (P(A) = p_chosen when cai.chosen_position is
 * "a", else 1 − p_chosen; p clamped to [1e-6, 1 − 1e-6]) and y = 1 when the human chose a:
 *   temperature  P'(A) = σ(z / T), T > 0: one parameter; never changes which side is chosen;
 *   platt        P'(A) = σ(a·z + b): also corrects a constant lean toward one input slot, so
 *                it can change the chosen side of pairs near 0.5.
 * Parameters minimise the log-loss on the human-labelled pairs outside the held-out part
 * (deterministic: golden-section search over log T in [0.01, 100]; Newton's method with
 * step halving for Platt). The held-out part is chosen by a hash of the pair id: a pair is held
 * out when hash(id) / 2^64 < holdout, so the split does not depend on order or seed.
 * Reported on the held-out part (or on the fitted part when nothing is held out), before and
 * after: log-loss (mean, natural log) and expected calibration error (ECE): the confidence
 * max(p, 1 − p) in 10 equal-width bins over [0.5, 1], ECE = Σ_b (n_b / N)·|mean confidence_b −
 * agreement_b|, where agreement is the share of pairs whose label the human shares.
 * Memory: the labelled pairs' (z, y) are held for the fit (16 bytes each in an array that
 * doubles); the rest streams.
 */
typedef enum cai_calib_method { CAI_CALIB_TEMPERATURE = 0, CAI_CALIB_PLATT } cai_calib_method;

typedef struct cai_calibrate_opts {
    unsigned version;
    cai_calib_method method;
    /* Human labels: JSONL {"id","chosen":"a"|"b"} or a human-labelled dataset directory; NULL:
     * the dataset's own (cai.human_chosen_position where cai.has_human_label). */
    const char *human;
    double holdout; /* share held out, in [0, 0.9]; negative: the default 0.3 */
} cai_calibrate_opts;

#define CAI_CALIBRATE_OPTS_VERSION 1

/* Fills *o with the defaults of that version; CAI_EINVAL for an unknown version or NULL o. */
CAI_EXTERN cai_status cai_calibrate_opts_init(cai_calibrate_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_calibrate_opts_init. */
#define CAI_CALIBRATE_OPTS_INIT                                                                    \
    ((cai_calibrate_opts){CAI_CALIBRATE_OPTS_VERSION, CAI_CALIB_TEMPERATURE, NULL, -1})
#endif

typedef struct cai_calib_metrics {
    uint64_t n; /* pairs measured */
    double logloss_before, logloss_after;
    double ece_before, ece_after;
} cai_calib_metrics;

typedef struct cai_calibrate cai_calibrate;

/*
 * Reads the dataset (and opts.human) and fits. CAI_ESCHEMA "DATASET: no record has a human
 * label" / "too few human labels to fit (N)"; "FILE:LINE: reason" for invalid records or
 * labels (unknown or duplicate ids, a label other than a or b); CAI_EIO when unreadable.
 */
CAI_EXTERN cai_status cai_calibrate_fit(cai_calibrate **out,
                                        const char *dataset,
                                        const cai_calibrate_opts *opts,
                                        cai_error *err);

/*
 * Reads a calibration that `cai calibrate --save` wrote (or a calibrated dataset's manifest
 * "calibration" object saved alone), to apply with cai_calibrate_apply (cai run --calibration).
 * CAI_EPARSE "PATH: \"key\": reason" for a file that is not such an object (method other
 * than temperature or platt, a or b not finite numbers, a <= 0, a temperature that does not
 * match a = 1/T, b = 0); CAI_EIO when unreadable; CAI_ELIMIT past 1 MiB. cai_calibrate_json
 * of it gives the file's object with "file" and "file_sha256" added.
 */
CAI_EXTERN cai_status cai_calibrate_load(cai_calibrate **out, const char *path, cai_error *err);

/* The fitted parameters: temperature: *t = T, *a = 1/T, *b = 0; platt: *t = 1/a, a, b. */
CAI_EXTERN void cai_calibrate_params(const cai_calibrate *c, double *t, double *a, double *b);
/* Pairs the fit used and the held-out metrics (the fitted part's when nothing is held out). */
CAI_EXTERN uint64_t cai_calibrate_nfit(const cai_calibrate *c);
CAI_EXTERN void cai_calibrate_metrics(const cai_calibrate *c, cai_calib_metrics *out);
/* The calibrated P(response_a) for an uncalibrated one. */
CAI_EXTERN double cai_calibrate_apply(const cai_calibrate *c, double p_a);

/*
 * Writes the calibrated dataset to outdir, which must not exist or be empty (else CAI_EINVAL):
 * the same data files (names, splits, record order, schema), each record with p_chosen and
 * margin recomputed (margin by the run's settings.margin and margin_cap, as `cai run` does) and,
 * where Platt scaling moved a pair across 0.5, chosen/rejected, cai.chosen_position and
 * cai.agrees_with_human swapped to match; failed.jsonl.gz and ties.jsonl.gz copied; a manifest
 * with new checksums, sizes and mean_p_chosen and a "calibration" block (method, parameters,
 * metrics, the human labels' source); the card with a Calibration section. dataset must be a
 * `cai run` output directory (manifest.json). Files appear under final names only when complete.
 */
CAI_EXTERN cai_status cai_calibrate_write(const cai_calibrate *c,
                                          const char *outdir,
                                          cai_error *err);

/* Renderings (caller frees; NULL on out-of-memory): the report as text or JSON, the
 * reliability diagram before and after (SVG), and the calibration to store (JSON, the same
 * object as the manifest's "calibration" block). */
CAI_EXTERN char *cai_calibrate_text(const cai_calibrate *c);
CAI_EXTERN char *cai_calibrate_json(const cai_calibrate *c);
CAI_EXTERN char *cai_calibrate_svg(const cai_calibrate *c);

CAI_EXTERN void cai_calibrate_free(cai_calibrate *c); /* NULL is a no-op */

CAI_END_DECL

#endif
