/*
 * sim.h - gcu-sim's entry point: the options a run takes and the call
 * that serves the simulated org until a signal arrives.
 *
 * The program's main() only fills struct sim_options from its command
 * line and calls sim_run(); everything else lives in lib/sim/.
 */
#ifndef GCU_SIM_H
#define GCU_SIM_H

#include <stddef.h>
#include <stdint.h>

enum sim_header_style { SIM_HDR_BOTH, SIM_HDR_ININ, SIM_HDR_X, SIM_HDR_NONE };
enum sim_retry_style { SIM_RETRY_SECONDS, SIM_RETRY_DATE, SIM_RETRY_NONE };

#define SIM_MAX_ROUTE_FAULTS 8

/* --fail-route: the calls first to last (from 1, counted per route among
 * the requests the rate limit admits) of one route answer status and
 * change nothing. */
struct sim_route_fault {
	int route; /* enum sim_route (sim_stats.h) */
	long first, last;
	int status;
};

struct sim_options {
	const char *listen;     /* IPv4 address, "127.0.0.1" by default */
	int listen_explicit;    /* --listen was given */
	unsigned port;          /* 0 picks a free port */
	const char *ready_file; /* the base URL is written here once listening */
	const char *users_file; /* NDJSON org to load, or NULL */
	long generate;          /* users to generate when users_file is NULL */
	uint64_t seed;
	const char *dump_file; /* org written here on SIGINT/SIGTERM, or NULL */
	long limit;            /* requests per window per token, 0 = unlimited */
	double window;         /* seconds */
	int count_rejected;
	enum sim_header_style headers;
	enum sim_retry_style retry_after;
	int fractional;       /* resets and Retry-After to the millisecond, not whole seconds */
	double bucket_rate;   /* a leaky bucket in front, requests a second; 0 = none */
	double bucket_burst;  /* requests it lets through ahead of its rate */
	long max_inflight;    /* 0 = no cap */
	double background;    /* synthetic window entries per second */
	long propagation;     /* window entries added per routing write */
	double writer;        /* competing writes per second */
	double queue_writer;  /* queue memberships another writer removes per second */
	double team_failures; /* chance a team member POST refuses a joining user */
	struct sim_route_fault route_faults[SIM_MAX_ROUTE_FAULTS];
	int nroute_faults;
	double token_ttl; /* seconds */
	double latency_ms, jitter_ms;
	double error_rate, reset_rate;
	int strip_headers, fake_200;
	int outage; /* an outage window is set */
	double outage_from, outage_to;
	int conflict_as_400;
	unsigned hostile; /* enum sim_hostile_mode flags (sim_hostile.h), 0 = none */
	int threads;
	int verbosity;                         /* 0 quiet, 1 normal, 2+ verbose */
	const char *client_id, *client_secret; /* from the environment */
};

/* Fills o with the defaults (300 per 60 s, both header styles, ...). */
void sim_options_defaults(struct sim_options *o);

/*
 * Loads or generates the org, serves it, and on SIGINT or SIGTERM stops,
 * writes the dump file and returns 0. On failure returns a sysexits code
 * (EX_DATAERR for a bad users file, EX_NOINPUT when it cannot be read,
 * EX_OSERR, EX_CANTCREAT) with a message in err. Blocks SIGINT and
 * SIGTERM in the calling thread.
 */
int sim_run(const struct sim_options *o, char *err, size_t errlen);

#endif
