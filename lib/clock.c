/*
 * clock.c - monotonic and wall time in double seconds, and sleeps that
 * survive signals unless the caller asks to stop.
 *
 * nanosleep(2) with a relative time is restarted with the remainder it
 * reports, so that a SIGCHLD or a terminal resize does not shorten a
 * backoff; a caller that handles SIGINT passes its flag to stop early.
 */
#include "clock.h"

#include <errno.h>
#include <math.h>
#include <time.h>

#define MAX_SLEEP 86400.0

static double ts_seconds(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

double gcu_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return ts_seconds(&ts);
}

double gcu_wall(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return ts_seconds(&ts);
}

int gcu_sleep_interruptible(double s, volatile sig_atomic_t *stop)
{
	struct timespec req, rem;

	if (!(s > 0)) /* also NaN */
		return 0;
	if (s > MAX_SLEEP)
		s = MAX_SLEEP;
	req.tv_sec = (time_t)s;
	req.tv_nsec = (long)((s - floor(s)) * 1e9);
	if (req.tv_nsec >= 1000000000L)
		req.tv_nsec = 999999999L;
	for (;;) {
		if (stop != NULL && *stop)
			return 1;
		if (nanosleep(&req, &rem) == 0)
			return 0;
		if (errno != EINTR)
			return 0;
		req = rem;
	}
}

void gcu_sleep(double s)
{
	(void)gcu_sleep_interruptible(s, NULL);
}
