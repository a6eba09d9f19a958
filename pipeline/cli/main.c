/* SPDX-License-Identifier: MIT */
/* The cai tool's entry point: global options and dispatch to one command. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"sample", cmd_sample, "ask a policy for N responses per prompt; write candidates records"},
    {"run", cmd_run, "label response pairs with a constitution and a judge; write a dataset"},
    {"revise", cmd_revise, "critique and revise responses (SL-CAI); write SFT data and pairs"},
    {"merge", cmd_merge, "join the shard directories of one sharded run into its dataset"},
    {"judge", cmd_judge, "judge one pair and show the request, the reply and P(A)"},
    {"validate", cmd_validate, "check a preference dataset before training on it"},
    {"stats", cmd_stats, "show counts, lengths, label and bias statistics of a dataset"},
    {"constitution", cmd_constitution, "lint or show constitution files"},
    {"route", cmd_route, "pick the pairs a human should label; export Label Studio tasks, JSONL"},
    {"mix", cmd_mix, "write a new dataset where human answers replace AI labels"},
    {"agree", cmd_agree, "agreement of the AI labels with human labels, broken down"},
    {"calibrate", cmd_calibrate, "fit a temperature to human labels; write a calibrated dataset"},
    {"compare", cmd_compare, "compare two runs over the same pairs: flips, agreement, changes"},
};

static void print_help(FILE *f)
{
    size_t i;

    fprintf(f, "usage: cai [--help] [--version] <command> [options] [args]\n\n"
               "Turns sampled response pairs into preference datasets for reward-model\n"
               "training, with an AI judge guided by a constitution.\n\ncommands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-13s %s\n", "help", "show this help, or a command's ('cai help run')");
    fprintf(f, "  %-13s %s\n", "version", "print the version");
    fprintf(f, "\nexit codes:\n"
               "  0    success (validate: no findings)\n"
               "  1    the command ran and found problems (findings, too many failed pairs)\n"
               "  2    usage error, unreadable or invalid input, invalid constitution\n"
               "  3    the judge endpoint could not be used (unreachable, auth, quota)\n"
               "  4    run: stopped at the --max-cost spending cap; rerun with a higher cap\n"
               "  130  interrupted by SIGINT/SIGTERM; run the same command again to resume\n"
               "\nRun 'cai <command> --help' for a command's options.\n");
}

static const command *find_command(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    const command *cmd;
    cai_error gerr = {0};
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help(stdout);
            return CLI_EXIT_OK;
        case 'V':
            printf("cai %s\n", cai_version());
            return CLI_EXIT_OK;
        default:
            fprintf(stderr, "cai: unknown option '%s'\nTry 'cai --help'.\n", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[optind], "version") == 0) {
        printf("cai %s\n", cai_version());
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[optind], "help") == 0) {
        if (optind + 1 >= argc) {
            print_help(stdout);
            return CLI_EXIT_OK;
        }
        cmd = find_command(argv[optind + 1]);
        if (!cmd) {
            fprintf(stderr, "cai: unknown command '%s'\nTry 'cai --help'.\n", argv[optind + 1]);
            return CLI_EXIT_USAGE;
        }
        {
            char *help_argv[] = {(char *)cmd->name, "--help", NULL};
            optind = 0;
            return cmd->fn(2, help_argv);
        }
    }
    cmd = find_command(argv[optind]);
    if (!cmd) {
        fprintf(stderr, "cai: unknown command '%s'\nTry 'cai --help'.\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (cai_global_init(&gerr) != CAI_OK) {
        fprintf(stderr, "cai: %s\n", gerr.msg);
        return CLI_EXIT_USAGE;
    }
    argc -= optind;
    argv += optind;
    optind = 0; /* glibc: 0 re-initialises getopt for the command's own parsing */
    rc = cmd->fn(argc, argv);
    cai_global_cleanup();
    return rc;
}
