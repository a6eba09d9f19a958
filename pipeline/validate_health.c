/* SPDX-License-Identifier: MIT */
/*
 * `cai validate`'s judge-health checks: the same verdict a run reaches (health.c), on the counts
 * of the dataset's manifest when it has them (complete: text verdicts, failures, dropped ties),
 * else on what the records' cai objects say (shown position, order and human agreement).
 */
#include "validate_int.h"
#include "health_int.h"
#include "util_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MANIFEST_CAP ((size_t)64 << 20)

/* statistics.health of dir/manifest.json added into *c; 1 when there was one, 0 when not. */
static int manifest_health(const char *dir, cai_health_counts *c, cai_health_opts *o)
{
    char *path = cai__path_join(dir, "manifest.json"), *text = NULL;
    size_t len = 0;
    cai_health_counts one;
    cai_health_opts oo = CAI_HEALTH_OPTS_INIT;
    cai_error ignored = {0};
    cJSON *m = NULL;
    struct stat sb;
    FILE *f = NULL;
    int found = 0;

    if (!path || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || stat(path, &sb) != 0 ||
        !S_ISREG(sb.st_mode) || !(f = fopen(path, "rb")) ||
        cai__read_stream(f, path, MANIFEST_CAP, &text, &len, &ignored) != CAI_OK)
        goto out;
    /* a manifest that does not parse is the scanner's finding, not this one's */
    m = cJSON_ParseWithLength(text, len);
    if (cai_health__from_json(cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(m, "statistics"), "health"),
                              &one, &oo) == 0) {
        cai_health_counts_add(c, &one);
        o->swap |= oo.swap;
        o->logprobs_requested |= oo.logprobs_requested;
        found = 1;
    }
out:
    if (f)
        fclose(f);
    cJSON_Delete(m);
    free(text);
    free(path);
    return found;
}

cai_status cai_vhealth__check(const cai_sacc *a,
                              const char *const *paths,
                              size_t n,
                              cai_status (*fn)(void *payload, const cai_bias *b, cai_error *err),
                              void *payload,
                              cai_error *err)
{
    cai_health_counts c;
    cai_health_opts o = CAI_HEALTH_OPTS_INIT;
    cai_health_report rep;
    size_t i, found = 0;
    cai_status st = CAI_OK;

    memset(&c, 0, sizeof(c));
    for (i = 0; i < n; i++)
        found += (size_t)manifest_health(paths[i], &c, &o);
    if (found < n) {
        /* Not every PATH has a manifest's counts: read the verdict from the records instead. */
        cai_sacc__health(a, &c, &o.swap);
        o.logprobs_requested = 0;
    }
    (void)cai_health_check(&rep, &c, &o, NULL); /* o: CAI_HEALTH_OPTS_INIT, a known version */
    for (i = 0; st == CAI_OK && i < rep.n; i++) {
        const cai_health_finding *f = &rep.f[i];
        cai_bias b;
        int k;

        /* validate's own length_bias check already reads the records' lengths */
        if (strcmp(f->code, "judge_length_bias") == 0)
            continue;
        for (k = 0; k < CAI_VK__COUNT; k++)
            if (strcmp(cai_vkind__name((cai_vkind)k), f->code) == 0)
                break;
        if (k == CAI_VK__COUNT)
            continue; /* every health code has a kind (validate_scan.c's table); none is dropped */
        b.kind = (cai_vkind)k;
        snprintf(b.where, sizeof(b.where), "%s", n == 1 ? paths[0] : "datasets");
        snprintf(b.msg, sizeof(b.msg), "%s; try: %s", f->message, f->hint);
        st = fn(payload, &b, err);
    }
    return st;
}
