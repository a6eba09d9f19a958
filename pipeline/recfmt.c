/* SPDX-License-Identifier: MIT */
/* The one rule for telling the five record formats apart, used by the reader and the scanner. */
#include "recfmt_int.h"

#include <string.h>

const char *
cai_recfmt__keys(const cai_jval *o, cai_recfmt_keys *k, cai_jval *id, int sft, size_t *members)
{
    static const char *const names[] = {"id",         "prompt",     "response_a",
                                        "response_b", "responses",  "chosen",
                                        "rejected",   "completion", "messages"};
    cai_jval *const slot[] = {
        id,         &k->prompt,   &k->response_a, &k->response_b, &k->responses,
        &k->chosen, &k->rejected, &k->completion, &k->messages};
    size_t i, n_dup = sizeof(names) / sizeof(*names) - (sft ? 0 : 2);
    const char *dup = NULL;
    unsigned seen = 0;
    cai_jiter it = {0};
    cai_jval key, val;

    memset(k, 0, sizeof(*k));
    memset(id, 0, sizeof(*id));
    *members = 0;
    while (cai_jscan__next(o, &it, &key, &val)) {
        ++*members;
        for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
            if (!cai_jscan__string_eq(&key, names[i]))
                continue;
            if (!(seen & 1u << i))
                *slot[i] = val;
            else if (!dup && i < n_dup)
                dup = names[i];
            seen |= 1u << i;
            break;
        }
    }
    return dup;
}

cai_format cai_recfmt__detect(const cai_recfmt_keys *k)
{
    if (k->responses.n)
        return CAI_FORMAT_CANDIDATES;
    if (k->response_a.n || k->response_b.n)
        return CAI_FORMAT_PAIRS;
    if (!k->chosen.n && !k->rejected.n)
        return k->completion.n ? CAI_FORMAT_SFT
               : k->messages.n ? CAI_FORMAT_MESSAGES
                               : CAI_FORMAT_AUTO;
    if (!k->prompt.n)
        return CAI_FORMAT_HH;
    return cai_jscan__is_array(&k->prompt) || cai_jscan__is_array(&k->chosen) ||
                   cai_jscan__is_array(&k->rejected)
               ? CAI_FORMAT_CONVERSATIONAL
               : CAI_FORMAT_TRL;
}

const char *const *cai_recfmt__format_keys(cai_format f)
{
    static const char *const pairs[] = {"prompt", "response_a", "response_b", NULL};
    static const char *const candidates[] = {"prompt", "responses", NULL};
    static const char *const hh[] = {"chosen", "rejected", NULL};
    static const char *const trl[] = {"prompt", "chosen", "rejected", NULL};
    static const char *const sft[] = {"prompt", "completion", NULL};
    static const char *const messages[] = {"messages", NULL};

    switch (f) {
    case CAI_FORMAT_PAIRS:
        return pairs;
    case CAI_FORMAT_CANDIDATES:
        return candidates;
    case CAI_FORMAT_HH:
        return hh;
    case CAI_FORMAT_SFT:
        return sft;
    case CAI_FORMAT_MESSAGES:
        return messages;
    case CAI_FORMAT_TRL:
    case CAI_FORMAT_CONVERSATIONAL:
    case CAI_FORMAT_AUTO:
        break;
    }
    return trl;
}
