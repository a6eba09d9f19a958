/* SPDX-License-Identifier: MIT */
/* Reliability bins (accuracy against confidence), their calibration error and their SVG plot. */
#include "human_int.h"
#include "cai/agree.h"
#include "error_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cai_relbins__bin(double c)
{
    int i = (int)floor((c - 0.5) * 2.0 * CAI_REL_BINS);

    return i < 0 ? 0 : i >= CAI_REL_BINS ? CAI_REL_BINS - 1 : i;
}

void cai_relbins__add(cai_relbins *b, double c, int agrees)
{
    int i = cai_relbins__bin(c);

    b->n[i]++;
    b->k[i] += agrees != 0;
    b->conf[i] += c;
}

double cai_relbins__ece(const cai_relbins *b)
{
    uint64_t total = 0;
    double sum = 0;
    int i;

    for (i = 0; i < CAI_REL_BINS; i++)
        total += b->n[i];
    if (total == 0)
        return NAN;
    for (i = 0; i < CAI_REL_BINS; i++)
        if (b->n[i])
            sum += fabs(b->conf[i] - (double)b->k[i]);
    return sum / (double)total; /* = sum_b n_b/N |conf_b/n_b - k_b/n_b| */
}

#define W  560
#define H  420
#define PX 60
#define PY 40
#define PW 460
#define PH 320

static double sx(double c)
{
    return PX + (c - 0.5) * 2.0 * PW;
}

static double sy(double acc)
{
    return PY + PH - acc * PH;
}

static void put_escaped(cai_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            cai_buf__puts(b, "&lt;");
        else if (*s == '>')
            cai_buf__puts(b, "&gt;");
        else if (*s == '&')
            cai_buf__puts(b, "&amp;");
        else if (*s == '"')
            cai_buf__puts(b, "&quot;");
        else
            cai_buf__put(b, s, 1);
    }
}

char *cai_relplot__svg(const char *title, const cai_relseries *s, size_t n)
{
    cai_buf b = {0};
    size_t i;
    int j;

    cai_buf__printf(&b,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
                    "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">",
                    W, H, W, H);
    put_escaped(&b, title);
    cai_buf__printf(&b, "</text>\n");
    /* axes, grid and the diagonal of perfect calibration */
    for (j = 0; j <= 10; j++) {
        double y = PY + PH - (double)j * PH / 10.0, x = PX + (double)j * PW / 10.0;
        cai_buf__printf(
            &b,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
            "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.1f</text>\n"
            "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
            "text-anchor=\"middle\">%.2f</text>\n",
            PX, y, PX + PW, y, PX - 4, y + 3, (double)j / 10.0, x, PY + PH + 14,
            0.5 + (double)j / 20.0);
    }
    cai_buf__printf(&b,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                    "stroke=\"#333\"/>\n"
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                    "stroke-dasharray=\"4 3\"><title>perfect calibration</title></line>\n"
                    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">confidence "
                    "max(p, 1 - p), 10 equal-width bins</text>\n"
                    "<text x=\"14\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 14 %d)\" "
                    "text-anchor=\"middle\">agreement with the human label</text>\n",
                    PX, PY, PW, PH, sx(0.5), sy(0.5), sx(1.0), sy(1.0), PX + PW / 2, PY + PH + 32,
                    PY + PH / 2, PY + PH / 2);
    for (i = 0; i < n; i++) {
        const cai_relbins *rb = s[i].bins;
        int first = 1;

        cai_buf__printf(&b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                        s[i].color);
        for (j = 0; j < CAI_REL_BINS; j++) {
            if (!rb->n[j])
                continue;
            cai_buf__printf(&b, "%s%.1f,%.1f", first ? "" : " ", sx(rb->conf[j] / (double)rb->n[j]),
                            sy((double)rb->k[j] / (double)rb->n[j]));
            first = 0;
        }
        cai_buf__printf(&b, "\"/>\n");
        for (j = 0; j < CAI_REL_BINS; j++) {
            double x, lo, hi;
            if (!rb->n[j])
                continue;
            x = sx(rb->conf[j] / (double)rb->n[j]);
            cai_agree_wilson(rb->k[j], rb->n[j], 1.959963984540054, &lo, &hi);
            cai_buf__printf(&b,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>",
                            x, sy(lo), x, sy(hi), s[i].color, x,
                            sy((double)rb->k[j] / (double)rb->n[j]), s[i].color);
            put_escaped(&b, s[i].label);
            cai_buf__printf(&b,
                            ": bin [%.2f, %.2f%c, %llu pairs, %.1f%% agree (95%% CI %.2f-%.2f)"
                            "</title></circle>\n",
                            0.5 + j * 0.05, 0.55 + j * 0.05, j == CAI_REL_BINS - 1 ? ']' : ')',
                            (unsigned long long)rb->n[j],
                            100.0 * (double)rb->k[j] / (double)rb->n[j], lo, hi);
        }
        cai_buf__printf(&b,
                        "<rect x=\"%d\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"%.0f\" font-size=\"11\">",
                        PX + 10, PY + 8 + 18.0 * (double)i, s[i].color, PX + 28,
                        PY + 18 + 18.0 * (double)i);
        put_escaped(&b, s[i].label);
        cai_buf__printf(&b, " (ECE %.3f)</text>\n", cai_relbins__ece(rb));
    }
    cai_buf__printf(&b, "</svg>\n");
    return cai_buf__take(&b);
}
