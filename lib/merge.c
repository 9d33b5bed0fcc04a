/*
 * merge.c - building versioned requests from current values and changes.
 *
 * One predicate, field_holds(), decides whether a change is already true;
 * the merge sends exactly the fields for which it is false and verify
 * reports exactly those, so the two can never disagree.
 */
#include "merge.h"

#include <stdio.h>
#include <string.h>

#include "json_access.h"
#include "fields.h"
#include "undo.h"
#include "uuid.h"

/* Does current hold every key of the wanted object (null: key absent)? */
static int object_holds(json_object *current, json_object *want)
{
	json_object_object_foreach(want, key, w)
	{
		json_object *have = gcu_json_get(current, key);
		if (w == NULL) {
			if (have != NULL)
				return 0;
		} else if (json_object_is_type(w, json_type_object) &&
		           json_object_is_type(have, json_type_object)) {
			if (!object_holds(have, w))
				return 0;
		} else if (!gcu_json_same(have, w)) {
			return 0;
		}
	}
	return 1;
}

static int contact_key_eq(json_object *a, json_object *b)
{
	const char *ma = gcu_json_str(a, "mediaType"), *mb = gcu_json_str(b, "mediaType");
	const char *ta = gcu_json_str(a, "type"), *tb = gcu_json_str(b, "type");
	return ma && mb && ta && tb && strcmp(ma, mb) == 0 && strcmp(ta, tb) == 0;
}

static json_object *find_contact(json_object *list, json_object *key)
{
	if (!json_object_is_type(list, json_type_array))
		return NULL;
	size_t n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		if (contact_key_eq(e, key))
			return e;
	}
	return NULL;
}

/* A contact change with "address": null removes that contact; one that
 * leaves address out only changes the other keys. */
static int is_removal(json_object *w)
{
	return json_object_object_get_ex(w, "address", NULL) && gcu_json_get(w, "address") == NULL;
}

static int contacts_hold(json_object *current, json_object *want)
{
	size_t n = json_object_array_length(want);
	for (size_t i = 0; i < n; i++) {
		json_object *w = json_object_array_get_idx(want, i);
		json_object *have = find_contact(current, w);
		if (is_removal(w) ? have != NULL : (have == NULL || !object_holds(have, w)))
			return 0;
	}
	return 1;
}

static int idmap_holds(json_object *current, json_object *want)
{
	json_object_object_foreach(want, key, w)
	{
		json_object *have = NULL;
		int present = json_object_object_get_ex(current, key, &have);
		if (w == NULL ? present : (!present || !gcu_json_same(have, w)))
			return 0;
	}
	return 1;
}

/* Is the user in (true) or out of (false) every queue want names? */
static int queues_hold(json_object *current, json_object *want)
{
	json_object_object_foreach(want, q, w)
	{
		json_object *have = gcu_json_get(current, q);
		if (json_object_get_boolean(have) != json_object_get_boolean(w))
			return 0;
	}
	return 1;
}

static int is_empty_list(json_object *v)
{
	return json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0;
}

static int field_holds(const char *field, json_object *current, json_object *want)
{
	enum gcu_field_kind kind = gcu_field_kind(field);

	if (want == NULL) {
		if (kind == GCU_FIELD_LIST || kind == GCU_FIELD_CONTACTS)
			return current == NULL || is_empty_list(current);
		return current == NULL;
	}
	switch (kind) {
	case GCU_FIELD_OBJECT:
		return json_object_is_type(current, json_type_object) &&
		       object_holds(current, want);
	case GCU_FIELD_CONTACTS:
		return contacts_hold(current, want);
	case GCU_FIELD_IDMAP:
		return idmap_holds(current, want);
	case GCU_FIELD_QUEUES:
		return queues_hold(current, want);
	default:
		return gcu_json_same(current, want);
	}
}

/* current overlaid with want, key by key; null removes (new reference). */
static json_object *object_merged(json_object *current, json_object *want)
{
	json_object *out = json_object_new_object();
	if (json_object_is_type(current, json_type_object)) {
		json_object_object_foreach(current, key, v)
		{
			json_object_object_add(out, key, json_object_get(v));
		}
	}
	json_object_object_foreach(want, key, w)
	{
		json_object *have = gcu_json_get(out, key);
		if (w == NULL) {
			json_object_object_del(out, key);
		} else if (json_object_is_type(w, json_type_object) &&
		           json_object_is_type(have, json_type_object)) {
			json_object_object_add(out, key, object_merged(have, w));
		} else {
			json_object_object_add(out, key, json_object_get(w));
		}
	}
	return out;
}

static json_object *contacts_merged(json_object *current, json_object *want)
{
	json_object *out = json_object_new_array();
	size_t n =
	    json_object_is_type(current, json_type_array) ? json_object_array_length(current) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(current, i);
		json_object *w = find_contact(want, e);
		if (w == NULL)
			json_object_array_add(out, json_object_get(e));
		else if (!is_removal(w))
			json_object_array_add(out, object_merged(e, w));
		/* else: removed */
	}
	size_t m = json_object_array_length(want);
	for (size_t i = 0; i < m; i++) {
		json_object *w = json_object_array_get_idx(want, i);
		if (find_contact(current, w) == NULL && !is_removal(w))
			json_object_array_add(out, json_object_get(w));
	}
	return out;
}

/* The value a field is PATCHed with (new reference, NULL for JSON null). */
static json_object *patch_value(const char *field, json_object *current, json_object *want)
{
	switch (gcu_field_kind(field)) {
	case GCU_FIELD_OBJECT:
		return want ? object_merged(current, want) : NULL;
	case GCU_FIELD_CONTACTS:
		return want ? contacts_merged(current, want) : json_object_new_array();
	case GCU_FIELD_LIST:
		return want ? json_object_get(want) : json_object_new_array();
	default:
		return json_object_get(want);
	}
}

/* What restores, key by key, the keys of an object that want changes:
 * each one's value before, null for a key it added (new reference). */
static json_object *object_before(json_object *current, json_object *want)
{
	json_object *out = json_object_new_object();
	json_object_object_foreach(want, key, w)
	{
		json_object *have = gcu_json_get(current, key);
		if (json_object_is_type(w, json_type_object) &&
		    json_object_is_type(have, json_type_object))
			json_object_object_add(out, key, object_before(have, w));
		else
			json_object_object_add(out, key, json_object_get(have));
	}
	return out;
}

/* The contacts that restore those want changes: each one as it was, or
 * its removal when it was not there (new reference). */
static json_object *contacts_before(json_object *current, json_object *want)
{
	json_object *out = json_object_new_array();
	size_t n = json_object_array_length(want);
	for (size_t i = 0; i < n; i++) {
		json_object *w = json_object_array_get_idx(want, i);
		json_object *have = find_contact(current, w);
		if (have != NULL) {
			json_object_array_add(out, json_object_get(have));
			continue;
		}
		json_object *gone = json_object_new_object();
		json_object_object_add(gone, "mediaType",
		                       json_object_get(gcu_json_get(w, "mediaType")));
		json_object_object_add(gone, "type", json_object_get(gcu_json_get(w, "type")));
		json_object_object_add(gone, "address", NULL);
		json_object_array_add(out, gone);
	}
	return out;
}

/* Notes in *undo what restores field (current, wanted want) once want is
 * written: its value before, in the form of a change (undo.h). */
static void note_undo(json_object **undo, const char *field, json_object *current,
                      json_object *want)
{
	json_object *before;

	switch (gcu_field_kind(field)) {
	case GCU_FIELD_OBJECT:
		before = json_object_is_type(want, json_type_object) ? object_before(current, want)
		                                                     : json_object_get(current);
		break;
	case GCU_FIELD_CONTACTS:
		before = json_object_is_type(want, json_type_array) ? contacts_before(current, want)
		                                                    : json_object_get(current);
		break;
	default:
		before = json_object_get(current);
		break;
	}
	gcu_undo_add(undo, field, before, json_object_get(want));
}

/* Notes in *undo the entry key of a map field (routing skills or
 * languages, queues) going from what current holds to w. */
static void note_entry_undo(json_object **undo, const char *field, json_object *current,
                            const char *key, json_object *w)
{
	json_object *before = json_object_new_object(), *wrote = json_object_new_object();

	json_object_object_add(before, key, json_object_get(gcu_json_get(current, key)));
	json_object_object_add(wrote, key, json_object_get(w));
	gcu_undo_add(undo, field, before, wrote);
}

/*
 * The request for op on user id (item: the skill or language of a DELETE,
 * else NULL), its method and path from the table of what gcu may send;
 * takes body. Appends it to out and returns it (borrowed), or returns NULL
 * with err filled when the table cannot make that path.
 */
static json_object *request(json_object *out, const char *op, const char *id, const char *item,
                            json_object *body, char *err, size_t errlen)
{
	const struct gcu_endpoint *ep = gcu_endpoint_find(op);
	char path[GCU_PATH_MAX];

	if (ep == NULL || gcu_endpoint_path(ep, id, item, path, sizeof path) < 0) {
		snprintf(err, errlen, "%s: no request can be made for '%.64s'", op,
		         item ? item : id);
		json_object_put(body);
		return NULL;
	}
	json_object *r = json_object_new_object();
	json_object_object_add(r, "op", json_object_new_string(op));
	json_object_object_add(r, "method", json_object_new_string(ep->method));
	json_object_object_add(r, "path", json_object_new_string(path));
	json_object_object_add(r, "body", body);
	json_object_array_add(out, r);
	return r;
}

static json_object *versioned_body(const char *id, long version)
{
	json_object *b = json_object_new_object();
	json_object_object_add(b, "id", json_object_new_string(id));
	json_object_object_add(b, "version", json_object_new_int64(version));
	return b;
}

/* Attaches undo (taken) to the request r (borrowed; NULL: undo freed). */
static void attach_undo(json_object *r, json_object *undo)
{
	if (r == NULL)
		json_object_put(undo);
	else
		json_object_object_add(r, "undo", undo);
}

/* Routing skills or languages: bulk PATCHes of at most 50, DELETEs; each
 * carries its undo. */
static int merge_idmap(const char *id, const char *field, json_object *current, json_object *want,
                       json_object *out, char *err, size_t errlen)
{
	const char *remove_op =
	    strcmp(field, "routingSkills") == 0 ? "routingSkillRemove" : "routingLanguageRemove";
	json_object *chunks = json_object_new_array();
	json_object *batch = NULL, *undo = NULL, *r;

	json_object_object_foreach(want, key, w)
	{
		json_object *have = NULL;
		int present = json_object_object_get_ex(current, key, &have);
		if (!gcu_uuid_valid(key)) {
			snprintf(err, errlen, "%s: '%.64s' is not a UUID", field, key);
			json_object_put(batch);
			goto fail;
		}
		if (w == NULL || (present && gcu_json_same(have, w)))
			continue;
		if (batch == NULL)
			batch = json_object_new_array();
		json_object *e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(key));
		json_object_object_add(e, "proficiency", json_object_get(w));
		json_object_array_add(batch, e);
		note_entry_undo(&undo, field, current, key, w);
		if (json_object_array_length(batch) == GCU_BULK_MAX) {
			r = request(chunks, field, id, NULL, batch, err, errlen);
			attach_undo(r, undo);
			batch = undo = NULL;
			if (r == NULL)
				goto fail;
		}
	}
	if (batch != NULL) {
		r = request(chunks, field, id, NULL, batch, err, errlen);
		attach_undo(r, undo);
		undo = NULL;
		if (r == NULL)
			goto fail;
	}
	/* Chunks of one change share src, op and path; "part" tells them
	 * apart, so that a resumed run knows which ones finished. */
	size_t n = json_object_array_length(chunks);
	for (size_t i = 0; i < n; i++) {
		r = json_object_array_get_idx(chunks, i);
		if (n > 1)
			json_object_object_add(r, "part", json_object_new_int((int)i));
		json_object_array_add(out, json_object_get(r));
	}
	json_object_put(chunks);
	json_object_object_foreach(want, rkey, rw)
	{
		if (rw != NULL || !json_object_object_get_ex(current, rkey, NULL))
			continue;
		r = request(out, remove_op, id, rkey, NULL, err, errlen);
		if (r == NULL)
			return -1;
		note_entry_undo(&undo, field, current, rkey, NULL);
		attach_undo(r, undo);
		undo = NULL;
	}
	return 0;
fail:
	json_object_put(undo);
	json_object_put(chunks);
	return -1;
}

json_object *gcu_merge(const char *id, json_object *current, json_object *changes, char *err,
                       size_t errlen)
{
	json_object *out = json_object_new_array();
	json_object *routing = json_object_new_array();
	json_object *user = NULL, *state = NULL, *user_undo = NULL, *state_undo = NULL;
	char why[256];
	long version = -1;
	json_object *jv = gcu_json_get(current, "version");

	if (!gcu_uuid_valid(id)) {
		snprintf(err, errlen, "id '%.64s' is not a UUID", id ? id : "");
		goto fail;
	}
	if (json_object_is_type(jv, json_type_int))
		version = (long)json_object_get_int64(jv);

	json_object_object_foreach(changes, field, raw)
	{
		json_object *want = gcu_field_normalize(field, raw, why, sizeof why);
		json_object *have = gcu_json_get(current, field);
		enum gcu_field_kind kind = gcu_field_kind(field);
		int rc = 0;

		if (why[0]) {
			snprintf(err, errlen, "%s", why);
			goto fail;
		}
		if (gcu_field_is_group(field) || field_holds(field, have, want)) {
			json_object_put(want);
			continue;
		}
		if (kind == GCU_FIELD_IDMAP) {
			rc = merge_idmap(id, field, have, want, routing, err, errlen);
		} else if (kind == GCU_FIELD_STATUS) {
			json_object *b = json_object_new_object(), *undo = NULL;
			json_object_object_add(b, "status", json_object_get(want));
			json_object *r = request(routing, field, id, NULL, b, err, errlen);
			if (r == NULL)
				rc = -1;
			else
				note_undo(&undo, field, have, want);
			attach_undo(r, undo);
		} else if (version < 0) {
			snprintf(err, errlen,
			         "current has no version; cannot build a versioned PATCH");
			rc = -1;
		} else if (kind == GCU_FIELD_STATE) {
			state = versioned_body(id, version);
			json_object_object_add(state, "state", json_object_get(want));
			note_undo(&state_undo, field, have, want);
		} else {
			if (user == NULL)
				user = versioned_body(id, version);
			json_object_object_add(user, field, patch_value(field, have, want));
			note_undo(&user_undo, field, have, want);
		}
		json_object_put(want);
		if (rc < 0)
			goto fail;
	}
	/* The platform takes a change of state only alone: it goes first, and
	 * the PATCH after it expects the version the state change produces. */
	if (state != NULL) {
		json_object *r = request(out, "state", id, NULL, state, err, errlen);
		state = NULL;
		attach_undo(r, state_undo);
		state_undo = NULL;
		if (r == NULL)
			goto fail;
		if (user != NULL)
			json_object_object_add(user, "version", json_object_new_int64(version + 1));
	}
	if (user != NULL) {
		json_object *r = request(out, "user", id, NULL, user, err, errlen);
		user = NULL;
		attach_undo(r, user_undo);
		user_undo = NULL;
		if (r == NULL)
			goto fail;
	}
	for (size_t i = 0; i < json_object_array_length(routing); i++)
		json_object_array_add(out, json_object_get(json_object_array_get_idx(routing, i)));
	json_object_put(routing);
	return out;
fail:
	json_object_put(state);
	json_object_put(user);
	json_object_put(state_undo);
	json_object_put(user_undo);
	json_object_put(routing);
	json_object_put(out);
	return NULL;
}

/* Appends {"op","group","changes":{field: change},"undo"} to out; takes
 * change and undo. */
static void membership(json_object *out, const char *op, const char *group, const char *field,
                       json_object *change, json_object *undo)
{
	json_object *m = json_object_new_object(), *ch = json_object_new_object();

	json_object_object_add(ch, field, change);
	json_object_object_add(m, "op", json_object_new_string(op));
	json_object_object_add(m, "group", json_object_new_string(group));
	json_object_object_add(m, "changes", ch);
	json_object_object_add(m, "undo", undo);
	json_object_array_add(out, m);
}

/* The undo of a membership step of field: from before to wrote (both
 * borrowed). */
static json_object *step_undo(const char *field, json_object *before, json_object *wrote)
{
	json_object *undo = NULL;
	gcu_undo_add(&undo, field, json_object_get(before), json_object_get(wrote));
	return undo;
}

/* The queues to join and leave: one membership change per queue whose
 * membership differs from what the change wants. */
static void queue_changes(json_object *out, json_object *current, json_object *want)
{
	json_object_object_foreach(want, q, w)
	{
		int in = json_object_get_boolean(w);
		if (json_object_get_boolean(gcu_json_get(current, q)) == in)
			continue;
		json_object *one = json_object_new_object(), *undo = NULL;
		json_object_object_add(one, q, json_object_new_boolean(in));
		note_entry_undo(&undo, "queues", current, q, w);
		membership(out, in ? "queueJoin" : "queueLeave", q, "queues", one, undo);
	}
}

json_object *gcu_merge_memberships(const char *id, json_object *current, json_object *changes,
                                   char *err, size_t errlen)
{
	json_object *out = json_object_new_array();
	char why[256];

	if (!gcu_uuid_valid(id)) {
		snprintf(err, errlen, "id '%.64s' is not a UUID", id ? id : "");
		goto fail;
	}
	json_object_object_foreach(changes, field, raw)
	{
		if (!gcu_field_is_group(field))
			continue;
		json_object *want = gcu_field_normalize(field, raw, why, sizeof why);
		json_object *have = gcu_json_get(current, field);
		if (why[0]) {
			snprintf(err, errlen, "%s", why);
			goto fail;
		}
		if (field_holds(field, have, want)) {
			json_object_put(want);
			continue;
		}
		switch (gcu_field_kind(field)) {
		case GCU_FIELD_QUEUES:
			queue_changes(out, have, want);
			break;
		case GCU_FIELD_TEAM:
			/* One team at most: the old one is left before the new one
			 * is joined. Both steps carry the change they serve; the
			 * leave alone leaves the user in no team. */
			if (json_object_is_type(have, json_type_string))
				membership(out, "teamLeave", json_object_get_string(have), field,
				           json_object_get(want), step_undo(field, have, NULL));
			if (want != NULL)
				membership(out, "teamJoin", json_object_get_string(want), field,
				           json_object_get(want), step_undo(field, have, want));
			break;
		default:
			membership(out, "division", json_object_get_string(want), field,
			           json_object_get(want), step_undo(field, have, want));
			break;
		}
		json_object_put(want);
	}
	return out;
fail:
	json_object_put(out);
	return NULL;
}

json_object *gcu_merge_mismatch(json_object *current, json_object *changes)
{
	json_object *out = json_object_new_object();
	char why[256];

	json_object_object_foreach(changes, field, raw)
	{
		json_object *want = gcu_field_normalize(field, raw, why, sizeof why);
		json_object *have = gcu_json_get(current, field);
		if (why[0] || !field_holds(field, have, want)) {
			json_object *m = json_object_new_object();
			json_object_object_add(m, "want", json_object_get(raw));
			json_object_object_add(m, "got", json_object_get(have));
			json_object_object_add(out, field, m);
		}
		json_object_put(want);
	}
	return out;
}
