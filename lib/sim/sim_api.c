/*
 * sim_api.c - the platform's request pipeline and routes (see sim_api.h).
 *
 * The order of the checks follows what a client sees on the real
 * platform: an unknown or expired token is refused before anything is
 * counted against a window; a request over the in-flight cap or over the
 * window's limit is answered 429 without being applied; everything that
 * passes is counted, may still fail by injected fault, and carries the
 * window's state in its headers. No lock is held while a reply is built
 * for the network or while latency is served.
 */
#include "sim_api.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "sim_routes.h"
#include "uuid.h"

#define MAX_IDS 100

struct route {
	enum sim_route r;
	int status; /* 0 when matched, else 404 or 405 */
	char id[64];
	char item[64];
};

int sim_init(struct sim *sim, const struct sim_options *opt, char *err, size_t errlen)
{
	int rc = EX_OSERR;

	memset(sim, 0, sizeof *sim);
	sim->opt = *opt;
	sim->rl.limit = opt->limit;
	sim->rl.window = opt->window;
	sim->rl.background = opt->background;
	sim->rl.count_rejected = opt->count_rejected;
	sim->rl.bucket_rate = opt->bucket_rate;
	sim->rl.bucket_burst = opt->bucket_burst;
	sim_hostile_init(&sim->hostile, opt->hostile);
	if (sim_org_init(&sim->org) < 0 ||
	    sim_auth_init(&sim->auth, opt->client_id, opt->client_secret, opt->token_ttl) < 0 ||
	    sim_stats_init(&sim->stats) < 0 ||
	    sim_faults_init(&sim->faults, opt->seed, opt->latency_ms, opt->jitter_ms,
	                    opt->error_rate, opt->reset_rate, opt->outage, opt->outage_from,
	                    opt->outage_to) < 0) {
		snprintf(err, errlen, "cannot initialise: %s", strerror(errno));
		goto out;
	}
	sim_faults_routes(&sim->faults, opt->route_faults, opt->nroute_faults);
	if (opt->users_file) {
		int r = sim_org_load(&sim->org, opt->users_file, err, errlen);
		if (r == -2) {
			rc = EX_NOINPUT;
			goto out;
		}
		if (r < 0) {
			rc = EX_DATAERR;
			goto out;
		}
	} else if (sim_org_generate(&sim->org, opt->generate, opt->seed, err, errlen) < 0) {
		rc = EX_SOFTWARE;
		goto out;
	}
	rc = 0;
out:
	return rc;
}

void sim_free(struct sim *sim)
{
	sim_org_free(&sim->org);
	sim_auth_free(&sim->auth);
	sim_stats_free(&sim->stats);
	sim_faults_free(&sim->faults);
}

void sim_reply_free(struct sim_reply *rep)
{
	sbuf_free(&rep->body);
	sbuf_free(&rep->big_header);
}

void sim_reply_header(struct sim_reply *rep, const char *name, const char *value)
{
	if (rep->nhdr >= SIM_MAX_HEADERS)
		return;
	snprintf(rep->hdr[rep->nhdr].name, sizeof rep->hdr[0].name, "%s", name);
	snprintf(rep->hdr[rep->nhdr].value, sizeof rep->hdr[0].value, "%s", value);
	rep->nhdr++;
}

void sim_reply_error(struct sim_reply *rep, int status, const char *code, const char *message)
{
	rep->status = status;
	rep->content_type = "application/json";
	rep->body.len = 0;
	if (rep->body.p)
		rep->body.p[0] = '\0';
	sbuf_addf(&rep->body, "{\"status\":%d,\"code\":", status);
	sbuf_add_json_str(&rep->body, code);
	sbuf_adds(&rep->body, ",\"message\":");
	sbuf_add_json_str(&rep->body, message);
	sbuf_adds(&rep->body, "}");
}

void sim_rate_headers(const struct sim_options *opt, const struct sim_rl_result *res, double wall,
                      int is_429, struct sim_reply *rep)
{
	char v[64];
	/* The platform sends whole seconds; milliseconds only when asked. */
	int (*secs)(double, char *, size_t) = opt->fractional ? sim_fmt_seconds : sim_fmt_whole;
	int (*epoch)(double, char *, size_t) = opt->fractional ? sim_fmt_epoch : sim_fmt_whole;

	if (opt->strip_headers || res->bucket)
		return;
	if (opt->limit > 0 && (opt->headers == SIM_HDR_ININ || opt->headers == SIM_HDR_BOTH)) {
		snprintf(v, sizeof v, "%ld", opt->limit);
		sim_reply_header(rep, "inin-ratelimit-allowed", v);
		snprintf(v, sizeof v, "%ld", res->count);
		sim_reply_header(rep, "inin-ratelimit-count", v);
		if (secs(res->reset, v, sizeof v) == 0)
			sim_reply_header(rep, "inin-ratelimit-reset", v);
	}
	if (opt->limit > 0 && (opt->headers == SIM_HDR_X || opt->headers == SIM_HDR_BOTH)) {
		snprintf(v, sizeof v, "%ld", opt->limit);
		sim_reply_header(rep, "X-RateLimit-Limit", v);
		snprintf(v, sizeof v, "%ld", res->count < opt->limit ? opt->limit - res->count : 0);
		sim_reply_header(rep, "X-RateLimit-Remaining", v);
		if (epoch(wall + res->reset, v, sizeof v) == 0)
			sim_reply_header(rep, "X-RateLimit-Reset", v);
	}
	if (!is_429)
		return;
	if (opt->retry_after == SIM_RETRY_NONE)
		return;
	if ((opt->retry_after == SIM_RETRY_DATE
	         ? sim_fmt_http_date(wall + res->room_in, v, sizeof v)
	         : secs(res->room_in, v, sizeof v)) == 0)
		sim_reply_header(rep, "Retry-After", v);
}

/* --- helpers ------------------------------------------------------------- */

const char *query_get(const struct sim_request *req, const char *key)
{
	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].key, key) == 0)
			return req->query[i].value ? req->query[i].value : "";
	return NULL;
}

int query_each(const struct sim_request *req, const char *key,
               int (*fn)(const char *item, size_t len, void *arg), void *arg)
{
	for (size_t i = 0; i < req->nquery; i++) {
		const char *p = req->query[i].value;
		if (strcmp(req->query[i].key, key) != 0 || p == NULL)
			continue;
		while (*p) {
			size_t n = strcspn(p, ",");
			int rc = n > 0 ? fn(p, n, arg) : 0;
			if (rc)
				return rc;
			p += n;
			if (*p == ',')
				p++;
		}
	}
	return 0;
}

struct items {
	char **item;
	size_t n, max;
};

static int item_add(const char *item, size_t len, void *arg)
{
	struct items *it = arg;

	if (it->n == it->max)
		return -1;
	it->item[it->n] = strndup(item, len);
	return it->item[it->n++] == NULL ? -2 : 0;
}

int query_list(const struct sim_request *req, const char *key, size_t max, char **items, size_t *n)
{
	struct items it = {items, 0, max};
	int rc = query_each(req, key, item_add, &it);

	*n = it.n;
	return rc;
}

static int expand_add(const char *item, size_t len, void *arg)
{
	*(int *)arg |= sim_org_expand_flag(item, len);
	return 0;
}

static int expand_of(const struct sim_request *req)
{
	int expand = 0;

	query_each(req, "expand", expand_add, &expand);
	return expand;
}

int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int sim_page_args(const struct sim_request *req, long max, long *size, long *number,
                  struct sim_reply *rep)
{
	const char *v = query_get(req, "pageSize");
	char msg[64];

	*size = 25;
	*number = 1;
	if (v && parse_long(v, 1, max, size) < 0) {
		snprintf(msg, sizeof msg, "pageSize must be 1 to %ld", max);
		sim_reply_error(rep, 400, "bad.request", msg);
		return -1;
	}
	v = query_get(req, "pageNumber");
	if (v && parse_long(v, 1, 1000000000, number) < 0) {
		sim_reply_error(rep, 400, "bad.request", "pageNumber must be a positive integer");
		return -1;
	}
	return 0;
}

static void copy_segment(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = 0; /* too long to be an id: left empty, hence invalid */
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Matches a path under /api/v2 to a route. */
static void route_match(const char *method, const char *path, struct route *rt)
{
	static const char users[] = "/api/v2/users";
	const char *p, *seg2;
	size_t n;
	int is_get = strcmp(method, "GET") == 0, is_patch = strcmp(method, "PATCH") == 0;
	int is_put = strcmp(method, "PUT") == 0, is_delete = strcmp(method, "DELETE") == 0;

	memset(rt, 0, sizeof *rt);
	rt->r = SIM_R_UNKNOWN;
	rt->status = 404;
	if (sim_routes_match(method, path, &rt->r, &rt->status, rt->id, sizeof rt->id, rt->item,
	                     sizeof rt->item))
		return;
	if (strncmp(path, users, sizeof users - 1) != 0)
		return;
	p = path + sizeof users - 1;
	if (*p == '\0' || strcmp(p, "/") == 0) {
		rt->r = SIM_R_USERS;
		rt->status = is_get ? 0 : 405;
		return;
	}
	if (*p != '/')
		return;
	p++;
	n = strcspn(p, "/");
	copy_segment(rt->id, sizeof rt->id, p, n);
	p += n;
	if (*p == '\0') {
		rt->r = is_patch    ? SIM_R_USER_PATCH
		        : is_delete ? SIM_R_USER_DELETE
		                    : SIM_R_USER_GET;
		rt->status = (is_get || is_patch || is_delete) ? 0 : 405;
		return;
	}
	p++;
	n = strcspn(p, "/");
	seg2 = p;
	p += n;
	if (n == 13 && strncmp(seg2, "routingstatus", n) == 0) {
		if (*p)
			return;
		rt->r = is_put ? SIM_R_STATUS_PUT : SIM_R_STATUS_GET;
		rt->status = (is_get || is_put) ? 0 : 405;
		return;
	}
	int skills = n == 13 && strncmp(seg2, "routingskills", n) == 0;
	int langs = n == 16 && strncmp(seg2, "routinglanguages", n) == 0;
	if (!skills && !langs)
		return;
	if (*p == '\0' || strcmp(p, "/") == 0) {
		rt->r = skills ? SIM_R_SKILLS_GET : SIM_R_LANGS_GET;
		rt->status = is_get ? 0 : 405;
		return;
	}
	p++;
	n = strcspn(p, "/");
	if (p[n] != '\0')
		return;
	if (n == 4 && strncmp(p, "bulk", 4) == 0) {
		rt->r = skills ? SIM_R_SKILLS_BULK : SIM_R_LANGS_BULK;
		rt->status = is_patch ? 0 : 405;
		return;
	}
	copy_segment(rt->item, sizeof rt->item, p, n);
	rt->r = skills ? SIM_R_SKILL_DELETE : SIM_R_LANG_DELETE;
	rt->status = is_delete ? 0 : 405;
}

json_object *parse_body(const struct sim_request *req, struct sim_reply *rep)
{
	json_tokener *tok;
	json_object *o;

	if (req->body == NULL || req->body_len == 0) {
		sim_reply_error(rep, 400, "bad.request", "A JSON request body is required");
		return NULL;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		sim_reply_error(rep, 500, "internal.server.error", "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, req->body, (int)req->body_len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != req->body_len) {
		size_t end = json_tokener_get_parse_end(tok);
		int trailing_ok = json_tokener_get_error(tok) == json_tokener_success;
		for (; trailing_ok && end < req->body_len; end++)
			if (!strchr(" \t\r\n", req->body[end]))
				trailing_ok = 0;
		if (!trailing_ok) {
			json_object_put(o);
			o = NULL;
			sim_reply_error(rep, 400, "bad.request",
			                "The request body is not valid JSON");
		}
	}
	json_tokener_free(tok);
	return o;
}

void apply_result(struct sim_reply *rep, const struct sim_result *res)
{
	if (res->code)
		sim_reply_error(rep, res->status, res->code, res->message);
	else
		rep->status = res->status;
}

/* --- the routes ---------------------------------------------------------- */

static void users_query(struct sim *sim, const struct sim_request *req, struct sim_reply *rep)
{
	const char *ids[MAX_IDS];
	char *copies[MAX_IDS];
	size_t nids = 0;
	long page_size, page_number;
	const char *v;
	int state = SIM_ACTIVE;

	switch (query_list(req, "id", MAX_IDS, copies, &nids)) {
	case 0:
		break;
	case -1:
		sim_reply_error(rep, 400, "bad.request",
		                "At most 100 ids may be requested at once");
		goto out;
	default:
		sim_reply_error(rep, 500, "internal.server.error", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nids; i++) {
		ids[i] = copies[i];
		if (!gcu_uuid_valid(ids[i])) {
			sim_reply_error(rep, 400, "bad.request", "Every id must be a UUID");
			goto out;
		}
	}
	if (sim_page_args(req, SIM_USERS_PAGE, &page_size, &page_number, rep) < 0)
		goto out;
	v = query_get(req, "state");
	if (v) {
		if (strcmp(v, "active") == 0)
			state = SIM_ACTIVE;
		else if (strcmp(v, "inactive") == 0)
			state = SIM_INACTIVE;
		else if (strcmp(v, "deleted") == 0)
			state = SIM_DELETED;
		else if (strcmp(v, "any") == 0)
			state = -1;
		else {
			sim_reply_error(rep, 400, "bad.request",
			                "state must be active, inactive, deleted or any");
			goto out;
		}
	}
	sim_org_query(&sim->org, ids, nids, state, expand_of(req), page_size, page_number,
	              &rep->body);
	rep->status = 200;
out:
	for (size_t i = 0; i < nids; i++)
		free(copies[i]);
}

/* Runs a matched /api/v2 route; returns 1 when it changed the org. */
static int dispatch(struct sim *sim, const struct route *rt, const struct sim_request *req,
                    struct sim_reply *rep)
{
	struct sim_result res = {0};
	json_object *body = NULL;
	enum sim_kind kind = SIM_SKILLS;
	char iso[40];
	int wrote = sim_routes_dispatch(sim, rt->r, rt->id, rt->item, req, rep);

	if (wrote >= 0)
		return wrote;
	wrote = 0;
	if (rt->r != SIM_R_USERS && !gcu_uuid_valid(rt->id)) {
		sim_reply_error(rep, 400, "bad.request", "The user id must be a UUID");
		goto out;
	}
	switch (rt->r) {
	case SIM_R_USERS:
		users_query(sim, req, rep);
		break;
	case SIM_R_USER_GET: {
		const char *state = query_get(req, "state");
		sim_org_get(&sim->org, rt->id, state && strcmp(state, "deleted") == 0,
		            expand_of(req), &rep->body, &res);
		apply_result(rep, &res);
		break;
	}
	case SIM_R_USER_DELETE:
		sim_org_delete(&sim->org, rt->id, &rep->body, &res);
		apply_result(rep, &res);
		wrote = res.status == 200;
		break;
	case SIM_R_USER_PATCH:
		body = parse_body(req, rep);
		if (body == NULL)
			break;
		sim_org_patch(&sim->org, rt->id, body, sim->opt.conflict_as_400, &rep->body, &res);
		apply_result(rep, &res);
		wrote = res.status == 200;
		if (res.status == 409 ||
		    (res.status == 400 && strstr(res.message, "does not match")))
			sim_stats_add(&sim->stats, SIM_C_CONFLICTS, 1);
		break;
	case SIM_R_LANGS_GET:
		kind = SIM_LANGUAGES;
		/* fall through */
	case SIM_R_SKILLS_GET:
		sim_org_routing_get(&sim->org, rt->id, kind, &rep->body, &res);
		apply_result(rep, &res);
		break;
	case SIM_R_LANGS_BULK:
		kind = SIM_LANGUAGES;
		/* fall through */
	case SIM_R_SKILLS_BULK:
		body = parse_body(req, rep);
		if (body == NULL)
			break;
		sim_org_routing_bulk(&sim->org, rt->id, kind, body, &rep->body, &res);
		apply_result(rep, &res);
		wrote = res.status == 200;
		break;
	case SIM_R_LANG_DELETE:
		kind = SIM_LANGUAGES;
		/* fall through */
	case SIM_R_SKILL_DELETE:
		if (!gcu_uuid_valid(rt->item)) {
			sim_reply_error(rep, 400, "bad.request",
			                "The skill or language id must be a UUID");
			break;
		}
		sim_org_routing_delete(&sim->org, rt->id, kind, rt->item, &res);
		apply_result(rep, &res);
		wrote = res.status == 204;
		break;
	case SIM_R_STATUS_PUT:
		body = parse_body(req, rep);
		if (body == NULL)
			break;
		/* fall through */
	case SIM_R_STATUS_GET:
		if (sim_fmt_iso(sim_wall(sim_now()), iso, sizeof iso) < 0)
			iso[0] = '\0';
		sim_org_status(&sim->org, rt->id, body, iso, &rep->body, &res);
		apply_result(rep, &res);
		wrote = rt->r == SIM_R_STATUS_PUT && res.status == 200;
		break;
	default:
		sim_reply_error(rep, 404, "not.found", "No such route");
		break;
	}
out:
	json_object_put(body);
	return wrote;
}

/* --- the pipeline -------------------------------------------------------- */

static void admin(struct sim *sim, const struct sim_request *req, struct sim_reply *rep)
{
	int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;

	if (strcmp(req->path, "/__sim/state") == 0 && get) {
		const char *all = query_get(req, "catalog");
		rep->status = 200;
		rep->content_type = "application/x-ndjson";
		if (all && strcmp(all, "1") == 0)
			sim_org_state_all(&sim->org, &rep->body);
		else
			sim_org_state(&sim->org, &rep->body);
	} else if (strcmp(req->path, "/__sim/stats") == 0 && get) {
		json_object *peaks = json_object_new_object();
		json_object *st;
		pthread_mutex_lock(&sim->auth.lock);
		for (size_t i = 0; i < sim->auth.n; i++) {
			char key[9];
			memcpy(key, sim->auth.tokens[i]->token, 8);
			key[8] = '\0';
			json_object_object_add(
			    peaks, key, json_object_new_int64(sim->auth.tokens[i]->peak_inflight));
		}
		pthread_mutex_unlock(&sim->auth.lock);
		st = sim_stats_json(&sim->stats, sim_now(), peaks);
		rep->status = 200;
		sbuf_adds(&rep->body,
		          json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN |
		                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(st);
	} else if (strcmp(req->path, "/__sim/reset-stats") == 0 && post) {
		sim_stats_reset(&sim->stats);
		pthread_mutex_lock(&sim->auth.lock);
		for (size_t i = 0; i < sim->auth.n; i++)
			sim->auth.tokens[i]->peak_inflight = 0;
		pthread_mutex_unlock(&sim->auth.lock);
		rep->status = 204;
	} else if (strcmp(req->path, "/__sim/state") == 0 ||
	           strcmp(req->path, "/__sim/stats") == 0 ||
	           strcmp(req->path, "/__sim/reset-stats") == 0) {
		sim_reply_error(rep, 405, "method.not.allowed", "Method not allowed");
	} else {
		sim_reply_error(rep, 404, "not.found", "No such route");
	}
}

static int form_has_grant(const char *body)
{
	const char *p = body;

	while (p && *p) {
		size_t n = strcspn(p, "&");
		if (n == 29 && strncmp(p, "grant_type=client_credentials", 29) == 0)
			return 1;
		p += n;
		if (*p == '&')
			p++;
	}
	return 0;
}

static void token_endpoint(struct sim *sim, const struct sim_request *req, struct sim_reply *rep)
{
	char token[SIM_TOKEN_LEN + 1];

	if (strcmp(req->method, "POST") != 0) {
		sim_reply_error(rep, 405, "method.not.allowed", "Use POST");
		return;
	}
	if (!sim_auth_basic_ok(&sim->auth, req->authorization)) {
		sim_reply_error(rep, 401, "authentication.required",
		                "Client authentication failed: wrong client id or secret");
		return;
	}
	if (!form_has_grant(req->body)) {
		sim_reply_error(rep, 400, "bad.request", "grant_type must be client_credentials");
		return;
	}
	if (sim_auth_issue(&sim->auth, sim_now(), token) < 0) {
		sim_reply_error(rep, 500, "internal.server.error", "cannot issue a token");
		return;
	}
	sim_stats_add(&sim->stats, SIM_C_TOKENS, 1);
	rep->status = 200;
	sbuf_adds(&rep->body, "{\"access_token\":\"");
	sbuf_adds(&rep->body, token);
	if (sim->opt.token_ttl == floor(sim->opt.token_ttl))
		sbuf_addf(&rep->body, "\",\"token_type\":\"bearer\",\"expires_in\":%.0f}",
		          sim->opt.token_ttl);
	else
		sbuf_addf(&rep->body, "\",\"token_type\":\"bearer\",\"expires_in\":%.3f}",
		          sim->opt.token_ttl);
	explicit_bzero(token, sizeof token);
}

static void serve_delay(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int is_routing_write(enum sim_route r)
{
	return r == SIM_R_SKILLS_BULK || r == SIM_R_SKILL_DELETE || r == SIM_R_LANGS_BULK ||
	       r == SIM_R_LANG_DELETE || r == SIM_R_STATUS_PUT || sim_routes_routing_write(r);
}

static void api(struct sim *sim, const struct sim_request *req, struct sim_reply *rep,
                enum sim_route *route_out)
{
	struct sim_rl_result rl = {1, 0, 0, 0};
	struct sim_token *tok;
	struct route rt;
	long inflight;
	int over = 0, is_429 = 0, fate;
	double now = sim_now();

	route_match(req->method, req->path, &rt);
	*route_out = rt.r;
	pthread_mutex_lock(&sim->auth.lock);
	tok = sim_auth_lookup(&sim->auth, req->authorization, now);
	if (tok) {
		inflight = ++tok->inflight;
		if (inflight > tok->peak_inflight)
			tok->peak_inflight = inflight;
		over = sim->opt.max_inflight > 0 && inflight > sim->opt.max_inflight;
	}
	pthread_mutex_unlock(&sim->auth.lock);
	if (tok == NULL) {
		sim_reply_error(rep, 401, "bad.credentials",
		                "Invalid login credentials: the access token is missing, unknown "
		                "or expired");
		return;
	}
	sim_stats_inflight(&sim->stats, inflight);
	serve_delay(sim_faults_delay(&sim->faults));
	now = sim_now();

	pthread_mutex_lock(&sim->auth.lock);
	if (sim_faults_in_outage(&sim->faults, now) || over)
		sim_rl_peek(&sim->rl, &tok->window, now, &rl);
	else
		sim_rl_check(&sim->rl, &tok->window, now, &rl);
	pthread_mutex_unlock(&sim->auth.lock);

	if (sim_faults_in_outage(&sim->faults, now)) {
		sim_stats_add(&sim->stats, SIM_C_F_OUTAGE, 1);
		sim_reply_error(rep, 503, "service.unavailable",
		                "The service is temporarily unavailable");
		goto headers;
	}
	if (over || !rl.admitted) {
		char msg[128];
		long secs = (long)ceil(rl.room_in - 1e-6);
		if (over) {
			sim_stats_add(&sim->stats, SIM_C_F_INFLIGHT, 1);
			rl.reset = rl.reset < 1 ? rl.reset : 1;
			rl.room_in = rl.reset;
			secs = 1;
		}
		sim_stats_add(&sim->stats, SIM_C_RATE_LIMITED, 1);
		sim_stats_tick(&sim->stats, now, 0);
		if (sim->opt.fake_200) {
			sim_stats_add(&sim->stats, SIM_C_F_FAKE200, 1);
			rep->status = 200;
			sbuf_adds(&rep->body, "{}");
			goto done;
		}
		snprintf(msg, sizeof msg,
		         "Rate limit exceeded the maximum. Retry the request in [%ld] seconds",
		         secs < 1 ? 1 : secs);
		sim_reply_error(rep, 429, "too.many.requests.retry.after", msg);
		is_429 = 1;
		goto headers;
	}
	sim_stats_tick(&sim->stats, now, 1);
	if (sim->opt.limit > 0)
		sim_stats_window(&sim->stats, rl.count);
	fate = sim_faults_route(&sim->faults, rt.r);
	if (fate > 0)
		sim_stats_add(&sim->stats, SIM_C_F_ROUTE, 1);
	else
		fate = sim_faults_roll(&sim->faults);
	if (fate < 0) {
		sim_stats_add(&sim->stats, SIM_C_F_RESETS, 1);
		rep->drop = 1;
		goto done;
	}
	if (fate > 0) {
		sim_stats_add(&sim->stats, SIM_C_F_ERRORS, 1);
		sim_reply_error(rep, fate, "internal.server.error",
		                "The server encountered an error; the request was not applied");
		goto headers;
	}
	if (req->body_too_large) {
		sim_reply_error(rep, 413, "request.entity.too.large",
		                "The request body exceeds 1 MiB");
		goto headers;
	}
	if (rt.status) {
		if (rt.status == 405)
			sim_reply_error(rep, 405, "method.not.allowed",
			                "The method is not allowed on this resource");
		else
			sim_reply_error(rep, 404, "not.found", "No such route");
		goto headers;
	}
	if (dispatch(sim, &rt, req, rep)) {
		sim_stats_add(&sim->stats, SIM_C_WRITES, 1);
		if (sim->opt.propagation > 0 && sim->opt.limit > 0 && is_routing_write(rt.r)) {
			pthread_mutex_lock(&sim->auth.lock);
			sim_rl_propagate(&tok->window, now, sim->opt.propagation,
			                 sim->opt.window / 4);
			pthread_mutex_unlock(&sim->auth.lock);
		}
	}
headers:
	sim_rate_headers(&sim->opt, &rl, sim_wall(now), is_429, rep);
done:
	pthread_mutex_lock(&sim->auth.lock);
	tok->inflight--;
	pthread_mutex_unlock(&sim->auth.lock);
}

void sim_handle(struct sim *sim, const struct sim_request *req, struct sim_reply *rep)
{
	enum sim_route route = SIM_R_UNKNOWN;

	rep->content_type = "application/json";
	if (strncmp(req->path, "/__sim/", 7) == 0) {
		admin(sim, req, rep);
		return;
	}
	if (strcmp(req->path, "/oauth/token") == 0) {
		route = SIM_R_TOKEN;
		if (req->body_too_large)
			sim_reply_error(rep, 413, "request.entity.too.large",
			                "The request body exceeds 1 MiB");
		else
			token_endpoint(sim, req, rep);
	} else if (strncmp(req->path, "/api/v2/", 8) == 0 || strcmp(req->path, "/api/v2") == 0) {
		if (sim_hostile_pre(&sim->hostile, rep)) {
			struct route rt;
			route_match(req->method, req->path, &rt);
			route = rt.r;
		} else {
			api(sim, req, rep, &route);
		}
		sim_hostile_post(&sim->hostile, rep);
	} else {
		sim_reply_error(rep, 404, "not.found", "No such route");
	}
	if (rep->status == 0 && !rep->drop)
		rep->status = 500;
	sim_stats_request(&sim->stats, sim_method_of(req->method), route,
	                  rep->drop ? 0 : rep->status);
	sim_log(3, "%s %s %d", req->method, req->path, rep->drop ? 0 : rep->status);
}
