/* SPDX-License-Identifier: MIT */
/* The guard of a run's output directory: one run at a time, never a user's files. */
#ifndef CAI_OUTDIR_INT_H
#define CAI_OUTDIR_INT_H

#include "cai/common.h"
#include "cai/writer.h"

#include <stddef.h>

/* The lock file, kept in the directory after the run (removing it would race a waiting run). */
#define CAI_OUTDIR_LOCK ".cai.lock"
/* The file whose presence makes a directory cai's own (a run may resume there). */
#define CAI_OUTDIR_JOURNAL "journal.cai"

typedef struct cai_outdir cai_outdir;

typedef struct cai_outdir_opts {
    int create;  /* create a missing directory; 0: a missing one gives CAI_OK and *out = NULL */
    int force;   /* accept a non-empty directory that holds no cai journal */
    int no_lock; /* do not lock (file systems without locks); two runs can then collide */
} cai_outdir_opts;

/*
 * Takes dir for one run: refuses "" (CAI_EINVAL) and a path that is not a directory (CAI_EINVAL);
 * locks dir/.cai.lock with flock and writes "host H pid P" into it (CAI_ELOCKED naming the
 * holder's host and pid when another process holds it; CAI_EIO, naming --no-lock, when the file
 * system cannot lock); refuses a non-empty directory without a cai journal unless o->force
 * (CAI_EINVAL; the directory is left as it was). Then removes temporary files that dead runs left
 * (only cai's hidden *.cai-tmp names; not with no_lock, where another run may be writing them).
 * On CAI_OK the caller owns *out (cai_outdir__free releases the lock).
 */
cai_status
cai_outdir__open(cai_outdir **out, const char *dir, const cai_outdir_opts *o, cai_error *err);

/*
 * Deletes the data files that the directory's previous manifest.json lists and that none of the
 * writers in keep has just written (e.g. the shards of an earlier run with more shards). Only a
 * cai manifest in a directory that held a cai journal when opened is trusted, and only its
 * data/NAME.jsonl[.gz] and failed.jsonl.gz entries: a file the manifest does not name is never
 * touched. Call it before the new manifest replaces the old one. CAI_ENOMEM only.
 */
cai_status cai_outdir__remove_stale(cai_outdir *d,
                                    const cai_writer *const *keep,
                                    size_t n_keep,
                                    cai_error *err);

/* Releases the lock (the lock file stays). NULL is a no-op. */
void cai_outdir__free(cai_outdir *d);

#endif
