/* SPDX-License-Identifier: MIT */
/* cai-fake-judge: runs the fake judge server as its own process for shell tests and benchmarks. */
#include "fake_llm.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cai-fake-judge [--port N] [--latency-ms N] [--fault-rate F]\n"
            "                      [--fault-mask LIST] [--seed N] [--retry-after S]\n"
            "                      [--log FILE] [--always FAULT] [--port-file FILE]\n"
            "                      [--judge consistent|hash|coin|first]\n"
            "                      [--generate off|all|auto] [--words MIN-MAX] [--max-choices N]\n"
            "                      [--batch-polls N] [--batch-expire N] [--batch-fail-every N]\n"
            "                      [--model-id ID]\n"
            "Serves the fake judge on 127.0.0.1 until SIGTERM/SIGINT, then prints a JSON\n"
            "summary line. FAULT: 429 500 503 hang reset bad_json no_logprobs no_verdict\n"
            "401_echo; LIST: comma-separated FAULTs or a number (bit mask).\n"
            "--generate: answer with generated text (all requests, or auto: those that are\n"
            "not judge prompts); --words: length range of generated texts (default 8-24);\n"
            "--max-choices: at most N choices per reply whatever \"n\" asks (0: honour n).\n"
            "Batch APIs (OpenAI /v1/files + /v1/batches, Anthropic /v1/messages/batches): a\n"
            "batch ends after --batch-polls status requests (default 3); the next N batches\n"
            "expire half done (--batch-expire); requests whose custom_id hashes to 0 mod N\n"
            "fail once (--batch-fail-every).\n"
            "--model-id: the model GET /v1/models lists (default fake-judge).\n");
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_mask(const char *s, unsigned *out)
{
    unsigned long long v;
    char buf[256], *tok, *save = NULL;
    unsigned m = 0;
    int f;

    if (parse_u64(s, 0xffffffffULL, &v) == 0) {
        *out = (unsigned)v;
        return 0;
    }
    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        f = fake_fault_parse(tok);
        if (f <= 0)
            return -1;
        m |= 1u << f;
    }
    *out = m;
    return 0;
}

/* Writes the port to path atomically, so a poller never reads a half-written number. */
static int write_port_file(const char *path, unsigned port)
{
    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    FILE *f;
    int rc = -1;

    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f) {
        rc = fprintf(f, "%u\n", port) < 0 ? -1 : 0;
        if (fclose(f) != 0)
            rc = -1;
        if (rc == 0)
            rc = rename(tmp, path);
    }
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"port", required_argument, NULL, 'p'},
                                          {"latency-ms", required_argument, NULL, 'l'},
                                          {"fault-rate", required_argument, NULL, 'r'},
                                          {"fault-mask", required_argument, NULL, 'm'},
                                          {"seed", required_argument, NULL, 's'},
                                          {"retry-after", required_argument, NULL, 'a'},
                                          {"log", required_argument, NULL, 'L'},
                                          {"always", required_argument, NULL, 'A'},
                                          {"port-file", required_argument, NULL, 'P'},
                                          {"judge", required_argument, NULL, 'J'},
                                          {"generate", required_argument, NULL, 'G'},
                                          {"words", required_argument, NULL, 'W'},
                                          {"max-choices", required_argument, NULL, 'X'},
                                          {"batch-polls", required_argument, NULL, 'B'},
                                          {"batch-expire", required_argument, NULL, 'E'},
                                          {"batch-fail-every", required_argument, NULL, 'F'},
                                          {"model-id", required_argument, NULL, 'M'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;
    const char *port_file = NULL, *model_id = NULL;
    unsigned long long v;
    int c, always = FAKE_OK;
    fake_gen_mode gen = FAKE_GEN_OFF;
    unsigned long long wmin = 0, wmax = 0, max_choices = 0;
    unsigned long long bpolls = 3, bexpire = 0, bfail = 0;
    char *end;
    fake_llm *srv;
    sigset_t block, old;
    struct sigaction sa;

    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_u64(optarg, 65535, &v) != 0)
                goto bad;
            o.port = (unsigned)v;
            break;
        case 'l':
            if (parse_u64(optarg, 3600000, &v) != 0)
                goto bad;
            o.latency_ms = (unsigned)v;
            break;
        case 'r':
            errno = 0;
            o.fault_rate = strtod(optarg, &end);
            if (errno || *end || end == optarg || !(o.fault_rate >= 0 && o.fault_rate <= 1))
                goto bad;
            break;
        case 'm':
            if (parse_mask(optarg, &o.fault_mask) != 0)
                goto bad;
            break;
        case 's':
            if (parse_u64(optarg, ~0ULL, &v) != 0)
                goto bad;
            o.seed = v;
            break;
        case 'a':
            if (parse_u64(optarg, 86400, &v) != 0)
                goto bad;
            o.retry_after_s = (int)v;
            break;
        case 'L':
            o.log_path = optarg;
            break;
        case 'A':
            always = fake_fault_parse(optarg);
            if (always < 0)
                goto bad;
            break;
        case 'P':
            port_file = optarg;
            break;
        case 'J':
            if ((o.judge = fake_judge_kind_parse(optarg)) < 0)
                goto bad;
            break;
        case 'G':
            if (strcmp(optarg, "off") == 0)
                gen = FAKE_GEN_OFF;
            else if (strcmp(optarg, "all") == 0)
                gen = FAKE_GEN_ALL;
            else if (strcmp(optarg, "auto") == 0)
                gen = FAKE_GEN_AUTO;
            else
                goto bad;
            break;
        case 'W': {
            char lo[32];
            const char *dash = strchr(optarg, '-');

            if (!dash || (size_t)(dash - optarg) >= sizeof(lo))
                goto bad;
            memcpy(lo, optarg, (size_t)(dash - optarg));
            lo[dash - optarg] = '\0';
            if (parse_u64(lo, 100000, &wmin) != 0 || parse_u64(dash + 1, 100000, &wmax) != 0 ||
                wmax < wmin)
                goto bad;
            break;
        }
        case 'X':
            if (parse_u64(optarg, 128, &max_choices) != 0)
                goto bad;
            break;
        case 'B':
            if (parse_u64(optarg, 1000000, &bpolls) != 0 || bpolls == 0)
                goto bad;
            break;
        case 'E':
            if (parse_u64(optarg, 1000000, &bexpire) != 0)
                goto bad;
            break;
        case 'F':
            if (parse_u64(optarg, 1000000, &bfail) != 0)
                goto bad;
            break;
        case 'M':
            model_id = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            goto bad;
        }
    }
    if (optind != argc)
        goto bad;

    /* Signals go to this thread only: block them before the server thread inherits the mask. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    srv = fake_llm_start(&o);
    if (!srv) {
        fprintf(stderr, "cai-fake-judge: cannot start the server (port %u)\n", o.port);
        return 2;
    }
    fake_llm_set_always(srv, (fake_fault)always);
    fake_llm_set_generate(srv, gen, (unsigned)wmin, (unsigned)wmax);
    fake_llm_set_gen_max_n(srv, (unsigned)max_choices);
    fake_llm_batch_set_polls(srv, (unsigned)bpolls);
    fake_llm_batch_expire_next(srv, (unsigned)bexpire);
    fake_llm_batch_fail_every(srv, (unsigned)bfail);
    if (model_id)
        fake_llm_set_model(srv, model_id);
    printf("%s\n", fake_llm_url(srv));
    fflush(stdout);
    if (port_file && write_port_file(port_file, fake_llm_port(srv)) != 0) {
        fprintf(stderr, "cai-fake-judge: %s: %s\n", port_file, strerror(errno));
        fake_llm_stop(srv);
        return 2;
    }
    sigdelset(&old, SIGTERM);
    sigdelset(&old, SIGINT);
    while (!got_signal)
        sigsuspend(&old);
    {
        fake_batch_stats bs;
        fake_llm_batch_stats(srv, &bs);
        printf("{\"requests\":%zu,\"successes\":%zu,\"duplicate_successes\":%zu,"
               "\"batch_uploads\":%zu,\"batch_creates\":%zu,\"batch_items\":%zu,"
               "\"batch_expired\":%zu,\"batch_errored\":%zu}\n",
               fake_llm_requests(srv), fake_llm_successes(srv), fake_llm_duplicate_successes(srv),
               bs.uploads, bs.creates, bs.items, bs.expired, bs.errored);
    }
    fflush(stdout);
    fake_llm_stop(srv);
    return 0;
bad:
    fprintf(stderr, "cai-fake-judge: bad arguments\n");
    usage(stderr);
    return 2;
}
