/*
 * test_quota.c - the rate-limit record: observations update it, stale
 * out-of-order ones do not, and a pause is never shortened.
 */
#include <math.h>
#include <string.h>

#include "quota.h"
#include "tap.h"

static struct gcu_rate_obs obs(long limit, long remaining, double reset_in)
{
	struct gcu_rate_obs o;

	gcu_rate_obs_init(&o);
	if (limit >= 0) {
		o.has_limit = 1;
		o.limit = limit;
	}
	if (remaining >= 0) {
		o.has_remaining = 1;
		o.remaining = remaining;
	}
	if (reset_in >= 0) {
		o.has_reset = 1;
		o.reset_in = reset_in;
	}
	return o;
}

int main(void)
{
	struct gcu_quota q;
	struct gcu_rate_obs o;

	gcu_quota_init(&q);
	ok(!q.seen && !q.has_limit && !q.has_remaining, "starts empty");
	ok(gcu_quota_reset_in(&q, 0) < 0, "reset unknown at first");
	ok(gcu_quota_paused_for(&q, 100) == 0, "no pause at first");

	gcu_rate_obs_init(&o);
	ok(gcu_quota_observe(&q, &o, 1.0) == 0 && !q.seen, "an empty observation changes nothing");

	o = obs(300, 250, 30);
	ok(gcu_quota_observe_at(&q, &o, 10.0, 10.5) == 1, "observation applied");
	ok(q.seen && q.limit == 300 && q.remaining == 250, "limit and remaining taken");
	ok(fabs(gcu_quota_reset_in(&q, 10.5) - 30) < 1e-9, "reset time on the monotonic clock");
	ok(fabs(gcu_quota_reset_in(&q, 20.5) - 20) < 1e-9, "reset counts down");
	ok(gcu_quota_reset_in(&q, 100) == 0, "reset in the past is 0");

	o = obs(-1, 200, -1);
	ok(gcu_quota_observe_at(&q, &o, 11.0, 11.2) == 1 && q.remaining == 200 && q.limit == 300,
	   "a partial observation keeps the other fields");

	/* out of order: a request sent at 10.8 completes after the one sent at 11 */
	o = obs(300, 260, 5);
	ok(gcu_quota_observe_at(&q, &o, 10.8, 11.5) == 0, "stale observation refused");
	ok(q.remaining == 200 && fabs(gcu_quota_reset_in(&q, 10.5) - 30) < 1e-9,
	   "stale observation changed nothing");
	is_long(q.stale, 1, "stale observation counted");

	o = obs(300, 199, 10);
	ok(gcu_quota_observe_at(&q, &o, 11.0, 11.6) == 1 && q.remaining == 199,
	   "same send time is applied");
	o = obs(300, 150, 10);
	ok(gcu_quota_observe_at(&q, &o, 12.0, 12.1) == 1 && q.remaining == 150,
	   "newer observation applied");
	is_long(q.observations, 4, "observations counted");

	/* inin pair not yet combined is combined on the way in */
	gcu_rate_obs_init(&o);
	o.has_inin_allowed = o.has_inin_count = 1;
	o.inin_allowed = 100;
	o.inin_count = 90;
	o.has_limit = 1;
	o.limit = 100;
	ok(gcu_quota_observe_at(&q, &o, 13.0, 13.0) == 1 && q.remaining == 10 && q.limit == 100,
	   "raw inin allowed/count give remaining");

	gcu_quota_pause_until(&q, 50);
	ok(fabs(gcu_quota_paused_for(&q, 40) - 10) < 1e-9, "pause set");
	gcu_quota_pause_until(&q, 45);
	ok(q.pause_until == 50, "a shorter pause does not shorten it");
	gcu_quota_pause_until(&q, NAN);
	ok(q.pause_until == 50, "a NaN pause is ignored");
	gcu_quota_pause_until(&q, 60);
	ok(q.pause_until == 60, "a longer pause extends it");
	ok(gcu_quota_paused_for(&q, 70) == 0, "pause over");

	o = obs(300, 100, 1);
	ok(gcu_quota_observe(&q, &o, 14) == 1 && q.pause_until == 60,
	   "observations leave the pause alone");
	return done_testing();
}
