/* SPDX-License-Identifier: MIT */
/* Record-by-record reading of a dataset for the commands that pick or rewrite records. */
#include "validate_int.h"
#include "error_int.h"

#include <string.h>

typedef struct dsread {
    cai_status (*fn)(void *payload, const cai_vrec *rec, cai_error *err);
    void *payload;
} dsread;

static cai_status on_finding(
    void *payload, cai_vkind kind, const char *file, uint64_t line, const char *msg, cai_error *err)
{
    (void)payload;
    if (kind >= CAI_VK__FIRST_WARNING)
        return CAI_OK;
    if (line > 0)
        return cai_error__set(err, CAI_EPARSE, "%s:%llu: %s", file, (unsigned long long)line, msg);
    return cai_error__set(err, CAI_EPARSE, "%s: %s", file, msg);
}

static cai_status on_record(void *payload, const cai_vrec *rec, cai_error *err)
{
    const dsread *d = payload;

    return d->fn(d->payload, rec, err);
}

static cai_status on_file(void *payload, const cai_vfile *f, cai_error *err)
{
    (void)payload;
    (void)f;
    (void)err;
    return CAI_OK;
}

cai_status cai_vscan__records(const char *const *paths,
                              size_t n,
                              cai_status (*fn)(void *payload, const cai_vrec *rec, cai_error *err),
                              void *payload,
                              cai_error *err)
{
    dsread d = {fn, payload};
    cai_vscan_opts so = {CAI_FORMAT_AUTO, 0};
    cai_vsink sink = {on_finding, on_record, on_file, &d};

    return cai_vscan__run(paths, n, &so, &sink, err);
}
