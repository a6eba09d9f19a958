/* SPDX-License-Identifier: MIT */
/* `cai validate`: checks preference datasets before training and prints a report with a verdict. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
    "usage: cai validate [options] PATH...\n"
    "\n"
    "Checks preference datasets before training on them. A PATH is a dataset directory\n"
    "(checked against its manifest.json when it has one; else its *.jsonl[.gz] files,\n"
    "found recursively) or a JSONL file, plain or gzip. Splits come from the manifest or\n"
    "from file names (train-*, test-*, validation-*).\n"
    "\n"
    "errors: gzip corruption, invalid JSON or UTF-8, NUL bytes, missing or mistyped fields,\n"
    "unknown roles or a wrong turn order, empty prompts or responses, chosen identical to\n"
    "rejected, hh contexts that differ, p_chosen outside [0, 1] or below 0.5, manifest\n"
    "mismatches (missing, changed or unlisted files), the same prompt in two splits, no\n"
    "records at all, judge-health errors (position noise, orders that disagree, text\n"
    "verdicts where log-probs were asked for, all ties, disagreement with human labels;\n"
    "docs/judges.md), from the manifest's counts or else the records. What cai sample and\n"
    "cai revise write: candidates with fewer than 2 usable responses; SFT records\n"
    "(prompt/completion, messages) with an empty completion or turn, a completion that goes\n"
    "on with the next turn, or a wrong turn order.\n"
    "warnings: duplicate or near-duplicate pairs and prompts, conflicting labels, extreme\n"
    "lengths, turns that do not alternate, candidates cut at max_tokens, position and length bias "
    "(binomial test), low\n"
    "order consistency, principles whose position-A win rate differs from the others,\n"
    "order or human agreement not significantly above chance.\n"
    "\n"
    "options:\n"
    "  --format FMT             auto (default), trl, conversational, hh, pairs, candidates,\n"
    "                           sft, messages\n"
    "  --json                   print the report as one JSON object\n"
    "  --strict                 warnings fail the verdict too (exit 1)\n"
    "  --max-examples N         findings shown per kind (default 5); the rest are counted\n"
    "  --alpha P                significance of the bias tests (default 0.001)\n"
    "  --max-prompt-chars N     longer prompts are reported as long (default 32768)\n"
    "  --max-response-chars N   longer responses are reported as long (default 16384)\n"
    "  --min-consistency X      order agreement below X is low (default 0.6)\n"
    "  -h, --help               show this help\n"
    "\n"
    "exit codes: 0 no findings (or only warnings without --strict); 1 findings;\n"
    "2 usage error or unreadable input.\n";

enum {
    OPT_FORMAT = 256,
    OPT_JSON,
    OPT_STRICT,
    OPT_EXAMPLES,
    OPT_ALPHA,
    OPT_MAX_PROMPT,
    OPT_MAX_RESPONSE,
    OPT_CONSISTENCY
};

int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"json", no_argument, NULL, OPT_JSON},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"max-examples", required_argument, NULL, OPT_EXAMPLES},
        {"alpha", required_argument, NULL, OPT_ALPHA},
        {"max-prompt-chars", required_argument, NULL, OPT_MAX_PROMPT},
        {"max-response-chars", required_argument, NULL, OPT_MAX_RESPONSE},
        {"min-consistency", required_argument, NULL, OPT_CONSISTENCY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
    cai_report *r = NULL;
    cai_error err = {0};
    cai_status st;
    int c, json = 0, fmt, rc;
    uint64_t u;
    char *text;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help_text, stdout);
            return CLI_EXIT_OK;
        case OPT_FORMAT:
            fmt = cai_format_parse(optarg);
            if (fmt < 0)
                return cli_bad_value("validate", opts, c, optarg,
                                     "auto, pairs, candidates, hh, trl or conversational");
            o.format = (cai_format)fmt;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_STRICT:
            o.strict = 1;
            break;
        case OPT_EXAMPLES:
            if (cli_parse_u64(optarg, 1, 1000000, &u) != 0)
                return cli_bad_value("validate", opts, c, optarg, NULL);
            o.max_examples = (size_t)u;
            break;
        case OPT_ALPHA:
            if (cli_parse_double(optarg, 1e-300, 0.5, &o.alpha) != 0)
                return cli_bad_value("validate", opts, c, optarg, "a number above 0, at most 0.5");
            break;
        case OPT_MAX_PROMPT:
        case OPT_MAX_RESPONSE:
            if (cli_parse_u64(optarg, 1, UINT32_MAX, &u) != 0)
                return cli_bad_value("validate", opts, c, optarg, NULL);
            if (c == OPT_MAX_PROMPT)
                o.max_prompt_chars = (size_t)u;
            else
                o.max_response_chars = (size_t)u;
            break;
        case OPT_CONSISTENCY:
            if (cli_parse_double(optarg, 1e-9, 1, &o.min_consistency) != 0)
                return cli_bad_value("validate", opts, c, optarg, "a number above 0, at most 1");
            break;
        default: /* ':' or '?' */
            return cli_opt_error("validate", opts, c, argc, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("validate", "no PATH given");
    st = cai_validate(&r, (const char *const *)argv + optind, (size_t)(argc - optind), &o, &err);
    if (st != CAI_OK) {
        cli_error("%s", err.msg[0] ? err.msg : cai_strerror(st));
        return CLI_EXIT_USAGE;
    }
    text = json ? cai_report_json(r) : cai_report_text(r);
    if (!text) {
        cai_report_free(r);
        cli_error("out of memory");
        return CLI_EXIT_USAGE;
    }
    fputs(text, stdout);
    if (json)
        fputc('\n', stdout);
    free(text);
    rc = cai_report_failed(r) ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
    cai_report_free(r);
    if (fflush(stdout) != 0) {
        cli_error("cannot write the report");
        return CLI_EXIT_USAGE;
    }
    return rc;
}
