/*
 * pacer.h - when the next request may go out.
 *
 * The pacer turns what the platform says about its rate-limit window into
 * dispatch decisions, so that 429s stay rare and the quota left to us is
 * spent, not wasted:
 *
 *  - With rate headers, it mirrors the window: what is left is the newest
 *    `remaining` it saw, less the requests sent since that answer, plus
 *    our own requests that have left the window since (sent more than one
 *    window length ago; other tenants' traffic is taken to replace its own
 *    expiries). What is above the reserve it spreads over the time until
 *    the window makes room again (the reset, or sooner one of our own
 *    requests leaving it), never slower than the window's own pace, so
 *    that a reset rounded to whole seconds costs nothing. Below the
 *    reserve it throttles: one request at a time, each after the answer
 *    to the one before, down to the floor, which it never spends. The
 *    routing scope instead pauses at pause_below (when higher than the
 *    reserve). Held back, it waits for one of our own requests to leave
 *    the window or, when that comes later than the reset, probes with
 *    single requests after the reset, further apart each time a probe
 *    finds the window still full, so that rejected requests (which count
 *    against the window too) cannot cascade. At the floor, with the
 *    window mostly ours, it waits for our own: a probe would find the
 *    window as full as we made it.
 *  - The window's length comes from platform.window until the headers
 *    contradict it: a reset never exceeds the window, so a longer reset
 *    lengthens it; a count lower than our own requests that a window that
 *    long would still hold proves it shorter, and so does a window all
 *    ours whose oldest leaves at the reset. Taking the others' requests
 *    of the first count to be there still, it guesses tighter, back to
 *    the proof on a 429 from the window. The pacer then uses what the
 *    headers showed (and gcu_pacer_feed says so once). Until counts have
 *    come for a whole window's length, the floor probes at the reset
 *    rather than wait on a length only assumed.
 *  - Without headers (a proxy strips them) it flies blind and finds the
 *    rate as TCP and adaptive SDK clients do: from platform.limit /
 *    platform.window it grows multiplicatively until the first 429. Then
 *    it tells a window from a rate: if requests keep passing while none
 *    of ours has left the window, the limiter is a rate (a proxy's leaky
 *    bucket), else a window that was full of what it held. It settles
 *    below the rate at the 429 (a rate) or keeps ours in the window below
 *    what it held then (a window), and climbs back along a cubic curve,
 *    flat near the level that drew the 429, steeper beyond it. A 429
 *    without any header while the headers showed room comes from such a
 *    limiter in front of the platform: the same rate control then paces
 *    on top of the headers.
 *  - A 429 pauses all dispatch for Retry-After plus jitter; the platform
 *    has counted its window to that instant, so the model takes the
 *    window as full until then. When the pause ends a single request
 *    goes first and the others wait for its answer, so that a pause that
 *    ends too early costs one 429, not one per request in flight.
 *  - Server errors in a row across requests open a circuit: dispatch
 *    pauses, then one probe request decides whether to resume.
 *
 * Every function takes the time (monotonic seconds) as an argument, so
 * the policy is tested without a clock or a network. Each call costs
 * O(log n) in the requests of ours in the window at most.
 */
#ifndef GCU_PACER_H
#define GCU_PACER_H

#include <stdint.h>

#include "config.h"
#include "ratehdr.h"

enum gcu_pace_block {
	GCU_PACE_GO,          /* a request may go now */
	GCU_PACE_CONCURRENCY, /* the in-flight bound is reached */
	GCU_PACE_QUOTA,       /* pacing or the window's threshold */
	GCU_PACE_PAUSED,      /* a 429 pause */
	GCU_PACE_CIRCUIT      /* the circuit is open or probing */
};

/* What the pacer knows of a limiter that sends no rate headers. */
enum gcu_pace_limiter {
	GCU_LIMITER_UNKNOWN, /* no 429 yet: the rate grows multiplicatively */
	GCU_LIMITER_TESTING, /* a 429: a window full of ours, or a rate? */
	GCU_LIMITER_WINDOW,  /* a count per window: ours held below its level */
	GCU_LIMITER_RATE     /* a rate (a leaky bucket): settle below it */
};

/* One of our requests in the window: when it entered the platform's
 * count, as far as we know. Its send time until its answer comes, then the
 * answer's time: the platform counted it somewhere in between, and only the
 * later bound never has it leave the window before the platform says so. */
struct gcu_pacer_mark {
	uint64_t seq;
	double at;
	double sent_at; /* its send time: it cannot have entered before */
	int answered;
};

struct gcu_pacer {
	/* settings */
	long concurrency;
	long reserve; /* below this many left: one request at a time */
	long floor;   /* never spent; at most the reserve */
	long pause_below;
	long nominal_limit;  /* platform.limit */
	double nominal_rate; /* platform.limit / platform.window */
	double window_cfg;   /* platform.window */

	/* what the headers said */
	int seen_headers;     /* any rate header ever */
	int headerless_run;   /* answers in a row without rate headers */
	long limit;           /* -1 unknown */
	long remaining;       /* as of the answer to request obs_seq */
	uint64_t obs_seq;     /* newest request whose answer set remaining */
	long stale;           /* older requests unanswered then: maybe counted after it */
	double reset_at;      /* when that window's slot frees or it resets */
	double reset_slack;   /* how early it may be: 1 for whole seconds, else 0 */
	uint64_t sent;        /* requests sent so far (their seq numbers) */
	double first_at;      /* when the first of them went */
	double next_slot;     /* spreading: no request before this */
	double pause_until;   /* 429 or circuit pause */
	int probe_out;        /* a below-threshold probe is in flight */
	int resume_probe;     /* after a 429: 1 the next request goes alone, 2 it is out */
	double obs_at;        /* when the answer behind remaining arrived */
	double probe_gap;     /* spacing of probes; doubles while they find no room */
	double next_probe;    /* no probe before this */
	double window;        /* how long a request counts: platform.window or as learned */
	double window_lo;     /* the longest reset seen: the window is no shorter */
	double window_proved; /* what the headers prove it no longer than */
	long others_lo;       /* others' requests in the first count at least; -1 before */

	/* our requests still in the window, oldest first (a ring) */
	struct gcu_pacer_mark *sends;
	size_t sends_cap, sends_head, sends_len;
	long unanswered;   /* marks in the ring whose answer has not come */
	uint64_t departed; /* marks that left the ring as out of the window */

	/* blind mode, and a limiter in front that sends no headers */
	int blind;
	uint64_t blind_seq; /* the newest request out when it went blind */
	int hidden;         /* 429s without headers while the headers showed room */
	enum gcu_pace_limiter limiter;
	double rate;      /* requests per second at most */
	double rate_max;  /* the level of the last 429 (a rate; a window: ours in it / window) */
	double cut_at;    /* the rate's share of rate_max just after that 429 */
	long since_cut;   /* successes since: the clock of the cubic climb */
	long climb;       /* successes the climb takes back to rate_max */
	uint64_t cut_seq; /* newest request out at that 429: older 429s are the same event */
	long test_in;     /* ours in the window at the first 429 */
	uint64_t test_departed; /* `departed` then */
	long test_passed;       /* requests sent since that passed */
	double test_at;         /* when it came */

	/* circuit */
	long circuit_failures; /* threshold */
	double circuit_pause;
	long server_streak;
	long circuit_streak; /* times the circuit opened with no success between */
	int circuit;         /* 0 closed, 1 open (pausing), 2 half-open (probe out) */

	/* counters for the summary */
	long throttled; /* times dispatch waited on the window */
	long pauses;    /* 429 pauses */
	long circuits;  /* times the circuit opened */
	/* notices given (gcu_pacer_feed) */
	int said_capped, said_blind, said_window, said_hidden;
};

/* Sets up a pacer from the config. Returns 0, or -1 when out of memory. */
int gcu_pacer_init(struct gcu_pacer *p, const struct gcu_config *c);

/* Frees what the pacer holds. */
void gcu_pacer_free(struct gcu_pacer *p);

/*
 * May a request of scope go now, with inflight requests out? Returns
 * GCU_PACE_GO, or what blocks it, with *wake the earliest time worth
 * asking again (0 when only a completion can change the answer).
 */
enum gcu_pace_block gcu_pacer_check(struct gcu_pacer *p, enum gcu_scope scope, int inflight,
                                    double now, double *wake);

/* Records that a request went out; returns its sequence number. */
uint64_t gcu_pacer_sent(struct gcu_pacer *p, double now);

/*
 * Records an answer: status (0 for a transport error), its rate headers,
 * the sequence number of the request. retry_after_cap bounds a Retry-After
 * (*capped is set when it had to be cut). jitter is a uniform draw in
 * [0,1). For a 429 without Retry-After, backoff is the pause to take.
 */
void gcu_pacer_answer(struct gcu_pacer *p, long status, const struct gcu_rate_obs *o, uint64_t seq,
                      double now, double retry_after_cap, double backoff, double jitter,
                      int *capped);

/* Receives a message for the person running the stage. */
typedef void (*gcu_pacer_notice_fn)(void *ctx, const char *msg);

/*
 * gcu_pacer_answer the way every stage calls it: the 429 policy's backoff
 * for the request's next rate-limit attempt (rate_attempt, from 1), jitter
 * drawn from rng, retry.max_wait as the cap on Retry-After. Tells notice
 * once per pacer when a Retry-After had to be cut, when the pacer starts
 * flying blind, when the headers show a window other than platform.window
 * and when a limiter without headers shows up behind them (notice may be
 * NULL). Returns 1 when this answer's Retry-After was cut, else 0.
 */
int gcu_pacer_feed(struct gcu_pacer *p, const struct gcu_config *c, long status,
                   const struct gcu_rate_obs *o, uint64_t seq, double now, int rate_attempt,
                   uint64_t *rng, gcu_pacer_notice_fn notice, void *ctx);

/* What is left of the window at now as the pacer believes it, never
 * below 0 (-1 unknown). */
long gcu_pacer_left(const struct gcu_pacer *p, double now);

#endif
