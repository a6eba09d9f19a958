/* SPDX-License-Identifier: MIT */
/* `cai mix`: writes a new dataset in which human answers replace the AI's labels. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
    "usage: cai mix DATASET --human ANSWERS... -o OUT [options]\n"
    "\n"
    "Reads human answers and writes DATASET again into OUT (a new directory): every record in\n"
    "its split and order, with \"label_source\": \"ai\" (no answer), \"both\" (the human chose\n"
    "the AI's side) or \"human\" (the other side, or a kept tie). Answered pairs get the\n"
    "human's side with p_chosen = --human-p and its margin. Then manifest, card and the same\n"
    "validation as 'cai run'. Answers (any mix of files):\n"
    "  Label Studio JSON export  tasks with data.id and annotations[].result[] of type\n"
    "                            pairwise (value.selected left = a, right = b)\n"
    "  plain JSONL               {\"id\": ID, \"chosen\": \"a\" | \"b\" | \"tie\"} per line\n"
    "  Argilla JSONL             {\"id\": ID, \"responses\": {\"preference\": [{\"value\": "
    "...}]}}\n"
    "a and b are the slots cai route exported (give the same --seed).\n"
    "\n"
    "options:\n"
    "  --human FILE          answers; repeatable, and files after it until the next option\n"
    "  -o, --output OUT      output directory (required; new or empty)\n"
    "  --human-p P           p_chosen of a human label (default 0.95; 0.5 < P < 1)\n"
    "  --human-ties WHAT     drop (default): leave the pair out; keep: p_chosen 0.5\n"
    "  --weight-human W      add a float \"weight\" column: W for human labels (default 1)\n"
    "  --weight-ai W         ... and W for AI labels (default 1); no column without either\n"
    "  --seed N              the seed cai route used (default 0)\n"
    "  --argilla-question Q  the Argilla question holding the answer (default preference)\n"
    "  --json                print the report as one JSON object\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit codes: 0 done; 1 the dataset written fails validation; 2 usage error, unreadable\n"
    "or invalid dataset or answers (unknown or duplicate id, an answer not a/b/tie, malformed\n"
    "JSON: nothing is written).\n";

enum { OPT_HUMAN = 256, OPT_HUMAN_P, OPT_TIES, OPT_WH, OPT_WA, OPT_SEED, OPT_Q, OPT_JSON };

int cmd_mix(int argc, char **argv)
{
    static const struct option opts[] = {{"human", required_argument, NULL, OPT_HUMAN},
                                         {"output", required_argument, NULL, 'o'},
                                         {"human-p", required_argument, NULL, OPT_HUMAN_P},
                                         {"human-ties", required_argument, NULL, OPT_TIES},
                                         {"weight-human", required_argument, NULL, OPT_WH},
                                         {"weight-ai", required_argument, NULL, OPT_WA},
                                         {"seed", required_argument, NULL, OPT_SEED},
                                         {"argilla-question", required_argument, NULL, OPT_Q},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    cai_mix_opts o = CAI_MIX_OPTS_INIT;
    cai_mix_report rep;
    cai_error err = {0};
    const char *out = NULL, *dataset = NULL;
    const char **answers = calloc((size_t)argc + 1, sizeof(*answers));
    size_t n_answers = 0;
    int c, json = 0, rc = CLI_EXIT_OK, in_human = 0;
    char *text;

    if (!answers) {
        cli_error("out of memory");
        return CLI_EXIT_USAGE;
    }
    opterr = 0;
    /* "-" first in optstring: non-options come back as 1, so files after --human are its. */
    while ((c = getopt_long(argc, argv, "-:ho:", opts, NULL)) != -1) {
        if (c != 1)
            in_human = 0;
        switch (c) {
        case 1:
            if (in_human)
                answers[n_answers++] = optarg;
            else if (!dataset)
                dataset = optarg;
            else
                rc = cli_usage("mix", "one DATASET only ('%s' and '%s')", dataset, optarg);
            break;
        case 'h':
            fputs(help_text, stdout);
            free(answers);
            return CLI_EXIT_OK;
        case OPT_HUMAN:
            answers[n_answers++] = optarg;
            in_human = 1;
            break;
        case 'o':
            out = optarg;
            break;
        case OPT_HUMAN_P:
            if (cli_parse_double(optarg, 0.5, 1.0, &o.human_p) != 0 || o.human_p <= 0.5 ||
                o.human_p >= 1.0)
                rc = cli_bad_value("mix", opts, c, optarg, "a number above 0.5 and below 1");
            break;
        case OPT_TIES:
            if (strcmp(optarg, "drop") == 0)
                o.keep_human_ties = 0;
            else if (strcmp(optarg, "keep") == 0)
                o.keep_human_ties = 1;
            else
                rc = cli_bad_value("mix", opts, c, optarg, "drop or keep");
            break;
        case OPT_WH:
        case OPT_WA:
            if (cli_parse_double(optarg, 0, 1e6, c == OPT_WH ? &o.weight_human : &o.weight_ai) != 0)
                rc = cli_bad_value("mix", opts, c, optarg, NULL);
            o.weights = 1;
            break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, 0, UINT64_MAX, &o.seed) != 0)
                rc = cli_bad_value("mix", opts, c, optarg, NULL);
            break;
        case OPT_Q:
            o.question = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        default: /* ':' or '?' */
            rc = cli_opt_error("mix", opts, c, argc, argv);
            break;
        }
        if (rc != CLI_EXIT_OK) {
            free(answers);
            return rc;
        }
    }
    if (!dataset)
        rc = cli_usage("mix", "no DATASET given");
    else if (n_answers == 0)
        rc = cli_usage("mix", "--human ANSWERS is required");
    else if (!out)
        rc = cli_usage("mix", "-o OUT is required");
    if (rc != CLI_EXIT_OK) {
        free(answers);
        return rc;
    }
    o.answers = answers;
    o.n_answers = n_answers;
    if (cai_mix_run(&rep, dataset, out, &o, &err) != CAI_OK) {
        cli_error("%s", err.msg);
        free(answers);
        return CLI_EXIT_USAGE;
    }
    free(answers);
    if (json) {
        text = cai_mix_report_json(&rep);
        if (text)
            fputs(text, stdout);
        free(text);
    } else {
        printf("mix: %llu records to %s: ai %llu, human %llu, both %llu; human ties dropped "
               "%llu, kept %llu\n",
               (unsigned long long)rep.records, out, (unsigned long long)rep.ai,
               (unsigned long long)rep.human, (unsigned long long)rep.both,
               (unsigned long long)rep.human_ties_dropped, (unsigned long long)rep.human_ties_kept);
        if (rep.agreement.n > 0)
            printf("mix: human-AI agreement %.1f%% of %llu (95%% interval %.1f-%.1f%%)\n",
                   100 * rep.agreement.rate, (unsigned long long)rep.agreement.n,
                   100 * rep.agreement.lo, 100 * rep.agreement.hi);
    }
    if (rep.validation_errors > 0) {
        cli_error("%s: validation found %d error(s); run 'cai validate %s'", out,
                  rep.validation_errors, out);
        rc = CLI_EXIT_FINDINGS;
    } else if (!json) {
        printf("mix: validation: %s\n", rep.validation_warnings ? "warnings only" : "clean");
    }
    if (fflush(stdout) != 0)
        rc = CLI_EXIT_USAGE;
    return rc;
}
