/*
 * send_groups.c - gcu-send's group requests (groups.h, DESIGN.md "Group
 * requests"): a request record that lists "members" instead of naming one
 * user, and the bookkeeping of each member.
 *
 * A group request is a unit of its own. Each member gets a result line of
 * its own; an earlier run's results (--resume) are copied and the request
 * goes out for the members left; a partial answer (a team join's
 * "failures", a 400 to a queue or division call that names users) fails
 * only the members it names, and the call goes again for the others; the
 * members whose user moved on from what its record expects end in
 * conflict, unsent. The failed members go to --failed as a request of
 * their own. The per-user flow that sends the unit and reads its answer
 * is sender.c's (sender_int.h).
 */
#include "sender_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "endpoints.h"
#include "engine.h"
#include "json_access.h"
#include "resume.h"

/* --- the members' results ----------------------------------------------- */

json_object *sender_outgoing(struct request *r)
{
	return r->group_override ? r->group_override : r->rec;
}

/* The result of member m of group request r: a result line with the
 * member's id, src and change, and "line" naming the request. */
static json_object *member_line(struct sender *e, struct request *r, struct member *m,
                                enum gcu_result_status status, long http, const char *error,
                                double now)
{
	json_object *out = sender_result_line(r, status, http, -1, error, now);
	char where[600];

	json_object_object_add(out, "id", json_object_get(gcu_json_get(m->m, "id")));
	json_object_object_add(out, "src", json_object_get(gcu_json_get(m->m, "src")));
	json_object_object_add(out, "path",
	                       json_object_get(gcu_json_get(sender_outgoing(r), "path")));
	json_object_object_add(out, "changes", json_object_get(gcu_json_get(m->m, "changes")));
	if (status == GCU_RESULT_OK && gcu_json_get(m->m, "undo") != NULL)
		json_object_object_add(out, "undo", json_object_get(gcu_json_get(m->m, "undo")));
	snprintf(where, sizeof where, "%s:%lu", e->o->in->name, r->lineno);
	json_object_object_add(out, "line", json_object_new_string(where));
	return out;
}

/* Writes the result of member m, which had none. */
static void member_result(struct sender *e, struct request *r, struct member *m,
                          enum gcu_result_status status, long http, const char *error)
{
	json_object *line = member_line(e, r, m, status, http, error, gcu_now());

	sender_write_line(e, line);
	json_object_put(line);
	e->st->results[status]++;
	m->status = status;
	m->done = 1;
	sender_tell(e, gcu_json_str(m->m, "src"), gcu_json_str(r->rec, "op"),
	            gcu_json_str(m->m, "id"), status, error);
}

/* A new array of the members of r without a result yet (or, failed set,
 * of those whose result is failed). */
static json_object *members_where(struct request *r, int failed)
{
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < r->nmembers; i++) {
		struct member *m = &r->members[i];
		if (failed ? (m->done && m->status == GCU_RESULT_FAILED) : !m->done)
			json_object_array_add(list, json_object_get(m->m));
	}
	return list;
}

/* The group request of r for some of its members (list, borrowed): the
 * record with the path, body and members made for them. New reference,
 * or NULL with why filled. */
static json_object *group_for(struct request *r, json_object *list, char *why, size_t whylen)
{
	const char *op = gcu_json_str(r->rec, "op");
	char group[40];

	if (gcu_endpoint_group_of(op, gcu_json_str(r->rec, "path"), group, sizeof group) < 0) {
		snprintf(why, whylen, "%s: no group in the path", op ? op : "");
		return NULL;
	}
	json_object *g = gcu_endpoint_group(op, group, list, why, whylen);
	if (g == NULL)
		return NULL;
	json_object *rec = json_object_new_object();
	json_object_object_foreach(r->rec, key, val)
	{
		json_object *mine = gcu_json_get(g, key);
		if (strcmp(key, "path") == 0 || strcmp(key, "body") == 0 ||
		    strcmp(key, "members") == 0)
			json_object_object_add(rec, key, json_object_get(mine));
		else
			json_object_object_add(rec, key, json_object_get(val));
	}
	json_object_put(g);
	return rec;
}

/* The members of group request r that --failed gets, as a request of
 * their own: those that failed. */
static void write_failed_members(struct sender *e, struct request *r)
{
	json_object *failed = members_where(r, 1);
	char why[256];

	if (json_object_array_length(failed) > 0 && e->o->failed) {
		json_object *again = group_for(r, failed, why, sizeof why);
		int rc = again ? ndjson_write(e->o->failed, again)
		               : ndjson_write_raw(e->o->failed, r->raw, r->raw_len);
		json_object_put(again);
		if (rc < 0)
			gcu_engine_fatal(&e->core, e->o->failed->name, e->o->failed->error);
	}
	json_object_put(failed);
}

/* Every member of the unit's group request has its result: the failed
 * ones go to --failed as a request of their own, ready to be fed back,
 * and the unit moves on. */
static void group_done(struct sender *e, struct unit *u)
{
	write_failed_members(e, &u->reqs[u->next]);
	sender_advance(e, u);
}

void sender_finish_members(struct sender *e, struct unit *u, enum gcu_result_status status,
                           long http, const char *error)
{
	struct request *r = &u->reqs[u->next];
	for (size_t i = 0; i < r->nmembers; i++)
		if (!r->members[i].done)
			member_result(e, r, &r->members[i], status, http, error);
	group_done(e, u);
}

/* --- input -------------------------------------------------------------- */

void sender_add_group(struct sender *e, json_object *rec, const char *raw, size_t len,
                      unsigned long lineno)
{
	json_object *list = gcu_json_get(rec, "members");
	size_t n = json_object_array_length(list), left = 0;
	struct request r = {.rec = json_object_get(rec), .raw_len = len, .lineno = lineno};
	char key[2200], why[256];

	r.raw = strndup(raw, len);
	r.members = calloc(n, sizeof *r.members);
	if (r.raw == NULL || r.members == NULL)
		goto oom;
	r.nmembers = n;
	for (size_t i = 0; i < n; i++) {
		struct member *m = &r.members[i];
		json_object *done = NULL;
		m->m = json_object_array_get_idx(list, i);
		if (e->o->resume &&
		    gcu_resume_key_of(gcu_json_str(m->m, "src"), gcu_json_str(rec, "op"),
		                      gcu_json_str(rec, "path"), 0, key, sizeof key) == 0)
			done = gcu_resume_done(e->o->resume, key);
		if (done == NULL) {
			left++;
			continue;
		}
		const char *st = gcu_json_str(done, "status");
		m->done = 1;
		m->status = strcmp(st, "ok") == 0 ? GCU_RESULT_OK : GCU_RESULT_UNCHANGED;
		sender_write_line(e, done);
		e->st->resumed++;
		e->st->results[m->status]++;
	}
	if (left > 0 && left < n) {
		json_object *pending = members_where(&r, 0);
		r.group_override = group_for(&r, pending, why, sizeof why);
		json_object_put(pending);
		if (r.group_override == NULL) {
			for (size_t i = 0; i < n; i++)
				if (!r.members[i].done)
					member_result(e, &r, &r.members[i], GCU_RESULT_FAILED, 0,
					              why);
			write_failed_members(e, &r);
			left = 0;
		}
	}
	if (left == 0) {
		sender_free_request(&r);
		return;
	}
	if (e->o->dry_run || e->o->fail_all) {
		if (e->o->dry_run)
			sender_dry_run_line(e, sender_outgoing(&r));
		for (size_t i = 0; e->o->fail_all && i < n; i++)
			if (!r.members[i].done)
				member_result(e, &r, &r.members[i], GCU_RESULT_FAILED, 0,
				              e->o->fail_all);
		write_failed_members(e, &r);
		sender_free_request(&r);
		return;
	}
	struct unit *u = sender_new_unit(e, NULL, &r, gcu_scope_parse(gcu_json_str(rec, "scope")));
	if (u == NULL || sender_append(u, &r) < 0)
		goto oom;
	u->job.sealed = 1; /* nothing joins a group request */
	return;
oom:
	sender_free_request(&r);
	gcu_engine_fatal(&e->core, "reading requests", ENOMEM);
}

/* --- sending ------------------------------------------------------------ */

/* "scope id" of a user, in lower case, into key (len bytes). */
static void moved_on_key(char *key, size_t len, const char *scope, const char *id)
{
	snprintf(key, len, "%s %s", scope ? scope : "", id ? id : "");
	for (char *c = key; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

void sender_moved_on(struct sender *e, const char *scope, const char *id)
{
	char key[128];

	moved_on_key(key, sizeof key, scope, id);
	if (e->moved_on == NULL)
		e->moved_on = json_object_new_object();
	json_object_object_add(e->moved_on, key, json_object_new_boolean(1));
}

int sender_drop_moved_on(struct sender *e, struct unit *u, struct request *r)
{
	const char *scope = gcu_json_str(r->rec, "scope");
	char key[128], why[256] = "";
	int dropped = 0;

	for (size_t i = 0; e->moved_on && i < r->nmembers; i++) {
		struct member *m = &r->members[i];
		moved_on_key(key, sizeof key, scope, gcu_json_str(m->m, "id"));
		if (m->done || !json_object_object_get_ex(e->moved_on, key, NULL))
			continue;
		member_result(e, r, m, GCU_RESULT_CONFLICT, 0,
		              "not sent: the user no longer holds what its change expects");
		dropped++;
	}
	if (dropped == 0)
		return 0;
	json_object *pending = members_where(r, 0);
	json_object *again =
	    json_object_array_length(pending) ? group_for(r, pending, why, sizeof why) : NULL;
	json_object_put(pending);
	if (again == NULL) {
		sender_finish_members(e, u, GCU_RESULT_FAILED, 0, why);
		return 1;
	}
	json_object_put(r->group_override);
	r->group_override = again;
	return 0;
}

/* --- answers ------------------------------------------------------------ */

/* The member of r whose id is id, or NULL. */
static struct member *member_of(struct request *r, const char *id)
{
	for (size_t i = 0; id && i < r->nmembers; i++) {
		const char *m = gcu_json_str(r->members[i].m, "id");
		if (m && strcasecmp(m, id) == 0)
			return &r->members[i];
	}
	return NULL;
}

/*
 * A team join answers per member: those added in "entities", the others
 * in "failures" with the reason. A member the answer does not name is not
 * taken for added.
 */
static void team_answer(struct sender *e, struct request *r, const struct gcu_http_response *resp)
{
	json_object *answer = json_tokener_parse(resp->body ? resp->body : "");
	json_object *added = gcu_json_get(answer, "entities"),
	            *refused = gcu_json_get(answer, "failures");
	char why[200];

	for (size_t i = 0;
	     json_object_is_type(refused, json_type_array) && i < json_object_array_length(refused);
	     i++) {
		json_object *f = json_object_array_get_idx(refused, i);
		struct member *m = member_of(r, gcu_json_str(f, "id"));
		const char *reason = gcu_json_str(f, "reason");
		if (m == NULL || m->done)
			continue;
		snprintf(why, sizeof why, "%s", reason ? reason : "refused by the platform");
		member_result(e, r, m, GCU_RESULT_FAILED, resp->status, why);
	}
	for (size_t i = 0; i < json_object_array_length(added); i++) {
		struct member *m =
		    member_of(r, gcu_json_str(json_object_array_get_idx(added, i), "id"));
		if (m != NULL && !m->done)
			member_result(e, r, m, GCU_RESULT_OK, resp->status, NULL);
	}
	for (size_t i = 0; i < r->nmembers; i++)
		if (!r->members[i].done)
			member_result(e, r, &r->members[i], GCU_RESULT_FAILED, resp->status,
			              "the platform's answer does not name this member as added");
	json_object_put(answer);
}

/* Calls that apply to all of their members or none (queue and division
 * calls): a 400 names the users it refuses. */
static int all_or_nothing(const char *op)
{
	return op && strcmp(op, "teamJoin") != 0 && strcmp(op, "teamLeave") != 0;
}

void sender_group_answer(struct sender *e, struct unit *u, struct request *r,
                         const struct gcu_http_response *resp, long status)
{
	const char *op = gcu_json_str(r->rec, "op");
	char msg[400], why[256];
	size_t named = 0, left = 0;

	if (status >= 200 && status < 300) {
		if (strcmp(op, "teamJoin") == 0)
			team_answer(e, r, resp);
		sender_finish_members(e, u, GCU_RESULT_OK, status, NULL);
		return;
	}
	gcu_http_error_message(resp, msg, sizeof msg);
	if (status == 400 && all_or_nothing(op) && resp->body != NULL) {
		for (size_t i = 0; i < r->nmembers; i++) {
			struct member *m = &r->members[i];
			const char *id = gcu_json_str(m->m, "id");
			if (m->done)
				continue;
			if (id && strcasestr(resp->body, id) != NULL) {
				member_result(e, r, m, GCU_RESULT_FAILED, status, msg);
				named++;
			} else {
				left++;
			}
		}
	}
	if (named > 0 && left > 0) {
		json_object *pending = members_where(r, 0);
		json_object *again = group_for(r, pending, why, sizeof why);
		json_object_put(pending);
		if (again != NULL) {
			json_object_put(r->group_override);
			r->group_override = again;
			gcu_job_restart(&u->job);
			return;
		}
	}
	sender_finish_members(e, u, GCU_RESULT_FAILED, status, msg);
}

int sender_group_usable(const struct request *r, const struct gcu_http_response *resp, char *why,
                        size_t whylen)
{
	if (strcmp(gcu_json_str(r->rec, "op"), "teamJoin") != 0)
		return 0;
	json_object *answer = json_tokener_parse(resp->body ? resp->body : "");
	int listed = json_object_is_type(gcu_json_get(answer, "entities"), json_type_array);
	json_object_put(answer);
	if (listed)
		return 0;
	snprintf(why, whylen, "without the list of members added");
	return -1;
}
