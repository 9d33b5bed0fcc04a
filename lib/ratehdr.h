/*
 * ratehdr.h - reading the platform's rate-limit headers into one
 * observation per response.
 *
 * Two header styles exist: the real platform's inin-ratelimit-allowed,
 * -count and -reset (seconds to reset), and the X-RateLimit-Limit,
 * -Remaining and -Reset (epoch seconds) the seed describes; a 429 adds
 * Retry-After (seconds or an HTTP date). A proxy may strip any of them.
 * The parser takes raw header lines as libcurl hands them over and never
 * trusts a value: garbage, negative, NaN, overflowing or absurdly long
 * values are dropped as if the header were absent.
 */
#ifndef GCU_RATEHDR_H
#define GCU_RATEHDR_H

#include <stddef.h>

/* The longest header value looked at; longer values are ignored. */
#define GCU_RATEHDR_MAX_VALUE 64

struct gcu_rate_obs {
	int has_limit, has_remaining, has_reset, has_retry_after;
	long limit;         /* requests allowed in the window */
	long remaining;     /* requests left in the window, >= 0 */
	double reset_in;    /* seconds until the window resets, >= 0 */
	int reset_whole;    /* reset_in came in whole seconds: up to one late */
	double retry_after; /* seconds to wait after a 429, >= 0, not capped */
	/* inin-ratelimit-allowed/-count as seen, before they are combined */
	int has_inin_allowed, has_inin_count;
	long inin_allowed, inin_count;
};

/* Clears o: no header seen. o must not be NULL. */
void gcu_rate_obs_init(struct gcu_rate_obs *o);

/*
 * Feeds one raw header line ("Name: value\r\n", the CR/LF optional, not
 * NUL-terminated) into o. Names are matched without regard to case; lines
 * that are not rate-limit headers, status lines and values that do not
 * parse are ignored. now_wall is the wall-clock time (epoch seconds) used
 * to turn X-RateLimit-Reset and a Retry-After date into delays. When a
 * response carries both styles the more cautious value wins (the lower
 * limit and remaining, the later reset; reset_whole says whether the reset
 * that won had no fraction). Once both inin-ratelimit-allowed
 * and -count are known, in either order, remaining is allowed - count
 * (never below 0). line may be NULL when len is 0.
 */
void gcu_rate_obs_header(struct gcu_rate_obs *o, const char *line, size_t len, double now_wall);

/*
 * Completes o after the last header: derives remaining from the inin
 * allowed/count pair if that has not happened yet. Idempotent.
 */
void gcu_rate_obs_finish(struct gcu_rate_obs *o);

/*
 * Parses an HTTP date (IMF-fixdate, RFC 850 or asctime form) of len bytes
 * into epoch seconds. Returns 0 and sets *epoch, or -1 when s is not such
 * a date. Exposed for the tests.
 */
int gcu_http_date(const char *s, size_t len, double *epoch);

#endif
