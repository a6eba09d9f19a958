/* SPDX-License-Identifier: MIT */
/* `cai route`: picks the pairs a human should look at and exports them for labelling. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char help_text[] =
    "usage: cai route DATASET... --count N -o OUT\n"
    "                 [--by uncertain|disagree|principles|random|mix]\n"
    "\n"
    "Reads a labelled dataset (a cai output directory or JSONL files) once and picks up to N\n"
    "pairs for a human to label, keeping only N in memory:\n"
    "  uncertain   smallest |p_chosen - 0.5| first (default)\n"
    "  disagree    pairs whose two presentation orders disagree (cai.orders_agree false),\n"
    "              least certain first\n"
    "  random      a seeded random audit sample (a hash of seed and pair id)\n"
    "  mix         a quarter random audit, the rest disagreeing orders, then uncertain\n"
    "  principles  pairs whose principles disagree most (cai.principle_p_chosen): the\n"
    "              largest share of principles on the minority side of 0.5, then the\n"
    "              largest spread max p - min p; only pairs judged by 2+ principles\n"
    "OUT (new or empty) receives tasks.json (Label Studio import), labeling-config.xml (its\n"
    "<Pairwise> config), tasks.jsonl ({id, prompt, a, b, reason} per line, for Argilla or\n"
    "scripts) and route.json. Slots a and b show the input's response_a and response_b,\n"
    "swapped by a hash of (seed, id): never by the AI label. Give cai mix the same --seed.\n"
    "\n"
    "options:\n"
    "  -n, --count N     pairs to export (required, 1 to 16777216)\n"
    "  --by WHAT         uncertain (default), disagree, principles, random, mix\n"
    "  --seed N          random sample and shown order (default 0)\n"
    "  -o, --output OUT  output directory (required)\n"
    "  --json            print the report as one JSON object\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit codes: 0 done; 2 usage error, unreadable or invalid dataset, OUT not usable.\n";

enum { OPT_BY = 256, OPT_SEED, OPT_JSON };

int cmd_route(int argc, char **argv)
{
    static const struct option opts[] = {{"count", required_argument, NULL, 'n'},
                                         {"by", required_argument, NULL, OPT_BY},
                                         {"seed", required_argument, NULL, OPT_SEED},
                                         {"output", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    cai_route_opts o = CAI_ROUTE_OPTS_INIT;
    cai_route_report rep;
    cai_error err = {0};
    const char *out = NULL;
    int c, json = 0, by;
    char *text;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hn:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help_text, stdout);
            return CLI_EXIT_OK;
        case 'n':
            if (cli_parse_u64(optarg, 1, (uint64_t)1 << 24, &o.count) != 0)
                return cli_bad_value("route", opts, c, optarg, NULL);
            break;
        case OPT_BY:
            by = cai_route_by_parse(optarg);
            if (by < 0)
                return cli_usage("route", "--by: unknown criterion '%s'", optarg);
            o.by = (cai_route_by)by;
            break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, 0, UINT64_MAX, &o.seed) != 0)
                return cli_bad_value("route", opts, c, optarg, NULL);
            break;
        case 'o':
            out = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        default: /* ':' or '?' */
            return cli_opt_error("route", opts, c, argc, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("route", "no DATASET given");
    if (o.count == 0)
        return cli_usage("route", "--count N is required");
    if (!out)
        return cli_usage("route", "-o OUT is required");
    if (cai_route_run(&rep, (const char *const *)argv + optind, (size_t)(argc - optind), out, &o,
                      &err) != CAI_OK) {
        cli_error("%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    if (json) {
        text = cai_route_report_json(&rep, &o);
        if (!text) {
            cli_error("out of memory");
            return CLI_EXIT_USAGE;
        }
        fputs(text, stdout);
        free(text);
    } else {
        printf("route: %llu of %llu pairs to %s (uncertain %llu, disagree %llu, random %llu, "
               "principles %llu)\n",
               (unsigned long long)rep.selected, (unsigned long long)rep.records, out,
               (unsigned long long)rep.by_reason[0], (unsigned long long)rep.by_reason[1],
               (unsigned long long)rep.by_reason[2], (unsigned long long)rep.by_reason[3]);
        if (!rep.orders_known && (o.by == CAI_ROUTE_DISAGREE || o.by == CAI_ROUTE_MIX))
            printf("route: the records say nothing about order agreement (a --no-swap run)\n");
    }
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
