/*
 * test_sim_ratelimit.c - the simulator's sliding window: admission, the
 * count and reset it reports, counting of rejected requests, background
 * traffic and propagation entries, the leaky bucket a proxy puts in
 * front, and the rate-limit headers built from a window's state (whole
 * seconds, as the platform sends them, unless fractions are asked for).
 */
#include <math.h>
#include <string.h>

#include "sim/sim_api.h"
#include "sim/sim_ratelimit.h"
#include "tap.h"

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static const char *header(const struct sim_reply *rep, const char *name)
{
	for (int i = 0; i < rep->nhdr; i++)
		if (strcmp(rep->hdr[i].name, name) == 0)
			return rep->hdr[i].value;
	return NULL;
}

static void test_window(void)
{
	struct sim_rl_cfg cfg = {5, 1.0, 0, 1};
	struct sim_window w = {0};
	struct sim_rl_result r;
	int admitted = 0;

	for (int i = 0; i < 5; i++) {
		sim_rl_check(&cfg, &w, 10.0 + 0.1 * i, &r);
		admitted += r.admitted;
	}
	is_long(admitted, 5, "five requests fit a window of five");
	is_long(r.count, 5, "count is five after the fifth");
	ok(near(r.reset, 0.6), "reset is when the oldest leaves (10.0 + 1 - 10.4)");
	sim_rl_check(&cfg, &w, 10.5, &r);
	is_long(r.admitted, 0, "the sixth is rejected");
	is_long(r.count, 6, "a rejected request is counted by default");
	ok(near(r.reset, 0.5), "reset is still the oldest entry's exit");
	ok(near(r.room_in, 0.6), "Retry-After: until two have left (six counted, limit five)");
	sim_rl_check(&cfg, &w, 11.05, &r);
	is_long(r.admitted, 0, "still full once the oldest left (rejections count)");
	ok(near(r.room_in, 0.15), "then until 11.2, when the second oldest (10.2) leaves");
	sim_rl_check(&cfg, &w, 12.2, &r);
	is_long(r.admitted, 1, "admitted once the window has passed");
	is_long(r.count, 1, "the window empties after W seconds");
	ok(near(r.reset, 1.0), "reset of a lone entry is the window");
	sim_window_free(&w);

	cfg.count_rejected = 0;
	for (int i = 0; i < 5; i++)
		sim_rl_check(&cfg, &w, 20.0 + 0.1 * i, &r);
	sim_rl_check(&cfg, &w, 20.5, &r);
	is_long(r.count, 5, "--no-count-rejected leaves the count at the limit");
	sim_rl_check(&cfg, &w, 21.05, &r);
	is_long(r.admitted, 1, "and admits as soon as the oldest left");
	sim_window_free(&w);

	cfg.limit = 0;
	sim_rl_check(&cfg, &w, 1.0, &r);
	ok(r.admitted && w.len == 0, "limit 0 admits everything and records nothing");
	sim_window_free(&w);
}

static void test_background(void)
{
	double oldest = -1;
	struct sim_rl_cfg cfg = {10, 2.0, 2.0, 1};
	struct sim_window w = {0};
	struct sim_rl_result r;

	is_long(sim_background_count(2.0, 2.0, 10.0, &oldest), 4,
	        "two a second over two seconds: 4 entries in (8, 10]");
	ok(near(oldest, 8.5), "the oldest background entry is at 8.5");
	is_long(sim_background_count(2.0, 2.0, 0.2, NULL), 1, "one entry (t=0) at the start");
	is_long(sim_background_count(0, 2.0, 10.0, NULL), 0, "no background when rate is 0");
	sim_rl_check(&cfg, &w, 10.0, &r);
	is_long(r.count, 5, "background adds to a token's own entries");
	ok(near(r.reset, 0.5), "reset follows the oldest background entry");
	sim_window_free(&w);
}

static void test_propagation(void)
{
	struct sim_rl_cfg cfg = {100, 4.0, 0, 1};
	struct sim_window w = {0};
	struct sim_rl_result r;

	sim_rl_check(&cfg, &w, 1.0, &r);
	sim_rl_propagate(&w, 1.0, 4, 1.0);
	sim_rl_peek(&cfg, &w, 1.0, &r);
	is_long(r.count, 1, "propagation entries do not count before their time");
	sim_rl_peek(&cfg, &w, 1.6, &r);
	is_long(r.count, 3, "half of them count after half the span");
	sim_rl_check(&cfg, &w, 2.5, &r);
	is_long(r.count, 6, "all of them plus the new request later");
	sim_rl_peek(&cfg, &w, 5.1, &r);
	is_long(r.count, 5, "the first entry leaves after the window");
	sim_window_free(&w);

	/* Overdrawn: three writes admitted in a window of four, each adding
	 * three entries over the next second. Only the propagated entries'
	 * exits make room, long after the oldest request leaves. */
	cfg.limit = 4;
	for (int i = 0; i < 3; i++) {
		sim_rl_check(&cfg, &w, 10.0 + 0.1 * i, &r);
		sim_rl_propagate(&w, 10.0 + 0.1 * i, 3, 1.0);
	}
	sim_rl_check(&cfg, &w, 12.0, &r);
	is_long(r.count, 13, "the window holds 12 entries and the rejected request");
	is_long(r.admitted, 0, "and refuses the request");
	ok(near(r.reset, 2.0), "reset: the oldest (10.0) leaves at 14.0");
	ok(near(r.room_in, 3.0), "Retry-After: room at 15.0, when the tenth entry (11.0) leaves");
	sim_window_free(&w);
}

static void test_headers(void)
{
	struct sim_options o;
	struct sim_reply rep;
	struct sim_rl_result r = {0, 7, 0.25, 0.5};

	sim_options_defaults(&o);
	o.limit = 5;
	memset(&rep, 0, sizeof rep);
	sim_rate_headers(&o, &r, 1000.5, 1, &rep);
	is_str(header(&rep, "inin-ratelimit-reset"), "1",
	       "inin reset: whole seconds by default, rounded up (0.25 s is 1)");
	is_str(header(&rep, "X-RateLimit-Reset"), "1001",
	       "x reset: a whole epoch second, rounded up (1000.75 is 1001)");
	is_str(header(&rep, "Retry-After"), "1",
	       "Retry-After: whole seconds (RFC 9110 delay-seconds), rounded up");
	struct sim_rl_result later = {0, 7, 2.0000001, 2.3};
	memset(&rep, 0, sizeof rep);
	sim_rate_headers(&o, &later, 1000, 1, &rep);
	is_str(header(&rep, "inin-ratelimit-reset"), "2",
	       "whole: float noise is not a second more");
	is_str(header(&rep, "Retry-After"), "3", "whole: 2.3 s of wait is 3, never less");

	o.fractional = 1;
	memset(&rep, 0, sizeof rep);
	sim_rate_headers(&o, &r, 1000.5, 1, &rep);
	is_str(header(&rep, "inin-ratelimit-allowed"), "5", "inin allowed");
	is_str(header(&rep, "inin-ratelimit-count"), "7", "inin count");
	is_str(header(&rep, "inin-ratelimit-reset"), "0.25",
	       "inin reset in seconds, to the millisecond with fractional");
	is_str(header(&rep, "X-RateLimit-Limit"), "5", "x limit");
	is_str(header(&rep, "X-RateLimit-Remaining"), "0", "x remaining never negative");
	is_str(header(&rep, "X-RateLimit-Reset"), "1000.75", "x reset in epoch seconds");
	is_str(header(&rep, "Retry-After"), "0.5",
	       "Retry-After in seconds: until there is room, not until the oldest leaves");

	memset(&rep, 0, sizeof rep);
	o.retry_after = SIM_RETRY_DATE;
	o.headers = SIM_HDR_X;
	sim_rate_headers(&o, &r, 1000.5, 1, &rep);
	ok(header(&rep, "inin-ratelimit-count") == NULL, "--headers x omits inin");
	is_str(header(&rep, "Retry-After"), "Thu, 01 Jan 1970 00:16:41 GMT",
	       "Retry-After as a date, rounded up to the second");

	memset(&rep, 0, sizeof rep);
	o.headers = SIM_HDR_NONE;
	o.retry_after = SIM_RETRY_SECONDS;
	sim_rate_headers(&o, &r, 1000.5, 1, &rep);
	is_long(rep.nhdr, 1, "--headers none keeps only Retry-After");

	memset(&rep, 0, sizeof rep);
	o.headers = SIM_HDR_BOTH;
	r.bucket = 1;
	sim_rate_headers(&o, &r, 1000.5, 1, &rep);
	is_long(rep.nhdr, 0, "the bucket's 429 carries no header at all");
	r.bucket = 0;

	memset(&rep, 0, sizeof rep);
	o.strip_headers = 1;
	sim_rate_headers(&o, &r, 1000.5, 1, &rep);
	is_long(rep.nhdr, 0, "--strip-headers removes everything");
}

/* The bucket as nginx's limit_req keeps it: 10 a second, 2 ahead. */
static void test_bucket(void)
{
	struct sim_rl_cfg cfg = {0, 1.0, 0, 1, 10, 2};
	struct sim_window w = {0};
	struct sim_rl_result r;
	int admitted = 0;

	for (int i = 0; i < 5; i++) {
		sim_rl_check(&cfg, &w, 1.0, &r);
		admitted += r.admitted;
	}
	is_long(admitted, 3, "bucket: at once, the first and two ahead of the rate (burst 2)");
	ok(r.bucket && !r.admitted, "bucket: the fourth is turned away by the bucket");
	ok(near(r.room_in, 0.1), "bucket: room again when a tenth of a second has drained");
	sim_rl_check(&cfg, &w, 1.1, &r);
	ok(r.admitted && !r.bucket, "bucket: and then one goes");
	admitted = 0;
	for (int i = 0; i < 20; i++) {
		sim_rl_check(&cfg, &w, 2.0 + 0.1 * i, &r);
		admitted += r.admitted;
	}
	is_long(admitted, 20, "bucket: at its rate, every request goes");
	admitted = 0;
	for (int i = 0; i < 40; i++) {
		sim_rl_check(&cfg, &w, 5.0 + 0.05 * i, &r);
		admitted += r.admitted;
	}
	ok(admitted >= 20 && admitted <= 23,
	   "bucket: at twice its rate, its rate and the burst go (20 to 23 of 40)");
	sim_window_free(&w);

	/* In front of a window: what the bucket turns away never reaches it. */
	struct sim_rl_cfg both = {100, 10.0, 0, 1, 1, 0};
	sim_rl_check(&both, &w, 1.0, &r);
	sim_rl_check(&both, &w, 1.1, &r);
	ok(!r.admitted && r.bucket, "bucket: burst 0, the second at once is turned away");
	sim_rl_check(&both, &w, 2.2, &r);
	is_long(r.count, 2, "bucket: the window counts only what the bucket let through");
	sim_window_free(&w);
}

int main(void)
{
	test_window();
	test_background();
	test_propagation();
	test_headers();
	test_bucket();
	return done_testing();
}
