/*
 * stage_main.c - the command line and the messages every stage's main()
 * shares, in the same words for every stage.
 *
 * The voice is one per process, as stderr is: the callbacks it backs get
 * the ctx of the stage's run, which is not theirs to use.
 */
#include "stage_main.h"

#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "version.h"

static struct {
	struct gcu_summary *sum;
	int verbosity;
	FILE *live;
} voice = {NULL, 1, NULL};

void gcu_stage_default_option(struct gcu_stage_cli *cli, int ch, const char *arg)
{
	char err[512];
	int rc;

	switch (ch) {
	case 'h':
		cli->help();
		exit(0); /* help() exits; this is for the reader and the compiler */
	case 'V':
		printf("%s %s\n", cli->name, GCU_VERSION);
		exit(0);
	default:
		rc = gcu_stage_option(cli, ch, arg, err, sizeof err);
		if (rc < 0)
			errx(EX_USAGE, "%s", err);
		if (rc == 0) {
			cli->usage();
			exit(EX_USAGE);
		}
	}
}

const char *gcu_stage_operand(const struct gcu_stage_cli *cli, int argc, char **argv)
{
	if (argc - optind > 1) {
		cli->usage();
		exit(EX_USAGE);
	}
	return optind < argc ? argv[optind] : "-";
}

void gcu_stage_summary(const struct gcu_stage_cli *cli, struct gcu_summary *sum)
{
	if (gcu_summary_open(sum, cli->name, cli->summary, warnx) < 0)
		errx(EX_OSERR, "%s: out of memory", cli->summary);
	voice.sum = sum;
	voice.verbosity = cli->verbosity;
}

void gcu_stage_live(FILE *live)
{
	voice.live = live;
}

void gcu_stage_say(const char *fmt, ...)
{
	va_list ap;

	if (voice.verbosity <= 0)
		return;
	/* The live line is cleared before a message when both go to stderr,
	 * before the program's name, so that the name stays. */
	if (voice.live == stderr)
		fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void gcu_stage_report(void *ctx, const char *name, unsigned long line, const char *msg)
{
	(void)ctx;
	if (voice.sum)
		gcu_summary_reject(voice.sum, name, line, msg);
	gcu_stage_say("%s:%lu: %s", name, line, msg);
}

void gcu_stage_notice(void *ctx, const char *msg)
{
	(void)ctx;
	gcu_stage_say("%s", msg);
}

void gcu_stage_summary_line(const char *fmt, ...)
{
	char line[1024]; /* the summary keeps that much of it */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (voice.sum)
		gcu_summary_text(voice.sum, NULL, "line", line);
	gcu_stage_say("%s", line);
}

/* gcu_stage_error with a va_list. */
__attribute__((format(printf, 1, 0))) static void verror(const char *fmt, va_list ap)
{
	char why[1024]; /* the summary keeps that much of it */
	va_list again;

	va_copy(again, ap);
	if (voice.sum) {
		vsnprintf(why, sizeof why, fmt, ap);
		gcu_summary_error(voice.sum, "%s", why);
	}
	vwarnx(fmt, again);
	va_end(again);
}

void gcu_stage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
}

void gcu_stage_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	exit(code);
}

int gcu_stage_close_output(struct ndjson_writer *out, int failed)
{
	if (ndjson_writer_close(out) == 0)
		return 0;
	if (!failed)
		gcu_stage_error("stdout: %s", strerror(out->error));
	return -1;
}
