/* SPDX-License-Identifier: MIT */
/* Shards of one run: the prompt-hash partition and the scheduler's job index (`--shard auto`). */
#include "cai/shard.h"
#include "hash_int.h"

#include "error_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A decimal number with nothing around it, at most max. -1 when it is not one. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

cai_status cai_shard_parse(cai_shard *out, const char *spec, cai_error *err)
{
    const char *slash = spec ? strchr(spec, '/') : NULL;
    char head[32];
    unsigned long i, n;

    memset(out, 0, sizeof(*out));
    if (!slash || (size_t)(slash - spec) >= sizeof(head))
        return cai_error__set(err, CAI_EINVAL, "--shard: '%s' is not I/N (e.g. 0/4) or auto",
                              spec ? spec : "");
    memcpy(head, spec, (size_t)(slash - spec));
    head[slash - spec] = '\0';
    if (parse_uint(head, CAI_SHARD_MAX, &i) || parse_uint(slash + 1, CAI_SHARD_MAX, &n) || n == 0)
        return cai_error__set(err, CAI_EINVAL,
                              "--shard: '%s' is not I/N with 1 <= N <= %u (e.g. 0/4)", spec,
                              CAI_SHARD_MAX);
    if (i >= n)
        return cai_error__set(err, CAI_EINVAL,
                              "--shard: index %lu is out of range for %lu shards (0..%lu)", i, n,
                              n - 1);
    out->index = (unsigned)i;
    out->count = (unsigned)n;
    return CAI_OK;
}

static cai_status
env_uint(cai_getenv_fn get, void *payload, const char *name, unsigned long *out, cai_error *err)
{
    const char *v = get(name, payload);

    if (!v)
        return cai_error__set(err, CAI_EINVAL,
                              "--shard auto: %s is not set (a Slurm job array sets "
                              "SLURM_ARRAY_TASK_ID, _MIN, _MAX and _COUNT)",
                              name);
    if (parse_uint(v, 0xffffffffUL, out))
        return cai_error__set(err, CAI_EINVAL, "--shard auto: %s='%.40s' is not a number", name, v);
    return CAI_OK;
}

static cai_status
from_slurm(cai_shard *out, cai_getenv_fn get, void *payload, unsigned count, cai_error *err)
{
    unsigned long id, lo, hi, n;
    cai_status st;

    if ((st = env_uint(get, payload, "SLURM_ARRAY_TASK_ID", &id, err)) != CAI_OK ||
        (st = env_uint(get, payload, "SLURM_ARRAY_TASK_MIN", &lo, err)) != CAI_OK ||
        (st = env_uint(get, payload, "SLURM_ARRAY_TASK_MAX", &hi, err)) != CAI_OK ||
        (st = env_uint(get, payload, "SLURM_ARRAY_TASK_COUNT", &n, err)) != CAI_OK)
        return st;
    if (hi < lo || hi - lo + 1 != n)
        return cai_error__set(err, CAI_EINVAL,
                              "--shard auto: the Slurm array is sparse or stepped (MIN %lu, MAX "
                              "%lu, COUNT %lu): use a dense range such as --array=0-%lu",
                              lo, hi, n, n ? n - 1 : 0);
    if (n == 0 || n > CAI_SHARD_MAX)
        return cai_error__set(err, CAI_EINVAL,
                              "--shard auto: SLURM_ARRAY_TASK_COUNT %lu is not 1..%u", n,
                              CAI_SHARD_MAX);
    if (id < lo || id > hi)
        return cai_error__set(err, CAI_EINVAL,
                              "--shard auto: SLURM_ARRAY_TASK_ID %lu is outside %lu-%lu", id, lo,
                              hi);
    if (count && count != n)
        return cai_error__set(
            err, CAI_EINVAL, "--shard-count %u differs from the Slurm array's %lu tasks", count, n);
    out->index = (unsigned)(id - lo);
    out->count = (unsigned)n;
    return CAI_OK;
}

cai_status
cai_shard_from_env(cai_shard *out, cai_getenv_fn get, void *payload, unsigned count, cai_error *err)
{
    const char *k8s;
    unsigned long idx, n = count;
    cai_status st;

    memset(out, 0, sizeof(*out));
    CAI_ASSERT_ARG(err, get);
    if (get("SLURM_ARRAY_TASK_ID", payload))
        return from_slurm(out, get, payload, count, err);
    k8s = get("JOB_COMPLETION_INDEX", payload);
    if (!k8s)
        return cai_error__set(err, CAI_EINVAL,
                              "--shard auto: neither SLURM_ARRAY_TASK_ID (Slurm job array) nor "
                              "JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set; give "
                              "--shard I/N");
    if (parse_uint(k8s, 0xffffffffUL, &idx))
        return cai_error__set(err, CAI_EINVAL,
                              "--shard auto: JOB_COMPLETION_INDEX='%.40s' is not a number", k8s);
    if (!count) {
        if (!get("CAI_SHARD_COUNT", payload))
            return cai_error__set(err, CAI_EINVAL,
                                  "--shard auto: JOB_COMPLETION_INDEX is set but the number of "
                                  "shards is not: give --shard-count N or set CAI_SHARD_COUNT "
                                  "(the Job's completions)");
        if ((st = env_uint(get, payload, "CAI_SHARD_COUNT", &n, err)) != CAI_OK)
            return st;
    }
    if (n == 0 || n > CAI_SHARD_MAX)
        return cai_error__set(err, CAI_EINVAL, "--shard auto: the shard count %lu is not 1..%u", n,
                              CAI_SHARD_MAX);
    if (idx >= n)
        return cai_error__set(err, CAI_EINVAL,
                              "--shard auto: JOB_COMPLETION_INDEX %lu is out of range for %lu "
                              "shards",
                              idx, n);
    out->index = (unsigned)idx;
    out->count = (unsigned)n;
    return CAI_OK;
}

unsigned cai_shard_of(const char *prompt_text, unsigned count)
{
    /* Its own seed: the split uses the top bits of another hash of the same text, so a shard
     * gets the test fraction of its prompts, not a skewed share. */
    uint64_t h;

    if (count <= 1 || !prompt_text)
        return 0;
    h = cai_hash64(prompt_text, strlen(prompt_text), 0x7368617264ULL /* "shard" */);
    return (unsigned)(h % count);
}
