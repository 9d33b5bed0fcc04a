/*
 * quota.c - the rate-limit record: applying observations in send order
 * and holding the shared pause.
 */
#include "quota.h"

#include <math.h>
#include <string.h>

void gcu_quota_init(struct gcu_quota *q)
{
	memset(q, 0, sizeof *q);
	q->sent_at = -INFINITY;
}

int gcu_quota_observe_at(struct gcu_quota *q, const struct gcu_rate_obs *o, double sent_at,
                         double now)
{
	struct gcu_rate_obs done = *o;

	gcu_rate_obs_finish(&done);
	if (!done.has_limit && !done.has_remaining && !done.has_reset)
		return 0;
	if (sent_at < q->sent_at || isnan(sent_at)) {
		q->stale++;
		return 0;
	}
	if (done.has_limit) {
		q->limit = done.limit;
		q->has_limit = 1;
	}
	if (done.has_remaining) {
		q->remaining = done.remaining;
		q->has_remaining = 1;
	}
	if (done.has_reset) {
		q->reset_at = now + done.reset_in;
		q->has_reset = 1;
	}
	q->seen = 1;
	q->sent_at = sent_at;
	q->updated_at = now;
	q->observations++;
	return 1;
}

int gcu_quota_observe(struct gcu_quota *q, const struct gcu_rate_obs *o, double now)
{
	return gcu_quota_observe_at(q, o, now, now);
}

void gcu_quota_pause_until(struct gcu_quota *q, double t)
{
	if (t > q->pause_until)
		q->pause_until = t;
}

double gcu_quota_paused_for(const struct gcu_quota *q, double now)
{
	return q->pause_until > now ? q->pause_until - now : 0;
}

double gcu_quota_reset_in(const struct gcu_quota *q, double now)
{
	if (!q->has_reset)
		return -1;
	return q->reset_at > now ? q->reset_at - now : 0;
}
