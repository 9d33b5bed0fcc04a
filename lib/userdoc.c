/*
 * userdoc.c - platform user document -> the `current` values of a change.
 */
#include "userdoc.h"

#include <strings.h>

#include "json_access.h"
#include "fields.h"

long gcu_user_version(json_object *user)
{
	json_object *v = gcu_json_get(user, "version");
	if (!json_object_is_type(v, json_type_int))
		return -1;
	return (long)json_object_get_int64(v);
}

json_object *gcu_changes_queues(json_object *changes)
{
	if (!json_object_is_type(changes, json_type_object))
		return NULL;
	json_object_object_foreach(changes, field, change)
	{
		if (gcu_field_kind(field) == GCU_FIELD_QUEUES &&
		    json_object_is_type(change, json_type_object))
			return change;
	}
	return NULL;
}

/* [{"id","proficiency"}] -> {id: proficiency} */
static json_object *idmap_from_list(json_object *list)
{
	json_object *map = json_object_new_object();
	if (!json_object_is_type(list, json_type_array))
		return map;
	size_t n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *id = gcu_json_str(e, "id");
		if (id == NULL)
			continue;
		json_object *p = gcu_json_get(e, "proficiency");
		json_object_object_add(map, id, json_object_get(p));
	}
	return map;
}

/* Is queue q in the list [{"id"}…]? */
static int listed(json_object *list, const char *q)
{
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *id = gcu_json_str(json_object_array_get_idx(list, i), "id");
		if (id && strcasecmp(id, q) == 0)
			return 1;
	}
	return 0;
}

/* The queues a change names, each true when the user is in it. */
static json_object *memberships(json_object *list, json_object *change)
{
	json_object *map = json_object_new_object();
	if (!json_object_is_type(change, json_type_object))
		return map;
	json_object_object_foreach(change, q, want)
	{
		(void)want;
		json_object_object_add(map, q, json_object_new_boolean(listed(list, q)));
	}
	return map;
}

static json_object *current_value(json_object *user, const char *field, json_object *change)
{
	json_object *v = gcu_json_get(user, gcu_field_doc_key(field));

	switch (gcu_field_kind(field)) {
	case GCU_FIELD_QUEUES:
		return memberships(v, change);
	case GCU_FIELD_IDMAP:
		return idmap_from_list(v);
	case GCU_FIELD_STATUS: {
		const char *s =
		    json_object_is_type(v, json_type_object) ? gcu_json_str(v, "status") : NULL;
		if (s == NULL && json_object_is_type(v, json_type_string))
			s = json_object_get_string(v);
		return s ? json_object_new_string(s) : NULL;
	}
	case GCU_FIELD_USERREF:
	case GCU_FIELD_TEAM:
	case GCU_FIELD_DIVISION: {
		const char *id =
		    json_object_is_type(v, json_type_object) ? gcu_json_str(v, "id") : NULL;
		if (id == NULL && json_object_is_type(v, json_type_string))
			id = json_object_get_string(v);
		return id ? json_object_new_string(id) : NULL;
	}
	default:
		return json_object_get(v);
	}
}

json_object *gcu_user_current(json_object *user, json_object *changes)
{
	json_object *cur = json_object_new_object();
	json_object *version = gcu_json_get(user, "version");

	if (version != NULL)
		json_object_object_add(cur, "version", json_object_get(version));
	json_object_object_foreach(changes, field, change)
	{
		json_object_object_add(cur, field, current_value(user, field, change));
	}
	return cur;
}
