/*
 * ratehdr.c - parsing rate-limit header lines without trusting them.
 *
 * A value is first copied into a small NUL-terminated buffer (a longer one
 * is ignored), trimmed of optional white space, then parsed by hand: plain
 * decimal digits with at most one fraction, no sign, no exponent, no hex,
 * no "nan" or "inf", which is what strtod(3) would otherwise accept. HTTP
 * dates are parsed by hand as well, without the locale or the time zone
 * of the process.
 */
#include "ratehdr.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Integer digits beyond this are an overflow, not a rate. */
#define MAX_INT_DIGITS 15
/* An epoch below this is a delay in seconds, not a date (it is 2001). */
#define EPOCH_THRESHOLD 1e9

void gcu_rate_obs_init(struct gcu_rate_obs *o)
{
	memset(o, 0, sizeof *o);
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parses a non-negative decimal "123" or "12.5" filling the whole of s.
 * Returns 0 and *out, or -1.
 */
static int parse_decimal(const char *s, double *out, int allow_fraction)
{
	double v = 0, scale = 0.1;
	size_t ndig = 0;
	const char *p = s;

	while (is_digit(*p)) {
		if (++ndig > MAX_INT_DIGITS)
			return -1;
		v = v * 10 + (*p - '0');
		p++;
	}
	if (ndig == 0)
		return -1;
	if (*p == '.' && allow_fraction) {
		p++;
		if (!is_digit(*p))
			return -1;
		for (size_t nfrac = 0; is_digit(*p); p++, nfrac++) {
			if (nfrac < 9) {
				v += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_count(const char *s, long *out)
{
	double v;

	if (parse_decimal(s, &v, 0) < 0)
		return -1;
	*out = (long)v; /* at most 15 digits: fits */
	return 0;
}

/* --- HTTP dates ----------------------------------------------------------- */

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct cursor {
	const char *p, *end;
};

static int cur_char(struct cursor *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 0;
	}
	return -1;
}

static void cur_spaces(struct cursor *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

/* Exactly min..max digits. */
static int cur_num(struct cursor *c, int min, int max, int *out)
{
	int n = 0, v = 0;

	while (c->p < c->end && is_digit(*c->p) && n < max) {
		v = v * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	if (n < min || (c->p < c->end && is_digit(*c->p)))
		return -1;
	*out = v;
	return 0;
}

static int cur_month(struct cursor *c, int *mon)
{
	if (c->end - c->p < 3)
		return -1;
	for (int i = 0; i < 12; i++) {
		if (strncasecmp(c->p, months[i], 3) == 0) {
			*mon = i + 1;
			c->p += 3;
			return 0;
		}
	}
	return -1;
}

/* A weekday name, short or long: letters only. */
static int cur_word(struct cursor *c)
{
	const char *start = c->p;

	while (c->p < c->end && ((*c->p >= 'a' && *c->p <= 'z') || (*c->p >= 'A' && *c->p <= 'Z')))
		c->p++;
	return c->p - start >= 3 ? 0 : -1;
}

static int cur_time(struct cursor *c, int *h, int *m, int *s)
{
	if (cur_num(c, 2, 2, h) < 0 || cur_char(c, ':') < 0 || cur_num(c, 2, 2, m) < 0 ||
	    cur_char(c, ':') < 0 || cur_num(c, 2, 2, s) < 0)
		return -1;
	return 0;
}

static int cur_gmt(struct cursor *c)
{
	cur_spaces(c);
	if (c->end - c->p < 3 || strncmp(c->p, "GMT", 3) != 0)
		return -1;
	c->p += 3;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int gcu_http_date(const char *s, size_t len, double *epoch)
{
	struct cursor c;
	int day, mon, year, h, m, sec;

	if (s == NULL)
		return -1;
	c.p = s;
	c.end = s + len;
	if (cur_word(&c) < 0)
		return -1;
	if (cur_char(&c, ',') == 0) {
		cur_spaces(&c);
		if (cur_num(&c, 1, 2, &day) < 0)
			return -1;
		if (cur_char(&c, '-') == 0) { /* RFC 850: 06-Nov-94 */
			if (cur_month(&c, &mon) < 0 || cur_char(&c, '-') < 0 ||
			    cur_num(&c, 2, 2, &year) < 0)
				return -1;
			year += year < 70 ? 2000 : 1900;
		} else { /* IMF-fixdate: 06 Nov 1994 */
			if (cur_char(&c, ' ') < 0 || cur_month(&c, &mon) < 0 ||
			    cur_char(&c, ' ') < 0 || cur_num(&c, 4, 4, &year) < 0)
				return -1;
		}
		if (cur_char(&c, ' ') < 0 || cur_time(&c, &h, &m, &sec) < 0 || cur_gmt(&c) < 0)
			return -1;
	} else { /* asctime: Sun Nov  6 08:49:37 1994 */
		if (cur_char(&c, ' ') < 0 || cur_month(&c, &mon) < 0 || cur_char(&c, ' ') < 0)
			return -1;
		cur_spaces(&c);
		if (cur_num(&c, 1, 2, &day) < 0 || cur_char(&c, ' ') < 0 ||
		    cur_time(&c, &h, &m, &sec) < 0 || cur_char(&c, ' ') < 0 ||
		    cur_num(&c, 4, 4, &year) < 0)
			return -1;
	}
	cur_spaces(&c);
	if (c.p != c.end)
		return -1;
	if (day < 1 || day > 31 || h > 23 || m > 59 || sec > 60 || year < 1900)
		return -1;
	*epoch = (double)(days_from_civil(year, mon, day) * 86400 + (int64_t)h * 3600 +
	                  (int64_t)m * 60 + sec);
	return 0;
}

/* --- header lines --------------------------------------------------------- */

enum hdr {
	H_NONE,
	H_ININ_ALLOWED,
	H_ININ_COUNT,
	H_ININ_RESET,
	H_X_LIMIT,
	H_X_REMAINING,
	H_X_RESET,
	H_RETRY_AFTER
};

static const struct {
	const char *name;
	enum hdr which;
} names[] = {
    {"inin-ratelimit-allowed", H_ININ_ALLOWED},
    {"inin-ratelimit-count", H_ININ_COUNT},
    {"inin-ratelimit-reset", H_ININ_RESET},
    {"x-ratelimit-limit", H_X_LIMIT},
    {"x-ratelimit-remaining", H_X_REMAINING},
    {"x-ratelimit-reset", H_X_RESET},
    {"retry-after", H_RETRY_AFTER},
};

static enum hdr header_kind(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == len && strncasecmp(name, names[i].name, len) == 0)
			return names[i].which;
	return H_NONE;
}

static void set_limit(struct gcu_rate_obs *o, long v)
{
	if (!o->has_limit || v < o->limit)
		o->limit = v;
	o->has_limit = 1;
}

static void set_remaining(struct gcu_rate_obs *o, long v)
{
	if (v < 0)
		v = 0;
	if (!o->has_remaining || v < o->remaining)
		o->remaining = v;
	o->has_remaining = 1;
}

static void set_reset(struct gcu_rate_obs *o, double v, int whole)
{
	if (v < 0)
		v = 0;
	if (!o->has_reset || v > o->reset_in) {
		o->reset_in = v;
		o->reset_whole = whole;
	}
	o->has_reset = 1;
}

static void combine_inin(struct gcu_rate_obs *o)
{
	if (o->has_inin_allowed && o->has_inin_count)
		set_remaining(o, o->inin_allowed - o->inin_count);
}

void gcu_rate_obs_finish(struct gcu_rate_obs *o)
{
	combine_inin(o);
}

static void retry_after(struct gcu_rate_obs *o, const char *v, size_t len, double now_wall)
{
	double secs, when;

	if (parse_decimal(v, &secs, 1) == 0) {
		o->retry_after = secs;
		o->has_retry_after = 1;
	} else if (gcu_http_date(v, len, &when) == 0 && isfinite(now_wall)) {
		secs = when - now_wall;
		o->retry_after = secs > 0 ? secs : 0;
		o->has_retry_after = 1;
	}
}

void gcu_rate_obs_header(struct gcu_rate_obs *o, const char *line, size_t len, double now_wall)
{
	char value[GCU_RATEHDR_MAX_VALUE + 1];
	const char *colon, *v, *end;
	size_t namelen, vlen;
	enum hdr which;
	double d;
	long n;

	if (line == NULL || len == 0)
		return;
	colon = memchr(line, ':', len);
	if (colon == NULL)
		return;
	namelen = (size_t)(colon - line);
	while (namelen > 0 && is_ows(line[namelen - 1]))
		namelen--;
	which = header_kind(line, namelen);
	if (which == H_NONE)
		return;
	v = colon + 1;
	end = line + len;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || is_ows(end[-1])))
		end--;
	while (v < end && is_ows(*v))
		v++;
	vlen = (size_t)(end - v);
	if (vlen == 0 || vlen > GCU_RATEHDR_MAX_VALUE || memchr(v, '\0', vlen) != NULL)
		return;
	memcpy(value, v, vlen);
	value[vlen] = '\0';

	switch (which) {
	case H_ININ_ALLOWED:
		if (parse_count(value, &n) == 0) {
			o->inin_allowed = n;
			o->has_inin_allowed = 1;
			set_limit(o, n);
			combine_inin(o);
		}
		break;
	case H_ININ_COUNT:
		if (parse_count(value, &n) == 0) {
			o->inin_count = n;
			o->has_inin_count = 1;
			combine_inin(o);
		}
		break;
	case H_X_LIMIT:
		if (parse_count(value, &n) == 0)
			set_limit(o, n);
		break;
	case H_X_REMAINING:
		if (parse_count(value, &n) == 0)
			set_remaining(o, n);
		break;
	case H_ININ_RESET:
		if (parse_decimal(value, &d, 1) == 0)
			set_reset(o, d, strchr(value, '.') == NULL);
		break;
	case H_X_RESET:
		if (parse_decimal(value, &d, 1) == 0) {
			if (d >= EPOCH_THRESHOLD) {
				if (!isfinite(now_wall))
					break;
				d -= now_wall;
			}
			set_reset(o, d, strchr(value, '.') == NULL);
		}
		break;
	case H_RETRY_AFTER:
		retry_after(o, value, vlen, now_wall);
		break;
	case H_NONE:
		break;
	}
}
