/* SPDX-License-Identifier: MIT */
/* Verdict parsing: turns a judge's reply text or top log-probs into A, B, a tie or nothing. */
#include "cai/verdict.h"

#include <math.h>
#include <string.h>

/*
 * The text parser never guesses. In order:
 * 1. explicit markers ("Verdict:", "Answer:", "The answer is", "choice", "winner", "better
 *    response is" ...) followed by an option: the LAST such marker decides, so a CoT reply's
 *    reasoning cannot outvote its final verdict line; "A or B" / "A and B" after a marker is
 *    ambiguous and yields NONE;
 * 2. a reply that opens with a refusal ("I'm sorry", "I cannot", "As an AI") is NONE;
 * 3. a reply that is only a letter (after trimming markup and punctuation) is that letter;
 * 4. otherwise every option mention is collected: wrapped letters "(A)", "[[b]]", "**A**",
 *    standalone capital A/B (a capital "A" followed by a lower-case word is read as the English
 *    article unless a verb like "is" follows or "Response" precedes it), and tie words; exactly
 *    one distinct option decides, anything else is NONE.
 * A bare lower-case "a" counts only as the whole reply, wrapped, or right after a marker when no
 * word follows it ("answer: a"), so "a better response" is never read as A.
 */

enum { OPT_NONE = 0, OPT_A = 1, OPT_B = 2, OPT_TIE = 4, OPT_AMBIGUOUS = 8 };

/* ---------------------------------------------------------------- character helpers */

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Bytes >= 0x80 are treated as word characters so "Aé" is not a standalone A. */
static int is_word(int c)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '_' || (c & 0x80);
}

/* Case-insensitive match of the ASCII word w at s[i], with word boundaries on both sides. */
static int word_at(const char *s, size_t n, size_t i, const char *w)
{
    size_t k, wl = strlen(w);

    if (i + wl > n || (i > 0 && is_word((unsigned char)s[i - 1])))
        return 0;
    for (k = 0; k < wl; k++) {
        if (lower((unsigned char)s[i + k]) != w[k])
            return 0;
    }
    return i + wl == n || !is_word((unsigned char)s[i + wl]);
}

static int letter_option(int c)
{
    switch (lower(c)) {
    case 'a':
        return OPT_A;
    case 'b':
        return OPT_B;
    case 'c':
        return OPT_TIE;
    default:
        return OPT_NONE;
    }
}

/* ---------------------------------------------------------------- option tokens */

/*
 * A wrapped letter at s[i]: "(A)", "[A]", "[[A]]", "**A**", "*A*" (any case). Returns the option
 * and sets *end past the closing wrapper; OPT_NONE when there is none.
 */
static int wrapped_at(const char *s, size_t n, size_t i, size_t *end)
{
    size_t open = 0, j = i, k;
    char close;
    int opt;

    if (j >= n)
        return OPT_NONE;
    if (s[j] == '(') {
        close = ')';
        open = 1;
    } else if (s[j] == '[') {
        close = ']';
        open = (j + 1 < n && s[j + 1] == '[') ? 2 : 1;
    } else if (s[j] == '*') {
        close = '*';
        open = (j + 1 < n && s[j + 1] == '*') ? 2 : 1;
    } else {
        return OPT_NONE;
    }
    j += open;
    if (j >= n || !(opt = letter_option((unsigned char)s[j])))
        return OPT_NONE;
    j++;
    for (k = 0; k < open; k++, j++) {
        if (j >= n || s[j] != close)
            return OPT_NONE;
    }
    *end = j;
    return opt;
}

static const char *const tie_words[] = {"tie", "tied", "equally", "draw"};

static int tie_word_at(const char *s, size_t n, size_t i, size_t *end)
{
    size_t k;

    for (k = 0; k < sizeof(tie_words) / sizeof(tie_words[0]); k++) {
        if (word_at(s, n, i, tie_words[k])) {
            *end = i + strlen(tie_words[k]);
            return OPT_TIE;
        }
    }
    return OPT_NONE;
}

/*
 * The option right after a marker: wrapped, a bare letter, or a tie word. A bare lower-case
 * letter followed by a space and a word is the article ("the answer is a bit long").
 */
static int option_after_marker(const char *s, size_t n, size_t i, size_t *end)
{
    int opt, c;
    size_t j;

    if ((opt = wrapped_at(s, n, i, end)))
        return opt;
    if ((opt = tie_word_at(s, n, i, end)))
        return opt;
    if (i >= n || !(opt = letter_option((unsigned char)s[i])))
        return OPT_NONE;
    if (i + 1 < n && is_word((unsigned char)s[i + 1]))
        return OPT_NONE;
    c = (unsigned char)s[i];
    if (c >= 'a' && c <= 'z') {
        for (j = i + 1; j < n && (s[j] == ' ' || s[j] == '\t'); j++) {
        }
        if (j > i + 1 && j < n && is_alpha((unsigned char)s[j]))
            return OPT_NONE;
    }
    *end = i + 1;
    return opt;
}

/* A second, different option joined by "and"/"or"/"/"/"," makes a marker ambiguous. */
static int joined_other_option(const char *s, size_t n, size_t i, int first)
{
    size_t j = i, end;
    int opt;

    while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '*'))
        j++;
    if (j < n && (s[j] == '/' || s[j] == ',' || s[j] == '&'))
        j++;
    else if (word_at(s, n, j, "and"))
        j += 3;
    else if (word_at(s, n, j, "or"))
        j += 2;
    else
        return 0;
    while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '*'))
        j++;
    opt = wrapped_at(s, n, j, &end);
    if (!opt && j < n && (s[j] == 'A' || s[j] == 'B') &&
        (j + 1 == n || !is_word((unsigned char)s[j + 1])))
        opt = letter_option((unsigned char)s[j]);
    return opt && opt != first;
}

/* ---------------------------------------------------------------- markers */

static const char *const markers[] = {
    "verdict",         "answer",        "choice",
    "winner",          "preference",    "preferred response",
    "better response", "better answer", "preferred answer",
    "best response",
};

/* Words skipped between a marker and its option: "The answer is clearly Response A". */
static const char *const fillers[] = {
    "is",       "are",       "was",    "would",  "be",    "will",      "clearly", "both", "final",
    "response", "assistant", "option", "output", "reply", "candidate", "my",      "the",
};

/* The option following the marker that ends at s[i], or OPT_NONE. */
static int after_marker(const char *s, size_t n, size_t i)
{
    size_t j = i, end = 0, k;
    int opt, progressed;

    do {
        progressed = 0;
        while (j < n && strchr(" \t\r\n*_:=-\"'`>", s[j]) && s[j] != '\0') {
            j++;
            progressed = 1;
        }
        for (k = 0; k < sizeof(fillers) / sizeof(fillers[0]); k++) {
            if (word_at(s, n, j, fillers[k])) {
                j += strlen(fillers[k]);
                progressed = 1;
                break;
            }
        }
    } while (progressed && j < n);
    opt = option_after_marker(s, n, j, &end);
    if (opt && opt != OPT_TIE && joined_other_option(s, n, end, opt))
        return OPT_AMBIGUOUS;
    return opt;
}

/* The option named by the last marker in the text, OPT_AMBIGUOUS, or OPT_NONE. */
static int last_marker_option(const char *s, size_t n)
{
    size_t i, k;
    int opt, last = OPT_NONE;

    for (i = 0; i < n; i++) {
        if (i > 0 && is_word((unsigned char)s[i - 1]))
            continue;
        for (k = 0; k < sizeof(markers) / sizeof(markers[0]); k++) {
            size_t ml = strlen(markers[k]);
            if (!word_at(s, n, i, markers[k]))
                continue;
            opt = after_marker(s, n, i + ml);
            if (opt)
                last = opt;
            break;
        }
    }
    return last;
}

/* ---------------------------------------------------------------- fallback scan */

static const char *const refusal_openings[] = {
    "i'm sorry", "i am sorry",  "sorry",          "i cannot",       "i can't",      "i can not",
    "i won't",   "i will not",  "i'm unable",     "i am unable",    "i'm not able", "i am not able",
    "as an ai",  "i apologize", "i must decline", "i'd rather not",
};

static int starts_with_ci(const char *s, size_t n, const char *p)
{
    size_t k, pl = strlen(p);

    if (pl > n)
        return 0;
    for (k = 0; k < pl; k++) {
        if (lower((unsigned char)s[k]) != p[k])
            return 0;
    }
    return 1;
}

static int opens_with_refusal(const char *s, size_t n)
{
    char buf[32];
    size_t i = 0, o = 0, k;

    /* Normalise a typographic apostrophe (U+2019) to ASCII for the comparison. */
    while (i < n && o < sizeof(buf)) {
        if (i + 2 < n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99) {
            buf[o++] = '\'';
            i += 3;
        } else {
            buf[o++] = s[i++];
        }
    }
    for (k = 0; k < sizeof(refusal_openings) / sizeof(refusal_openings[0]); k++) {
        if (starts_with_ci(buf, o, refusal_openings[k]))
            return 1;
    }
    return 0;
}

/* Words after a capital "A" that make it the option rather than the article. */
static const char *const a_verbs[] = {
    "is",       "was",    "wins", "won",     "seems", "appears",  "does",
    "would",    "should", "has",  "had",     "gives", "provides", "answers",
    "responds", "and",    "or",   "because", "over",  "than",     "vs",
};

/* Words before a capital letter that make it the option whatever follows. */
static const char *const option_nouns[] = {
    "response", "assistant", "option", "output", "reply", "candidate", "answer",
};

static int preceded_by_noun(const char *s, size_t i)
{
    size_t end, start, k;

    if (i < 2 || s[i - 1] != ' ')
        return 0;
    end = i - 1;
    start = end;
    while (start > 0 && is_alpha((unsigned char)s[start - 1]))
        start--;
    for (k = 0; k < sizeof(option_nouns) / sizeof(option_nouns[0]); k++) {
        if (end - start == strlen(option_nouns[k]) && word_at(s, end, start, option_nouns[k]))
            return 1;
    }
    return 0;
}

static int capital_a_is_option(const char *s, size_t n, size_t i)
{
    size_t j = i + 1, k;

    if (preceded_by_noun(s, i))
        return 1;
    if (j >= n || s[j] != ' ')
        return 1; /* "A.", "A,", "A's", end of text */
    while (j < n && s[j] == ' ')
        j++;
    if (j >= n || !(s[j] >= 'a' && s[j] <= 'z'))
        return 1; /* "A (the first)", "A - better" */
    for (k = 0; k < sizeof(a_verbs) / sizeof(a_verbs[0]); k++) {
        if (word_at(s, n, j, a_verbs[k]))
            return 1;
    }
    return 0; /* "A better response ..." is the article */
}

static int scan_mentions(const char *s, size_t n)
{
    size_t i, end;
    int mask = 0, opt;

    for (i = 0; i < n; i++) {
        if (i > 0 && is_word((unsigned char)s[i - 1]))
            continue;
        if ((opt = wrapped_at(s, n, i, &end)) || (opt = tie_word_at(s, n, i, &end))) {
            mask |= opt;
            i = end - 1;
            continue;
        }
        if ((s[i] == 'A' || s[i] == 'B') && (i + 1 == n || !is_word((unsigned char)s[i + 1]))) {
            if (s[i] == 'B' || capital_a_is_option(s, n, i))
                mask |= letter_option(s[i]);
        }
    }
    return mask;
}

static cai_verdict from_option(int opt)
{
    switch (opt) {
    case OPT_A:
        return CAI_VERDICT_A;
    case OPT_B:
        return CAI_VERDICT_B;
    case OPT_TIE:
        return CAI_VERDICT_TIE;
    default:
        return CAI_VERDICT_NONE;
    }
}

/* Markup and punctuation trimmed around a reply that is just a letter: "**(A).**". */
static const char trim_chars[] = " \t\r\n*()[]{}.:!?\"'`_#-";

cai_verdict cai_verdict_parse(const char *text, size_t len)
{
    const char *s = text;
    size_t n = len, k;
    int opt;

    if (!text)
        return CAI_VERDICT_NONE;
    opt = last_marker_option(s, n);
    if (opt)
        return from_option(opt);

    while (n > 0 && strchr(trim_chars, s[0]) && s[0] != '\0') {
        s++;
        n--;
    }
    while (n > 0 && strchr(trim_chars, s[n - 1]) && s[n - 1] != '\0')
        n--;
    if (n == 0 || opens_with_refusal(s, n))
        return CAI_VERDICT_NONE;
    if (n == 1)
        return from_option(letter_option((unsigned char)s[0]));
    /* A first line that is only a letter answers; what follows is an explanation. */
    for (k = 0; k < n && s[k] != '\n'; k++) {
    }
    while (k > 0 && strchr(trim_chars, s[k - 1]) && s[k - 1] != '\0')
        k--;
    if (k == 1 && (opt = letter_option((unsigned char)s[0])))
        return from_option(opt);
    /* Restore the trimmed wrappers so "(A) is better" keeps its parentheses. */
    return from_option(scan_mentions(text, len));
}

/* ---------------------------------------------------------------- log-probabilities */

/*
 * Normalises a token into out (NUL-terminated, at most cap-1 bytes; longer tokens are left
 * unmatched): drops spaces, "(", ")", "[", "]", "*", ".", ":", the BPE space marker "Ġ" and the
 * SentencePiece marker "▁", and upper-cases ASCII letters.
 */
static void normalise_token(const char *tok, size_t len, char *out, size_t cap)
{
    size_t i, o = 0;

    out[0] = '\0';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)tok[i];
        if (strchr(" \t\r\n()[]*.:", c) && c != '\0')
            continue;
        if (c == 0xc4 && i + 1 < len && (unsigned char)tok[i + 1] == 0xa0) {
            i++;
            continue;
        }
        if (c == 0xe2 && i + 2 < len && (unsigned char)tok[i + 1] == 0x96 &&
            (unsigned char)tok[i + 2] == 0x81) {
            i += 2;
            continue;
        }
        if (o + 1 >= cap) {
            out[0] = '\0';
            return;
        }
        out[o++] = (char)((c >= 'a' && c <= 'z') ? c - ('a' - 'A') : c);
    }
    out[o] = '\0';
}

/* Adds exp(lp) to a running log-sum-exp accumulator (max-shifted so nothing underflows). */
static void lse_add(double *acc, int *seen, double lp)
{
    if (!*seen) {
        *acc = lp;
        *seen = 1;
    } else if (lp > *acc) {
        *acc = lp + log1p(exp(*acc - lp));
    } else {
        *acc = *acc + log1p(exp(lp - *acc));
    }
}

/* A log-prob that is missing (-9999 is how OpenAI says "not in the list"),
 * NaN or infinite carries no information and would turn the sum into NaN.
 * Positive values are not probabilities either; float rounding makes tiny
 * ones (1e-7) in real replies, so those count as log(1) = 0 and anything
 * larger is ignored. */
static int usable(const cai_token_logprob *t)
{
    return t->token && isfinite(t->logprob) && t->logprob > -9999.0 && t->logprob <= 1e-3;
}

static double logprob_of(const cai_token_logprob *t)
{
    return t->logprob > 0 ? 0.0 : t->logprob;
}

int cai_verdict_from_logprobs(const cai_token_logprob *top, size_t n, double *p_a)
{
    double la = 0, lb = 0;
    int seen_a = 0, seen_b = 0;
    char norm[16];
    size_t i;

    for (i = 0; top && i < n; i++) {
        if (!usable(&top[i]))
            continue;
        normalise_token(top[i].token, top[i].len, norm, sizeof(norm));
        if (strcmp(norm, "A") == 0)
            lse_add(&la, &seen_a, logprob_of(&top[i]));
        else if (strcmp(norm, "B") == 0)
            lse_add(&lb, &seen_b, logprob_of(&top[i]));
    }
    if (!seen_a && !seen_b)
        return -1;
    if (p_a) {
        if (!seen_b)
            *p_a = 1.0;
        else if (!seen_a)
            *p_a = 0.0;
        else
            *p_a = 1.0 / (1.0 + exp(lb - la)); /* pA / (pA + pB) without underflow */
    }
    return 0;
}

int cai_verdict_rating_from_logprobs(const cai_token_logprob *top, size_t n, double *score)
{
    double acc[7], mx = -INFINITY, num = 0, den = 0;
    int seen[7] = {0}, any = 0, d;
    char norm[16];
    size_t i;

    for (i = 0; top && i < n; i++) {
        if (!usable(&top[i]))
            continue;
        normalise_token(top[i].token, top[i].len, norm, sizeof(norm));
        if (norm[0] < '1' || norm[0] > '7' || norm[1] != '\0')
            continue;
        d = norm[0] - '1';
        lse_add(&acc[d], &seen[d], logprob_of(&top[i]));
        any = 1;
    }
    if (!any)
        return -1;
    for (d = 0; d < 7; d++) {
        if (seen[d] && acc[d] > mx)
            mx = acc[d];
    }
    for (d = 0; d < 7; d++) {
        if (!seen[d])
            continue;
        double w = exp(acc[d] - mx);
        num += w * (d + 1);
        den += w;
    }
    if (score)
        *score = num / den;
    return 0;
}

/* ---------------------------------------------------------------- text ratings */

/* Reads a number at s[i] ("5", "5.5"); returns its end or i when there is none. */
static size_t number_at(const char *s, size_t n, size_t i, double *v)
{
    size_t j = i;
    double x = 0, scale = 0.1;

    while (j < n && s[j] >= '0' && s[j] <= '9')
        x = x * 10 + (s[j++] - '0');
    if (j == i)
        return i;
    if (j + 1 < n && s[j] == '.' && s[j + 1] >= '0' && s[j + 1] <= '9') {
        for (j++; j < n && s[j] >= '0' && s[j] <= '9'; j++, scale /= 10)
            x += (s[j] - '0') * scale;
    }
    *v = x;
    return j;
}

static int is_denominator(const char *s, size_t i)
{
    size_t j = i;

    while (j > 0 && s[j - 1] == ' ')
        j--;
    if (j > 0 && s[j - 1] == '/')
        return 1;
    return j >= 6 && word_at(s, j, j - 6, "out of");
}

int cai_verdict_parse_rating(const char *text, size_t len, double *score)
{
    const char *s = text;
    size_t i, j, end;
    double v = 0, found = 0;
    int have = 0, marked = 0;

    if (!text)
        return -1;
    /* After the last "rating"/"score" marker, the first number decides. */
    for (i = 0; i < len; i++) {
        if (!(word_at(s, len, i, "rating") || word_at(s, len, i, "score")))
            continue;
        for (j = i; j < len && is_alpha((unsigned char)s[j]); j++) {
        }
        while (j < len && strchr(" \t*_:=-\"'`", s[j]) && s[j] != '\0')
            j++;
        if (word_at(s, len, j, "is"))
            j += 2;
        while (j < len && strchr(" \t*_:=-\"'`", s[j]) && s[j] != '\0')
            j++;
        if (number_at(s, len, j, &v) != j) {
            found = v;
            marked = 1;
        }
    }
    if (!marked) {
        /* Otherwise every number that is not a denominator ("/7", "out of 7") must agree. */
        for (i = 0; i < len; i++) {
            if (i > 0 && (is_word((unsigned char)s[i - 1]) || s[i - 1] == '.'))
                continue;
            end = number_at(s, len, i, &v);
            if (end == i)
                continue;
            if (end < len && is_word((unsigned char)s[end]))
                return -1; /* "5th", "7b" */
            if (!is_denominator(s, i)) {
                if (have && v != found)
                    return -1;
                found = v;
                have = 1;
            }
            i = end - 1;
        }
        if (!have)
            return -1;
    }
    if (!(found >= 1 && found <= 7))
        return -1;
    if (score)
        *score = found;
    return 0;
}
