/* SPDX-License-Identifier: MIT */
/* `cai stats`: placeholder until the command lands. */
#include "cli.h"

int cmd_stats(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'stats' is not implemented yet");
    return CLI_EXIT_USAGE;
}
