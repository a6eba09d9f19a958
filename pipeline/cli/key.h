/* SPDX-License-Identifier: MIT */
/* Where the tool gets a judge API key: an environment variable or a file, never argv. */
#ifndef CAI_CLI_KEY_H
#define CAI_CLI_KEY_H

#include <cai.h>

/*
 * Loads the key for backend into *key (caller frees with cli_free_key; NULL when none is set,
 * which local servers accept). env_name overrides the backend's variable (OPENAI_API_KEY or
 * ANTHROPIC_API_KEY); file, when given, is read instead (first line, whitespace trimmed).
 * Returns CLI_EXIT_OK or CLI_EXIT_USAGE after printing why (never the key).
 */
int cli_load_key(cai_backend backend, const char *env_name, const char *file, char **key);

/* Wipes and frees a key. NULL is a no-op. */
void cli_free_key(char *key);

#endif
