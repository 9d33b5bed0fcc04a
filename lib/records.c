/*
 * records.c - the record shapes of DESIGN.md, built in one place so that
 * every stage writes the same keys in the same order.
 */
#include "records.h"

#include <stdio.h>
#include <string.h>

#include "expect.h"
#include "fields.h"
#include "json_access.h"
#include "merge.h"
#include "userdoc.h"
#include "uuid.h"

int gcu_scoped_check(json_object *rec, const char **id, enum gcu_scope *scope,
                     json_object **changes, char *why, size_t whylen)
{
	*id = gcu_json_str(rec, "id");
	if (!gcu_uuid_valid(*id)) {
		snprintf(why, whylen, *id ? "id '%.64s' is not a UUID" : "missing id%.0s",
		         *id ? *id : "");
		return -1;
	}
	*scope = gcu_scope_parse(gcu_json_str(rec, "scope"));
	if (*scope == GCU_SCOPE_NONE) {
		snprintf(why, whylen, "missing or unknown scope (non-routing or routing)");
		return -1;
	}
	*changes = gcu_json_get(rec, "changes");
	if (!json_object_is_type(*changes, json_type_object) ||
	    json_object_object_length(*changes) == 0) {
		snprintf(why, whylen, "missing or empty changes");
		return -1;
	}
	return 0;
}

/* {"id","src","scope"} copied from rec (src may be absent). */
static json_object *head(json_object *rec)
{
	json_object *out = json_object_new_object();
	static const char *const keys[] = {"id", "src", "scope"};
	for (size_t i = 0; i < 3; i++) {
		json_object *v = gcu_json_get(rec, keys[i]);
		if (v != NULL)
			json_object_object_add(out, keys[i], json_object_get(v));
	}
	return out;
}

json_object *gcu_fetched_record(json_object *scoped, json_object *user, int status,
                                const char *message)
{
	json_object *out = head(scoped);
	json_object *changes = gcu_json_get(scoped, "changes");
	json_object *expect = gcu_json_get(scoped, "expect");

	json_object_object_add(out, "changes", json_object_get(changes));
	if (expect != NULL)
		json_object_object_add(out, "expect", json_object_get(expect));
	if (user != NULL) {
		json_object *fields = gcu_expect_fields(changes, expect);
		json_object_object_add(out, "current", gcu_user_current(user, fields));
		json_object_put(fields);
	} else {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "status", json_object_new_int(status));
		json_object_object_add(e, "message", json_object_new_string(message));
		json_object_object_add(out, "error", e);
	}
	return out;
}

static json_object *status_line(json_object *rec, const char *status, json_object *error)
{
	json_object *out = head(rec);
	json_object_object_add(out, "status", json_object_new_string(status));
	if (error != NULL)
		json_object_object_add(out, "error", error);
	return out;
}

/* changes without the group memberships (a new reference): what the
 * user's own requests serve, and what their results are verified by. */
static json_object *own_changes(json_object *changes)
{
	json_object *own = json_object_new_object();
	json_object_object_foreach(changes, field, value)
	{
		if (!gcu_field_is_group(field))
			json_object_object_add(own, field, json_object_get(value));
	}
	return own;
}

json_object *gcu_request_records(json_object *fetched, struct gcu_grouper *groups, char *why,
                                 size_t whylen)
{
	const char *id;
	enum gcu_scope scope;
	json_object *changes, *current = gcu_json_get(fetched, "current");
	json_object *error = gcu_json_get(fetched, "error");
	json_object *expect = gcu_json_get(fetched, "expect");
	json_object *lines, *reqs, *ms = NULL, *own, *ready, *detail;
	char err[512];
	int rc = 0;

	if (gcu_scoped_check(fetched, &id, &scope, &changes, why, whylen) < 0)
		return NULL;
	lines = json_object_new_array();
	if (error != NULL) {
		json_object_array_add(lines,
		                      status_line(fetched, "failed", json_object_get(error)));
		return lines;
	}
	if (!json_object_is_type(current, json_type_object)) {
		json_object_put(lines);
		snprintf(why, whylen, "neither current nor error (is this gcu-fetch output?)");
		return NULL;
	}
	/* A guarded change: all of it or, when the user moved on, nothing. */
	if (gcu_expect_check(current, expect, err, sizeof err, &detail)) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "message", json_object_new_string(err));
		json_object_object_add(e, "expect", detail);
		json_object_array_add(lines, status_line(fetched, "conflict", e));
		return lines;
	}
	ready = json_object_new_array();
	reqs = gcu_merge(id, current, changes, err, sizeof err);
	if (reqs != NULL)
		ms = gcu_merge_memberships(id, current, changes, err, sizeof err);
	if (ms != NULL && json_object_array_length(ms) > 0) {
		if (groups == NULL)
			snprintf(err, sizeof err, "memberships are not merged here");
		rc = groups == NULL ? -1
		                    : gcu_grouper_add(groups, id, gcu_json_str(fetched, "src"),
		                                      gcu_json_str(fetched, "scope"), ms, ready,
		                                      err, sizeof err);
	}
	if (reqs == NULL || ms == NULL || rc < 0) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "message", json_object_new_string(err));
		json_object_array_add(lines, status_line(fetched, "failed", e));
		goto out;
	}
	size_t n = json_object_array_length(reqs);
	if (n == 0 && json_object_array_length(ms) == 0)
		json_object_array_add(lines, status_line(fetched, "unchanged", NULL));
	own = own_changes(changes);
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(reqs, i);
		json_object *out = head(fetched);
		json_object_object_foreach(r, key, val)
		{
			if (strcmp(key, "undo") != 0)
				json_object_object_add(out, key, json_object_get(val));
		}
		json_object_object_add(out, "changes", json_object_get(own));
		/* gcu-send checks it again when it reads the user anew. */
		if (expect != NULL)
			json_object_object_add(out, "expect", json_object_get(expect));
		json_object_object_add(out, "undo", json_object_get(gcu_json_get(r, "undo")));
		json_object_array_add(lines, out);
	}
	json_object_put(own);
	/* The user's own requests go before the group requests that became
	 * ready with it: a division move must follow the user's PATCH. */
	for (size_t i = 0; i < json_object_array_length(ready); i++)
		json_object_array_add(lines, json_object_get(json_object_array_get_idx(ready, i)));
out:
	json_object_put(ready);
	json_object_put(reqs);
	json_object_put(ms);
	return lines;
}
