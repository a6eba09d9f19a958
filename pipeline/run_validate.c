/* SPDX-License-Identifier: MIT */
/* A run's last step: the same checks as `cai validate` on the dataset it has just written. */
#include "run_int.h"
#include "cai/validate.h"
#include "health_int.h"

cai_status cai_run__validate_output(const char *dir, int *errors, int *warnings, cai_error *err)
{
    cai_validate_opts vo = CAI_VALIDATE_OPTS_INIT;
    const char *paths[1];
    cai_report *rep = NULL;
    uint64_t e, w;
    size_t i;
    cai_status st;

    paths[0] = dir;
    *errors = -1;
    *warnings = -1;
    st = cai_validate(&rep, paths, 1, &vo, err);
    if (st != CAI_OK)
        return st;
    e = cai_report_errors(rep);
    w = cai_report_warnings(rep);
    /* The judge-health findings validate reads back from the manifest are the run's own report:
     * counted there once, and accepted there on purpose when the user says so. */
    for (i = 0; i < CAI_HEALTH_NCODES; i++) {
        uint64_t n = cai_report_count(rep, cai_health__codes[i].code);
        if (cai_health__codes[i].severity == CAI_HEALTH_ERROR)
            e -= n <= e ? n : e;
        else
            w -= n <= w ? n : w;
    }
    *errors = (int)e;
    *warnings = (int)w;
    cai_report_free(rep);
    return CAI_OK;
}
