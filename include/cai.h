/* SPDX-License-Identifier: MIT */
/* The public API of libcai: the only header the cai tool and library users include. */
#ifndef CAI_H
#define CAI_H

#include "cai/common.h"
#include "cai/hash.h"
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
#include "cai/agreement.h"
#include "cai/calibrate.h"
#include "cai/compare.h"

#endif
