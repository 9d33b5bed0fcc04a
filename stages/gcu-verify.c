/*
 * gcu-verify - read the users again after gcu-send and check that every
 * change it reported as saved holds.
 *
 * A proxy in front of the platform may answer 200 while nothing was
 * saved; only a read afterwards tells. main() reads the options, obtains
 * a token and reports; the reads are lib/bulkread.c's, the check is
 * lib/verify.c's.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth.h"
#include "bulkread.h"
#include "config.h"
#include "http.h"
#include "json_access.h"
#include "keyset.h"
#include "ndjson.h"
#include "verify.h"
#include "stage.h"
#include "stage_main.h"
#include "summary.h"
#include "userdoc.h"

static FILE *live;                      /* the live progress line, or NULL */
static struct gcu_summary json_summary; /* --summary: written at exit */

struct verify_run {
	struct ndjson_writer *out;
	struct gcu_keyset seen; /* user+scope+src already queued */
	unsigned long not_ok, repeated;
	unsigned long verdicts[GCU_NVERDICTS];
};

static void usage(void)
{
	fprintf(stderr, "usage: gcu-verify [-qv] [-c config] [--concurrency n] [--seed n]\n"
	                "                  [--max-line bytes] [--summary file] [file | -]\n");
	exit(EX_USAGE);
}

static void help(void)
{
	printf("usage: gcu-verify [options] [file | -]\n"
	       "\n"
	       "Read the users of result records (gcu-send output) again and check that the\n"
	       "changes reported as ok hold. One verification record per user, scope and\n"
	       "change record whose result is ok, however many requests it took, and one\n"
	       "per queue, team or division change of a group request's member:\n"
	       "{\"id\",\"src\",\"scope\",\"verified\":true}, or \"verified\":false with\n"
	       "\"mismatch\":{field:{\"want\",\"got\"}}, or with \"error\" when the user cannot\n"
	       "be read. Results that are unchanged, failed, conflict, interrupted or\n"
	       "rejected are skipped (counted, not verified). Reads go 100 users to a bulk\n"
	       "GET (with the team for the routing scope), and 100 members to a page of each\n"
	       "queue the results name, paced and retried as in gcu-fetch.\n"
	       "\n"
	       "  -c, --config FILE        settings file (default: $GCU_CONFIG, else built-in)\n"
	       "      --concurrency N      bulk reads in flight at most (default 6)\n"
	       "      --seed N             seed the jitter (for reproducible tests)\n"
	       "      --max-line BYTES     longest accepted line (default 1048576)\n"
	       "      --summary FILE       at exit, write the counts to FILE as one JSON object:\n"
	       "                           program, version, exit, elapsed, error, rejects,\n"
	       "                           records, verified, mismatches, unreadable, skipped,\n"
	       "                           repeated, rejected, reads, requests, http_429,\n"
	       "                           retries, refreshes, capped, blind, queue_pages\n"
	       "                           (gcu-verify(1))\n"
	       "  -q, --quiet              no summary\n"
	       "  -v, --verbose            more detail on stderr\n"
	       "  -h, --help               this text\n"
	       "  -V, --version            the version\n"
	       "\n" GCU_STAGE_CREDENTIALS_HELP "\n"
	       "Exit: 0 every change holds, 1 some do not, cannot be read, or records were\n"
	       "rejected, 64 usage, 69 platform unavailable, 74 output could not be written,\n"
	       "75 interrupted, 77 not authorised.\n");
	exit(0);
}

static enum gcu_bulk_take accept_result(void *ctx, json_object *rec, const char **id,
                                        enum gcu_scope *scope, json_object **queues, char *why,
                                        size_t whylen)
{
	struct verify_run *run = ctx;
	char key[2048];
	enum gcu_bulk_take t = gcu_verify_classify(rec, id, scope, why, whylen);

	if (t == GCU_BULK_SKIP)
		run->not_ok++;
	if (t != GCU_BULK_READ)
		return t;
	if (gcu_verify_key(rec, key, sizeof key) < 0) {
		snprintf(why, whylen, "src too long");
		return GCU_BULK_REJECT;
	}
	int added = gcu_keyset_add(&run->seen, key);
	if (added < 0) {
		snprintf(why, whylen, "out of memory");
		return GCU_BULK_REJECT;
	}
	if (added == 0) {
		run->repeated++; /* another request of the same change: one read does */
		return GCU_BULK_SKIP;
	}
	/* A queue change is read back from the queue's member pages alone. */
	json_object *changes = gcu_json_get(rec, "changes");
	*queues = gcu_changes_queues(changes);
	return *queues && json_object_object_length(changes) == 1 ? GCU_BULK_QUEUES : GCU_BULK_READ;
}

static int emit(void *ctx, const struct gcu_bulk_outcome *oc, char *err, size_t errlen)
{
	struct verify_run *run = ctx;
	enum gcu_verdict v = GCU_UNREADABLE;
	json_object *out = gcu_verify_record(oc->rec, oc->user, oc->status, oc->message, &v);

	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	run->verdicts[v]++;
	return gcu_stage_write(run->out, out, err, errlen);
}

static void progress(void *ctx, const struct gcu_bulk_stats *st)
{
	const struct verify_run *run = ctx;
	fprintf(live, "\r\033[Kgcu-verify: %lu verified, %lu mismatched, %lu bulk reads",
	        run->verdicts[GCU_VERIFIED], run->verdicts[GCU_MISMATCH], st->batches_ok);
}

static void summary(const struct gcu_bulk_stats *st, const struct verify_run *run)
{
	char queues[96];

	gcu_stage_summary_line(
	    "%lu results: %lu verified, %lu mismatched, %lu unreadable, "
	    "%lu skipped (not ok), %lu repeated, %lu "
	    "rejected; %lu bulk reads%s (%lu requests, %lu 429s, %lu retries), %.1f s%s",
	    st->records, run->verdicts[GCU_VERIFIED], run->verdicts[GCU_MISMATCH],
	    run->verdicts[GCU_UNREADABLE], run->not_ok, run->repeated, st->rejected, st->batches_ok,
	    gcu_bulk_queue_words(st, queues, sizeof queues), st->sent, st->http_429, st->retries,
	    st->elapsed, st->blind ? " (no rate headers: blind)" : "");
}

/* The counts of the --summary file (gcu-verify(1) lists them). */
static void summarize(const struct gcu_bulk_stats *st, const struct verify_run *run)
{
	gcu_summary_count(&json_summary, NULL, "records", st->records);
	gcu_summary_count(&json_summary, NULL, "verified", run->verdicts[GCU_VERIFIED]);
	gcu_summary_count(&json_summary, NULL, "mismatches", run->verdicts[GCU_MISMATCH]);
	gcu_summary_count(&json_summary, NULL, "unreadable", run->verdicts[GCU_UNREADABLE]);
	gcu_summary_count(&json_summary, NULL, "skipped", run->not_ok);
	gcu_summary_count(&json_summary, NULL, "repeated", run->repeated);
	gcu_summary_count(&json_summary, NULL, "rejected", st->rejected);
	gcu_summary_reads(&json_summary, st);
	gcu_summary_count(&json_summary, NULL, "queue_pages", st->queue_pages);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    GCU_STAGE_NET_LONGOPTS, GCU_STAGE_LONGOPTS, {NULL, 0, NULL, 0}};
	struct gcu_config cfg;
	struct gcu_auth auth = {0};
	struct gcu_bulk_opts o = {0};
	struct gcu_bulk_stats st = {0};
	struct verify_run run = {0};
	struct ndjson_reader in;
	struct ndjson_writer out;
	struct gcu_stage_cli cli = {
	    .name = "gcu-verify", .usage = usage, .help = help, .verbosity = 1};
	char errbuf[1024] = "";
	int ch, rc;

	gcu_stage_private();
	/* Only the options every stage takes, -h, -V, else a usage error. */
	while ((ch = getopt_long(argc, argv, GCU_STAGE_SHORTOPTS, longopts, NULL)) != -1)
		gcu_stage_default_option(&cli, ch, optarg);
	o.seed = cli.seed;
	const char *path = gcu_stage_operand(&cli, argc, argv);
	gcu_stage_summary(&cli, &json_summary);
	summarize(&st, &run);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	rc = gcu_stage_start(&cli, &json_summary, &cfg, &in, path, errbuf, sizeof errbuf);
	if (rc != 0)
		errx(rc, "%s", errbuf);
	rc = gcu_platform_open(&cfg, &auth, &o.http, errbuf, sizeof errbuf);
	if (rc != 0)
		gcu_stage_fail(rc, "%s", errbuf);
	ndjson_writer_open(&out, "-");

	o.stop = gcu_stage_catch_stop();
	gcu_stage_bind();

	live = gcu_stage_progress(cli.verbosity);
	gcu_stage_live(live);
	run.out = &out;
	o.cfg = &cfg;
	o.auth = &auth;
	o.in = &in;
	o.accept = accept_result;
	o.emit = emit;
	o.report = gcu_stage_report;
	o.notice = gcu_stage_notice;
	o.progress = live ? progress : NULL;
	o.ctx = &run;

	rc = gcu_bulk_run(&o, &st, errbuf, sizeof errbuf);
	if (live)
		fputs("\r\033[K", live);
	if (rc != 0 && errbuf[0] != '\0')
		gcu_stage_error("%s", errbuf);
	int write_failed = gcu_stage_close_output(&out, rc < 0) < 0;
	summarize(&st, &run);
	summary(&st, &run);
	gcu_keyset_free(&run.seen);
	gcu_http_free(o.http);
	gcu_auth_free(&auth);
	ndjson_reader_close(&in);
	gcu_config_free(&cfg);
	ndjson_parse_release();
	curl_global_cleanup();

	if (rc < 0 || write_failed)
		return EX_IOERR;
	if (rc > 0) /* the run stopped: EX_TEMPFAIL, EX_NOPERM or EX_UNAVAILABLE */
		return rc;
	if (st.batches_bad && st.unavailable && st.batches_ok == 0)
		return EX_UNAVAILABLE;
	return (run.verdicts[GCU_MISMATCH] || run.verdicts[GCU_UNREADABLE] || st.rejected) ? 1 : 0;
}
