/* SPDX-License-Identifier: MIT */
/* Reads the judge API key from the environment or a file; wipes it when done. */
#include "key.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trimmed_dup(const char *s, size_t n)
{
    char *out;

    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

int cli_load_key(cai_backend backend, const char *env_name, const char *file, char **key)
{
    const char *var = env_name;
    const char *val;

    *key = NULL;
    if (file) {
        char line[8192];
        FILE *f = fopen(file, "r");
        if (!f) {
            cli_error("%s: %s", file, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        if (!fgets(line, sizeof(line), f)) {
            fclose(f);
            cli_error("%s: empty key file", file);
            return CLI_EXIT_USAGE;
        }
        fclose(f);
        *key = trimmed_dup(line, strlen(line));
        memset(line, 0, sizeof(line));
        return *key ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (!var)
        var = backend == CAI_BACKEND_ANTHROPIC ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
    val = getenv(var);
    if (!val || !*val) {
        if (env_name) {
            cli_error("--api-key-env %s: the variable is not set", env_name);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK; /* local servers (vLLM, llama.cpp, Ollama) need no key */
    }
    *key = trimmed_dup(val, strlen(val));
    return *key ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

void cli_free_key(char *key)
{
    if (!key)
        return;
    /* volatile stores so the wipe is not optimised away */
    for (volatile char *p = key; *p; p++)
        *p = 0;
    free(key);
}
