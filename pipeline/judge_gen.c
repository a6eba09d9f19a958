/* SPDX-License-Identifier: MIT */
/* The engine's generation kinds: bodies built and replies parsed by gen_wire, choices gathered. */
#include "judge_int.h"
#include "util_int.h"
#include "gen_wire_int.h"
#include "error_int.h"

#include <stdlib.h>
#include <string.h>

int cai_judge__is_gen(cai_request_kind k)
{
    return k == CAI_REQUEST_SAMPLE || k == CAI_REQUEST_CRITIQUE || k == CAI_REQUEST_REVISION;
}

const char *cai_request_kind_name(cai_request_kind k)
{
    switch (k) {
    case CAI_REQUEST_JUDGMENT:
        return "judgment";
    case CAI_REQUEST_SAMPLE:
        return "sample";
    case CAI_REQUEST_CRITIQUE:
        return "critique";
    case CAI_REQUEST_REVISION:
        return "revision";
    }
    return NULL;
}

cai_status cai_judge__gen_body(
    const cai_judge *j, const cai_judge_task *t, size_t have, cai_buf *b, cai_error *err)
{
    const cai_gen_request *g = t->gen;
    cai_gen_params p;
    long long seed;

    memset(&p, 0, sizeof(p));
    p.backend = j->o.backend;
    p.model = j->o.model;
    p.temperature = g->temperature;
    p.top_p = g->top_p;
    p.max_tokens = g->max_tokens;
    p.stop = g->stop;
    p.n_stop = g->n_stop;
    p.system = g->system;
    seed = g->seed >= 0 ? g->seed + (long long)have : -1;
    return cai_gen_wire__build(b, &p, g->messages, g->n_messages, g->n - (unsigned)have, seed, err);
}

void cai_judge__gen_clear(cai_gen_text **ch, size_t *n, size_t *cap)
{
    size_t i;

    for (i = 0; *ch && i < *n; i++) {
        free((char *)(*ch)[i].text);
        free((char *)(*ch)[i].finish_raw);
    }
    free(*ch);
    *ch = NULL;
    *n = 0;
    if (cap)
        *cap = 0;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int cai_judge__gen_take(cai_judge *j,
                        slot *s,
                        const char *body,
                        size_t len,
                        unsigned *pt,
                        unsigned *ct,
                        int *has_usage,
                        cai_error *err)
{
    cai_gen_reply r;
    size_t want = s->task.gen->n, i, take;

    *pt = *ct = 0;
    *has_usage = 0;
    if (cai_gen_wire__parse_reply(&r, j->o.backend, body, len, err) != CAI_OK)
        return -1;
    *has_usage = r.has_usage;
    *pt = r.prompt_tokens;
    *ct = r.completion_tokens;
    take = r.n_choices;
    if (take > want - s->gn)
        take = want - s->gn; /* a server that sends more than asked: the first ones */
    {
        cai_gen_text *nc = cai__grow(s->gch, &s->gcap, s->gn + take, sizeof(*nc), 4);

        if (!nc) {
            cai_gen_wire__reply_dispose(&r);
            cai_error__set(err, CAI_ENOMEM, "out of memory");
            return -1;
        }
        s->gch = nc;
    }
    for (i = 0; i < take; i++) {
        const cai_gen_choice *c = &r.choices[i];
        cai_gen_text *o = &s->gch[s->gn];

        memset(o, 0, sizeof(*o));
        o->text = dupn(c->text ? c->text : "", c->text ? c->text_len : 0);
        o->len = c->text ? c->text_len : 0;
        o->finish = (int)c->finish;
        o->finish_raw = c->finish_raw ? dupn(c->finish_raw, strlen(c->finish_raw)) : NULL;
        o->completion_tokens = r.n_choices == 1 && r.has_usage ? (long)r.completion_tokens : -1;
        if (!o->text || (c->finish_raw && !o->finish_raw)) {
            free((char *)o->text);
            free((char *)o->finish_raw);
            cai_gen_wire__reply_dispose(&r);
            cai_error__set(err, CAI_ENOMEM, "out of memory");
            return -1;
        }
        s->gn++;
    }
    s->greplies++;
    cai_gen_wire__reply_dispose(&r);
    return s->gn >= want ? 1 : 0;
}

unsigned cai_judge__gen_estimate(const cai_judge_task *t)
{
    size_t i, n = 0;

    if (!t->gen)
        return 0;
    for (i = 0; i < t->gen->n_messages; i++)
        n += t->gen->messages[i].content ? strlen(t->gen->messages[i].content) : 0;
    if (t->gen->system)
        n += strlen(t->gen->system);
    return (unsigned)(n / 4);
}
