/*
 * test_backoff.c - full-jitter backoff stays within [0, cap] for every
 * attempt, averages about half the cap, follows each policy, and repeats
 * for a seed; and the clock the delays are slept on.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "backoff.h"
#include "clock.h"
#include "tap.h"

#define DRAWS 20000

static void bounds(const struct gcu_retry_policy *p, const char *label, uint64_t seed)
{
	char name[128];

	for (int attempt = 1; attempt <= 8; attempt++) {
		double cap = fmin(p->max, p->base * pow(2, attempt - 1));
		double sum = 0, lo = INFINITY, hi = -INFINITY;
		int bad = 0;
		for (int i = 0; i < DRAWS; i++) {
			double d = gcu_backoff(p, attempt, &seed);
			if (!(d >= 0 && d <= cap))
				bad++;
			sum += d;
			lo = fmin(lo, d);
			hi = fmax(hi, d);
		}
		double mean = sum / DRAWS;
		(void)snprintf(name, sizeof name, "%s attempt %d: all %d draws in [0, %g]", label,
		               attempt, DRAWS, cap);
		ok(bad == 0, name);
		(void)snprintf(name, sizeof name, "%s attempt %d: mean %.3f about cap/2", label,
		               attempt, mean);
		ok(fabs(mean - cap / 2) < cap * 0.03, name);
		(void)snprintf(name, sizeof name, "%s attempt %d: draws spread over the range",
		               label, attempt);
		ok(lo < cap * 0.01 && hi > cap * 0.99, name);
	}
}

static volatile sig_atomic_t stop_flag, alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	if (alarms >= 3)
		stop_flag = 1;
}

static void test_clock(void)
{
	struct sigaction sa;
	struct itimerval it = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
	double t0, t;

	t0 = gcu_now();
	gcu_sleep(0.05);
	t = gcu_now() - t0;
	ok(t >= 0.05 && t < 0.5, "gcu_sleep(0.05) sleeps 50 ms");
	ok(fabs(gcu_wall() - (double)time(NULL)) < 2, "gcu_wall is epoch seconds");
	t0 = gcu_now();
	gcu_sleep(-1);
	gcu_sleep(NAN);
	ok(gcu_now() - t0 < 0.01, "negative and NaN sleeps return at once");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
	stop_flag = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = gcu_now();
	gcu_sleep(0.15); /* signals every 20 ms must not cut it short */
	t = gcu_now() - t0;
	ok(t >= 0.15 && alarms >= 3, "gcu_sleep resumes after signals");
	alarms = 0;
	stop_flag = 0;
	t0 = gcu_now();
	int r = gcu_sleep_interruptible(5, &stop_flag);
	t = gcu_now() - t0;
	setitimer(ITIMER_REAL, &off, NULL);
	ok(r == 1 && t < 1, "gcu_sleep_interruptible stops once the flag is set");
	stop_flag = 1;
	ok(gcu_sleep_interruptible(5, &stop_flag) == 1, "a flag already set stops at once");
	stop_flag = 0;
	ok(gcu_sleep_interruptible(0.01, &stop_flag) == 0, "a full sleep returns 0");
}

int main(void)
{
	struct gcu_retry_policy rate = {2, 30, 8}, server = {10, 120, 5};
	uint64_t a = 42, b = 42, c = 43;
	int same = 1, differ = 0;

	bounds(&rate, "429 policy", 1);
	bounds(&server, "5xx policy", 2);

	ok(gcu_backoff_cap(&rate, 1) == 2 && gcu_backoff_cap(&rate, 4) == 16 &&
	       gcu_backoff_cap(&rate, 5) == 30,
	   "429 caps 2, 16, then 30");
	ok(gcu_backoff_cap(&server, 1) == 10 && gcu_backoff_cap(&server, 4) == 80 &&
	       gcu_backoff_cap(&server, 5) == 120,
	   "5xx caps 10, 80, then 120");
	ok(gcu_backoff_cap(&rate, 3) != gcu_backoff_cap(&server, 3), "the two policies differ");
	ok(gcu_backoff_cap(&rate, 0) == 2 && gcu_backoff_cap(&rate, -7) == 2,
	   "attempt below 1 counts as 1");
	ok(gcu_backoff_cap(&rate, 100000) == 30, "a huge attempt stays at the max");
	struct gcu_retry_policy odd = {NAN, -1, 1};
	ok(gcu_backoff(&odd, 3, &a) == 0, "NaN base and negative max give 0");

	a = 42;
	for (int i = 0; i < 1000; i++) {
		double x = gcu_backoff(&rate, 3, &a), y = gcu_backoff(&rate, 3, &b);
		if (x != y)
			same = 0;
		if (x != gcu_backoff(&rate, 3, &c))
			differ = 1;
	}
	ok(same, "the same seed gives the same delays");
	ok(differ, "another seed gives other delays");

	uint64_t s = 7;
	int in_range = 1;
	for (int i = 0; i < 100000; i++) {
		double u = gcu_rand_unit(&s);
		if (!(u >= 0 && u < 1))
			in_range = 0;
	}
	ok(in_range, "gcu_rand_unit in [0, 1)");

	setenv("GCU_SEED", "12345", 1);
	ok(gcu_rand_seed() == 12345, "GCU_SEED is the seed");
	setenv("GCU_SEED", "0x10", 1);
	ok(gcu_rand_seed() == 16, "GCU_SEED in hex");
	unsetenv("GCU_SEED");
	ok(gcu_rand_seed() != gcu_rand_seed(), "without GCU_SEED seeds differ");
	test_clock();
	return done_testing();
}
