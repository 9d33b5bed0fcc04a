/*
 * clock.h - time in double seconds: a monotonic clock for durations and
 * deadlines, the wall clock for epoch-based headers, and sleeps.
 *
 * Every duration in gcu is a double number of seconds (fractions allowed),
 * so that tests can run a 60 s window in 2 s. Deadlines are always taken on
 * the monotonic clock; the wall clock is only read to turn an epoch value
 * from a response header into a delay.
 */
#ifndef GCU_CLOCK_H
#define GCU_CLOCK_H

#include <signal.h>

/* Seconds on CLOCK_MONOTONIC (arbitrary origin). Never fails. */
double gcu_now(void);

/* Seconds since the epoch on CLOCK_REALTIME, with fractions. Never fails. */
double gcu_wall(void);

/*
 * Sleeps s seconds (nothing when s <= 0 or s is NaN; very long values are
 * capped to one day per call). A signal does not cut the sleep short: it
 * resumes for the time left.
 */
void gcu_sleep(double s);

/*
 * Like gcu_sleep, but returns early, after a signal, once *stop is
 * non-zero (stop may be NULL, then it behaves as gcu_sleep). Returns 0 when
 * the full time was slept, 1 when it stopped early.
 */
int gcu_sleep_interruptible(double s, volatile sig_atomic_t *stop);

#endif
