/*
 * test_fields.c - what gcu knows of each platform field: its kind, where
 * its current value sits in a user document, and what other object of the
 * org its value names (so that names people write can be resolved to the
 * ids the platform wants); the checks on the group memberships (queues,
 * team, division).
 */
#include <string.h>

#include "fields.h"
#include "tap.h"

#define Q1 "72488b81-0dfa-4e39-8727-d4dad921bf95"
#define Q2 "29ec148c-ead5-4263-b4d6-d23508bd9d96"

/* The canonical form of a change of field (JSON text), "(null)" for
 * null, or why it is refused. */
static const char *normalized(const char *field, const char *text)
{
	static char out[512];
	char err[256];
	json_object *v = json_tokener_parse(text);
	json_object *n = gcu_field_normalize(field, v, err, sizeof err);

	if (err[0])
		snprintf(out, sizeof out, "%s", err);
	else
		snprintf(out, sizeof out, "%s", n ? json_object_to_json_string(n) : "(null)");
	json_object_put(n);
	json_object_put(v);
	return out;
}

int main(void)
{
	ok(gcu_field_kind("title") == GCU_FIELD_STRING, "title is a string");
	ok(gcu_field_kind("routingSkills") == GCU_FIELD_IDMAP, "routing skills are an id map");
	ok(gcu_field_kind("nonsense") == GCU_FIELD_ANY, "an unknown field is any JSON value");
	is_str(gcu_field_doc_key("routingSkills"), "skills", "skills sit under 'skills'");
	is_str(gcu_field_doc_key("title"), "title", "most fields sit under their own name");

	ok(gcu_field_ref("manager") == GCU_REF_USER, "a manager names a user");
	ok(gcu_field_ref("routingSkills") == GCU_REF_SKILL, "routing skills name skills");
	ok(gcu_field_ref("routingLanguages") == GCU_REF_LANGUAGE,
	   "routing languages name languages");
	ok(gcu_field_ref("title") == GCU_REF_NONE, "a title names nothing");
	ok(gcu_field_ref("nonsense") == GCU_REF_NONE, "an unknown field names nothing");
	is_str(gcu_ref_name(GCU_REF_SKILL), "skill", "a skill is called a skill in messages");
	is_str(gcu_ref_name(GCU_REF_NONE), "", "plain data has no name");
	is_str(gcu_ref_name(GCU_NREFS), "", "out of range has no name");

	char err[256] = "";
	json_object *v = json_object_new_string("inactive"), *n;
	n = gcu_field_normalize("state", v, err, sizeof err);
	ok(n != NULL, "a user can be made inactive");
	json_object_put(n);
	json_object_put(v);
	v = json_object_new_string("deleted");
	n = gcu_field_normalize("state", v, err, sizeof err);
	ok(n == NULL && strstr(err, "gcu does not delete users") != NULL,
	   "a change of state to deleted is refused: gcu never deletes a user");
	json_object_put(n);
	json_object_put(v);
	ok(gcu_field_ref("queues") == GCU_REF_QUEUE, "queues name queues (their map keys)");
	ok(gcu_field_ref("team") == GCU_REF_TEAM, "a team names a team");
	ok(gcu_field_ref("division") == GCU_REF_DIVISION, "a division names a division");
	ok(gcu_field_is_group("queues") && gcu_field_is_group("team") &&
	       gcu_field_is_group("division"),
	   "queues, team and division are group memberships");
	ok(!gcu_field_is_group("routingSkills") && !gcu_field_is_group("title"),
	   "skills and titles are not");

	is_str(normalized("queues", "{\"" Q1 "\":true,\"" Q2 "\":false}"),
	       "{ \"" Q1 "\": true, \"" Q2 "\": false }", "queues: {id: true|false} is kept");
	ok(strstr(normalized("queues", "{\"" Q1 "\":1}"), "expected true (member) or false") !=
	       NULL,
	   "queues: a membership that is not true or false is refused");
	ok(strstr(normalized("queues", "{\"Billing\":true}"), "is not a UUID") != NULL,
	   "queues: a key that is not a UUID is refused");
	ok(strstr(normalized("queues", "[\"" Q1 "\"]"), "expected an object") != NULL,
	   "queues: a list is refused");
	ok(strstr(normalized("queues", "null"), "cannot be cleared") != NULL,
	   "queues: null is refused (each queue is left by name)");
	is_str(normalized("team", "\"" Q1 "\""), "\"" Q1 "\"", "team: an id is kept");
	is_str(normalized("team", "{\"id\":\"" Q1 "\",\"name\":\"A\"}"), "\"" Q1 "\"",
	       "team: the platform's {\"id\"} form becomes the id");
	is_str(normalized("team", "null"), "(null)", "team: null leaves the team");
	ok(strstr(normalized("team", "\"Billing\""), "expected a team id") != NULL,
	   "team: a name that is not resolved is refused");
	is_str(normalized("division", "\"" Q2 "\""), "\"" Q2 "\"", "division: an id is kept");
	ok(strstr(normalized("division", "null"), "a user is always in one") != NULL,
	   "division: null is refused");
	return done_testing();
}
