/*
 * sim_faults.h - the injected faults: latency, server errors, dropped
 * connections, outages, chosen calls of one route failing, and team
 * members refused.
 *
 * Every random decision comes from one splitmix64 stream seeded by
 * --seed, so a run that sends the same requests in the same order sees
 * the same faults.
 */
#ifndef GCU_SIM_FAULTS_H
#define GCU_SIM_FAULTS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "sim_stats.h"

struct sim_faults {
	pthread_mutex_t lock;
	uint64_t rng;
	double latency_ms, jitter_ms;
	double error_rate, reset_rate;
	int outage;
	double outage_from, outage_to;
	struct sim_route_fault routes[SIM_MAX_ROUTE_FAULTS];
	int nroutes;
	long calls[SIM_R_COUNT]; /* admitted requests per route, for the route faults */
};

/* Initialises from the settings, with no route faults. Returns 0 or -1. */
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

/* Sets the route faults (n at most SIM_MAX_ROUTE_FAULTS, copied). */
void sim_faults_routes(struct sim_faults *f, const struct sim_route_fault *rf, int n);

/* Counts one admitted call of route and returns the status a route fault
 * answers it with, or 0. */
int sim_faults_route(struct sim_faults *f, int route);

/* True with probability p, drawn from the fault stream. */
int sim_faults_chance(struct sim_faults *f, double p);

/*
 * Reads a --fail-route value "ROUTE:N[-M][:STATUS]" into *rf: ROUTE as
 * /__sim/stats names it (e.g. "POST /api/v2/teams/{teamId}/members"),
 * calls N to M (M = N when absent), STATUS 500 to 599 (503 by default).
 * Returns 0, or -1 with the reason in err.
 */
int sim_route_fault_parse(const char *spec, struct sim_route_fault *rf, char *err, size_t errlen);

#endif
