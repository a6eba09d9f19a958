/* SPDX-License-Identifier: MIT */
/* `cai agree`: prints how often a dataset's AI labels agree with human labels. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char help_text[] =
    "usage: cai agree [options] DATASET\n"
    "\n"
    "Agreement of the AI label (cai.chosen_position) with the human label, over the pairs of a\n"
    "`cai run` dataset that have one (cai.has_human_label: HH and TRL chosen/rejected inputs),\n"
    "with a 95% Wilson interval; broken down by principle, by shown position (which\n"
    "presentation slot won more of the pair's judgments), by length (chosen longer or shorter,\n"
    "in characters), by data file (records do not name their input file: the shard files stand\n"
    "in), and by confidence |p_chosen - 0.5| (bins of 0.05); and a confusion table. One\n"
    "streaming pass; memory does not grow with the dataset (with --human, the labels are held).\n"
    "\n"
    "options:\n"
    "  --human FILE   human labels from FILE instead of the dataset's own: JSONL, one\n"
    "                 {\"id\": ID, \"chosen\": \"a\"|\"b\"} per line (\"a\" = the input's\n"
    "                 response_a), or a human-labelled cai dataset directory\n"
    "  --json         print one JSON object instead of text\n"
    "  --svg FILE     also write agreement against confidence to FILE (standalone SVG)\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit codes: 0 done; 1 agreement is not above chance (the 95% interval lies at or below\n"
    "0.5); 2 usage error, unreadable or invalid input, no human labels, a label naming an id\n"
    "not in the dataset, a duplicate id, or a label other than a or b (FILE:LINE: reason).\n";

enum { OPT_HUMAN = 256, OPT_JSON, OPT_SVG };

int cmd_agree(int argc, char **argv)
{
    static const struct option opts[] = {{"human", required_argument, NULL, OPT_HUMAN},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"svg", required_argument, NULL, OPT_SVG},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    cai_agreement_opts o = CAI_AGREEMENT_OPTS_INIT;
    cai_agreement *a = NULL;
    cai_agree_summary s;
    cai_error err = {0};
    const char *svg = NULL;
    int c, json = 0, rc = CLI_EXIT_OK;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help_text, stdout);
            return CLI_EXIT_OK;
        case OPT_HUMAN:
            o.human = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_SVG:
            svg = optarg;
            break;
        default: /* ':' or '?' */
            return cli_opt_error("agree", opts, c, argc, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("agree", "no DATASET given");
    if (optind + 1 < argc)
        return cli_usage("agree", "one DATASET only");
    if (cai_agreement_collect(&a, argv[optind], &o, &err) != CAI_OK) {
        cli_error("%s", err.msg);
        return cli_exit_code(err.code);
    }
    rc = cli_print_report(json ? cai_agreement_json(a) : cai_agreement_text(a), json);
    if (rc == CLI_EXIT_OK && svg)
        rc = cli_write_report(svg, cai_agreement_svg(a));
    cai_agreement_overall(a, &s);
    if (rc == CLI_EXIT_OK && s.at_or_below)
        rc = CLI_EXIT_FINDINGS;
    cai_agreement_free(a);
    if (fflush(stdout) != 0)
        rc = CLI_EXIT_USAGE;
    return rc;
}
