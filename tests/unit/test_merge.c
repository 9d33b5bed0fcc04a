/*
 * test_merge.c - from current values and changes to platform requests
 * (gcu_merge), and the check that changes hold (gcu_merge_mismatch).
 *
 * Covers: a no-op gives no request; the user PATCH carries id, version
 * and only the fields that differ; objects merge key by key with null
 * removing a key, also nested; contacts merge by (mediaType, type), so
 * changing the WORK phone keeps the EMAIL and MOBILE entries and a null
 * address removes one; null clears a string; lists are replaced whole;
 * routing skills become bulk PATCHes of at most 50 (120 new skills: 50,
 * 50, 20), a DELETE per removed skill, and skip unchanged proficiencies;
 * languages likewise; routing status is PUT only when it differs; a state
 * change goes alone and first and the PATCH after it expects version+1;
 * a missing version or a non-UUID id is an error; the mismatch names
 * exactly the fields that do not hold, with want and got. Group
 * memberships: no request of the user's own; a queue joined or left only
 * when its membership differs; a team move is a leave of the old team,
 * then a join of the new; a division move; both serve the one change.
 */
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "ndjson.h"
#include "tap.h"
#include "test_json.h"

#define U1   "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01"
#define S1   "3cbb7daa-64c1-44fa-88a7-c8252abc5619"
#define S2   "29ec148c-ead5-4263-b4d6-d23508bd9d96"
#define S3   "72488b81-0dfa-4e39-8727-d4dad921bf95"
#define PATH "/api/v2/users/" U1

static char err[512];
static char got[8192];

typedef json_object *(*merge_fn)(const char *, json_object *, json_object *, char *, size_t);

/* What fn makes of current and changes, as compact JSON ("ERROR: …" on
 * error), without the undo of each request (test_undo.c has those). */
static const char *merged(merge_fn fn, const char *current, const char *changes)
{
	json_object *cur = test_json(current), *ch = test_json(changes);
	err[0] = '\0';
	json_object *reqs = fn(U1, cur, ch, err, sizeof err);
	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++)
		json_object_object_del(json_object_array_get_idx(reqs, i), "undo");
	if (reqs == NULL)
		snprintf(got, sizeof got, "ERROR: %s", err);
	else
		snprintf(got, sizeof got, "%s", ndjson_string(reqs, NULL));
	json_object_put(reqs);
	json_object_put(cur);
	json_object_put(ch);
	return got;
}

/* The requests merged, as compact JSON ("ERROR: …" on error). */
static const char *merge(const char *current, const char *changes)
{
	return merged(gcu_merge, current, changes);
}

static const char *mismatch(const char *current, const char *changes)
{
	json_object *cur = test_json(current), *ch = test_json(changes);
	json_object *m = gcu_merge_mismatch(cur, ch);
	snprintf(got, sizeof got, "%s", ndjson_string(m, NULL));
	json_object_put(m);
	json_object_put(cur);
	json_object_put(ch);
	return got;
}

#define USER(body)                                                                                 \
	"[{\"op\":\"user\",\"method\":\"PATCH\",\"path\":\"" PATH "\",\"body\":" body "}]"

static void test_user_patch(void)
{
	is_str(merge("{\"version\":3,\"title\":\"A\",\"department\":\"B\"}",
	             "{\"title\":\"A\",\"department\":\"B\"}"),
	       "[]", "no-op: no request");
	is_str(merge("{\"version\":3,\"title\":\"A\",\"department\":\"B\"}",
	             "{\"title\":\"A\",\"department\":\"C\"}"),
	       USER("{\"id\":\"" U1 "\",\"version\":3,\"department\":\"C\"}"),
	       "only the differing field, with id and version");
	is_str(merge("{\"version\":3,\"title\":\"A\"}", "{\"title\":null}"),
	       USER("{\"id\":\"" U1 "\",\"version\":3,\"title\":null}"), "null clears a string");
	is_str(merge("{\"version\":3,\"title\":null}", "{\"title\":null}"), "[]",
	       "null on an absent string: no-op");
	is_str(merge("{\"version\":3,\"acdAutoAnswer\":true}", "{\"acdAutoAnswer\":false}"),
	       USER("{\"id\":\"" U1 "\",\"version\":3,\"acdAutoAnswer\":false}"), "boolean");
	is_str(merge("{\"version\":3,\"manager\":\"" S1 "\"}", "{\"manager\":{\"id\":\"" S1 "\"}}"),
	       "[]", "manager given as {id} equals the current id");
}

static void test_objects(void)
{
	is_str(merge("{\"version\":2,\"employerInfo\":{\"employeeId\":\"E1\",\"employeeType\":"
	             "\"Full-time\",\"dateHire\":\"2013-03-15\"}}",
	             "{\"employerInfo\":{\"employeeType\":\"Part-time\",\"dateHire\":null}}"),
	       USER("{\"id\":\"" U1 "\",\"version\":2,\"employerInfo\":{\"employeeId\":\"E1\","
	            "\"employeeType\":\"Part-time\"}}"),
	       "object merged key by key; null removes a key; others kept");
	is_str(merge("{\"version\":2,\"employerInfo\":{\"employeeId\":\"E1\",\"employeeType\":"
	             "\"Part-time\"}}",
	             "{\"employerInfo\":{\"employeeType\":\"Part-time\",\"dateHire\":null}}"),
	       "[]", "object already holding (absent key stays absent): no-op");
	is_str(merge("{\"version\":2,\"biography\":{\"spouse\":\"X\",\"education\":{\"school\":"
	             "\"S\",\"year\":1999}}}",
	             "{\"biography\":{\"education\":{\"year\":null,\"degree\":\"BA\"}}}"),
	       USER("{\"id\":\"" U1
	            "\",\"version\":2,\"biography\":{\"spouse\":\"X\",\"education\":"
	            "{\"school\":\"S\",\"degree\":\"BA\"}}}"),
	       "nested objects merged key by key");
	is_str(merge("{\"version\":2}", "{\"employerInfo\":{\"employeeType\":\"Part-time\"}}"),
	       USER("{\"id\":\"" U1 "\",\"version\":2,\"employerInfo\":{\"employeeType\":"
	            "\"Part-time\"}}"),
	       "object with no current value");
}

#define WORK(a) "{\"address\":\"" a "\",\"mediaType\":\"PHONE\",\"type\":\"WORK\"}"
#define MOBILE  "{\"address\":\"+2\",\"mediaType\":\"PHONE\",\"type\":\"MOBILE\"}"
#define EMAIL   "{\"address\":\"a@x.com\",\"mediaType\":\"EMAIL\",\"type\":\"WORK\"}"

static void test_contacts(void)
{
	const char *cur = "{\"version\":5,\"addresses\":[" WORK("+1") "," MOBILE "," EMAIL "]}";

	is_str(merge(cur, "{\"addresses\":[" WORK("+9") "]}"),
	       USER("{\"id\":\"" U1 "\",\"version\":5,\"addresses\":[" WORK("+9") "," MOBILE
	                                                                          "," EMAIL "]}"),
	       "changing the WORK phone keeps the MOBILE and EMAIL entries");
	is_str(
	    merge(
	        cur,
	        "{\"addresses\":[{\"mediaType\":\"PHONE\",\"type\":\"MOBILE\",\"address\":null}]}"),
	    USER("{\"id\":\"" U1 "\",\"version\":5,\"addresses\":[" WORK("+1") "," EMAIL "]}"),
	    "a null address removes that entry only");
	is_str(merge(cur, "{\"addresses\":[{\"mediaType\":\"PHONE\",\"type\":\"HOME\",\"address\":"
	                  "\"+3\"}]}"),
	       USER("{\"id\":\"" U1 "\",\"version\":5,\"addresses\":[" WORK(
	           "+1") "," MOBILE "," EMAIL
	                 ",{\"mediaType\":\"PHONE\",\"type\":\"HOME\",\"address\":\"+3\"}]}"),
	       "a new (mediaType, type) is appended");
	is_str(merge(cur, "{\"addresses\":[" WORK("+1") "]}"), "[]",
	       "a contact that already holds: no-op");
	is_str(
	    merge(cur,
	          "{\"addresses\":[{\"mediaType\":\"PHONE\",\"type\":\"HOME\",\"address\":null}]}"),
	    "[]", "removing an absent contact: no-op");
	is_str(merge(cur, "{\"addresses\":[{\"mediaType\":\"PHONE\",\"type\":\"MOBILE\","
	                  "\"extension\":\"12\"}]}"),
	       USER("{\"id\":\"" U1 "\",\"version\":5,\"addresses\":[" WORK(
	           "+1") ",{\"address\":"
	                 "\"+2\",\"mediaType\":\"PHONE\",\"type\":\"MOBILE\",\"extension\":\"12\"}"
	                 "," EMAIL "]}"),
	       "an entry without an address key changes that contact, it does not remove it");
	is_str(merge(cur, "{\"addresses\":null}"),
	       USER("{\"id\":\"" U1 "\",\"version\":5,\"addresses\":[]}"),
	       "null clears the whole list");
}

static void test_lists(void)
{
	is_str(merge("{\"version\":1,\"profileSkills\":[\"b\",\"c\"]}",
	             "{\"profileSkills\":[\"a\",\"b\"]}"),
	       USER("{\"id\":\"" U1 "\",\"version\":1,\"profileSkills\":[\"a\",\"b\"]}"),
	       "a list is replaced whole");
	is_str(merge("{\"version\":1,\"profileSkills\":[\"a\",\"b\"]}",
	             "{\"profileSkills\":[\"a\",\"b\"]}"),
	       "[]", "the same list: no-op");
	is_str(merge("{\"version\":1,\"profileSkills\":[\"a\"]}", "{\"profileSkills\":null}"),
	       USER("{\"id\":\"" U1 "\",\"version\":1,\"profileSkills\":[]}"),
	       "null empties a list");
	is_str(merge("{\"version\":1,\"profileSkills\":[]}", "{\"profileSkills\":null}"), "[]",
	       "null on an empty list: no-op");
}

/* A UUID made from a number, for skill ids. */
static void skill_id(char *buf, size_t len, int i)
{
	snprintf(buf, len, "00000000-0000-4000-8000-%012d", i);
}

static void test_skills(void)
{
	json_object *cur = test_json("{\"routingSkills\":{}}"), *ch = json_object_new_object();
	json_object *want = json_object_new_object();
	char id[40];

	for (int i = 0; i < 120; i++) {
		skill_id(id, sizeof id, i);
		json_object_object_add(want, id, json_object_new_int(i % 5 + 1));
	}
	json_object_object_add(ch, "routingSkills", want);
	json_object *reqs = gcu_merge(U1, cur, ch, err, sizeof err);
	ok(reqs != NULL, "120 skills merge without a version");
	is_long(json_object_array_length(reqs), 3, "120 new skills: 3 requests");
	int sizes[3] = {-1, -1, -1}, all_bulk = 1, total = 0;
	for (size_t i = 0; reqs && i < json_object_array_length(reqs) && i < 3; i++) {
		json_object *r = json_object_array_get_idx(reqs, i), *v;
		json_object_object_get_ex(r, "body", &v);
		sizes[i] = (int)json_object_array_length(v);
		for (int k = 0; k < sizes[i]; k++) {
			json_object *e = json_object_array_get_idx(v, (size_t)k), *eid, *p;
			json_object_object_get_ex(e, "id", &eid);
			json_object_object_get_ex(e, "proficiency", &p);
			skill_id(id, sizeof id, total);
			if (strcmp(json_object_get_string(eid), id) != 0 ||
			    json_object_get_int(p) != total % 5 + 1)
				all_bulk = 0;
			total++;
		}
		json_object_object_get_ex(r, "path", &v);
		if (strcmp(json_object_get_string(v), PATH "/routingskills/bulk") != 0)
			all_bulk = 0;
		json_object_object_get_ex(r, "method", &v);
		if (strcmp(json_object_get_string(v), "PATCH") != 0)
			all_bulk = 0;
		json_object_object_get_ex(r, "op", &v);
		if (strcmp(json_object_get_string(v), "routingSkills") != 0)
			all_bulk = 0;
		if (!json_object_object_get_ex(r, "part", &v) || json_object_get_int(v) != (int)i)
			all_bulk = 0;
	}
	ok(sizes[0] == 50 && sizes[1] == 50 && sizes[2] == 20, "bulk sizes 50, 50, 20");
	ok(all_bulk && total == 120,
	   "each a PATCH of routingskills/bulk, numbered by part, with every skill once, in order, "
	   "with its level");
	json_object_put(reqs);
	json_object_put(cur);
	json_object_put(ch);

	is_str(merge("{\"routingSkills\":{\"" S1 "\":3,\"" S2 "\":2,\"" S3 "\":5}}",
	             "{\"routingSkills\":{\"" S1 "\":3,\"" S2 "\":null,\"" S3 "\":null}}"),
	       "[{\"op\":\"routingSkillRemove\",\"method\":\"DELETE\",\"path\":\"" PATH
	       "/routingskills/" S2 "\",\"body\":null},{\"op\":\"routingSkillRemove\",\"method\":"
	       "\"DELETE\",\"path\":\"" PATH "/routingskills/" S3 "\",\"body\":null}]",
	       "each removed skill is one DELETE; an unchanged proficiency is skipped");
	is_str(merge("{\"routingSkills\":{\"" S1 "\":3}}",
	             "{\"routingSkills\":{\"" S1 "\":4,\"" S2 "\":null}}"),
	       "[{\"op\":\"routingSkills\",\"method\":\"PATCH\",\"path\":\"" PATH
	       "/routingskills/bulk\",\"body\":[{\"id\":\"" S1 "\",\"proficiency\":4}]}]",
	       "a changed level is sent; removing an absent skill is not");
	is_str(merge("{\"routingSkills\":{\"" S1 "\":3}}", "{\"routingSkills\":{\"" S1 "\":3.0}}"),
	       "[]", "3 and 3.0 are the same level");
	is_str(merge("{\"routingSkills\":{}}",
	             "{\"routingSkills\":[{\"id\":\"" S1 "\",\"level\":2}]}"),
	       "[{\"op\":\"routingSkills\",\"method\":\"PATCH\",\"path\":\"" PATH
	       "/routingskills/bulk\",\"body\":[{\"id\":\"" S1 "\",\"proficiency\":2}]}]",
	       "the seed's list form with level");
	is_str(merge("{\"routingLanguages\":{\"" S2 "\":1}}",
	             "{\"routingLanguages\":{\"" S1 "\":4,\"" S2 "\":null}}"),
	       "[{\"op\":\"routingLanguages\",\"method\":\"PATCH\",\"path\":\"" PATH
	       "/routinglanguages/bulk\",\"body\":[{\"id\":\"" S1 "\",\"proficiency\":4}]},"
	       "{\"op\":\"routingLanguageRemove\",\"method\":\"DELETE\",\"path\":\"" PATH
	       "/routinglanguages/" S2 "\",\"body\":null}]",
	       "languages: bulk PATCH then DELETE");
	ok(strncmp(merge("{}", "{\"routingSkills\":{\"../x\":3}}"), "ERROR", 5) == 0,
	   "a skill id that is not a UUID is an error");
}

static void test_status(void)
{
	is_str(merge("{\"routingStatus\":\"IDLE\"}", "{\"routingStatus\":\"IDLE\"}"), "[]",
	       "routing status already right: nothing");
	is_str(merge("{\"routingStatus\":\"OFF_QUEUE\"}", "{\"routingStatus\":\"IDLE\"}"),
	       "[{\"op\":\"routingStatus\",\"method\":\"PUT\",\"path\":\"" PATH
	       "/routingstatus\",\"body\":{\"status\":\"IDLE\"}}]",
	       "routing status differs: one PUT");
}

static void test_state(void)
{
	is_str(merge("{\"version\":7,\"state\":\"active\",\"department\":\"A\"}",
	             "{\"department\":\"B\",\"state\":\"inactive\"}"),
	       "[{\"op\":\"state\",\"method\":\"PATCH\",\"path\":\"" PATH
	       "\",\"body\":{\"id\":\"" U1 "\",\"version\":7,\"state\":\"inactive\"}},"
	       "{\"op\":\"user\",\"method\":\"PATCH\",\"path\":\"" PATH "\",\"body\":{\"id\":\"" U1
	       "\",\"version\":8,\"department\":\"B\"}}]",
	       "state alone and first; the PATCH after it has version+1");
	is_str(merge("{\"version\":7,\"state\":\"inactive\",\"department\":\"A\"}",
	             "{\"department\":\"B\",\"state\":\"inactive\"}"),
	       USER("{\"id\":\"" U1 "\",\"version\":7,\"department\":\"B\"}"),
	       "state already right: the PATCH keeps the version");
	is_str(merge("{\"version\":7,\"state\":\"active\"}", "{\"state\":\"inactive\"}"),
	       "[{\"op\":\"state\",\"method\":\"PATCH\",\"path\":\"" PATH
	       "\",\"body\":{\"id\":\"" U1 "\",\"version\":7,\"state\":\"inactive\"}}]",
	       "state only: one PATCH");
}

static void test_errors(void)
{
	ok(strstr(merge("{\"title\":\"A\"}", "{\"title\":\"B\"}"), "ERROR") &&
	       strstr(err, "version") != NULL,
	   "missing version with a user field: error naming the version");
	ok(strstr(merge("{\"version\":\"3\",\"title\":\"A\"}", "{\"title\":\"B\"}"), "ERROR") !=
	       NULL,
	   "a version that is not a number: error");
	is_str(merge("{\"routingStatus\":\"OFF_QUEUE\"}", "{\"routingStatus\":\"IDLE\"}"),
	       "[{\"op\":\"routingStatus\",\"method\":\"PUT\",\"path\":\"" PATH
	       "/routingstatus\",\"body\":{\"status\":\"IDLE\"}}]",
	       "routing requests need no version");
	is_str(merge("{\"version\":1}", "{\"title\":7}"), "ERROR: title: expected a string",
	       "a change of the wrong kind: error");

	json_object *cur = test_json("{\"version\":1,\"title\":\"A\"}"),
	            *ch = test_json("{\"title\":\"B\"}");
	json_object *r = gcu_merge("../../authorization/roles", cur, ch, err, sizeof err);
	ok(r == NULL && strstr(err, "is not a UUID") != NULL, "non-UUID id: error");
	json_object_put(r);
	r = gcu_merge(NULL, cur, ch, err, sizeof err);
	ok(r == NULL, "NULL id: error");
	json_object_put(r);
	json_object_put(cur);
	json_object_put(ch);
}

static void test_mismatch(void)
{
	const char *cur =
	    "{\"version\":4,\"title\":\"A\",\"department\":\"B\",\"addresses\":[" WORK(
	        "+1") "," MOBILE "],\"routingSkills\":{\"" S1 "\":3},\"routingStatus\":\"IDLE\","
	              "\"employerInfo\":{\"employeeType\":\"Full-time\"}}";

	is_str(mismatch(cur, "{\"title\":\"A\",\"department\":\"B\",\"addresses\":[" WORK(
	                         "+1") "],\"routingSkills\":{\"" S1 "\":3,\"" S2 "\":null},"
	                               "\"routingStatus\":\"IDLE\"}"),
	       "{}", "everything holds: empty mismatch");
	is_str(mismatch(cur, "{\"title\":\"Lead\",\"department\":\"B\",\"routingSkills\":{\"" S1
	                     "\":4},\"employerInfo\":{\"employeeType\":\"Full-time\"}}"),
	       "{\"title\":{\"want\":\"Lead\",\"got\":\"A\"},\"routingSkills\":{\"want\":{\"" S1
	       "\":4},\"got\":{\"" S1 "\":3}}}",
	       "exactly the fields that do not hold, with want and got");
	is_str(mismatch(cur, "{\"addresses\":[{\"mediaType\":\"PHONE\",\"type\":\"MOBILE\","
	                     "\"address\":null}],\"manager\":\"" S2 "\"}"),
	       "{\"addresses\":{\"want\":[{\"mediaType\":\"PHONE\",\"type\":\"MOBILE\",\"address\":"
	       "null}],\"got\":[" WORK("+1") "," MOBILE "]},\"manager\":{\"want\":\"" S2
	                                     "\",\"got\":null}}",
	       "a contact still present and an absent field are mismatches");
}

/* The membership changes as compact JSON ("ERROR: …" on error). */
static const char *memberships(const char *current, const char *changes)
{
	return merged(gcu_merge_memberships, current, changes);
}

#define M(op, group, changes) "{\"op\":\"" op "\",\"group\":\"" group "\",\"changes\":" changes "}"

static void test_memberships(void)
{
	const char *cur = "{\"version\":3,\"queues\":{\"" S1 "\":true,\"" S2
	                  "\":false},\"team\":\"" S1 "\",\"division\":\"" S1 "\"}";

	is_str(merge(cur,
	             "{\"queues\":{\"" S1 "\":false},\"team\":\"" S2 "\",\"division\":\"" S2 "\"}"),
	       "[]", "groups: memberships are no request of the user's own");
	is_str(memberships(cur, "{\"queues\":{\"" S1 "\":true,\"" S2 "\":false},\"team\":\"" S1
	                        "\",\"division\":\"" S1 "\"}"),
	       "[]", "groups: memberships that hold cost nothing");
	is_str(memberships(cur, "{\"queues\":{\"" S1 "\":false,\"" S2 "\":true,\"" S3 "\":false}}"),
	       "[" M("queueLeave", S1, "{\"queues\":{\"" S1 "\":false}}") "," M(
	           "queueJoin", S2, "{\"queues\":{\"" S2 "\":true}}") "]",
	       "groups: one queue left, one joined, one already not a member");
	is_str(memberships(cur, "{\"team\":\"" S2 "\"}"),
	       "[" M("teamLeave", S1, "{\"team\":\"" S2 "\"}") "," M("teamJoin", S2,
	                                                             "{\"team\":\"" S2 "\"}") "]",
	       "groups: a team move leaves the old team, then joins the new one, both for the "
	       "move");
	is_str(memberships("{\"version\":3,\"team\":null}", "{\"team\":\"" S2 "\"}"),
	       "[" M("teamJoin", S2, "{\"team\":\"" S2 "\"}") "]",
	       "groups: a user in no team only joins");
	is_str(memberships(cur, "{\"team\":null}"), "[" M("teamLeave", S1, "{\"team\":null}") "]",
	       "groups: null leaves the team");
	is_str(memberships(cur, "{\"division\":\"" S3 "\",\"title\":\"x\"}"),
	       "[" M("division", S3, "{\"division\":\"" S3 "\"}") "]",
	       "groups: a division move; other fields are not memberships");
	is_str(memberships(cur, "{\"division\":null}"),
	       "ERROR: division: cannot be cleared (null); a user is always in one",
	       "groups: a division cannot be cleared");
	is_str(memberships(cur, "{\"queues\":{\"Billing\":true}}"),
	       "ERROR: queues: 'Billing' is not a UUID", "groups: a queue that is not an id");
	is_str(mismatch(cur, "{\"queues\":{\"" S1 "\":true,\"" S2 "\":true},\"team\":\"" S1
	                     "\",\"division\":\"" S2 "\"}"),
	       "{\"queues\":{\"want\":{\"" S1 "\":true,\"" S2 "\":true},\"got\":{\"" S1
	       "\":true,\"" S2 "\":false}},\"division\":{\"want\":\"" S2 "\",\"got\":\"" S1 "\"}}",
	       "groups: verify names the queue and division that do not hold");
}

int main(void)
{
	test_user_patch();
	test_objects();
	test_contacts();
	test_lists();
	test_skills();
	test_status();
	test_memberships();
	test_state();
	test_errors();
	test_mismatch();
	return done_testing();
}
