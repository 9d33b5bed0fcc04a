/*
 * sim_util.h - small shared pieces of the simulator: a growable byte
 * buffer, clocks, the number and date formats the platform's headers use,
 * a seedable PRNG and the one logging function.
 *
 * Everything here is free of global state except the log verbosity and the
 * start instant the clocks measure from, both set once before any thread
 * starts.
 */
#ifndef GCU_SIM_UTIL_H
#define GCU_SIM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* A growable, always NUL-terminated byte buffer. Zero-initialise to use. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	int oom; /* set once an allocation failed; later appends do nothing */
};

/* Appends n bytes. Returns 0, or -1 (and sets b->oom) when out of memory. */
int sbuf_add(struct sbuf *b, const char *s, size_t n);

/* Appends a NUL-terminated string (NULL appends nothing). Same errors. */
int sbuf_adds(struct sbuf *b, const char *s);

/* Appends printf-formatted text. Same errors. */
int sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s as a JSON string literal, quotes included. Same errors. */
int sbuf_add_json_str(struct sbuf *b, const char *s);

/* Gives the contents to the caller (free() it) and empties b. Never NULL
 * unless out of memory. */
char *sbuf_take(struct sbuf *b);

/* Frees the contents and empties b. */
void sbuf_free(struct sbuf *b);

/* Records the start instant; call once before sim_now(). */
void sim_clock_start(void);

/* Seconds since sim_clock_start(), from the monotonic clock. */
double sim_now(void);

/* Wall-clock time (seconds since the epoch) at sim_now() == s. */
double sim_wall(double s);

/*
 * Formats a duration the way Retry-After and inin-ratelimit-reset carry
 * it: rounded up to the millisecond, at least 0.001, an integer when
 * integral, else up to three decimals without trailing zeros. Returns 0,
 * or -1 when out does not hold the text.
 */
int sim_fmt_seconds(double s, char *out, size_t outlen);

/* Formats an epoch time with up to three decimals (rounded up to the
 * millisecond, trailing zeros dropped). Same errors. */
int sim_fmt_epoch(double epoch, char *out, size_t outlen);

/* Formats seconds (a delay or an epoch time) the way the platform sends
 * them: a whole number, rounded up (float noise aside), at least 1. Same
 * errors. */
int sim_fmt_whole(double s, char *out, size_t outlen);

/* Formats an epoch time, rounded up to the next whole second, as an
 * IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). Same errors. */
int sim_fmt_http_date(double epoch, char *out, size_t outlen);

/* Formats an epoch time as ISO-8601 UTC with milliseconds
 * ("2026-11-01T08:00:00.000Z"). Same errors. */
int sim_fmt_iso(double epoch, char *out, size_t outlen);

/* A uniform double in [0, 1) from *state (the splitmix64 generator of
 * backoff.h, gcu_rand_next, which gives 64 random bits). */
double sim_rand01(uint64_t *state);

/* A uniform integer in [0, n) from *state (n > 0). */
uint64_t sim_randn(uint64_t *state, uint64_t n);

/* Writes a random version-4 UUID drawn from *state to out. */
void sim_uuid(uint64_t *state, char out[37]);

/*
 * Closes a page-number listing whose entities were written after
 * "{\"entities\":[": appends the platform's
 * "],\"pageSize\",\"pageNumber\",\"total\",\"pageCount\"}". Same errors
 * as sbuf_add.
 */
int sim_page_end(struct sbuf *b, long page_size, long page_number, long total);

/*
 * Cursor listings (GET /api/v2/teams and a team's members) hand out an
 * opaque "after" token; gcu-sim's token names the position the next page
 * starts at. sim_cursor_add appends the token for position pos;
 * sim_cursor_parse reads one back into *pos and returns 0, or -1 when s
 * is not such a token.
 */
int sim_cursor_add(struct sbuf *b, long pos);
int sim_cursor_parse(const char *s, long *pos);

/* Appends s percent-encoded for a URI query value. Same errors as
 * sbuf_add. */
int sbuf_add_query_value(struct sbuf *b, const char *s);

/* Sets the verbosity: 0 quiet, 1 normal, 2 and more verbose. */
void sim_log_level(int level);

/* Writes "gcu-sim: message" to stderr when level <= the verbosity. The
 * only place the library writes anything; callers never pass secrets. */
void sim_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
