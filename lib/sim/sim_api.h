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
#define SIM_USERS_PAGE  500 /* the largest pageSize of GET /api/v2/users */

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
 * Times are whole seconds rounded up unless opt->fractional. None at all
 * when the bucket in front turned the request away (res->bucket).
 */
void sim_rate_headers(const struct sim_options *opt, const struct sim_rl_result *res, double wall,
                      int is_429, struct sim_reply *rep);

/* Writes the platform's error body {"status","code","message"} to rep. */
void sim_reply_error(struct sim_reply *rep, int status, const char *code, const char *message);

/* --- reading a request, for every route file ----------------------------- */

/* The value of the first query parameter key ("" for a bare "?key"), or
 * NULL when there is none. */
const char *query_get(const struct sim_request *req, const char *key);

/*
 * Calls fn(item, len, arg) for each comma-separated item (empty ones
 * skipped) of each value of the query parameter key, in order, until fn
 * returns non-zero, which it then returns; 0 when every item was seen.
 */
int query_each(const struct sim_request *req, const char *key,
               int (*fn)(const char *item, size_t len, void *arg), void *arg);

/* Copies the items of query parameter key (as query_each sees them) into
 * up to max new strings in items (free each); their number in *n.
 * Returns 0, -1 when there are more than max, -2 when out of memory. */
int query_list(const struct sim_request *req, const char *key, size_t max, char **items, size_t *n);

/* Reads s, a whole number from lo to hi, into *out. Returns 0 or -1. */
int parse_long(const char *s, long lo, long hi, long *out);

/* Reads pageSize (1 to max, 25 when absent) and pageNumber (from 1, 1
 * when absent). Returns 0, or -1 with a 400 in rep. */
int sim_page_args(const struct sim_request *req, long max, long *size, long *number,
                  struct sim_reply *rep);

/* The request's body as a new JSON tree (json_object_put it), or NULL
 * with a 400 (no body, invalid JSON) or 500 in rep. */
json_object *parse_body(const struct sim_request *req, struct sim_reply *rep);

/* Turns the result of an org operation into rep's status, and for an
 * error into the platform's error body. */
void apply_result(struct sim_reply *rep, const struct sim_result *res);

#endif
