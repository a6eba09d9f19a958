/* SPDX-License-Identifier: MIT */
/* A run's last step: the same checks as `cai validate` on the dataset it has just written. */
#include "run_int.h"
#include "cai/validate.h"

cai_status cai_run__validate_output(const char *dir, int *errors, cai_error *err)
{
    cai_validate_opts vo = CAI_VALIDATE_OPTS_INIT;
    const char *paths[1];
    cai_report *rep = NULL;
    cai_status st;

    paths[0] = dir;
    *errors = -1;
    st = cai_validate(&rep, paths, 1, &vo, err);
    if (st != CAI_OK)
        return st;
    *errors = (int)cai_report_errors(rep); /* warnings (biases) are the user's to judge */
    cai_report_free(rep);
    return CAI_OK;
}
