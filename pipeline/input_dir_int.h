/* SPDX-License-Identifier: MIT */
/*
 * A run's input list with each cai output directory (one with a manifest.json: a `cai run`
 * result, later a `cai sample` one) replaced by the data shards its manifest lists, in the
 * manifest's order, each with the SHA-256 and size the manifest promises. Internal.
 */
#ifndef CAI_INPUT_DIR_INT_H
#define CAI_INPUT_DIR_INT_H

#include "cai/common.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cai_input_list {
    char **paths;  /* n paths (owned): a plain input as given, a shard as DIR/<manifest path> */
    char **sha256; /* n: the manifest's hex digest of a shard; NULL for an input given as a file */
    char **from;   /* n: the manifest that listed the shard (owned); NULL for a file */
    uint64_t *bytes;
    size_t n;
} cai_input_list;

/*
 * Fills *out (zeroed first) from the n inputs. A directory must hold a manifest.json whose
 * "files" array names at least one shard, each with a relative "path" inside the directory and
 * a "sha256"; the shards must exist. Errors: CAI_EIO "DIR: no manifest.json ..." or
 * "DIR/SHARD: listed in DIR/manifest.json but missing", CAI_ESCHEMA "DIR/manifest.json:
 * files[I]: ...", CAI_EINVAL when DIR is output_dir (NULL: no such check), CAI_ENOMEM. On
 * failure *out is disposed.
 */
cai_status cai_input_dir__expand(cai_input_list *out,
                                 const char *const *inputs,
                                 size_t n,
                                 const char *output_dir,
                                 cai_error *err);

/* Checks input i's digest and size, as read before use, against its manifest's promise: CAI_OK
 * for an input given as a file; CAI_EMISMATCH "SHARD: SHA-256 ... differs from MANIFEST's ..."
 * when the directory changed after it was written. */
cai_status cai_input_dir__check(
    const cai_input_list *l, size_t i, const char *sha256_hex, uint64_t bytes, cai_error *err);

void cai_input_dir__dispose(cai_input_list *l); /* a zeroed list is a no-op */

#endif
