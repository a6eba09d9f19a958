/* SPDX-License-Identifier: MIT */
/* Streaming gzip JSONL writer: temporary names, atomic renames, shards, SHA-256 per file. */
#ifndef CAI_WRITER_H
#define CAI_WRITER_H

#include "cai/common.h"

CAI_BEGIN_DECL

/* What was written: one entry per final file. */
typedef struct cai_file_info {
    char *path;       /* final path (owned by the writer) */
    char sha256[65];  /* lowercase hex of the file's bytes as stored (compressed) */
    uint64_t records; /* lines written */
    uint64_t bytes;   /* size of the file on disk */
} cai_file_info;

typedef struct cai_writer_opts {
    unsigned version;
    uint64_t shard_records; /* records per shard; 0 = one file, no shard suffix */
    int level;              /* zlib level; 0 = default 6 */
    int plain;              /* 1 = write uncompressed JSONL */
} cai_writer_opts;

#define CAI_WRITER_OPTS_VERSION 1

/* Fills *o with the defaults of that version of the struct; CAI_EINVAL for an unknown
 * version (or NULL o). Pass CAI_WRITER_OPTS_VERSION. */
CAI_EXTERN cai_status cai_writer_opts_init(cai_writer_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_writer_opts_init. */
#define CAI_WRITER_OPTS_INIT ((cai_writer_opts){CAI_WRITER_OPTS_VERSION, 0, 0, 0})
#endif

typedef struct cai_writer cai_writer;

/*
 * Writes to dir/prefix... With shard_records > 0 the final names are
 * "dir/prefix-00000-of-00004.jsonl.gz" (Hugging Face naming; the total is known at close);
 * otherwise "dir/prefix.jsonl.gz" (".jsonl" when plain). Nothing exists under a final name
 * before cai_writer_close() succeeds: data goes to "dir/prefix.jsonl.gz.tmp" (sharded:
 * "dir/prefix-00000.jsonl.gz.tmp", ...), created or truncated. The first temporary file is
 * opened here, so an unwritable directory fails now with CAI_EIO "PATH: strerror".
 * The output is deterministic: the gzip header carries no time or name. Compression runs on a
 * thread of the writer's own (started at the first 64 KiB, joined when a shard ends, at close
 * and at free; at most 256 KiB of input waits for it), and the bytes are the same as one
 * deflate() call's at that level. A write error met there (ENOSPC, EFBIG: "PATH: strerror"
 * naming the temporary file) is returned by the next cai_writer_write() or by close.
 */
CAI_EXTERN cai_status cai_writer_create(cai_writer **out,
                                        const char *dir,
                                        const char *prefix,
                                        const cai_writer_opts *opts,
                                        cai_error *err);

/* Appends one record; line must be one JSON text without a newline. */
CAI_EXTERN cai_status cai_writer_write(cai_writer *w, const char *line, size_t len, cai_error *err);

/*
 * Finishes every shard (flush, fsync), renames them to their final names and fsyncs the
 * directory. A writer that wrote nothing produces one empty file (…-00000-of-00001). On
 * failure the temporary files are removed and no final name is created.
 */
CAI_EXTERN cai_status cai_writer_close(cai_writer *w, cai_error *err);

/* After a successful close: the files written, in order. Borrowed until cai_writer_free(). */
CAI_EXTERN size_t cai_writer_nfiles(const cai_writer *w);
CAI_EXTERN const cai_file_info *cai_writer_file(const cai_writer *w, size_t i);
CAI_EXTERN uint64_t cai_writer_records(const cai_writer *w);

/* Releases the writer; an unclosed writer removes its temporary files. NULL is a no-op. */
CAI_EXTERN void cai_writer_free(cai_writer *w);

/* SHA-256 of a whole file as lowercase hex (65 bytes with the NUL); also its size. */
CAI_EXTERN cai_status cai_sha256_file(const char *path,
                                      char hex[65],
                                      uint64_t *bytes,
                                      cai_error *err);

CAI_END_DECL

#endif
