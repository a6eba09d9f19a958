/* SPDX-License-Identifier: MIT */
#include "util_int.h"
#include "error_int.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void *cai__grow(void *arr, size_t *cap, size_t need, size_t elem, size_t min_cap)
{
    size_t ncap;
    void *tmp;

    if (need <= *cap)
        return arr;
    ncap = *cap ? *cap : (min_cap ? min_cap : 1);
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return NULL;
        ncap *= 2;
    }
    if (elem && ncap > SIZE_MAX / elem)
        return NULL;
    tmp = realloc(arr, ncap * elem);
    if (tmp)
        *cap = ncap;
    return tmp;
}

/* ---- the byte buffer ---------------------------------------------------------------- */

int cai_buf__reserve(cai_buf *b, size_t extra)
{
    char *p;

    if (extra >= SIZE_MAX - b->len)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    if (!(p = cai__grow(b->data, &b->cap, b->len + extra + 1, 1, 256)))
        return -1;
    b->data = p;
    return 0;
}

int cai_buf__append(cai_buf *b, const void *s, size_t n)
{
    if (cai_buf__reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

void cai_buf__put(cai_buf *b, const char *s, size_t n)
{
    if (!b->oom && cai_buf__append(b, s, n) != 0)
        b->oom = 1;
}

void cai_buf__puts(cai_buf *b, const char *s)
{
    cai_buf__put(b, s, strlen(s));
}

void cai_buf__put_uint(cai_buf *b, uint64_t v)
{
    char t[20]; /* UINT64_MAX has 20 digits */
    size_t i = sizeof(t);

    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cai_buf__put(b, t + i, sizeof(t) - i);
}

void cai_buf__put_hex64(cai_buf *b, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char t[16];
    int i;

    for (i = 15; i >= 0; i--, v >>= 4)
        t[i] = digits[v & 15];
    cai_buf__put(b, t, sizeof(t));
}

void cai_buf__printf(cai_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    if (b->oom)
        return;
    for (;;) {
        size_t room = b->cap - b->len;

        va_start(ap, fmt);
        n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->data && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        if (!(p = cai__grow(b->data, &b->cap, b->len + (size_t)n + 1, 1, 256))) {
            b->oom = 1;
            return;
        }
        b->data = p;
    }
}

char *cai_buf__take(cai_buf *b)
{
    char *p = b->data;

    if (b->oom || !p) {
        free(p);
        p = b->oom ? NULL : calloc(1, 1);
    }
    memset(b, 0, sizeof(*b));
    return p;
}

void cai_buf__dispose(cai_buf *b)
{
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* ---- UTF-8 ---------------------------------------------------------------------------- */

size_t cai_utf8__decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t len, i;
    uint32_t v;

    if (c < 0x80) {
        if (cp)
            *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0Fu;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07u;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0/C1 (always overlong) or F5..FF */
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    v = (v << 6) | (p[1] & 0x3Fu);
    for (i = 2; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (cp)
        *cp = v;
    return len;
}

/* How many bytes at the start of p[0, n) are ASCII other than NUL, found a block or a word at a
 * time: the bytes before a multi-byte character go at once, not one decode call each (prose
 * mixes them with curly quotes and accents in most words). */
static size_t ascii_run(const unsigned char *p, size_t n)
{
    size_t i = 0;

#if defined(__SSE2__) && defined(__GNUC__)
    /* where SSE2 is there (every x86-64): a mask bit per byte >= 0x80 or NUL, each exact */
    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned bits = (unsigned)(_mm_movemask_epi8(v) |
                                   _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())));

        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
#endif
    for (; n - i >= 8; i += 8) {
        uint64_t w, m;

        memcpy(&w, p + i, sizeof(w));
        /* a byte >= 0x80 or a zero byte (the classic has-zero test); the lowest flag is exact
         * (a borrow only runs upwards from a zero byte) */
        m = (w | ((w - 0x0101010101010101ULL) & ~w)) & 0x8080808080808080ULL;
        if (m) {
            size_t f = cai__first_flagged(m);

            return i + (f < 8 ? f : 0);
        }
    }
    while (i < n && p[i] != 0 && p[i] < 0x80)
        i++;
    return i;
}

size_t cai_utf8__invalid_at(const void *s, size_t n)
{
    const unsigned char *p = s;
    size_t i = 0, k;

    while (i < n) {
        if ((i += ascii_run(p + i, n - i)) == n)
            break;
        if (p[i] == 0)
            return i;
        k = cai_utf8__decode(p + i, n - i, NULL);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

size_t cai_utf8__chars(const void *s, size_t n)
{
    const unsigned char *p = s;
    size_t i = 0, c = 0;

    /* 8 bytes a step: a continuation byte is 10xxxxxx, its high bit set and the next one clear;
     * those flags, moved to each byte's low bit, are summed by one multiplication (no byte's
     * count exceeds 8, so no carry crosses bytes) and counted out of the 8. */
    for (; n - i >= 8; i += 8) {
        uint64_t w, m;

        memcpy(&w, p + i, sizeof(w));
        m = (w & ~(w << 1) & 0x8080808080808080ULL) >> 7;
        c += 8 - (size_t)((m * 0x0101010101010101ULL) >> 56);
    }
    for (; i < n; i++)
        c += (p[i] & 0xC0) != 0x80;
    return c;
}

/* ---- paths and clocks ------------------------------------------------------------------ */

char *cai__path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir), k = strlen(name);
    char *s;

    while (n > 0 && dir[n - 1] == '/')
        n--;
    s = malloc(n + k + 2);
    if (!s)
        return NULL;
    memcpy(s, dir, n);
    s[n] = '/';
    memcpy(s + n + 1, name, k + 1);
    return s;
}

static struct timespec now(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts;
}

double cai__mono_s(void)
{
    struct timespec ts = now(CLOCK_MONOTONIC);

    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double cai__wall_s(void)
{
    struct timespec ts = now(CLOCK_REALTIME);

    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t cai__wall_ns(void)
{
    struct timespec ts = now(CLOCK_REALTIME);

    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cai__format_double(double v, char out[32])
{
    char tmp[32];
    int prec;

    /*
     * From DBL_DIG (15) up: a value that some shorter "%.*g" gives back also prints as that
     * text at 15 digits (%g drops the zeros), so starting lower only costs time. Through a
     * local buffer: GCC 12 at -O3 with ASan misreads the array parameter as NULL.
     */
    for (prec = DBL_DIG; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    memcpy(out, tmp, sizeof(tmp));
}

cai_status
cai__read_stream(FILE *f, const char *path, size_t cap, char **out, size_t *len, cai_error *err)
{
    struct stat sb;
    char *buf = NULL, *grown;
    size_t n = 0, size = 8192, got;

    *out = NULL;
    *len = 0;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (uintmax_t)sb.st_size < cap)
        size = (size_t)sb.st_size + 1; /* + 1: end of file is seen without growing */
    if (size > cap + 1)
        size = cap + 1;
    for (;;) {
        if (!buf || n == size) {
            if (buf)
                size = size > cap / 2 ? cap + 1 : size * 2;
            if (!(grown = realloc(buf, size + 1))) {
                free(buf);
                return cai_error__set(err, CAI_ENOMEM, "out of memory");
            }
            buf = grown;
        }
        got = fread(buf + n, 1, size - n, f);
        n += got;
        if (n > cap) {
            free(buf);
            return cai_error__set(err, CAI_ELIMIT, "%s: larger than %zu bytes", path, cap);
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;

        free(buf);
        return cai_error__set(err, CAI_EIO, "%s: cannot read: %s", path, strerror(e));
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return CAI_OK;
}

cai_status cai__create_temp(int *fd, char **path, const char *dir, const char *name, cai_error *err)
{
    uint64_t x;
    unsigned attempt;
    int e;
    size_t n = strlen(dir) + strlen(name) + sizeof(CAI_TEMP_SUFFIX) + 24;
    char *p = malloc(n);

    *fd = -1;
    *path = NULL;
    if (!p)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    /* The suffix only has to make a clash unlikely: O_EXCL is what makes the name ours. */
    x = cai__wall_ns() ^ ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)p;
    for (attempt = 0; attempt < 64; attempt++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(p, n, "%s/.%s.%012llx%s", dir, name, (unsigned long long)(x >> 16),
                 CAI_TEMP_SUFFIX);
        *fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (*fd >= 0) {
            *path = p;
            return CAI_OK;
        }
        if (errno != EEXIST)
            break;
    }
    e = errno;
    free(p);
    return cai_error__set(err, CAI_EIO, "%s: cannot create a temporary file for %s: %s", dir, name,
                          strerror(e));
}

cai_status cai__mkdir_p(const char *path, cai_error *err)
{
    char *tmp = strdup(path), *s;

    if (!tmp)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (s = tmp + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                cai_status st = cai_error__set(err, CAI_EIO, "%s: %s", tmp, strerror(errno));
                free(tmp);
                return st;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(tmp);
    return CAI_OK;
}

cai_status
cai__write_atomic(const char *dir, const char *name, const void *data, size_t len, cai_error *err)
{
    const char *text = data;
    size_t off = 0;
    char *final = cai__path_join(dir, name), *tmp = NULL;
    cai_status st = CAI_OK;
    int fd = -1;

    if (!final) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    st = cai__create_temp(&fd, &tmp, dir, name, err);
    if (st != CAI_OK)
        goto out;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            st = cai_error__set(err, CAI_EIO, "%s: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        st = cai_error__set(err, CAI_EIO, "%s: fsync: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = cai_error__set(err, CAI_EIO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, final) != 0)
        st = cai_error__set(err, CAI_EIO, "%s: %s", final, strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    if (st != CAI_OK && tmp)
        unlink(tmp);
    free(final);
    free(tmp);
    return st;
}

/* path's directory ("." when it has none; caller frees) and last component (inside path). */
static char *split_path(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');

    *base = slash ? slash + 1 : path;
    if (!slash)
        return strdup(".");
    return slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
}

cai_status cai__create_temp_for(int *fd, char **tmp, const char *path, cai_error *err)
{
    const char *base;
    char *dir = split_path(path, &base);
    cai_status st;

    *fd = -1;
    *tmp = NULL;
    if (!dir)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai__create_temp(fd, tmp, dir, base, err);
    free(dir);
    return st;
}

cai_status cai__write_atomic_path(const char *path, const void *data, size_t len, cai_error *err)
{
    const char *base;
    char *dir = split_path(path, &base);
    cai_status st;

    if (!dir)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai__write_atomic(dir, base, data, len, err);
    free(dir);
    return st;
}
