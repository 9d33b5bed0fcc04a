/*
 * sim_faults.h - the injected faults: latency, server errors, dropped
 * connections and outages.
 *
 * Every random decision comes from one splitmix64 stream seeded by
 * --seed, so a run that sends the same requests in the same order sees
 * the same faults.
 */
#ifndef GCU_SIM_FAULTS_H
#define GCU_SIM_FAULTS_H

#include <pthread.h>
#include <stdint.h>

struct sim_faults {
	pthread_mutex_t lock;
	uint64_t rng;
	double latency_ms, jitter_ms;
	double error_rate, reset_rate;
	int outage;
	double outage_from, outage_to;
};

/* Initialises from the settings. Returns 0 or -1. */
int sim_faults_init(struct sim_faults *f, uint64_t seed, double latency_ms, double jitter_ms,
                    double error_rate, double reset_rate, int outage, double from, double to);

void sim_faults_free(struct sim_faults *f);

/* The delay for one response in seconds (latency ± jitter, never
 * negative); 0 when no latency is set. */
double sim_faults_delay(struct sim_faults *f);

/* True when a request at `now` (seconds since start) falls in the
 * outage window [from, to). */
int sim_faults_in_outage(const struct sim_faults *f, double now);

/* Draws the fate of one request: 0 none, -1 drop the connection, or a
 * 5xx status to answer instead of applying it. */
int sim_faults_roll(struct sim_faults *f);

#endif
