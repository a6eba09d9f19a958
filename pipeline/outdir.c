/* SPDX-License-Identifier: MIT */
/*
 * The guard of a run's output directory: one run at a time, never a user's files.
 * Invariants: while a run holds DIR/.cai.lock (flock) no other run writes DIR; a directory that
 * is neither empty nor cai's (no journal.cai) is refused untouched unless forced; and the only
 * files ever deleted are cai's own: the data files an earlier cai manifest of DIR lists, and
 * hidden *.cai-tmp temporaries of dead runs.
 */
#include "outdir_int.h"
#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct cai_outdir {
    char *dir;
    int fd;      /* the locked file; -1 with no_lock */
    int was_cai; /* held a cai journal when opened: its manifest may be trusted */
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- the lock ----------------------------------------------------------------------------- */

/* "pid P on host H" from the holder's lock file, or a note that it has not written it yet. */
static void read_holder(int fd, char *out, size_t n)
{
    ssize_t k = pread(fd, out, n - 1, 0);
    size_t i;

    if (k <= 0) {
        snprintf(out, n, "it has only just started");
        return;
    }
    out[k] = '\0';
    for (i = 0; out[i]; i++)
        if (out[i] == '\n' || (unsigned char)out[i] < 0x20)
            out[i] = out[i] == '\n' && !out[i + 1] ? '\0' : ' ';
}

static void write_holder(int fd)
{
    char host[256], text[320];
    int len;

    if (gethostname(host, sizeof(host)) != 0)
        strcpy(host, "unknown");
    host[sizeof(host) - 1] = '\0';
    len = snprintf(text, sizeof(text), "pid %ld on host %s\n", (long)getpid(), host);
    /* Only a message for a second run depends on it: a failure here is not worth failing for. */
    if (len > 0 && ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)len, 0) < 0)
        return;
}

/*
 * Locks lpath (created when missing; *created says so). The loop covers a lock file that was
 * unlinked between our open and our flock (a refused run removes the one it created): the lock
 * counts only when the locked file is still the one under the name.
 */
static cai_status take_lock(int *out, int *created, const char *lpath, cai_error *err)
{
    struct stat a, b;
    unsigned tries;
    int fd, e;

    *out = -1;
    *created = 0;
    for (tries = 0; tries < 16; tries++) {
        fd = open(lpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        *created = fd >= 0;
        if (fd < 0 && errno == EEXIST) {
            fd = open(lpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
            if (fd < 0 && errno == ENOENT)
                continue;
        }
        if (fd < 0)
            return cai_error__set(err, CAI_EIO, "%s: %s", lpath, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            char holder[200];
            e = errno;
            if (e == EINTR) {
                close(fd);
                continue;
            }
            if (e == EWOULDBLOCK) {
                read_holder(fd, holder, sizeof(holder));
                close(fd);
                return cai_error__set(err, CAI_ELOCKED,
                                      "%s: the output directory is in use by another cai run "
                                      "(%s); wait for it to finish or choose another --output",
                                      lpath, holder);
            }
            close(fd);
            if (*created)
                unlink(lpath);
            return cai_error__set(err, CAI_EIO,
                                  "%s: cannot lock: %s; this file system does not support locks "
                                  "(some NFS and Lustre mounts do not), so cai cannot keep a "
                                  "second run out. Use a local directory, or pass --no-lock if "
                                  "you are sure no other run uses this one",
                                  lpath, strerror(e));
        }
        if (fstat(fd, &a) == 0 && stat(lpath, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            *out = fd;
            return CAI_OK;
        }
        close(fd);
    }
    return cai_error__set(err, CAI_ELOCKED,
                          "%s: the lock file keeps changing; is another cai run "
                          "starting on this directory?",
                          lpath);
}

/* ---- what the directory holds --------------------------------------------------------------- */

/* 1 when path is a directory with no entries (a run that died before its journal left it). */
static int empty_subdir(const char *dir, const char *name)
{
    char *path = cai__path_join(dir, name);
    DIR *d = path ? opendir(path) : NULL;
    struct dirent *e;
    int empty = d != NULL;

    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = 0;
    if (d)
        closedir(d);
    free(path);
    return empty;
}

/*
 * *first: the name of one entry that makes dir non-empty, or "" when dir is empty. The lock file
 * and an empty data/ do not count: they are what a run leaves when it stops before its journal.
 */
static cai_status first_entry(const char *dir, char *first, size_t n, cai_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    first[0] = '\0';
    if (!d)
        return cai_error__set(err, CAI_EIO, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            !strcmp(e->d_name, CAI_OUTDIR_LOCK) ||
            (!strcmp(e->d_name, "data") && empty_subdir(dir, "data")))
            continue;
        snprintf(first, n, "%s", e->d_name);
        /* the name a user most likely cares about, when it is there */
        if (!strcmp(e->d_name, "README.md"))
            break;
    }
    closedir(d);
    return CAI_OK;
}

/* Deletes the hidden temporaries (.NAME.XXXX.cai-tmp) that runs killed mid-write left in dir. */
static void remove_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        char *full;
        if (e->d_name[0] != '.' || !ends_with(e->d_name, CAI_TEMP_SUFFIX))
            continue;
        full = cai__path_join(dir, e->d_name);
        if (full)
            unlink(full);
        free(full);
    }
    closedir(d);
}

/* ---- public (internal) API ------------------------------------------------------------------ */

cai_status
cai_outdir__open(cai_outdir **out, const char *dir, const cai_outdir_opts *o, cai_error *err)
{
    cai_outdir *d = NULL;
    char *lpath = NULL, *jpath = NULL, *data = NULL, first[256];
    struct stat sb;
    int created = 0;
    cai_status st;

    *out = NULL;
    CAI_ASSERT_ARG(err, dir && o);
    if (!*dir)
        return cai_error__set(err, CAI_EINVAL,
                              "--output: the path is empty (it would write at the root)");
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT)
            return cai_error__set(err, CAI_EIO, "%s: %s", dir, strerror(errno));
        if (!o->create)
            return CAI_OK;
        if ((st = cai__mkdir_p(dir, err)) != CAI_OK)
            return st;
    } else if (!S_ISDIR(sb.st_mode)) {
        return cai_error__set(err, CAI_EINVAL, "%s: --output is not a directory", dir);
    }
    d = calloc(1, sizeof(*d));
    lpath = cai__path_join(dir, CAI_OUTDIR_LOCK);
    jpath = cai__path_join(dir, CAI_OUTDIR_JOURNAL);
    data = cai__path_join(dir, "data");
    if (!d || !lpath || !jpath || !data || !(d->dir = strdup(dir))) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    d->fd = -1;
    if (!o->no_lock && (st = take_lock(&d->fd, &created, lpath, err)) != CAI_OK)
        goto fail;
    /* Looked at under the lock, so a run that is setting the directory up is not mistaken for a
     * user's files. */
    d->was_cai = lstat(jpath, &sb) == 0 && S_ISREG(sb.st_mode);
    if ((st = first_entry(dir, first, sizeof(first), err)) != CAI_OK)
        goto fail;
    if (first[0] && !d->was_cai && !o->force) {
        st = cai_error__set(err, CAI_EINVAL,
                            "%s: not empty (it holds %s) and not a cai output directory (no "
                            "journal.cai); nothing was changed. Choose a new or empty --output, "
                            "or pass --force to write the dataset there: cai then replaces its "
                            "own names (README.md, manifest.json, failed.jsonl.gz, journal.cai, "
                            "data/*-of-*.jsonl.gz) and touches nothing else",
                            dir, first);
        if (created)
            unlink(lpath); /* as it was: we made the lock file, we take it back */
        goto fail;
    }
    if (d->fd >= 0) {
        write_holder(d->fd);
        remove_temps(dir);
        remove_temps(data);
    }
    free(lpath);
    free(jpath);
    free(data);
    *out = d;
    return CAI_OK;
fail:
    free(lpath);
    free(jpath);
    free(data);
    cai_outdir__free(d);
    return st;
}

/* A manifest path cai writes itself: data/NAME.jsonl[.gz] or failed.jsonl[.gz], nothing else. */
static int deletable(const char *rel)
{
    const char *name = rel;

    if (!strncmp(rel, "data/", 5))
        name = rel + 5;
    else if (strcmp(rel, "failed.jsonl.gz") && strcmp(rel, "failed.jsonl"))
        return 0;
    return name[0] && name[0] != '.' && !strchr(name, '/') &&
           (ends_with(name, ".jsonl.gz") || ends_with(name, ".jsonl"));
}

static int kept(const char *full, const cai_writer *const *keep, size_t n_keep)
{
    size_t i, j;

    for (i = 0; i < n_keep; i++)
        for (j = 0; keep[i] && j < cai_writer_nfiles(keep[i]); j++)
            if (!strcmp(cai_writer_file(keep[i], j)->path, full))
                return 1;
    return 0;
}

static cai_status
remove_listed(const cai_outdir *d, const cJSON *entry, const cai_writer *const *keep, size_t n_keep)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(entry, "path");
    struct stat sb;
    char *full;

    if (!cJSON_IsString(p) || !deletable(p->valuestring))
        return CAI_OK;
    full = cai__path_join(d->dir, p->valuestring);
    if (!full)
        return CAI_ENOMEM;
    if (!kept(full, keep, n_keep) && lstat(full, &sb) == 0 && S_ISREG(sb.st_mode))
        unlink(full);
    free(full);
    return CAI_OK;
}

cai_status cai_outdir__remove_stale(cai_outdir *d,
                                    const cai_writer *const *keep,
                                    size_t n_keep,
                                    cai_error *err)
{
    char *mpath, *text = NULL;
    size_t len;
    cJSON *m = NULL;
    const cJSON *e, *tool;
    FILE *f;
    cai_status st = CAI_OK;

    if (!d || !d->was_cai)
        return CAI_OK; /* a forced directory's files are the user's, whatever a manifest says */
    mpath = cai__path_join(d->dir, "manifest.json");
    if (!mpath)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    f = fopen(mpath, "rb");
    free(mpath);
    if (!f)
        return CAI_OK;
    /* An unreadable or foreign manifest only means nothing is removed. */
    if (cai__read_stream(f, "manifest.json", (size_t)64 << 20, &text, &len, NULL) == CAI_OK)
        m = cJSON_Parse(text);
    fclose(f);
    free(text);
    tool = cJSON_GetObjectItemCaseSensitive(m, "tool");
    if (cJSON_IsString(tool) && !strcmp(tool->valuestring, "cai")) {
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m, "files"))
        {
            if ((st = remove_listed(d, e, keep, n_keep)) != CAI_OK)
                break;
        }
        if (st == CAI_OK)
            st = remove_listed(d, cJSON_GetObjectItemCaseSensitive(m, "failed"), keep, n_keep);
    }
    cJSON_Delete(m);
    return st == CAI_OK ? CAI_OK : cai_error__set(err, st, "out of memory");
}

void cai_outdir__free(cai_outdir *d)
{
    if (!d)
        return;
    if (d->fd >= 0)
        close(d->fd); /* releases the flock */
    free(d->dir);
    free(d);
}
