/*
 * sim_util.c - buffer, clocks, header formats, PRNG and logging for the
 * simulator (see sim_util.h).
 *
 * The clocks measure from one start instant so that the rate-limit
 * windows, the timeline and the outage window all speak "seconds since
 * start"; the wall clock is derived from the same instant so that the
 * epoch values in headers move exactly with the monotonic clock.
 */
#include "sim_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"

static double clock_mono0;
static double clock_wall0;
static int log_verbosity = 1;

int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return -1;
	if (b->p == NULL || b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int sbuf_adds(struct sbuf *b, const char *s)
{
	if (s == NULL)
		return b->oom ? -1 : 0;
	return sbuf_add(b, s, strlen(s));
}

int sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;
	int rc = -1;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto out;
	if ((size_t)n < sizeof small) {
		rc = sbuf_add(b, small, (size_t)n);
		goto out;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		b->oom = 1;
		goto out;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = sbuf_add(b, big, (size_t)n);
	free(big);
out:
	return rc;
}

int sbuf_add_json_str(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0;

	sbuf_add(b, "\"", 1);
	for (size_t i = 0; u[i]; i++) {
		char esc[6];
		size_t elen = 0;
		if (u[i] == '"' || u[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)u[i];
			elen = 2;
		} else if (u[i] < 0x20) {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[u[i] >> 4];
			esc[5] = hex[u[i] & 15];
			elen = 6;
		}
		if (elen) {
			sbuf_add(b, s + i - run, run);
			sbuf_add(b, esc, elen);
			run = 0;
		} else {
			run++;
		}
	}
	sbuf_add(b, s + strlen(s) - run, run);
	return sbuf_add(b, "\"", 1);
}

char *sbuf_take(struct sbuf *b)
{
	char *p = NULL;
	if (!b->oom && b->p == NULL)
		sbuf_add(b, "", 0);
	if (!b->oom)
		p = b->p;
	else
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
	return p;
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

static double clock_read(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sim_clock_start(void)
{
	clock_mono0 = clock_read(CLOCK_MONOTONIC);
	clock_wall0 = clock_read(CLOCK_REALTIME);
}

double sim_now(void)
{
	return clock_read(CLOCK_MONOTONIC) - clock_mono0;
}

double sim_wall(double s)
{
	return clock_wall0 + s;
}

static int fmt_millis(long long ms, char *out, size_t outlen)
{
	int n;
	if (ms % 1000 == 0) {
		n = snprintf(out, outlen, "%lld", ms / 1000);
	} else {
		n = snprintf(out, outlen, "%lld.%03lld", ms / 1000, ms % 1000);
		if (n > 0 && (size_t)n < outlen)
			while (out[n - 1] == '0')
				out[--n] = '\0';
	}
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

int sim_fmt_seconds(double s, char *out, size_t outlen)
{
	long long ms = (long long)ceil(s * 1000.0 - 1e-3);
	if (ms < 1)
		ms = 1;
	return fmt_millis(ms, out, outlen);
}

int sim_fmt_epoch(double epoch, char *out, size_t outlen)
{
	long long ms = (long long)ceil(epoch * 1000.0 - 1e-3);
	if (ms < 0)
		ms = 0;
	return fmt_millis(ms, out, outlen);
}

int sim_fmt_whole(double s, char *out, size_t outlen)
{
	long long whole = (long long)ceil(s - 1e-6);
	if (whole < 1)
		whole = 1;
	return fmt_millis(whole * 1000, out, outlen);
}

int sim_fmt_http_date(double epoch, char *out, size_t outlen)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)ceil(epoch - 1e-6);
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	n = snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
	             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	             tm.tm_sec);
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

int sim_fmt_iso(double epoch, char *out, size_t outlen)
{
	double whole = floor(epoch);
	time_t t = (time_t)whole;
	int ms = (int)((epoch - whole) * 1000.0);
	struct tm tm;
	int n;

	if (ms > 999)
		ms = 999;
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

double sim_rand01(uint64_t *state)
{
	return gcu_rand_unit(state);
}

uint64_t sim_randn(uint64_t *state, uint64_t n)
{
	return gcu_rand_next(state) % n;
}

void sim_uuid(uint64_t *state, char out[37])
{
	unsigned char b[16];
	uint64_t a = gcu_rand_next(state), c = gcu_rand_next(state);
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(a >> (8 * i));
		b[8 + i] = (unsigned char)(c >> (8 * i));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

int sim_page_end(struct sbuf *b, long page_size, long page_number, long total)
{
	return sbuf_addf(b,
	                 "],\"pageSize\":%ld,\"pageNumber\":%ld,\"total\":%ld,\"pageCount\":%ld}",
	                 page_size, page_number, total, (total + page_size - 1) / page_size);
}

/* The token is "p" and the position in hexadecimal: opaque enough that a
 * client cannot take it for a page number or an id. */
int sim_cursor_add(struct sbuf *b, long pos)
{
	return sbuf_addf(b, "p%lx", pos);
}

int sim_cursor_parse(const char *s, long *pos)
{
	char *end;
	long v;

	if (s == NULL || s[0] != 'p' || !isxdigit((unsigned char)s[1]))
		return -1;
	errno = 0;
	v = strtol(s + 1, &end, 16);
	if (errno || *end || v < 0)
		return -1;
	*pos = v;
	return 0;
}

int sbuf_add_query_value(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		char esc[3] = {'%', hex[*u >> 4], hex[*u & 15]};
		if (isalnum(*u) || strchr("-._~", *u))
			sbuf_add(b, (const char *)u, 1);
		else
			sbuf_add(b, esc, 3);
	}
	return b->oom ? -1 : 0;
}

void sim_log_level(int level)
{
	log_verbosity = level;
}

void sim_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > log_verbosity)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "gcu-sim: %s\n", line);
}
