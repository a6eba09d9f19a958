/* SPDX-License-Identifier: MIT */
/* `cai constitution`: placeholder until the command lands. */
#include "cli.h"

int cmd_constitution(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'constitution' is not implemented yet");
    return CLI_EXIT_USAGE;
}
