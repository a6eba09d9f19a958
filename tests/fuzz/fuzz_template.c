/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the judge prompt template expander (cai_constitution_render_template). */
/*
 * The input is split at its first four NUL bytes into the template, the conversation, the
 * principle and the two responses (missing parts are empty). A template that renders must
 * have placed every text verbatim, so each of them is a substring of the output.
 */
#include "cai/constitution.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fz_strndup(data, size), *part[5], *out = NULL, *p = buf, *end = buf + size;
    cai_error err = {0};
    size_t i, total = 0;

    for (i = 0; i < 5; i++) {
        part[i] = p;
        p += strlen(p);
        if (p < end)
            p++; /* past the NUL that ended this part */
    }
    if (cai_constitution_render_template(&out, part[0], part[1], part[2], part[3], part[4], &err) ==
        CAI_OK) {
        FZ_CHECK(out != NULL);
        for (i = 1; i < 5; i++) {
            FZ_CHECK(strstr(out, part[i]) != NULL);
            total += strlen(part[i]);
        }
        FZ_CHECK(strlen(out) >= total);
        free(out);
    } else {
        FZ_CHECK(out == NULL && err.code == CAI_ESCHEMA && err.msg[0]);
    }
    free(buf);
    return 0;
}
