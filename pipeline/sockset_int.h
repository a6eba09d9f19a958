/* SPDX-License-Identifier: MIT */
/* The sockets the judge's transfers wait on, kept as libcurl's socket callback asks, and one
 * poll(2) over them that says which are ready. */
#ifndef CAI_SOCKSET_INT_H
#define CAI_SOCKSET_INT_H

#include "cai/common.h"

#include <poll.h>
#include <stddef.h>

/*
 * Why this exists: curl_multi_perform visits every transfer on every call, and each transfer
 * that is only waiting for its reply costs a poll(2) of its own socket there; at concurrency
 * 256 and 50 ms that was about 20 system calls per answer. Driven by curl_multi_socket_action
 * with the readiness this set reports, libcurl runs only the transfers whose sockets moved
 * (docs/judges.md, "The transport").
 *
 * A socket is in the set while libcurl wants an event on it. Ready sockets are gathered by
 * cai_sockset__poll into a list the caller walks afterwards, so the set may change (libcurl
 * adds and removes sockets from inside curl_multi_socket_action) while the list is walked.
 */
typedef struct cai_sockset_ready {
    int fd;
    short revents; /* as poll(2) reported them */
} cai_sockset_ready;

typedef struct cai_sockset {
    struct pollfd *pfd; /* the sockets, in no order; n of cap used */
    size_t n, cap;
    int *at; /* at[fd]: 1 + fd's index in pfd, 0 = not in the set (nat entries) */
    size_t nat;
    cai_sockset_ready *ready; /* from the last poll: nready of them (capacity rcap) */
    size_t nready, rcap;
} cai_sockset;

void cai_sockset__init(cai_sockset *s);
void cai_sockset__dispose(cai_sockset *s);
/* Sets what fd is waited for: POLLIN, POLLOUT or both; 0 takes fd out of the set. CAI_ENOMEM
 * (the set is unchanged), CAI_EINVAL for a negative fd. */
cai_status cai_sockset__want(cai_sockset *s, int fd, short events);
/* poll(2) over the set for up to timeout_ms (0: only look; < 0: no limit), and the ready
 * sockets into s->ready. An interrupted poll is no error: it reports nothing ready. */
cai_status cai_sockset__poll(cai_sockset *s, int timeout_ms, cai_error *err);

#endif
