/*
 * gcu-sim - a simulated Genesys Cloud CX org on 127.0.0.1.
 *
 * Serves the user, routing, directory, catalogue, group and token
 * endpoints gcu talks to, with the platform's sliding-window rate limit,
 * its headers and error bodies, and injectable faults, so that the
 * pipeline can be rehearsed and tested without a real org. This file only
 * reads the command line; the simulator lives in lib/sim/. Started by
 * gcu-sim-run for a run folder, it holds that folder's lock and ends
 * (writing its dump) with it.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "sim/sim.h"
#include "sim/sim_faults.h"
#include "sim/sim_hostile.h"
#include "stage.h"
#include "version.h"

enum {
	OPT_LISTEN = 256,
	OPT_PORT,
	OPT_READY,
	OPT_USERS,
	OPT_GENERATE,
	OPT_SEED,
	OPT_DUMP,
	OPT_LIMIT,
	OPT_WINDOW,
	OPT_NO_COUNT_REJECTED,
	OPT_HEADERS,
	OPT_RETRY_AFTER,
	OPT_FRACTIONAL,
	OPT_BUCKET,
	OPT_BURST,
	OPT_MAX_INFLIGHT,
	OPT_BACKGROUND,
	OPT_PROPAGATION,
	OPT_WRITER,
	OPT_TOKEN_TTL,
	OPT_LATENCY,
	OPT_JITTER,
	OPT_ERROR_RATE,
	OPT_RESET_RATE,
	OPT_STRIP_HEADERS,
	OPT_FAKE_200,
	OPT_OUTAGE,
	OPT_CONFLICT_400,
	OPT_THREADS,
	OPT_HOSTILE,
	OPT_QUEUE_WRITER,
	OPT_TEAM_FAILURES,
	OPT_FAIL_ROUTE
};

static const struct option longopts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"port", required_argument, NULL, OPT_PORT},
    {"ready-file", required_argument, NULL, OPT_READY},
    {"users", required_argument, NULL, OPT_USERS},
    {"generate", required_argument, NULL, OPT_GENERATE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"dump", required_argument, NULL, OPT_DUMP},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"no-count-rejected", no_argument, NULL, OPT_NO_COUNT_REJECTED},
    {"headers", required_argument, NULL, OPT_HEADERS},
    {"retry-after", required_argument, NULL, OPT_RETRY_AFTER},
    {"fractional-seconds", no_argument, NULL, OPT_FRACTIONAL},
    {"bucket", required_argument, NULL, OPT_BUCKET},
    {"burst", required_argument, NULL, OPT_BURST},
    {"max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT},
    {"background", required_argument, NULL, OPT_BACKGROUND},
    {"propagation", required_argument, NULL, OPT_PROPAGATION},
    {"writer", required_argument, NULL, OPT_WRITER},
    {"token-ttl", required_argument, NULL, OPT_TOKEN_TTL},
    {"latency", required_argument, NULL, OPT_LATENCY},
    {"jitter", required_argument, NULL, OPT_JITTER},
    {"error-rate", required_argument, NULL, OPT_ERROR_RATE},
    {"reset-rate", required_argument, NULL, OPT_RESET_RATE},
    {"strip-headers", no_argument, NULL, OPT_STRIP_HEADERS},
    {"fake-200", no_argument, NULL, OPT_FAKE_200},
    {"outage", required_argument, NULL, OPT_OUTAGE},
    {"conflict-as-400", no_argument, NULL, OPT_CONFLICT_400},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"hostile", required_argument, NULL, OPT_HOSTILE},
    {"queue-writer", required_argument, NULL, OPT_QUEUE_WRITER},
    {"team-failures", required_argument, NULL, OPT_TEAM_FAILURES},
    {"fail-route", required_argument, NULL, OPT_FAIL_ROUTE},
    {"config", required_argument, NULL, 'c'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *fp, int status)
{
	fprintf(fp,
	        "usage: gcu-sim [-qv] [-c config] [--listen ADDR] [--port N] [--ready-file FILE]\n"
	        "               [--users FILE | --generate N] [--seed S] [--dump FILE]\n"
	        "               [--limit L] [--window W] [--no-count-rejected]\n"
	        "               [--headers inin|x|both|none] [--retry-after seconds|date|none]\n"
	        "               [--fractional-seconds] [--bucket RATE [--burst N]]\n"
	        "               [--max-inflight N] [--background R] [--propagation K]\n"
	        "               [--writer R] [--token-ttl S] [--latency MS] [--jitter MS]\n"
	        "               [--error-rate P] [--reset-rate P] [--strip-headers] [--fake-200]\n"
	        "               [--outage FROM:TO] [--conflict-as-400] [--threads N]\n"
	        "               [--hostile MODE]... [--queue-writer R] [--team-failures P]\n"
	        "               [--fail-route 'ROUTE:N[-M][:STATUS]']...\n");
	exit(status);
}

static void help(void)
{
	printf("usage: gcu-sim [options]\n"
	       "\n"
	       "Serve a simulated Genesys Cloud CX org on 127.0.0.1: the token, user,\n"
	       "routing, directory, catalogue and group (queue, team, division) endpoints,\n"
	       "the per-token sliding-window rate limit with its headers, and faults on\n"
	       "demand. On SIGINT or SIGTERM write the org to --dump and exit.\n"
	       "gcu-sim(1) describes every option; the common ones:\n"
	       "\n"
	       "  -c, --config FILE     serve the limit and window gcu is told (platform.limit,\n"
	       "                        platform.window of FILE and GCU_PLATFORM_*), unless\n"
	       "                        --limit or --window say otherwise\n"
	       "      --port N          the port; 0 (the default) picks a free one\n"
	       "      --ready-file FILE write the base URL here once listening\n"
	       "      --users FILE      the org, one platform user document a line\n"
	       "      --generate N      or N generated users (--seed S)\n"
	       "      --dump FILE       write the org here when stopped (0600)\n"
	       "      --limit L         requests per window per token (default 300)\n"
	       "      --window W        the window, seconds (default 60)\n"
	       "  -q, --quiet           nothing but errors\n"
	       "  -v, --verbose         the base URL once listening; twice, every request\n"
	       "  -h, --help            this text\n"
	       "  -V, --version         the version\n"
	       "\n"
	       "Client credentials: GCU_SIM_CLIENT_ID, GCU_SIM_CLIENT_SECRET.\n"
	       "Exit: 0 stopped by a signal, 64 usage, 65 the org is malformed, 66 it cannot\n"
	       "be read, 69 cannot listen, 73 the ready file or the dump cannot be written.\n");
	exit(0);
}

static double num(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
		warnx("--%s: bad value '%s' (want %g to %g)", opt, s, lo, hi);
		usage(stderr, EX_USAGE);
	}
	return v;
}

static long whole(const char *opt, const char *s, long lo, long hi)
{
	double v = num(opt, s, (double)lo, (double)hi);
	if (v != floor(v)) {
		warnx("--%s: '%s' is not a whole number", opt, s);
		usage(stderr, EX_USAGE);
	}
	return (long)v;
}

static void outage(struct sim_options *o, const char *s)
{
	char buf[64];
	char *colon = NULL;

	if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf || !(colon = strchr(buf, ':'))) {
		warnx("--outage: want FROM:TO seconds, got '%s'", s);
		usage(stderr, EX_USAGE);
	}
	*colon = '\0';
	o->outage = 1;
	o->outage_from = num("outage", buf, 0, 1e9);
	o->outage_to = num("outage", colon + 1, 0, 1e9);
	if (o->outage_to < o->outage_from) {
		warnx("--outage: TO is before FROM");
		usage(stderr, EX_USAGE);
	}
}

int main(int argc, char *argv[])
{
	struct sim_options o;
	char errbuf[512];
	const char *env, *config = NULL;
	int ch, rc, have_users = 0, have_generate = 0, have_limit = 0, have_window = 0,
	            have_burst = 0;

	gcu_stage_private();
	sim_options_defaults(&o);
	while ((ch = getopt_long(argc, argv, "c:vqhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'v':
			o.verbosity++;
			break;
		case 'q':
			o.verbosity = 0;
			break;
		case OPT_LISTEN:
			o.listen = optarg;
			o.listen_explicit = 1;
			break;
		case OPT_PORT:
			o.port = (unsigned)whole("port", optarg, 0, 65535);
			break;
		case OPT_READY:
			o.ready_file = optarg;
			break;
		case OPT_USERS:
			o.users_file = optarg;
			have_users = 1;
			break;
		case OPT_GENERATE:
			o.generate = whole("generate", optarg, 0, 10000000);
			have_generate = 1;
			break;
		case OPT_SEED: {
			char *end;
			errno = 0;
			o.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end) {
				warnx("--seed: bad value '%s'", optarg);
				usage(stderr, EX_USAGE);
			}
			break;
		}
		case OPT_DUMP:
			o.dump_file = optarg;
			break;
		case OPT_LIMIT:
			o.limit = whole("limit", optarg, 0, 1000000000);
			have_limit = 1;
			break;
		case OPT_WINDOW:
			o.window = num("window", optarg, 0.001, 1e7);
			have_window = 1;
			break;
		case OPT_NO_COUNT_REJECTED:
			o.count_rejected = 0;
			break;
		case OPT_HEADERS:
			if (strcmp(optarg, "inin") == 0)
				o.headers = SIM_HDR_ININ;
			else if (strcmp(optarg, "x") == 0)
				o.headers = SIM_HDR_X;
			else if (strcmp(optarg, "both") == 0)
				o.headers = SIM_HDR_BOTH;
			else if (strcmp(optarg, "none") == 0)
				o.headers = SIM_HDR_NONE;
			else {
				warnx("--headers: want inin, x, both or none");
				usage(stderr, EX_USAGE);
			}
			break;
		case OPT_RETRY_AFTER:
			if (strcmp(optarg, "seconds") == 0)
				o.retry_after = SIM_RETRY_SECONDS;
			else if (strcmp(optarg, "date") == 0)
				o.retry_after = SIM_RETRY_DATE;
			else if (strcmp(optarg, "none") == 0)
				o.retry_after = SIM_RETRY_NONE;
			else {
				warnx("--retry-after: want seconds, date or none");
				usage(stderr, EX_USAGE);
			}
			break;
		case OPT_FRACTIONAL:
			o.fractional = 1;
			break;
		case OPT_BUCKET:
			o.bucket_rate = num("bucket", optarg, 0.001, 1e6);
			break;
		case OPT_BURST:
			o.bucket_burst = (double)whole("burst", optarg, 0, 1000000);
			have_burst = 1;
			break;
		case OPT_MAX_INFLIGHT:
			o.max_inflight = whole("max-inflight", optarg, 0, 1000000);
			break;
		case OPT_BACKGROUND:
			o.background = num("background", optarg, 0, 1e6);
			break;
		case OPT_PROPAGATION:
			o.propagation = whole("propagation", optarg, 0, 1000000);
			break;
		case OPT_WRITER:
			o.writer = num("writer", optarg, 0, 1e5);
			break;
		case OPT_TOKEN_TTL:
			o.token_ttl = num("token-ttl", optarg, 0, 1e9);
			break;
		case OPT_LATENCY:
			o.latency_ms = num("latency", optarg, 0, 600000);
			break;
		case OPT_JITTER:
			o.jitter_ms = num("jitter", optarg, 0, 600000);
			break;
		case OPT_ERROR_RATE:
			o.error_rate = num("error-rate", optarg, 0, 1);
			break;
		case OPT_RESET_RATE:
			o.reset_rate = num("reset-rate", optarg, 0, 1);
			break;
		case OPT_STRIP_HEADERS:
			o.strip_headers = 1;
			break;
		case OPT_FAKE_200:
			o.fake_200 = 1;
			break;
		case OPT_OUTAGE:
			outage(&o, optarg);
			break;
		case OPT_CONFLICT_400:
			o.conflict_as_400 = 1;
			break;
		case OPT_THREADS:
			o.threads = (int)whole("threads", optarg, 1, 256);
			break;
		case OPT_HOSTILE: {
			unsigned m = sim_hostile_parse(optarg);
			if (m == 0) {
				warnx("--hostile: want one of %s", sim_hostile_names());
				usage(stderr, EX_USAGE);
			}
			o.hostile |= m;
			break;
		}
		case OPT_QUEUE_WRITER:
			o.queue_writer = num("queue-writer", optarg, 0, 1e5);
			break;
		case OPT_TEAM_FAILURES:
			o.team_failures = num("team-failures", optarg, 0, 1);
			break;
		case OPT_FAIL_ROUTE:
			if (o.nroute_faults == SIM_MAX_ROUTE_FAULTS) {
				warnx("--fail-route: at most %d", SIM_MAX_ROUTE_FAULTS);
				usage(stderr, EX_USAGE);
			}
			if (sim_route_fault_parse(optarg, &o.route_faults[o.nroute_faults], errbuf,
			                          sizeof errbuf) < 0) {
				warnx("--fail-route: %s", errbuf);
				usage(stderr, EX_USAGE);
			}
			o.nroute_faults++;
			break;
		case 'h':
			help();
			break;
		case 'V':
			printf("gcu-sim %s\n", GCU_VERSION);
			return 0;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	if (optind != argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage(stderr, EX_USAGE);
	}
	if (have_users && have_generate) {
		warnx("--users and --generate exclude each other");
		usage(stderr, EX_USAGE);
	}
	if (config != NULL) {
		struct gcu_config cfg;
		if (gcu_config_init(&cfg, config, errbuf, sizeof errbuf) < 0)
			errx(EX_USAGE, "%s", errbuf);
		if (!have_limit)
			o.limit = cfg.platform_limit;
		if (!have_window)
			o.window = cfg.platform_window;
		gcu_config_free(&cfg);
	}
	if (have_burst && o.bucket_rate == 0) {
		warnx("--burst needs --bucket");
		usage(stderr, EX_USAGE);
	}
	if ((env = getenv("GCU_SIM_CLIENT_ID")) != NULL && *env)
		o.client_id = env;
	if ((env = getenv("GCU_SIM_CLIENT_SECRET")) != NULL && *env)
		o.client_secret = env;
	/* Under gcu-sim-run: stop (and dump) when it ends, however it ends. */
	gcu_stage_bind();
	rc = sim_run(&o, errbuf, sizeof errbuf);
	if (rc != 0)
		errx(rc, "%s", errbuf);
	return 0;
}
