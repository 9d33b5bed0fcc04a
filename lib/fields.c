/*
 * fields.c - the table of platform user fields and the checks on change
 * values that go with each kind.
 */
#include "fields.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "uuid.h"

static const struct {
	const char *name;
	enum gcu_field_kind kind;
	const char *doc_key;
	enum gcu_ref_kind ref;
} table[] = {
    {"name", GCU_FIELD_STRING, NULL},
    {"email", GCU_FIELD_STRING, NULL},
    {"title", GCU_FIELD_STRING, NULL},
    {"department", GCU_FIELD_STRING, NULL},
    {"username", GCU_FIELD_STRING, NULL},
    {"preferredName", GCU_FIELD_STRING, NULL},
    {"biography", GCU_FIELD_OBJECT, NULL},
    {"manager", GCU_FIELD_USERREF, NULL, GCU_REF_USER},
    {"addresses", GCU_FIELD_CONTACTS, NULL},
    {"primaryContactInfo", GCU_FIELD_CONTACTS, NULL},
    {"profileSkills", GCU_FIELD_LIST, NULL},
    {"certifications", GCU_FIELD_LIST, NULL},
    {"locations", GCU_FIELD_LIST, NULL},
    {"groups", GCU_FIELD_LIST, NULL},
    {"employerInfo", GCU_FIELD_OBJECT, NULL},
    {"chat", GCU_FIELD_OBJECT, NULL},
    {"acdAutoAnswer", GCU_FIELD_BOOL, NULL},
    {"state", GCU_FIELD_STATE, NULL},
    {"routingSkills", GCU_FIELD_IDMAP, "skills", GCU_REF_SKILL},
    {"routingLanguages", GCU_FIELD_IDMAP, "languages", GCU_REF_LANGUAGE},
    {"routingStatus", GCU_FIELD_STATUS, "routingStatus"},
    {"queues", GCU_FIELD_QUEUES, NULL, GCU_REF_QUEUE},
    {"team", GCU_FIELD_TEAM, NULL, GCU_REF_TEAM},
    {"division", GCU_FIELD_DIVISION, NULL, GCU_REF_DIVISION},
};

/* What a name where an id belongs is told: the way out. */
#define RESOLVE_HINT "; gcu-resolve turns names and emails into ids"

/* "deleted" is a state the platform has, but a change that sets it deletes
 * the user: gcu changes profiles and never deletes anyone. */
static const char *const states[] = {"active", "inactive"};
static const char *const statuses[] = {"OFF_QUEUE", "IDLE", "INTERACTING", "NOT_RESPONDING",
                                       "COMMUNICATING"};

const char *gcu_field_name(size_t i)
{
	return i < sizeof table / sizeof *table ? table[i].name : NULL;
}

enum gcu_field_kind gcu_field_kind(const char *field)
{
	for (size_t i = 0; i < sizeof table / sizeof *table; i++)
		if (strcmp(table[i].name, field) == 0)
			return table[i].kind;
	return GCU_FIELD_ANY;
}

int gcu_field_is_group(const char *field)
{
	enum gcu_field_kind k = gcu_field_kind(field);
	return k == GCU_FIELD_QUEUES || k == GCU_FIELD_TEAM || k == GCU_FIELD_DIVISION;
}

enum gcu_ref_kind gcu_field_ref(const char *field)
{
	for (size_t i = 0; i < sizeof table / sizeof *table; i++)
		if (strcmp(table[i].name, field) == 0)
			return table[i].ref;
	return GCU_REF_NONE;
}

const char *gcu_ref_name(enum gcu_ref_kind k)
{
	static const char *const names[] = {"",      "user", "skill",   "language",
	                                    "queue", "team", "division"};
	return (unsigned)k < GCU_NREFS ? names[k] : "";
}

const char *gcu_field_doc_key(const char *field)
{
	for (size_t i = 0; i < sizeof table / sizeof *table; i++)
		if (strcmp(table[i].name, field) == 0)
			return table[i].doc_key ? table[i].doc_key : field;
	return field;
}

static int one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

static int valid_proficiency(json_object *v)
{
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return 0;
	double d = json_object_get_double(v);
	return isfinite(d) && d >= 0 && d <= 5;
}

/* {id: n|null} or [{"id", "level"|"proficiency"}] -> {id: n|null} */
static json_object *normalize_idmap(const char *field, json_object *value, char *err, size_t errlen)
{
	json_object *map = json_object_new_object();

	if (json_object_is_type(value, json_type_object)) {
		json_object_object_foreach(value, key, v)
		{
			if (!gcu_uuid_valid(key)) {
				snprintf(err, errlen, "%s: '%s' is not a %s id (UUID)%s", field,
				         key, gcu_ref_name(gcu_field_ref(field)), RESOLVE_HINT);
				goto bad;
			}
			if (v != NULL && !valid_proficiency(v)) {
				snprintf(err, errlen,
				         "%s: %s: proficiency must be a number 0 to 5 or null",
				         field, key);
				goto bad;
			}
			json_object_object_add(map, key, json_object_get(v));
		}
		return map;
	}
	if (json_object_is_type(value, json_type_array)) {
		size_t n = json_object_array_length(value);
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(value, i), *id, *lvl = NULL;
			if (!json_object_is_type(e, json_type_object) ||
			    !json_object_object_get_ex(e, "id", &id) ||
			    !json_object_is_type(id, json_type_string)) {
				snprintf(err, errlen,
				         "%s[%zu]: expected {\"id\": …, \"proficiency\": n}", field,
				         i);
				goto bad;
			}
			const char *sid = json_object_get_string(id);
			if (!gcu_uuid_valid(sid)) {
				snprintf(err, errlen, "%s[%zu]: '%s' is not a %s id (UUID)%s",
				         field, i, sid, gcu_ref_name(gcu_field_ref(field)),
				         RESOLVE_HINT);
				goto bad;
			}
			if (!json_object_object_get_ex(e, "proficiency", &lvl))
				json_object_object_get_ex(e, "level", &lvl);
			if (lvl != NULL && !valid_proficiency(lvl)) {
				snprintf(err, errlen,
				         "%s[%zu]: proficiency must be a number 0 to 5", field, i);
				goto bad;
			}
			json_object_object_add(map, sid, json_object_get(lvl));
		}
		return map;
	}
	snprintf(err, errlen, "%s: expected an object {id: proficiency} or a list", field);
bad:
	json_object_put(map);
	return NULL;
}

/* {queueId: true|false} */
static json_object *normalize_queues(const char *field, json_object *value, char *err,
                                     size_t errlen)
{
	if (!json_object_is_type(value, json_type_object)) {
		snprintf(err, errlen, "%s: expected an object {queueId: true or false}", field);
		return NULL;
	}
	json_object_object_foreach(value, key, v)
	{
		if (!gcu_uuid_valid(key)) {
			snprintf(err, errlen, "%s: '%s' is not a UUID", field, key);
			return NULL;
		}
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "%s: %s: expected true (member) or false (not)",
			         field, key);
			return NULL;
		}
	}
	return json_object_get(value);
}

static json_object *normalize_contacts(const char *field, json_object *value, char *err,
                                       size_t errlen)
{
	if (!json_object_is_type(value, json_type_array)) {
		snprintf(err, errlen, "%s: expected a list of contacts", field);
		return NULL;
	}
	size_t n = json_object_array_length(value);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(value, i), *m, *t;
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "mediaType", &m) ||
		    !json_object_is_type(m, json_type_string) ||
		    !json_object_object_get_ex(e, "type", &t) ||
		    !json_object_is_type(t, json_type_string)) {
			snprintf(err, errlen, "%s[%zu]: a contact needs string mediaType and type",
			         field, i);
			return NULL;
		}
	}
	return json_object_get(value);
}

json_object *gcu_field_normalize(const char *field, json_object *value, char *err, size_t errlen)
{
	err[0] = '\0';
	if (value == NULL) {
		/* A user is always in a division, and leaves a queue by name. */
		if (gcu_field_kind(field) == GCU_FIELD_DIVISION)
			snprintf(err, errlen,
			         "%s: cannot be cleared (null); a user is always in one", field);
		else if (gcu_field_kind(field) == GCU_FIELD_QUEUES)
			snprintf(err, errlen,
			         "%s: cannot be cleared (null); name each queue to leave (false)",
			         field);
		return NULL;
	}

	switch (gcu_field_kind(field)) {
	case GCU_FIELD_ANY:
		return json_object_get(value);
	case GCU_FIELD_STRING:
		if (json_object_is_type(value, json_type_string))
			return json_object_get(value);
		snprintf(err, errlen, "%s: expected a string", field);
		return NULL;
	case GCU_FIELD_BOOL:
		if (json_object_is_type(value, json_type_boolean))
			return json_object_get(value);
		snprintf(err, errlen, "%s: expected true or false", field);
		return NULL;
	case GCU_FIELD_STATE:
		if (json_object_is_type(value, json_type_string) &&
		    one_of(json_object_get_string(value), states, sizeof states / sizeof *states))
			return json_object_get(value);
		snprintf(err, errlen,
		         "state: expected active or inactive (gcu does not delete users)");
		return NULL;
	case GCU_FIELD_STATUS:
		if (json_object_is_type(value, json_type_string) &&
		    one_of(json_object_get_string(value), statuses,
		           sizeof statuses / sizeof *statuses))
			return json_object_get(value);
		snprintf(err, errlen,
		         "routingStatus: expected OFF_QUEUE, IDLE, INTERACTING, NOT_RESPONDING or "
		         "COMMUNICATING");
		return NULL;
	case GCU_FIELD_USERREF: {
		json_object *id = value;
		if (json_object_is_type(value, json_type_object))
			json_object_object_get_ex(value, "id", &id);
		if (json_object_is_type(id, json_type_string) &&
		    gcu_uuid_valid(json_object_get_string(id)))
			return json_object_new_string(json_object_get_string(id));
		snprintf(err, errlen, "%s: expected a user id (UUID)%s", field, RESOLVE_HINT);
		return NULL;
	}
	case GCU_FIELD_OBJECT:
		if (json_object_is_type(value, json_type_object))
			return json_object_get(value);
		snprintf(err, errlen, "%s: expected an object", field);
		return NULL;
	case GCU_FIELD_CONTACTS:
		return normalize_contacts(field, value, err, errlen);
	case GCU_FIELD_LIST:
		if (json_object_is_type(value, json_type_array))
			return json_object_get(value);
		snprintf(err, errlen, "%s: expected a list", field);
		return NULL;
	case GCU_FIELD_IDMAP:
		return normalize_idmap(field, value, err, errlen);
	case GCU_FIELD_QUEUES:
		return normalize_queues(field, value, err, errlen);
	case GCU_FIELD_TEAM:
	case GCU_FIELD_DIVISION:
		/* An id, as the platform shows it alone or as {"id": …}. */
		if (json_object_is_type(value, json_type_object))
			json_object_object_get_ex(value, "id", &value);
		if (json_object_is_type(value, json_type_string) &&
		    gcu_uuid_valid(json_object_get_string(value)))
			return json_object_new_string(json_object_get_string(value));
		snprintf(err, errlen, "%s: expected a %s id (UUID)", field,
		         gcu_ref_name(gcu_field_ref(field)));
		return NULL;
	}
	snprintf(err, errlen, "%s: unknown field kind", field);
	return NULL;
}
