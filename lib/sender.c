/*
 * sender.c - the dispatch engine: units of work per user, the loop that
 * feeds the HTTP layer under the pacer, and the handling of every answer.
 *
 * A unit is the run of consecutive request records of one user and scope.
 * A unit has at most one transfer out at a time, embedded in it, so the
 * order of a user's requests is kept and nothing needs a separate
 * allocation per request. The input is read ahead only so far
 * (READAHEAD units), which keeps memory flat however long the input is.
 */
#include "sender.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backoff.h"
#include "change.h"
#include "clock.h"
#include "endpoints.h"
#include "merge.h"
#include "userdoc.h"
#include "uuid.h"

#define READAHEAD      256
#define PROGRESS_EVERY 0.5
/* Longest wait between two looks at signals, progress and input. */
#define MAX_WAIT 0.25
/* Wait while the input has no complete line yet. */
#define INPUT_WAIT 0.01

struct request {
	json_object *rec; /* the request record */
	char *raw;        /* its line as read, for --failed */
	size_t raw_len;
	json_object *body_override; /* the body of a re-merge after a conflict */
	int attempts;               /* sends of this request */
	int rate_tries, server_tries;
	int conflicted; /* a conflict was seen: a later success resolves it */
	int retrying;   /* the next send repeats it after a 429, 5xx or reset */
	double first_sent;
};

struct engine;

struct transfer {
	struct engine *e;
	struct unit *u;
	uint64_t seq;
	int refetch;
	int token_gen;
};

struct unit {
	char id[40];
	enum gcu_scope scope;
	struct request *reqs;
	size_t n, cap, next;
	long version;  /* current version after a versioned success, -1 unknown */
	int conflicts; /* in a row */
	int parked;    /* 1 once parked: the next conflict is final */
	int refetch;   /* the next transfer re-reads the user */
	int busy;      /* a transfer is out */
	int sealed;    /* no more lines can join */
	int waits_for; /* earlier units of the same user not finished yet */
	double not_before;
	struct transfer xfer;
	struct unit *next_unit;
};

struct engine {
	const struct gcu_send_opts *o;
	const struct gcu_config *cfg;
	struct gcu_send_stats *st;
	struct gcu_pacer pacer;
	struct unit *head, *tail;
	size_t nunits;
	int inflight;
	int eof;
	int fatal;
	int token_gen;
	int refreshed;         /* the current token came from a refresh */
	int ok_since_auth;     /* a request succeeded with the current token */
	int expired_refreshes; /* refreshes of expired tokens since the last success */
	int said_auth;
	long waiting;           /* units that wait for an earlier unit of their user */
	char last_trouble[400]; /* the last 5xx or transport error, named when the run stops */
	int unflushed;          /* results written since the last flush */
	uint64_t rng;
	double last_progress;
	char *err;
	size_t errlen;
};

const char *gcu_result_name(enum gcu_result_status s)
{
	static const char *const names[] = {"ok",       "unchanged",   "failed",
	                                    "conflict", "interrupted", "rejected"};
	return (unsigned)s < GCU_RESULT_NSTATUS ? names[s] : "?";
}

static void set_fatal(struct engine *e, const char *what, int errnum)
{
	if (!e->fatal)
		snprintf(e->err, e->errlen, "%s: %s", what, strerror(errnum));
	e->fatal = 1;
}

static void write_line(struct engine *e, json_object *line)
{
	if (ndjson_write(e->o->out, line) < 0)
		set_fatal(e, e->o->out->name, e->o->out->error);
	e->unflushed = 1;
}

/* Results stream: what finished reaches the reader (a pipe, or a file
 * that a kill -9 would cut) before the loop waits again, not when stdio's
 * buffer happens to fill. */
static void flush_results(struct engine *e)
{
	if (!e->unflushed)
		return;
	e->unflushed = 0;
	if (ndjson_flush(e->o->out) < 0)
		set_fatal(e, e->o->out->name, e->o->out->error);
}

static int is_versioned(const char *op)
{
	return op && (strcmp(op, "user") == 0 || strcmp(op, "state") == 0);
}

static json_object *result_line(struct request *r, enum gcu_result_status status, long http,
                                long version, const char *error, double now)
{
	json_object *rec = r->rec, *out = json_object_new_object();
	static const char *const head[] = {"id", "src", "scope", "op"};

	for (size_t i = 0; i < sizeof head / sizeof *head; i++)
		json_object_object_add(out, head[i], json_object_get(gcu_json_get(rec, head[i])));
	json_object_object_add(out, "status", json_object_new_string(gcu_result_name(status)));
	json_object_object_add(out, "http", http > 0 ? json_object_new_int((int)http) : NULL);
	json_object_object_add(out, "attempts", json_object_new_int(r->attempts));
	json_object_object_add(out, "version",
	                       version >= 0 ? json_object_new_int64(version) : NULL);
	json_object_object_add(
	    out, "ms",
	    json_object_new_int64(r->attempts ? (int64_t)llround((now - r->first_sent) * 1000)
	                                      : 0));
	json_object_object_add(out, "error", error ? json_object_new_string(error) : NULL);
	/* When the result was written (epoch seconds), for timelines. */
	char at[32];
	snprintf(at, sizeof at, "%.3f", gcu_wall());
	json_object_object_add(out, "at", json_object_new_double_s(strtod(at, NULL), at));
	json_object_object_add(out, "path", json_object_get(gcu_json_get(rec, "path")));
	json_object *part = gcu_json_get(rec, "part");
	if (part != NULL)
		json_object_object_add(out, "part", json_object_get(part));
	json_object_object_add(out, "changes", json_object_get(gcu_json_get(rec, "changes")));
	return out;
}

static void free_unit(struct unit *u)
{
	for (size_t i = 0; i < u->n; i++) {
		json_object_put(u->reqs[i].rec);
		json_object_put(u->reqs[i].body_override);
		free(u->reqs[i].raw);
	}
	free(u->reqs);
	free(u);
}

static void drop_finished_units(struct engine *e)
{
	struct unit **pp = &e->head;
	e->tail = NULL;
	while (*pp) {
		struct unit *u = *pp;
		if (u->sealed && u->next >= u->n && !u->busy) {
			*pp = u->next_unit;
			e->nunits--;
			free_unit(u);
			continue;
		}
		e->tail = u;
		pp = &u->next_unit;
	}
}

/* Writes the result of the unit's current request and moves on. */
static void finish(struct engine *e, struct unit *u, enum gcu_result_status status, long http,
                   long version, const char *error)
{
	struct request *r = &u->reqs[u->next];
	double now = gcu_now();
	json_object *line = result_line(r, status, http, version, error, now);

	write_line(e, line);
	json_object_put(line);
	e->st->results[status]++;
	if ((status == GCU_RESULT_FAILED || status == GCU_RESULT_CONFLICT) && e->o->failed &&
	    ndjson_write_raw(e->o->failed, r->raw, r->raw_len) < 0)
		set_fatal(e, e->o->failed->name, e->o->failed->error);
	if (status == GCU_RESULT_OK) {
		u->conflicts = 0;
		u->parked = 0;
	}
	if ((status == GCU_RESULT_FAILED || status == GCU_RESULT_CONFLICT) && e->o->verbose &&
	    e->o->notice) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s: %s %s: %s: %s", gcu_json_str(r->rec, "src"),
		         gcu_json_str(r->rec, "method"), gcu_json_str(r->rec, "path"),
		         gcu_result_name(status), error ? error : "");
		e->o->notice(e->o->ctx, msg);
	}
	u->refetch = 0;
	if (++u->next == u->n && e->waiting > 0)
		for (struct unit *p = u->next_unit; p; p = p->next_unit)
			if (p->waits_for > 0 && strcasecmp(p->id, u->id) == 0 &&
			    --p->waits_for == 0)
				e->waiting--;
}

/* --- input -------------------------------------------------------------- */

/* src as a result may carry it: a string of at most this many bytes. */
#define SRC_MAX 1024

/*
 * A line that is not a request gcu may send (rec may be NULL: not a JSON
 * object; line NULL: too long to have been kept). Its result says why and
 * names the line; the line goes to --failed as it was read.
 */
static void reject(struct engine *e, json_object *rec, const char *line, size_t len,
                   unsigned long lineno, const char *why)
{
	json_object *out = json_object_new_object();
	json_object *src = gcu_json_get(rec, "src");
	const char *id = gcu_json_str(rec, "id"), *scope = gcu_json_str(rec, "scope");
	char *where = NULL;

	if (gcu_uuid_valid(id))
		json_object_object_add(out, "id", json_object_new_string(id));
	if (json_object_is_type(src, json_type_string) &&
	    json_object_get_string_len(src) <= SRC_MAX &&
	    strlen(json_object_get_string(src)) == (size_t)json_object_get_string_len(src))
		json_object_object_add(out, "src", json_object_get(src));
	if (gcu_scope_parse(scope) != GCU_SCOPE_NONE)
		json_object_object_add(out, "scope", json_object_new_string(scope));
	json_object_object_add(out, "status", json_object_new_string("rejected"));
	json_object_object_add(out, "error", json_object_new_string(why));
	if (asprintf(&where, "%s:%lu", e->o->in->name, lineno) < 0) {
		json_object_put(out);
		set_fatal(e, "rejecting a line", ENOMEM);
		return;
	}
	json_object_object_add(out, "line", json_object_new_string(where));
	free(where);
	write_line(e, out);
	json_object_put(out);
	e->st->results[GCU_RESULT_REJECTED]++;
	if (line && e->o->failed && ndjson_write_raw(e->o->failed, line, len) < 0)
		set_fatal(e, e->o->failed->name, e->o->failed->error);
	e->o->report(e->o->ctx, e->o->in->name, lineno, why);
}

/* A line of merge's that needs no request: copied as its result. */
static void passthrough(struct engine *e, json_object *rec, const char *status)
{
	json_object *out = json_object_new_object();
	static const char *const keys[] = {"id", "src", "scope"};
	for (size_t i = 0; i < 3; i++)
		json_object_object_add(out, keys[i], json_object_get(gcu_json_get(rec, keys[i])));
	json_object_object_add(out, "status", json_object_new_string(status));
	json_object *error = gcu_json_get(rec, "error");
	if (error != NULL)
		json_object_object_add(out, "error", json_object_get(error));
	write_line(e, out);
	json_object_put(out);
	e->st->results[strcmp(status, "failed") == 0 ? GCU_RESULT_FAILED : GCU_RESULT_UNCHANGED]++;
}

/* Every line has a user and a scope; a request line is one that gcu may
 * send (endpoints.h), method, path and body. */
static int check_request(json_object *rec, int request, char *why, size_t len)
{
	if (!gcu_uuid_valid(gcu_json_str(rec, "id"))) {
		snprintf(why, len, "missing or non-UUID id");
		return -1;
	}
	if (gcu_scope_parse(gcu_json_str(rec, "scope")) == GCU_SCOPE_NONE) {
		snprintf(why, len, "missing or unknown scope");
		return -1;
	}
	return request ? gcu_request_check(rec, NULL, why, len) : 0;
}

static void dry_run_line(struct engine *e, json_object *rec)
{
	json_object *body = gcu_json_get(rec, "body");
	char *line = NULL;
	size_t blen = 0;
	const char *b = body ? ndjson_string(body, &blen) : "";
	int n = asprintf(&line, "%s %s%s%s", gcu_json_str(rec, "method"), gcu_json_str(rec, "path"),
	                 body ? " " : "", b);
	if (n < 0) {
		set_fatal(e, "dry run", ENOMEM);
		return;
	}
	if (ndjson_write_raw(e->o->out, line, (size_t)n) < 0)
		set_fatal(e, e->o->out->name, e->o->out->error);
	free(line);
}

static struct unit *new_unit(struct engine *e, const char *id, enum gcu_scope scope)
{
	struct unit *u = calloc(1, sizeof *u);
	if (u == NULL)
		return NULL;
	snprintf(u->id, sizeof u->id, "%s", id);
	u->scope = scope;
	u->version = -1;
	u->xfer.e = e;
	u->xfer.u = u;
	/* A user's units run in input order: count those still ahead. */
	for (const struct unit *p = e->head; p; p = p->next_unit)
		if (p->next < p->n && strcasecmp(p->id, id) == 0)
			u->waits_for++;
	if (u->waits_for > 0)
		e->waiting++;
	if (e->tail)
		e->tail->sealed = 1;
	if (e->tail)
		e->tail->next_unit = u;
	else
		e->head = u;
	e->tail = u;
	e->nunits++;
	return u;
}

static void add_request(struct engine *e, json_object *rec, const char *raw, size_t len)
{
	const char *id = gcu_json_str(rec, "id");
	enum gcu_scope scope = gcu_scope_parse(gcu_json_str(rec, "scope"));
	struct unit *u = e->tail;

	if (u == NULL || u->sealed || strcasecmp(u->id, id) != 0 || u->scope != scope)
		u = new_unit(e, id, scope);
	if (u == NULL)
		goto oom;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 2;
		struct request *grown = realloc(u->reqs, cap * sizeof *grown);
		if (grown == NULL)
			goto oom;
		u->reqs = grown;
		u->cap = cap;
	}
	struct request *r = &u->reqs[u->n];
	memset(r, 0, sizeof *r);
	r->raw = strndup(raw, len);
	if (r->raw == NULL)
		goto oom;
	r->raw_len = len;
	r->rec = json_object_get(rec);
	u->n++;
	return;
oom:
	set_fatal(e, "reading requests", ENOMEM);
}

/* Handles one input line. */
static void take_line(struct engine *e, const char *line, size_t len, unsigned long lineno)
{
	char why[512], key[2200];
	json_object *rec = ndjson_parse_object(line, len, why, sizeof why);
	const char *status;

	if (rec == NULL)
		goto refused;
	e->st->records++;
	status = gcu_json_str(rec, "status");
	if (status != NULL && strcmp(status, "unchanged") != 0 && strcmp(status, "failed") != 0) {
		snprintf(why, sizeof why, "status is not a merge status (unchanged or failed)");
		goto refused;
	}
	if (check_request(rec, status == NULL, why, sizeof why) < 0)
		goto refused;
	if (status != NULL) {
		passthrough(e, rec, status);
		json_object_put(rec);
		return;
	}
	e->st->requests++;
	if (e->o->resume && gcu_resume_key(rec, key, sizeof key) == 0) {
		json_object *done = gcu_resume_done(e->o->resume, key);
		if (done != NULL) {
			const char *s = gcu_json_str(done, "status");
			write_line(e, done);
			e->st->resumed++;
			e->st->results[strcmp(s, "ok") == 0 ? GCU_RESULT_OK
			                                    : GCU_RESULT_UNCHANGED]++;
			json_object_put(rec);
			return;
		}
	}
	if (e->o->dry_run) {
		dry_run_line(e, rec);
	} else if (e->o->fail_all) {
		struct request r = {.rec = rec, .raw = (char *)line, .raw_len = len};
		json_object *out = result_line(&r, GCU_RESULT_FAILED, 0, -1, e->o->fail_all, 0);
		write_line(e, out);
		json_object_put(out);
		e->st->results[GCU_RESULT_FAILED]++;
		if (e->o->failed && ndjson_write_raw(e->o->failed, line, len) < 0)
			set_fatal(e, e->o->failed->name, e->o->failed->error);
	} else {
		add_request(e, rec, line, len);
	}
	json_object_put(rec);
	return;
refused:
	if (rec == NULL)
		e->st->records++;
	reject(e, rec, line, len, lineno, why);
	json_object_put(rec);
}

/* Reads input until READAHEAD units wait or no complete line is there. */
static void fill(struct engine *e)
{
	struct ndjson_reader *in = e->o->in;
	char why[128];

	while (!e->eof && !e->fatal && e->nunits < READAHEAD) {
		enum ndjson_status s = ndjson_read(in);
		switch (s) {
		case NDJSON_AGAIN:
			return;
		case NDJSON_EOF:
			e->eof = 1;
			if (e->tail)
				e->tail->sealed = 1;
			return;
		case NDJSON_IO_ERROR:
			set_fatal(e, in->name, errno);
			return;
		case NDJSON_TOO_LONG:
			e->st->records++;
			snprintf(why, sizeof why, "line longer than %zu bytes", in->max_line);
			reject(e, NULL, NULL, 0, in->lineno, why);
			break;
		case NDJSON_LINE:
			if (in->line_len > 0)
				take_line(e, in->line, in->line_len, in->lineno);
			break;
		}
	}
}

/* --- sending ------------------------------------------------------------ */

static void on_done(struct gcu_http *h, void *user, const struct gcu_http_response *resp);

/* The body to send: a re-merged one, or the record's, with the version
 * this run last saw for a versioned PATCH. New reference or NULL. */
static json_object *body_for(struct unit *u, struct request *r)
{
	json_object *body = r->body_override ? r->body_override : gcu_json_get(r->rec, "body");
	if (body == NULL)
		return NULL;
	if (u->version >= 0 && is_versioned(gcu_json_str(r->rec, "op")) &&
	    json_object_is_type(body, json_type_object)) {
		json_object *copy = NULL;
		if (json_object_deep_copy(body, &copy, NULL) == 0) {
			json_object_object_add(copy, "version", json_object_new_int64(u->version));
			return copy;
		}
	}
	return json_object_get(body);
}

static void send_unit(struct engine *e, struct unit *u, double now)
{
	struct request *r = &u->reqs[u->next];
	json_object *body = NULL;
	char path[96];
	const char *method, *target;
	const char *text = NULL;
	size_t len = 0;

	if (u->refetch) {
		snprintf(path, sizeof path, "/api/v2/users/%s", u->id);
		method = "GET";
		target = path;
	} else {
		method = gcu_json_str(r->rec, "method");
		target = gcu_json_str(r->rec, "path");
		body = body_for(u, r);
		if (body != NULL)
			text = ndjson_string(body, &len);
	}
	u->xfer.refetch = u->refetch;
	u->xfer.token_gen = e->token_gen;
	if (gcu_http_submit(e->o->http, method, target, text, len, on_done, &u->xfer) < 0) {
		json_object_put(body);
		finish(e, u, GCU_RESULT_FAILED, 0, -1,
		       errno == EINVAL ? "request refused: bad method or path" : strerror(errno));
		return;
	}
	json_object_put(body);
	if (r->attempts == 0)
		r->first_sent = now;
	if (r->retrying && !u->refetch)
		e->st->retries++;
	r->retrying = 0;
	r->attempts++;
	u->xfer.seq = gcu_pacer_sent(&e->pacer, now);
	u->busy = 1;
	e->inflight++;
	e->st->sent++;
}

/* Sends what may go now. Returns the time worth looking again (0: only
 * an answer or input can change things) and why work waits. */
static double dispatch(struct engine *e, double now, enum gcu_pace_block *why)
{
	double wake = 0;

	*why = GCU_PACE_GO;
	for (struct unit *u = e->head; u; u = u->next_unit) {
		double w = 0;
		if (u->busy || !u->sealed || u->next >= u->n)
			continue;
		if (u->not_before > now) {
			if (wake == 0 || u->not_before < wake)
				wake = u->not_before;
			continue;
		}
		if (u->waits_for > 0)
			continue; /* an earlier unit of this user goes first */
		enum gcu_pace_block b = gcu_pacer_check(&e->pacer, u->scope, e->inflight, now, &w);
		if (b != GCU_PACE_GO) {
			*why = b;
			if (w > 0 && (wake == 0 || w < wake))
				wake = w;
			break;
		}
		send_unit(e, u, now);
		if (e->fatal)
			break;
	}
	return wake;
}

/* --- answers ------------------------------------------------------------ */

static void notice(struct engine *e, const char *msg)
{
	if (e->o->notice)
		e->o->notice(e->o->ctx, msg);
}

/*
 * A 401: refresh the token once; a second 401 on a fresh token is final,
 * unless that token's own lifetime has run out meanwhile (an outage or a
 * slow answer can outlast a short-lived token before anything succeeds
 * with it): then it is refreshed again, at most MAX_EXPIRED_REFRESHES
 * times without a success in between.
 */
#define MAX_EXPIRED_REFRESHES 3
static void unauthorised(struct engine *e, struct unit *u, long status)
{
	char why[256];
	int expired = e->o->auth && gcu_auth_expires_in(e->o->auth, gcu_now()) <= 0 &&
	              e->expired_refreshes < MAX_EXPIRED_REFRESHES;

	if (status == 401 && u->xfer.token_gen < e->token_gen)
		return; /* sent with the old token; goes again with the new one */
	if (status == 401 && e->o->auth && (expired || !(e->refreshed && !e->ok_since_auth))) {
		if (gcu_auth_refresh(e->o->auth, why, sizeof why) == 0 &&
		    gcu_http_set_bearer(e->o->http, gcu_auth_bearer(e->o->auth)) == 0) {
			e->token_gen++;
			if (expired && e->refreshed && !e->ok_since_auth)
				e->expired_refreshes++;
			e->refreshed = 1;
			e->ok_since_auth = 0;
			e->st->refreshes++;
			return;
		}
		if (!e->said_auth)
			notice(e, why);
		e->said_auth = 1;
	}
	e->st->auth_failed = 1;
	finish(e, u, GCU_RESULT_FAILED, status, -1,
	       status == 403 ? "HTTP 403: forbidden" : "HTTP 401: not authorised");
}

static int version_conflict(const struct gcu_http_response *r)
{
	if (r->status == 409)
		return 1;
	return r->status == 400 && r->body &&
	       strstr(r->body, "does not match the current version") != NULL;
}

/* Back off one request after a 5xx or a transport error. */
static void server_trouble(struct engine *e, struct unit *u, struct request *r,
                           const struct gcu_http_response *resp, double now)
{
	gcu_http_error_message(resp, e->last_trouble, sizeof e->last_trouble);
	if (++r->server_tries >= e->cfg->retry_server.attempts) {
		e->st->unavailable++;
		finish(e, u, GCU_RESULT_FAILED, resp->status, -1, e->last_trouble);
		return;
	}
	u->not_before = now + gcu_backoff(&e->cfg->retry_server, r->server_tries, &e->rng);
	r->retrying = 1;
}

static void conflict(struct engine *e, struct unit *u, struct request *r, long status, double now)
{
	e->st->conflicts++;
	r->conflicted = 1;
	if (u->parked) {
		finish(e, u, GCU_RESULT_CONFLICT, status, -1,
		       "version conflicts persisted after the cool-down");
		return;
	}
	u->refetch = 1;
	if (++u->conflicts >= e->cfg->retry_conflicts_to_park) {
		/* Others keep writing this user: let them settle, try once more. */
		u->parked = 1;
		u->not_before = now + e->cfg->retry_conflict_cooldown;
		e->st->parked++;
	}
}

/* The answer to a re-read after a conflict: merge the changes again on
 * the user as it is now. */
static void reread(struct engine *e, struct unit *u, struct request *r,
                   const struct gcu_http_response *resp)
{
	char why[256];
	json_object *user = json_tokener_parse(resp->body ? resp->body : "");
	json_object *changes = gcu_json_get(r->rec, "changes");
	const char *op = gcu_json_str(r->rec, "op");
	long version = gcu_user_version(user);

	if (!json_object_is_type(user, json_type_object) || version < 0 ||
	    !json_object_is_type(changes, json_type_object)) {
		json_object_put(user);
		finish(e, u, GCU_RESULT_FAILED, resp->status, -1,
		       "re-reading the user after a conflict gave no versioned user");
		return;
	}
	json_object *current = gcu_user_current(user, changes);
	json_object *reqs = gcu_merge(u->id, current, changes, why, sizeof why);
	json_object *mine = NULL, *q = NULL;
	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++) {
		q = json_object_array_get_idx(reqs, i);
		if (strcmp(gcu_json_str(q, "op"), op) == 0) {
			mine = gcu_json_get(q, "body");
			break;
		}
	}
	/* The changes came with the line: what they merge into must be a
	 * request gcu may send, as much as the line's own body was. */
	char refused[200];
	if (mine != NULL && gcu_request_check(q, u->id, refused, sizeof refused) < 0) {
		snprintf(why, sizeof why, "the request re-merged after a conflict is refused: %s",
		         refused);
		json_object_put(reqs);
		reqs = NULL;
		mine = NULL;
	}
	u->refetch = 0;
	u->version = version;
	if (reqs == NULL) {
		finish(e, u, GCU_RESULT_FAILED, resp->status, -1, why);
	} else if (mine == NULL) {
		e->st->resolved++;
		finish(e, u, GCU_RESULT_UNCHANGED, resp->status, version, NULL);
	} else {
		json_object_put(r->body_override);
		r->body_override = json_object_get(mine);
	}
	json_object_put(reqs);
	json_object_put(current);
	json_object_put(user);
}

static void answered(struct engine *e, struct unit *u, const struct gcu_http_response *resp,
                     double now)
{
	struct request *r = &u->reqs[u->next];
	const char *op = gcu_json_str(r->rec, "op");
	long status = resp->transport_error ? 0 : resp->status;
	char msg[400];

	if (status >= 200 && status < 300) {
		e->ok_since_auth = 1;
		e->expired_refreshes = 0;
		if (u->xfer.refetch) {
			reread(e, u, r, resp);
			return;
		}
		long version = -1;
		if (is_versioned(op)) {
			json_object *body = resp->body_len ? json_tokener_parse(resp->body) : NULL;
			version = gcu_user_version(body);
			json_object_put(body);
			if (version >= 0)
				u->version = version;
		}
		if (r->conflicted)
			e->st->resolved++;
		finish(e, u, GCU_RESULT_OK, status, version, NULL);
		return;
	}
	if (status == 401 || status == 403) {
		unauthorised(e, u, status);
		return;
	}
	if (status == 429) {
		e->st->http_429++;
		if (++r->rate_tries >= e->cfg->retry_rate_limit.attempts) {
			snprintf(msg, sizeof msg, "rate limited %d times in a row", r->rate_tries);
			finish(e, u, GCU_RESULT_FAILED, status, -1, msg);
		} else {
			/* The pacer holds all dispatch for Retry-After; this request
			 * also waits out the 429 policy's backoff, so that a window kept
			 * full by traffic gcu cannot see does not burn its attempts in
			 * a second. */
			r->retrying = 1;
			u->not_before =
			    now + gcu_backoff(&e->cfg->retry_rate_limit, r->rate_tries, &e->rng);
		}
		return;
	}
	if (status == 0 || status >= 500) {
		server_trouble(e, u, r, resp, now);
		return;
	}
	if (!u->xfer.refetch && is_versioned(op) && version_conflict(resp)) {
		conflict(e, u, r, status, now);
		return;
	}
	if (u->xfer.refetch && status == 404) {
		finish(e, u, GCU_RESULT_FAILED, status, -1, "the user no longer exists");
		return;
	}
	gcu_http_error_message(resp, msg, sizeof msg);
	finish(e, u, GCU_RESULT_FAILED, status, -1, msg);
}

static void on_done(struct gcu_http *h, void *user, const struct gcu_http_response *resp)
{
	struct transfer *t = user;
	struct engine *e = t->e;
	struct unit *u = t->u;
	struct request *r = &u->reqs[u->next];
	double now = gcu_now();
	(void)h;

	e->inflight--;
	u->busy = 0;
	if (gcu_pacer_feed(&e->pacer, e->cfg, resp->transport_error ? 0 : resp->status, &resp->rate,
	                   t->seq, now, r->rate_tries + 1, &e->rng, e->o->notice, e->o->ctx))
		e->st->capped++;
	answered(e, u, resp, now);
}

/* --- the loop ----------------------------------------------------------- */

static void end_all(struct engine *e, enum gcu_result_status status, const char *why)
{
	for (struct unit *u = e->head; u; u = u->next_unit)
		while (u->next < u->n)
			finish(e, u, status, 0, -1, why);
}

/* After a stop, every line still unread gets its result too. */
static void end_rest(struct engine *e, enum gcu_result_status status, const char *why)
{
	struct ndjson_reader *in = e->o->in;
	int fl = fcntl(in->fd, F_GETFL);

	if (fl >= 0 && (fl & O_NONBLOCK))
		(void)fcntl(in->fd, F_SETFL, fl & ~O_NONBLOCK);
	while (!e->eof && !e->fatal) {
		fill(e);
		end_all(e, status, why);
		drop_finished_units(e);
	}
}

static void update_stats(struct engine *e, double now)
{
	e->st->elapsed = now - e->st->started;
	e->st->limit = e->pacer.limit;
	e->st->left = gcu_pacer_left(&e->pacer, now);
	e->st->blind = e->pacer.blind;
}

int gcu_send_run(const struct gcu_send_opts *o, struct gcu_send_stats *st, char *err, size_t errlen)
{
	struct engine e = {0};
	int fl = fcntl(o->in->fd, F_GETFL);

	e.o = o;
	e.cfg = o->cfg;
	e.st = st;
	e.err = err;
	e.errlen = errlen;
	e.rng = o->seed ? o->seed : gcu_rand_seed();
	if (gcu_pacer_init(&e.pacer, o->cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->started = e.last_progress = gcu_now();
	st->limit = st->left = -1;
	/* Reading must never stall the loop while answers wait. */
	if (fl >= 0 && !o->dry_run)
		(void)fcntl(o->in->fd, F_SETFL, fl | O_NONBLOCK);

	for (;;) {
		double now = gcu_now(), wake = 0;
		enum gcu_pace_block why = GCU_PACE_GO;
		/* The circuit opened again and again with no success between:
		 * the platform is down; waiting a pause per request would take
		 * days. Stop, and let --resume finish later. */
		if (e.pacer.circuit_streak >= o->cfg->retry_server.attempts)
			st->gave_up = 1;
		int stopping = (o->stop && *o->stop) || st->auth_failed || st->gave_up || e.fatal;

		if (!stopping)
			fill(&e);
		if (stopping && (e.inflight == 0 || (o->stop && *o->stop >= 2) || e.fatal))
			break;
		if (!stopping && !o->dry_run)
			wake = dispatch(&e, now, &why);
		drop_finished_units(&e);
		if (e.eof && e.nunits == 0 && e.inflight == 0)
			break;
		if (o->dry_run && e.eof)
			break;

		double wait = MAX_WAIT;
		if (wake > 0 && wake - now < wait)
			wait = fmax(0, wake - now);
		if (!e.eof && e.nunits < READAHEAD && wait > INPUT_WAIT)
			wait = INPUT_WAIT; /* input may arrive; look again soon */
		flush_results(&e);
		if (!o->dry_run && gcu_http_run(o->http, wait) < 0) {
			set_fatal(&e, "HTTP loop", EIO);
			break;
		}
		double after = gcu_now();
		if (why != GCU_PACE_GO)
			st->blocked[why] += after - now;
		update_stats(&e, after);
		if (o->progress && after - e.last_progress >= PROGRESS_EVERY) {
			e.last_progress = after;
			o->progress(o->ctx, st);
		}
	}

	int rc = 0;
	if (st->auth_failed) {
		end_all(&e, GCU_RESULT_INTERRUPTED,
		        "stopped: the platform refused the credentials");
		end_rest(&e, GCU_RESULT_INTERRUPTED,
		         "stopped: the platform refused the credentials");
		rc = 77;
	} else if (st->gave_up) {
		char why[600];
		snprintf(
		    why, sizeof why,
		    "stopped: the platform stayed unavailable (last error: %s); run again with "
		    "--resume",
		    e.last_trouble);
		end_all(&e, GCU_RESULT_FAILED, why);
		end_rest(&e, GCU_RESULT_FAILED, why);
		rc = 69;
	} else if (o->stop && *o->stop) {
		st->interrupted = 1;
		for (struct unit *u = e.head; u; u = u->next_unit)
			if (u->busy) /* second signal: the answer will not be read */
				finish(&e, u, GCU_RESULT_INTERRUPTED, 0, -1,
				       "interrupted in flight; it may have been applied");
		end_all(&e, GCU_RESULT_INTERRUPTED, "interrupted before it was sent");
		end_rest(&e, GCU_RESULT_INTERRUPTED, "interrupted before it was sent");
		rc = 75;
	}
	update_stats(&e, gcu_now());
	if (fl >= 0)
		(void)fcntl(o->in->fd, F_SETFL, fl);
	/* After an abort the HTTP loop still holds transfers that point into
	 * busy units; the caller frees the loop without running it again, so
	 * freeing the units here is safe. */
	for (struct unit *u = e.head, *next; u; u = next) {
		next = u->next_unit;
		free_unit(u);
	}
	gcu_pacer_free(&e.pacer);
	if (e.fatal)
		return -1;
	return rc;
}
