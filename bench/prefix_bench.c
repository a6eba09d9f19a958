/* SPDX-License-Identifier: MIT */
/* Prefix-caching benchmark: how many leading bytes consecutive judge requests share. */
/*
 * Renders the request bodies of a run in the order cai sends them (each pair's two orders back
 * to back, pairs in input order, the constitution's first principle) and prints, measured on
 * those bodies in this run:
 *   second order: shared prefix with the pair's first order / length of the body;
 *   across pairs: shared prefix with the previous pair's last body / the constant part (the
 *                 body up to the end of the examples), which must be >= 1.
 * Usage: prefix_bench CONSTITUTION INPUT [openai|anthropic|completions]
 */
#include <cai.h>
#include "wire_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t lcp(const cai_wbuf *a, const cai_wbuf *b)
{
    size_t n = 0;

    while (n < a->len && n < b->len && a->data[n] == b->data[n])
        n++;
    return n;
}

static int render(cai_wbuf *out,
                  const cai_wire *w,
                  const cai_constitution *c,
                  const cai_comparison *cmp,
                  size_t *constant)
{
    cai_prompt p;
    cai_error err = {0};
    cai_wbuf esc = {0};
    char *at;

    if (cai_prompt_build(&p, c, cmp, CAI_MODE_CHOICE, &err) != CAI_OK ||
        cai_wire__build(w, out, &p, -1, &err) != CAI_OK) {
        fprintf(stderr, "prefix_bench: %s\n", err.msg);
        return -1;
    }
    /* the constant part: the body up to the end of the shared prompt bytes, JSON-escaped
     * (the escaped text without its closing quote, which the body does not have there) */
    *constant = 0;
    if (cai_wire__put_json_str(&esc, p.user, p.shared_len) == 0 && esc.len > 2) {
        esc.data[--esc.len] = '\0';
        at = strstr(out->data, esc.data);
        *constant = at ? (size_t)(at - out->data) + esc.len : 0;
    }
    cai_wire__buf_dispose(&esc);
    cai_prompt_dispose(&p);
    return 0;
}

int main(int argc, char **argv)
{
    cai_constitution *c = NULL;
    cai_reader *rd = NULL;
    const cai_record *rec;
    cai_reader_opts ro = CAI_READER_OPTS_INIT;
    cai_wire_params wp;
    cai_wire w;
    cai_error err = {0};
    cai_wbuf prev = {0}, b0 = {0}, b1 = {0};
    double order_min = 1, order_sum = 0, across_min = 1e9, across_sum = 0;
    size_t pairs = 0, across = 0, bytes = 0, constant = 0, c1;
    const char *backend = argc > 3 ? argv[3] : "openai";

    if (argc < 3) {
        fprintf(stderr, "usage: prefix_bench CONSTITUTION INPUT [openai|anthropic|completions]\n");
        return 2;
    }
    memset(&wp, 0, sizeof(wp));
    wp.backend = (cai_backend)cai_backend_parse(backend);
    wp.mode = CAI_MODE_CHOICE;
    wp.model = "bench";
    wp.max_tokens = 1;
    wp.top_logprobs = 5;
    if ((int)wp.backend < 0 || cai_constitution_load(&c, argv[1], &err) != CAI_OK ||
        cai_wire__init(&w, &wp, &err) != CAI_OK || cai_reader_create(&rd, argv[2], &ro, &err)) {
        fprintf(stderr, "prefix_bench: %s\n", err.msg[0] ? err.msg : "bad backend");
        return 2;
    }
    while (cai_reader_next(rd, &rec, &err) == CAI_OK) {
        cai_comparison cmp = {rec->context, rec->n_context, cai_constitution_principle(c, 0),
                              rec->responses[0], rec->responses[1]};
        double r;

        if (rec->n_responses < 2 || strcmp(rec->responses[0], rec->responses[1]) == 0)
            continue;
        if (render(&b0, &w, c, &cmp, &constant) != 0)
            return 1;
        cmp.first = rec->responses[1];
        cmp.second = rec->responses[0];
        if (render(&b1, &w, c, &cmp, &c1) != 0)
            return 1;
        r = (double)lcp(&b0, &b1) / (double)b1.len;
        order_sum += r;
        order_min = r < order_min ? r : order_min;
        if (prev.len && constant) {
            r = (double)lcp(&prev, &b0) / (double)constant;
            across_sum += r;
            across_min = r < across_min ? r : across_min;
            across++;
        }
        bytes += b0.len + b1.len;
        pairs++;
        cai_wbuf t = prev;
        prev = b1;
        b1 = t;
    }
    if (!pairs) {
        fprintf(stderr, "prefix_bench: no pairs\n");
        return 2;
    }
    printf("backend %s, %zu pairs, %zu requests, mean body %.0f bytes, constant part %zu bytes "
           "(%.1f%% of the mean body)\n",
           backend, pairs, 2 * pairs, (double)bytes / (2.0 * (double)pairs), constant,
           100.0 * (double)constant * 2.0 * (double)pairs / (double)bytes);
    printf(
        "second order shares with the first:   mean %.3f  min %.3f of its body  (need >= 0.80)\n",
        order_sum / (double)pairs, order_min);
    if (across)
        printf("next pair shares with the previous:   mean %.3f  min %.3f of the constant part  "
               "(need >= 1.00)\n",
               across_sum / (double)across, across_min);
    cai_wire__buf_dispose(&prev);
    cai_wire__buf_dispose(&b0);
    cai_wire__buf_dispose(&b1);
    cai_wire__dispose(&w);
    cai_reader_free(rd);
    cai_constitution_free(c);
    return order_min >= 0.8 && (!across || across_min >= 1.0) ? 0 : 1;
}
