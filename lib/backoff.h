/*
 * backoff.h - jittered exponential backoff and the small random number
 * generator behind it.
 *
 * Full jitter (a delay drawn uniformly between zero and the exponential
 * ceiling) spreads retries across the window instead of synchronising
 * them. Each retry policy (429, 5xx) is a struct gcu_retry_policy from
 * config.h; the generator state is the caller's, so a test that sets
 * GCU_SEED sees the same delays on every run.
 */
#ifndef GCU_BACKOFF_H
#define GCU_BACKOFF_H

#include <stdint.h>

#include "config.h"

/*
 * The delay before retry number attempt (1 = the first retry), drawn
 * uniformly from [0, min(p->max, p->base * 2^(attempt-1))]. attempt < 1
 * counts as 1; a negative or NaN base or max counts as 0. Never negative,
 * never above p->max. p and rng must not be NULL.
 */
double gcu_backoff(const struct gcu_retry_policy *p, int attempt, uint64_t *rng);

/*
 * The exponential ceiling gcu_backoff draws under, without the jitter:
 * min(p->max, p->base * 2^(attempt-1)), with the same rules.
 */
double gcu_backoff_cap(const struct gcu_retry_policy *p, int attempt);

/* Next 64 random bits from state (splitmix64). state must not be NULL. */
uint64_t gcu_rand_next(uint64_t *state);

/* A double uniform in [0, 1) from state (53 random bits). */
double gcu_rand_unit(uint64_t *state);

/*
 * A seed for a generator: GCU_SEED from the environment when it is set to
 * a decimal or 0x-hex number, else 8 bytes of /dev/urandom, else a mix of
 * the clocks and the pid. Never fails.
 */
uint64_t gcu_rand_seed(void);

#endif
