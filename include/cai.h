/* SPDX-License-Identifier: MIT */
/* The public API of libcai: the only header the cai tool and library users include. */
#ifndef CAI_H
#define CAI_H

/*
 * Using libcai (README "Using libcai"; examples/embed.c is a complete program):
 *
 *   cai_global_init(&err);                   once, in main(), before threads
 *   cai_judge_opts o;
 *   cai_judge_opts_init(&o, CAI_JUDGE_OPTS_VERSION);
 *   cai_judge_create(&judge, &o, NULL, &err); ... cai_judge_free(judge);
 *   cai_global_cleanup();
 *
 * Build with `pkg-config --cflags --libs cai` (add --static for libcai.a) or, in CMake,
 * find_package(cai) and link cai::cai (shared) or cai::cai_static. The rules for
 * initialisation, threads and versioned options structs are in cai/common.h. Every header
 * can be included from C++ (C linkage). Only the headers under cai/ are public.
 */
#include "cai/version.h"
#include "cai/common.h"
#include "cai/record.h"
#include "cai/writer.h"
#include "cai/constitution.h"
#include "cai/prompt.h"
#include "cai/verdict.h"
#include "cai/judge.h"
#include "cai/validate.h"
#include "cai/agree.h"
#include "cai/health.h"
#include "cai/run.h"
#include "cai/route.h"
#include "cai/mix.h"
#include "cai/shard.h"
#include "cai/agreement.h"
#include "cai/calibrate.h"
#include "cai/compare.h"
#include "cai/revise.h"
#include "cai/sample.h"

#endif
