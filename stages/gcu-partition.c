/*
 * gcu-partition - split user changes into non-routing and routing scopes.
 *
 * Reads changes as CSV or NDJSON and writes one scoped change record per
 * user and scope. Bad records are reported as file:line on stderr, copied
 * to --rejects, counted, and never stop the run unless --strict.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "partition.h"
#include "stage.h"
#include "stage_main.h"
#include "summary.h"

static struct gcu_summary json_summary; /* --summary: written at exit */

static void usage(void)
{
	fprintf(stderr, "usage: gcu-partition [-qv] [-c config] [--format csv|ndjson]\n"
	                "                     [--scope non-routing|routing] [--split prefix]\n"
	                "                     [--rejects file] [--strict] [--max-line bytes]\n"
	                "                     [--summary file] [file | -]\n");
	exit(EX_USAGE);
}

static void help(void)
{
	printf(
	    "usage: gcu-partition [options] [file | -]\n"
	    "\n"
	    "Split user changes (CSV or NDJSON) into scoped change records:\n"
	    "{\"id\",\"src\",\"scope\",\"changes\"}, one per user and scope.\n"
	    "\n"
	    "  -c, --config FILE     settings file (default: $GCU_CONFIG, else built-in)\n"
	    "      --format FMT      csv, ndjson or auto (default: by extension, else by content)\n"
	    "      --scope SCOPE     keep only non-routing or routing records\n"
	    "      --split PREFIX    write PREFIX.non-routing.ndjson and PREFIX.routing.ndjson\n"
	    "      --rejects FILE    copy the original text of every bad record to FILE\n"
	    "      --strict          stop at the first bad record (exit 65)\n"
	    "      --max-line BYTES  longest accepted line, or CSV row over several lines\n"
	    "                        (default 1048576)\n"
	    "      --summary FILE    at exit, write the counts to FILE as one JSON object:\n"
	    "                        program, version, exit, elapsed, error, rejects, records,\n"
	    "                        accepted, rejected, folded, scopes {non-routing, routing}\n"
	    "                        (gcu-partition(1))\n"
	    "  -q, --quiet           no summary\n"
	    "  -v, --verbose         more detail on stderr\n"
	    "  -h, --help            this text\n"
	    "  -V, --version         the version\n"
	    "\n"
	    "A bad record is reported as file:line, copied to --rejects and counted:\n"
	    "among others, a CSV row with fewer or more cells than the header (a short\n"
	    "row is more likely cut off than meant, so it is not padded), a NUL byte or\n"
	    "invalid UTF-8 anywhere, an escaped lone surrogate (\\ud800), and a JSON key\n"
	    "written twice in one object. A quote that does not close rejects the line\n"
	    "it opened on; the lines after it are read again as rows of their own.\n"
	    "\n"
	    "Exit: 0 all good, 1 some records rejected, 64 usage, 65 bad input with --strict\n"
	    "or a bad CSV header, 66 input unreadable, 74 output could not be written.\n");
	exit(0);
}

static FILE *live; /* the live progress line, or NULL */

static void progress(void *ctx, unsigned long records)
{
	(void)ctx;
	fprintf(live, "\r\033[Kgcu-partition: %lu records", records);
}

static int open_outputs(struct ndjson_writer w[GCU_NSCOPES], const char *split, enum gcu_scope only,
                        struct gcu_partition_opts *o)
{
	for (int s = 0; s < GCU_NSCOPES; s++) {
		o->out[s] = NULL;
		if (only != GCU_SCOPE_NONE && only != (enum gcu_scope)s)
			continue;
		if (split == NULL) {
			if (w[0].fp == NULL && ndjson_writer_open(&w[0], "-") < 0)
				return -1;
			o->out[s] = &w[0];
			continue;
		}
		char path[4096];
		int n = snprintf(path, sizeof path, "%s.%s.ndjson", split,
		                 gcu_scope_name((enum gcu_scope)s));
		if (n < 0 || (size_t)n >= sizeof path) {
			errno = ENAMETOOLONG;
			warn("%s", split);
			return -1;
		}
		if (ndjson_writer_open_atomic(&w[s], path) < 0) {
			warn("%s", path);
			return -1;
		}
		o->out[s] = &w[s];
	}
	return 0;
}

/* Closes every writer; an atomic one is renamed into place only when
 * keep is set. Returns 0 or -1 after reporting a failed write. */
static int close_outputs(struct ndjson_writer w[GCU_NSCOPES], int keep)
{
	int rc = 0;
	for (int s = 0; s < GCU_NSCOPES; s++) {
		if (w[s].fp == NULL)
			continue;
		if (!keep && w[s].error == 0)
			w[s].error = ECANCELED;
		if (ndjson_writer_close(&w[s]) < 0 && keep) {
			warnx("%s: %s", w[s].name, strerror(w[s].error));
			rc = -1;
		}
		ndjson_writer_free(&w[s]);
	}
	return rc;
}

/* The counts of the --summary file (gcu-partition(1) lists them). */
static void summarize(const struct gcu_partition_stats *st)
{
	gcu_summary_count(&json_summary, NULL, "records", st->records);
	gcu_summary_count(&json_summary, NULL, "accepted", st->accepted);
	gcu_summary_count(&json_summary, NULL, "rejected", st->rejected);
	gcu_summary_count(&json_summary, NULL, "folded", st->folded);
	for (int s = 0; s < GCU_NSCOPES; s++)
		gcu_summary_count(&json_summary, "scopes", gcu_scope_name((enum gcu_scope)s),
		                  st->written[s]);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
	                                         {"scope", required_argument, NULL, 's'},
	                                         {"split", required_argument, NULL, 'S'},
	                                         {"rejects", required_argument, NULL, 'r'},
	                                         {"strict", no_argument, NULL, 'x'},
	                                         GCU_STAGE_LONGOPTS,
	                                         {NULL, 0, NULL, 0}};
	struct gcu_config cfg;
	struct gcu_partition_opts o = {0};
	struct gcu_partition_stats st = {0};
	struct ndjson_writer out[GCU_NSCOPES] = {{0}}, rejects = {0};
	struct gcu_stage_cli cli = {
	    .name = "gcu-partition", .usage = usage, .help = help, .verbosity = 1};
	const char *split = NULL, *rejects_path = NULL;
	const char *format = "auto";
	enum gcu_scope only = GCU_SCOPE_NONE;
	char errbuf[1024];
	int ch, fd = STDIN_FILENO, rc;

	gcu_stage_private();
	while ((ch = getopt_long(argc, argv, GCU_STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 's':
			only = gcu_scope_parse(optarg);
			if (only == GCU_SCOPE_NONE) {
				warnx("--scope: '%s' is not non-routing or routing", optarg);
				usage();
			}
			break;
		case 'S':
			split = optarg;
			break;
		case 'r':
			rejects_path = optarg;
			break;
		case 'x':
			o.strict = 1;
			break;
		default: /* the options every stage takes, -h, -V, else a usage error */
			gcu_stage_default_option(&cli, ch, optarg);
		}
	}
	const char *path = gcu_stage_operand(&cli, argc, argv);
	gcu_stage_summary(&cli, &json_summary);
	summarize(&st);
	signal(SIGPIPE, SIG_IGN);

	if (gcu_stage_config(&cfg, cli.config, NULL, cli.max_line, errbuf, sizeof errbuf) < 0)
		gcu_stage_fail(EX_USAGE, "%s", errbuf);
	if (gcu_format_parse(format, &o.format) < 0)
		gcu_stage_fail(EX_USAGE, "--format: '%.64s' is not csv, ndjson or auto", format);

	const char *name = "stdin";
	if (strcmp(path, "-") != 0) {
		name = path;
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			gcu_stage_fail(EX_NOINPUT, "%s: %s", name, strerror(errno));
	}
	o.cfg = &cfg;
	o.report = gcu_stage_report;
	gcu_stage_bind();
	live = gcu_stage_progress(cli.verbosity);
	gcu_stage_live(live);
	if (live)
		o.progress = progress;
	if (open_outputs(out, split, only, &o) < 0) {
		gcu_summary_error(&json_summary, "%s: cannot create the output",
		                  split ? split : "stdout");
		exit(EX_CANTCREAT);
	}
	if (rejects_path) {
		if (ndjson_writer_open_atomic(&rejects, rejects_path) < 0)
			gcu_stage_fail(EX_CANTCREAT, "%s: %s", rejects_path, strerror(errno));
		o.rejects = &rejects;
	}

	rc = gcu_partition(&o, fd, name, &st, errbuf, sizeof errbuf);
	if (rc < 0) {
		gcu_stage_error("%s", errbuf);
	} else if (rc == 1) {
		gcu_summary_error(&json_summary, "stopped at the first bad record (--strict)");
	}
	summarize(&st);
	int write_failed = close_outputs(out, rc >= 0) < 0;
	if (rejects.fp) {
		if (ndjson_writer_close(&rejects) < 0) {
			warnx("%s: %s", rejects.name, strerror(rejects.error));
			write_failed = 1;
		}
		ndjson_writer_free(&rejects);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	gcu_config_free(&cfg);

	if (live)
		fputs("\r\033[K", live);
	gcu_stage_summary_line("%lu records: %lu accepted (%lu non-routing, %lu routing), "
	                       "%lu folded, %lu rejected%s",
	                       st.records, st.accepted, st.written[GCU_SCOPE_NON_ROUTING],
	                       st.written[GCU_SCOPE_ROUTING], st.folded, st.rejected,
	                       rc == 1 ? " (stopped: --strict)" : "");
	if (rc == -2)
		return EX_DATAERR;
	if (rc < 0 || write_failed)
		return EX_IOERR;
	if (rc == 1)
		return EX_DATAERR;
	return st.rejected ? 1 : 0;
}
