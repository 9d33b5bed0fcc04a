/*
 * test_sim_format.c - the number and date formats of the simulator's
 * headers, the base64 decoding of HTTP Basic credentials, and the
 * buffer's JSON string escaping.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_auth.h"
#include "sim/sim_util.h"
#include "tap.h"

static const char *secs(double s)
{
	static char buf[64];
	if (sim_fmt_seconds(s, buf, sizeof buf) < 0)
		return "(error)";
	return buf;
}

int main(void)
{
	char buf[64];
	struct sbuf b = {0};
	char *p;

	is_str(secs(1.0), "1", "integral seconds have no decimals");
	is_str(secs(60), "60", "a minute");
	is_str(secs(0.5), "0.5", "trailing zeros dropped");
	is_str(secs(0.1234), "0.124", "rounded up to the millisecond");
	is_str(secs(2.0000001), "2", "float noise does not add a millisecond");
	is_str(secs(0), "0.001", "never below one millisecond");
	is_str(secs(-3), "0.001", "negative becomes the minimum");
	ok(sim_fmt_seconds(1.5, buf, 2) < 0, "truncation is an error");

	sim_fmt_epoch(1700000000.25, buf, sizeof buf);
	is_str(buf, "1700000000.25", "epoch with decimals");
	sim_fmt_epoch(1700000000.0, buf, sizeof buf);
	is_str(buf, "1700000000", "integral epoch");

	sim_fmt_http_date(784111777.0, buf, sizeof buf);
	is_str(buf, "Sun, 06 Nov 1994 08:49:37 GMT", "IMF-fixdate (RFC 9110 example)");
	sim_fmt_http_date(784111776.2, buf, sizeof buf);
	is_str(buf, "Sun, 06 Nov 1994 08:49:37 GMT", "rounded up to the next second");

	sim_fmt_iso(1793520000.5, buf, sizeof buf);
	is_str(buf, "2026-11-01T08:00:00.500Z", "ISO-8601 with milliseconds");

	is_long(sim_base64_decode("dGVzdDpzZWNyZXQ=", buf, sizeof buf), 11, "base64 length");
	is_str(buf, "test:secret", "base64 decodes");
	is_long(sim_base64_decode("dGVz*", buf, sizeof buf), -1, "bad base64 is refused");

	sbuf_add_json_str(&b, "a\"b\\c\nd/e");
	p = sbuf_take(&b);
	is_str(p, "\"a\\\"b\\\\c\\u000ad/e\"", "JSON string escaping");
	free(p);
	sbuf_addf(&b, "%0300d", 7);
	is_long(b.len, 300, "sbuf_addf grows past its small buffer");
	sbuf_free(&b);

	{
		uint64_t s1 = 42, s2 = 42;
		int same = 1;
		for (int i = 0; i < 100; i++)
			same &= sim_randn(&s1, 1000000) == sim_randn(&s2, 1000000);
		ok(same, "the simulator's draws are deterministic for a seed");
	}
	return done_testing();
}
