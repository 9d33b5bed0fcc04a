/*
 * pacer.c - rate-limit pacing: header mirroring, blind AIMD, 429 pauses
 * and the circuit breaker.
 */
#include "pacer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backoff.h"

/* Answers without any rate header before the pacer decides it is blind. */
#define BLIND_AFTER 3
/* Blind mode: the first rate is this share of the nominal one; it grows
 * by GROWTH of the nominal rate each window length and falls to DECREASE
 * of itself on a 429. The growth is per window, not per second, so that a
 * rehearsal with a scaled window ramps over as many windows as a run on
 * the platform: a 429 tells of a rate too high only once the window has
 * filled, and a ramp much faster than that overshoots: in the benchmarks'
 * headerless scenario, a ramp twenty times faster a window (what 4% a
 * second was in a 60 s window against a 3 s one) drew 3% 429s, not 0.2%,
 * for the same goodput. */
#define BLIND_START    0.5
#define BLIND_GROWTH   0.12
#define BLIND_DECREASE 0.7

int gcu_pacer_init(struct gcu_pacer *p, const struct gcu_config *c)
{
	*p = (struct gcu_pacer){0};
	p->window = c->platform_window;
	p->sends_cap = 1024;
	p->sends = calloc(p->sends_cap, sizeof *p->sends);
	if (p->sends == NULL)
		return -1;
	p->concurrency = c->concurrency;
	p->reserve = c->throttle_reserve;
	/* The floor is part of the reserve: at most all of it. */
	p->floor =
	    c->throttle_floor < c->throttle_reserve ? c->throttle_floor : c->throttle_reserve;
	p->pause_below = c->throttle_pause_below;
	p->nominal_rate = (double)c->platform_limit / c->platform_window;
	p->limit = -1;
	p->remaining = -1;
	p->rate = p->nominal_rate * BLIND_START;
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

/* Forgets sends that left the window before the newest observation: the
 * platform's count already reflects them. */
static void trim_sends(struct gcu_pacer *p)
{
	while (p->sends_len > 0 && send_at(p, 0) + p->window <= p->obs_at) {
		if (!mark(p, 0)->answered)
			p->unanswered--;
		p->sends_head = (p->sends_head + 1) % p->sends_cap;
		p->sends_len--;
	}
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
	*mark(p, p->sends_len++) = (struct gcu_pacer_mark){seq, now, 0};
	p->unanswered++;
	return 0;
}

/* The answer to request seq came at now: it entered the platform's window
 * by then. Moves its mark to now, and the marks of later requests answered
 * sooner with it, so that the ring stays in time order (each can only be
 * said to leave later than it was). */
static void mark_answered(struct gcu_pacer *p, uint64_t seq, double now)
{
	size_t lo = 0, hi = p->sends_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mark(p, mid)->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == p->sends_len || mark(p, lo)->seq != seq)
		return; /* sent before any count, or already out of the window */
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

/* Our sends that left the window between the observation and now, and
 * when the next one leaves (0 when none is due). The ring holds only sends
 * that were still in the window at the observation (trim_sends), in time
 * order, so a binary search finds the first that has not left yet. */
static long expired_since_obs(const struct gcu_pacer *p, double now, double *next)
{
	size_t lo = 0, hi = p->sends_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (send_at(p, mid) + p->window <= now)
			lo = mid + 1;
		else
			hi = mid;
	}
	*next = lo < p->sends_len ? send_at(p, lo) + p->window : 0;
	return (long)lo;
}

static long window_left(const struct gcu_pacer *p, double now, double *next)
{
	return p->remaining - (long)(p->sent - p->obs_seq) - p->stale +
	       expired_since_obs(p, now, next);
}

long gcu_pacer_left(const struct gcu_pacer *p, double now)
{
	double next;
	if (p->remaining < 0)
		return -1;
	long left = window_left(p, now, &next);
	return left > 0 ? left : 0;
}

/* Whether at least half of what the window holds at now is our own
 * requests (left as window_left counts it). Unknown without a limit. */
static int mostly_ours(const struct gcu_pacer *p, double now, long left)
{
	double next;
	if (p->limit <= 0)
		return 0;
	long ours = (long)p->sends_len - expired_since_obs(p, now, &next);
	return 2 * ours >= p->limit - left;
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
	if (now < p->next_slot)
		return wait_until(p->next_slot, wake, GCU_PACE_QUOTA);

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
	int wait_own = next_expiry < probe || (left <= p->floor && mostly_ours(p, now, left));
	if (next_expiry > 0 && wait_own)
		return wait_until(next_expiry, wake, GCU_PACE_QUOTA);
	if (now < probe)
		return wait_until(probe, wake, GCU_PACE_QUOTA);
	p->probe_out = 1;
	p->next_probe = now + p->probe_gap;
	p->probe_gap = fmin(p->probe_gap * 2, p->window);
	return GCU_PACE_GO;
}

uint64_t gcu_pacer_sent(struct gcu_pacer *p, double now)
{
	p->sent++;
	/* Only a known count needs our send times. Without memory the model
	 * forgets our own expiries, which makes it more cautious, never less. */
	if (p->remaining >= 0)
		(void)remember_send(p, p->sent, now);
	double gap = 0;
	if (p->blind || !p->seen_headers) {
		if (p->blind)
			gap = 1.0 / p->rate;
	} else {
		double next;
		long left = window_left(p, now, &next) - p->reserve;
		double reset_in = p->reset_at - now;
		/* Spread what is left above the reserve over the time to the
		 * reset, so that the window is not spent in one burst. */
		if (left > 0 && reset_in > 0)
			gap = reset_in / (double)left;
	}
	p->next_slot = now + gap;
	return p->sent;
}

static void blind_grow(struct gcu_pacer *p, double now)
{
	if (p->last_adapt > 0 && now > p->last_adapt) {
		double grown =
		    p->rate + p->nominal_rate * BLIND_GROWTH * (now - p->last_adapt) / p->window;
		p->rate = fmin(grown, p->nominal_rate * 4);
	}
	p->last_adapt = now;
}

void gcu_pacer_answer(struct gcu_pacer *p, long status, const struct gcu_rate_obs *o, uint64_t seq,
                      double now, double retry_after_cap, double backoff, double jitter,
                      int *capped)
{
	int headers = o && (o->has_limit || o->has_remaining || o->has_reset);

	*capped = 0;
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
			p->blind = 0;
		} else if (++p->headerless_run >= BLIND_AFTER && !p->blind) {
			p->blind = 1;
			p->last_adapt = now;
		}
	}
	if (headers && seq >= p->obs_seq) {
		if (o->has_limit)
			p->limit = o->limit;
		if (o->has_remaining) {
			observe(p, seq, o->remaining, now);
			if (o->remaining >
			    (p->reserve > p->pause_below ? p->reserve : p->pause_below))
				p->probe_gap = p->window / (double)(p->limit > 0 ? p->limit : 300);
		}
		if (o->has_reset)
			p->reset_at = now + o->reset_in;
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
		if (seq >= p->obs_seq) {
			/* Retry-After is the platform's own count of when its
			 * window has room: our requests that leave before then
			 * are in that figure already, so the window is taken as
			 * full until then, not merely now. */
			int honest = o && o->has_retry_after && !*capped;
			observe(p, seq, 0, honest ? now + o->retry_after : now);
		}
		if (p->blind) {
			p->rate = fmax(p->rate * BLIND_DECREASE, p->nominal_rate * 0.02);
			p->last_adapt = p->pause_until;
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
	if (p->blind)
		blind_grow(p, now);
}

int gcu_pacer_feed(struct gcu_pacer *p, const struct gcu_config *c, long status,
                   const struct gcu_rate_obs *o, uint64_t seq, double now, int rate_attempt,
                   uint64_t *rng, gcu_pacer_notice_fn notice, void *ctx)
{
	int capped = 0;
	double backoff = gcu_backoff(&c->retry_rate_limit, rate_attempt, rng);

	gcu_pacer_answer(p, status, o, seq, now, c->retry_max_wait, backoff, gcu_rand_unit(rng),
	                 &capped);
	if (capped && !p->said_capped && notice) {
		char msg[160];
		snprintf(msg, sizeof msg,
		         "the platform asked to wait %.0f s; waiting retry.max_wait (%g s) instead",
		         o->retry_after, c->retry_max_wait);
		notice(ctx, msg);
		p->said_capped = 1;
	}
	if (p->blind && !p->said_blind && notice) {
		notice(ctx,
		       "no rate-limit headers in the answers: flying blind, finding the rate by "
		       "probing (additive increase, multiplicative decrease on 429)");
		p->said_blind = 1;
	}
	return capped;
}
