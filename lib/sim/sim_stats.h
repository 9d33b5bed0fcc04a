/*
 * sim_stats.h - the simulator's counters, served as JSON at /__sim/stats.
 *
 * Counts requests by method, route and status, the outcomes that matter
 * to a client under test (rate limited, conflicts, writes, faults) and a
 * per-second timeline of admitted and rejected API requests. One mutex
 * guards everything; every update is a few additions.
 */
#ifndef GCU_SIM_STATS_H
#define GCU_SIM_STATS_H

#include <pthread.h>
#include <stddef.h>

#include <json-c/json.h>

enum sim_route {
	SIM_R_TOKEN,
	SIM_R_USERS,
	SIM_R_USER_GET,
	SIM_R_USER_PATCH,
	SIM_R_USER_DELETE,
	SIM_R_SKILLS_GET,
	SIM_R_SKILLS_BULK,
	SIM_R_SKILL_DELETE,
	SIM_R_LANGS_GET,
	SIM_R_LANGS_BULK,
	SIM_R_LANG_DELETE,
	SIM_R_STATUS_GET,
	SIM_R_STATUS_PUT,
	SIM_R_UNKNOWN,
	/* the directory, catalogues and group requests (sim_routes.h) */
	SIM_R_USERS_SEARCH,
	SIM_R_SKILLS_LIST,
	SIM_R_LANGS_LIST,
	SIM_R_QUEUES_LIST,
	SIM_R_QUEUE_MEMBERS_GET,
	SIM_R_QUEUE_MEMBERS_POST,
	SIM_R_TEAMS_LIST,
	SIM_R_TEAM_MEMBERS_GET,
	SIM_R_TEAM_MEMBERS_POST,
	SIM_R_TEAM_MEMBERS_DELETE,
	SIM_R_DIVISIONS_LIST,
	SIM_R_DIVISION_OBJECTS,
	SIM_R_COUNT
};

enum sim_method {
	SIM_M_GET,
	SIM_M_POST,
	SIM_M_PUT,
	SIM_M_PATCH,
	SIM_M_DELETE,
	SIM_M_OTHER,
	SIM_M_COUNT
};

enum sim_counter {
	SIM_C_RATE_LIMITED,
	SIM_C_CONFLICTS,
	SIM_C_TOKENS,
	SIM_C_WRITES,
	SIM_C_WRITER_WRITES,
	SIM_C_F_ERRORS,
	SIM_C_F_RESETS,
	SIM_C_F_FAKE200,
	SIM_C_F_OUTAGE,
	SIM_C_F_INFLIGHT,
	SIM_C_QUEUE_WRITER_WRITES,
	SIM_C_F_ROUTE,
	SIM_C_F_TEAM,
	SIM_C_COUNT
};

struct sim_tick {
	long admitted, rejected;
};

struct sim_stats {
	pthread_mutex_t lock;
	long total;
	long by_method[SIM_M_COUNT];
	long by_route[SIM_R_COUNT];
	long by_status[600];
	long counters[SIM_C_COUNT];
	long peak_inflight;
	long peak_window; /* the most entries a window held as it admitted one */
	struct sim_tick *timeline;
	size_t nticks, capticks;
};

/* The route's name as stats show it, e.g. "PATCH /api/v2/users/{id}". */
const char *sim_route_name(enum sim_route r);

/* The route of that name (as sim_route_name gives it), or SIM_R_COUNT. */
enum sim_route sim_route_of(const char *name);

/* The method's enum value for a method string (never fails). */
enum sim_method sim_method_of(const char *method);

/* Initialises zeroed counters. Returns 0 or -1. */
int sim_stats_init(struct sim_stats *s);

void sim_stats_free(struct sim_stats *s);

/* Zeroes every counter and the timeline. */
void sim_stats_reset(struct sim_stats *s);

/* Counts one answered request (status 0 for a dropped connection: counted
 * in total, method and route only). */
void sim_stats_request(struct sim_stats *s, enum sim_method m, enum sim_route r, int status);

/* Adds n to one counter. */
void sim_stats_add(struct sim_stats *s, enum sim_counter c, long n);

/* Raises the in-flight peak to n when higher. */
void sim_stats_inflight(struct sim_stats *s, long n);

/* Raises the window peak to n (a window's count, the request just
 * admitted included) when higher. */
void sim_stats_window(struct sim_stats *s, long n);

/* Counts an admitted (admitted = 1) or rejected API request in the
 * second of `now` (seconds since start). */
void sim_stats_tick(struct sim_stats *s, double now, int admitted);

/* Builds the /__sim/stats object; now fills the timeline up to the
 * current second; peak_by_token (consumed, may be NULL) is attached.
 * Returns a new reference or NULL when out of memory. */
json_object *sim_stats_json(struct sim_stats *s, double now, json_object *peak_by_token);

#endif
