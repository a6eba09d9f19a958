/* SPDX-License-Identifier: MIT */
/* Shards of one run: which pairs a shard owns, and the shard a scheduler's job index names. */
#ifndef CAI_SHARD_H
#define CAI_SHARD_H

#include "cai/common.h"

CAI_BEGIN_DECL

/* Shard index of count (0 <= index < count). count 0 = not sharded: the whole plan. */
typedef struct cai_shard {
    unsigned index;
    unsigned count;
} cai_shard;

/* The most shards one run may be cut into. */
#define CAI_SHARD_MAX 100000u

/* Parses "I/N" (0 <= I < N <= CAI_SHARD_MAX). Errors: CAI_EINVAL with the reason. */
CAI_EXTERN cai_status cai_shard_parse(cai_shard *out, const char *spec, cai_error *err);

/* Reads one environment variable (NULL when unset); getenv wrapped, or a table in tests. */
typedef const char *(*cai_getenv_fn)(const char *name, void *payload);

/*
 * The shard a scheduler gives this process (`--shard auto`), read through get:
 * - Slurm job arrays: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX and
 *   SLURM_ARRAY_TASK_COUNT, all required; index = ID - MIN, count = COUNT. A sparse or stepped
 *   array (MAX - MIN + 1 != COUNT, e.g. --array=0,4 or 0-8:2) is refused: its task ids do not
 *   number the shards 0..COUNT-1.
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX, with the count from count (> 0: the
 *   --shard-count option) or else CAI_SHARD_COUNT (set it to the Job's completions).
 * Slurm wins when both are present. count > 0 must equal a Slurm array's COUNT.
 * Errors: CAI_EINVAL naming the variable and the value (neither present, not a number,
 * index out of range, sparse array, no count).
 */
CAI_EXTERN cai_status cai_shard_from_env(
    cai_shard *out, cai_getenv_fn get, void *payload, unsigned count, cai_error *err);

/*
 * The shard (0..count-1) that owns a pair whose prompt, as the output shows it, is
 * prompt_text: a hash of the prompt text alone, the key of the train/test split, so every pair
 * of one prompt lands in one shard and a shard's pairs do not depend on the other shards, on
 * the input's order or on the seed. count 0 or 1 gives 0.
 */
CAI_EXTERN unsigned cai_shard_of(const char *prompt_text, unsigned count);

/*
 * What a finished shard directory records (its manifest.json): the shard spec and the command
 * line it ran (`cai merge` replays that command unsharded). *command_line is NULL when the
 * manifest has none; the caller frees it. CAI_EINVAL when the directory has no manifest (the
 * shard has not finished: the message says so) or is not a sharded run.
 */
CAI_EXTERN cai_status cai_shard_dir_read(const char *dir,
                                         cai_shard *spec,
                                         char **command_line,
                                         cai_error *err);

CAI_END_DECL

#endif
