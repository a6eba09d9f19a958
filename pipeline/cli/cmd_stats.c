/* SPDX-License-Identifier: MIT */
/* `cai stats`: prints counts, lengths, label and bias statistics of a dataset, per split. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
    "usage: cai stats [options] PATH...\n"
    "\n"
    "Reads datasets (directories or JSONL files, plain or gzip) once and prints, per split:\n"
    "record counts, length distributions (min/median/p90/max characters) of prompt, chosen\n"
    "and rejected, the p_chosen histogram, position and length bias (share and binomial\n"
    "p-value), the shown position (judgments won by the first- vs second-shown response),\n"
    "agreement with human labels (95% Wilson interval), and per-principle win rates and\n"
    "order consistency. Lines that are not valid\n"
    "records are counted; run 'cai validate' to see why.\n"
    "\n"
    "options:\n"
    "  --format FMT   auto (default), trl, conversational, hh, pairs, candidates, sft,\n"
    "                 messages\n"
    "  --json         print one JSON object instead of text\n"
    "  --svg FILE     also draw the histograms into FILE, a standalone SVG document\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit codes: 0 done; 2 usage error or unreadable input.\n";

enum { OPT_FORMAT = 256, OPT_JSON, OPT_SVG };

int cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, OPT_FORMAT},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"svg", required_argument, NULL, OPT_SVG},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    cai_stats_opts o = CAI_STATS_OPTS_INIT;
    cai_stats *s = NULL;
    cai_error err = {0};
    const char *svg = NULL;
    int c, json = 0, fmt, rc = CLI_EXIT_OK;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help_text, stdout);
            return CLI_EXIT_OK;
        case OPT_FORMAT:
            fmt = cai_format_parse(optarg);
            if (fmt < 0)
                return cli_bad_value("stats", opts, c, optarg,
                                     "auto, pairs, candidates, hh, trl or conversational");
            o.format = (cai_format)fmt;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_SVG:
            svg = optarg;
            break;
        default: /* ':' or '?' */
            return cli_opt_error("stats", opts, c, argc, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("stats", "no PATH given");
    if (cai_stats_collect(&s, (const char *const *)argv + optind, (size_t)(argc - optind), &o,
                          &err) != CAI_OK) {
        cli_error("%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    rc = cli_print_report(json ? cai_stats_json(s) : cai_stats_text(s), json);
    if (rc == CLI_EXIT_OK && svg)
        rc = cli_write_report(svg, cai_stats_svg(s));
    cai_stats_free(s);
    if (fflush(stdout) != 0)
        rc = CLI_EXIT_USAGE;
    return rc;
}
