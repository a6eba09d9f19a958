/* SPDX-License-Identifier: MIT */
/* The raw JSONL line iterator: plain or gzip bytes in, one validated UTF-8 line at a time out. */
/*
 * Invariant: memory is flat in the input size. Two fixed buffers (compressed input, decoded
 * output) and one line buffer (cai_buf) that grows to the longest line seen; it never holds
 * more than max_line_bytes, since a longer line is discarded as it is read.
 * gzip is decoded with inflate() directly rather than gzread(): gzread ignores trailing
 * garbage after the last member and reports truncation only through gzerror(), while here
 * every way a gzip stream can end badly becomes a "FILE:LINE: reason" error.
 */
#include "cai/record.h"
#include "error_int.h"
#include "util_int.h"
#include "reader_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IN_SIZE          ((size_t)64 * 1024)
#define OUT_SIZE         ((size_t)256 * 1024)
#define DEFAULT_MAX_LINE ((size_t)64 << 20)

struct cai_lines {
    char *path;
    int fd;
    int gzip;        /* the input starts with the gzip magic bytes */
    z_stream zs;     /* gzip only */
    int zs_ready;    /* inflateInit2 succeeded */
    int member_done; /* the current gzip member ended cleanly */
    int in_eof;      /* read() returned 0 */
    int eof;         /* no decoded bytes are left */
    unsigned char *in;
    size_t in_len; /* bytes in `in`; for gzip, zs.next_in/avail_in track the unread part */
    unsigned char *out;
    size_t out_len, out_pos;
    cai_buf line; /* the current line, NUL-terminated */
    size_t max_line;
    uint64_t lineno; /* physical lines completed so far */
    uint64_t bytes;
    cai_error fatal; /* sticky: set once the input cannot go on */
};

/* ---- raw input ----------------------------------------------------------------------------- */

/* Appends what read() gives to the unread input; sets in_eof at end of file. */
static cai_status read_more(cai_lines *l, cai_error *err)
{
    unsigned char *start = l->gzip ? l->zs.next_in : l->in;
    size_t keep = l->gzip ? l->zs.avail_in : 0;
    ssize_t n;

    if (keep && start != l->in)
        memmove(l->in, start, keep);
    for (;;) {
        n = read(l->fd, l->in + keep, IN_SIZE - keep);
        if (n >= 0 || errno != EINTR)
            break;
    }
    if (n < 0)
        return cai_error__set(err, CAI_EIO, "%s:%llu: read error: %s", l->path,
                              (unsigned long long)l->lineno + 1, strerror(errno));
    if (n == 0)
        l->in_eof = 1;
    l->in_len = keep + (size_t)n;
    if (l->gzip) {
        l->zs.next_in = l->in;
        l->zs.avail_in = (uInt)l->in_len;
    }
    return CAI_OK;
}

static cai_status gzip_error(cai_lines *l, cai_error *err, const char *what)
{
    return cai_error__set(err, CAI_EPARSE, "%s:%llu: %s", l->path,
                          (unsigned long long)l->lineno + 1, what);
}

/* Decodes more gzip output into l->out; sets l->eof after the last member. */
static cai_status fill_gzip(cai_lines *l, cai_error *err)
{
    cai_status st;
    int rc;

    for (;;) {
        if (l->member_done) {
            /* Another member may follow (concatenated gzip); anything else is garbage. */
            while (l->zs.avail_in < 2 && !l->in_eof) {
                if ((st = read_more(l, err)) != CAI_OK)
                    return st;
            }
            if (l->zs.avail_in == 0) {
                l->eof = 1;
                return CAI_OK;
            }
            if (l->zs.avail_in < 2 || l->zs.next_in[0] != 0x1f || l->zs.next_in[1] != 0x8b)
                return gzip_error(l, err, "trailing garbage after gzip data");
            if (inflateReset(&l->zs) != Z_OK)
                return gzip_error(l, err, "corrupt gzip data");
            l->member_done = 0;
        }
        if (l->zs.avail_in == 0 && !l->in_eof) {
            if ((st = read_more(l, err)) != CAI_OK)
                return st;
        }
        l->zs.next_out = l->out;
        l->zs.avail_out = (uInt)OUT_SIZE;
        rc = inflate(&l->zs, Z_NO_FLUSH);
        l->out_pos = 0;
        l->out_len = OUT_SIZE - l->zs.avail_out;
        if (rc == Z_STREAM_END)
            l->member_done = 1;
        else if (rc == Z_MEM_ERROR)
            return cai_error__set(err, CAI_ENOMEM, "%s: out of memory", l->path);
        else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
            char what[160];
            snprintf(what, sizeof(what), "corrupt gzip data (%s)",
                     l->zs.msg ? l->zs.msg : "invalid data");
            return gzip_error(l, err, what);
        } else if (l->out_len == 0 && l->zs.avail_in == 0 && l->in_eof)
            /* Z_BUF_ERROR with nothing left to read: the member stops in the middle. */
            return gzip_error(l, err, "truncated gzip data (unexpected end of file)");
        if (l->out_len > 0)
            return CAI_OK;
    }
}

/* Makes decoded bytes available in l->out, or sets l->eof. */
static cai_status fill(cai_lines *l, cai_error *err)
{
    cai_status st;

    if (l->eof)
        return CAI_OK;
    if (l->gzip)
        return fill_gzip(l, err);
    if (l->in_len == 0 && !l->in_eof) {
        if ((st = read_more(l, err)) != CAI_OK)
            return st;
    }
    if (l->in_len == 0) {
        l->eof = 1;
        return CAI_OK;
    }
    /* Plain input: the read buffer is the output buffer. */
    l->out = l->in;
    l->out_pos = 0;
    l->out_len = l->in_len;
    l->in_len = 0;
    return CAI_OK;
}

/* ---- validation ---------------------------------------------------------------------------- */

static int is_blank(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    }
    return 1;
}

/* ---- public API ---------------------------------------------------------------------------- */

cai_status
cai_lines_create(cai_lines **out, const char *path, size_t max_line_bytes, cai_error *err)
{
    cai_lines *l;
    struct stat sb;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out);
    *out = NULL;
    CAI_ASSERT_ARG(err, path);
    l = calloc(1, sizeof(*l));
    if (!l)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    l->fd = -1;
    l->max_line = max_line_bytes ? max_line_bytes : DEFAULT_MAX_LINE;
    l->path = strdup(path);
    l->in = malloc(IN_SIZE);
    if (!l->path || !l->in) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    if (strcmp(path, "-") == 0)
        l->fd = dup(STDIN_FILENO); /* ours to close; fd 0 stays open for the caller */
    else
        l->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (l->fd < 0) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(l->fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(EISDIR));
        goto fail;
    }
    /* Sniff the magic bytes; a pipe may deliver them one read at a time. */
    while (l->in_len < 2 && !l->in_eof) {
        unsigned char *keep = l->in;
        size_t had = l->in_len;
        ssize_t n = read(l->fd, keep + had, IN_SIZE - had);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = cai_error__set(err, CAI_EIO, "%s:1: read error: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            l->in_eof = 1;
        l->in_len = had + (size_t)n;
    }
    if (l->in_len >= 2 && l->in[0] == 0x1f && l->in[1] == 0x8b) {
        l->gzip = 1;
        l->out = malloc(OUT_SIZE);
        if (!l->out || inflateInit2(&l->zs, 15 + 16) != Z_OK) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto fail;
        }
        l->zs_ready = 1;
        l->zs.next_in = l->in;
        l->zs.avail_in = (uInt)l->in_len;
    }
    *out = l;
    return CAI_OK;
fail:
    cai_lines_free(l);
    return st;
}

/* Appends n bytes to the line buffer (the caller checked the cap). */
static cai_status append(cai_lines *l, const unsigned char *p, size_t n, cai_error *err)
{
    if (cai_buf__append(&l->line, p, n) != 0)
        return cai_error__set(err, CAI_ENOMEM, "%s:%llu: out of memory", l->path,
                              (unsigned long long)l->lineno + 1);
    return CAI_OK;
}

/* Reads one physical line into l->line; *too_long when it passed the cap (then discarded). */
static cai_status read_line(cai_lines *l, int *got, int *too_long, cai_error *err)
{
    cai_status st;

    *got = 0;
    *too_long = 0;
    l->line.len = 0;
    for (;;) {
        const unsigned char *p, *nl;
        size_t n, take;

        if (l->out_pos == l->out_len) {
            if ((st = fill(l, err)) != CAI_OK)
                return st;
            if (l->eof)
                return CAI_OK;
        }
        p = l->out + l->out_pos;
        n = l->out_len - l->out_pos;
        nl = memchr(p, '\n', n);
        take = nl ? (size_t)(nl - p) : n;
        *got = 1;
        if (!*too_long && take > l->max_line - l->line.len)
            *too_long = 1;
        if (!*too_long && take > 0 && (st = append(l, p, take, err)) != CAI_OK)
            return st;
        take += nl ? 1 : 0;
        l->out_pos += take;
        l->bytes += take;
        if (nl)
            return CAI_OK;
    }
}

cai_status
cai_lines_next(cai_lines *l, const char **line, size_t *len, uint64_t *lineno, cai_error *err)
{
    cai_error__clear(err);
    CAI_ASSERT_ARG(err, l && line && len);
    *line = NULL;
    *len = 0;
    if (l->fatal.code != CAI_OK)
        return cai_error__set(err, l->fatal.code, "%s", l->fatal.msg);
    for (;;) {
        char *s;
        size_t n, at = 0;
        int got, too_long, bad;
        cai_status st;

        st = read_line(l, &got, &too_long, &l->fatal);
        if (st != CAI_OK)
            return cai_error__set(err, st, "%s", l->fatal.msg);
        if (!got)
            return CAI_ITEROVER;
        l->lineno++;
        if (lineno)
            *lineno = l->lineno;
        if (too_long)
            return cai_error__set(err, CAI_ELIMIT, "%s:%llu: line longer than %zu bytes", l->path,
                                  (unsigned long long)l->lineno, l->max_line);
        s = l->line.data ? l->line.data : (char *)"";
        n = l->line.len;
        if (l->lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
            s += 3; /* UTF-8 byte order mark at the start of the file */
            n -= 3;
        }
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (is_blank(s, n))
            continue;
        at = cai_utf8__invalid_at(s, n);
        bad = at == n ? 0 : s[at] == '\0' ? 1 : 2;
        if (bad == 1)
            return cai_error__set(err, CAI_EPARSE, "%s:%llu: NUL byte at byte %zu", l->path,
                                  (unsigned long long)l->lineno, at + 1);
        if (bad == 2)
            return cai_error__set(err, CAI_EPARSE, "%s:%llu: invalid UTF-8 at byte %zu", l->path,
                                  (unsigned long long)l->lineno, at + 1);
        s[n] = '\0';
        *line = s;
        *len = n;
        return CAI_OK;
    }
}

void cai_lines_free(cai_lines *l)
{
    if (!l)
        return;
    if (l->zs_ready)
        inflateEnd(&l->zs);
    if (l->fd >= 0)
        close(l->fd);
    if (l->out != l->in)
        free(l->out);
    free(l->in);
    cai_buf__dispose(&l->line);
    free(l->path);
    free(l);
}

int cai_lines__fatal(const cai_lines *l)
{
    return l->fatal.code != CAI_OK;
}

uint64_t cai_lines__bytes(const cai_lines *l)
{
    return l->bytes;
}
