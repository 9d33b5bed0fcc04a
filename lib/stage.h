/*
 * stage.h - the set-up every stage shares: its settings with the flags
 * applied, its input, private output files, its place under run.sh (the
 * end of the run ends it, its live progress line goes to the terminal),
 * and, for the stages that talk to the platform, a token and the HTTP
 * loop that carries it.
 */
#ifndef GCU_STAGE_H
#define GCU_STAGE_H

#include <stddef.h>
#include <stdio.h>

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
 * Makes every file and folder the program creates from now on private
 * (0600, 0700), whatever the umask it was started with: what gcu writes
 * holds names, emails and phone numbers. Call first in main(). Files that
 * already exist keep their mode; gcu's outputs are written to a new
 * temporary file and renamed, so they are new files.
 */
void gcu_stage_private(void);

/*
 * Ties the program to the run.sh that started it, when $GCU_RUN_PID names
 * that run.sh (it sets the variable for its children only): the kernel
 * sends SIGTERM when run.sh ends, however it ends, so that nothing of a
 * run outlives it, and SIGINT is ignored, since run.sh passes a Ctrl-C on
 * as one SIGTERM. Call once the SIGTERM handler (if any) is installed.
 * Returns 0 (no such variable, or tied), 1 when run.sh is gone already
 * (SIGTERM has then been raised, so the program stops as if run.sh had
 * just died), -1 when the variable is not a process id.
 */
int gcu_stage_bind(void);

/*
 * Where the live progress line goes: the descriptor $GCU_PROGRESS_FD names
 * (2 or above: run.sh's terminal, while the stage's stderr is a log; a
 * descriptor that is not open is ignored), else stderr when
 * it is a terminal, else nowhere (NULL); nowhere too when verbosity is 0.
 * The stream is unbuffered; it is stderr or stays open until exit. A
 * caller that also writes messages to stderr clears the progress line
 * first only when the stream is stderr.
 */
FILE *gcu_stage_progress(int verbosity);

/*
 * Gets a token (auth.h) and an HTTP loop for the platform that sends it.
 * Returns 0, or the exit code to use (GCU_AUTH_USAGE, _UNAVAILABLE,
 * _DENIED, _SOFTWARE) with why in err; *http is NULL then. The caller frees
 * both with gcu_http_free and gcu_auth_free in any case.
 */
int gcu_platform_open(const struct gcu_config *cfg, struct gcu_auth *auth, struct gcu_http **http,
                      char *err, size_t errlen);

#endif
