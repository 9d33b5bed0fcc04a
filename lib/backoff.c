/*
 * backoff.c - full-jitter exponential backoff over a splitmix64 generator.
 *
 * splitmix64 is tiny, passes the usual statistical batteries, and any
 * 64-bit state (zero included) is a valid seed, which is all the jitter of
 * a retry needs. It is not a cryptographic generator and is not used as
 * one.
 */
#include "backoff.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

uint64_t gcu_rand_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

double gcu_rand_unit(uint64_t *state)
{
	return (double)(gcu_rand_next(state) >> 11) * 0x1.0p-53;
}

double gcu_backoff_cap(const struct gcu_retry_policy *p, int attempt)
{
	double base = p->base > 0 ? p->base : 0; /* NaN -> 0 */
	double max = p->max > 0 ? p->max : 0;
	double cap;

	if (attempt < 1)
		attempt = 1;
	if (attempt > 1024) /* 2^1023 is the last finite power */
		attempt = 1024;
	cap = ldexp(base, attempt - 1);
	if (!(cap <= max)) /* also inf */
		cap = max;
	return cap;
}

double gcu_backoff(const struct gcu_retry_policy *p, int attempt, uint64_t *rng)
{
	double cap = gcu_backoff_cap(p, attempt);
	double d = cap * gcu_rand_unit(rng);

	return d < 0 ? 0 : (d > cap ? cap : d);
}

static int seed_from_env(uint64_t *seed)
{
	const char *s = getenv("GCU_SEED");
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || *s == '-')
		return -1;
	*seed = (uint64_t)v;
	return 0;
}

static int seed_from_urandom(uint64_t *seed)
{
	unsigned char buf[sizeof *seed];
	size_t got = 0;
	int rc = -1;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (got < sizeof buf) {
		ssize_t n = read(fd, buf + got, sizeof buf - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	*seed = 0;
	for (size_t i = 0; i < sizeof buf; i++)
		*seed = (*seed << 8) | buf[i];
	rc = 0;
out:
	close(fd);
	return rc;
}

uint64_t gcu_rand_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (seed_from_env(&seed) == 0)
		return seed;
	if (seed_from_urandom(&seed) == 0)
		return seed;
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = (uint64_t)ts.tv_sec * UINT64_C(1000000007) ^ (uint64_t)ts.tv_nsec;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed ^= (uint64_t)ts.tv_nsec << 20 ^ (uint64_t)getpid() << 40;
	return gcu_rand_next(&seed);
}
