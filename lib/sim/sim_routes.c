/*
 * sim_routes.c - directory, catalogue and group routes (see
 * sim_routes.h).
 *
 * Each handler reads the request's parameters, answers 400 for what the
 * platform would refuse, and leaves the work to sim_catalog.c,
 * sim_groups.c and sim_search.c.
 */
#include "sim_routes.h"

#include <stdlib.h>
#include <string.h>

#include "sim_catalog.h"
#include "sim_groups.h"
#include "sim_search.h"
#include "uuid.h"

#define MAX_SEGMENTS   6
#define MAX_FILTER_IDS 100

struct path {
	const char *seg[MAX_SEGMENTS];
	size_t len[MAX_SEGMENTS];
	int n;
};

/* Splits the part of path after "/api/v2/" at '/' (a trailing '/'
 * ignored). Returns -1 for more than MAX_SEGMENTS segments. */
static int split(const char *path, struct path *p)
{
	static const char api[] = "/api/v2/";

	p->n = 0;
	if (strncmp(path, api, sizeof api - 1) != 0)
		return -1;
	path += sizeof api - 1;
	while (*path) {
		size_t n = strcspn(path, "/");
		if (p->n == MAX_SEGMENTS)
			return -1;
		p->seg[p->n] = path;
		p->len[p->n++] = n;
		path += n;
		if (*path == '/')
			path++;
	}
	return 0;
}

static int is(const struct path *p, int i, const char *lit)
{
	return i < p->n && p->len[i] == strlen(lit) && memcmp(p->seg[i], lit, p->len[i]) == 0;
}

static void copy_seg(const struct path *p, int i, char *dst, size_t len)
{
	size_t n = p->len[i] < len ? p->len[i] : 0; /* too long: empty, hence not an id */
	memcpy(dst, p->seg[i], n);
	dst[n] = '\0';
}

int sim_routes_match(const char *method, const char *path, enum sim_route *r, int *status, char *id,
                     size_t idlen, char *item, size_t itemlen)
{
	struct path p;
	int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	int del = strcmp(method, "DELETE") == 0;

	if (split(path, &p) < 0)
		return 0;
	if (p.n == 2 && is(&p, 0, "users") && is(&p, 1, "search")) {
		*r = SIM_R_USERS_SEARCH;
		*status = post ? 0 : 405;
	} else if (p.n == 2 && is(&p, 0, "routing") &&
	           (is(&p, 1, "skills") || is(&p, 1, "languages") || is(&p, 1, "queues"))) {
		*r = is(&p, 1, "skills")      ? SIM_R_SKILLS_LIST
		     : is(&p, 1, "languages") ? SIM_R_LANGS_LIST
		                              : SIM_R_QUEUES_LIST;
		*status = get ? 0 : 405;
	} else if (p.n == 4 && is(&p, 0, "routing") && is(&p, 1, "queues") &&
	           is(&p, 3, "members")) {
		copy_seg(&p, 2, id, idlen);
		*r = post ? SIM_R_QUEUE_MEMBERS_POST : SIM_R_QUEUE_MEMBERS_GET;
		*status = get || post ? 0 : 405;
	} else if (p.n == 1 && is(&p, 0, "teams")) {
		*r = SIM_R_TEAMS_LIST;
		*status = get ? 0 : 405;
	} else if (p.n == 3 && is(&p, 0, "teams") && is(&p, 2, "members")) {
		copy_seg(&p, 1, id, idlen);
		*r = post  ? SIM_R_TEAM_MEMBERS_POST
		     : del ? SIM_R_TEAM_MEMBERS_DELETE
		           : SIM_R_TEAM_MEMBERS_GET;
		*status = get || post || del ? 0 : 405;
	} else if (p.n == 2 && is(&p, 0, "authorization") && is(&p, 1, "divisions")) {
		*r = SIM_R_DIVISIONS_LIST;
		*status = get ? 0 : 405;
	} else if (p.n == 5 && is(&p, 0, "authorization") && is(&p, 1, "divisions") &&
	           is(&p, 3, "objects")) {
		copy_seg(&p, 2, id, idlen);
		copy_seg(&p, 4, item, itemlen);
		*r = SIM_R_DIVISION_OBJECTS;
		*status = post ? 0 : 405;
	} else {
		return 0;
	}
	return 1;
}

int sim_routes_routing_write(enum sim_route r)
{
	return r == SIM_R_QUEUE_MEMBERS_POST || r == SIM_R_TEAM_MEMBERS_POST ||
	       r == SIM_R_TEAM_MEMBERS_DELETE;
}

/* --- listings ------------------------------------------------------------ */

/* Member counts of a queue or team listing, in a new array (NULL for the
 * other kinds, or when out of memory). */
static long *counts_of(struct sim *sim, enum sim_cat k)
{
	long *counts;

	if (k != SIM_CAT_QUEUE && k != SIM_CAT_TEAM)
		return NULL;
	counts = malloc((sim->org.cat.n[k] ? sim->org.cat.n[k] : 1) * sizeof *counts);
	if (counts)
		sim_groups_counts(&sim->org, k, counts);
	return counts;
}

/* Reads a cursor listing's "after" (and refuses "before") into q. */
static int cursor_args(const struct sim_request *req, struct sim_listing *q, struct sim_reply *rep)
{
	const char *after = query_get(req, "after");

	if (query_get(req, "before")) {
		sim_reply_error(rep, 400, "bad.request",
		                "gcu-sim pages forward only: follow nextUri, not before");
		return -1;
	}
	if (after && *after && sim_cursor_parse(after, &q->after) < 0) {
		sim_reply_error(rep, 400, "bad.request", "after is not a cursor this listing gave");
		return -1;
	}
	return 0;
}

static void listing(struct sim *sim, enum sim_cat k, const struct sim_request *req,
                    struct sim_reply *rep)
{
	struct sim_listing q = {0};
	char *ids[MAX_FILTER_IDS];
	long *counts = NULL;
	size_t nids = 0;

	if (sim_page_args(req, SIM_CATALOG_PAGE, &q.page_size, &q.page_number, rep) < 0)
		goto out;
	if (k == SIM_CAT_TEAM && cursor_args(req, &q, rep) < 0)
		goto out;
	if (k != SIM_CAT_TEAM && query_list(req, "id", MAX_FILTER_IDS, ids, &nids) < 0) {
		sim_reply_error(rep, 400, "bad.request", "At most 100 ids may be given");
		goto out;
	}
	q.name = query_get(req, "name");
	q.ids = (const char *const *)ids;
	q.nids = nids;
	counts = counts_of(sim, k);
	rep->status = 200;
	if (k == SIM_CAT_TEAM)
		sim_catalog_cursor(&sim->org.cat, k, &q, counts, &rep->body);
	else
		sim_catalog_page(&sim->org.cat, k, &q, counts, &rep->body);
out:
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(counts);
}

/* --- groups -------------------------------------------------------------- */

static int refuse_member(void *arg)
{
	struct sim *sim = arg;

	if (!sim_faults_chance(&sim->faults, sim->opt.team_failures))
		return 0;
	sim_stats_add(&sim->stats, SIM_C_F_TEAM, 1);
	return 1;
}

static void queue_members(struct sim *sim, const char *id, const struct sim_request *req,
                          struct sim_reply *rep, struct sim_result *res)
{
	const char *order = query_get(req, "sortOrder");
	long size, number;

	if (sim_page_args(req, SIM_MEMBER_PAGE, &size, &number, rep) < 0)
		return;
	if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
		sim_reply_error(rep, 400, "bad.request", "sortOrder must be asc or desc");
		return;
	}
	sim_groups_queue_members(&sim->org, id, size, number, order && strcmp(order, "desc") == 0,
	                         &rep->body, res);
}

static void team_members(struct sim *sim, const char *id, const struct sim_request *req,
                         struct sim_reply *rep, struct sim_result *res)
{
	struct sim_listing q = {0};

	if (sim_page_args(req, SIM_MEMBER_PAGE, &q.page_size, &q.page_number, rep) < 0 ||
	    cursor_args(req, &q, rep) < 0)
		return;
	sim_groups_team_members(&sim->org, id, &q, &rep->body, res);
}

static void team_remove(struct sim *sim, const char *id, const struct sim_request *req,
                        struct sim_result *res)
{
	char *ids[SIM_TEAM_BATCH];
	size_t n = 0;
	int rc = query_list(req, "id", SIM_TEAM_BATCH, ids, &n);

	if (rc == -1)
		result_set(res, 400, "bad.request", "id must list 1 to %d users", SIM_TEAM_BATCH);
	else if (rc < 0)
		result_set(res, 500, "internal.server.error", "out of memory");
	else
		sim_groups_team_remove(&sim->org, id, (const char *const *)ids, n, res);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
}

int sim_routes_dispatch(struct sim *sim, enum sim_route r, const char *id, const char *item,
                        const struct sim_request *req, struct sim_reply *rep)
{
	static const enum sim_cat listed[SIM_R_COUNT] = {
	    [SIM_R_SKILLS_LIST] = SIM_CAT_SKILL,       [SIM_R_LANGS_LIST] = SIM_CAT_LANGUAGE,
	    [SIM_R_QUEUES_LIST] = SIM_CAT_QUEUE,       [SIM_R_TEAMS_LIST] = SIM_CAT_TEAM,
	    [SIM_R_DIVISIONS_LIST] = SIM_CAT_DIVISION,
	};
	struct sim_result res = {0};
	json_object *body = NULL;
	const char *del = query_get(req, "delete");

	if (r <= SIM_R_UNKNOWN || r >= SIM_R_COUNT)
		return -1;
	if (id[0] && !gcu_uuid_valid(id)) {
		sim_reply_error(rep, 400, "bad.request", "The id in the path must be a UUID");
		return 0;
	}
	if (r == SIM_R_QUEUE_MEMBERS_POST || r == SIM_R_TEAM_MEMBERS_POST ||
	    r == SIM_R_DIVISION_OBJECTS || r == SIM_R_USERS_SEARCH) {
		body = parse_body(req, rep);
		if (body == NULL)
			return 0;
	}
	/* The handlers answer a bad request into rep themselves, or leave an
	 * org operation's outcome in res. */
	switch (r) {
	case SIM_R_SKILLS_LIST:
	case SIM_R_LANGS_LIST:
	case SIM_R_QUEUES_LIST:
	case SIM_R_TEAMS_LIST:
	case SIM_R_DIVISIONS_LIST:
		listing(sim, listed[r], req, rep);
		break;
	case SIM_R_QUEUE_MEMBERS_GET:
		queue_members(sim, id, req, rep, &res);
		break;
	case SIM_R_TEAM_MEMBERS_GET:
		team_members(sim, id, req, rep, &res);
		break;
	case SIM_R_TEAM_MEMBERS_DELETE:
		team_remove(sim, id, req, &res);
		break;
	case SIM_R_QUEUE_MEMBERS_POST:
		if (del && strcmp(del, "true") != 0 && strcmp(del, "false") != 0)
			result_set(&res, 400, "bad.request", "delete must be true or false");
		else
			sim_groups_queue_update(&sim->org, id, body,
			                        del && strcmp(del, "true") == 0, &res);
		break;
	case SIM_R_TEAM_MEMBERS_POST:
		sim_groups_team_add(&sim->org, id, body, refuse_member, sim, &rep->body, &res);
		break;
	case SIM_R_DIVISION_OBJECTS:
		if (strcmp(item, "USER") != 0)
			result_set(&res, 400, "bad.request",
			           "gcu-sim holds users only: the object type must be USER");
		else
			sim_groups_division_assign(&sim->org, id, body, &res);
		break;
	case SIM_R_USERS_SEARCH:
		sim_search_users(&sim->org, body, &rep->body, &res);
		break;
	default:
		break;
	}
	if (res.status)
		apply_result(rep, &res);
	json_object_put(body);
	return sim_routes_routing_write(r) || r == SIM_R_DIVISION_OBJECTS
	           ? rep->status >= 200 && rep->status < 300
	           : 0;
}
