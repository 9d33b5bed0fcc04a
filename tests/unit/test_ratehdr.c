/*
 * test_ratehdr.c - the rate-limit header parser: every header style, both
 * orders of the inin pair, fractions, epochs, Retry-After in seconds and
 * in each HTTP date form, and hostile values that must be ignored.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratehdr.h"
#include "tap.h"

#define NOW 1700000000.0 /* a fixed wall clock: 2023-11-14T22:13:20Z */

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void feed(struct gcu_rate_obs *o, const char *line)
{
	gcu_rate_obs_header(o, line, strlen(line), NOW);
}

static int near(double a, double b)
{
	return fabs(a - b) < 1e-6;
}

static void test_inin(void)
{
	struct gcu_rate_obs o;

	gcu_rate_obs_init(&o);
	feed(&o, "inin-ratelimit-allowed: 300\r\n");
	ok(o.has_limit && o.limit == 300, "inin allowed -> limit");
	ok(!o.has_remaining, "allowed alone gives no remaining");
	feed(&o, "inin-ratelimit-count: 42\r\n");
	ok(o.has_remaining && o.remaining == 258, "allowed then count -> remaining 258");
	feed(&o, "inin-ratelimit-reset: 12.5\r\n");
	ok(o.has_reset && near(o.reset_in, 12.5), "inin reset fractional seconds");
	ok(!o.has_retry_after, "no retry-after");

	gcu_rate_obs_init(&o);
	feed(&o, "inin-ratelimit-count: 7\r\n");
	ok(!o.has_remaining && !o.has_limit, "count alone gives nothing yet");
	feed(&o, "inin-ratelimit-allowed: 10\r\n");
	ok(o.has_remaining && o.remaining == 3, "count then allowed -> remaining 3");

	gcu_rate_obs_init(&o);
	feed(&o, "inin-ratelimit-allowed: 10\r\n");
	feed(&o, "inin-ratelimit-count: 15\r\n");
	ok(o.has_remaining && o.remaining == 0, "count above allowed clamps remaining to 0");

	gcu_rate_obs_init(&o);
	feed(&o, "ININ-RateLimit-Allowed:   60  \r\n");
	feed(&o, "Inin-Ratelimit-Count:\t5\r\n");
	gcu_rate_obs_finish(&o);
	ok(o.has_remaining && o.remaining == 55 && o.limit == 60,
	   "names any case, white space trimmed");
	gcu_rate_obs_finish(&o);
	is_long(o.remaining, 55, "finish is idempotent");
}

static void test_x(void)
{
	struct gcu_rate_obs o;
	char line[128];

	gcu_rate_obs_init(&o);
	feed(&o, "X-RateLimit-Limit: 100\r\n");
	feed(&o, "X-RateLimit-Remaining: 9\r\n");
	(void)snprintf(line, sizeof line, "X-RateLimit-Reset: %.3f\r\n", NOW + 30.25);
	feed(&o, line);
	ok(o.has_limit && o.limit == 100, "X limit");
	ok(o.has_remaining && o.remaining == 9, "X remaining");
	ok(o.has_reset && near(o.reset_in, 30.25), "X reset epoch (fractional) -> delay");

	gcu_rate_obs_init(&o);
	(void)snprintf(line, sizeof line, "x-ratelimit-reset: %.0f\r\n", NOW - 100);
	feed(&o, line);
	ok(o.has_reset && o.reset_in == 0, "X reset in the past clamps to 0");

	gcu_rate_obs_init(&o);
	feed(&o, "X-RATELIMIT-RESET: 45\r\n");
	ok(o.has_reset && near(o.reset_in, 45), "small X reset is seconds, not an epoch");

	gcu_rate_obs_init(&o);
	feed(&o, "X-RateLimit-Remaining: 0");
	ok(o.has_remaining && o.remaining == 0, "line without CRLF, remaining 0");

	gcu_rate_obs_init(&o);
	feed(&o, "X-RateLimit-Remaining: 50\r\n");
	feed(&o, "inin-ratelimit-allowed: 300\r\n");
	feed(&o, "inin-ratelimit-count: 290\r\n");
	is_long(o.remaining, 10, "both styles: the lower remaining wins");

	/* Whole seconds (the platform's) may be up to one late; a reset that
	 * says so lets the pacer tell a bound from a measure. */
	gcu_rate_obs_init(&o);
	feed(&o, "inin-ratelimit-reset: 2\r\n");
	ok(o.reset_whole, "reset: whole seconds are said to be whole");
	(void)snprintf(line, sizeof line, "X-RateLimit-Reset: %.3f\r\n", NOW + 2.5);
	feed(&o, line);
	ok(near(o.reset_in, 2.5) && !o.reset_whole,
	   "reset: the later reset wins, and with it its precision");
	(void)snprintf(line, sizeof line, "X-RateLimit-Reset: %.0f\r\n", NOW + 3);
	feed(&o, line);
	ok(near(o.reset_in, 3) && o.reset_whole, "reset: a whole epoch second is whole too");
}

static void test_retry_after(void)
{
	struct gcu_rate_obs o;
	static const char *const dates[] = {
	    "Retry-After: Tue, 14 Nov 2023 22:14:00 GMT\r\n",   /* IMF-fixdate */
	    "Retry-After: Tuesday, 14-Nov-23 22:14:00 GMT\r\n", /* RFC 850 */
	    "Retry-After: Tue Nov 14 22:14:00 2023\r\n",        /* asctime */
	};
	static const char *const names[] = {"Retry-After IMF-fixdate -> 40 s",
	                                    "Retry-After RFC 850 date -> 40 s",
	                                    "Retry-After asctime date -> 40 s"};

	gcu_rate_obs_init(&o);
	feed(&o, "Retry-After: 3\r\n");
	ok(o.has_retry_after && near(o.retry_after, 3), "Retry-After integer seconds");
	gcu_rate_obs_init(&o);
	feed(&o, "retry-after: 0.25\r\n");
	ok(o.has_retry_after && near(o.retry_after, 0.25), "Retry-After fractional seconds");
	for (size_t i = 0; i < 3; i++) {
		gcu_rate_obs_init(&o);
		feed(&o, dates[i]);
		ok(o.has_retry_after && near(o.retry_after, 40), names[i]);
	}
	gcu_rate_obs_init(&o);
	feed(&o, "Retry-After: Sun Nov  6 08:49:37 1994\r\n");
	ok(o.has_retry_after && o.retry_after == 0, "asctime with padded day; past clamps to 0");
	gcu_rate_obs_init(&o);
	feed(&o, "Retry-After: 86400000\r\n");
	ok(o.has_retry_after && near(o.retry_after, 86400000), "huge Retry-After is kept");

	double epoch = 0;
	ok(gcu_http_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &epoch) == 0 && epoch == 784111777,
	   "the RFC example date parses to 784111777");
	ok(gcu_http_date("Sat, 29 Feb 2020 00:00:00 GMT", 29, &epoch) == 0 && epoch == 1582934400,
	   "leap day parses");
	ok(gcu_http_date("Sun, 06 Foo 1994 08:49:37 GMT", 29, &epoch) < 0, "bad month refused");
	ok(gcu_http_date("Sun, 06 Nov 1994 25:49:37 GMT", 29, &epoch) < 0, "bad hour refused");
	ok(gcu_http_date("Sun, 06 Nov 1994 08:49:37 CET", 29, &epoch) < 0, "non-GMT refused");
	ok(gcu_http_date("Sun, 06 Nov 1994 08:49:37", 25, &epoch) < 0, "truncated date refused");
}

static void test_ignored(void)
{
	static const char *const bad[] = {
	    "Retry-After: -5\r\n",
	    "Retry-After: nan\r\n",
	    "Retry-After: inf\r\n",
	    "Retry-After: 1e3\r\n",
	    "Retry-After: 0x10\r\n",
	    "Retry-After: 5s\r\n",
	    "Retry-After: \r\n",
	    "Retry-After: 3.\r\n",
	    "Retry-After: .5\r\n",
	    "Retry-After: soon\r\n",
	    "Retry-After: 99999999999999999999999999\r\n",
	    "X-RateLimit-Remaining: -1\r\n",
	    "X-RateLimit-Remaining: 12abc\r\n",
	    "X-RateLimit-Remaining: 1.5\r\n",
	    "X-RateLimit-Limit: 18446744073709551617\r\n",
	    "X-RateLimit-Limit: NaN\r\n",
	    "X-RateLimit-Reset: -1700000000\r\n",
	    "X-RateLimit-Reset: nan\r\n",
	    "inin-ratelimit-allowed: +5\r\n",
	    "inin-ratelimit-count: - 3\r\n",
	    "inin-ratelimit-reset: 1 2\r\n",
	    "X-RateLimit-Remaining 5\r\n",
	    "X-RateLimit-Remainingx: 5\r\n",
	    "X-RateLimit: 5\r\n",
	    "HTTP/1.1 429 Too Many Requests\r\n",
	    "\r\n",
	};
	struct gcu_rate_obs o;
	char name[160];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		gcu_rate_obs_init(&o);
		feed(&o, bad[i]);
		gcu_rate_obs_finish(&o);
		(void)snprintf(name, sizeof name, "ignored: %.*s", (int)strcspn(bad[i], "\r"),
		               bad[i]);
		ok(!o.has_limit && !o.has_remaining && !o.has_reset && !o.has_retry_after, name);
	}

	/* an overlong value, and a very long line */
	char *big = malloc(200000);
	if (big == NULL)
		exit(1);
	memset(big, '1', 200000);
	(void)snprintf(big, 200000, "Retry-After:");
	big[12] = ' '; /* over the NUL: the line is 200000 bytes, not a string */
	gcu_rate_obs_init(&o);
	gcu_rate_obs_header(&o, big, 200000, NOW);
	ok(!o.has_retry_after, "a 200 kB Retry-After value is ignored");
	/* the same valid date padded inside: accepted up to 64 characters only */
	char line[160];
	(void)snprintf(line, sizeof line, "Retry-After: Tue, 14 Nov 2023 22:14:00%*sGMT\r\n", 30,
	               "");
	gcu_rate_obs_init(&o);
	feed(&o, line);
	ok(o.has_retry_after && near(o.retry_after, 40), "a padded 62-character date is read");
	(void)snprintf(line, sizeof line, "Retry-After: Tue, 14 Nov 2023 22:14:00%*sGMT\r\n", 40,
	               "");
	gcu_rate_obs_init(&o);
	feed(&o, line);
	ok(!o.has_retry_after, "the same date padded past 64 characters is ignored");
	free(big);

	/* embedded NUL, NULL line */
	gcu_rate_obs_init(&o);
	gcu_rate_obs_header(&o, "Retry-After: 1\0 2\r\n", 19, NOW);
	ok(!o.has_retry_after, "value with an embedded NUL is ignored");
	gcu_rate_obs_header(&o, NULL, 0, NOW);
	ok(!o.has_retry_after, "NULL line is harmless");
	feed(&o, "Content-Type: application/json\r\n");
	feed(&o, "Date: Tue, 14 Nov 2023 22:14:00 GMT\r\n");
	ok(!o.has_limit && !o.has_remaining && !o.has_reset && !o.has_retry_after,
	   "unrelated headers leave every has_* at 0");

	/* a bad value does not erase a good one */
	gcu_rate_obs_init(&o);
	feed(&o, "X-RateLimit-Remaining: 5\r\n");
	feed(&o, "X-RateLimit-Remaining: junk\r\n");
	ok(o.has_remaining && o.remaining == 5, "a later bad value keeps the good one");
}

/* Random lines under each header name: the invariants must hold, and UBSan must stay quiet. */
static void test_random(void)
{
	static const char *const hdrs[] = {"inin-ratelimit-allowed: ",
	                                   "inin-ratelimit-count: ",
	                                   "inin-ratelimit-reset: ",
	                                   "X-RateLimit-Limit: ",
	                                   "X-RateLimit-Remaining: ",
	                                   "X-RateLimit-Reset: ",
	                                   "Retry-After: "};
	static const char alphabet[] = "0123456789.:-+ ,eEnNaAiIfFxXGMTSunNovJan\r\n\t\0";
	uint64_t st = 12345;
	char line[128];
	int bad = 0, parsed = 0;

	for (int i = 0; i < 200000; i++) {
		struct gcu_rate_obs o;
		const char *h = hdrs[i % 7];
		size_t hl = strlen(h);
		size_t n = (size_t)(next(&st) % 40);
		memcpy(line, h, hl + 1);
		for (size_t k = 0; k < n; k++)
			line[hl + k] = alphabet[next(&st) % (sizeof alphabet - 1)];
		gcu_rate_obs_init(&o);
		gcu_rate_obs_header(&o, line, hl + n, NOW);
		gcu_rate_obs_finish(&o);
		if (o.has_limit || o.has_remaining || o.has_reset || o.has_retry_after)
			parsed++;
		if ((o.has_limit && o.limit < 0) || (o.has_remaining && o.remaining < 0) ||
		    (o.has_reset && !(o.reset_in >= 0 && isfinite(o.reset_in))) ||
		    (o.has_retry_after && !(o.retry_after >= 0 && isfinite(o.retry_after))))
			bad++;
	}
	printf("# %d of 200000 random values parsed\n", parsed);
	ok(bad == 0, "random values: never negative, NaN or infinite");
	ok(parsed > 1000, "random values: some did parse (the test reaches the parser)");
}

int main(void)
{
	test_inin();
	test_x();
	test_retry_after();
	test_ignored();
	test_random();
	return done_testing();
}
