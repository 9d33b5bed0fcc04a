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

static const char *const key_names[GCU_NKEYS] = {"id", "email", "username", "employeeId"};

const char *gcu_key_name(enum gcu_key_kind k)
{
	return (unsigned)k < GCU_NKEYS ? key_names[k] : "";
}

int gcu_key_parse(const char *name)
{
	for (int k = 0; name && k < GCU_NKEYS; k++)
		if (strcmp(name, key_names[k]) == 0)
			return k;
	return -1;
}

int gcu_change_key(json_object *record, const char **value, char *err, size_t errlen)
{
	int kind = -1;

	*value = NULL;
	for (int k = 0; k < GCU_NKEYS; k++) {
		json_object *v = NULL;
		if (!json_object_object_get_ex(record, key_names[k], &v))
			continue;
		if (kind >= 0) {
			snprintf(err, errlen, "names its user twice: '%s' and '%s' (keep one)",
			         key_names[kind], key_names[k]);
			return -1;
		}
		kind = k;
		*value = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || **value == '\0') {
			snprintf(err, errlen, "%s: expected a non-empty string", key_names[k]);
			return -1;
		}
	}
	if (kind < 0)
		snprintf(err, errlen, "missing id (or email, username, employeeId)");
	return kind;
}

/* The members a change record may hold besides its key. */
static int known_member(const char *key)
{
	static const char *const members[] = {"changes", "expect", "src", "scope", "key"};
	for (size_t i = 0; i < sizeof members / sizeof *members; i++)
		if (strcmp(key, members[i]) == 0)
			return 1;
	return gcu_key_parse(key) >= 0;
}

/*
 * Splits the fields of obj by scope into out[] (a new object per scope it
 * names), each value checked and in canonical form. changed is NULL for
 * the changes themselves; for the expected values, the scopes the record
 * changes, which each expected field must be in (one of another scope
 * would guard nothing), and messages say "expect". Returns 0, or -1 with
 * err set (out[] may then hold what was split so far).
 */
static int by_scope(const struct gcu_config *c, json_object *obj,
                    json_object *const changed[GCU_NSCOPES], json_object *out[GCU_NSCOPES],
                    char *err, size_t errlen)
{
	const char *of = changed ? "expect: " : "", *in = changed ? "expect." : "";
	char why[256];

	json_object_object_foreach(obj, field, value)
	{
		enum gcu_scope scope = gcu_config_scope_of(c, field);
		if (scope == GCU_SCOPE_NONE) {
			snprintf(err, errlen, "%sunknown field '%s'", of, field);
			return -1;
		}
		if (changed && changed[scope] == NULL) {
			snprintf(err, errlen,
			         "expect.%s: the record changes nothing in the %s scope, which "
			         "this field is in",
			         field, gcu_scope_name(scope));
			return -1;
		}
		enum gcu_field_kind kind = gcu_field_kind(field);
		if (value == NULL && (kind == GCU_FIELD_STATUS || kind == GCU_FIELD_STATE)) {
			snprintf(err, errlen, "%s%s: cannot be cleared (null)", in, field);
			return -1;
		}
		json_object *canon = gcu_field_normalize(field, value, why, sizeof why);
		if (why[0]) {
			snprintf(err, errlen, "%s%s", in, why);
			return -1;
		}
		if (out[scope] == NULL)
			out[scope] = json_object_new_object();
		json_object_object_add(out[scope], field, canon);
	}
	return 0;
}

int gcu_change_split(const struct gcu_config *c, json_object *record, const char **id,
                     json_object *out[GCU_NSCOPES], json_object *expect[GCU_NSCOPES], char *err,
                     size_t errlen)
{
	json_object *changes = NULL, *expected = NULL, *split[GCU_NSCOPES] = {NULL};
	const char *key;

	for (int s = 0; s < GCU_NSCOPES; s++) {
		out[s] = NULL;
		if (expect != NULL)
			expect[s] = NULL;
	}
	*id = NULL;
	json_object_object_foreach(record, member, val)
	{
		(void)val;
		if (!known_member(member)) {
			snprintf(err, errlen, "unknown key '%s' (expected id and changes)", member);
			return -1;
		}
	}
	int named_by = gcu_change_key(record, &key, err, errlen);
	if (named_by < 0)
		return -1;
	if (named_by != GCU_KEY_ID) {
		snprintf(err, errlen,
		         "names its user by %s ('%.64s'), not by id: gcu-resolve turns it into "
		         "the id",
		         key_names[named_by], key);
		return -1;
	}
	if (!gcu_uuid_valid(key)) {
		snprintf(err, errlen, "id '%.64s' is not a UUID", key);
		return -1;
	}
	*id = key;
	changes = gcu_json_get(record, "changes");
	if (!json_object_is_type(changes, json_type_object)) {
		snprintf(err, errlen, "missing or non-object 'changes'");
		return -1;
	}
	if (json_object_object_length(changes) == 0) {
		snprintf(err, errlen, "no changes for this user");
		return -1;
	}
	if (by_scope(c, changes, NULL, out, err, errlen) < 0)
		goto fail;
	if (json_object_object_get_ex(record, "expect", &expected)) {
		if (!json_object_is_type(expected, json_type_object)) {
			snprintf(err, errlen, "expect: expected an object of fields");
			goto fail;
		}
		if (by_scope(c, expected, out, split, err, errlen) < 0)
			goto fail;
	}
	for (int s = 0; s < GCU_NSCOPES; s++) {
		if (expect != NULL)
			expect[s] = split[s];
		else
			json_object_put(split[s]);
	}
	return 0;
fail:
	for (int s = 0; s < GCU_NSCOPES; s++) {
		json_object_put(out[s]);
		json_object_put(split[s]);
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
		enum gcu_field_kind kind = gcu_field_kind(field);
		if ((kind == GCU_FIELD_IDMAP || kind == GCU_FIELD_QUEUES) && have != NULL &&
		    value != NULL) {
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

json_object *gcu_scoped_record(const char *id, const char *src, const char *key,
                               enum gcu_scope scope, json_object *changes, json_object *expect)
{
	json_object *rec = json_object_new_object();
	json_object_object_add(rec, "id", json_object_new_string(id));
	json_object_object_add(rec, "src", json_object_new_string(src));
	if (key != NULL)
		json_object_object_add(rec, "key", json_object_new_string(key));
	json_object_object_add(rec, "scope", json_object_new_string(gcu_scope_name(scope)));
	json_object_object_add(rec, "changes", changes);
	if (expect != NULL)
		json_object_object_add(rec, "expect", expect);
	return rec;
}
