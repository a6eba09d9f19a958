/* SPDX-License-Identifier: MIT */
/* The batch labelling job (placeholder; filled in by the run module). */
#ifndef CAI_RUN_H
#define CAI_RUN_H

#include "cai/common.h"

#endif
