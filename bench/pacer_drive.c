/*
 * pacer_drive.c - drives the pacer alone, on a simulated clock, through n
 * requests against the simulator's own rate-limit arithmetic, so that a
 * profiler (bench/pacing.sh runs it under callgrind, counting only the
 * gcu_pacer_* calls) can tell what the pacer costs per request and
 * whether that grows with the requests in the window.
 *
 *   pacer_drive MODE N
 *
 * MODE is one of:
 *   fractional  rate headers with the reset to the millisecond;
 *   whole       the same in whole seconds, rounded up (the platform's);
 *   unbound     headers, a limit too high to bind: every request stays
 *               in a 60 s window, the most the pacer ever holds;
 *   blind       no headers, a window limit (a proxy strips them);
 *   bucket      no headers, a leaky bucket (a proxy's limiter).
 * The window is 300 per 3 s with 20 a second of other traffic (bench's
 * scaled minute), 6 requests in flight, each answered 15 ms after it
 * left; a 429 retries nothing, it only feeds the pacer. Prints the
 * requests sent and the 429s on stdout.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pacer.h"
#include "ratehdr.h"
#include "sim/sim_ratelimit.h"

#define INFLIGHT 6
#define LATENCY  0.015

struct out {
	uint64_t seq;
	double at; /* when the answer comes */
	struct sim_rl_result res;
};

static int usage(void)
{
	fprintf(stderr, "usage: pacer_drive fractional|whole|unbound|blind|bucket N\n");
	return 64;
}

/* The answer to one request as the pacer sees it. */
static void answer(struct gcu_pacer *p, const char *mode, const struct out *o, double now,
                   uint64_t *rng)
{
	struct gcu_rate_obs obs;
	int capped;
	int blind = strcmp(mode, "blind") == 0 || strcmp(mode, "bucket") == 0;

	gcu_rate_obs_init(&obs);
	if (!blind) {
		int whole = strcmp(mode, "whole") == 0;
		obs.has_limit = obs.has_remaining = obs.has_reset = 1;
		obs.limit = strcmp(mode, "unbound") == 0 ? 10000000 : 300;
		obs.remaining = obs.limit > o->res.count ? obs.limit - o->res.count : 0;
		obs.reset_in = whole ? ceil(o->res.reset) : o->res.reset;
		obs.reset_whole = whole;
		if (!o->res.admitted) {
			obs.has_retry_after = 1;
			obs.retry_after = whole ? ceil(o->res.room_in) : o->res.room_in;
		}
	}
	gcu_pacer_answer(p, o->res.admitted ? 200 : 429, &obs, o->seq, now, 120, 0.1,
	                 (double)(*rng = *rng * 6364136223846793005u + 1) / 18446744073709551616.0,
	                 &capped);
}

int main(int argc, char *argv[])
{
	struct gcu_config c;
	struct gcu_pacer p;
	struct sim_rl_cfg rl = {300, 3, 20, 1, 0, 0};
	struct sim_window w = {0};
	struct out out[INFLIGHT];
	int n_out = 0;
	long n, sent = 0, rejected = 0;
	double now = 10; /* the background has filled the window */
	uint64_t rng = 1;
	char *end;

	if (argc != 3)
		return usage();
	n = strtol(argv[2], &end, 10);
	if (*end || n < 1)
		return usage();
	memset(&c, 0, sizeof c);
	c.concurrency = INFLIGHT;
	c.throttle_reserve = 10;
	c.throttle_floor = 2;
	c.throttle_pause_below = 20;
	c.platform_limit = 300;
	c.platform_window = 3;
	c.circuit_failures = 5;
	c.circuit_pause = 1.5;
	if (strcmp(argv[1], "unbound") == 0) {
		rl = (struct sim_rl_cfg){10000000, 60, 0, 1, 0, 0};
		c.platform_limit = 10000000;
		c.platform_window = 60;
	} else if (strcmp(argv[1], "bucket") == 0) {
		rl = (struct sim_rl_cfg){0, 3, 0, 1, 80, 10};
	} else if (strcmp(argv[1], "fractional") != 0 && strcmp(argv[1], "whole") != 0 &&
	           strcmp(argv[1], "blind") != 0) {
		return usage();
	}
	if (gcu_pacer_init(&p, &c) < 0)
		return 71;
	while (sent < n || n_out > 0) {
		double wake = 0, next = INFINITY;
		/* Answers due, oldest first. */
		for (int i = 0; i < n_out; i++) {
			if (out[i].at <= now) {
				struct out o = out[i];
				out[i--] = out[--n_out];
				answer(&p, argv[1], &o, now, &rng);
			}
		}
		if (sent < n &&
		    gcu_pacer_check(&p, GCU_SCOPE_NON_ROUTING, n_out, now, &wake) == GCU_PACE_GO) {
			struct out *o = &out[n_out++];
			o->seq = gcu_pacer_sent(&p, now);
			o->at = now + LATENCY;
			sim_rl_check(&rl, &w, now, &o->res);
			rejected += !o->res.admitted;
			sent++;
			continue;
		}
		for (int i = 0; i < n_out; i++)
			next = fmin(next, out[i].at);
		if (wake > now)
			next = fmin(next, wake);
		now = isfinite(next) ? next : now + 0.001;
	}
	printf("%ld sent, %ld 429s\n", sent, rejected);
	gcu_pacer_free(&p);
	sim_window_free(&w);
	return 0;
}
