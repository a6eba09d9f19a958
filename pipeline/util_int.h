/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by modules, one of each: growing arrays, the byte buffer, UTF-8
 * decoding, path joining, clocks, reading small files and temporary files. (The hash table is
 * in htab_int.h.) */
#ifndef CAI_UTIL_INT_H
#define CAI_UTIL_INT_H

#include "cai/common.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Room for need elements of elem bytes in arr, whose capacity is *cap: returns arr itself when
 * it is big enough, else arr reallocated to the next power-of-two multiple of min_cap (*cap
 * updated). NULL when out of memory or the size overflows; arr and *cap are then unchanged.
 * Usage: T *n = cai__grow(a->v, &a->cap, a->n + 1, sizeof(*n), 16); if (!n) ...; a->v = n;
 */
void *cai__grow(void *arr, size_t *cap, size_t need, size_t elem, size_t min_cap);

/*
 * The growable byte buffer: data is NUL-terminated whenever it is not NULL (len excludes the
 * NUL), so it can hold text or bytes. Zero-initialise to start; cai_buf__dispose releases.
 * Two styles of use: cai_buf__append/reserve report each failure (0 or -1, the buffer left as
 * it was); the cai_buf__put family makes a failure sticky (oom; later calls do nothing and
 * cai_buf__take returns NULL) so a text builder checks once at the end.
 */
typedef struct cai_buf {
    char *data;
    size_t len, cap;
    int oom;
} cai_buf;

/* Room for extra more bytes and the NUL. 0, or -1 when out of memory or the size overflows. */
int cai_buf__reserve(cai_buf *b, size_t extra);
/* Appends n bytes. 0, or -1 (nothing appended) when out of memory. */
int cai_buf__append(cai_buf *b, const void *s, size_t n);
void cai_buf__put(cai_buf *b, const char *s, size_t n);
void cai_buf__puts(cai_buf *b, const char *s);
/* v in decimal ("%" PRIu64), and in 16 lower-case hex digits ("%016" PRIx64), without printf. */
void cai_buf__put_uint(cai_buf *b, uint64_t v);
void cai_buf__put_hex64(cai_buf *b, uint64_t v);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void cai_buf__printf(cai_buf *b, const char *fmt, ...);
/* Hands the text over ("" when nothing was added; NULL, the buffer freed, after a failure);
 * the builder is empty afterwards. */
char *cai_buf__take(cai_buf *b);
/* Frees the bytes; the buffer is empty (and usable) afterwards. NULL is a no-op. */
void cai_buf__dispose(cai_buf *b);

/* ---- UTF-8 ---- */

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence at p, n > 0 bytes available, with its code
 * point in *cp (may be NULL); 0 when the bytes there are not one: a stray continuation byte, an
 * overlong form, a UTF-16 surrogate, a code point above U+10FFFF or a sequence cut short.
 * U+0000 is well-formed (length 1).
 */
size_t cai_utf8__decode(const unsigned char *p, size_t n, uint32_t *cp);
/* Offset of the first byte of s[0, n) that is NUL or not part of well-formed UTF-8; n when
 * there is none. ASCII runs are scanned 8 bytes at a time. */
size_t cai_utf8__invalid_at(const void *s, size_t n);
/* Code points in n bytes of well-formed UTF-8 (the bytes that are not continuation bytes). */
size_t cai_utf8__chars(const void *s, size_t n);

/* Word-at-a-time scans load 8 bytes with memcpy and flag bytes in their high bits. Given such
 * flags m (not 0) whose lowest flag is exact, the offset (0..7) of the first flagged byte; 8
 * where the compiler or byte order cannot tell it at once, and the caller goes byte by byte. */
static inline size_t cai__first_flagged(uint64_t m)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(m) / 8; /* byte 0 is the lowest */
#else
    (void)m;
    return 8;
#endif
}

/* ---- paths and clocks ---- */

/* "dir/name" in a new string (caller frees), dir's trailing slashes folded ("out/" and "out"
 * give "out/name", "/" gives "/name"). NULL when out of memory. */
char *cai__path_join(const char *dir, const char *name);

/* Seconds on the monotonic clock (for durations and deadlines; the origin is arbitrary). */
double cai__mono_s(void);
/* Seconds since the Unix epoch on the wall clock (for timestamps shown to people). */
double cai__wall_s(void);
/* Nanoseconds since the Unix epoch on the wall clock (for unique names). */
uint64_t cai__wall_ns(void);

/*
 * The shortest "%.*g" text of v that reads back as v ("0", "0.7", "1e-05", "0.722222222222222"):
 * nothing is lost, and one double always prints the same bytes.
 */
void cai__format_double(double v, char out[32]);

/*
 * Reads all of f (named path in messages) into a NUL-terminated heap buffer (caller frees):
 * CAI_ELIMIT "PATH: larger than CAP bytes", CAI_EIO "PATH: cannot read: ...", CAI_ENOMEM.
 * The buffer starts at the file's size when fstat knows it and grows if the file does.
 */
cai_status
cai__read_stream(FILE *f, const char *path, size_t cap, char **out, size_t *len, cai_error *err);

/* mkdir -p: creates path and its missing parents (mode 0755 less the umask). CAI_EIO naming the
 * part that failed, CAI_ENOMEM. */
cai_status cai__mkdir_p(const char *path, cai_error *err);

/* Every temporary file cai creates ends with this, after a hidden, unique name. */
#define CAI_TEMP_SUFFIX ".cai-tmp"

/*
 * Creates dir/.NAME.<unique>.cai-tmp with O_CREAT | O_EXCL (mode 0644 less the umask): *fd is
 * open for writing and *path (caller frees) is its name. Two processes, or two writers in one,
 * never share a temporary file. CAI_EIO naming dir and NAME, CAI_ENOMEM; then *fd = -1.
 */
cai_status
cai__create_temp(int *fd, char **path, const char *dir, const char *name, cai_error *err);

/*
 * Writes len bytes as dir/name: into a cai__create_temp file, fsynced, then renamed over the
 * final name, so that the final name never holds a partial file (the temporary one is removed
 * on failure). CAI_EIO naming the file, CAI_ENOMEM.
 */
cai_status
cai__write_atomic(const char *dir, const char *name, const void *data, size_t len, cai_error *err);
/* The same for a path: its directory ("." when it has none) and last component. */
cai_status cai__write_atomic_path(const char *path, const void *data, size_t len, cai_error *err);
/* cai__create_temp in path's directory, named after its last component: for a file written as
 * a stream and renamed over path when complete. */
cai_status cai__create_temp_for(int *fd, char **tmp, const char *path, cai_error *err);

#endif
