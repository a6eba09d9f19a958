/* SPDX-License-Identifier: MIT */
/* Checks of the public options structs: a known version, and every field in its range. */
#ifndef CAI_OPTS_INT_H
#define CAI_OPTS_INT_H

#include "cai/health.h"
#include "cai/judge.h"
#include "cai/mix.h"
#include "cai/record.h"
#include "cai/route.h"
#include "cai/run.h"
#include "cai/validate.h"
#include "cai/writer.h"
#include "cai/sample.h"
#include "cai/revise.h"

/*
 * Each returns CAI_OK, or CAI_EINVAL with a message naming the struct and the field, e.g.
 * "cai_run_opts.samples: 2147483648 is out of range (0-64)". NULL opts (the defaults) pass.
 * The entry point that takes the struct calls its check first, before any use of a field.
 */
cai_status cai_judge_opts__check(const cai_judge_opts *o, cai_error *err);
cai_status cai_run_opts__check(const cai_run_opts *o, cai_error *err);
cai_status cai_reader_opts__check(const cai_reader_opts *o, cai_error *err);
cai_status cai_writer_opts__check(const cai_writer_opts *o, cai_error *err);
cai_status cai_validate_opts__check(const cai_validate_opts *o, cai_error *err);
cai_status cai_stats_opts__check(const cai_stats_opts *o, cai_error *err);
cai_status cai_health_opts__check(const cai_health_opts *o, cai_error *err);
cai_status cai_route_opts__check(const cai_route_opts *o, cai_error *err);
cai_status cai_mix_opts__check(const cai_mix_opts *o, cai_error *err);

#endif
