/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the HH transcript splitter (cai_transcript_split) and its round trip. */
/*
 * Beyond "no memory errors", it checks the contract of include/cai/record.h: every turn lies
 * inside the text, and rendering the turns with cai_prompt_render_context() and splitting the
 * result again gives the same turns, byte for byte.
 */
#include "cai/prompt.h"
#include "cai/record.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size), *again;
    cai_transcript t = {0}, t2 = {0};
    cai_error err = {0};
    size_t i;

    if (cai_transcript_split(&t, text, &err) != CAI_OK) {
        FZ_CHECK(err.code == CAI_EPARSE && err.msg[0]);
        FZ_CHECK(t.turns == NULL && t.n_turns == 0);
        free(text);
        return 0;
    }
    FZ_CHECK(t.n_turns > 0);
    for (i = 0; i < t.n_turns; i++) {
        const char *c = t.turns[i].content;
        FZ_CHECK(c >= text && c + strlen(c) <= text + size);
        FZ_CHECK(t.turns[i].role <= CAI_ROLE_ASSISTANT);
        FZ_CHECK(i == 0 || t.turns[i].role != CAI_ROLE_SYSTEM);
    }
    again = cai_prompt_render_context(t.turns, t.n_turns);
    FZ_CHECK(again != NULL);
    FZ_CHECK(cai_transcript_split(&t2, again, &err) == CAI_OK);
    FZ_CHECK(t2.n_turns == t.n_turns);
    for (i = 0; i < t.n_turns; i++) {
        FZ_CHECK(t2.turns[i].role == t.turns[i].role);
        FZ_CHECK(strcmp(t2.turns[i].content, t.turns[i].content) == 0);
    }
    cai_transcript_dispose(&t2);
    cai_transcript_dispose(&t);
    free(again);
    free(text);
    return 0;
}
