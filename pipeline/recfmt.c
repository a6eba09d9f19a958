/* SPDX-License-Identifier: MIT */
/* The one rule for telling the five record formats apart, used by the reader and the scanner. */
#include "recfmt_int.h"

#include <cjson/cJSON.h>
#include <string.h>

void cai_recfmt__keys(const cJSON *o, cai_recfmt_keys *k)
{
    k->prompt = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    k->response_a = cJSON_GetObjectItemCaseSensitive(o, "response_a");
    k->response_b = cJSON_GetObjectItemCaseSensitive(o, "response_b");
    k->responses = cJSON_GetObjectItemCaseSensitive(o, "responses");
    k->chosen = cJSON_GetObjectItemCaseSensitive(o, "chosen");
    k->rejected = cJSON_GetObjectItemCaseSensitive(o, "rejected");
    k->completion = cJSON_GetObjectItemCaseSensitive(o, "completion");
    k->messages = cJSON_GetObjectItemCaseSensitive(o, "messages");
}

cai_format cai_recfmt__detect(const cai_recfmt_keys *k)
{
    if (k->responses)
        return CAI_FORMAT_CANDIDATES;
    if (k->response_a || k->response_b)
        return CAI_FORMAT_PAIRS;
    if (!k->chosen && !k->rejected)
        return k->completion ? CAI_FORMAT_SFT : k->messages ? CAI_FORMAT_MESSAGES : CAI_FORMAT_AUTO;
    if (!k->prompt)
        return CAI_FORMAT_HH;
    return cJSON_IsArray(k->prompt) || cJSON_IsArray(k->chosen) || cJSON_IsArray(k->rejected)
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

const char *cai_recfmt__duplicate(const cJSON *o, int sft)
{
    static const char *const keys[] = {"id",         "prompt",     "response_a",
                                       "response_b", "responses",  "chosen",
                                       "rejected",   "completion", "messages"};
    unsigned seen = 0;
    const cJSON *item;
    size_t i, n_keys = sizeof(keys) / sizeof(*keys) - (sft ? 0 : 2);

    for (item = o->child; item; item = item->next) {
        for (i = 0; i < n_keys; i++) {
            if (strcmp(item->string, keys[i]) != 0)
                continue;
            if (seen & 1u << i)
                return keys[i];
            seen |= 1u << i;
        }
    }
    return NULL;
}

int cai_recfmt__role(const char *name, cai_role *out)
{
    if (strcmp(name, "user") == 0)
        *out = CAI_ROLE_USER;
    else if (strcmp(name, "assistant") == 0)
        *out = CAI_ROLE_ASSISTANT;
    else if (strcmp(name, "system") == 0)
        *out = CAI_ROLE_SYSTEM;
    else
        return -1;
    return 0;
}
