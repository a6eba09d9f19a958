/* SPDX-License-Identifier: MIT */
/* The endpoint options that cai run, judge, sample and revise share: one table, parser and help. */
#include "cli.h"
#include "key.h"

#include <stdio.h>
#include <string.h>

enum {
    EP_BASE_URL = CLI_EP_OPT_BASE,
    EP_ENDPOINTS,
    EP_API_KEY_ENV,
    EP_API_KEY_FILE,
    EP_CA_BUNDLE,
    EP_TIMEOUT,
    EP_CONCURRENCY,
    EP_MAX_RETRIES,
    EP_DOWN_TIMEOUT,
    EP_RPM,
    EP_TPM,
    EP_CACHE_DIR,
    EP_PRICE_INPUT,
    EP_PRICE_OUTPUT,
    EP_PRICE_CACHED,
    EP_MAX_COST
};

/* Each shared option with the group (CLI_EP_*) that brings it; 0: every command has it. The
 * order is the order of cli_opt_error's lists (an ambiguous --price names them in this order). */
static const struct {
    struct option o;
    unsigned group;
} shared[] = {
    {{"judge", required_argument, NULL, 'j'}, 0},
    {{"base-url", required_argument, NULL, EP_BASE_URL}, 0},
    {{"endpoints", required_argument, NULL, EP_ENDPOINTS}, 0},
    {{"model", required_argument, NULL, 'm'}, 0},
    {{"api-key-env", required_argument, NULL, EP_API_KEY_ENV}, 0},
    {{"api-key-file", required_argument, NULL, EP_API_KEY_FILE}, 0},
    {{"ca-bundle", required_argument, NULL, EP_CA_BUNDLE}, 0},
    {{"timeout", required_argument, NULL, EP_TIMEOUT}, 0},
    {{"concurrency", required_argument, NULL, EP_CONCURRENCY}, CLI_EP_TRAFFIC},
    {{"max-retries", required_argument, NULL, EP_MAX_RETRIES}, CLI_EP_TRAFFIC},
    {{"judge-down-timeout", required_argument, NULL, EP_DOWN_TIMEOUT}, CLI_EP_TRAFFIC},
    {{"rpm", required_argument, NULL, EP_RPM}, CLI_EP_TRAFFIC},
    {{"tpm", required_argument, NULL, EP_TPM}, CLI_EP_TRAFFIC},
    {{"cache-dir", required_argument, NULL, EP_CACHE_DIR}, CLI_EP_CACHE},
    {{"price-input", required_argument, NULL, EP_PRICE_INPUT}, CLI_EP_COST},
    {{"price-output", required_argument, NULL, EP_PRICE_OUTPUT}, CLI_EP_COST},
    {{"price-cached-input", required_argument, NULL, EP_PRICE_CACHED}, CLI_EP_CACHED_PRICE},
    {{"max-cost", required_argument, NULL, EP_MAX_COST}, CLI_EP_COST},
};

const struct option *cli_ep_init(
    cli_ep *e, const char *cmd, unsigned flags, cai_judge_opts *jo, const struct option *own)
{
    size_t n = 0, i;

    memset(e, 0, sizeof(*e));
    e->cmd = cmd;
    e->flags = flags;
    e->jo = jo;
    if (flags & CLI_EP_POLICY)
        jo->backend = CAI_BACKEND_OPENAI;
    for (i = 0; own[i].name && n < CLI_EP_TABLE_MAX - 1; i++)
        e->table[n++] = own[i];
    for (i = 0; i < sizeof(shared) / sizeof(shared[0]) && n < CLI_EP_TABLE_MAX - 1; i++)
        if ((shared[i].group & flags) == shared[i].group)
            e->table[n++] = shared[i].o;
    memset(&e->table[n], 0, sizeof(e->table[n]));
    return e->table;
}

static int bad(cli_ep *e, int c, const char *arg, const char *expected)
{
    return cli_bad_value(e->cmd, e->table, c, arg, expected);
}

int cli_ep_parse(cli_ep *e, int c, const char *arg)
{
    cai_judge_opts *jo = e->jo;
    uint64_t u;
    int v;

    switch (c) {
    case 'j':
        v = cai_backend_parse(arg);
        if (v < 0 || (v == CAI_BACKEND_BUILTIN && (e->flags & CLI_EP_POLICY)))
            return bad(e, c, arg,
                       e->flags & CLI_EP_POLICY ? "openai, completions or anthropic"
                                                : "builtin, openai, completions or anthropic");
        jo->backend = (cai_backend)v;
        return CLI_EXIT_OK;
    case 'm':
        jo->model = arg;
        return CLI_EXIT_OK;
    case EP_BASE_URL:
        return cli_endpoints_add(&e->eps, arg) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    case EP_ENDPOINTS:
        return cli_endpoints_file(&e->eps, arg) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    case EP_API_KEY_ENV:
        e->key_env = arg;
        return CLI_EXIT_OK;
    case EP_API_KEY_FILE:
        e->key_file = arg;
        return CLI_EXIT_OK;
    case EP_CA_BUNDLE:
        jo->ca_bundle = arg;
        return CLI_EXIT_OK;
    case EP_TIMEOUT:
        return cli_parse_double(arg, 0.001, 86400, &jo->timeout_s) ? bad(e, c, arg, NULL)
                                                                   : CLI_EXIT_OK;
    case EP_CONCURRENCY:
        if (cli_parse_u64(arg, 1, 100000, &u))
            return bad(e, c, arg, NULL);
        jo->concurrency = (unsigned)u;
        return CLI_EXIT_OK;
    case EP_MAX_RETRIES:
        if (cli_parse_u64(arg, 0, 1000, &u))
            return bad(e, c, arg, NULL);
        jo->max_retries = (unsigned)u;
        return CLI_EXIT_OK;
    case EP_DOWN_TIMEOUT:
        return cli_parse_double(arg, 0.001, 86400, &jo->down_timeout_s) ? bad(e, c, arg, NULL)
                                                                        : CLI_EXIT_OK;
    case EP_RPM:
        return cli_parse_double(arg, 0, 1e9, &jo->rpm) ? bad(e, c, arg, NULL) : CLI_EXIT_OK;
    case EP_TPM:
        return cli_parse_double(arg, 0, 1e12, &jo->tpm) ? bad(e, c, arg, NULL) : CLI_EXIT_OK;
    case EP_CACHE_DIR:
        jo->cache_dir = arg;
        return CLI_EXIT_OK;
    case EP_PRICE_INPUT:
        return cli_parse_double(arg, 0, 1e6, &e->price_input) ? bad(e, c, arg, NULL) : CLI_EXIT_OK;
    case EP_PRICE_OUTPUT:
        return cli_parse_double(arg, 0, 1e6, &e->price_output) ? bad(e, c, arg, NULL) : CLI_EXIT_OK;
    case EP_PRICE_CACHED:
        return cli_parse_double(arg, 0, 1e6, &e->price_cached_input) ? bad(e, c, arg, NULL)
                                                                     : CLI_EXIT_OK;
    case EP_MAX_COST:
        return cli_parse_double(arg, 1e-9, 1e9, &e->max_cost) ? bad(e, c, arg, NULL) : CLI_EXIT_OK;
    default:
        return -1;
    }
}

int cli_ep_check(cli_ep *e)
{
    cli_endpoints_apply(&e->eps, e->jo);
    if (e->jo->backend != CAI_BACKEND_BUILTIN && !e->jo->model)
        return cli_usage(e->cmd, "--model is required with --judge %s",
                         cai_backend_name(e->jo->backend));
    if (e->max_cost > 0 && !(e->price_input > 0) && !(e->price_output > 0))
        return cli_usage(e->cmd, "--max-cost needs --price-input and --price-output (USD per "
                                 "million tokens)");
    return CLI_EXIT_OK;
}

int cli_ep_load_key(cli_ep *e)
{
    int rc;

    if (e->jo->backend == CAI_BACKEND_BUILTIN)
        return CLI_EXIT_OK;
    rc = cli_load_key(e->jo->backend, e->key_env, e->key_file, &e->key);
    if (rc == CLI_EXIT_OK)
        e->jo->api_key = e->key;
    return rc;
}

void cli_ep_dispose(cli_ep *e)
{
    cli_endpoints_free(&e->eps);
    cli_free_key(e->key);
    e->key = NULL;
    if (e->jo)
        e->jo->api_key = NULL;
}

/* ---- help ---------------------------------------------------------------------------------- */

static const char help_judge[] =
    "  -j, --judge NAME           builtin (default, offline heuristics), openai, completions,\n"
    "                             anthropic\n";

static const char help_policy[] =
    "  -j, --judge NAME           the backend: which API to call: openai (default),\n"
    "                             completions, anthropic\n";

static const char help_endpoint[] =
    "      --base-url URL         endpoint base (default: the provider's public API); repeat\n"
    "                             it for replicas of one model: least-outstanding balancing,\n"
    "                             failover, all must list --model at /models\n"
    "      --endpoints FILE       the endpoints, one URL a line (# comments)\n"
    "      --api-key-env NAME     variable holding the key (default OPENAI_API_KEY or\n"
    "                             ANTHROPIC_API_KEY); keys are never taken from the command line\n"
    "      --api-key-file FILE    read the key from a file instead (first line)\n"
    "      --ca-bundle FILE       CA certificates for TLS (verification is always on)\n"
    "      --timeout S            per-request timeout in seconds (default 60)\n";

static const char help_traffic[] =
    "      --concurrency N        requests in flight (default 64)\n"
    "      --max-retries N        retries per request (default 8)\n"
    "      --judge-down-timeout S  stop (exit 3, resumable) when the endpoint has been\n"
    "                             unreachable this long (default 60); one that refuses\n"
    "                             connections or the key (401/403) before its first reply\n"
    "                             stops at once\n"
    "      --rpm N, --tpm N       client-side request and token rate limits per minute\n";

static const char help_cache[] =
    "      --cache-dir DIR        reuse answers to identical requests across runs\n";

static const char help_cost[] =
    "      --price-input USD      price per million prompt tokens (for cost estimates)\n"
    "      --price-output USD     price per million completion tokens\n";

static const char help_cached_price[] =
    "      --price-cached-input USD  price per million prompt tokens the server read from its\n"
    "                             prefix cache (default: --price-input)\n";

static const char help_max_cost[] =
    "      --max-cost USD         stop sending before the estimated spend (the journal's and\n"
    "                             this run's, answered and in flight) passes USD; exit 4;\n"
    "                             rerun with a higher cap to continue (needs the prices)\n";

void cli_ep_help_endpoint(unsigned flags, const char *model)
{
    fputs(flags & CLI_EP_POLICY ? help_policy : help_judge, stdout);
    printf("  -m, --model NAME           %s\n", model);
    fputs(help_endpoint, stdout);
    if (flags & CLI_EP_TRAFFIC)
        fputs(help_traffic, stdout);
    if (flags & CLI_EP_CACHE)
        fputs(help_cache, stdout);
}

void cli_ep_help_cost(unsigned flags)
{
    if (!(flags & CLI_EP_COST))
        return;
    fputs(help_cost, stdout);
    if ((flags & CLI_EP_CACHED_PRICE) == CLI_EP_CACHED_PRICE)
        fputs(help_cached_price, stdout);
    fputs(help_max_cost, stdout);
}
