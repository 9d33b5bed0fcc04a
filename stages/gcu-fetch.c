/*
 * gcu-fetch - add each user's current version and values to scoped
 * change records.
 *
 * With --snapshot FILE it joins the records with a captured export of
 * the org, offline. Users not found become records with an "error"
 * (status 404), never dropped.
 */
#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ndjson.h"
#include "record_loop.h"
#include "records.h"
#include "snapshot.h"
#include "version.h"

static int verbosity = 1;

struct fetch_run {
	struct gcu_snapshot *snap;
	struct ndjson_writer *out;
	unsigned long found, missing;
};

static void usage(void)
{
	fprintf(stderr, "usage: gcu-fetch [-qv] [-c config] --snapshot file [--max-line bytes] "
	                "[file | -]\n");
	exit(EX_USAGE);
}

static void help(void)
{
	printf("usage: gcu-fetch [options] [file | -]\n"
	       "\n"
	       "Add \"current\" (version and the current value of every changed field) to\n"
	       "scoped change records, or \"error\" when the user cannot be read.\n"
	       "\n"
	       "  -c, --config FILE      settings file (default: $GCU_CONFIG, else built-in)\n"
	       "      --snapshot FILE    read users from a captured export (NDJSON), offline\n"
	       "      --max-line BYTES   longest accepted line (default 1048576)\n"
	       "  -q, --quiet            no summary\n"
	       "  -v, --verbose          more detail on stderr\n"
	       "  -h, --help             this text\n"
	       "  -V, --version          the version\n"
	       "\n"
	       "Exit: 0 all read, 1 some users missing or records rejected, 64 usage,\n"
	       "65 bad snapshot, 74 output could not be written.\n");
	exit(0);
}

static void report(void *ctx, const char *name, unsigned long line, const char *msg)
{
	(void)ctx;
	if (verbosity > 0)
		warnx("%s:%lu: %s", name, line, msg);
}

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
	int rc = ndjson_write(run->out, out);
	json_object_put(out);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", run->out->name, strerror(run->out->error));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},   {"snapshot", required_argument, NULL, 's'},
	    {"max-line", required_argument, NULL, 'm'}, {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},        {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0}};
	struct gcu_config cfg;
	struct ndjson_reader in;
	struct ndjson_writer out;
	struct gcu_loop_stats st = {0};
	struct fetch_run run = {0};
	const char *config = NULL, *snapshot = NULL, *max_line = NULL;
	char errbuf[1024];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:qvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 's':
			snapshot = optarg;
			break;
		case 'm':
			max_line = optarg;
			break;
		case 'q':
			verbosity = 0;
			break;
		case 'v':
			verbosity = 2;
			break;
		case 'h':
			help();
			break;
		case 'V':
			printf("gcu-fetch %s\n", GCU_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (snapshot == NULL) {
		warnx("--snapshot is required in this build (network reads are not available)");
		usage();
	}
	signal(SIGPIPE, SIG_IGN);
	if (gcu_config_init(&cfg, config, errbuf, sizeof errbuf) < 0)
		errx(EX_USAGE, "%s", errbuf);
	if (max_line && gcu_config_set(&cfg, "max_line", max_line, errbuf, sizeof errbuf) < 0)
		errx(EX_USAGE, "--max-line: %s", errbuf);

	run.snap = gcu_snapshot_load(snapshot, (size_t)cfg.max_line, errbuf, sizeof errbuf);
	if (run.snap == NULL)
		errx(EX_DATAERR, "%s", errbuf);
	const char *path = argc == 1 ? argv[0] : "-";
	if (ndjson_reader_open(&in, path, (size_t)cfg.max_line) < 0)
		err(EX_NOINPUT, "%s", path);
	if (strcmp(path, "-") == 0)
		in.name = "stdin";
	ndjson_writer_open(&out, "-");
	run.out = &out;

	rc = gcu_record_loop(&in, fetch_one, report, &run, 0, &st, errbuf, sizeof errbuf);
	if (rc < 0)
		warnx("%s", errbuf);
	int write_failed = ndjson_writer_close(&out) < 0;
	if (write_failed && rc >= 0)
		warnx("stdout: %s", strerror(out.error));
	ndjson_reader_close(&in);
	gcu_snapshot_free(run.snap);
	gcu_config_free(&cfg);

	if (verbosity > 0)
		fprintf(stderr, "gcu-fetch: %lu records: %lu read, %lu not found, %lu rejected\n",
		        st.records, run.found, run.missing, st.rejected);
	if (rc < 0 || write_failed)
		return EX_IOERR;
	return (st.rejected || run.missing) ? 1 : 0;
}
