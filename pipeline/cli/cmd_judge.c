/* SPDX-License-Identifier: MIT */
/* `cai judge`: judges one pair and shows the exact request, the raw reply and P(A). */
#include "cli.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
    "usage: cai judge [options]\n"
    "\n"
    "Judges one pair of responses and prints the exact request body, the raw reply, the\n"
    "parsed verdict and P(A). The API key is read from the environment or a file, never\n"
    "from the command line.\n"
    "\n"
    "the pair (either --prompt/--response-a/--response-b or --input):\n"
    "      --prompt TEXT          the user turn the responses answer\n"
    "      --response-a TEXT      response shown as (A)\n"
    "      --response-b TEXT      response shown as (B) (not needed with --mode rating)\n"
    "  -i, --input FILE           take the first record of a JSONL file (any input format)\n"
    "\n"
    "the judge:\n"
    "  -c, --constitution FILE    principles and template (default: one built-in principle)\n"
    "      --principle ID         the principle to judge by (default: the first)\n";

/* After the shared endpoint options (pipeline/cli/endpoint_opts.c): the judge's own. */
static const char help_more[] =
    "      --mode MODE            choice (default), cot, rating\n"
    "      --top-logprobs N       log-probs asked per position, 1 to 20 (default 10;\n"
    "                             completions: 1 to 5, default 5)\n"
    "      --max-tokens N         reply length (default 1; 512 with --mode cot)\n"
    "\n"
    "output:\n"
    "      --swap                 also judge with the responses swapped, and print the mean\n"
    "      --dry-run              print the request body and send nothing\n"
    "      --json                 one JSON object instead of text\n"
    "  -h, --help                 show this help\n"
    "\n"
    "exit codes: 0 judged; 1 the judge gave no verdict; 2 usage or input error;\n"
    "3 the endpoint could not be used; 130 interrupted.\n";

/* The judge being run, for the signal handler (programs may keep globals; the library not). */
static cai_judge *volatile running_judge;

static void on_signal(int sig)
{
    (void)sig;
    if (running_judge)
        cai_judge_stop(running_judge);
}

/* The shared endpoint options cai judge takes: the endpoint alone (one request at a time). */
#define JUDGE_EP 0u

enum {
    OPT_PROMPT = 256,
    OPT_RA,
    OPT_RB,
    OPT_PRINCIPLE,
    OPT_MODE,
    OPT_TOP,
    OPT_MAXTOK,
    OPT_SWAP,
    OPT_DRY,
    OPT_JSON
};

typedef struct args {
    const char *prompt, *ra, *rb, *input, *constitution, *principle;
    int swap, dry_run, json;
    cai_judge_opts jo;
    cli_ep ep; /* the endpoint options shared with cai run (its jo is this jo) */
} args;

static int parse_args(int argc, char **argv, args *a)
{
    static const struct option opts[] = {{"prompt", required_argument, NULL, OPT_PROMPT},
                                         {"response-a", required_argument, NULL, OPT_RA},
                                         {"response-b", required_argument, NULL, OPT_RB},
                                         {"input", required_argument, NULL, 'i'},
                                         {"constitution", required_argument, NULL, 'c'},
                                         {"principle", required_argument, NULL, OPT_PRINCIPLE},
                                         {"mode", required_argument, NULL, OPT_MODE},
                                         {"top-logprobs", required_argument, NULL, OPT_TOP},
                                         {"max-tokens", required_argument, NULL, OPT_MAXTOK},
                                         {"swap", no_argument, NULL, OPT_SWAP},
                                         {"dry-run", no_argument, NULL, OPT_DRY},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct option *table = cli_ep_init(&a->ep, "judge", JUDGE_EP, &a->jo, opts);
    int c, v;
    uint64_t u;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hi:c:j:m:", table, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help_text, stdout);
            cli_ep_help_endpoint(JUDGE_EP, "model name (required for HTTP backends)");
            fputs(help_more, stdout);
            return -1;
        case OPT_PROMPT:
            a->prompt = optarg;
            break;
        case OPT_RA:
            a->ra = optarg;
            break;
        case OPT_RB:
            a->rb = optarg;
            break;
        case 'i':
            a->input = optarg;
            break;
        case 'c':
            a->constitution = optarg;
            break;
        case OPT_PRINCIPLE:
            a->principle = optarg;
            break;
        case OPT_MODE:
            v = cai_judge_mode_parse(optarg);
            if (v < 0)
                return cli_bad_value("judge", opts, c, optarg, "choice, cot or rating");
            a->jo.mode = (cai_judge_mode)v;
            break;
        case OPT_TOP:
            if (cli_parse_u64(optarg, 1, 20, &u) != 0)
                return cli_bad_value("judge", opts, c, optarg, NULL);
            a->jo.top_logprobs = (unsigned)u;
            break;
        case OPT_MAXTOK:
            if (cli_parse_u64(optarg, 1, 1000000, &u) != 0)
                return cli_bad_value("judge", opts, c, optarg, NULL);
            a->jo.max_tokens = (unsigned)u;
            break;
        case OPT_SWAP:
            a->swap = 1;
            break;
        case OPT_DRY:
            a->dry_run = 1;
            break;
        case OPT_JSON:
            a->json = 1;
            break;
        default: /* the shared endpoint options, or ':' or '?' */
            if ((v = cli_ep_parse(&a->ep, c, optarg)) < 0)
                return cli_opt_error("judge", table, c, argc, argv);
            if (v != CLI_EXIT_OK)
                return v;
        }
    }
    if (optind < argc)
        return cli_usage("judge", "unexpected argument '%s'", argv[optind]);
    if (a->input && (a->prompt || a->ra || a->rb))
        return cli_usage("judge", "--input and --prompt/--response-a/--response-b exclude "
                                  "each other");
    if (!a->input && (!a->prompt || !a->ra || (!a->rb && a->jo.mode != CAI_MODE_RATING)))
        return cli_usage("judge", "give --prompt, --response-a and --response-b, or --input");
    return cli_ep_check(&a->ep);
}

static const char *verdict_name(cai_verdict v)
{
    switch (v) {
    case CAI_VERDICT_A:
        return "A";
    case CAI_VERDICT_B:
        return "B";
    case CAI_VERDICT_TIE:
        return "tie";
    case CAI_VERDICT_NONE:
        break;
    }
    return "none";
}

/* One order's outcome. */
typedef struct outcome {
    const char *label; /* "AB" or "BA" */
    char *request, *reply;
    cai_judgment res;
    cai_status st;
    char msg[512];
} outcome;

/* The server's count of the prompt beside cai's estimate: a server that cut the prompt to its
 * context reports far fewer. */
static void print_prompt_tokens(const cai_judgment *r)
{
    if (!r->prompt_tokens_reported)
        return;
    printf("prompt tokens: %u reported by the server, about %u estimated by cai%s\n",
           r->prompt_tokens_reported, r->prompt_tokens_estimate,
           r->truncated ? " (TRUNCATED: the server read less than half of the prompt; raise its "
                          "context size)"
                        : "");
}

static void print_text(const outcome *o, int n, const args *a, int dry)
{
    int i;

    for (i = 0; i < n; i++) {
        if (dry) {
            /* Only the bodies, one per line, so that they can be piped to curl. */
            if (o[i].request)
                printf("%s\n", o[i].request);
            else
                cli_error("the builtin judge sends nothing");
            continue;
        }
        if (n > 1)
            printf("== order %s\n", o[i].label);
        if (a->jo.backend == CAI_BACKEND_BUILTIN)
            printf("request: (builtin judge: nothing is sent)\n");
        else
            printf("request:\n%s\n", o[i].request ? o[i].request : "");
        if (o[i].res.cached && !o[i].reply)
            printf("reply: (answered from the cache)\n");
        else if (a->jo.backend != CAI_BACKEND_BUILTIN)
            printf("reply:\n%s\n", o[i].reply ? o[i].reply : "");
        if (o[i].st != CAI_OK) {
            printf("error: %s\n", o[i].msg);
            continue;
        }
        print_prompt_tokens(&o[i].res);
        if (a->jo.mode == CAI_MODE_RATING) {
            printf("score: %.6f%s\n", o[i].res.score,
                   o[i].res.from_logprobs ? " (from log-probabilities)" : "");
            continue;
        }
        printf("verdict: %s\n", verdict_name(o[i].res.verdict));
        printf("P(first): %.6f%s\n", o[i].res.p_first,
               a->jo.backend == CAI_BACKEND_BUILTIN ? " (builtin heuristics)"
               : o[i].res.from_logprobs             ? " (from log-probabilities)"
               : o[i].res.source == CAI_SOURCE_TEXT_FALLBACK
                   ? " (from the text: the reply's log-probabilities could not be read)"
                   : " (from the text)");
    }
}

static cJSON *outcome_json(const outcome *o, const args *a, int dry)
{
    cJSON *j = cJSON_CreateObject();

    cJSON_AddStringToObject(j, "order", o->label);
    if (o->request)
        cJSON_AddStringToObject(j, "request", o->request);
    else
        cJSON_AddNullToObject(j, "request");
    if (dry)
        return j;
    if (o->reply)
        cJSON_AddStringToObject(j, "reply", o->reply);
    else
        cJSON_AddNullToObject(j, "reply");
    if (o->st != CAI_OK) {
        cJSON_AddStringToObject(j, "error", o->msg);
        return j;
    }
    if (a->jo.mode == CAI_MODE_RATING)
        cJSON_AddNumberToObject(j, "score", o->res.score);
    else {
        cJSON_AddStringToObject(j, "verdict", verdict_name(o->res.verdict));
        cJSON_AddNumberToObject(j, "p_first", o->res.p_first);
    }
    cJSON_AddBoolToObject(j, "from_logprobs", o->res.from_logprobs);
    cJSON_AddBoolToObject(j, "cached", o->res.cached);
    cJSON_AddNumberToObject(j, "attempts", o->res.attempts);
    cJSON_AddNumberToObject(j, "prompt_tokens", o->res.prompt_tokens);
    cJSON_AddNumberToObject(j, "completion_tokens", o->res.completion_tokens);
    cJSON_AddNumberToObject(j, "prompt_tokens_estimate", o->res.prompt_tokens_estimate);
    cJSON_AddBoolToObject(j, "truncated", o->res.truncated);
    cJSON_AddStringToObject(j, "source",
                            o->res.source == CAI_SOURCE_LOGPROBS        ? "logprobs"
                            : o->res.source == CAI_SOURCE_TEXT_FALLBACK ? "text_fallback"
                                                                        : "text");
    return j;
}

static int print_json(const outcome *o, int n, const args *a, int dry, double p_a)
{
    cJSON *root = cJSON_CreateObject(), *orders;
    char *text, *url;
    int i;

    cJSON_AddStringToObject(root, "judge", cai_backend_name(a->jo.backend));
    cJSON_AddStringToObject(root, "mode", cai_judge_mode_name(a->jo.mode));
    if (a->jo.model)
        cJSON_AddStringToObject(root, "model", a->jo.model);
    if (a->jo.base_url) {
        url = cai_url_redact(a->jo.base_url);
        cJSON_AddStringToObject(root, "base_url", url ? url : "");
        free(url);
    }
    orders = cJSON_AddArrayToObject(root, "orders");
    for (i = 0; i < n; i++)
        cJSON_AddItemToArray(orders, outcome_json(&o[i], a, dry));
    if (!dry && !isnan(p_a))
        cJSON_AddNumberToObject(root, a->jo.mode == CAI_MODE_RATING ? "score" : "p_a", p_a);
    text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    puts(text);
    cJSON_free(text);
    return 0;
}

static int judge_main(args *a)
{
    cai_error err = {0};
    cai_constitution *c = NULL;
    cai_reader *r = NULL;
    cai_judge *j = NULL;
    const cai_record *rec = NULL;
    cai_message msg = {CAI_ROLE_USER, NULL};
    cai_principle fallback = {
        "overall", "Which response is more helpful, honest and harmless?", 1.0, NULL, 0, NULL, NULL,
        "built-in"};
    const cai_principle *pr = &fallback;
    cai_judge_task task;
    outcome o[2];
    const char *first, *second;
    int n = 1, i, rc = CLI_EXIT_OK;
    double p_a = NAN;

    memset(o, 0, sizeof(o));
    memset(&task, 0, sizeof(task));
    if (a->constitution) {
        if (cai_constitution_load(&c, a->constitution, &err) != CAI_OK) {
            cli_error("%s", err.msg);
            return CLI_EXIT_USAGE;
        }
        if (cai_constitution_count(c) == 0) {
            cli_error("%s: no principles", a->constitution);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        pr = cai_constitution_principle(c, 0);
        if (a->principle) {
            long idx = cai_constitution_find(c, a->principle);

            if (idx < 0) {
                cli_error("%s: no principle '%s'", a->constitution, a->principle);
                rc = CLI_EXIT_USAGE;
                goto done;
            }
            pr = cai_constitution_principle(c, (size_t)idx);
        }
    } else if (a->principle) {
        rc = cli_usage("judge", "--principle needs --constitution");
        goto done;
    }

    if (a->input) {
        cai_reader_opts ro = CAI_READER_OPTS_INIT;
        cai_status st;

        if (cai_reader_create(&r, a->input, &ro, &err) != CAI_OK) {
            cli_error("%s", err.msg);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        st = cai_reader_next(r, &rec, &err);
        if (st == CAI_ITEROVER) {
            cli_error("%s: no records", a->input);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (st != CAI_OK) {
            cli_error("%s", err.msg);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (rec->n_responses < 2) {
            cli_error("%s:%llu: fewer than two responses", a->input, (unsigned long long)rec->line);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        task.cmp.context = rec->context;
        task.cmp.n_context = rec->n_context;
        first = rec->responses[0];
        second = rec->responses[1];
    } else {
        msg.content = a->prompt;
        task.cmp.context = &msg;
        task.cmp.n_context = 1;
        first = a->ra;
        second = a->rb;
    }
    task.cmp.principle = pr;

    if (!a->dry_run && (rc = cli_ep_load_key(&a->ep)) != CLI_EXIT_OK)
        goto done;
    if (cai_judge_create(&j, &a->jo, c, &err) != CAI_OK ||
        (!a->dry_run && cai_judge_check_endpoints(j, &err) != CAI_OK)) {
        cli_error("%s", err.msg);
        rc = cli_exit_code(err.code);
        goto done;
    }

    if (a->swap && second)
        n = 2;
    o[0].label = "AB";
    o[1].label = "BA";
    running_judge = j;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    for (i = 0; i < n; i++) {
        cai_error e = {0};

        task.cmp.first = i == 0 ? first : second;
        task.cmp.second = a->jo.mode == CAI_MODE_RATING ? NULL : i == 0 ? second : first;
        if (a->dry_run) {
            if (cai_judge_request_body(j, &task, &o[i].request, &e) != CAI_OK) {
                cli_error("%s", e.msg);
                rc = cli_exit_code(e.code);
                break;
            }
            continue;
        }
        o[i].st = cai_judge_one(j, &task, &o[i].res, &o[i].request, &o[i].reply, &e);
        snprintf(o[i].msg, sizeof(o[i].msg), "%s", e.msg);
        if (o[i].st == CAI_EINTERRUPTED) {
            rc = CLI_EXIT_INTERRUPTED;
            break;
        }
        if (o[i].st != CAI_OK && rc == CLI_EXIT_OK)
            rc = cli_exit_code(o[i].st);
    }
    running_judge = NULL;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (rc == CLI_EXIT_OK && !a->dry_run) {
        if (a->jo.mode == CAI_MODE_RATING) {
            p_a = o[0].res.score;
        } else {
            p_a = o[0].res.p_first;
            if (n == 2)
                p_a = (o[0].res.p_first + (1.0 - o[1].res.p_first)) / 2.0;
        }
    }
    if (rc == CLI_EXIT_OK || rc == CLI_EXIT_FINDINGS || rc == CLI_EXIT_UNAVAILABLE) {
        if (a->json) {
            if (print_json(o, n, a, a->dry_run, p_a) != 0) {
                cli_error("out of memory");
                rc = CLI_EXIT_USAGE;
            }
        } else {
            print_text(o, n, a, a->dry_run);
            if (!a->dry_run && !isnan(p_a)) {
                if (a->jo.mode == CAI_MODE_RATING)
                    printf("score: %.6f\n", p_a);
                else if (n == 2)
                    printf("P(A): %.6f (mean of both orders)\n", p_a);
                else
                    printf("P(A): %.6f\n", p_a);
            }
        }
        for (i = 0; i < n; i++)
            if (o[i].st != CAI_OK)
                cli_error("%s", o[i].msg);
    } else if (rc == CLI_EXIT_INTERRUPTED)
        cli_error("interrupted");
done:
    for (i = 0; i < 2; i++) {
        free(o[i].request);
        free(o[i].reply);
    }
    cai_judge_free(j);
    cai_reader_free(r);
    cai_constitution_free(c);
    return rc;
}

int cmd_judge(int argc, char **argv)
{
    args a;
    int rc;

    memset(&a, 0, sizeof(a));
    a.jo = CAI_JUDGE_OPTS_INIT;
    rc = parse_args(argc, argv, &a);
    if (rc == 0)
        rc = judge_main(&a);
    else if (rc < 0)
        rc = CLI_EXIT_OK; /* --help */
    cli_ep_dispose(&a.ep);
    return rc;
}
