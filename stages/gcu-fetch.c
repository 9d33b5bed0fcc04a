/*
 * gcu-fetch - add each user's current version and values to scoped
 * change records.
 *
 * By default it reads the users from the platform, a hundred to a bulk
 * GET (lib/bulkread.c does the batching, pacing and retrying); with
 * --snapshot FILE it joins the records with a captured export of the org,
 * offline, and --capture FILE writes such an export while reading. A
 * user that cannot be read becomes a record with an "error", never a
 * missing line; the output keeps the input's order.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth.h"
#include "bulkread.h"
#include "expect.h"
#include "json_access.h"
#include "config.h"
#include "http.h"
#include "keyset.h"
#include "ndjson.h"
#include "record_loop.h"
#include "records.h"
#include "snapshot.h"
#include "stage.h"
#include "stage_main.h"
#include "summary.h"

static int verbosity = 1;
static FILE *live;                      /* the live progress line, or NULL */
static struct gcu_summary json_summary; /* --summary: written at exit */

struct fetch_run {
	struct gcu_snapshot *snap;
	struct ndjson_writer *out;
	struct ndjson_writer *capture; /* or NULL */
	struct gcu_keyset captured;
	unsigned long found, missing;
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: gcu-fetch [-qv] [-c config] [--concurrency n] [--capture file] [--seed n]\n"
	        "                 [--max-line bytes] [--summary file] [file | -]\n"
	        "       gcu-fetch [-qv] [-c config] --snapshot file [--max-line bytes]\n"
	        "                 [--summary file] [file | -]\n");
	exit(EX_USAGE);
}

static void help(void)
{
	printf("usage: gcu-fetch [options] [file | -]\n"
	       "\n"
	       "Add \"current\" (version and the current value of every changed field) to\n"
	       "scoped change records (gcu-partition output), or \"error\" when the user\n"
	       "cannot be read. Users are read from the platform, up to 100 in one bulk GET\n"
	       "(expanded with skills, languages, routing status and team for the routing\n"
	       "scope); the members of each queue the records name are read once, 100 a\n"
	       "page, and a record whose queue cannot be read gets that queue's error.\n"
	       "Reads are paced by the rate-limit headers; a 429 pauses every read, 5xx and\n"
	       "dropped connections are retried with backoff. A user the platform does not\n"
	       "know gets error 404; a read that fails for good gives its records the HTTP\n"
	       "status (0 for no answer) and the reason. The output keeps the input's order.\n"
	       "\n"
	       "  -c, --config FILE        settings file (default: $GCU_CONFIG, else built-in)\n"
	       "      --concurrency N      bulk reads in flight at most (default 6)\n"
	       "      --capture FILE       also write every user document read to FILE (NDJSON,\n"
	       "                           complete with skills, languages, routing status,\n"
	       "                           team, and the queues read that the user is in)\n"
	       "      --snapshot FILE      read users from a captured export instead, offline\n"
	       "      --seed N             seed the jitter (for reproducible tests)\n"
	       "      --max-line BYTES     longest accepted line (default 1048576)\n"
	       "      --summary FILE       at exit, write the counts to FILE as one JSON object:\n"
	       "                           program, version, exit, elapsed, error, rejects,\n"
	       "                           records, read, not_found, failed, interrupted,\n"
	       "                           rejected, reads, requests, http_429, retries,\n"
	       "                           refreshes, capped, blind, queue_pages\n"
	       "                           (gcu-fetch(1))\n"
	       "  -q, --quiet              no summary\n"
	       "  -v, --verbose            more detail on stderr\n"
	       "  -h, --help               this text\n"
	       "  -V, --version            the version\n"
	       "\n" GCU_STAGE_CREDENTIALS_HELP "\n"
	       "Exit: 0 all read, 1 some users not found or not read or records rejected,\n"
	       "64 usage, 65 bad snapshot, 69 platform unavailable, 74 output could not be\n"
	       "written, 75 interrupted (the records not read carry an error, status 0),\n"
	       "77 not authorised.\n");
	exit(0);
}

/* The counts of the --summary file (gcu-fetch(1) lists them). */
static void summarize(const struct gcu_bulk_stats *st)
{
	gcu_summary_count(&json_summary, NULL, "records", st->records);
	gcu_summary_count(&json_summary, NULL, "read", st->results[GCU_BULK_FOUND]);
	gcu_summary_count(&json_summary, NULL, "not_found", st->results[GCU_BULK_NOT_FOUND]);
	gcu_summary_count(&json_summary, NULL, "failed", st->results[GCU_BULK_FAILED]);
	gcu_summary_count(&json_summary, NULL, "interrupted", st->results[GCU_BULK_INTERRUPTED]);
	gcu_summary_count(&json_summary, NULL, "rejected", st->rejected);
	gcu_summary_reads(&json_summary, st);
	gcu_summary_count(&json_summary, NULL, "queue_pages", st->queue_pages);
}

/* --- offline ------------------------------------------------------------ */

static int fetch_one(void *ctx, json_object *rec, unsigned long line, char *why, size_t whylen,
                     char *err, size_t errlen)
{
	struct fetch_run *run = ctx;
	const char *id;
	enum gcu_scope scope;
	json_object *changes, *out;
	(void)line;

	if (gcu_scoped_check(rec, &id, &scope, &changes, why, whylen) < 0)
		return 1;
	json_object *user = gcu_snapshot_get(run->snap, id);
	if (user) {
		run->found++;
		out = gcu_fetched_record(rec, user, 0, NULL);
	} else {
		run->missing++;
		out = gcu_fetched_record(rec, NULL, 404, "user not found in the snapshot");
	}
	return gcu_stage_write(run->out, out, err, errlen);
}

static int run_snapshot(const char *snapshot, struct ndjson_reader *in, struct ndjson_writer *out,
                        const struct gcu_config *cfg)
{
	struct gcu_loop_stats st = {0};
	struct fetch_run run = {0};
	char errbuf[1024] = "";

	run.snap = gcu_snapshot_load(snapshot, (size_t)cfg->max_line, errbuf, sizeof errbuf);
	if (run.snap == NULL)
		gcu_stage_fail(EX_DATAERR, "%s", errbuf);
	run.out = out;
	int rc =
	    gcu_record_loop(in, fetch_one, gcu_stage_report, &run, 0, &st, errbuf, sizeof errbuf);
	if (rc < 0)
		gcu_stage_error("%s", errbuf);
	int write_failed = gcu_stage_close_output(out, rc < 0) < 0;
	gcu_snapshot_free(run.snap);
	summarize(&(struct gcu_bulk_stats){.records = st.records,
	                                   .rejected = st.rejected,
	                                   .results[GCU_BULK_FOUND] = run.found,
	                                   .results[GCU_BULK_NOT_FOUND] = run.missing});
	gcu_stage_summary_line("%lu records: %lu read, %lu not found, %lu rejected", st.records,
	                       run.found, run.missing, st.rejected);
	if (rc < 0 || write_failed)
		return EX_IOERR;
	return (st.rejected || run.missing) ? 1 : 0;
}

/* --- from the platform -------------------------------------------------- */

static enum gcu_bulk_take accept_record(void *ctx, json_object *rec, const char **id,
                                        enum gcu_scope *scope, json_object **queues, char *why,
                                        size_t whylen)
{
	json_object *changes;
	(void)ctx;
	if (gcu_scoped_check(rec, id, scope, &changes, why, whylen) < 0)
		return GCU_BULK_REJECT;
	*queues = gcu_expect_queues(rec);
	return GCU_BULK_READ;
}

static int emit(void *ctx, const struct gcu_bulk_outcome *oc, char *err, size_t errlen)
{
	struct fetch_run *run = ctx;
	json_object *out =
	    gcu_fetched_record(oc->rec, oc->user, oc->status, oc->message ? oc->message : "");

	return gcu_stage_write(run->out, out, err, errlen);
}

/* Writes each user read once to the capture, whatever its batches. */
static int capture(void *ctx, json_object *user, char *err, size_t errlen)
{
	struct fetch_run *run = ctx;
	char id[64];
	const char *s = gcu_json_str(user, "id");

	if (run->capture == NULL || s == NULL)
		return 0;
	snprintf(id, sizeof id, "%s", s);
	for (char *p = id; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	int added = gcu_keyset_add(&run->captured, id);
	if (added < 0) {
		snprintf(err, errlen, "%s: out of memory", run->capture->name);
		return -1;
	}
	if (added && ndjson_write(run->capture, user) < 0) {
		snprintf(err, errlen, "%s: %s", run->capture->name, strerror(run->capture->error));
		return -1;
	}
	return 0;
}

static void progress(void *ctx, const struct gcu_bulk_stats *st)
{
	(void)ctx;
	unsigned long done = 0;
	for (int i = 0; i < GCU_BULK_NRESULTS; i++)
		done += st->results[i];
	fprintf(live, "\r\033[Kgcu-fetch: %lu records written, %lu bulk reads, %lu 429s", done,
	        st->batches_ok, st->http_429);
}

static void summary(const struct gcu_bulk_stats *st)
{
	char queues[96];

	gcu_stage_summary_line(
	    "%lu records: %lu read, %lu not found, %lu failed, %lu interrupted, "
	    "%lu rejected; %lu bulk reads%s (%lu requests, %lu 429s, %lu retries), %.1f s%s",
	    st->records, st->results[GCU_BULK_FOUND], st->results[GCU_BULK_NOT_FOUND],
	    st->results[GCU_BULK_FAILED], st->results[GCU_BULK_INTERRUPTED], st->rejected,
	    st->batches_ok, gcu_bulk_queue_words(st, queues, sizeof queues), st->sent, st->http_429,
	    st->retries, st->elapsed, st->blind ? " (no rate headers: blind)" : "");
}

static int run_platform(struct ndjson_reader *in, struct ndjson_writer *out,
                        const char *capture_path, const struct gcu_config *cfg, uint64_t seed)
{
	struct gcu_auth auth = {0};
	struct gcu_bulk_opts o = {0};
	struct gcu_bulk_stats st = {0};
	struct ndjson_writer cap = {0};
	struct fetch_run run = {0};
	char errbuf[1024] = "";

	int open_rc = gcu_platform_open(cfg, &auth, &o.http, errbuf, sizeof errbuf);
	if (open_rc != 0)
		gcu_stage_fail(open_rc, "%s", errbuf);
	if (capture_path && ndjson_writer_open_atomic(&cap, capture_path) < 0)
		gcu_stage_fail(EX_CANTCREAT, "%s: %s", capture_path, strerror(errno));

	o.stop = gcu_stage_catch_stop();
	gcu_stage_bind();

	run.out = out;
	run.capture = capture_path ? &cap : NULL;
	o.cfg = cfg;
	o.auth = &auth;
	o.in = in;
	o.seed = seed;
	o.always_expand = capture_path != NULL;
	o.accept = accept_record;
	o.emit = emit;
	o.user = capture_path ? capture : NULL;
	o.report = gcu_stage_report;
	o.notice = gcu_stage_notice;
	o.progress = live ? progress : NULL;
	o.ctx = &run;

	int rc = gcu_bulk_run(&o, &st, errbuf, sizeof errbuf);
	if (live)
		fputs("\r\033[K", live);
	if (rc != 0 && errbuf[0] != '\0')
		gcu_stage_error("%s", errbuf);
	int write_failed = gcu_stage_close_output(out, rc < 0) < 0;
	summarize(&st);
	if (cap.fp) {
		if (ndjson_writer_close(&cap) < 0) {
			warnx("%s: %s", cap.name, strerror(cap.error));
			write_failed = 1;
		}
		ndjson_writer_free(&cap);
	}
	summary(&st);
	gcu_keyset_free(&run.captured);
	gcu_http_free(o.http);
	gcu_auth_free(&auth);

	if (rc < 0 || write_failed)
		return EX_IOERR;
	if (rc > 0) /* the run stopped: EX_TEMPFAIL, EX_NOPERM or EX_UNAVAILABLE */
		return rc;
	if (st.batches_bad && st.unavailable && st.batches_ok == 0)
		return EX_UNAVAILABLE;
	return (st.rejected || st.results[GCU_BULK_NOT_FOUND] || st.results[GCU_BULK_FAILED]) ? 1
	                                                                                      : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"capture", required_argument, NULL, 'C'},
	                                         {"snapshot", required_argument, NULL, 's'},
	                                         GCU_STAGE_NET_LONGOPTS,
	                                         GCU_STAGE_LONGOPTS,
	                                         {NULL, 0, NULL, 0}};
	struct gcu_config cfg;
	struct ndjson_reader in;
	struct ndjson_writer out;
	struct gcu_stage_cli cli = {
	    .name = "gcu-fetch", .usage = usage, .help = help, .verbosity = 1};
	const char *snapshot = NULL, *capture_path = NULL;
	char errbuf[1024] = "";
	int ch, rc;

	gcu_stage_private();
	while ((ch = getopt_long(argc, argv, GCU_STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			capture_path = optarg;
			break;
		case 's':
			snapshot = optarg;
			break;
		default: /* the options every stage takes, -h, -V, else a usage error */
			gcu_stage_default_option(&cli, ch, optarg);
		}
	}
	verbosity = cli.verbosity;
	const char *path = gcu_stage_operand(&cli, argc, argv);
	if (snapshot && (capture_path || cli.concurrency)) {
		warnx("--snapshot reads offline: --capture and --concurrency do not apply");
		usage();
	}
	gcu_stage_summary(&cli, &json_summary);
	summarize(&(struct gcu_bulk_stats){0});
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	rc = gcu_stage_start(&cli, &json_summary, &cfg, &in, path, errbuf, sizeof errbuf);
	if (rc != 0)
		errx(rc, "%s", errbuf);
	ndjson_writer_open(&out, "-");
	live = gcu_stage_progress(verbosity);
	gcu_stage_live(live);

	if (snapshot) {
		gcu_stage_bind(); /* offline: no drain, SIGTERM ends it */
		rc = run_snapshot(snapshot, &in, &out, &cfg);
	} else {
		rc = run_platform(&in, &out, capture_path, &cfg, cli.seed);
	}
	ndjson_reader_close(&in);
	gcu_config_free(&cfg);
	ndjson_parse_release();
	curl_global_cleanup();
	return rc;
}
