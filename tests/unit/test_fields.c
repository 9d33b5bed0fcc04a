/*
 * test_fields.c - what gcu knows of each platform field: its kind, where
 * its current value sits in a user document, and what other object of the
 * org its value names (so that names people write can be resolved to the
 * ids the platform wants).
 */
#include <string.h>

#include "fields.h"
#include "tap.h"

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
	return done_testing();
}
