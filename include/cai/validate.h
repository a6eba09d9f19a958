/* SPDX-License-Identifier: MIT */
/* Dataset validation and statistics (placeholder; filled in by the validate module). */
#ifndef CAI_VALIDATE_H
#define CAI_VALIDATE_H

#include "cai/common.h"

#endif
