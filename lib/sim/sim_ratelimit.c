/*
 * sim_ratelimit.c - sliding-window arithmetic (see sim_ratelimit.h).
 *
 * The window is a ring buffer kept in ascending order. Entries are almost
 * always appended at the back (the present); only propagation entries lie
 * in the future, and a later present entry is inserted before them by a
 * short shift from the back.
 */
#include "sim_ratelimit.h"

#include <math.h>
#include <stdlib.h>

#define AT(w, i) ((w)->ts[((w)->head + (i)) % (w)->cap])

void sim_window_free(struct sim_window *w)
{
	free(w->ts);
	*w = (struct sim_window){0};
}

static int window_grow(struct sim_window *w)
{
	size_t cap = w->cap ? w->cap * 2 : 64;
	double *ts = malloc(cap * sizeof *ts);
	if (ts == NULL)
		return -1;
	for (size_t i = 0; i < w->len; i++)
		ts[i] = AT(w, i);
	free(w->ts);
	w->ts = ts;
	w->head = 0;
	w->cap = cap;
	return 0;
}

int sim_window_add(struct sim_window *w, double t)
{
	size_t i;

	if (w->len == w->cap && window_grow(w) < 0)
		return -1;
	i = w->len;
	while (i > 0 && AT(w, i - 1) > t) {
		AT(w, i) = AT(w, i - 1);
		i--;
	}
	AT(w, i) = t;
	w->len++;
	return 0;
}

long sim_background_count(double rate, double window, double now, double *oldest)
{
	double hi, lo;

	if (rate <= 0 || now < 0)
		return 0;
	hi = floor(now * rate);
	lo = floor((now - window) * rate) + 1;
	if (lo < 0)
		lo = 0;
	if (hi < lo)
		return 0;
	if (oldest)
		*oldest = lo / rate;
	return (long)(hi - lo + 1);
}

long sim_window_count(const struct sim_rl_cfg *cfg, struct sim_window *w, double now,
                      double *oldest)
{
	double start = now - cfg->window;
	double first = now;
	double bg_first = now;
	long n = 0, bg;
	size_t i;

	while (w->len > 0 && AT(w, 0) <= start) {
		w->head = (w->head + 1) % w->cap;
		w->len--;
	}
	i = w->len;
	while (i > 0 && AT(w, i - 1) > now)
		i--;
	n = (long)i;
	if (i > 0)
		first = AT(w, 0);
	bg = sim_background_count(cfg->background, cfg->window, now, &bg_first);
	if (bg > 0 && bg_first < first)
		first = bg_first;
	if (oldest)
		*oldest = first;
	return n + bg;
}

/* Entries at or before t (the ring is ascending). */
static size_t entries_upto(const struct sim_window *w, double t)
{
	size_t lo = 0, hi = w->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (AT(w, mid) <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The count a request at t would see, with nothing new recorded. */
static long count_at(const struct sim_rl_cfg *cfg, const struct sim_window *w, double t)
{
	long own = (long)(entries_upto(w, t) - entries_upto(w, t - cfg->window));
	return own + sim_background_count(cfg->background, cfg->window, t, NULL);
}

/*
 * When a request would next be admitted, for a window that is full at now
 * and trimmed to it (every entry leaves after now). The count only falls
 * when an entry leaves, so the candidates are the entries' exits, oldest
 * first; background traffic keeps arriving as it leaves and is counted as
 * it stands at each candidate. Bounded by the window: a window that stays
 * full on background alone has no better answer.
 */
static double room_in(const struct sim_rl_cfg *cfg, const struct sim_window *w, double now)
{
	for (size_t i = 0; i < w->len; i++) {
		double t = AT(w, i) + cfg->window;
		if (t - now >= cfg->window)
			break;
		if (count_at(cfg, w, t) < cfg->limit)
			return t - now;
	}
	return cfg->window;
}

static void fill(const struct sim_rl_cfg *cfg, struct sim_window *w, double now,
                 struct sim_rl_result *res)
{
	double oldest = now;
	res->count = sim_window_count(cfg, w, now, &oldest);
	res->reset = res->count > 0 ? oldest + cfg->window - now : cfg->window;
	if (res->reset < 0)
		res->reset = 0;
	res->room_in = res->count < cfg->limit ? 0 : room_in(cfg, w, now);
}

void sim_rl_peek(const struct sim_rl_cfg *cfg, struct sim_window *w, double now,
                 struct sim_rl_result *res)
{
	res->bucket = 0;
	if (cfg->limit <= 0) {
		res->admitted = 1;
		res->count = 0;
		res->reset = cfg->window;
		res->room_in = 0;
		return;
	}
	fill(cfg, w, now, res);
	res->admitted = res->count < cfg->limit;
}

/*
 * nginx's limit_req: excess is how many requests ahead of the rate the
 * last one let through was; a new one adds one and the time since takes
 * rate a second off, never below zero. More than burst ahead is turned
 * away and changes nothing. The first request of a client always passes.
 * Returns 1 when let through, else 0 with *wait the time until one would.
 */
static int bucket_admit(const struct sim_rl_cfg *cfg, struct sim_window *w, double now,
                        double *wait)
{
	double excess;

	*wait = 0;
	if (!w->bucket_used) {
		w->bucket_used = 1;
		w->bucket_excess = 0;
		w->bucket_last = now;
		return 1;
	}
	/* Threads take their instants before the lock: never a negative lapse. */
	excess = w->bucket_excess - cfg->bucket_rate * fmax(now - w->bucket_last, 0) + 1;
	if (excess < 0)
		excess = 0;
	if (excess > cfg->bucket_burst) {
		*wait = (excess - cfg->bucket_burst) / cfg->bucket_rate;
		return 0;
	}
	w->bucket_excess = excess;
	w->bucket_last = fmax(now, w->bucket_last);
	return 1;
}

int sim_rl_check(const struct sim_rl_cfg *cfg, struct sim_window *w, double now,
                 struct sim_rl_result *res)
{
	int rc = 0;
	double wait;

	sim_rl_peek(cfg, w, now, res);
	if (cfg->bucket_rate > 0 && !bucket_admit(cfg, w, now, &wait)) {
		res->admitted = 0;
		res->bucket = 1;
		res->room_in = wait;
		return 0;
	}
	if (cfg->limit <= 0)
		return 0;
	if (res->admitted || cfg->count_rejected) {
		rc = sim_window_add(w, now);
		if (rc == 0)
			fill(cfg, w, now, res);
	}
	return rc;
}

int sim_rl_propagate(struct sim_window *w, double now, long n, double span)
{
	for (long i = 1; i <= n; i++)
		if (sim_window_add(w, now + span * (double)i / (double)n) < 0)
			return -1;
	return 0;
}
