/*
 * sim_faults.c - deterministic fault draws (see sim_faults.h).
 */
#include "sim_faults.h"

#include "sim_util.h"

int sim_faults_init(struct sim_faults *f, uint64_t seed, double latency_ms, double jitter_ms,
                    double error_rate, double reset_rate, int outage, double from, double to)
{
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
