/*
 * sender.h - the dispatch engine of gcu-send.
 *
 * Reads request records, sends them through the shared HTTP loop under
 * the pacer's control and writes one result record per request as it
 * finishes:
 *   {"id","src","scope","op","status","http","attempts","version","ms",
 *    "error","at","path","changes"}
 * status is one of ok, unchanged, failed, conflict, interrupted. A line
 * that is not a request gcu may send (endpoints.h), or not JSON at all,
 * is never sent: its result is
 *   {"id","src","scope","status":"rejected","error","line"}
 * with id, src and scope copied when the line holds them well formed, and
 * "line" naming the input as "file:number".
 *
 * The requests of one user run one after another, in input order (a
 * change of state before the PATCH that follows it); different users run
 * side by side up to the concurrency bound. A version conflict is never
 * resent as it was: the user is read again, the original changes are
 * merged again (merge.h) and the new body goes out; three conflicts in a
 * row park the user for a cool-down and one last try. A 429 pauses all
 * dispatch; 5xx and transport errors back off per request and, in a row,
 * open the circuit. A 401 refreshes the token once.
 */
#ifndef GCU_SENDER_H
#define GCU_SENDER_H

#include <signal.h>
#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "ndjson.h"
#include "pacer.h"
#include "record_loop.h"
#include "resume.h"

enum gcu_result_status {
	GCU_RESULT_OK,
	GCU_RESULT_UNCHANGED,
	GCU_RESULT_FAILED,
	GCU_RESULT_CONFLICT,
	GCU_RESULT_INTERRUPTED,
	GCU_RESULT_REJECTED,
	GCU_RESULT_NSTATUS
};

struct gcu_send_stats {
	unsigned long records;  /* input lines that held a record */
	unsigned long requests; /* request records read */
	unsigned long resumed;  /* requests skipped because --resume had them */
	unsigned long results[GCU_RESULT_NSTATUS];
	unsigned long sent;        /* HTTP requests sent, retries and re-reads included */
	unsigned long http_429;    /* answers with status 429 */
	unsigned long retries;     /* requests sent again after a 429, 5xx or reset */
	unsigned long conflicts;   /* version conflicts seen */
	unsigned long resolved;    /* conflicts resolved by re-read and re-merge */
	unsigned long parked;      /* users parked after conflicts in a row */
	unsigned long refreshes;   /* token refreshes after a 401 */
	unsigned long capped;      /* Retry-After values cut to retry.max_wait */
	unsigned long unavailable; /* failures for want of the platform (5xx, transport) */
	double started, elapsed;   /* monotonic */
	double blocked[5];         /* seconds work waited, by enum gcu_pace_block */
	long limit;                /* the platform's limit as last seen, -1 unknown */
	long left;                 /* the window as the pacer sees it, -1 unknown */
	int blind;                 /* no rate headers */
	int auth_failed;           /* stopped on 401/403 */
	int gave_up;               /* stopped: the platform stayed unavailable */
	int interrupted;           /* stopped on a signal */
	unsigned long total;       /* requests expected, 0 when unknown (for progress) */
};

struct gcu_send_opts {
	const struct gcu_config *cfg;
	struct gcu_http *http;           /* the loop; NULL with dry_run */
	struct gcu_auth *auth;           /* for a refresh after a 401; may be NULL */
	struct ndjson_reader *in;        /* request records */
	struct ndjson_writer *out;       /* result records (or, dry run, the requests) */
	struct ndjson_writer *failed;    /* failed and rejected lines, or NULL */
	const struct gcu_resume *resume; /* finished requests, or NULL */
	volatile sig_atomic_t *stop;     /* 1: drain and stop; 2: stop now */
	int dry_run;                     /* print method, path and body; send nothing */
	const char *fail_all; /* set when no token could be had: every request fails unsent, with
	                         this reason */
	int verbose;          /* a notice for every failed request */
	uint64_t seed;        /* jitter */
	gcu_report_fn report; /* rejected input lines */
	void (*notice)(void *ctx, const char *msg);                   /* once-off news */
	void (*progress)(void *ctx, const struct gcu_send_stats *st); /* twice a second */
	void *ctx;
};

/*
 * Runs until the input is done and every request has a result, or a stop.
 * Returns 0 when finished, 69 when the platform stayed unavailable (the
 * circuit opened retry.server.attempts times in a row; the rest failed
 * unsent), 75 when interrupted by a signal, 77 when the platform refused
 * the credentials, or -1 with err set when the results could not be
 * written or the loop failed.
 */
int gcu_send_run(const struct gcu_send_opts *o, struct gcu_send_stats *st, char *err,
                 size_t errlen);

/* "ok", "unchanged", …, "rejected" */
const char *gcu_result_name(enum gcu_result_status s);

#endif
