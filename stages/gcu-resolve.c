/*
 * gcu-resolve - turn the keys and names of a change file into ids.
 *
 * Reads changes as CSV or NDJSON whose users are named by id, email,
 * username or employeeId, and whose skills, languages, managers (and
 * whatever else refers to the org's objects) may be named by name, and
 * writes change records by id for gcu-partition:
 *   {"id","key","src","changes"}
 * It reads the input twice: first to learn what must be found, then,
 * with the directory read (lib/directory.c: only what is needed, the
 * cheaper way, and said before it is spent) or loaded from a capture, to
 * write each record or reject it with its file:line and reason
 * (lib/resolve.c).
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

#include <curl/curl.h>

#include "auth.h"
#include "change.h"
#include "change_input.h"
#include "change_reader.h"
#include "config.h"
#include "directory.h"
#include "http.h"
#include "ndjson.h"
#include "resolve.h"
#include "stage.h"
#include "stage_main.h"
#include "summary.h"

static int verbosity = 1;
static FILE *live;                      /* the live progress line, or NULL */
static struct gcu_summary json_summary; /* --summary: written at exit */

struct resolve_run {
	const struct gcu_config *cfg;
	const char *name; /* the input, in messages */
	enum gcu_format format;
	int fd;     /* the input, readable twice */
	int strict; /* stop at the first bad record */
	struct ndjson_writer *out;
	struct gcu_rejects rejects;
	struct gcu_resolve_needs needs;
	struct gcu_directory *dir;
	struct gcu_dir_cost cost;
	struct gcu_page_stats reads;
	struct gcu_resolve_tally tally;
	unsigned long records, resolved, rejected;
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: gcu-resolve [-qv] [-c config] [--format csv|ndjson|auto]\n"
	        "                   [--capture-directory file] [--concurrency n] [--seed n]\n"
	        "                   [--rejects file] [--strict] [--max-line bytes]\n"
	        "                   [--summary file] [file | -]\n"
	        "       gcu-resolve [-qv] [-c config] --directory file | --offline\n"
	        "                   [--format csv|ndjson|auto] [--rejects file] [--strict]\n"
	        "                   [--max-line bytes] [--summary file] [file | -]\n");
	exit(EX_USAGE);
}

static void help(void)
{
	printf(
	    "usage: gcu-resolve [options] [file | -]\n"
	    "\n"
	    "Turn the keys and names of changes (CSV or NDJSON) into ids, for gcu-partition:\n"
	    "{\"id\",\"key\",\"src\",\"changes\"}. A change names its user by id, email, username\n"
	    "or employeeId (CSV: the header's id column, else its one email, username or\n"
	    "employeeId column; csv.key says otherwise); skills, languages, managers (by\n"
	    "email) and the other references may be names. A UUID is taken as an id. A name\n"
	    "must match exactly one user or entry, in any letter case; else the record is\n"
	    "rejected as file:line, with a near miss when there is one. Inactive users are\n"
	    "found, and said to be.\n"
	    "\n"
	    "Only what the file needs is read: the catalogues it names something of, and\n"
	    "its users by searches (100 values each) or by the directory (500 users a page),\n"
	    "whichever costs less; nothing when every user and reference is an id. The\n"
	    "plan and its cost are said before anything is sent.\n"
	    "\n"
	    "  -c, --config FILE            settings file (default: $GCU_CONFIG, else built-in)\n"
	    "      --format FMT             csv, ndjson or auto (default: by extension, else by\n"
	    "                               content)\n"
	    "      --capture-directory FILE also write what was read to FILE (users' keys,\n"
	    "                               ids, states, names; the catalogues)\n"
	    "      --directory FILE         resolve from such a capture (or a gcu-sim org\n"
	    "                               dump) instead, offline\n"
	    "      --offline                never read from the platform: a file that needs\n"
	    "                               the directory is refused (exit 64) unless\n"
	    "                               --directory gives it\n"
	    "      --rejects FILE           copy the original text of every bad record to FILE\n"
	    "                               (for CSV after the header row)\n"
	    "      --strict                 stop at the first bad record (exit 65)\n"
	    "      --concurrency N          reads in flight at most (default 6)\n"
	    "      --seed N                 seed the jitter (for reproducible tests)\n"
	    "      --max-line BYTES         longest accepted line (default 1048576)\n"
	    "      --summary FILE           at exit, write the counts to FILE as one JSON\n"
	    "                               object: program, version, exit, elapsed, error,\n"
	    "                               rejects, records, resolved, rejected, inactive, keys,\n"
	    "                               names, plan, planned, users, reads, requests,\n"
	    "                               http_429, retries, refreshes, capped, blind\n"
	    "                               (gcu-resolve(1))\n"
	    "  -q, --quiet                  no summary\n"
	    "  -v, --verbose                more detail on stderr\n"
	    "  -h, --help                   this text\n"
	    "  -V, --version                the version\n"
	    "\n" GCU_STAGE_CREDENTIALS_HELP "\n"
	    "Exit: 0 all resolved, 1 some records rejected, 64 usage, 65 bad input with\n"
	    "--strict, a bad CSV header or a bad capture, 66 input unreadable, 69 platform\n"
	    "unavailable, 73 the capture could not be written, 74 output could not be\n"
	    "written, 75 interrupted (nothing written), 77 not authorised.\n");
	exit(0);
}

static void progress(void *ctx, unsigned long pages, unsigned long sent)
{
	(void)ctx;
	fprintf(live, "\r\033[Kgcu-resolve: %lu pages read, %lu requests", pages, sent);
}

/* The counts of the --summary file (gcu-resolve(1) lists them). */
static void summarize(const struct resolve_run *run)
{
	static const char *const reads[] = {"users", "searches", "catalogues"};
	const unsigned long nreads[] = {run->cost.user_pages, run->cost.searches,
	                                run->cost.catalogue_pages};

	gcu_summary_count(&json_summary, NULL, "records", run->records);
	gcu_summary_count(&json_summary, NULL, "resolved", run->resolved);
	gcu_summary_count(&json_summary, NULL, "rejected", run->rejected);
	gcu_summary_count(&json_summary, NULL, "inactive", run->tally.inactive);
	for (int k = 0; k < GCU_NKEYS; k++)
		gcu_summary_count(&json_summary, "keys", gcu_key_name((enum gcu_key_kind)k),
		                  run->tally.keys[k]);
	for (int k = GCU_REF_USER; k < GCU_NREFS; k++)
		gcu_summary_count(&json_summary, "names", gcu_ref_name((enum gcu_ref_kind)k),
		                  run->tally.names[k]);
	gcu_summary_text(&json_summary, NULL, "plan",
	                 run->dir ? gcu_dir_plan_name(run->cost.plan) : NULL);
	gcu_summary_count(&json_summary, NULL, "planned", run->cost.planned);
	if (run->cost.users >= 0)
		gcu_summary_count(&json_summary, NULL, "users", (unsigned long)run->cost.users);
	else
		gcu_summary_null(&json_summary, NULL, "users");
	for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
		gcu_summary_count(&json_summary, "reads", reads[i], nreads[i]);
	gcu_summary_count(&json_summary, NULL, "requests", run->reads.sent);
	gcu_summary_count(&json_summary, NULL, "http_429", run->reads.http_429);
	gcu_summary_count(&json_summary, NULL, "retries", run->reads.retries);
	gcu_summary_count(&json_summary, NULL, "refreshes", run->reads.refreshes);
	gcu_summary_count(&json_summary, NULL, "capped", run->reads.capped);
	gcu_summary_flag(&json_summary, NULL, "blind", run->reads.blind);
}

/* "110 by email, 7 by id" into buf. */
static void keys_text(const struct resolve_run *run, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int k = GCU_NKEYS - 1; k >= 0; k--) {
		if (run->tally.keys[k] == 0)
			continue;
		int n = snprintf(buf + at, len - at, "%s%lu by %s", at ? ", " : "",
		                 run->tally.keys[k], gcu_key_name((enum gcu_key_kind)k));
		if (n < 0 || (size_t)n >= len - at)
			return;
		at += (size_t)n;
	}
	for (int k = GCU_REF_USER; k < GCU_NREFS; k++) {
		if (run->tally.names[k] == 0)
			continue;
		int n = snprintf(buf + at, len - at, "%s%lu %s name%s", at ? ", " : "",
		                 run->tally.names[k], gcu_ref_name((enum gcu_ref_kind)k),
		                 run->tally.names[k] == 1 ? "" : "s");
		if (n < 0 || (size_t)n >= len - at)
			return;
		at += (size_t)n;
	}
}

static const char *plural(unsigned long n, const char *many)
{
	return n == 1 ? "" : many;
}

static void summary_line(const struct resolve_run *run, int rc)
{
	const struct gcu_dir_cost *c = &run->cost;
	char keys[512];

	keys_text(run, keys, sizeof keys);
	gcu_stage_summary_line(
	    "%lu records: %lu resolved%s%s%s, %lu rejected, %lu with an "
	    "inactive user; %s: %lu user page%s, %lu search%s, %lu catalogue page%s (%lu "
	    "requests, %lu 429s)%s",
	    run->records, run->resolved, keys[0] ? " (" : "", keys, keys[0] ? ")" : "",
	    run->rejected, run->tally.inactive, gcu_dir_plan_name(c->plan), c->user_pages,
	    plural(c->user_pages, "s"), c->searches, plural(c->searches, "es"), c->catalogue_pages,
	    plural(c->catalogue_pages, "s"), run->reads.sent, run->reads.http_429,
	    rc == 1 ? " (stopped: --strict)" : "");
}

/* --- the first pass ------------------------------------------------------ */

/* Reads the input once for what must be found. Returns 0, or the exit
 * code after saying why. */
static int learn_needs(struct resolve_run *run)
{
	struct gcu_change_item item;
	char errbuf[1024];
	struct gcu_change_reader *r = gcu_change_reader_open(run->cfg, run->fd, run->name,
	                                                     run->format, errbuf, sizeof errbuf);
	int got;

	if (r == NULL)
		goto fail;
	while ((got = gcu_change_reader_next(r, &item, errbuf, sizeof errbuf)) == 1) {
		int rc = gcu_resolve_need(&run->needs, item.record);
		json_object_put(item.record);
		if (rc < 0) {
			snprintf(errbuf, sizeof errbuf, "out of memory");
			got = -1;
			break;
		}
	}
	gcu_change_reader_close(r);
	if (got == 0)
		return 0;
	gcu_stage_error("%s", errbuf);
	return got == -2 ? EX_DATAERR : EX_IOERR;
fail:
	gcu_stage_error("%s", errbuf);
	return EX_OSERR;
}

/* --- the directory ------------------------------------------------------ */

static int read_directory(struct resolve_run *run, uint64_t seed)
{
	struct gcu_auth auth = {0};
	struct gcu_dir_read_opts o = {0};
	char errbuf[1024] = "";

	int open_rc = gcu_platform_open(run->cfg, &auth, &o.http, errbuf, sizeof errbuf);
	if (open_rc != 0) {
		gcu_stage_error("%s", errbuf);
		gcu_http_free(o.http);
		gcu_auth_free(&auth);
		return open_rc;
	}
	o.stop = gcu_stage_catch_stop();
	gcu_stage_bind();

	o.cfg = run->cfg;
	o.auth = &auth;
	o.seed = seed;
	o.notice = gcu_stage_notice;
	o.report = gcu_stage_report;
	o.needs = &run->needs.dir;
	o.progress = live ? progress : NULL;
	int rc = gcu_directory_read(run->dir, &o, &run->cost, &run->reads, errbuf, sizeof errbuf);
	if (live)
		fputs("\r\033[K", live);
	if (rc != 0)
		gcu_stage_error("%s", errbuf);
	gcu_http_free(o.http);
	gcu_auth_free(&auth);
	return rc < 0 ? EX_IOERR : rc;
}

/* Finds the directory the records need: a capture, the platform, or
 * nothing. Returns 0, or the exit code after saying why. */
static int get_directory(struct resolve_run *run, const char *capture, int offline, uint64_t seed)
{
	char errbuf[1024];

	if (capture) {
		run->dir =
		    gcu_directory_load(capture, (size_t)run->cfg->max_line, errbuf, sizeof errbuf);
		if (run->dir == NULL) {
			gcu_stage_error("%s", errbuf);
			return EX_DATAERR;
		}
		run->cost.plan = GCU_PLAN_CAPTURE;
		run->cost.users = -1;
		gcu_stage_bind(); /* offline: no drain, SIGTERM ends it */
		return 0;
	}
	run->dir = gcu_directory_new();
	run->cost.users = -1;
	if (run->dir == NULL) {
		gcu_stage_error("out of memory");
		return EX_OSERR;
	}
	if (!gcu_resolve_needs_any(&run->needs)) {
		if (verbosity > 1)
			warnx("every user and every reference is an id: nothing to read");
		gcu_stage_bind();
		return 0;
	}
	if (offline) {
		snprintf(errbuf, sizeof errbuf,
		         "%s names users or objects by name: resolving them reads the directory; "
		         "offline, give a capture of it with --directory FILE "
		         "(gcu-resolve --capture-directory FILE makes one)",
		         run->name);
		gcu_stage_error("%s", errbuf);
		return EX_USAGE;
	}
	return read_directory(run, seed);
}

/* --- the second pass ----------------------------------------------------- */

/* Reports one bad record. Returns 0, 1 to stop (--strict), or -1 when
 * the rejects file could not be written (errbuf filled). */
static int reject(struct resolve_run *run, const struct gcu_change_reader *r,
                  const struct gcu_change_item *item, const char *why, char *errbuf, size_t errlen)
{
	run->rejected++;
	gcu_stage_report(NULL, run->name, item->line, why);
	if (gcu_rejects_write(&run->rejects, gcu_change_reader_header(r), item->raw, item->raw_len,
	                      errbuf, errlen) < 0)
		return -1;
	return run->strict ? 1 : 0;
}

/* Reads the input again and writes every record by id. Returns 0, 1
 * when stopped by --strict, -1 on an error (errbuf filled). */
static int resolve_all(struct resolve_run *run, char *errbuf, size_t errlen)
{
	struct gcu_change_item item;
	struct gcu_change_reader *r =
	    gcu_change_reader_open(run->cfg, run->fd, run->name, run->format, errbuf, errlen);
	char src[4096], why[1024], note[1024];
	int got, rc = 0;

	if (r == NULL)
		return -1;
	while (rc == 0 && (got = gcu_change_reader_next(r, &item, errbuf, errlen)) == 1) {
		run->records++;
		snprintf(src, sizeof src, "%s:%lu", run->name, item.line);
		json_object *out = item.record ? gcu_resolve_record(run->cfg, run->dir, item.record,
		                                                    src, &run->tally, note,
		                                                    sizeof note, why, sizeof why)
		                               : NULL;
		if (item.record == NULL)
			snprintf(why, sizeof why, "%s", item.err);
		json_object_put(item.record);
		if (out == NULL) {
			rc = reject(run, r, &item, why, errbuf, errlen);
			continue;
		}
		run->resolved++;
		if (note[0])
			gcu_stage_say("%s:%lu: note: %s; the change goes ahead", run->name,
			              item.line, note);
		if (gcu_stage_write(run->out, out, errbuf, errlen) < 0)
			rc = -1;
	}
	if (rc == 0 && got < 0)
		rc = -1;
	gcu_change_reader_close(r);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"directory", required_argument, NULL, 'D'},
	    {"capture-directory", required_argument, NULL, 'C'},
	    {"offline", no_argument, NULL, 'o'},
	    {"rejects", required_argument, NULL, 'r'},
	    {"strict", no_argument, NULL, 'x'},
	    GCU_STAGE_NET_LONGOPTS,
	    GCU_STAGE_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct gcu_config cfg;
	struct resolve_run run = {0};
	struct ndjson_writer out = {0}, rejects = {0};
	struct gcu_stage_cli cli = {
	    .name = "gcu-resolve", .usage = usage, .help = help, .verbosity = 1};
	const char *format = "auto", *directory = NULL, *capture = NULL;
	const char *rejects_path = NULL;
	int ch, rc, offline = 0, owned = -1, fd = STDIN_FILENO;
	char errbuf[1024];

	gcu_stage_private();
	while ((ch = getopt_long(argc, argv, GCU_STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 'D':
			directory = optarg;
			break;
		case 'C':
			capture = optarg;
			break;
		case 'o':
			offline = 1;
			break;
		case 'r':
			rejects_path = optarg;
			break;
		case 'x':
			run.strict = 1;
			break;
		default: /* the options every stage takes, -h, -V, else a usage error */
			gcu_stage_default_option(&cli, ch, optarg);
		}
	}
	verbosity = cli.verbosity;
	const char *path = gcu_stage_operand(&cli, argc, argv);
	if (directory && cli.concurrency) {
		warnx("--directory reads offline: --concurrency does not apply");
		usage();
	}
	gcu_stage_summary(&cli, &json_summary);
	summarize(&run);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	if (gcu_stage_config(&cfg, cli.config, cli.concurrency, cli.max_line, errbuf,
	                     sizeof errbuf) < 0)
		gcu_stage_fail(EX_USAGE, "%s", errbuf);
	if (gcu_format_parse(format, &run.format) < 0)
		gcu_stage_fail(EX_USAGE, "--format: '%.64s' is not csv, ndjson or auto", format);
	run.cfg = &cfg;
	run.name = "stdin";
	if (strcmp(path, "-") != 0) {
		run.name = path;
		fd = open(run.name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			gcu_stage_fail(EX_NOINPUT, "%s: %s", run.name, strerror(errno));
	}
	run.fd = gcu_change_input_rewindable(fd, &owned, errbuf, sizeof errbuf);
	if (run.fd < 0)
		gcu_stage_fail(EX_IOERR, "%s", errbuf);
	live = gcu_stage_progress(verbosity);
	gcu_stage_live(live);
	off_t start = lseek(run.fd, 0, SEEK_CUR);

	rc = learn_needs(&run);
	if (rc == 0)
		rc = get_directory(&run, directory, offline, cli.seed);
	if (rc == 0 && capture &&
	    gcu_directory_write(run.dir, capture, errbuf, sizeof errbuf) < 0) {
		gcu_stage_error("%s", errbuf);
		rc = EX_CANTCREAT;
	}
	if (rc == 0 && lseek(run.fd, start, SEEK_SET) < 0) {
		gcu_stage_error("%s: %s", run.name, strerror(errno));
		rc = EX_IOERR;
	}
	int write_failed = 0;
	if (rc == 0) {
		ndjson_writer_open(&out, "-");
		run.out = &out;
		if (rejects_path && ndjson_writer_open_atomic(&rejects, rejects_path) < 0)
			gcu_stage_fail(EX_CANTCREAT, "%s: %s", rejects_path, strerror(errno));
		run.rejects.w = rejects_path ? &rejects : NULL;
		int got = resolve_all(&run, errbuf, sizeof errbuf);
		if (got < 0) {
			gcu_stage_error("%s", errbuf);
			rc = EX_IOERR;
		} else if (got == 1) {
			gcu_summary_error(&json_summary,
			                  "stopped at the first bad record (--strict)");
			rc = 1;
		}
		if (gcu_stage_close_output(&out, rc == EX_IOERR) < 0)
			write_failed = 1;
		if (rejects.fp) {
			if (rc != 0 && rc != 1 && rejects.error == 0)
				rejects.error = ECANCELED;
			if (ndjson_writer_close(&rejects) < 0 && (rc == 0 || rc == 1)) {
				warnx("%s: %s", rejects.name, strerror(rejects.error));
				write_failed = 1;
			}
			ndjson_writer_free(&rejects);
		}
	}
	summarize(&run);
	if (rc == 0 || rc == 1)
		summary_line(&run, rc);
	gcu_directory_free(run.dir);
	gcu_resolve_needs_free(&run.needs);
	if (owned >= 0)
		close(owned);
	if (fd != STDIN_FILENO)
		close(fd);
	gcu_config_free(&cfg);
	ndjson_parse_release();
	curl_global_cleanup();
	if (rc == 1)
		return EX_DATAERR; /* --strict */
	if (rc != 0)
		return rc;
	if (write_failed)
		return EX_IOERR;
	return run.rejected ? 1 : 0;
}
