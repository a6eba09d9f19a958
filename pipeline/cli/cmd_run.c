/* SPDX-License-Identifier: MIT */
/* `cai run`: placeholder until the command lands. */
#include "cli.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'run' is not implemented yet");
    return CLI_EXIT_USAGE;
}
