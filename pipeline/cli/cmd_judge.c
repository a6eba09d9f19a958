/* SPDX-License-Identifier: MIT */
/* `cai judge`: placeholder until the command lands. */
#include "cli.h"

int cmd_judge(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'judge' is not implemented yet");
    return CLI_EXIT_USAGE;
}
