/*
 * quota.h - what the platform last said about the rate-limit window.
 *
 * A plain record of the newest rate observation (limit, remaining, when
 * the window resets) on the monotonic clock, plus a pause that every
 * request honours after a 429. It makes no decision: how fast to send,
 * when to throttle and how long to pause are gcu-send's policy.
 *
 * Ordering rule: with several requests in flight, responses complete out
 * of order, and a response to an older request describes an older state
 * of the window. Each observation is therefore tagged with the monotonic
 * time its request was sent; one whose request was sent before the
 * request of the newest observation already applied is stale and ignored
 * (equal send times are applied, in arrival order).
 */
#ifndef GCU_QUOTA_H
#define GCU_QUOTA_H

#include "ratehdr.h"

struct gcu_quota {
	int seen; /* any rate header was ever observed */
	int has_limit, has_remaining, has_reset;
	long limit;         /* requests per window */
	long remaining;     /* requests left as of updated_at */
	double reset_at;    /* monotonic time the window resets */
	double sent_at;     /* send time of the request behind the values */
	double updated_at;  /* monotonic time the values were observed */
	double pause_until; /* monotonic; no request before it (0 = none) */
	long observations;  /* observations applied */
	long stale;         /* observations ignored as out of order */
};

/* Starts q empty: nothing seen, no pause. q must not be NULL. */
void gcu_quota_init(struct gcu_quota *q);

/*
 * Applies observation o, received at monotonic time now for a request
 * sent at sent_at (see the ordering rule above). Fields the response did
 * not carry keep their previous value; an observation without any rate
 * header changes nothing. o->retry_after is not applied here: the caller
 * caps it, adds jitter and calls gcu_quota_pause_until. Returns 1 when o
 * was applied, 0 when it was stale or empty.
 */
int gcu_quota_observe_at(struct gcu_quota *q, const struct gcu_rate_obs *o, double sent_at,
                         double now);

/* gcu_quota_observe_at with the request sent at now. Returns the same. */
int gcu_quota_observe(struct gcu_quota *q, const struct gcu_rate_obs *o, double now);

/*
 * Pauses every request until monotonic time t. Never shortens a pause
 * already set; a NaN t is ignored.
 */
void gcu_quota_pause_until(struct gcu_quota *q, double t);

/* Seconds left of the pause at now, 0 when there is none. */
double gcu_quota_paused_for(const struct gcu_quota *q, double now);

/*
 * Seconds until the window resets at now: -1 when unknown, 0 when it has
 * already reset.
 */
double gcu_quota_reset_in(const struct gcu_quota *q, double now);

#endif
