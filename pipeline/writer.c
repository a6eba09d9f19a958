/* SPDX-License-Identifier: MIT */
/* The dataset writer: JSONL lines into gzip shards under temporary names, renamed on close. */
/*
 * Invariant: no final name exists until cai_writer_close() has finished (deflate end, fsync)
 * every shard; then all shards are renamed and the directory is fsynced. Each shard's SHA-256
 * and size are computed from the bytes as they are written, never by reading the file back.
 * The gzip header zlib writes for deflateInit2(..., 15 + 16, ...) has mtime 0 and no name, so
 * the same lines always give the same bytes.
 *
 * Compression runs on a thread of its own, so that the caller (the run's event loop) only copies
 * bytes. Lines are gathered into IN_SIZE input buffers; a full one is handed to the compressor
 * through a ring of N_IN buffers, and the caller waits only when every buffer is queued, so the
 * memory is fixed. The thread starts at the first full buffer (a writer that writes less than
 * IN_SIZE never starts one) and is joined before a shard ends, so finishing a shard, fsync and
 * rename stay on the caller's thread. deflate() with Z_NO_FLUSH gives the same bytes however the
 * input is split into calls, so the output does not depend on the threading. The thread owns
 * the open shard's z_stream, output buffer, digest, byte count and fd while it runs; its first
 * failure (a write error naming the temporary file) stops it and is reported by the next write,
 * or by close.
 */
#include "hash_int.h"
#include "cai/writer.h"
#include "error_int.h"
#include "util_int.h"
#include "opts_int.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BUF_SIZE ((size_t)128 * 1024)
#define IN_SIZE  ((size_t)64 * 1024) /* one input buffer handed to the compressor */
#define N_IN     4                   /* input buffers: one filling, up to N_IN - 1 queued */

typedef struct shard {
    char *tmp;          /* temporary path; NULL once renamed */
    cai_file_info info; /* info.path is set at close */
} shard;

struct cai_writer {
    char *dir, *prefix;
    cai_writer_opts o;
    shard *shards;
    size_t n_shards, cap_shards;
    /* the open shard */
    int fd;
    z_stream zs;
    int zs_ready;
    cai_sha256 *sha;
    unsigned char *buf; /* compressed (or plain) bytes waiting for write() */
    size_t buf_len;
    uint64_t records;
    /* gzip input: in[tail] is filled by the caller (fill bytes so far; tail and fill are the
     * caller's alone); in[head], ..., count of them (under mu), wait for (or are in) the
     * compressor. Each is NULL until it is first filled. */
    unsigned char *in[N_IN];
    size_t in_len[N_IN];
    size_t fill;
    unsigned tail;
    unsigned head, count;
    /* the compressor thread */
    pthread_mutex_t mu;
    pthread_cond_t work, room; /* work: count > 0 or stop; room: count < N_IN or async_failed */
    pthread_t thread;
    int sync_ready; /* mu and the conditions are initialised */
    int running;    /* the thread is started and not joined */
    int stop;       /* under mu: the thread exits once the queue is empty */
    int async_failed;
    cai_error async_err; /* the thread's first failure (under mu) */
    int closed;          /* close succeeded */
    int failed;          /* a write or close failed: only free is left */
    cai_error fail_err;
};

static const char *ext(const cai_writer *w)
{
    return w->o.plain ? ".jsonl" : ".jsonl.gz";
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static char *
strdupf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = malloc((size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/*
 * The first failure is kept in w->fail_err (internal steps report into it) and handed to the
 * caller; every later call reports it again.
 */
static cai_status failed(cai_writer *w, cai_error *err)
{
    w->failed = 1;
    return cai_error__set(err, w->fail_err.code, "%s", w->fail_err.msg);
}

/* ---- the open shard ------------------------------------------------------------------------ */

static cai_status write_all(cai_writer *w, const unsigned char *p, size_t n, cai_error *err)
{
    shard *s = &w->shards[w->n_shards - 1];

    cai_sha256_update(w->sha, p, n);
    s->info.bytes += n;
    while (n > 0) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return cai_error__set(err, CAI_EIO, "%s: %s", s->tmp, strerror(errno));
        p += k;
        n -= (size_t)k;
    }
    return CAI_OK;
}

static cai_status flush_buf(cai_writer *w, cai_error *err)
{
    cai_status st = CAI_OK;

    if (w->buf_len > 0)
        st = write_all(w, w->buf, w->buf_len, err);
    w->buf_len = 0;
    return st;
}

/* Deflates bytes into the open shard (flush = Z_FINISH ends the gzip member). Called by the
 * compressor thread while it runs, by the caller's thread otherwise. */
static cai_status
deflate_put(cai_writer *w, const void *data, size_t len, int flush, cai_error *err)
{
    cai_status st;

    w->zs.next_in = (unsigned char *)data;
    w->zs.avail_in = (uInt)len;
    for (;;) {
        int rc;
        w->zs.next_out = w->buf + w->buf_len;
        w->zs.avail_out = (uInt)(BUF_SIZE - w->buf_len);
        rc = deflate(&w->zs, flush);
        w->buf_len = BUF_SIZE - w->zs.avail_out;
        if (rc == Z_STREAM_ERROR)
            return cai_error__set(err, CAI_EIO, "%s: deflate failed",
                                  w->shards[w->n_shards - 1].tmp);
        if (w->buf_len == BUF_SIZE && (st = flush_buf(w, err)) != CAI_OK)
            return st;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : w->zs.avail_in == 0)
            break;
    }
    return flush == Z_FINISH ? flush_buf(w, err) : CAI_OK;
}

/* Plain output: buffered write()s on the caller's thread. */
static cai_status plain_put(cai_writer *w, const void *data, size_t len, int flush, cai_error *err)
{
    cai_status st;

    if (w->buf_len + len > BUF_SIZE && (st = flush_buf(w, err)) != CAI_OK)
        return st;
    if (len >= BUF_SIZE)
        return write_all(w, data, len, err);
    memcpy(w->buf + w->buf_len, data, len);
    w->buf_len += len;
    return flush == Z_FINISH ? flush_buf(w, err) : CAI_OK;
}

/* ---- the compressor thread ----------------------------------------------------------------- */

static void *compressor(void *arg)
{
    cai_writer *w = arg;
    cai_error e = {0};

    pthread_mutex_lock(&w->mu);
    for (;;) {
        unsigned i;

        while (w->count == 0 && !w->stop)
            pthread_cond_wait(&w->work, &w->mu);
        if (w->count == 0)
            break;
        i = w->head;
        pthread_mutex_unlock(&w->mu);
        /* in[i] is the thread's until count drops: the caller fills only unqueued buffers */
        if (deflate_put(w, w->in[i], w->in_len[i], Z_NO_FLUSH, &e) != CAI_OK) {
            pthread_mutex_lock(&w->mu);
            w->async_failed = 1;
            w->async_err = e;
            w->count = 0; /* what is queued will never be written: drop it */
            pthread_cond_signal(&w->room);
            break;
        }
        pthread_mutex_lock(&w->mu);
        w->head = (w->head + 1) % N_IN;
        w->count--;
        pthread_cond_signal(&w->room);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits for the compressor to take everything queued and joins it. On CAI_OK the caller's
 * thread owns the shard again; otherwise the thread's error is in err. */
static cai_status drain(cai_writer *w, cai_error *err)
{
    if (!w->running)
        return CAI_OK;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->running = 0;
    w->stop = 0;
    if (w->async_failed)
        return cai_error__set(err, w->async_err.code, "%s", w->async_err.msg);
    return CAI_OK;
}

/* Hands the filled buffer to the compressor (starting it at the first one) and waits until a
 * buffer is free to fill. Errors: the thread's failure, or CAI_ENOMEM when it cannot start. */
static cai_status submit(cai_writer *w, cai_error *err)
{
    int failed_now;

    if (!w->running) {
        if (pthread_create(&w->thread, NULL, compressor, w) != 0)
            return cai_error__set(err, CAI_ENOMEM, "%s: cannot start the compressor thread",
                                  w->shards[w->n_shards - 1].tmp);
        w->running = 1;
    }
    w->in_len[w->tail] = w->fill;
    w->tail = (w->tail + 1) % N_IN;
    pthread_mutex_lock(&w->mu);
    if (!w->async_failed) {
        w->count++;
        pthread_cond_signal(&w->work);
    }
    while (w->count == N_IN && !w->async_failed)
        pthread_cond_wait(&w->room, &w->mu);
    failed_now = w->async_failed;
    pthread_mutex_unlock(&w->mu);
    w->fill = 0;
    if (failed_now)
        return drain(w, err);
    return CAI_OK;
}

/* Feeds bytes to the open shard (flush = Z_FINISH ends the gzip member, on the caller's thread
 * once the compressor has taken everything queued). */
static cai_status put(cai_writer *w, const void *data, size_t len, int flush, cai_error *err)
{
    const unsigned char *p = data;
    cai_status st;

    if (w->o.plain)
        return plain_put(w, data, len, flush, err);
    while (len > 0) {
        unsigned i = w->tail;
        unsigned char *dst = w->in[i];
        size_t k = IN_SIZE - w->fill < len ? IN_SIZE - w->fill : len;

        /* buffers are allocated when first filled: a small output never holds four */
        if (!dst && !(dst = w->in[i] = malloc(IN_SIZE)))
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        memcpy(dst + w->fill, p, k);
        w->fill += k;
        p += k;
        len -= k;
        if (w->fill == IN_SIZE && (st = submit(w, err)) != CAI_OK)
            return st;
    }
    if (flush != Z_FINISH)
        return CAI_OK;
    if ((st = drain(w, err)) != CAI_OK)
        return st;
    st = deflate_put(w, w->fill ? w->in[w->tail] : (const unsigned char *)"", w->fill, Z_FINISH,
                     err);
    w->fill = 0;
    return st;
}

static cai_status open_shard(cai_writer *w, cai_error *err)
{
    shard *s;
    char hex[65], *name;
    cai_status st;

    s = cai__grow(w->shards, &w->cap_shards, w->n_shards + 1, sizeof(*s), 4);
    if (!s)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    w->shards = s;
    s = &w->shards[w->n_shards];
    memset(s, 0, sizeof(*s));
    if (w->o.shard_records > 0)
        name = strdupf("%s-%05zu%s", w->prefix, w->n_shards, ext(w));
    else
        name = strdupf("%s%s", w->prefix, ext(w));
    if (!name)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    w->n_shards++;
    /* A unique name: two writers (or two runs) on one directory never write into one file. */
    st = cai__create_temp(&w->fd, &s->tmp, w->dir, name, err);
    free(name);
    if (st != CAI_OK)
        return st;
    cai_sha256_final(w->sha, hex); /* restarts the digest for this shard */
    if (!w->o.plain) {
        int level = w->o.level ? w->o.level : 6;
        if (deflateInit2(&w->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return cai_error__set(err, CAI_ENOMEM, "%s: cannot start deflate", s->tmp);
        w->zs_ready = 1;
    }
    return CAI_OK;
}

/* fsync that tolerates files which cannot be synced (pipes, character devices). */
static int sync_fd(int fd)
{
    return fsync(fd) == 0 || errno == EINVAL || errno == EROFS ? 0 : -1;
}

/* Ends the open shard: finish the gzip member, flush, fsync, close; records its digest. */
static cai_status finish_shard(cai_writer *w, cai_error *err)
{
    shard *s = &w->shards[w->n_shards - 1];
    cai_status st;

    st = put(w, "", 0, Z_FINISH, err);
    if (w->zs_ready) {
        deflateEnd(&w->zs);
        w->zs_ready = 0;
    }
    if (st != CAI_OK)
        return st;
    if (sync_fd(w->fd) != 0)
        return cai_error__set(err, CAI_EIO, "%s: fsync: %s", s->tmp, strerror(errno));
    if (close(w->fd) != 0) {
        w->fd = -1;
        return cai_error__set(err, CAI_EIO, "%s: %s", s->tmp, strerror(errno));
    }
    w->fd = -1;
    cai_sha256_final(w->sha, s->info.sha256);
    return CAI_OK;
}

/* ---- public API ---------------------------------------------------------------------------- */

cai_status cai_writer_create(cai_writer **out,
                             const char *dir,
                             const char *prefix,
                             const cai_writer_opts *opts,
                             cai_error *err)
{
    cai_writer *w;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out);
    *out = NULL;
    CAI_ASSERT_ARG(err, dir && prefix && *prefix && !strchr(prefix, '/'));
    st = cai_writer_opts__check(opts, err);
    if (st != CAI_OK)
        return st;
    if (opts && (opts->level < 0 || opts->level > 9))
        return cai_error__set(err, CAI_EINVAL, "invalid gzip level %d (1-9)", opts->level);
    w = calloc(1, sizeof(*w));
    if (!w)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    w->fd = -1;
    w->o = opts ? *opts : CAI_WRITER_OPTS_INIT;
    w->dir = strdup(dir);
    w->prefix = strdup(prefix);
    w->buf = malloc(BUF_SIZE);
    if (!w->dir || !w->prefix || !w->buf) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    if ((st = cai_sha256_create(&w->sha, err)) != CAI_OK)
        goto fail;
    if (!w->o.plain) {
        if (pthread_mutex_init(&w->mu, NULL) != 0) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto fail;
        }
        if (pthread_cond_init(&w->work, NULL) != 0) {
            pthread_mutex_destroy(&w->mu);
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto fail;
        }
        if (pthread_cond_init(&w->room, NULL) != 0) {
            pthread_cond_destroy(&w->work);
            pthread_mutex_destroy(&w->mu);
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto fail;
        }
        w->sync_ready = 1;
    }
    /* The first shard opens now so that an unwritable directory fails early. */
    if ((st = open_shard(w, err)) != CAI_OK)
        goto fail;
    *out = w;
    return CAI_OK;
fail:
    cai_writer_free(w);
    return st;
}

cai_status cai_writer_write(cai_writer *w, const char *line, size_t len, cai_error *err)
{
    shard *s;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, w && (line || len == 0));
    if (w->failed)
        return failed(w, err);
    if (w->closed)
        return cai_error__set(err, CAI_EINVAL, "%s/%s: writer is already closed", w->dir,
                              w->prefix);
    if (memchr(line, '\n', len))
        return cai_error__set(err, CAI_EINVAL, "a JSONL record must not contain a newline");
    s = &w->shards[w->n_shards - 1];
    if (w->o.shard_records > 0 && s->info.records == w->o.shard_records) {
        if (finish_shard(w, &w->fail_err) != CAI_OK || open_shard(w, &w->fail_err) != CAI_OK)
            return failed(w, err);
        s = &w->shards[w->n_shards - 1];
    }
    if (put(w, line, len, Z_NO_FLUSH, &w->fail_err) != CAI_OK ||
        put(w, "\n", 1, Z_NO_FLUSH, &w->fail_err) != CAI_OK)
        return failed(w, err);
    s->info.records++;
    w->records++;
    return CAI_OK;
}

static void remove_temps(cai_writer *w)
{
    size_t i;

    for (i = 0; i < w->n_shards; i++) {
        if (w->shards[i].tmp)
            unlink(w->shards[i].tmp);
    }
}

cai_status cai_writer_close(cai_writer *w, cai_error *err)
{
    cai_error *e;
    size_t i, j;
    int dfd;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, w);
    if (w->closed)
        return CAI_OK;
    e = &w->fail_err;
    if (w->failed || finish_shard(w, e) != CAI_OK)
        goto fail;
    for (i = 0; i < w->n_shards; i++) {
        shard *s = &w->shards[i];
        if (w->o.shard_records > 0)
            s->info.path =
                strdupf("%s/%s-%05zu-of-%05zu%s", w->dir, w->prefix, i, w->n_shards, ext(w));
        else
            s->info.path = strdupf("%s/%s%s", w->dir, w->prefix, ext(w));
        if (!s->info.path) {
            cai_error__set(e, CAI_ENOMEM, "out of memory");
            goto fail;
        }
    }
    for (i = 0; i < w->n_shards; i++) {
        shard *s = &w->shards[i];
        if (rename(s->tmp, s->info.path) != 0) {
            cai_error__set(e, CAI_EIO, "%s: rename: %s", s->info.path, strerror(errno));
            for (j = 0; j < i; j++) /* all or nothing: take back the names already given */
                unlink(w->shards[j].info.path);
            goto fail;
        }
    }
    for (i = 0; i < w->n_shards; i++) {
        free(w->shards[i].tmp);
        w->shards[i].tmp = NULL;
    }
    /* The renames are durable only once the directory entry is synced. */
    dfd = open(w->dir, O_RDONLY | O_CLOEXEC);
    if (dfd < 0 || sync_fd(dfd) != 0) {
        cai_error__set(e, CAI_EIO, "%s: fsync: %s", w->dir, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return failed(w, err);
    }
    close(dfd);
    w->closed = 1;
    return CAI_OK;
fail:
    remove_temps(w);
    return failed(w, err);
}

size_t cai_writer_nfiles(const cai_writer *w)
{
    return w && w->closed ? w->n_shards : 0;
}

const cai_file_info *cai_writer_file(const cai_writer *w, size_t i)
{
    return w && w->closed && i < w->n_shards ? &w->shards[i].info : NULL;
}

uint64_t cai_writer_records(const cai_writer *w)
{
    return w ? w->records : 0;
}

void cai_writer_free(cai_writer *w)
{
    size_t i;

    if (!w)
        return;
    drain(w, NULL); /* an unclosed writer's thread stops before its stream goes */
    if (w->sync_ready) {
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
    }
    for (i = 0; i < N_IN; i++)
        free(w->in[i]);
    if (w->zs_ready)
        deflateEnd(&w->zs);
    if (w->fd >= 0)
        close(w->fd);
    if (!w->closed)
        remove_temps(w);
    for (i = 0; i < w->n_shards; i++) {
        free(w->shards[i].tmp);
        free(w->shards[i].info.path);
    }
    free(w->shards);
    cai_sha256_free(w->sha);
    free(w->buf);
    free(w->dir);
    free(w->prefix);
    free(w);
}

cai_status cai_sha256_file(const char *path, char hex[65], uint64_t *bytes, cai_error *err)
{
    cai_sha256 *h = NULL;
    unsigned char *buf = NULL;
    uint64_t total = 0;
    cai_status st;
    int fd;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, path && hex);
    hex[0] = '\0';
    if (bytes)
        *bytes = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
    if ((st = cai_sha256_create(&h, err)) != CAI_OK)
        goto out;
    buf = malloc(BUF_SIZE);
    if (!buf) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, BUF_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        cai_sha256_update(h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    cai_sha256_final(h, hex);
    if (bytes)
        *bytes = total;
out:
    free(buf);
    cai_sha256_free(h);
    close(fd);
    return st;
}
