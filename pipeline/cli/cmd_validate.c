/* SPDX-License-Identifier: MIT */
/* `cai validate`: placeholder until the command lands. */
#include "cli.h"

int cmd_validate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'validate' is not implemented yet");
    return CLI_EXIT_USAGE;
}
