/*
 * change.c - validation and scope splitting of change records, and the
 * folding of two records for one user.
 */
#include "change.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "json_access.h"
#include "uuid.h"

int gcu_change_split(const struct gcu_config *c, json_object *record, const char **id,
                     json_object *out[GCU_NSCOPES], char *err, size_t errlen)
{
	json_object *changes = NULL;
	char why[256];

	for (int s = 0; s < GCU_NSCOPES; s++)
		out[s] = NULL;
	*id = NULL;
	json_object_object_foreach(record, key, val)
	{
		(void)val;
		/* src and scope are accepted so that a stage's output can be fed
		 * back in; they are recomputed. */
		if (strcmp(key, "id") != 0 && strcmp(key, "changes") != 0 &&
		    strcmp(key, "src") != 0 && strcmp(key, "scope") != 0) {
			snprintf(err, errlen, "unknown key '%s' (expected id and changes)", key);
			return -1;
		}
	}
	json_object *jid = gcu_json_get(record, "id");
	if (jid == NULL) {
		snprintf(err, errlen, "missing id");
		return -1;
	}
	if (!json_object_is_type(jid, json_type_string) ||
	    !gcu_uuid_valid(json_object_get_string(jid))) {
		snprintf(err, errlen, "id '%.64s' is not a UUID", json_object_get_string(jid));
		return -1;
	}
	*id = json_object_get_string(jid);
	changes = gcu_json_get(record, "changes");
	if (!json_object_is_type(changes, json_type_object)) {
		snprintf(err, errlen, "missing or non-object 'changes'");
		return -1;
	}
	if (json_object_object_length(changes) == 0) {
		snprintf(err, errlen, "no changes for this user");
		return -1;
	}
	json_object_object_foreach(changes, field, value)
	{
		enum gcu_scope scope = gcu_config_scope_of(c, field);
		if (scope == GCU_SCOPE_NONE) {
			snprintf(err, errlen, "unknown field '%s'", field);
			goto fail;
		}
		enum gcu_field_kind kind = gcu_field_kind(field);
		if (value == NULL && (kind == GCU_FIELD_STATUS || kind == GCU_FIELD_STATE)) {
			snprintf(err, errlen, "%s: cannot be cleared (null)", field);
			goto fail;
		}
		json_object *canon = gcu_field_normalize(field, value, why, sizeof why);
		if (why[0]) {
			snprintf(err, errlen, "%s", why);
			goto fail;
		}
		if (out[scope] == NULL)
			out[scope] = json_object_new_object();
		json_object_object_add(out[scope], field, canon);
	}
	return 0;
fail:
	for (int s = 0; s < GCU_NSCOPES; s++) {
		json_object_put(out[s]);
		out[s] = NULL;
	}
	return -1;
}

int gcu_changes_fold(json_object *into, json_object *from, char *err, size_t errlen)
{
	json_object_object_foreach(from, field, value)
	{
		json_object *have = NULL;
		if (!json_object_object_get_ex(into, field, &have)) {
			json_object_object_add(into, field, json_object_get(value));
			continue;
		}
		if (gcu_field_kind(field) == GCU_FIELD_IDMAP && have != NULL && value != NULL) {
			json_object_object_foreach(value, entry, level)
			{
				json_object *old = NULL;
				if (json_object_object_get_ex(have, entry, &old) &&
				    !gcu_json_same(old, level)) {
					snprintf(err, errlen, "%s: %s", field, entry);
					return -1;
				}
				json_object_object_add(have, entry, json_object_get(level));
			}
			continue;
		}
		if (!gcu_json_same(have, value)) {
			snprintf(err, errlen, "%s", field);
			return -1;
		}
	}
	return 0;
}

json_object *gcu_scoped_record(const char *id, const char *src, enum gcu_scope scope,
                               json_object *changes)
{
	json_object *rec = json_object_new_object();
	json_object_object_add(rec, "id", json_object_new_string(id));
	json_object_object_add(rec, "src", json_object_new_string(src));
	json_object_object_add(rec, "scope", json_object_new_string(gcu_scope_name(scope)));
	json_object_object_add(rec, "changes", changes);
	return rec;
}
