/*
 * stage.h - the set-up every stage shares: its settings with the flags
 * applied, its input, private output files, its place under run.sh (the
 * end of the run ends it, its live progress line goes to the terminal),
 * and, for the stages that talk to the platform, a token and the HTTP
 * loop that carries it.
 */
#ifndef GCU_STAGE_H
#define GCU_STAGE_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "ndjson.h"
#include "summary.h"

/*
 * The options every stage takes, as given on its command line. Zero it,
 * then set verbosity to 1 (the default) and, for stage_main.h, the
 * stage's name, usage and help before parsing.
 */
struct gcu_stage_cli {
	const char *name;        /* "gcu-merge", in -V and the summary */
	void (*usage)(void);     /* the synopsis on stderr, exit 64; never returns */
	void (*help)(void);      /* --help on stdout, exit 0; never returns */
	const char *config;      /* -c, --config FILE */
	const char *concurrency; /* --concurrency N (the stages that talk to the platform) */
	const char *max_line;    /* --max-line BYTES */
	const char *summary;     /* --summary FILE */
	unsigned long long seed; /* --seed S (the jitter's), 0 when not given */
	int verbosity;           /* 1; 0 with -q, 2 with -v */
};

/* getopt_long's short options every stage takes. */
#define GCU_STAGE_SHORTOPTS "c:qvhV"
/*
 * The long options every stage takes, to end its table with (before the
 * {NULL} entry); -h and -V are the stage's to handle, since it prints
 * its own help and version.
 */
#define GCU_STAGE_LONGOPTS                                                                         \
	{"config", required_argument, NULL, 'c'}, {"max-line", required_argument, NULL, 'm'},      \
	    {"summary", required_argument, NULL, 'J'}, {"quiet", no_argument, NULL, 'q'},          \
	    {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},                 \
	{                                                                                          \
		"version", no_argument, NULL, 'V'                                                  \
	}
/* And those of the stages that talk to the platform. */
#define GCU_STAGE_NET_LONGOPTS                                                                     \
	{"concurrency", required_argument, NULL, 'n'},                                             \
	{                                                                                          \
		"seed", required_argument, NULL, 'S'                                               \
	}

/*
 * Takes one of the options every stage shares: ch and arg as getopt_long
 * returned them. Returns 1 when it was one (kept in cli), 0 when it was
 * not (the stage's own, or unknown: the stage decides), -1 for a bad
 * value, with why in err.
 */
int gcu_stage_option(struct gcu_stage_cli *cli, int ch, const char *arg, char *err, size_t errlen);

/*
 * Starts a stage: fills cfg as gcu_stage_config does from cli's config,
 * concurrency and max-line, and opens the input at path (NULL or "-":
 * standard input). Returns 0, or the exit code (EX_USAGE for settings,
 * EX_NOINPUT for an input that cannot be opened) with why in err, which
 * is also the summary's error (sum may be NULL). cfg is filled only on
 * success, in when both succeeded.
 */
int gcu_stage_start(const struct gcu_stage_cli *cli, struct gcu_summary *sum,
                    struct gcu_config *cfg, struct ndjson_reader *in, const char *path, char *err,
                    size_t errlen);

/*
 * Writes rec as one line of out (a stage's output record) and puts it
 * (json_object_put), whatever happens. Returns 0, or -1 with "NAME:
 * reason" in err, NAME being out's ("stdout" for standard output).
 */
int gcu_stage_write(struct ndjson_writer *out, json_object *rec, char *err, size_t errlen);

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
 * run outlives it, and SIGINT and SIGHUP are ignored, since run.sh passes
 * a Ctrl-C or a hangup on as one SIGTERM. Call once the SIGTERM handler
 * (if any) is installed.
 * Returns 0 (no such variable, or tied), 1 when run.sh is gone already
 * (SIGTERM has then been raised, so the program stops as if run.sh had
 * just died), -1 when the variable is not a process id.
 */
int gcu_stage_bind(void);

/*
 * Catches SIGINT and SIGTERM for a stage that drains: each one counts in
 * the counter it returns, up to 2 (1: finish what is in flight and stop;
 * 2: stop at once), which the stage hands to lib as its stop flag. Call
 * before gcu_stage_bind.
 */
volatile sig_atomic_t *gcu_stage_catch_stop(void);

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
