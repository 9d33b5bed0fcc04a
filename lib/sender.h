/*
 * sender.h - gcu-send's client of the network engine (engine.h).
 *
 * Reads request records, sends them through the engine under the pacer's
 * control and writes one result record per request as it finishes:
 *   {"id","src","scope","op","status","http","attempts","version","ms",
 *    "error","at","path","changes","undo"}
 * status is one of ok, unchanged, failed, conflict, interrupted; "undo",
 * the request's (undo.h), only on ok, and from the values read anew after
 * a version conflict. Merge's unchanged, failed and conflict lines are
 * copied as their results. A line
 * that is not a request gcu may send (endpoints.h), or not JSON at all,
 * is never sent: its result is
 *   {"id","src","scope","status":"rejected","error","line"}
 * with id, src and scope copied when the line holds them well formed, and
 * "line" naming the input as "file:number".
 *
 * A group request (its record lists "members" instead of naming one
 * user) writes one result per member, the result line above with the
 * member's id, src and changes and "line" naming the request; a partial
 * answer fails only the members it names (a team join's "failures", a
 * queue or division call's 400 naming users, after which the call goes
 * again for the others), and --failed gets a request for the failed
 * members only; --resume sends the request for the members not done.
 *
 * The requests of one user run one after another, in input order (a
 * change of state before the PATCH that follows it, a team leave before
 * the team join, a user's PATCH before its division move): a request
 * waits for every earlier one that changes a user of its own; different
 * users run side by side up to the concurrency bound. A version conflict is never
 * resent as it was: the user is read again, the original changes are
 * merged again (merge.h) and the new body goes out, unless the user no
 * longer holds what the record expects (expect.h): then the record's
 * requests left end in conflict, unsent, and so do the user's member
 * changes in the group requests of that scope sent after; three
 * conflicts in a
 * row park the user for a cool-down and one last try. A 429 pauses all
 * dispatch; 5xx and transport errors back off per request and, in a row,
 * open the circuit. A 401 refreshes the token (engine.h says when again).
 * A platform that stays unavailable stops the run: the requests not
 * finished fail, to be sent by a later run with --resume.
 */
#ifndef GCU_SENDER_H
#define GCU_SENDER_H

#include "engine.h"
#include "ndjson.h"
#include "resume.h"
#include "undo.h"

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
	union {
		struct gcu_engine_stats net; /* what the engine counts (rejected: the lines
		                                whose result is rejected): */
		struct {
			GCU_ENGINE_STATS_FIELDS
		};
	};
	unsigned long requests; /* request records read */
	unsigned long resumed;  /* requests skipped because --resume had them */
	unsigned long results[GCU_RESULT_NSTATUS];
	unsigned long conflicts; /* version conflicts seen */
	unsigned long resolved;  /* conflicts resolved by re-read and re-merge */
	unsigned long parked;    /* users parked after conflicts in a row */
	unsigned long total;     /* requests expected, 0 when unknown (for progress) */
};

struct gcu_send_opts {
	union {
		struct gcu_engine_opts net; /* what every engine client takes (http NULL with
		                               dry_run or fail_all; in: request records): */
		struct {
			GCU_ENGINE_OPTS_FIELDS
		};
	};
	struct ndjson_writer *out;       /* result records (or, dry run, the requests) */
	struct ndjson_writer *failed;    /* failed and rejected lines, or NULL */
	const struct gcu_resume *resume; /* finished requests, or NULL */
	struct gcu_undo_log *undo;       /* gathers the undo of what came back ok, or NULL */
	int dry_run;                     /* print method, path and body; send nothing */
	const char *fail_all; /* set when no token could be had: every request fails unsent, with
	                         this reason */
	int verbose;          /* a notice for every failed request */
	void (*progress)(void *ctx, const struct gcu_send_stats *st); /* twice a second; or NULL */
};

/*
 * Runs until the input is done and every request has a result, or a stop.
 * Returns 0 when finished, EX_UNAVAILABLE when the platform stayed
 * unavailable (the circuit opened retry.server.attempts times in a row;
 * the rest failed unsent), EX_TEMPFAIL when interrupted by a signal,
 * EX_NOPERM when the platform refused the credentials (err then says why
 * the run stopped), or -1 with err set
 * when the results could not be written or the loop failed. st is filled
 * from zero but for total, which the caller sets.
 */
int gcu_send_run(const struct gcu_send_opts *o, struct gcu_send_stats *st, char *err,
                 size_t errlen);

/* "ok", "unchanged", …, "rejected" */
const char *gcu_result_name(enum gcu_result_status s);

#endif
