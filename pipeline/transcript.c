/* SPDX-License-Identifier: MIT */
/* Splits an Anthropic HH-RLHF transcript ("\n\nHuman: ..." / "\n\nAssistant: ...") into turns. */
/*
 * A turn starts at "\n\nHuman:" or "\n\nAssistant:" (one space after the colon belongs to the
 * marker), and "\n\nSystem:" is recognised as the first turn only, so a context rendered by
 * cai_prompt_render_context() splits back into the same turns byte for byte. The split is in
 * place: the first '\n' of each marker becomes the NUL that ends the previous turn.
 */
#include "cai/record.h"
#include "error_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct marker {
    const char *text;
    size_t len;
    cai_role role;
} marker;

static const marker markers[] = {
    {"\n\nHuman:", 8, CAI_ROLE_USER},
    {"\n\nAssistant:", 12, CAI_ROLE_ASSISTANT},
    {"\n\nSystem:", 9, CAI_ROLE_SYSTEM},
};

/* The marker at p, or NULL. System counts only at the start of the text. */
static const marker *marker_at(const char *p, int first)
{
    size_t i, n = first ? 3 : 2;

    for (i = 0; i < n; i++) {
        if (strncmp(p, markers[i].text, markers[i].len) == 0)
            return &markers[i];
    }
    return NULL;
}

/* The next marker at or after p (p must be inside the text), or NULL. */
static const char *next_marker(const char *p, const marker **m)
{
    for (p = strstr(p, "\n\n"); p; p = strstr(p + 1, "\n\n")) {
        if ((*m = marker_at(p, 0)) != NULL)
            return p;
    }
    return NULL;
}

cai_status cai_transcript_split(cai_transcript *out, char *text, cai_error *err)
{
    const marker *m, *nm = NULL;
    size_t n = 0, cap = 0;
    char *p, *next;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out);
    out->turns = NULL;
    out->n_turns = 0;
    CAI_ASSERT_ARG(err, text);
    m = marker_at(text, 1);
    if (!m)
        return cai_error__set(err, CAI_EPARSE,
                              "not an HH transcript: it does not start with \"\\n\\nHuman:\"");
    /* Count turns first so that the text is modified only once the split cannot fail. */
    for (p = text + m->len; (next = (char *)next_marker(p, &nm)) != NULL; p = next + nm->len)
        cap++;
    cap++;
    out->turns = calloc(cap, sizeof(*out->turns));
    if (!out->turns)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    p = text;
    while (m) {
        char *content = p + m->len;
        if (*content == ' ')
            content++;
        next = (char *)next_marker(content, &nm);
        out->turns[n].role = m->role;
        out->turns[n].content = content;
        n++;
        if (!next)
            break;
        *next = '\0';
        p = next;
        m = nm; /* found before the NUL above hid the marker's first byte */
    }
    out->n_turns = n;
    return CAI_OK;
}

void cai_transcript_dispose(cai_transcript *t)
{
    if (!t)
        return;
    free(t->turns);
    t->turns = NULL;
    t->n_turns = 0;
}
