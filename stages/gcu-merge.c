/*
 * gcu-merge - turn fetched records into the requests that make the
 * changes true.
 *
 * Writes one request record per HTTP request, an "unchanged" line for a
 * user whose changes already hold, and a "failed" line for a fetch error
 * or a change that cannot be merged; nothing read is dropped. Queue, team
 * and division changes join group requests (lib/groups.c), written when
 * full or at the end.
 */
#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "groups.h"
#include "ndjson.h"
#include "record_loop.h"
#include "records.h"
#include "stage.h"
#include "stage_main.h"
#include "summary.h"
#include "undo.h"

static struct gcu_summary json_summary; /* --summary: written at exit */

struct merge_run {
	struct ndjson_writer *out;
	struct gcu_grouper *groups;
	struct gcu_undo_log *undo; /* --undo: the undo of every request written, or NULL */
	unsigned long requests, unchanged, failed, conflicts;
	unsigned long group_requests, members; /* group requests, the member changes they carry */
	FILE *live;                            /* the live progress line, or NULL */
};

static void usage(void)
{
	fprintf(stderr, "usage: gcu-merge [-qv] [-c config] [--max-line bytes] [--summary file]\n"
	                "                 [--undo file] [file | -]\n");
	exit(EX_USAGE);
}

static void help(void)
{
	printf("usage: gcu-merge [options] [file | -]\n"
	       "\n"
	       "Build versioned request records from fetched records: only what differs\n"
	       "is sent; a state change goes alone and first; routing skills and languages\n"
	       "go in bulk requests of at most 50. Queue, team and division changes are\n"
	       "gathered across users into group requests that list their \"members\" (100\n"
	       "a queue call, 25 a team call, 50 a division call); team joins and the\n"
	       "requests not yet full are written at the end, after every team leave.\n"
	       "Each request carries its \"undo\": the values it replaces and those it writes.\n"
	       "A record whose \"expect\" does not hold on the user is one \"conflict\" line\n"
	       "and no request.\n"
	       "\n"
	       "  -c, --config FILE      settings file (default: $GCU_CONFIG, else built-in)\n"
	       "      --max-line BYTES   longest accepted line (default 1048576)\n"
	       "      --summary FILE     at exit, write the counts to FILE as one JSON object:\n"
	       "                         program, version, exit, elapsed, error, rejects,\n"
	       "                         records, requests, requests_by_op, group_requests,\n"
	       "                         members, members_by_op, unchanged, failed, conflict,\n"
	       "                         rejected\n"
	       "                         (gcu-merge(1))\n"
	       "      --undo FILE        write to FILE the undo of everything planned, one\n"
	       "                         change record per user and scope, as if every\n"
	       "                         request succeeded (to plan a rollback, or replay\n"
	       "                         one); gcu-send --undo writes it for what did succeed\n"
	       "  -q, --quiet            no summary\n"
	       "  -v, --verbose          more detail on stderr\n"
	       "  -h, --help             this text\n"
	       "  -V, --version          the version\n"
	       "\n"
	       "Exit: 0 all merged, 1 some records failed, conflicted or were rejected, 64 usage,\n"
	       "74 output could not be written.\n");
	exit(0);
}

/* Writes lines (an array, consumed) and counts them. Returns 0, or -1
 * with err filled when the output failed. */
static int write_lines(struct merge_run *run, json_object *lines, char *err, size_t errlen)
{
	size_t n = json_object_array_length(lines);
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(lines, i);
		json_object *status = NULL, *op = NULL, *members = NULL;
		if (!json_object_object_get_ex(l, "status", &status)) {
			run->requests++;
			if (json_object_object_get_ex(l, "op", &op) &&
			    json_object_is_type(op, json_type_string))
				gcu_summary_add(&json_summary, "requests_by_op",
				                json_object_get_string(op), 1);
			if (json_object_object_get_ex(l, "members", &members) && op) {
				size_t m = json_object_array_length(members);
				run->group_requests++;
				run->members += m;
				gcu_summary_add(&json_summary, "members_by_op",
				                json_object_get_string(op), m);
			}
			if (run->undo)
				gcu_undo_log_request(run->undo, l);
		} else if (strcmp(json_object_get_string(status), "unchanged") == 0)
			run->unchanged++;
		else if (strcmp(json_object_get_string(status), "conflict") == 0)
			run->conflicts++;
		else
			run->failed++;
		if (ndjson_write(run->out, l) < 0) {
			json_object_put(lines);
			snprintf(err, errlen, "%s: %s", run->out->name, strerror(run->out->error));
			return -1;
		}
	}
	json_object_put(lines);
	return 0;
}

static int merge_one(void *ctx, json_object *rec, unsigned long line, char *why, size_t whylen,
                     char *err, size_t errlen)
{
	struct merge_run *run = ctx;
	json_object *lines = gcu_request_records(rec, run->groups, why, whylen);

	if (run->live && (line & 0xffff) == 0)
		fprintf(run->live, "\r\033[Kgcu-merge: %lu lines read", line);

	if (lines == NULL)
		return 1;
	return write_lines(run, lines, err, errlen);
}

/* The counts of the --summary file (gcu-merge(1) lists them). */
static void summarize(const struct gcu_loop_stats *st, const struct merge_run *run)
{
	gcu_summary_count(&json_summary, NULL, "records", st->records);
	gcu_summary_count(&json_summary, NULL, "requests", run->requests);
	gcu_summary_section(&json_summary, "requests_by_op");
	gcu_summary_count(&json_summary, NULL, "group_requests", run->group_requests);
	gcu_summary_count(&json_summary, NULL, "members", run->members);
	gcu_summary_section(&json_summary, "members_by_op");
	gcu_summary_count(&json_summary, NULL, "unchanged", run->unchanged);
	gcu_summary_count(&json_summary, NULL, "failed", run->failed);
	gcu_summary_count(&json_summary, NULL, "conflict", run->conflicts);
	gcu_summary_count(&json_summary, NULL, "rejected", st->rejected);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"undo", required_argument, NULL, 'u'}, GCU_STAGE_LONGOPTS, {NULL, 0, NULL, 0}};
	struct gcu_config cfg;
	struct ndjson_reader in;
	struct ndjson_writer out;
	struct gcu_loop_stats st = {0};
	struct merge_run run = {0};
	struct gcu_stage_cli cli = {
	    .name = "gcu-merge", .usage = usage, .help = help, .verbosity = 1};
	const char *undo_path = NULL;
	char errbuf[1024], errbuf2[1024];
	int ch, rc, undo_failed = 0;

	gcu_stage_private();
	while ((ch = getopt_long(argc, argv, GCU_STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			undo_path = optarg;
			break;
		default: /* the options every stage takes, -h, -V, else a usage error */
			gcu_stage_default_option(&cli, ch, optarg);
		}
	}
	const char *path = gcu_stage_operand(&cli, argc, argv);
	gcu_stage_summary(&cli, &json_summary);
	summarize(&st, &run);
	signal(SIGPIPE, SIG_IGN);
	rc = gcu_stage_start(&cli, &json_summary, &cfg, &in, path, errbuf, sizeof errbuf);
	if (rc != 0)
		errx(rc, "%s", errbuf);
	ndjson_writer_open(&out, "-");
	run.out = &out;
	gcu_stage_bind();
	run.live = gcu_stage_progress(cli.verbosity);
	gcu_stage_live(run.live);

	run.groups = gcu_grouper_new(GCU_GROUPS_HOLD);
	if (run.groups == NULL || (undo_path && (run.undo = gcu_undo_log_new()) == NULL))
		errx(EX_OSERR, "out of memory");
	rc = gcu_record_loop(&in, merge_one, gcu_stage_report, &run, 0, &st, errbuf, sizeof errbuf);
	/* The group requests still held came from records read: they are
	 * written whatever stopped the loop, unless the output is what failed. */
	if (out.error == 0) {
		json_object *rest = json_object_new_array();
		gcu_grouper_flush(run.groups, rest);
		if (write_lines(&run, rest, errbuf, sizeof errbuf) < 0 && rc >= 0)
			rc = -1;
	}
	gcu_grouper_free(run.groups);
	if (run.undo && gcu_undo_log_write(run.undo, undo_path, errbuf2, sizeof errbuf2) < 0) {
		gcu_stage_error("%s", errbuf2);
		undo_failed = 1;
	}
	gcu_undo_log_free(run.undo);
	if (rc < 0)
		gcu_stage_error("%s", errbuf);
	int write_failed = gcu_stage_close_output(&out, rc < 0) < 0;
	summarize(&st, &run);
	ndjson_reader_close(&in);
	gcu_config_free(&cfg);

	if (run.live)
		fputs("\r\033[K", run.live);
	char groups[96] = "", conflicts[64] = "";
	if (run.conflicts > 0)
		snprintf(conflicts, sizeof conflicts, ", %lu conflict", run.conflicts);
	if (run.group_requests > 0)
		snprintf(groups, sizeof groups, " (%lu group requests for %lu member changes)",
		         run.group_requests, run.members);
	gcu_stage_summary_line("%lu records: %lu requests%s, %lu unchanged, %lu failed%s, %lu "
	                       "rejected",
	                       st.records, run.requests, groups, run.unchanged, run.failed,
	                       conflicts, st.rejected);
	if (rc < 0 || write_failed || undo_failed)
		return EX_IOERR;
	return (st.rejected || run.failed || run.conflicts) ? 1 : 0;
}
