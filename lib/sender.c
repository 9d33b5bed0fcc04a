/*
 * sender.c - gcu-send's client of the engine (engine.h): what a request
 * record means, what a unit sends, and what each answer means for it.
 *
 * A unit is the run of consecutive request records of one user and scope,
 * or one group request, the engine's job. Its requests go one after
 * another, so the order of a user's requests is kept; a unit waits (held)
 * until the earlier ones that change one of its users have finished. Results are written as
 * requests finish, so units leave the engine as soon as they are done, in any order. A version
 * conflict is the sender's own: the user is read again, the changes merged again and the new body
 * sent.
 *
 * A group request goes through the same flow; what its members need (a
 * result each, the request again for those left, --failed for those that
 * failed) is send_groups.c's, and sender_int.h is what the two share.
 */
#include "sender_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "endpoints.h"
#include "engine.h"
#include "expect.h"
#include "grow.h"
#include "json_access.h"
#include "merge.h"
#include "undo.h"
#include "userdoc.h"
#include "uuid.h"

/* Units held at most: how far the input is read ahead. */
#define READAHEAD 256

const char *gcu_result_name(enum gcu_result_status s)
{
	static const char *const names[] = {"ok",       "unchanged",   "failed",
	                                    "conflict", "interrupted", "rejected"};
	return (unsigned)s < GCU_RESULT_NSTATUS ? names[s] : "?";
}

static void set_fatal(struct sender *e, const char *what, int errnum)
{
	gcu_engine_fatal(&e->core, what, errnum);
}

void sender_write_line(struct sender *e, json_object *line)
{
	if (ndjson_write(e->o->out, line) < 0)
		set_fatal(e, e->o->out->name, e->o->out->error);
	e->unflushed = 1;
	/* What came back ok (or was, in the results resumed) can be undone. */
	if (e->o->undo != NULL)
		gcu_undo_log_result(e->o->undo, line);
}

/* Results stream: what finished reaches the reader (a pipe, or a file
 * that a kill -9 would cut) before the loop waits again, not when stdio's
 * buffer happens to fill. */
static void flush_results(struct gcu_engine *core)
{
	struct sender *e = (struct sender *)core;

	if (!e->unflushed)
		return;
	e->unflushed = 0;
	if (ndjson_flush(e->o->out) < 0)
		set_fatal(e, e->o->out->name, e->o->out->error);
}

/* The stage's progress line, with the sender's counts. */
static void progress(struct gcu_engine *core)
{
	struct sender *e = (struct sender *)core;

	if (e->o->progress)
		e->o->progress(e->o->ctx, e->st);
}

static int is_versioned(const char *op)
{
	return op && (strcmp(op, "user") == 0 || strcmp(op, "state") == 0);
}

json_object *sender_result_line(struct request *r, enum gcu_result_status status, long http,
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
	json_object *undo = r->undo_override ? r->undo_override : gcu_json_get(rec, "undo");
	if (status == GCU_RESULT_OK && undo != NULL && r->members == NULL)
		json_object_object_add(out, "undo", json_object_get(undo));
	return out;
}

void sender_free_request(struct request *r)
{
	json_object_put(r->rec);
	json_object_put(r->body_override);
	json_object_put(r->undo_override);
	json_object_put(r->group_override);
	free(r->members);
	free(r->raw);
}

static void free_unit(struct unit *u)
{
	for (size_t i = 0; i < u->n; i++)
		sender_free_request(&u->reqs[i]);
	for (size_t i = 0; i < u->nusers; i++)
		free(u->users[i]);
	free(u->users);
	free(u->reqs);
	free(u);
}

/* Do units a and b change a user in common? (Both lists are sorted.) */
static int share_a_user(const struct unit *a, const struct unit *b)
{
	size_t i = 0, j = 0;
	while (i < a->nusers && j < b->nusers) {
		int d = strcmp(a->users[i], b->users[j]);
		if (d == 0)
			return 1;
		if (d < 0)
			i++;
		else
			j++;
	}
	return 0;
}

/* The engine is done with a unit: its results are written already. */
static void retire_unit(struct gcu_engine *core, struct gcu_job *j)
{
	(void)core;
	free_unit((struct unit *)j);
}

void sender_tell(struct sender *e, const char *src, const char *what, const char *which,
                 enum gcu_result_status status, const char *error)
{
	char msg[600];

	if ((status != GCU_RESULT_FAILED && status != GCU_RESULT_CONFLICT) || !e->o->verbose ||
	    !e->o->notice)
		return;
	snprintf(msg, sizeof msg, "%s: %s %s: %s: %s", src, what, which, gcu_result_name(status),
	         error ? error : "");
	e->o->notice(e->o->ctx, msg);
}

void sender_advance(struct sender *e, struct unit *u)
{
	u->refetch = 0;
	gcu_job_restart(&u->job);
	u->job.done = ++u->next == u->n;
	if (u->job.done && e->waiting > 0)
		for (struct gcu_job *p = u->job.next; p; p = p->next)
			if (p->held > 0 && share_a_user(u, (struct unit *)p) && --p->held == 0)
				e->waiting--;
}

/* Writes the result of the unit's current request and moves on. */
static void finish(struct sender *e, struct unit *u, enum gcu_result_status status, long http,
                   long version, const char *error)
{
	if (u->reqs[u->next].members != NULL) {
		sender_finish_members(e, u, status, http, error);
		return;
	}
	struct request *r = &u->reqs[u->next];
	double now = gcu_now();
	json_object *line = sender_result_line(r, status, http, version, error, now);

	sender_write_line(e, line);
	json_object_put(line);
	e->st->results[status]++;
	if ((status == GCU_RESULT_FAILED || status == GCU_RESULT_CONFLICT) && e->o->failed &&
	    ndjson_write_raw(e->o->failed, r->raw, r->raw_len) < 0)
		set_fatal(e, e->o->failed->name, e->o->failed->error);
	if (status == GCU_RESULT_OK) {
		u->conflicts = 0;
		u->parked = 0;
	}
	sender_tell(e, gcu_json_str(r->rec, "src"), gcu_json_str(r->rec, "method"),
	            gcu_json_str(r->rec, "path"), status, error);
	sender_advance(e, u);
}

/* --- input -------------------------------------------------------------- */

/* src as a result may carry it: a string of at most this many bytes. */
#define SRC_MAX 1024

/*
 * A line that is not a request gcu may send (rec may be NULL: not a JSON
 * object; line NULL: too long to have been kept). Its result says why and
 * names the line; the line goes to --failed as it was read.
 */
static void reject(struct sender *e, json_object *rec, const char *line, size_t len,
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
	sender_write_line(e, out);
	json_object_put(out);
	e->st->results[GCU_RESULT_REJECTED]++;
	if (line && e->o->failed && ndjson_write_raw(e->o->failed, line, len) < 0)
		set_fatal(e, e->o->failed->name, e->o->failed->error);
	gcu_engine_reject(&e->core, lineno, why);
}

/* A line of merge's that needs no request: copied as its result. */
static void passthrough(struct sender *e, json_object *rec, const char *status)
{
	json_object *out = json_object_new_object();
	static const char *const keys[] = {"id", "src", "scope"};
	for (size_t i = 0; i < 3; i++)
		json_object_object_add(out, keys[i], json_object_get(gcu_json_get(rec, keys[i])));
	json_object_object_add(out, "status", json_object_new_string(status));
	json_object *error = gcu_json_get(rec, "error");
	if (error != NULL)
		json_object_object_add(out, "error", json_object_get(error));
	sender_write_line(e, out);
	json_object_put(out);
	e->st->results[strcmp(status, "failed") == 0     ? GCU_RESULT_FAILED
	               : strcmp(status, "conflict") == 0 ? GCU_RESULT_CONFLICT
	                                                 : GCU_RESULT_UNCHANGED]++;
}

/* Every line has a user (or, a group request, its members) and a scope;
 * a request line is one that gcu may send (endpoints.h), method, path and
 * body. */
static int check_request(json_object *rec, int request, char *why, size_t len)
{
	int group = request && gcu_json_get(rec, "members") != NULL;

	if (!group && !gcu_uuid_valid(gcu_json_str(rec, "id"))) {
		snprintf(why, len, "missing or non-UUID id");
		return -1;
	}
	if (gcu_scope_parse(gcu_json_str(rec, "scope")) == GCU_SCOPE_NONE) {
		snprintf(why, len, "missing or unknown scope");
		return -1;
	}
	return request ? gcu_request_check(rec, NULL, why, len) : 0;
}

void sender_dry_run_line(struct sender *e, json_object *rec)
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

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sets the users of u: id, or the members of r without a result. */
static int set_users(struct unit *u, const char *id, const struct request *r)
{
	size_t n = r ? r->nmembers : 1;

	u->users = calloc(n ? n : 1, sizeof *u->users);
	if (u->users == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (r && r->members[i].done)
			continue;
		const char *who = r ? gcu_json_str(r->members[i].m, "id") : id;
		char *copy = strdup(who ? who : "");
		if (copy == NULL)
			return -1;
		for (char *c = copy; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		u->users[u->nusers++] = copy;
	}
	qsort(u->users, u->nusers, sizeof *u->users, by_text);
	return 0;
}

struct unit *sender_new_unit(struct sender *e, const char *id, const struct request *r,
                             enum gcu_scope scope)
{
	struct unit *u = calloc(1, sizeof *u);
	if (u == NULL)
		return NULL;
	if (set_users(u, id, r) < 0) {
		free_unit(u);
		return NULL;
	}
	snprintf(u->id, sizeof u->id, "%s", r ? "" : id);
	u->job.scope = scope;
	u->version = -1;
	for (const struct gcu_job *p = e->core.head; p; p = p->next)
		if (!p->done && share_a_user(u, (const struct unit *)p))
			u->job.held++;
	if (u->job.held > 0)
		e->waiting++;
	gcu_engine_add(&e->core, &u->job);
	return u;
}

int sender_append(struct unit *u, struct request *r)
{
	if (gcu_grow(&u->reqs, &u->cap, u->n, sizeof *u->reqs, 2) < 0)
		return -1;
	u->reqs[u->n++] = *r;
	u->job.done = 0;
	return 0;
}

static void add_request(struct sender *e, json_object *rec, const char *raw, size_t len,
                        unsigned long lineno)
{
	const char *id = gcu_json_str(rec, "id");
	enum gcu_scope scope = gcu_scope_parse(gcu_json_str(rec, "scope"));
	struct unit *u = (struct unit *)gcu_engine_open_job(&e->core);
	struct request r = {.rec = json_object_get(rec), .raw_len = len, .lineno = lineno};

	r.raw = strndup(raw, len);
	if (r.raw == NULL)
		goto oom;
	if (u == NULL || u->id[0] == '\0' || strcasecmp(u->id, id) != 0 || u->job.scope != scope)
		u = sender_new_unit(e, id, NULL, scope);
	if (u == NULL || sender_append(u, &r) < 0)
		goto oom;
	return;
oom:
	sender_free_request(&r);
	set_fatal(e, "reading requests", ENOMEM);
}

/* Handles one input line. */
static void take_line(struct sender *e, const char *line, size_t len, unsigned long lineno)
{
	char why[512], key[2200];
	json_object *rec = ndjson_parse_object(line, len, why, sizeof why);
	const char *status;

	if (rec == NULL)
		goto refused;
	e->st->records++;
	status = gcu_json_str(rec, "status");
	if (status != NULL && strcmp(status, "unchanged") != 0 && strcmp(status, "failed") != 0 &&
	    strcmp(status, "conflict") != 0) {
		snprintf(why, sizeof why,
		         "status is not a merge status (unchanged, failed or conflict)");
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
	if (gcu_json_get(rec, "members") != NULL) {
		sender_add_group(e, rec, line, len, lineno);
		json_object_put(rec);
		return;
	}
	if (e->o->resume && gcu_resume_key(rec, key, sizeof key) == 0) {
		json_object *done = gcu_resume_done(e->o->resume, key);
		if (done != NULL) {
			const char *s = gcu_json_str(done, "status");
			sender_write_line(e, done);
			e->st->resumed++;
			e->st->results[strcmp(s, "ok") == 0 ? GCU_RESULT_OK
			                                    : GCU_RESULT_UNCHANGED]++;
			json_object_put(rec);
			return;
		}
	}
	if (e->o->dry_run) {
		sender_dry_run_line(e, rec);
	} else if (e->o->fail_all) {
		struct request r = {.rec = rec, .raw = (char *)line, .raw_len = len};
		json_object *out =
		    sender_result_line(&r, GCU_RESULT_FAILED, 0, -1, e->o->fail_all, 0);
		sender_write_line(e, out);
		json_object_put(out);
		e->st->results[GCU_RESULT_FAILED]++;
		if (e->o->failed && ndjson_write_raw(e->o->failed, line, len) < 0)
			set_fatal(e, e->o->failed->name, e->o->failed->error);
	} else {
		add_request(e, rec, line, len, lineno);
	}
	json_object_put(rec);
	return;
refused:
	if (rec == NULL)
		e->st->records++;
	reject(e, rec, line, len, lineno, why);
	json_object_put(rec);
}

/* The engine's line callback. */
static void on_line(struct gcu_engine *core, const char *line, size_t len, unsigned long lineno)
{
	take_line((struct sender *)core, line, len, lineno);
}

/* A line too long to have been kept is rejected like any other. */
static void too_long(struct gcu_engine *core, unsigned long lineno, const char *why)
{
	reject((struct sender *)core, NULL, NULL, 0, lineno, why);
}

/* --- sending ------------------------------------------------------------ */

/* The body to send: a re-merged one, or the record's, with the version
 * this run last saw for a versioned PATCH. New reference or NULL. */
static json_object *body_for(struct unit *u, struct request *r)
{
	json_object *body =
	    r->body_override ? r->body_override : gcu_json_get(sender_outgoing(r), "body");
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

static void send_unit(struct gcu_engine *core, struct gcu_job *j, double now)
{
	struct unit *u = (struct unit *)j;
	struct request *r = &u->reqs[u->next];
	json_object *body = NULL;
	char path[96];
	const char *method, *target;
	const char *text = NULL;
	size_t len = 0;

	if (r->members != NULL && sender_drop_moved_on((struct sender *)core, u, r))
		return;
	if (u->refetch) {
		snprintf(path, sizeof path, "/api/v2/users/%s", u->id);
		method = "GET";
		target = path;
	} else {
		method = gcu_json_str(sender_outgoing(r), "method");
		target = gcu_json_str(sender_outgoing(r), "path");
		body = body_for(u, r);
		if (body != NULL)
			text = ndjson_string(body, &len);
	}
	u->reading = u->refetch;
	int rc = gcu_engine_submit(core, j, method, target, text, len, now);
	json_object_put(body);
	if (rc < 0)
		return;
	if (r->attempts == 0)
		r->first_sent = now;
	r->attempts++;
}

/* --- answers ------------------------------------------------------------ */

static int version_conflict(const struct gcu_http_response *r)
{
	if (r->status == 409)
		return 1;
	return r->status == 400 && r->body &&
	       strstr(r->body, "does not match the current version") != NULL;
}

static void conflict(struct sender *e, struct unit *u, struct request *r, long status, double now)
{
	e->st->conflicts++;
	r->conflicted = 1;
	if (u->parked) {
		finish(e, u, GCU_RESULT_CONFLICT, status, -1,
		       "version conflicts persisted after the cool-down");
		return;
	}
	u->refetch = 1;
	if (++u->conflicts >= e->o->cfg->retry_conflicts_to_park) {
		/* Others keep writing this user: let them settle, try once more. */
		u->parked = 1;
		u->job.not_before = now + e->o->cfg->retry_conflict_cooldown;
		e->st->parked++;
	}
}

/* The answer to a re-read after a conflict: merge the changes again on
 * the user as it is now. */
static void reread(struct sender *e, struct unit *u, struct request *r,
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
	json_object *expect = gcu_json_get(r->rec, "expect");
	json_object *fields = gcu_expect_fields(changes, expect);
	json_object *current = gcu_user_current(user, fields);
	json_object_put(fields);
	/* A guarded change is checked again on the user as it is now: when
	 * it moved on, nothing more of the record is sent. */
	if (gcu_expect_check(current, expect, why, sizeof why, NULL)) {
		json_object_put(current);
		json_object_put(user);
		u->refetch = 0;
		u->version = version;
		sender_moved_on(e, gcu_json_str(r->rec, "scope"), u->id);
		while (u->next < u->n && !e->core.fatal)
			finish(e, u, GCU_RESULT_CONFLICT, resp->status, -1, why);
		return;
	}
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
		/* What it replaces now is what was read now. */
		json_object_put(r->undo_override);
		r->undo_override = json_object_get(gcu_json_get(q, "undo"));
	}
	json_object_put(reqs);
	json_object_put(current);
	json_object_put(user);
}

/* A 2xx the engine may take for the platform's answer; a group
 * request's has more to show for it (sender_group_usable). */
static int usable(struct gcu_engine *core, struct gcu_job *j, const struct gcu_http_response *resp,
                  char *why, size_t whylen)
{
	struct unit *u = (struct unit *)j;
	struct request *r = &u->reqs[u->next];
	(void)core;

	if (u->reading || r->members == NULL)
		return 0;
	return sender_group_usable(r, resp, why, whylen);
}

/* A success, or an answer the engine leaves to the sender. */
static void answered(struct gcu_engine *core, struct gcu_job *j,
                     const struct gcu_http_response *resp, long status, double now)
{
	struct sender *e = (struct sender *)core;
	struct unit *u = (struct unit *)j;
	struct request *r = &u->reqs[u->next];
	const char *op = gcu_json_str(r->rec, "op");
	char msg[400];

	if (r->members != NULL) {
		sender_group_answer(e, u, r, resp, status);
		return;
	}

	if (status >= 200 && status < 300) {
		if (u->reading) {
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
	if (!u->reading && is_versioned(op) && version_conflict(resp)) {
		conflict(e, u, r, status, now);
		return;
	}
	if (u->reading && status == 404) {
		finish(e, u, GCU_RESULT_FAILED, status, -1, "the user no longer exists");
		return;
	}
	gcu_http_error_message(resp, msg, sizeof msg);
	finish(e, u, GCU_RESULT_FAILED, status, -1, msg);
}

/* The current request failed for good (the engine's verdict). */
static void failed(struct gcu_engine *core, struct gcu_job *j, long status, const char *why)
{
	finish((struct sender *)core, (struct unit *)j, GCU_RESULT_FAILED, status, -1, why);
}

/* The run stopped: each request of the unit not finished gets its result.
 * A platform that stayed unavailable fails them (--resume sends them
 * later); a signal or refused credentials interrupt them. */
static void stopped(struct gcu_engine *core, struct gcu_job *j, const struct gcu_engine_stop *s)
{
	struct sender *e = (struct sender *)core;
	struct unit *u = (struct unit *)j;
	enum gcu_result_status status = GCU_RESULT_INTERRUPTED;
	const char *why = s->why;
	char msg[600];

	if (s->reason == GCU_STOP_UNAVAILABLE) {
		snprintf(msg, sizeof msg, "%s; run again with --resume", s->why);
		status = GCU_RESULT_FAILED;
		why = msg;
	} else if (s->reason == GCU_STOP_SIGNAL) {
		if (j->busy) /* second signal: the answer will not be read */
			finish(e, u, status, 0, -1,
			       "interrupted in flight; it may have been applied");
		why = "interrupted before it was sent";
	}
	while (u->next < u->n && !core->fatal)
		finish(e, u, status, 0, -1, why);
}

/* --- the run ------------------------------------------------------------ */

int gcu_send_run(const struct gcu_send_opts *o, struct gcu_send_stats *st, char *err, size_t errlen)
{
	/* in_order, line, too_long, send, usable, answer, failed, stopped, retire, waiting,
	 * progress */
	static const struct gcu_engine_client sender = {
	    0,      on_line, too_long,    send_unit,     usable,  answered,
	    failed, stopped, retire_unit, flush_results, progress};
	struct sender e = {.o = o, .st = st};
	unsigned long total = st->total;

	memset(st, 0, sizeof *st);
	st->total = total;
	int rc = gcu_engine_run(&e.core, &o->net, &sender, READAHEAD, &st->net, err, errlen);
	json_object_put(e.moved_on);
	return rc;
}
