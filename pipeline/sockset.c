/* SPDX-License-Identifier: MIT */
/* The set of sockets the judge waits on, and the poll(2) that finds the ready ones (see
 * sockset_int.h). */
#include "sockset_int.h"

#include "error_int.h"
#include "util_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cai_sockset__init(cai_sockset *s)
{
    memset(s, 0, sizeof(*s));
}

void cai_sockset__dispose(cai_sockset *s)
{
    free(s->pfd);
    free(s->at);
    free(s->ready);
    memset(s, 0, sizeof(*s));
}

cai_status cai_sockset__want(cai_sockset *s, int fd, short events)
{
    size_t i, old;
    int *at;
    struct pollfd *pfd;
    cai_sockset_ready *ready;

    if (fd < 0)
        return CAI_EINVAL;
    i = (size_t)fd < s->nat ? (size_t)s->at[fd] : 0;
    if (events == 0) {
        if (i > 0) { /* the last entry takes the removed one's place */
            s->pfd[i - 1] = s->pfd[--s->n];
            s->at[s->pfd[i - 1].fd] = (int)i;
            s->at[fd] = 0;
        }
        return CAI_OK;
    }
    if (i > 0) {
        s->pfd[i - 1].events = events;
        return CAI_OK;
    }
    old = s->nat;
    if (!(at = cai__grow(s->at, &s->nat, (size_t)fd + 1, sizeof(*at), 64)))
        return CAI_ENOMEM;
    s->at = at;
    memset(s->at + old, 0, (s->nat - old) * sizeof(*s->at));
    if (!(pfd = cai__grow(s->pfd, &s->cap, s->n + 1, sizeof(*pfd), 16)))
        return CAI_ENOMEM;
    s->pfd = pfd;
    if (!(ready = cai__grow(s->ready, &s->rcap, s->n + 1, sizeof(*ready), 16)))
        return CAI_ENOMEM;
    s->ready = ready;
    s->pfd[s->n].fd = fd;
    s->pfd[s->n].events = events;
    s->pfd[s->n].revents = 0;
    s->at[fd] = (int)++s->n;
    return CAI_OK;
}

cai_status cai_sockset__poll(cai_sockset *s, int timeout_ms, cai_error *err)
{
    int k;
    size_t i;

    s->nready = 0;
    k = poll(s->pfd, (nfds_t)s->n, timeout_ms);
    if (k < 0 && errno == EINTR)
        return CAI_OK;
    if (k < 0)
        return cai_error__set(err, CAI_ETRANSPORT, "poll: %s", strerror(errno));
    for (i = 0; i < s->n && s->nready < (size_t)k; i++) {
        if (s->pfd[i].revents == 0)
            continue;
        s->ready[s->nready].fd = s->pfd[i].fd;
        s->ready[s->nready].revents = s->pfd[i].revents;
        s->nready++;
    }
    return CAI_OK;
}
