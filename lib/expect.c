/*
 * expect.c - checking, splitting and testing the expected values of a
 * change. Whether a value holds is merge.c's to say (gcu_merge_mismatch),
 * so that an expectation and a change can never disagree on it.
 */
#include "expect.h"

#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "json_access.h"
#include "merge.h"
#include "userdoc.h"

json_object *gcu_expect_fields(json_object *changes, json_object *expect)
{
	json_object *fields = json_object_new_object();

	json_object_object_foreach(changes, field, value)
	{
		json_object_object_add(fields, field, json_object_get(value));
	}
	if (!json_object_is_type(expect, json_type_object))
		return fields;
	json_object_object_foreach(expect, efield, evalue)
	{
		json_object *have = NULL;
		if (!json_object_object_get_ex(fields, efield, &have)) {
			json_object_object_add(fields, efield, json_object_get(evalue));
			continue;
		}
		/* Queues are read one by one: those named by either side. */
		if (gcu_field_kind(efield) != GCU_FIELD_QUEUES ||
		    !json_object_is_type(have, json_type_object) ||
		    !json_object_is_type(evalue, json_type_object))
			continue;
		json_object *both = json_object_new_object();
		json_object_object_foreach(have, q, in)
		{
			json_object_object_add(both, q, json_object_get(in));
		}
		json_object_object_foreach(evalue, eq, ein)
		{
			if (!json_object_object_get_ex(both, eq, NULL))
				json_object_object_add(both, eq, json_object_get(ein));
		}
		json_object_object_add(fields, efield, both);
	}
	return fields;
}

json_object *gcu_expect_queues(json_object *rec)
{
	json_object *changes = gcu_json_get(rec, "changes"), *expect = gcu_json_get(rec, "expect");
	json_object *both = NULL;

	if (gcu_changes_queues(expect) == NULL)
		return gcu_changes_queues(changes);
	if (!json_object_object_get_ex(rec, " queues read", &both)) {
		json_object *fields = gcu_expect_fields(changes, expect);
		both = gcu_changes_queues(fields);
		json_object_object_add(rec, " queues read", json_object_get(both));
		json_object_put(fields);
	}
	return both;
}

/* v as JSON text, cut to fit a message. */
static const char *shown(json_object *v, char *buf, size_t len)
{
	const char *s = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                                          JSON_C_TO_STRING_NOSLASHESCAPE)
	                  : "null";
	size_t n = strlen(s);

	if (n < len)
		return s;
	snprintf(buf, len, "%.*s…", (int)(len > 4 ? len - 4 : 0), s);
	return buf;
}

/* The first entry of a map field that does not hold, named field.entry. */
static void say_entry(const char *field, json_object *want, json_object *got, char *why,
                      size_t whylen)
{
	char a[128], b[128];

	json_object_object_foreach(want, entry, w)
	{
		json_object *g = gcu_json_get(got, entry);
		if (gcu_field_kind(field) == GCU_FIELD_QUEUES
		        ? json_object_get_boolean(g) == json_object_get_boolean(w)
		        : gcu_json_same(g, w))
			continue;
		snprintf(why, whylen, "expected %s.%s %s, found %s", field, entry,
		         shown(w, a, sizeof a), shown(g, b, sizeof b));
		return;
	}
	snprintf(why, whylen, "expected %s %s, found %s", field, shown(want, a, sizeof a),
	         shown(got, b, sizeof b));
}

int gcu_expect_check(json_object *current, json_object *expect, char *why, size_t whylen,
                     json_object **detail)
{
	char a[160], b[160];

	if (detail != NULL)
		*detail = NULL;
	if (!json_object_is_type(expect, json_type_object))
		return 0;
	json_object *mismatch = gcu_merge_mismatch(current, expect);
	if (json_object_object_length(mismatch) == 0) {
		json_object_put(mismatch);
		return 0;
	}
	json_object_object_foreach(mismatch, field, m)
	{
		json_object *want = gcu_json_get(m, "want"), *got = gcu_json_get(m, "got");
		enum gcu_field_kind kind = gcu_field_kind(field);
		if ((kind == GCU_FIELD_IDMAP || kind == GCU_FIELD_QUEUES) &&
		    json_object_is_type(want, json_type_object))
			say_entry(field, want, got, why, whylen);
		else
			snprintf(why, whylen, "expected %s %s, found %s", field,
			         shown(want, a, sizeof a), shown(got, b, sizeof b));
		break;
	}
	if (detail != NULL)
		*detail = mismatch;
	else
		json_object_put(mismatch);
	return 1;
}
