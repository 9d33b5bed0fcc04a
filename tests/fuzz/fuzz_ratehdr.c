/*
 * fuzz_ratehdr.c - libFuzzer target for the rate-limit header parser.
 *
 * Every line of the input is fed to gcu_rate_obs_header as one raw
 * response header, as curl's header callback does, and the observation is
 * finished; each line is also tried as an HTTP date. Whatever the bytes,
 * the parser must not crash and what it reports must be sane: counts and
 * seconds never negative, never NaN.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratehdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct gcu_rate_obs *o)
{
	if (o->has_remaining && o->remaining < 0)
		abort();
	if (o->has_reset && (!(o->reset_in >= 0) || isnan(o->reset_in)))
		abort();
	if (o->has_retry_after && (!(o->retry_after >= 0) || isnan(o->retry_after)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gcu_rate_obs o;
	const char *p = (const char *)data, *end = p + size;
	double epoch;

	gcu_rate_obs_init(&o);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		gcu_rate_obs_header(&o, p, len, 1.8e9);
		check(&o);
		(void)gcu_http_date(p, len, &epoch);
		p += len;
	}
	gcu_rate_obs_finish(&o);
	check(&o);
	return 0;
}
