/* SPDX-License-Identifier: MIT */
/* `cai calibrate`: fits a calibration to human labels, reports it, writes or saves it. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
    "usage: cai calibrate [options] DATASET [-o DIR | --save FILE]\n"
    "\n"
    "Fits a temperature T, P'(A) = sigmoid(logit(P(A)) / T), or with --method platt\n"
    "P'(A) = sigmoid(a * logit(P(A)) + b), to human labels by minimising the log-loss on the\n"
    "labelled pairs outside a held-out part (chosen by a hash of the pair id), and reports\n"
    "log-loss and expected calibration error (ECE: 10 equal-width bins of max(p, 1 - p)) on\n"
    "the held-out part before and after. Memory holds 16 to 32 bytes per labelled pair; the\n"
    "dataset itself streams.\n"
    "\n"
    "options:\n"
    "  --human FILE         the human labels: JSONL, one {\"id\": ID, \"chosen\": \"a\"|\"b\"}\n"
    "                       per line (\"a\" = the input's response_a), or a human-labelled cai\n"
    "                       dataset directory; default: DATASET's own labels\n"
    "                       (cai.human_chosen_position where cai.has_human_label)\n"
    "  --method M           temperature (default) or platt\n"
    "  --holdout F          share of labelled pairs held out for the report (default 0.3;\n"
    "                       0 = fit and report on all)\n"
    "  -o, --output DIR     write the calibrated dataset to DIR (new or empty): same files\n"
    "                       and schema, p_chosen and margin recalibrated, the calibration in\n"
    "                       manifest.json and the card\n"
    "  --save FILE          store the fitted calibration as JSON\n"
    "  --json               print the report as one JSON object\n"
    "  --svg FILE           write the reliability diagram (before and after) to FILE\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit codes: 0 done; 1 the calibration made the held-out log-loss worse (the output is\n"
    "still written); 2 usage error, unreadable or invalid input, no human labels, a label\n"
    "naming an id not in the dataset, a duplicate id, a label other than a or b, an output\n"
    "directory that is not empty.\n";

enum { OPT_HUMAN = 256, OPT_METHOD, OPT_HOLDOUT, OPT_SAVE, OPT_JSON, OPT_SVG };

int cmd_calibrate(int argc, char **argv)
{
    static const struct option opts[] = {{"human", required_argument, NULL, OPT_HUMAN},
                                         {"method", required_argument, NULL, OPT_METHOD},
                                         {"holdout", required_argument, NULL, OPT_HOLDOUT},
                                         {"output", required_argument, NULL, 'o'},
                                         {"save", required_argument, NULL, OPT_SAVE},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"svg", required_argument, NULL, OPT_SVG},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    cai_calibrate_opts o = CAI_CALIBRATE_OPTS_INIT;
    cai_calibrate *c = NULL;
    cai_calib_metrics m;
    cai_error err = {0};
    const char *svg = NULL, *out = NULL, *save = NULL;
    int ch, json = 0, rc = CLI_EXIT_OK;
    char *text;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            fputs(help_text, stdout);
            return CLI_EXIT_OK;
        case OPT_HUMAN:
            o.human = optarg;
            break;
        case OPT_METHOD:
            if (strcmp(optarg, "temperature") == 0)
                o.method = CAI_CALIB_TEMPERATURE;
            else if (strcmp(optarg, "platt") == 0)
                o.method = CAI_CALIB_PLATT;
            else
                return cli_bad_value("calibrate", opts, ch, optarg, "temperature or platt");
            break;
        case OPT_HOLDOUT:
            if (cli_parse_double(optarg, 0, 0.9, &o.holdout) != 0)
                return cli_bad_value("calibrate", opts, ch, optarg, NULL);
            break;
        case 'o':
            out = optarg;
            break;
        case OPT_SAVE:
            save = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_SVG:
            svg = optarg;
            break;
        default: /* ':' or '?' */
            return cli_opt_error("calibrate", opts, ch, argc, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("calibrate", "no DATASET given");
    if (optind + 1 < argc)
        return cli_usage("calibrate", "one DATASET only");
    if (out && !*out)
        return cli_usage("calibrate", "-o needs a directory");
    if (cai_calibrate_fit(&c, argv[optind], &o, &err) != CAI_OK) {
        cli_error("%s", err.msg);
        return cli_exit_code(err.code);
    }
    rc = cli_print_report(json ? cai_calibrate_json(c) : cai_calibrate_text(c), json);
    if (rc == CLI_EXIT_OK && svg)
        rc = cli_write_report(svg, cai_calibrate_svg(c));
    if (rc == CLI_EXIT_OK && save) {
        char *line = NULL;
        text = cai_calibrate_json(c);
        if (text && (line = malloc(strlen(text) + 2)) != NULL)
            sprintf(line, "%s\n", text);
        if (!line || cli_write_file(save, line) != 0)
            rc = CLI_EXIT_USAGE;
        free(line);
        free(text);
    }
    if (rc == CLI_EXIT_OK && out && cai_calibrate_write(c, out, &err) != CAI_OK) {
        cli_error("%s", err.msg);
        rc = cli_exit_code(err.code);
    }
    cai_calibrate_metrics(c, &m);
    if (rc == CLI_EXIT_OK && m.logloss_after > m.logloss_before) {
        cli_error("warning: the calibration made the held-out log-loss worse (%.4f -> %.4f)",
                  m.logloss_before, m.logloss_after);
        rc = CLI_EXIT_FINDINGS;
    }
    cai_calibrate_free(c);
    if (fflush(stdout) != 0)
        rc = CLI_EXIT_USAGE;
    return rc;
}
