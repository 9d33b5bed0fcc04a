/*
 * sim_faults.c - deterministic fault draws (see sim_faults.h).
 */
#include "sim_faults.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_util.h"

int sim_faults_init(struct sim_faults *f, uint64_t seed, double latency_ms, double jitter_ms,
                    double error_rate, double reset_rate, int outage, double from, double to)
{
	memset(f, 0, sizeof *f);
	f->rng = seed ^ 0xfa017fa017fa017full;
	f->latency_ms = latency_ms;
	f->jitter_ms = jitter_ms;
	f->error_rate = error_rate;
	f->reset_rate = reset_rate;
	f->outage = outage;
	f->outage_from = from;
	f->outage_to = to;
	return pthread_mutex_init(&f->lock, NULL) == 0 ? 0 : -1;
}

void sim_faults_free(struct sim_faults *f)
{
	pthread_mutex_destroy(&f->lock);
}

double sim_faults_delay(struct sim_faults *f)
{
	double ms;

	if (f->latency_ms <= 0 && f->jitter_ms <= 0)
		return 0;
	pthread_mutex_lock(&f->lock);
	ms = f->latency_ms + f->jitter_ms * (2 * sim_rand01(&f->rng) - 1);
	pthread_mutex_unlock(&f->lock);
	return ms > 0 ? ms / 1000.0 : 0;
}

int sim_faults_in_outage(const struct sim_faults *f, double now)
{
	return f->outage && now >= f->outage_from && now < f->outage_to;
}

int sim_faults_roll(struct sim_faults *f)
{
	static const int codes[] = {500, 502, 503, 504};
	int fate = 0;

	if (f->error_rate <= 0 && f->reset_rate <= 0)
		return 0;
	pthread_mutex_lock(&f->lock);
	if (f->reset_rate > 0 && sim_rand01(&f->rng) < f->reset_rate)
		fate = -1;
	else if (f->error_rate > 0 && sim_rand01(&f->rng) < f->error_rate)
		fate = codes[sim_randn(&f->rng, 4)];
	pthread_mutex_unlock(&f->lock);
	return fate;
}

void sim_faults_routes(struct sim_faults *f, const struct sim_route_fault *rf, int n)
{
	f->nroutes = n < SIM_MAX_ROUTE_FAULTS ? n : SIM_MAX_ROUTE_FAULTS;
	memcpy(f->routes, rf, (size_t)f->nroutes * sizeof *rf);
}

int sim_faults_route(struct sim_faults *f, int route)
{
	int status = 0;
	long call;

	if (f->nroutes == 0 || route < 0 || route >= SIM_R_COUNT)
		return 0;
	pthread_mutex_lock(&f->lock);
	call = ++f->calls[route];
	for (int i = 0; i < f->nroutes && status == 0; i++)
		if (f->routes[i].route == route && call >= f->routes[i].first &&
		    call <= f->routes[i].last)
			status = f->routes[i].status;
	pthread_mutex_unlock(&f->lock);
	return status;
}

int sim_faults_chance(struct sim_faults *f, double p)
{
	int yes;

	if (p <= 0)
		return 0;
	pthread_mutex_lock(&f->lock);
	yes = sim_rand01(&f->rng) < p;
	pthread_mutex_unlock(&f->lock);
	return yes;
}

/* Reads a whole number from s up to the next ':' (or the end) and
 * returns where it stopped, or NULL. */
static const char *whole(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || end == s || *v < lo || *v > hi)
		return NULL;
	return end;
}

int sim_route_fault_parse(const char *spec, struct sim_route_fault *rf, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':'), *p;
	char name[128];
	long status = 503;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof name) {
		snprintf(err, errlen, "want ROUTE:N[-M][:STATUS], got '%.80s'", spec);
		return -1;
	}
	memcpy(name, spec, (size_t)(colon - spec));
	name[colon - spec] = '\0';
	rf->route = (int)sim_route_of(name);
	if (rf->route == SIM_R_COUNT || rf->route == SIM_R_UNKNOWN || rf->route == SIM_R_TOKEN) {
		snprintf(err, errlen, "no API route '%s' (name it as /__sim/stats does)", name);
		return -1;
	}
	p = whole(colon + 1, 1, 1000000000, &rf->first);
	rf->last = rf->first;
	if (p && *p == '-')
		p = whole(p + 1, rf->first, 1000000000, &rf->last);
	if (p && *p == ':')
		p = whole(p + 1, 500, 599, &status);
	if (p == NULL || *p) {
		snprintf(err, errlen,
		         "want ROUTE:N[-M][:STATUS] with N <= M and STATUS 500 to 599");
		return -1;
	}
	rf->status = (int)status;
	return 0;
}
