/*
 * stage.h - the set-up every stage shares: its settings with the flags
 * applied, its input, and, for the stages that talk to the platform, a
 * token and the HTTP loop that carries it.
 */
#ifndef GCU_STAGE_H
#define GCU_STAGE_H

#include <stddef.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "ndjson.h"

/*
 * Fills cfg: built-in defaults, the settings file (path, else
 * $GCU_CONFIG), the environment, then the flags given on the command line
 * (NULL when a flag was not given). Returns 0, or -1 with why in err
 * (naming the file and line, the variable or the flag).
 */
int gcu_stage_config(struct gcu_config *cfg, const char *path, const char *concurrency,
                     const char *max_line, char *err, size_t errlen);

/*
 * Opens a stage's input: path, or standard input for NULL or "-" (then
 * named "stdin" in messages). Returns 0, or -1 with errno set.
 */
int gcu_stage_input(struct ndjson_reader *in, const char *path, size_t max_line);

/*
 * Gets a token (auth.h) and an HTTP loop for the platform that sends it.
 * Returns 0, or the exit code to use (GCU_AUTH_USAGE, _UNAVAILABLE,
 * _DENIED, _SOFTWARE) with why in err; *http is NULL then. The caller frees
 * both with gcu_http_free and gcu_auth_free in any case.
 */
int gcu_platform_open(const struct gcu_config *cfg, struct gcu_auth *auth, struct gcu_http **http,
                      char *err, size_t errlen);

#endif
