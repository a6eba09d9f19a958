/* SPDX-License-Identifier: MIT */
/* The version of the headers: the one source of cai's version (CMakeLists.txt reads it). */
#ifndef CAI_VERSION_H
#define CAI_VERSION_H

/*
 * The version of these headers. cai_version() returns the version of the library linked at
 * run time, which can differ from these macros under a shared library. The soname changes
 * with CAI_VERSION_MAJOR (libcai.so.MAJOR); while MAJOR is 0 every MINOR release may break
 * the ABI.
 */
#define CAI_VERSION_MAJOR 0
#define CAI_VERSION_MINOR 1
#define CAI_VERSION_PATCH 0
#define CAI_VERSION       "0.1.0"
/* One number for comparisons: 0xMMmmpp, e.g. #if CAI_VERSION_NUM >= 0x000200 */
#define CAI_VERSION_NUM ((CAI_VERSION_MAJOR << 16) | (CAI_VERSION_MINOR << 8) | CAI_VERSION_PATCH)

#endif
