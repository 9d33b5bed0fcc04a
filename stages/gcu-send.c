/*
 * gcu-send - send request records to the platform, throttled and
 * retried, and write one result record per request.
 *
 * main() reads the options, obtains a token, sets up the HTTP loop and
 * the signals, and reports; the engine is lib/sender.c.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "ndjson.h"
#include "resume.h"
#include "sender.h"
#include "stage.h"
#include "stage_main.h"
#include "summary.h"

static FILE *live;                      /* the live progress line, or NULL */
static struct gcu_summary json_summary; /* --summary: written at exit */

static void usage(void)
{
	fprintf(stderr, "usage: gcu-send [-qv] [-c config] [--concurrency n] [--failed file]\n"
	                "                [--resume results] [--undo file] [--dry-run] [--seed n]\n"
	                "                [--summary file] [file | -]\n");
	exit(EX_USAGE);
}

static void help(void)
{
	printf(
	    "usage: gcu-send [options] [file | -]\n"
	    "\n"
	    "Send request records (gcu-merge output) to the platform and write one result\n"
	    "record per input line (a group request: one per member, with \"line\" naming\n"
	    "the request): "
	    "{\"id\",\"src\",\"scope\",\"op\",\"status\",\"http\",\"attempts\",\n"
	    "\"version\",\"ms\",\"error\",\"at\",\"path\",\"changes\",\"undo\"}, status ok, "
	    "unchanged, failed,\n"
	    "conflict, interrupted or rejected. Paces itself from the rate-limit headers,\n"
	    "pauses everything on a 429, backs off on 5xx, re-reads and re-merges on a\n"
	    "version conflict, refreshes the token once on a 401.\n"
	    "\n"
	    "Only the requests gcu-merge makes go out: its methods and paths, for the\n"
	    "line's own user, with bodies holding only what the endpoint takes. Any\n"
	    "other line (a DELETE of a user, a foreign path, a field the endpoint does\n"
	    "not take, a number that is not finite, not JSON, too long) is rejected and\n"
	    "never sent: its result {\"id\",\"src\",\"scope\",\"status\":\"rejected\",\"error\",\n"
	    "\"line\":\"FILE:N\"} says why, and --failed gets the line as it was.\n"
	    "\n"
	    "  -c, --config FILE        settings file (default: $GCU_CONFIG, else built-in)\n"
	    "      --concurrency N      requests in flight at most (default 6)\n"
	    "      --failed FILE        copy the lines that failed or were rejected to FILE\n"
	    "      --resume RESULTS     skip requests that RESULTS says are ok or unchanged\n"
	    "      --undo FILE          write to FILE, for each user and scope with requests\n"
	    "                           that came back ok (or were, in RESULTS), the change\n"
	    "                           record that restores the values they replaced:\n"
	    "                           {\"id\",\"src\",\"changes\",\"expect\"}; expect holds "
	    "what\n"
	    "                           was written, so the way back skips, as a conflict,\n"
	    "                           what someone else has changed since\n"
	    "      --dry-run            print method, path and body; send nothing\n"
	    "      --seed N             seed the jitter (for reproducible tests)\n"
	    "      --max-line BYTES     longest accepted line (default 1048576)\n"
	    "      --summary FILE       at exit, write the counts to FILE as one JSON object:\n"
	    "                           program, version, exit, elapsed, error, rejects,\n"
	    "                           records, requests, resumed, results {ok, unchanged,\n"
	    "                           failed, conflict, interrupted, rejected}, rejected,\n"
	    "                           sent, http_429, retries, conflicts, resolved, parked,\n"
	    "                           refreshes, capped, rate, limit, window, blind,\n"
	    "                           interrupted, auth_failed, gave_up (gcu-send(1))\n"
	    "  -q, --quiet              no summary\n"
	    "  -v, --verbose            name every failed request on stderr\n"
	    "  -h, --help               this text\n"
	    "  -V, --version            the version\n"
	    "\n" GCU_STAGE_CREDENTIALS_HELP
	    "Any setting can be given as GCU_<KEY>, e.g. GCU_PLATFORM_WINDOW=3,\n"
	    "GCU_RETRY_MAX_WAIT=60.\n"
	    "SIGINT/SIGTERM: stop sending, let requests in flight finish, mark the rest\n"
	    "interrupted, exit 75; a second signal stops at once.\n"
	    "\n"
	    "Exit: 0 all done, 1 some requests failed or lines were rejected, 64 usage,\n"
	    "69 platform unavailable, "
	    "74 results could not be written, 75 interrupted (use\n"
	    "--resume), 77 not authorised.\n");
	exit(0);
}

static unsigned long finished(const struct gcu_send_stats *st)
{
	unsigned long n = 0;
	for (int i = 0; i < GCU_RESULT_NSTATUS; i++)
		n += st->results[i];
	return n;
}

static void progress(void *ctx, const struct gcu_send_stats *st)
{
	(void)ctx;
	unsigned long done = finished(st);
	double rate = st->elapsed > 0 ? st->sent / st->elapsed : 0;
	char total[32] = "?", quota[48] = "?", eta[32] = "";

	if (st->total)
		snprintf(total, sizeof total, "%lu", st->total);
	if (st->left >= 0 && st->limit > 0)
		snprintf(quota, sizeof quota, "%ld/%ld", st->left, st->limit);
	else if (st->blind)
		snprintf(quota, sizeof quota, "blind");
	if (st->total && done > 0 && done < st->total)
		snprintf(eta, sizeof eta, ", ETA %.0fs",
		         (st->total - done) * (st->elapsed / (double)done));
	fprintf(live, "\r\033[Kgcu-send: %lu/%s done, %.1f req/s, quota %s%s", done, total, rate,
	        quota, eta);
}

static unsigned long count_lines(const char *path)
{
	char buf[65536];
	unsigned long n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return 0;
	while ((got = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < got; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

static void summary(const struct gcu_send_stats *st, const struct gcu_config *cfg)
{
	double rate = st->elapsed > 0 ? st->sent / st->elapsed : 0;
	double allowed = st->limit > 0 ? st->limit / cfg->platform_window
	                               : cfg->platform_limit / cfg->platform_window;
	char resumed[48] = "";

	if (st->resumed)
		snprintf(resumed, sizeof resumed, " (%lu resumed)", st->resumed);
	/* The limit counts over a sliding window, which lets a burst through:
	 * say what the window allowed, not a rate the average may pass. The
	 * statuses count results, which the requests are not: merge's
	 * unchanged lines pass through, and a group request has one a member. */
	gcu_stage_summary_line(
	    "%lu requests, %lu results: %lu ok, %lu unchanged, %lu failed, %lu conflict, "
	    "%lu interrupted, %lu rejected%s; %lu sent, %lu 429s, %lu retries, "
	    "%lu conflicts (%lu resolved, %lu parked); %.1f s, %.3g req/s; the platform allows at "
	    "most %ld in any %g s%s",
	    st->requests, finished(st), st->results[GCU_RESULT_OK],
	    st->results[GCU_RESULT_UNCHANGED], st->results[GCU_RESULT_FAILED],
	    st->results[GCU_RESULT_CONFLICT], st->results[GCU_RESULT_INTERRUPTED],
	    st->results[GCU_RESULT_REJECTED], resumed, st->sent, st->http_429, st->retries,
	    st->conflicts, st->resolved, st->parked, st->elapsed, rate,
	    st->limit > 0 ? st->limit : cfg->platform_limit, cfg->platform_window,
	    st->blind ? " (no rate headers: blind)" : "");
	/* The bottleneck: time with work waiting on the in-flight bound, while
	 * the quota would have allowed more. */
	double conc = st->blocked[GCU_PACE_CONCURRENCY], quota = st->blocked[GCU_PACE_QUOTA];
	if (st->elapsed > 1 && conc > 0.5 * st->elapsed && quota < 0.1 * st->elapsed &&
	    rate < 0.8 * allowed)
		gcu_stage_say(
		    "concurrency, not the rate limit, was the bottleneck (%.0f%% of the "
		    "time at %ld in flight); raise --concurrency (or concurrency: in the config) "
		    "to go faster",
		    100 * conc / st->elapsed, cfg->concurrency);
}

/* The counts of the --summary file (gcu-send(1) lists them). window is
 * the one the headers' limit counts over (platform.window: no header
 * states it), NAN before the config is read. */
static void summarize(const struct gcu_send_stats *st, double window)
{
	struct gcu_summary *j = &json_summary;

	gcu_summary_count(j, NULL, "records", st->records);
	gcu_summary_count(j, NULL, "requests", st->requests);
	gcu_summary_count(j, NULL, "resumed", st->resumed);
	for (int i = 0; i < GCU_RESULT_NSTATUS; i++)
		gcu_summary_count(j, "results", gcu_result_name((enum gcu_result_status)i),
		                  st->results[i]);
	gcu_summary_count(j, NULL, "rejected", st->results[GCU_RESULT_REJECTED]);
	gcu_summary_count(j, NULL, "sent", st->sent);
	gcu_summary_count(j, NULL, "http_429", st->http_429);
	gcu_summary_count(j, NULL, "retries", st->retries);
	gcu_summary_count(j, NULL, "conflicts", st->conflicts);
	gcu_summary_count(j, NULL, "resolved", st->resolved);
	gcu_summary_count(j, NULL, "parked", st->parked);
	gcu_summary_count(j, NULL, "refreshes", st->refreshes);
	gcu_summary_count(j, NULL, "capped", st->capped);
	gcu_summary_number(j, NULL, "rate", st->elapsed > 0 ? st->sent / st->elapsed : 0);
	if (st->limit > 0) {
		gcu_summary_count(j, NULL, "limit", (unsigned long)st->limit);
		gcu_summary_number(j, NULL, "window", window);
	} else {
		gcu_summary_null(j, NULL, "limit");
		gcu_summary_null(j, NULL, "window");
	}
	gcu_summary_flag(j, NULL, "blind", st->blind);
	gcu_summary_flag(j, NULL, "interrupted", st->interrupted);
	gcu_summary_flag(j, NULL, "auth_failed", st->auth_failed);
	gcu_summary_flag(j, NULL, "gave_up", st->gave_up);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"failed", required_argument, NULL, 'f'},
	                                         {"resume", required_argument, NULL, 'r'},
	                                         {"undo", required_argument, NULL, 'u'},
	                                         {"dry-run", no_argument, NULL, 'd'},
	                                         GCU_STAGE_NET_LONGOPTS,
	                                         GCU_STAGE_LONGOPTS,
	                                         {NULL, 0, NULL, 0}};
	struct gcu_config cfg;
	struct gcu_auth auth = {0};
	struct gcu_send_opts o = {0};
	struct gcu_send_stats st = {0};
	struct ndjson_reader in;
	struct ndjson_writer out, failed = {0};
	struct gcu_resume *resume = NULL;
	struct gcu_stage_cli cli = {
	    .name = "gcu-send", .usage = usage, .help = help, .verbosity = 1};
	const char *failed_path = NULL, *resume_path = NULL, *undo_path = NULL;
	char errbuf[1024] = "";
	int ch, rc;

	gcu_stage_private();
	while ((ch = getopt_long(argc, argv, GCU_STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			failed_path = optarg;
			break;
		case 'r':
			resume_path = optarg;
			break;
		case 'u':
			undo_path = optarg;
			break;
		case 'd':
			o.dry_run = 1;
			break;
		default: /* the options every stage takes, -h, -V, else a usage error */
			gcu_stage_default_option(&cli, ch, optarg);
		}
	}
	o.seed = cli.seed;
	const char *path = gcu_stage_operand(&cli, argc, argv);
	gcu_stage_summary(&cli, &json_summary);
	summarize(&st, NAN);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	rc = gcu_stage_start(&cli, &json_summary, &cfg, &in, path, errbuf, sizeof errbuf);
	if (rc != 0)
		errx(rc, "%s", errbuf);
	if (resume_path) {
		unsigned long bad = 0;
		resume =
		    gcu_resume_load(resume_path, (size_t)cfg.max_line, &bad, errbuf, sizeof errbuf);
		if (resume == NULL)
			gcu_stage_fail(EX_NOINPUT, "%s", errbuf);
		if (bad && cli.verbosity > 0)
			warnx("%s: %lu unreadable lines skipped (a run that was killed leaves one)",
			      resume_path, bad);
	}
	char auth_why[512] = "";
	int auth_rc =
	    o.dry_run ? 0 : gcu_platform_open(&cfg, &auth, &o.http, auth_why, sizeof auth_why);
	if (auth_rc != 0) {
		/* The run goes on without a platform, so that every request still
		 * gets its (failed) result. */
		gcu_stage_error("%s", auth_why);
		o.fail_all = auth_why;
	}
	o.auth = o.http ? &auth : NULL;
	ndjson_writer_open(&out, "-");
	if (failed_path && ndjson_writer_open_atomic(&failed, failed_path) < 0)
		gcu_stage_fail(EX_CANTCREAT, "%s: %s", failed_path, strerror(errno));

	o.stop = gcu_stage_catch_stop();
	gcu_stage_bind();

	live = gcu_stage_progress(cli.verbosity);
	gcu_stage_live(live);
	if (live && strcmp(path, "-") != 0)
		st.total = count_lines(path);
	o.cfg = &cfg;
	o.in = &in;
	o.out = &out;
	o.failed = failed_path ? &failed : NULL;
	o.resume = resume;
	if (undo_path && (o.undo = gcu_undo_log_new()) == NULL)
		errx(EX_OSERR, "out of memory");
	o.report = gcu_stage_report;
	o.notice = gcu_stage_notice;
	o.progress = live ? progress : NULL;
	o.verbose = cli.verbosity > 1;

	rc = gcu_send_run(&o, &st, errbuf, sizeof errbuf);
	if (live)
		fputs("\r\033[K", live);
	if (rc != 0 && errbuf[0] != '\0')
		gcu_stage_error("%s", errbuf);
	int write_failed = gcu_stage_close_output(&out, rc < 0) < 0;
	/* Written whatever stopped the run: what was applied can be undone. */
	if (o.undo && gcu_undo_log_write(o.undo, undo_path, errbuf, sizeof errbuf) < 0) {
		gcu_stage_error("%s", errbuf);
		write_failed = 1;
	}
	gcu_undo_log_free(o.undo);
	summarize(&st, cfg.platform_window);
	if (failed.fp) {
		if (ndjson_writer_close(&failed) < 0) {
			gcu_stage_error("%s: %s", failed.name, strerror(failed.error));
			write_failed = 1;
		}
		ndjson_writer_free(&failed);
	}
	if (!o.dry_run)
		summary(&st, &cfg);
	else
		gcu_stage_summary_line("dry run: %lu requests printed, %lu rejected, nothing sent",
		                       st.requests, st.results[GCU_RESULT_REJECTED]);
	gcu_http_free(o.http);
	gcu_auth_free(&auth);
	gcu_resume_free(resume);
	ndjson_reader_close(&in);
	gcu_config_free(&cfg);
	ndjson_parse_release();
	curl_global_cleanup();

	if (rc < 0 || write_failed)
		return EX_IOERR;
	if (auth_rc != 0)
		return auth_rc;
	if (rc > 0) /* the run stopped: EX_TEMPFAIL, EX_NOPERM or EX_UNAVAILABLE */
		return rc;
	unsigned long bad = st.results[GCU_RESULT_FAILED] + st.results[GCU_RESULT_CONFLICT];
	if (bad && st.unavailable > 0 && st.results[GCU_RESULT_OK] == 0 && st.resumed == 0)
		return EX_UNAVAILABLE;
	return (bad || st.results[GCU_RESULT_REJECTED]) ? 1 : 0;
}
