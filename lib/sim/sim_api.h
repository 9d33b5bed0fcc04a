/*
 * sim_api.h - one simulated org and the handling of one HTTP request
 * against it, independent of the HTTP server that carries it.
 *
 * sim_handle() runs the platform's pipeline for a request: the admin
 * routes under /__sim/, the token endpoint, then for /api/v2 the bearer
 * token, the in-flight cap, injected latency, outages, the sliding-window
 * rate limit, dropped connections and server errors, the route itself,
 * and the rate-limit headers of the answer. It fills a reply the server
 * glue turns into an HTTP response.
 */
#ifndef GCU_SIM_API_H
#define GCU_SIM_API_H

#include <stddef.h>

#include "sim.h"
#include "sim_auth.h"
#include "sim_faults.h"
#include "sim_hostile.h"
#include "sim_org.h"
#include "sim_ratelimit.h"
#include "sim_stats.h"
#include "sim_util.h"

#define SIM_MAX_BODY    ((size_t)1024 * 1024)
#define SIM_MAX_HEADERS 8

struct sim_query {
	const char *key;
	const char *value; /* may be NULL ("?flag") */
};

struct sim_request {
	const char *method;
	const char *path;
	const char *authorization; /* may be NULL */
	const struct sim_query *query;
	size_t nquery;
	const char *body; /* NUL-terminated, may be NULL when empty */
	size_t body_len;
	int body_too_large; /* more than SIM_MAX_BODY bytes were sent */
};

struct sim_header {
	char name[32];
	char value[64];
};

struct sim_reply {
	int status;
	int drop; /* close the connection without answering */
	const char *content_type;
	struct sbuf body;
	struct sim_header hdr[SIM_MAX_HEADERS];
	int nhdr;
	struct sbuf big_header; /* --hostile huge-headers: X-Hostile-Padding, or empty */
};

struct sim {
	struct sim_options opt;
	struct sim_rl_cfg rl;
	struct sim_org org;
	struct sim_auth auth;
	struct sim_stats stats;
	struct sim_faults faults;
	struct sim_hostile hostile;
};

/*
 * Sets up a simulator from the options (copied; the strings they point to
 * must outlive sim) and loads or generates its org. Returns 0, or a
 * sysexits code with a message in err.
 */
int sim_init(struct sim *sim, const struct sim_options *opt, char *err, size_t errlen);

/* Frees everything sim_init set up. */
void sim_free(struct sim *sim);

/* Handles one request (may sleep for injected latency). rep must be
 * zeroed by the caller and released with sim_reply_free(). */
void sim_handle(struct sim *sim, const struct sim_request *req, struct sim_reply *rep);

/* Frees a reply's body (and its hostile header). */
void sim_reply_free(struct sim_reply *rep);

/* Adds a header to a reply (silently ignored beyond SIM_MAX_HEADERS). */
void sim_reply_header(struct sim_reply *rep, const char *name, const char *value);

/*
 * Adds the rate-limit headers that opt asks for to rep, for a window
 * state res seen at `wall` (epoch seconds); with is_429 also Retry-After.
 */
void sim_rate_headers(const struct sim_options *opt, const struct sim_rl_result *res, double wall,
                      int is_429, struct sim_reply *rep);

/* Writes the platform's error body {"status","code","message"} to rep. */
void sim_reply_error(struct sim_reply *rep, int status, const char *code, const char *message);

#endif
