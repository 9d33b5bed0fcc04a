/*
 * sim_stats.c - counters and their JSON form (see sim_stats.h).
 */
#include "sim_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const route_names[SIM_R_COUNT] = {
    "POST /oauth/token",
    "GET /api/v2/users",
    "GET /api/v2/users/{id}",
    "PATCH /api/v2/users/{id}",
    "DELETE /api/v2/users/{id}",
    "GET /api/v2/users/{id}/routingskills",
    "PATCH /api/v2/users/{id}/routingskills/bulk",
    "DELETE /api/v2/users/{id}/routingskills/{skillId}",
    "GET /api/v2/users/{id}/routinglanguages",
    "PATCH /api/v2/users/{id}/routinglanguages/bulk",
    "DELETE /api/v2/users/{id}/routinglanguages/{languageId}",
    "GET /api/v2/users/{id}/routingstatus",
    "PUT /api/v2/users/{id}/routingstatus",
    "unknown",
    "POST /api/v2/users/search",
    "GET /api/v2/routing/skills",
    "GET /api/v2/routing/languages",
    "GET /api/v2/routing/queues",
    "GET /api/v2/routing/queues/{queueId}/members",
    "POST /api/v2/routing/queues/{queueId}/members",
    "GET /api/v2/teams",
    "GET /api/v2/teams/{teamId}/members",
    "POST /api/v2/teams/{teamId}/members",
    "DELETE /api/v2/teams/{teamId}/members",
    "GET /api/v2/authorization/divisions",
    "POST /api/v2/authorization/divisions/{divisionId}/objects/{objectType}",
};

static const char *const method_names[SIM_M_COUNT] = {"GET",   "POST",   "PUT",
                                                      "PATCH", "DELETE", "OTHER"};

const char *sim_route_name(enum sim_route r)
{
	return (unsigned)r < SIM_R_COUNT ? route_names[r] : "unknown";
}

enum sim_route sim_route_of(const char *name)
{
	for (int i = 0; i < SIM_R_COUNT; i++)
		if (strcmp(name, route_names[i]) == 0)
			return (enum sim_route)i;
	return SIM_R_COUNT;
}

enum sim_method sim_method_of(const char *method)
{
	for (int i = 0; i < SIM_M_OTHER; i++)
		if (strcmp(method, method_names[i]) == 0)
			return (enum sim_method)i;
	return SIM_M_OTHER;
}

int sim_stats_init(struct sim_stats *s)
{
	memset(s, 0, sizeof *s);
	return pthread_mutex_init(&s->lock, NULL) == 0 ? 0 : -1;
}

void sim_stats_free(struct sim_stats *s)
{
	free(s->timeline);
	s->timeline = NULL;
	pthread_mutex_destroy(&s->lock);
}

void sim_stats_reset(struct sim_stats *s)
{
	pthread_mutex_lock(&s->lock);
	s->total = 0;
	memset(s->by_method, 0, sizeof s->by_method);
	memset(s->by_route, 0, sizeof s->by_route);
	memset(s->by_status, 0, sizeof s->by_status);
	memset(s->counters, 0, sizeof s->counters);
	s->peak_inflight = 0;
	s->peak_window = 0;
	if (s->timeline)
		memset(s->timeline, 0, s->nticks * sizeof *s->timeline);
	pthread_mutex_unlock(&s->lock);
}

void sim_stats_request(struct sim_stats *s, enum sim_method m, enum sim_route r, int status)
{
	pthread_mutex_lock(&s->lock);
	s->total++;
	s->by_method[m]++;
	s->by_route[r]++;
	if (status > 0 && status < 600)
		s->by_status[status]++;
	pthread_mutex_unlock(&s->lock);
}

void sim_stats_add(struct sim_stats *s, enum sim_counter c, long n)
{
	pthread_mutex_lock(&s->lock);
	s->counters[c] += n;
	pthread_mutex_unlock(&s->lock);
}

/* Raises *peak, one of s's fields, to n when higher. */
static void raise_peak(struct sim_stats *s, long *peak, long n)
{
	pthread_mutex_lock(&s->lock);
	if (n > *peak)
		*peak = n;
	pthread_mutex_unlock(&s->lock);
}

void sim_stats_inflight(struct sim_stats *s, long n)
{
	raise_peak(s, &s->peak_inflight, n);
}

void sim_stats_window(struct sim_stats *s, long n)
{
	raise_peak(s, &s->peak_window, n);
}

/* Makes the timeline long enough for second `sec`; lock held. */
static int ticks_reach(struct sim_stats *s, size_t sec)
{
	if (sec < s->nticks)
		return 0;
	if (sec >= s->capticks) {
		size_t cap = s->capticks ? s->capticks : 64;
		while (cap <= sec)
			cap *= 2;
		struct sim_tick *t = realloc(s->timeline, cap * sizeof *t);
		if (t == NULL)
			return -1;
		s->timeline = t;
		s->capticks = cap;
	}
	memset(s->timeline + s->nticks, 0, (sec + 1 - s->nticks) * sizeof *s->timeline);
	s->nticks = sec + 1;
	return 0;
}

void sim_stats_tick(struct sim_stats *s, double now, int admitted)
{
	size_t sec = now > 0 ? (size_t)floor(now) : 0;

	pthread_mutex_lock(&s->lock);
	if (ticks_reach(s, sec) == 0) {
		if (admitted)
			s->timeline[sec].admitted++;
		else
			s->timeline[sec].rejected++;
	}
	pthread_mutex_unlock(&s->lock);
}

static void add_long(json_object *o, const char *key, long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

json_object *sim_stats_json(struct sim_stats *s, double now, json_object *peak_by_token)
{
	json_object *root = json_object_new_object();
	json_object *req = json_object_new_object();
	json_object *m = json_object_new_object(), *r = json_object_new_object();
	json_object *st = json_object_new_object(), *f = json_object_new_object();
	json_object *tl = json_object_new_array();
	char key[16];

	pthread_mutex_lock(&s->lock);
	ticks_reach(s, now > 0 ? (size_t)floor(now) : 0);
	add_long(req, "total", s->total);
	for (int i = 0; i < SIM_M_COUNT; i++)
		if (s->by_method[i])
			add_long(m, method_names[i], s->by_method[i]);
	for (int i = 0; i < SIM_R_COUNT; i++)
		if (s->by_route[i])
			add_long(r, route_names[i], s->by_route[i]);
	for (int i = 0; i < 600; i++)
		if (s->by_status[i]) {
			snprintf(key, sizeof key, "%d", i);
			add_long(st, key, s->by_status[i]);
		}
	json_object_object_add(req, "by_method", m);
	json_object_object_add(req, "by_route", r);
	json_object_object_add(req, "by_status", st);
	json_object_object_add(root, "requests", req);
	add_long(root, "rate_limited", s->counters[SIM_C_RATE_LIMITED]);
	add_long(root, "conflicts", s->counters[SIM_C_CONFLICTS]);
	add_long(root, "tokens_issued", s->counters[SIM_C_TOKENS]);
	add_long(root, "peak_inflight", s->peak_inflight);
	add_long(root, "peak_window", s->peak_window);
	json_object_object_add(root, "peak_inflight_by_token",
	                       peak_by_token ? peak_by_token : json_object_new_object());
	add_long(root, "writes", s->counters[SIM_C_WRITES]);
	add_long(root, "writer_writes", s->counters[SIM_C_WRITER_WRITES]);
	add_long(root, "queue_writer_writes", s->counters[SIM_C_QUEUE_WRITER_WRITES]);
	add_long(f, "errors", s->counters[SIM_C_F_ERRORS]);
	add_long(f, "resets", s->counters[SIM_C_F_RESETS]);
	add_long(f, "fake_200", s->counters[SIM_C_F_FAKE200]);
	add_long(f, "outage", s->counters[SIM_C_F_OUTAGE]);
	add_long(f, "max_inflight", s->counters[SIM_C_F_INFLIGHT]);
	add_long(f, "route", s->counters[SIM_C_F_ROUTE]);
	add_long(f, "team_failures", s->counters[SIM_C_F_TEAM]);
	json_object_object_add(root, "faults", f);
	for (size_t i = 0; i < s->nticks; i++) {
		json_object *t = json_object_new_object();
		add_long(t, "t", (long)i);
		add_long(t, "admitted", s->timeline[i].admitted);
		add_long(t, "rejected", s->timeline[i].rejected);
		json_object_array_add(tl, t);
	}
	pthread_mutex_unlock(&s->lock);
	json_object_object_add(root, "timeline", tl);
	return root;
}
