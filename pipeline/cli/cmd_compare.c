/* SPDX-License-Identifier: MIT */
/* `cai compare`: prints what changed between two runs over the same pairs. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char help_text[] =
    "usage: cai compare [options] RUN_A RUN_B\n"
    "\n"
    "Compares two datasets over the same pairs (another constitution, judge, model or\n"
    "settings), matched by pair id: labels that flipped (the chosen position differs),\n"
    "agreement between the runs (95% Wilson interval), the pairs whose P(response_a) changed\n"
    "most, per-principle flips and changes (principles of each run), each run's agreement with\n"
    "human labels where records have them, and pairs present in only one run.\n"
    "P(response_a) is p_chosen when cai.chosen_position is \"a\", else 1 - p_chosen: it is\n"
    "comparable across runs whose choices differ, p_chosen alone is not.\n"
    "Memory: RUN_A's pairs are held in a hash table, 53 to 107 bytes per pair (a hash of the\n"
    "id, P(A), labels); RUN_B streams.\n"
    "\n"
    "options:\n"
    "  --top N          list the N pairs with the largest change (default 10, at most 10000)\n"
    "  --flipped FILE   write the ids of the flipped pairs to FILE, one per line\n"
    "  --json           print one JSON object instead of text\n"
    "  -h, --help       show this help\n"
    "\n"
    "exit codes: 0 done; 2 usage error, unreadable or invalid input, a record without an id, an\n"
    "id twice in one run (FILE:LINE: reason), no pair in common.\n";

enum { OPT_TOP = 256, OPT_FLIPPED, OPT_JSON };

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {{"top", required_argument, NULL, OPT_TOP},
                                         {"flipped", required_argument, NULL, OPT_FLIPPED},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    cai_compare_opts o = CAI_COMPARE_OPTS_INIT;
    cai_compare *c = NULL;
    cai_error err = {0};
    uint64_t n;
    int ch, json = 0, rc = CLI_EXIT_OK;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            fputs(help_text, stdout);
            return CLI_EXIT_OK;
        case OPT_TOP:
            if (cli_parse_u64(optarg, 1, 10000, &n) != 0)
                return cli_bad_value("compare", opts, ch, optarg, NULL);
            o.top_n = (size_t)n;
            break;
        case OPT_FLIPPED:
            o.flipped_path = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        default: /* ':' or '?' */
            return cli_opt_error("compare", opts, ch, argc, argv);
        }
    }
    if (argc - optind != 2)
        return cli_usage("compare", "needs two datasets, RUN_A and RUN_B");
    if (cai_compare_runs(&c, argv[optind], argv[optind + 1], &o, &err) != CAI_OK) {
        cli_error("%s", err.msg);
        return cli_exit_code(err.code);
    }
    rc = cli_print_report(json ? cai_compare_json(c) : cai_compare_text(c), json);
    cai_compare_free(c);
    if (fflush(stdout) != 0)
        rc = CLI_EXIT_USAGE;
    return rc;
}
