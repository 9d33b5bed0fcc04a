/*
 * sim_org_write.c - what the platform's write routes do to the simulated
 * org's users (see sim_org.h): a profile PATCH with its version check and
 * the fields the platform lets it change, a DELETE, the routing lists'
 * bulk and delete routes (and their reads, which share the list's
 * slot), the routing status, and the background edits that move a
 * user's version on.
 *
 * Every function takes the org's exclusive lock for a change (the shared
 * one for a read), parses the part it changes and stores new text, so
 * that readers never see a JSON object being changed; sim_org.c holds
 * the storage, the load, the render and the dump.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_org.h"
#include "sim_org_int.h"
#include "uuid.h"

#define MAX_BULK  50
#define SER_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The fields a profile PATCH may set; others are a 400, as on the
 * platform. */
static const char *const updatable[] = {
    "name",          "email",          "title",
    "department",    "addresses",      "primaryContactInfo",
    "manager",       "username",       "preferredName",
    "profileSkills", "certifications", "biography",
    "employerInfo",  "locations",      "groups",
    "acdAutoAnswer", "chat",           "state",
};

/* The routing statuses a PUT of routingstatus may set. */
static const char *const routing_states[] = {"OFF_QUEUE", "IDLE", "INTERACTING", "NOT_RESPONDING",
                                             "COMMUNICATING"};

/* o as compact text (malloc), NULL when o is NULL or memory runs out. */
static char *json_text(json_object *o)
{
	return o ? strdup(json_object_to_json_string_ext(o, SER_FLAGS)) : NULL;
}

static int is_updatable(const char *key)
{
	for (size_t i = 0; i < sizeof updatable / sizeof updatable[0]; i++)
		if (strcmp(updatable[i], key) == 0)
			return 1;
	return 0;
}

static int check_patch(const char *id, json_object *body, struct sim_result *res)
{
	json_object *v;
	int has_state = 0, others = 0;

	if (!json_object_is_type(body, json_type_object)) {
		result_set(res, 400, "bad.request", "The request body must be a JSON object");
		return -1;
	}
	json_object_object_foreach(body, key, val)
	{
		if (strcmp(key, "id") == 0 || strcmp(key, "version") == 0)
			continue;
		if (!is_updatable(key)) {
			result_set(res, 400, "bad.request", "Field '%.100s' is not updatable", key);
			return -1;
		}
		if (strcmp(key, "state") == 0) {
			const char *s = json_object_get_string(val);
			has_state = 1;
			if (!json_object_is_type(val, json_type_string) ||
			    (strcmp(s, "active") != 0 && strcmp(s, "inactive") != 0 &&
			     strcmp(s, "deleted") != 0)) {
				result_set(res, 400, "bad.request",
				           "state must be active, inactive or deleted");
				return -1;
			}
		} else {
			others = 1;
		}
	}
	if (has_state && others) {
		result_set(res, 400, "bad.request",
		           "state cannot be changed together with other fields");
		return -1;
	}
	if (!json_object_object_get_ex(body, "version", &v) || v == NULL) {
		result_set(res, 400, "bad.request", "version is required");
		return -1;
	}
	if (!json_object_is_type(v, json_type_int)) {
		result_set(res, 400, "bad.request", "version must be an integer");
		return -1;
	}
	if (json_object_object_get_ex(body, "id", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     strcasecmp(json_object_get_string(v), id) != 0)) {
		result_set(res, 400, "bad.request", "The id in the body does not match the path");
		return -1;
	}
	return 0;
}

static int replace_text(char **slot, json_object *o)
{
	char *s = json_text(o);
	if (s == NULL)
		return -1;
	free(*slot);
	*slot = s;
	return 0;
}

/* The stored document of user id, parsed (new reference), its index in
 * *idx; NULL with res set (404, or 500 when it is unreadable). The caller
 * holds the lock. */
static json_object *user_doc(struct sim_org *org, const char *id, long *idx, struct sim_result *res)
{
	json_object *doc;

	*idx = sim_org_find(org, id);
	if (*idx < 0) {
		sim_org_not_found(res, id);
		return NULL;
	}
	doc = json_tokener_parse(org->users[*idx].base);
	if (doc == NULL)
		result_set(res, 500, "internal.server.error", "stored user is unreadable");
	return doc;
}

void sim_org_patch(struct sim_org *org, const char *id, json_object *body, int conflict_as_400,
                   struct sbuf *out, struct sim_result *res)
{
	json_object *doc = NULL, *v;
	int64_t want, have;
	long idx;

	if (check_patch(id, body, res) < 0)
		return;
	want = json_object_get_int64(json_object_object_get(body, "version"));
	pthread_rwlock_wrlock(&org->lock);
	doc = user_doc(org, id, &idx, res);
	if (doc == NULL)
		goto out;
	have = json_object_object_get_ex(doc, "version", &v) ? json_object_get_int64(v) : 0;
	if (want != have) {
		if (conflict_as_400)
			result_set(
			    res, 400, "bad.request",
			    "The version supplied (%lld) does not match the current version of "
			    "the user",
			    (long long)want);
		else
			result_set(res, 409, "general.conflict",
			           "The version supplied does not match the current version of the "
			           "user");
		goto out;
	}
	json_object_object_foreach(body, key, val)
	{
		if (strcmp(key, "id") == 0 || strcmp(key, "version") == 0)
			continue;
		if (val == NULL) {
			json_object_object_del(doc, key);
		} else if (strcmp(key, "manager") == 0 &&
		           json_object_is_type(val, json_type_string)) {
			json_object *m = json_object_new_object();
			json_object_object_add(m, "id",
			                       json_object_new_string(json_object_get_string(val)));
			json_object_object_add(doc, key, m);
		} else {
			json_object *copy = NULL;
			if (json_object_deep_copy(val, &copy, NULL) != 0) {
				result_set(res, 500, "internal.server.error", "out of memory");
				goto out;
			}
			json_object_object_add(doc, key, copy);
		}
	}
	json_object_object_add(doc, "version", json_object_new_int64(have + 1));
	if (replace_text(&org->users[idx].base, doc) < 0) {
		result_set(res, 500, "internal.server.error", "out of memory");
		goto out;
	}
	if (json_object_object_get_ex(doc, "state", &v))
		org->users[idx].state = sim_org_state_of(json_object_get_string(v));
	sim_org_render(org, (size_t)idx, 0, out);
	result_ok(res, 200);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(doc);
}

int sim_org_set_member(struct sim_org *org, size_t idx, const char *key, json_object *value,
                       int bump)
{
	json_object *doc = json_tokener_parse(org->users[idx].base), *old;
	int rc = -1;

	if (doc == NULL)
		goto out;
	if (json_object_object_get_ex(doc, key, &old) && json_object_equal(old, value)) {
		rc = 0;
		goto out;
	}
	json_object_object_add(doc, key, value);
	value = NULL;
	if (bump) {
		int64_t have = json_object_object_get_ex(doc, "version", &old)
		                   ? json_object_get_int64(old)
		                   : 0;
		json_object_object_add(doc, "version", json_object_new_int64(have + 1));
	}
	rc = replace_text(&org->users[idx].base, doc) < 0 ? -1 : 1;
out:
	json_object_put(value);
	json_object_put(doc);
	return rc;
}

/*
 * As the platform does (its API reference: DELETE /api/v2/users/{userId}
 * answers 200 with an object; GET /api/v2/users/{userId} looks for
 * state=active unless given state=deleted; GET /api/v2/users lists users
 * of a state, or of any with state=any), the user is not erased: it
 * turns "deleted", is no longer found by a plain GET, and still shows
 * in the bulk read with state=any or state=deleted.
 */
void sim_org_delete(struct sim_org *org, const char *id, struct sbuf *out, struct sim_result *res)
{
	json_object *doc = NULL, *v;
	int64_t have;
	long idx;

	pthread_rwlock_wrlock(&org->lock);
	doc = user_doc(org, id, &idx, res);
	if (doc == NULL)
		goto out;
	if (org->users[idx].state == SIM_DELETED) {
		sim_org_not_found(res, id);
		goto out;
	}
	have = json_object_object_get_ex(doc, "version", &v) ? json_object_get_int64(v) : 0;
	json_object_object_add(doc, "state", json_object_new_string("deleted"));
	json_object_object_add(doc, "version", json_object_new_int64(have + 1));
	if (replace_text(&org->users[idx].base, doc) < 0) {
		result_set(res, 500, "internal.server.error", "out of memory");
		goto out;
	}
	org->users[idx].state = SIM_DELETED;
	/* A deleted user is no longer in any queue or team. */
	org->users[idx].team = 0;
	org->users[idx].nqueues = 0;
	sbuf_adds(out, "{}");
	result_ok(res, 200);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(doc);
}

static char **routing_slot(struct sim_user *u, enum sim_kind kind)
{
	return kind == SIM_SKILLS ? &u->skills : &u->languages;
}

static void entities(struct sbuf *out, const char *list)
{
	sbuf_adds(out, "{\"entities\":");
	sbuf_adds(out, list ? list : "[]");
	sbuf_adds(out, "}");
}

void sim_org_routing_get(struct sim_org *org, const char *id, enum sim_kind kind, struct sbuf *out,
                         struct sim_result *res)
{
	long idx;

	pthread_rwlock_rdlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0) {
		sim_org_not_found(res, id);
	} else {
		entities(out, *routing_slot(&org->users[idx], kind));
		result_ok(res, 200);
	}
	pthread_rwlock_unlock(&org->lock);
}

static int check_bulk(json_object *body, struct sim_result *res)
{
	size_t n;

	if (!json_object_is_type(body, json_type_array)) {
		result_set(res, 400, "bad.request", "The request body must be a JSON array");
		return -1;
	}
	n = json_object_array_length(body);
	if (n > MAX_BULK) {
		result_set(res, 400, "bad.request", "At most %d entries are allowed, got %zu",
		           MAX_BULK, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(body, i), *v;
		double p;
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "id", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !gcu_uuid_valid(json_object_get_string(v))) {
			result_set(res, 400, "bad.request",
			           "Entry %zu needs an \"id\" that is a UUID", i);
			return -1;
		}
		if (!json_object_object_get_ex(e, "proficiency", &v) ||
		    !(json_object_is_type(v, json_type_int) ||
		      json_object_is_type(v, json_type_double))) {
			result_set(res, 400, "bad.request",
			           "Entry %zu needs a numeric \"proficiency\"", i);
			return -1;
		}
		p = json_object_get_double(v);
		if (!(p >= 0 && p <= 5)) {
			result_set(res, 400, "bad.request", "Entry %zu: proficiency must be 0 to 5",
			           i);
			return -1;
		}
	}
	return 0;
}

void sim_org_routing_bulk(struct sim_org *org, const char *id, enum sim_kind kind,
                          json_object *body, struct sbuf *out, struct sim_result *res)
{
	json_object *list = NULL;
	char **slot;
	long idx;

	if (check_bulk(body, res) < 0)
		return;
	pthread_rwlock_wrlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0) {
		sim_org_not_found(res, id);
		goto out;
	}
	slot = routing_slot(&org->users[idx], kind);
	list = *slot ? json_tokener_parse(*slot) : json_object_new_array();
	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		list = json_object_new_array();
	}
	for (size_t i = 0; i < json_object_array_length(body); i++) {
		json_object *e = json_object_array_get_idx(body, i);
		json_object *pv = json_object_object_get(e, "proficiency");
		const char *eid = json_object_get_string(json_object_object_get(e, "id"));
		json_object *found = NULL, *prof;
		size_t n = json_object_array_length(list);

		prof = json_object_is_type(pv, json_type_int)
		           ? json_object_new_int64(json_object_get_int64(pv))
		           : json_object_new_double(json_object_get_double(pv));
		for (size_t k = 0; k < n && !found; k++) {
			json_object *cur = json_object_array_get_idx(list, k);
			if (strcasecmp(json_object_get_string(json_object_object_get(cur, "id")),
			               eid) == 0)
				found = cur;
		}
		if (found) {
			json_object_object_add(found, "proficiency", prof);
			json_object_object_add(found, "state", json_object_new_string("active"));
		} else {
			json_object *ne = json_object_new_object();
			json_object_object_add(ne, "id", json_object_new_string(eid));
			json_object_object_add(
			    ne, "name",
			    json_object_new_string(sim_catalog_name(
			        &org->cat, kind == SIM_SKILLS ? SIM_CAT_SKILL : SIM_CAT_LANGUAGE,
			        eid)));
			json_object_object_add(ne, "proficiency", prof);
			json_object_object_add(ne, "state", json_object_new_string("active"));
			json_object_array_add(list, ne);
		}
	}
	if (replace_text(slot, list) < 0) {
		result_set(res, 500, "internal.server.error", "out of memory");
		goto out;
	}
	entities(out, *slot);
	result_ok(res, 200);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(list);
}

void sim_org_routing_delete(struct sim_org *org, const char *id, enum sim_kind kind,
                            const char *item, struct sim_result *res)
{
	json_object *list = NULL, *kept = NULL;
	char **slot;
	long idx;
	int removed = 0;

	pthread_rwlock_wrlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0) {
		sim_org_not_found(res, id);
		goto out;
	}
	result_ok(res, 204);
	slot = routing_slot(&org->users[idx], kind);
	if (*slot == NULL)
		goto out;
	list = json_tokener_parse(*slot);
	if (!json_object_is_type(list, json_type_array))
		goto out;
	kept = json_object_new_array();
	for (size_t k = 0; k < json_object_array_length(list); k++) {
		json_object *cur = json_object_array_get_idx(list, k);
		const char *cid = json_object_get_string(json_object_object_get(cur, "id"));
		if (cid && strcasecmp(cid, item) == 0)
			removed = 1;
		else
			json_object_array_add(kept, json_object_get(cur));
	}
	if (removed && replace_text(slot, kept) < 0)
		result_set(res, 500, "internal.server.error", "out of memory");
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(kept);
	json_object_put(list);
}

void sim_org_status(struct sim_org *org, const char *id, json_object *body, const char *now_iso,
                    struct sbuf *out, struct sim_result *res)
{
	json_object *st = NULL, *v;
	const char *status = NULL;
	long idx;

	if (body) {
		if (!json_object_is_type(body, json_type_object) ||
		    !json_object_object_get_ex(body, "status", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			result_set(res, 400, "bad.request", "The body needs a \"status\"");
			return;
		}
		status = json_object_get_string(v);
		size_t k;
		for (k = 0; k < sizeof routing_states / sizeof routing_states[0]; k++)
			if (strcmp(routing_states[k], status) == 0)
				break;
		if (k == sizeof routing_states / sizeof routing_states[0]) {
			result_set(res, 400, "bad.request", "Unknown routing status '%.40s'",
			           status);
			return;
		}
	}
	if (body)
		pthread_rwlock_wrlock(&org->lock);
	else
		pthread_rwlock_rdlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0) {
		sim_org_not_found(res, id);
		goto out;
	}
	if (body) {
		st = json_object_new_object();
		json_object_object_add(st, "status", json_object_new_string(status));
		json_object_object_add(st, "startTime", json_object_new_string(now_iso));
		if (replace_text(&org->users[idx].status, st) < 0) {
			result_set(res, 500, "internal.server.error", "out of memory");
			goto out;
		}
	}
	sbuf_adds(out, "{\"userId\":");
	sbuf_add_json_str(out, org->users[idx].id);
	if (org->users[idx].status) {
		size_t len = strlen(org->users[idx].status);
		if (len > 2) {
			sbuf_add(out, ",", 1);
			sbuf_add(out, org->users[idx].status + 1, len - 1);
		} else {
			sbuf_add(out, "}", 1);
		}
	} else {
		sbuf_adds(out, ",\"status\":\"OFF_QUEUE\",\"startTime\":");
		sbuf_add_json_str(out, now_iso);
		sbuf_add(out, "}", 1);
	}
	result_ok(res, 200);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(st);
}

int sim_org_touch(struct sim_org *org, uint64_t *rng, const char *stamp)
{
	json_object *doc = NULL, *v;
	int rc = -1;

	pthread_rwlock_wrlock(&org->lock);
	if (org->n == 0)
		goto out;
	struct sim_user *u = &org->users[sim_randn(rng, org->n)];
	doc = json_tokener_parse(u->base);
	if (doc == NULL)
		goto out;
	int64_t have = json_object_object_get_ex(doc, "version", &v) ? json_object_get_int64(v) : 0;
	json_object_object_add(doc, "wfmSyncStamp", json_object_new_string(stamp));
	json_object_object_add(doc, "version", json_object_new_int64(have + 1));
	rc = replace_text(&u->base, doc);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(doc);
	return rc;
}
