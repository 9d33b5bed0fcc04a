/*
 * pacer.c - rate-limit pacing: header mirroring, the window's length as the
 * headers show it, blind discovery of an unknown limiter, 429 pauses and
 * the circuit breaker.
 */
#include "pacer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backoff.h"

/* Answers without any rate header before the pacer decides it is blind. */
#define BLIND_AFTER 3

/*
 * Finding a limiter that sends no headers. Every constant counts requests,
 * not seconds, so that the search runs as fast against a gateway at 80 a
 * second as a rehearsal's scaled minute, and as carefully against one at
 * 1 a second: a rate too high shows as a 429 only after some requests.
 *
 * Before the first 429 the rate doubles every SLOW_START answers that
 * pass (TCP's slow start): from the nominal rate to 16 times it in 64.
 * A 429 cuts it to RATE_CUT of the rate at that 429. A window full of
 * ours is known to the request (what it held then), so the cut there is
 * small, WINDOW_CUT of that level. Then the rate climbs back along
 * CUBIC's curve, reaching the level of the 429 after CLIMB_RATE answers
 * that pass (a rate) or CLIMB_WINDOWS windows' worth of them (a window),
 * flat around it, steeper beyond, until the next 429.
 */
#define SLOW_START    16
#define RATE_CUT      0.7
#define WINDOW_CUT    0.95
#define CLIMB_RATE    128
#define CLIMB_WINDOWS 4
/* The rate never falls below this share of the nominal one. */
#define RATE_FLOOR 0.02
/* Whether the limiter is a window or a rate: more than TEST_SLACK requests
 * passing, beyond the room our own leaving the window made, is a rate. */
#define TEST_SLACK 2
/* The achieved rate is taken over our newest ACHIEVED_OVER sends; the rate
 * grows only while it is less than GROW_WHILE times that (while the
 * pacing, not the concurrency or the input, holds requests back). */
#define ACHIEVED_OVER 16
#define GROW_WHILE    2.0
/* Under a rate limiter a 429 pauses dispatch at most PAUSE_GAPS gaps of
 * the new rate: the cut is the remedy, a long pause only idles. */
#define PAUSE_GAPS 4
/* Under a window limiter the spacing lets a quarter more through than
 * the rate, so that the count of ours in the window is what binds. */
#define WINDOW_SLACK 0.8
/* A window shorter than platform.window is learned from a count once it
 * is shorter by this share at least; a notice once it differs by
 * NOTICE_SHARE. */
#define SHORTER_BY   0.05
#define NOTICE_SHARE 0.1

int gcu_pacer_init(struct gcu_pacer *p, const struct gcu_config *c)
{
	*p = (struct gcu_pacer){0};
	p->window = c->platform_window;
	p->window_cfg = c->platform_window;
	p->window_proved = c->platform_window;
	p->others_lo = -1;
	p->sends_cap = 1024;
	p->sends = calloc(p->sends_cap, sizeof *p->sends);
	if (p->sends == NULL)
		return -1;
	p->concurrency = c->concurrency;
	p->reserve = c->throttle_reserve;
	p->floor = c->throttle_floor; /* at most the reserve: gcu_config_init cuts it */
	p->pause_below = c->throttle_pause_below;
	p->nominal_limit = c->platform_limit;
	p->nominal_rate = (double)c->platform_limit / c->platform_window;
	p->limit = -1;
	p->remaining = -1;
	p->rate = p->nominal_rate;
	p->circuit_failures = c->circuit_failures;
	p->circuit_pause = c->circuit_pause;
	p->probe_gap = c->platform_window / (double)c->platform_limit;
	return 0;
}

void gcu_pacer_free(struct gcu_pacer *p)
{
	free(p->sends);
	p->sends = NULL;
}

static struct gcu_pacer_mark *mark(const struct gcu_pacer *p, size_t i)
{
	return &p->sends[(p->sends_head + i) % p->sends_cap];
}

static double send_at(const struct gcu_pacer *p, size_t i)
{
	return mark(p, i)->at;
}

/* Forgets sends that left the window by t. */
static void trim_before(struct gcu_pacer *p, double t)
{
	while (p->sends_len > 0 && send_at(p, 0) + p->window <= t) {
		if (!mark(p, 0)->answered)
			p->unanswered--;
		p->sends_head = (p->sends_head + 1) % p->sends_cap;
		p->sends_len--;
		p->departed++;
	}
}

/* Forgets sends that left the window before the newest observation: the
 * platform's count already reflects them. */
static void trim_sends(struct gcu_pacer *p)
{
	trim_before(p, p->obs_at);
}

static int remember_send(struct gcu_pacer *p, uint64_t seq, double now)
{
	if (p->sends_len == p->sends_cap) {
		struct gcu_pacer_mark *grown = malloc(2 * p->sends_cap * sizeof *grown);
		if (grown == NULL)
			return -1;
		for (size_t i = 0; i < p->sends_len; i++)
			grown[i] = *mark(p, i);
		free(p->sends);
		p->sends = grown;
		p->sends_cap *= 2;
		p->sends_head = 0;
	}
	*mark(p, p->sends_len++) = (struct gcu_pacer_mark){seq, now, now, 0};
	p->unanswered++;
	return 0;
}

/* How many marks in the ring are of requests sent before seq. */
static size_t marks_before(const struct gcu_pacer *p, uint64_t seq)
{
	size_t lo = 0, hi = p->sends_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mark(p, mid)->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The answer to request seq came at now: it entered the platform's window
 * by then. Moves its mark to now, and the marks of later requests answered
 * sooner with it, so that the ring stays in time order (each can only be
 * said to leave later than it was). */
static void mark_answered(struct gcu_pacer *p, uint64_t seq, double now)
{
	size_t lo = marks_before(p, seq);
	if (lo == p->sends_len || mark(p, lo)->seq != seq)
		return; /* already out of the window */
	if (!mark(p, lo)->answered)
		p->unanswered--;
	mark(p, lo)->answered = 1;
	for (size_t i = lo; i < p->sends_len && send_at(p, i) < now; i++)
		mark(p, i)->at = now;
}

/* A new observation: remaining as the platform counted it for request
 * seq, taken to hold at `at`. Requests sent before seq and still
 * unanswered may reach the platform's count after it, so they count as
 * sent after it (stale): were they counted before, the model is merely
 * cautious. */
static void observe(struct gcu_pacer *p, uint64_t seq, long remaining, double at)
{
	p->remaining = remaining;
	p->obs_seq = seq;
	p->obs_at = at;
	trim_sends(p);
	/* Those out now, less the ones sent after seq: the newest few, so
	 * that an answer costs what is in flight, not what is in the window. */
	p->stale = p->unanswered;
	for (size_t i = p->sends_len; i > 0 && mark(p, i - 1)->seq > seq; i--)
		if (!mark(p, i - 1)->answered)
			p->stale--;
}

/* Our sends that have left the window by t, and when the next one leaves
 * (0 when none is due). The ring is in time order, so a binary search
 * finds the first that has not left yet. */
static long expired_by(const struct gcu_pacer *p, double t, double *next)
{
	size_t lo = 0, hi = p->sends_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (send_at(p, mid) + p->window <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	*next = lo < p->sends_len ? send_at(p, lo) + p->window : 0;
	return (long)lo;
}

static long window_left(const struct gcu_pacer *p, double now, double *next)
{
	return p->remaining - (long)(p->sent - p->obs_seq) - p->stale + expired_by(p, now, next);
}

long gcu_pacer_left(const struct gcu_pacer *p, double now)
{
	double next;
	if (p->remaining < 0)
		return -1;
	long left = window_left(p, now, &next);
	return left > 0 ? left : 0;
}

/* Ours in the window at now, and when the next of them leaves it. */
static long ours_in(const struct gcu_pacer *p, double now, double *next)
{
	return (long)p->sends_len - expired_by(p, now, next);
}

/* Whether at least half of what the window holds at now is our own
 * requests (left as window_left counts it). Unknown without a limit. */
static int mostly_ours(const struct gcu_pacer *p, double now, long left)
{
	double next;
	if (p->limit <= 0)
		return 0;
	return 2 * ours_in(p, now, &next) >= p->limit - left;
}

/* --- the window's length from the headers ------------------------------ */

/* A reset never exceeds the window: one in whole seconds may be up to one
 * late, so it shows a window at least that long less one. */
static void learn_longer(struct gcu_pacer *p, const struct gcu_rate_obs *o)
{
	double lo = o->reset_in - (o->reset_whole ? 1 : 0);
	if (lo > p->window_lo)
		p->window_lo = lo;
	if (p->window_lo > p->window)
		p->window = p->window_lo;
	if (p->window_lo > p->window_proved)
		p->window_proved = p->window_lo;
}

/* The count the platform gave: exact, or -1 when clamped at the limit (a
 * remaining of 0 says the count is the limit or more). */
static long exact_count(const struct gcu_pacer *p, const struct gcu_rate_obs *o)
{
	if (o->has_inin_count)
		return o->inin_count;
	if (p->limit > 0 && o->has_remaining && o->remaining > 0 && o->remaining < p->limit)
		return p->limit - o->remaining;
	return -1;
}

/* How many marks of the ring entered the window before t (their `at`,
 * the answer's time once answered, is before it). */
static size_t marks_in_before(const struct gcu_pacer *p, double t)
{
	size_t lo = 0, hi = p->sends_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (send_at(p, mid) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The window is no longer than `most` (proved, or a guess): taken when
 * shorter by SHORTER_BY at least, never below the longest reset seen. */
static void shorten(struct gcu_pacer *p, double most, int proved)
{
	most = fmax(most, p->window_lo);
	if (proved && most < p->window_proved)
		p->window_proved = most;
	if (most < p->window * (1 - SHORTER_BY)) {
		p->window = most;
		trim_sends(p);
	}
}

/*
 * Just after observe(): the platform counts `counted` requests in its
 * window as it answers request seq (at `at`), exactly. Two proofs that the
 * window is shorter than the one in use:
 *
 *  - Ours gone from the count. Of ours sent before seq and answered (so
 *    counted) before its answer came, all but those still in flight with
 *    seq were counted before it; those beyond `counted` must have left the
 *    window already. Requests leave in the order they entered, so the
 *    k-th oldest of them, or one sent later, has left: the window is no
 *    longer than the time since it was sent. The slack of the
 *    concurrency covers those that were in flight with seq.
 *  - A window all ours. Ours answered before seq was sent were counted
 *    before it, and so was seq. Were the window longer than the reset
 *    plus the time since the j-th oldest of them was sent, every one from
 *    the j-th on would still be in it; if they are `counted` or more, the
 *    window would hold nothing else, and its oldest entry, one of ours,
 *    would leave after the reset, which is when the oldest leaves.
 */
static void learn_shorter(struct gcu_pacer *p, const struct gcu_rate_obs *o, uint64_t seq,
                          double at)
{
	long counted = exact_count(p, o);
	if (counted < 0)
		return;
	if (p->others_lo < 0) /* the first count: all of ours may be in it */
		p->others_lo = counted > (long)p->sent ? counted - (long)p->sent : 0;
	/* Ours gone from the count, proved; then guessed, with the others the
	 * first count held taken to be there still (until a 429 says not),
	 * while that leaves the window mostly ours: with few of ours in it,
	 * others a few fewer than at first would make the guess nonsense. */
	for (int proved = 1; proved >= 0; proved--) {
		long slack = counted - (proved ? 0 : p->others_lo) + p->concurrency;
		if (!proved && (p->others_lo == 0 || 2 * (counted - p->others_lo) < counted))
			break;
		if ((long)p->sends_len - p->stale <= slack)
			continue; /* the usual case, without a search */
		long k = (long)marks_before(p, seq + 1) - p->stale - slack;
		if (k >= 1)
			shorten(p, at - mark(p, (size_t)k - 1)->sent_at, proved);
	}
	size_t i = marks_before(p, seq);
	if (!o->has_reset || i == p->sends_len || mark(p, i)->seq != seq)
		return;
	long m = (long)marks_in_before(p, mark(p, i)->sent_at);
	long j = m - p->stale + 1 - counted;
	if (j >= 0 && j < m)
		shorten(p, at + o->reset_in - mark(p, (size_t)j)->sent_at, 1);
}

/* --- a limiter without headers ------------------------------------------ */

/* Our sends a second, over the newest ACHIEVED_OVER of them; the nominal
 * rate before there are two. */
static double achieved(const struct gcu_pacer *p, double now)
{
	size_t n = p->sends_len < ACHIEVED_OVER ? p->sends_len : ACHIEVED_OVER;
	if (n < 2)
		return p->nominal_rate;
	double span = now - mark(p, p->sends_len - n)->sent_at;
	return span > 0 ? (double)(n - 1) / span : p->rate;
}

/* Under a window limiter: how many of ours the window may hold. */
static long window_cap(const struct gcu_pacer *p)
{
	long cap = (long)(p->rate * p->window);
	return cap > 1 ? cap : 1;
}

/* A 429 at level (a rate, or ours in a window per window length): the
 * rate falls to cut of it and climbs back over `climb` answers. */
static void set_cut(struct gcu_pacer *p, double level, double cut, long climb)
{
	p->rate_max = level;
	p->cut_at = cut;
	p->climb = climb > 1 ? climb : 1;
	p->since_cut = 0;
	p->rate = fmax(level * cut, p->nominal_rate * RATE_FLOOR);
}

static long window_climb(long in)
{
	return CLIMB_WINDOWS * in;
}

/* A 429 for request seq from a limiter that sends no headers. 429s for
 * requests that were out at the last cut are the same event. */
static void limiter_cut(struct gcu_pacer *p, uint64_t seq, double now)
{
	double next;
	if (seq <= p->cut_seq)
		return;
	/* Sent before the pacer knew it was blind, at full concurrency: a
	 * burst, not the rate, drew it. The rate has not been tried yet. */
	if (p->limiter == GCU_LIMITER_UNKNOWN && seq <= p->blind_seq)
		return;
	long in = (long)marks_before(p, seq) - expired_by(p, now, &next);
	if (in < 1)
		in = 1; /* none of ours is known in the window: the least level */
	/* Behind headers, before the first such 429 no rate was in force:
	 * the level is what we sent at. */
	double r = achieved(p, now);
	if (p->blind || p->limiter != GCU_LIMITER_UNKNOWN)
		r = fmin(r, p->rate);
	p->cut_seq = p->sent;
	switch (p->limiter) {
	case GCU_LIMITER_UNKNOWN:
		/* Behind headers that showed room, it cannot be the window. */
		p->limiter = p->hidden ? GCU_LIMITER_RATE : GCU_LIMITER_TESTING;
		p->test_in = in;
		p->test_departed = p->departed + (uint64_t)expired_by(p, now, &next);
		p->test_passed = 0;
		p->test_at = now;
		set_cut(p, r, RATE_CUT, CLIMB_RATE);
		break;
	case GCU_LIMITER_TESTING:
		/* A request sent since met a 429 before more passed than our
		 * own leaving made room for: a window, full at what it held. */
		p->limiter = GCU_LIMITER_WINDOW;
		set_cut(p, p->test_in / p->window, WINDOW_CUT, window_climb(p->test_in));
		break;
	case GCU_LIMITER_WINDOW:
		set_cut(p, in / p->window, WINDOW_CUT, window_climb(in));
		break;
	case GCU_LIMITER_RATE:
		set_cut(p, r, RATE_CUT, CLIMB_RATE);
		break;
	}
}

/* An answer that passed the limiter, for request seq. */
static void limiter_pass(struct gcu_pacer *p, uint64_t seq, double now)
{
	double next;
	int pacing_binds = p->rate < GROW_WHILE * achieved(p, now);

	switch (p->limiter) {
	case GCU_LIMITER_UNKNOWN:
		if (pacing_binds)
			p->rate *= exp2(1.0 / SLOW_START);
		break;
	case GCU_LIMITER_TESTING:
		/* Requests passing beyond what our own leaving made room for
		 * show a rate; so does a window's length without a 429, for a
		 * window full at the 429 would have refused one by then. */
		if (seq > p->cut_seq) {
			long left =
			    (long)(p->departed - p->test_departed) + expired_by(p, now, &next);
			if (++p->test_passed > left + TEST_SLACK || now - p->test_at >= p->window)
				p->limiter = GCU_LIMITER_RATE;
		}
		break;
	case GCU_LIMITER_WINDOW:
	case GCU_LIMITER_RATE:
		if (pacing_binds) {
			double x = (double)++p->since_cut / (double)p->climb - 1;
			p->rate = fmax(p->rate_max * (1 + (1 - p->cut_at) * x * x * x),
			               p->nominal_rate * RATE_FLOOR);
		}
		break;
	}
}

/* No rate headers in BLIND_AFTER answers: what went out so far went at
 * full concurrency; the next request waits a gap of the first guess. */
static void go_blind(struct gcu_pacer *p, double now)
{
	p->blind = 1;
	p->blind_seq = p->sent;
	if (!p->hidden) {
		p->limiter = GCU_LIMITER_UNKNOWN;
		p->rate = p->nominal_rate;
	}
	p->next_slot = fmax(p->next_slot, now + 1 / p->rate);
}

/* --- dispatch ------------------------------------------------------------ */

/* Whether counts have come for a whole window's length since our first
 * request: before, the window's length is only what was assumed, and
 * waiting on it at the floor could mean waiting on a window ten times too
 * long with no answer to tell; a probe then costs one 429 at most, and
 * its Retry-After says when room really comes. */
static int window_tried(const struct gcu_pacer *p)
{
	return p->sent > 0 && p->obs_at - p->first_at >= p->window;
}

static enum gcu_pace_block wait_until(double t, double *wake, enum gcu_pace_block why)
{
	*wake = t;
	return why;
}

enum gcu_pace_block gcu_pacer_check(struct gcu_pacer *p, enum gcu_scope scope, int inflight,
                                    double now, double *wake)
{
	*wake = 0;
	if (now < p->pause_until)
		return wait_until(p->pause_until, wake,
		                  p->circuit ? GCU_PACE_CIRCUIT : GCU_PACE_PAUSED);
	if (p->circuit == 1)
		p->circuit = 2; /* the pause is over: one probe may go */
	if (p->circuit == 2 && inflight > 0)
		return GCU_PACE_CIRCUIT;
	if (p->blind && p->limiter == GCU_LIMITER_WINDOW) {
		/* A window limiter without headers: ours in it stay below what
		 * it held at the 429, even for the request after a pause. */
		double next;
		if (ours_in(p, now, &next) >= window_cap(p)) {
			p->throttled++;
			return wait_until(next, wake, GCU_PACE_QUOTA);
		}
	}
	/* The spacing holds for the request after a pause too: blind, a
	 * pause can be shorter than a gap of the rate. */
	if (inflight < p->concurrency && now < p->next_slot)
		return wait_until(p->next_slot, wake, GCU_PACE_QUOTA);
	if (p->resume_probe) {
		/* The pause is over; its first request goes alone, once every
		 * answer still out has been heard, and the next answer (its
		 * own) ends the wait. */
		if (inflight > 0 || p->resume_probe == 2)
			return GCU_PACE_PAUSED;
		p->resume_probe = 2;
		return GCU_PACE_GO;
	}
	if (inflight >= p->concurrency)
		return GCU_PACE_CONCURRENCY;

	if (p->blind || !p->seen_headers)
		return GCU_PACE_GO;

	if (p->remaining < 0)
		return GCU_PACE_GO; /* headers give no count: only pauses apply */
	double next_expiry;
	long left = window_left(p, now, &next_expiry);
	long threshold = p->reserve;
	if (scope == GCU_SCOPE_ROUTING && p->pause_below > threshold)
		threshold = p->pause_below;
	if (left > threshold)
		return GCU_PACE_GO;
	p->throttled++;
	/* The last of the window before the floor: one request at a time,
	 * each after the answer to the one before, so that every decision
	 * rests on a fresh count and a window fuller than it looked costs
	 * one 429, not one per request in flight. The routing scope has no
	 * such zone: it pauses, leaving room for the platform's propagation
	 * jobs. */
	if (scope != GCU_SCOPE_ROUTING && left > p->floor)
		return inflight > 0 || p->probe_out ? GCU_PACE_QUOTA : GCU_PACE_GO;
	/* At the threshold. Answers in flight will tell more; else one of our
	 * own requests leaving the window makes room; else, after the reset,
	 * a single probe asks the platform. A probe finds room only where
	 * others' requests leave the window without being replaced: at the
	 * floor, with the window mostly ours, our own leaving is the room to
	 * wait for, and a probe would find the window as full as we made it. */
	if (inflight > 0 || p->probe_out)
		return GCU_PACE_QUOTA;
	double probe = fmax(p->reset_at, p->next_probe);
	int wait_own = next_expiry < probe ||
	               (left <= p->floor && mostly_ours(p, now, left) && window_tried(p));
	if (next_expiry > 0 && wait_own)
		return wait_until(next_expiry, wake, GCU_PACE_QUOTA);
	if (now < probe)
		return wait_until(probe, wake, GCU_PACE_QUOTA);
	p->probe_out = 1;
	p->next_probe = now + p->probe_gap;
	p->probe_gap = fmin(p->probe_gap * 2, p->window);
	return GCU_PACE_GO;
}

/* How long after a send the next may follow, from the mirrored window:
 * what is above the reserve spread over the time until the window makes
 * room again. */
static double spread(const struct gcu_pacer *p, double now)
{
	double next;
	long left = window_left(p, now, &next) - p->reserve;
	double until = p->reset_at - p->reset_slack - now;
	long limit = (p->limit > 0 ? p->limit : p->nominal_limit) - p->reserve;

	/* Room comes at the reset, as early as a reset in whole seconds (the
	 * platform's, up to one late) allows, or sooner when one of our own
	 * requests leaves the window; never slower than the window's pace.
	 * Waiting for a reset later than the real one only idles: the window
	 * counts requests, not how close together they went. */
	if (next > 0 && next - now < until)
		until = next - now;
	if (left <= 0 || until <= 0)
		return 0;
	double gap = until / (double)left;
	return limit > 0 ? fmin(gap, p->window / (double)limit) : gap;
}

uint64_t gcu_pacer_sent(struct gcu_pacer *p, double now)
{
	double gap = 0;

	if (p->sent++ == 0)
		p->first_at = now;
	/* Without observations nothing else trims the ring. */
	if (p->blind || !p->seen_headers)
		trim_before(p, now);
	/* Without memory the model forgets our own expiries, which makes it
	 * more cautious, never less. */
	(void)remember_send(p, p->sent, now);
	if (p->blind)
		gap = (p->limiter == GCU_LIMITER_WINDOW ? WINDOW_SLACK : 1) / p->rate;
	else if (p->seen_headers)
		gap = fmax(spread(p, now), p->hidden ? 1 / p->rate : 0);
	p->next_slot = now + gap;
	return p->sent;
}

void gcu_pacer_answer(struct gcu_pacer *p, long status, const struct gcu_rate_obs *o, uint64_t seq,
                      double now, double retry_after_cap, double backoff, double jitter,
                      int *capped)
{
	int headers = o && (o->has_limit || o->has_remaining || o->has_reset);
	int limited = p->blind || p->hidden; /* before this answer */
	double next;

	*capped = 0;
	/* A 429 without any header while the headers showed room: a limiter
	 * in front of the platform, not its window. */
	int hidden_429 = status == 429 && !headers && p->seen_headers && !p->blind &&
	                 p->remaining >= 0 && window_left(p, now, &next) > p->reserve;
	mark_answered(p, seq, now);
	p->probe_out = 0;
	if (p->resume_probe == 2)
		p->resume_probe = 0;
	/* 401 and 403 come before the rate limiter: their lack of headers
	 * says nothing about a proxy. */
	if (status != 0 && status != 401 && status != 403) {
		if (headers) {
			p->seen_headers = 1;
			p->headerless_run = 0;
			if (p->blind && !p->hidden)
				p->limiter = GCU_LIMITER_UNKNOWN;
			p->blind = 0;
		} else if (++p->headerless_run >= BLIND_AFTER && !p->blind && !hidden_429) {
			go_blind(p, now);
		}
	}
	if (headers && seq >= p->obs_seq) {
		if (o->has_limit)
			p->limit = o->limit;
		if (o->has_reset)
			learn_longer(p, o);
		if (o->has_remaining) {
			observe(p, seq, o->remaining, now);
			learn_shorter(p, o, seq, now);
			if (o->remaining >
			    (p->reserve > p->pause_below ? p->reserve : p->pause_below))
				p->probe_gap = p->window / (double)(p->limit > 0 ? p->limit : 300);
		}
		if (o->has_reset) {
			p->reset_at = now + o->reset_in;
			p->reset_slack = o->reset_whole ? 1 : 0;
		}
	}

	if (status == 429) {
		double wait = backoff;
		if (o && o->has_retry_after) {
			wait = o->retry_after;
			if (wait > retry_after_cap) {
				wait = retry_after_cap;
				*capped = 1;
			}
		}
		if (hidden_429)
			p->hidden = 1;
		else if (headers && p->window < p->window_proved) {
			/* The window refused us: the guess at its length may be
			 * short. Back to what is proved, and no more guessing. */
			p->window = p->window_proved;
			p->others_lo = 0;
		}
		if (p->blind || hidden_429) {
			limiter_cut(p, seq, now);
			/* A rate limiter wants a lower rate, not an idle pause. */
			if (p->limiter == GCU_LIMITER_RATE)
				wait = fmin(wait, PAUSE_GAPS / p->rate);
		}
		/* Jitter of up to a quarter of the wait keeps clients from
		 * waking together at the reset. It is at most 1.5 s of a 60 s
		 * window, as the platform's guidance suggests, and scales with
		 * the window like every other duration of the policy. */
		double most = 1.5 * p->window / 60;
		wait += jitter * fmin(most, 0.25 * wait + most / 150);
		if (now + wait > p->pause_until)
			p->pause_until = now + wait;
		/* A wait cut to retry.max_wait also cuts the window's reset and
		 * the next probe: else the model would sit out the very wait
		 * the cap refused (an hour's reset, a half-window probe gap). */
		if (*capped) {
			p->reset_at = fmin(p->reset_at, p->pause_until);
			p->next_probe = fmin(p->next_probe, p->pause_until);
		}
		p->pauses++;
		p->resume_probe = 1;
		if (seq >= p->obs_seq && !hidden_429) {
			/* Retry-After is the platform's own count of when its
			 * window has room: our requests that leave before then
			 * are in that figure already, so the window is taken as
			 * full until then, not merely now. */
			int honest = o && o->has_retry_after && !*capped;
			observe(p, seq, 0, honest ? now + o->retry_after : now);
		}
		p->server_streak = 0;
		return;
	}
	if (status == 0 || status >= 500) {
		if (++p->server_streak >= p->circuit_failures || p->circuit == 2) {
			if (p->circuit != 2)
				p->circuits++;
			p->circuit_streak++;
			p->circuit = 1;
			if (now + p->circuit_pause > p->pause_until)
				p->pause_until = now + p->circuit_pause;
		}
		return;
	}
	p->server_streak = 0;
	p->circuit_streak = 0;
	if (p->circuit)
		p->circuit = 0;
	if (limited && (p->blind || p->hidden))
		limiter_pass(p, seq, now);
}

int gcu_pacer_feed(struct gcu_pacer *p, const struct gcu_config *c, long status,
                   const struct gcu_rate_obs *o, uint64_t seq, double now, int rate_attempt,
                   uint64_t *rng, gcu_pacer_notice_fn notice, void *ctx)
{
	int capped = 0;
	double backoff = gcu_backoff(&c->retry_rate_limit, rate_attempt, rng);
	char msg[200];

	gcu_pacer_answer(p, status, o, seq, now, c->retry_max_wait, backoff, gcu_rand_unit(rng),
	                 &capped);
	if (notice == NULL)
		return capped;
	if (capped && !p->said_capped) {
		snprintf(msg, sizeof msg,
		         "the platform asked to wait %.0f s; waiting retry.max_wait (%g s) instead",
		         o->retry_after, c->retry_max_wait);
		notice(ctx, msg);
		p->said_capped = 1;
	}
	if (p->blind && !p->said_blind) {
		notice(ctx, "no rate-limit headers in the answers: flying blind, finding the rate "
		            "by probing (growing from platform.limit / platform.window until the "
		            "first 429, then settling below it)");
		p->said_blind = 1;
	}
	/* What the headers prove, not the guess below it: a guess that a 429
	 * may yet take back contradicts no setting. */
	if (!p->said_window &&
	    fabs(p->window_proved - c->platform_window) > NOTICE_SHARE * c->platform_window) {
		snprintf(msg, sizeof msg,
		         "the rate-limit headers show a window of %s %.3g s, not platform.window's "
		         "%g s: pacing with %.3g s",
		         p->window_proved < c->platform_window ? "at most" : "at least",
		         p->window_proved, c->platform_window, p->window);
		notice(ctx, msg);
		p->said_window = 1;
	}
	if (p->hidden && !p->said_hidden) {
		notice(ctx, "a 429 without rate-limit headers while they showed room: a limiter in "
		            "front of the platform (a proxy?); finding its rate by probing");
		p->said_hidden = 1;
	}
	return capped;
}
