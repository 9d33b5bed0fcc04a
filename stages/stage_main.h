/*
 * stage_main.h - the part of every stage's main() that is the same in all
 * of them and speaks: the default branch of its getopt loop (the options
 * every stage shares, -h, -V, usage errors), its one operand, its
 * --summary file, its messages about the input (rejected lines and
 * notices, which clear the live progress line first), the error it stops
 * for, told both in the summary and on stderr, and the close of its output.
 *
 * It lives beside the stages, not in lib/, because it prints and exits:
 * each function stands for code the stage would write at the same place,
 * and its words and exit codes are the same for every stage (64 for a
 * usage error, as sysexits.h says). Every stage program links it; a stage
 * calls it from its own code and hands gcu_stage_report and
 * gcu_stage_notice to lib as its callbacks.
 */
#ifndef GCU_STAGE_MAIN_H
#define GCU_STAGE_MAIN_H

#include <stdio.h>

#include "ndjson.h"
#include "stage.h"
#include "summary.h"

/* The credentials paragraph of the --help of every stage that goes to the
 * platform: one wording for the one way auth.c takes them. */
#define GCU_STAGE_CREDENTIALS_HELP                                                                 \
	"Credentials: GCU_ACCESS_TOKEN, or GCU_CLIENT_ID and GCU_CLIENT_SECRET with\n"             \
	"GCU_REGION or GCU_API_BASE (or the config's auth section).\n"

/*
 * The default branch of a stage's getopt loop, for ch and arg as
 * getopt_long returned them: an option every stage shares is kept in cli
 * (gcu_stage_option); -h calls cli->help; -V prints "NAME VERSION" and
 * exits 0; a bad value exits 64 with why ("--seed: '4x' is not a
 * number"); anything else (getopt_long has said what) calls cli->usage.
 * cli->help and cli->usage must not return.
 */
void gcu_stage_default_option(struct gcu_stage_cli *cli, int ch, const char *arg);

/*
 * After the getopt loop: the one operand a stage takes (argv[optind]), or
 * "-" (standard input) when there is none; more than one calls
 * cli->usage.
 */
const char *gcu_stage_operand(const struct gcu_stage_cli *cli, int argc, char **argv);

/*
 * Opens the summary cli->summary names (none: sum stays inert) for the
 * program cli->name, to be written at exit (gcu_summary_open); out of
 * memory exits 71 (EX_OSERR). sum must be static. From then on the
 * messages below record in sum and say what cli->verbosity lets them
 * (before: nothing is recorded, and they speak at verbosity 1).
 */
void gcu_stage_summary(const struct gcu_stage_cli *cli, struct gcu_summary *sum);

/*
 * The live progress line (gcu_stage_progress: NULL or a stream): when it
 * is stderr, the messages below clear it first, from now on.
 */
void gcu_stage_live(FILE *live);

/*
 * A rejected line (gcu_report_fn, ctx ignored): recorded in the summary,
 * and "name:line: msg" on stderr unless quiet.
 */
void gcu_stage_report(void *ctx, const char *name, unsigned long line, const char *msg);

/* A notice (gcu_pacer_notice_fn, ctx ignored): msg on stderr unless quiet. */
void gcu_stage_notice(void *ctx, const char *msg);

/* printf-like, as warnx(3), unless quiet. */
void gcu_stage_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The stage's one-line summary, printf-like, without the program's name:
 * on stderr as "NAME: line" unless quiet, and always the summary's line,
 * so that run.sh shows what the stage said without reading its stderr.
 */
void gcu_stage_summary_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Why the stage stops, printf-like: the summary's error (unless it has
 * one already), and on stderr as warnx(3) whatever the verbosity.
 */
void gcu_stage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* gcu_stage_error, then exit(code). */
void gcu_stage_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/*
 * Closes the stage's output. A write error, when failed is 0 (nothing
 * else failed first, which has been said), is the stage's error (as
 * gcu_stage_error) "stdout: reason". Returns 0, or -1 when the output was
 * not all written.
 */
int gcu_stage_close_output(struct ndjson_writer *out, int failed);

#endif
