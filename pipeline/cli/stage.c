/* SPDX-License-Identifier: MIT */
/* What `cai sample` and `cai revise` share around their stage: signals, errors, resume hint. */
#include "cli.h"

#include <signal.h>
#include <string.h>

/* The tool (not the library) may keep the running job where the signal handler can reach it. */
static void *running_stage;
static cli_stage_stop_fn running_stop;

static void on_signal(int sig)
{
    (void)sig;
    if (running_stage && running_stop)
        running_stop(running_stage);
}

cai_status cli_stage_execute(
    void *stage, cli_stage_exec_fn exec, cli_stage_stop_fn stop, void *summary, cai_error *err)
{
    struct sigaction sa;
    cai_status st;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    running_stop = stop;
    running_stage = stage;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    st = exec(stage, summary, err);
    running_stage = NULL;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    return st;
}

int cli_stage_failed(cai_status st, const cai_error *err, const char *output_dir)
{
    cli_error("%s", err->msg[0] ? err->msg : cai_strerror(st));
    if (st == CAI_EINTERRUPTED || st == CAI_EBUDGET || st == CAI_ETRANSPORT || st == CAI_EHTTP)
        cli_error("rerun the same command to resume from %s/journal.cai", output_dir);
    return cli_exit_code(st);
}
