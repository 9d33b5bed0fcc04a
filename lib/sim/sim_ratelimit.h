/*
 * sim_ratelimit.h - the platform's sliding-window rate limit, one window
 * per access token.
 *
 * A window is a sorted list of instants (seconds since start). A request
 * is admitted while fewer than `limit` instants lie in (now - window, now];
 * admitted requests, and by default rejected ones too, add their instant.
 * Other tenants' traffic ("background") adds evenly spaced synthetic
 * instants computed on demand, and routing writes may add instants in the
 * near future ("propagation") that start counting when their time comes.
 * The functions take `now` explicitly so that tests can drive the clock.
 * Nothing here locks: the caller serialises access to a window.
 *
 * In front of the window there may be a leaky bucket, as a reverse proxy's
 * limiter (nginx `limit_req ... burst=B nodelay`) keeps one per client: a
 * request is let through while it is at most `burst` requests ahead of the
 * bucket's rate, and one it turns away never reaches the window. Such a
 * proxy answers 429 with no rate headers at all.
 */
#ifndef GCU_SIM_RATELIMIT_H
#define GCU_SIM_RATELIMIT_H

#include <stddef.h>

struct sim_window {
	double *ts; /* ring buffer of instants, ascending */
	size_t head, len, cap;
	/* the bucket: how many requests ahead of its rate the last one let
	 * through was, and when (bucket_used is 0 before the first) */
	double bucket_excess, bucket_last;
	int bucket_used;
};

struct sim_rl_cfg {
	long limit;          /* requests per window; 0 means unlimited */
	double window;       /* seconds */
	double background;   /* synthetic entries per second, 0 for none */
	int count_rejected;  /* record rejected requests too */
	double bucket_rate;  /* the bucket's rate, requests a second; 0: no bucket */
	double bucket_burst; /* requests it lets through ahead of that rate */
};

/* What a check saw, after recording this request if it was recorded. */
struct sim_rl_result {
	int admitted; /* 1 admitted, 0 rejected */
	long count;   /* entries in the window */
	double reset; /* seconds until the oldest entry leaves (window when empty) */
	/* seconds until a request would be admitted again: 0 below the limit;
	 * above it (rejections and propagation overdraw the window) the time
	 * until enough entries have left, at most the window. Retry-After. */
	double room_in;
	int bucket; /* 1 when the bucket turned it away: no rate headers */
};

/* Frees a window's storage and empties it, its bucket too. */
void sim_window_free(struct sim_window *w);

/* Inserts an instant in order. Returns 0, or -1 when out of memory. */
int sim_window_add(struct sim_window *w, double t);

/*
 * Counts the entries in (now - cfg->window, now], background included,
 * dropping those that have left; *oldest (may be NULL) gets the oldest
 * counted instant, or now when there is none.
 */
long sim_window_count(const struct sim_rl_cfg *cfg, struct sim_window *w, double now,
                      double *oldest);

/* Background entries (instants k / rate, k >= 0) in (now - window, now];
 * *oldest gets the first of them when there are any. */
long sim_background_count(double rate, double window, double now, double *oldest);

/*
 * Decides one request at `now`: the bucket first, when there is one (a
 * request it turns away is rejected with res->bucket set and nothing
 * recorded in the window); then the window, which admits it when the
 * count is below the limit, records it (or the rejection when
 * cfg->count_rejected) and fills *res. With limit 0 the window admits
 * everything and records nothing. Returns 0, or -1 when out of memory
 * (the request is then admitted).
 */
int sim_rl_check(const struct sim_rl_cfg *cfg, struct sim_window *w, double now,
                 struct sim_rl_result *res);

/* Fills *res with the window's state at `now` without recording anything
 * (res->admitted is set to whether a request would be admitted). */
void sim_rl_peek(const struct sim_rl_cfg *cfg, struct sim_window *w, double now,
                 struct sim_rl_result *res);

/* Adds n entries spread evenly over (now, now + span]. Returns 0 or -1
 * when out of memory. */
int sim_rl_propagate(struct sim_window *w, double now, long n, double span);

#endif
