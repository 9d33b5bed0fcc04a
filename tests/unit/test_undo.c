/*
 * test_undo.c - what undoes a request (the "undo" gcu_merge attaches),
 * how the undos of one user fold into one record, and the expected values
 * of a guarded change (expect.h).
 *
 * Covers: a user PATCH's undo holds each field's value before and the
 * value written, null for a field that was empty; an object restores only
 * the keys it changed (null for a key it added); a contact restores the
 * old entry, or removes the one it added; a skill added undoes to null
 * (removed), a skill removed or changed to its old proficiency, chunk by
 * chunk; routing status and state; queue joins undo to leaves; a team
 * move's leave undoes to the old team expecting none, its join expecting
 * the new one, and the two fold into old team, expecting the new; a
 * division move. Folding keeps the first value before and the last value
 * written, entry by entry for maps. The log keeps one record per user and
 * scope, whatever the id's case. expect (change.h, expect.h): split by
 * scope, refused in a
 * scope the record does not change and for an unknown field, normalised
 * like a change; its check names the field, or the map entry, with what
 * was expected and what is there; the fields read are both sides', the
 * queues of both in one map.
 */
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "config.h"
#include "expect.h"
#include "merge.h"
#include "ndjson.h"
#include "tap.h"
#include "test_json.h"
#include "undo.h"

#define U1 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01"
#define S1 "3cbb7daa-64c1-44fa-88a7-c8252abc5619"
#define S2 "29ec148c-ead5-4263-b4d6-d23508bd9d96"
#define S3 "72488b81-0dfa-4e39-8727-d4dad921bf95"

static char got[8192];

/* The undo of each request fn makes, in order, as compact JSON. */
static const char *undos(json_object *(*fn)(const char *, json_object *, json_object *, char *,
                                            size_t),
                         const char *current, const char *changes)
{
	json_object *cur = test_json(current), *ch = test_json(changes),
	            *out = json_object_new_array();
	char err[256] = "";
	json_object *reqs = fn(U1, cur, ch, err, sizeof err);

	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++) {
		json_object *u = NULL;
		json_object_object_get_ex(json_object_array_get_idx(reqs, i), "undo", &u);
		json_object_array_add(out, json_object_get(u));
	}
	snprintf(got, sizeof got, "%s", reqs ? ndjson_string(out, NULL) : err);
	json_object_put(out);
	json_object_put(reqs);
	json_object_put(cur);
	json_object_put(ch);
	return got;
}

#define UNDO(c, e) "{\"changes\":" c ",\"expect\":" e "}"

static void test_own(void)
{
	is_str(undos(gcu_merge, "{\"version\":3,\"title\":\"Agent\",\"department\":null}",
	             "{\"title\":\"Lead\",\"department\":\"Sales\"}"),
	       "[" UNDO("{\"title\":\"Agent\",\"department\":null}",
	                "{\"title\":\"Lead\",\"department\":\"Sales\"}") "]",
	       "a PATCH: each field's value before (null: empty) and the value written");
	is_str(undos(gcu_merge,
	             "{\"version\":3,\"employerInfo\":{\"employeeType\":\"Full-time\",\"dateHire\":"
	             "\"2013\"}}",
	             "{\"employerInfo\":{\"employeeType\":\"Part-time\",\"employeeId\":\"E1\"}}"),
	       "[" UNDO(
	           "{\"employerInfo\":{\"employeeType\":\"Full-time\",\"employeeId\":null}}",
	           "{\"employerInfo\":{\"employeeType\":\"Part-time\",\"employeeId\":\"E1\"}}") "]",
	       "an object: the keys it changed, null for a key it added; the others untouched");
	is_str(
	    undos(gcu_merge,
	          "{\"version\":3,\"addresses\":[{\"address\":\"+1\",\"mediaType\":\"PHONE\","
	          "\"type\":\"WORK\"}]}",
	          "{\"addresses\":[{\"address\":\"+2\",\"mediaType\":\"PHONE\",\"type\":\"WORK\"},"
	          "{\"address\":\"+3\",\"mediaType\":\"PHONE\",\"type\":\"MOBILE\"}]}"),
	    "[" UNDO("{\"addresses\":[{\"address\":\"+1\",\"mediaType\":\"PHONE\",\"type\":"
	             "\"WORK\"},{\"mediaType\":\"PHONE\",\"type\":\"MOBILE\",\"address\":null}]}",
	             "{\"addresses\":[{\"address\":\"+2\",\"mediaType\":\"PHONE\",\"type\":"
	             "\"WORK\"},{\"address\":\"+3\",\"mediaType\":\"PHONE\",\"type\":"
	             "\"MOBILE\"}]}") "]",
	    "contacts: the old entry back, the added one removed");
	is_str(undos(gcu_merge, "{\"routingSkills\":{\"" S1 "\":3,\"" S3 "\":4}}",
	             "{\"routingSkills\":{\"" S1 "\":5,\"" S2 "\":2,\"" S3 "\":null}}"),
	       "[" UNDO("{\"routingSkills\":{\"" S1 "\":3,\"" S2 "\":null}}",
	                "{\"routingSkills\":{\"" S1 "\":5,\"" S2
	                "\":2}}") "," UNDO("{\"routingSkills\":{\"" S3 "\":4}}",
	                                   "{\"routingSkills\":{\"" S3 "\":null}}") "]",
	       "skills: added undoes to null, changed and removed to the old proficiency");
	is_str(
	    undos(gcu_merge, "{\"routingStatus\":\"OFF_QUEUE\"}", "{\"routingStatus\":\"IDLE\"}"),
	    "[" UNDO("{\"routingStatus\":\"OFF_QUEUE\"}", "{\"routingStatus\":\"IDLE\"}") "]",
	    "routing status");
	is_str(undos(gcu_merge, "{\"version\":3,\"state\":\"inactive\",\"title\":\"A\"}",
	             "{\"state\":\"active\",\"title\":\"B\"}"),
	       "[" UNDO("{\"state\":\"inactive\"}", "{\"state\":\"active\"}") "," UNDO(
	           "{\"title\":\"A\"}", "{\"title\":\"B\"}") "]",
	       "state alone, then the PATCH, each with its own undo");
}

static void test_memberships(void)
{
	const char *cur = "{\"queues\":{\"" S1 "\":true,\"" S2 "\":false},\"team\":\"" S1
	                  "\",\"division\":\"" S1 "\"}";

	is_str(
	    undos(gcu_merge_memberships, cur, "{\"queues\":{\"" S1 "\":false,\"" S2 "\":true}}"),
	    "[" UNDO("{\"queues\":{\"" S1 "\":true}}", "{\"queues\":{\"" S1 "\":false}}") "," UNDO(
	        "{\"queues\":{\"" S2 "\":false}}", "{\"queues\":{\"" S2 "\":true}}") "]",
	    "queues: a leave undoes to a join, a join to a leave");
	is_str(undos(gcu_merge_memberships, cur, "{\"team\":\"" S2 "\"}"),
	       "[" UNDO("{\"team\":\"" S1 "\"}", "{\"team\":null}") "," UNDO(
	           "{\"team\":\"" S1 "\"}", "{\"team\":\"" S2 "\"}") "]",
	       "team move: the leave alone leaves no team; the join, the new one");
	is_str(undos(gcu_merge_memberships, "{\"team\":null}", "{\"team\":\"" S2 "\"}"),
	       "[" UNDO("{\"team\":null}", "{\"team\":\"" S2 "\"}") "]",
	       "team joined from none undoes to none");
	is_str(undos(gcu_merge_memberships, cur, "{\"division\":\"" S3 "\"}"),
	       "[" UNDO("{\"division\":\"" S1 "\"}", "{\"division\":\"" S3 "\"}") "]",
	       "division: the old one");
}

static void test_fold(void)
{
	json_object *u = NULL;

	gcu_undo_add(&u, "team", json_object_new_string("old"), NULL);
	gcu_undo_add(&u, "team", json_object_new_string("old"), json_object_new_string("new"));
	gcu_undo_add(&u, "routingSkills", test_json("{\"" S1 "\":3}"), test_json("{\"" S1 "\":5}"));
	gcu_undo_add(&u, "routingSkills", test_json("{\"" S1 "\":5,\"" S2 "\":null}"),
	             test_json("{\"" S1 "\":4,\"" S2 "\":1}"));
	is_str(ndjson_string(u, NULL),
	       UNDO("{\"team\":\"old\",\"routingSkills\":{\"" S1 "\":3,\"" S2 "\":null}}",
	            "{\"team\":\"new\",\"routingSkills\":{\"" S1 "\":4,\"" S2 "\":1}}"),
	       "fold: the first value before, the last written, entry by entry for maps");

	struct gcu_undo_log *l = gcu_undo_log_new();
	json_object *res =
	    test_json("{\"id\":\"" U1 "\",\"src\":\"c:1\",\"scope\":\"routing\","
	              "\"status\":\"ok\",\"undo\":" UNDO("{\"routingStatus\":\"IDLE\"}",
	                                                 "{\"routingStatus\":\"AWAY\"}") "}");
	json_object *failed =
	    test_json("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"status\":\"failed\","
	              "\"undo\":" UNDO("{\"title\":\"x\"}", "{\"title\":\"y\"}") "}");
	gcu_undo_log_result(l, res);
	gcu_undo_log_result(l, failed);
	json_object_object_add(res, "id",
	                       json_object_new_string("6F1B1A2E-0C2D-4B8E-9A41-0A1B2C3D4E01"));
	gcu_undo_log_result(l, res);
	json_object_object_add(res, "scope", json_object_new_string("non-routing"));
	gcu_undo_log_result(l, res);
	is_long(gcu_undo_log_count(l), 2,
	        "log: one record per user and scope, whatever the case of the id; nothing of a "
	        "failed result");
	gcu_undo_log_free(l);
	json_object_put(res);
	json_object_put(failed);
	json_object_put(u);
}

/* gcu_change_split's verdict on a record of user U1: its expected values
 * by scope, or the reason. */
static const char *split(const struct gcu_config *c, const char *record)
{
	json_object *rec = test_json(record), *changes[GCU_NSCOPES], *out[GCU_NSCOPES];
	const char *id;
	char why[256] = "";

	json_object_object_add(rec, "id", json_object_new_string(U1));
	if (gcu_change_split(c, rec, &id, changes, out, why, sizeof why) < 0) {
		snprintf(got, sizeof got, "%s", why);
	} else {
		json_object *nr = out[GCU_SCOPE_NON_ROUTING], *r = out[GCU_SCOPE_ROUTING];
		snprintf(got, sizeof got, "%s|%s", nr ? ndjson_string(nr, NULL) : "-",
		         r ? ndjson_string(r, NULL) : "-");
		for (int s = 0; s < GCU_NSCOPES; s++) {
			json_object_put(out[s]);
			json_object_put(changes[s]);
		}
	}
	json_object_put(rec);
	return got;
}

static const char *check(const char *current, const char *expect)
{
	json_object *cur = test_json(current), *ex = test_json(expect);
	char why[256] = "";
	int rc = gcu_expect_check(cur, ex, why, sizeof why, NULL);

	snprintf(got, sizeof got, "%d %s", rc, why);
	json_object_put(cur);
	json_object_put(ex);
	return got;
}

static void test_expect(void)
{
	struct gcu_config c;

	gcu_config_defaults(&c);
	is_str(split(&c, "{\"changes\":{\"title\":\"a\",\"routingStatus\":\"IDLE\"},\"expect\":"
	                 "{\"title\":\"b\",\"routingSkills\":[{\"id\":\"" S1 "\",\"level\":3}]}}"),
	       "{\"title\":\"b\"}|{\"routingSkills\":{\"" S1 "\":3}}",
	       "expect: split by scope, in canonical form");
	is_str(split(&c, "{\"changes\":{\"title\":\"a\"},\"expect\":{\"routingStatus\":\"IDLE\"}}"),
	       "expect.routingStatus: the record changes nothing in the routing scope, which this "
	       "field is in",
	       "expect: not in a scope the record leaves alone");
	is_str(split(&c, "{\"changes\":{\"title\":\"a\"},\"expect\":{\"colour\":\"red\"}}"),
	       "expect: unknown field 'colour'", "expect: an unknown field");
	is_str(split(&c, "{\"changes\":{\"title\":\"a\"},\"expect\":[\"title\"]}"),
	       "expect: expected an object of fields", "expect: not an object");
	is_str(split(&c, "{\"changes\":{\"title\":\"a\"}}"), "-|-", "expect: none is fine");
	gcu_config_free(&c);

	is_str(check("{\"title\":\"Boss\",\"department\":\"x\"}", "{\"title\":\"Lead\"}"),
	       "1 expected title \"Lead\", found \"Boss\"", "check: names field, want and got");
	is_str(check("{\"title\":\"Lead\"}", "{\"title\":\"Lead\"}"), "0 ", "check: holds");
	is_str(check("{\"routingSkills\":{\"" S1 "\":3,\"" S2 "\":4}}",
	             "{\"routingSkills\":{\"" S1 "\":3,\"" S2 "\":2}}"),
	       "1 expected routingSkills." S2 " 2, found 4", "check: a map names its entry");
	is_str(check("{\"routingSkills\":{\"" S1 "\":3}}", "{\"routingSkills\":{\"" S2 "\":null}}"),
	       "0 ", "check: null expects an entry absent");
	is_str(check("{\"queues\":{\"" S1 "\":false}}", "{\"queues\":{\"" S1 "\":true}}"),
	       "1 expected queues." S1 " true, found false", "check: a queue membership");

	json_object *ch = test_json("{\"queues\":{\"" S1 "\":true},\"title\":\"a\"}"),
	            *ex = test_json("{\"queues\":{\"" S2 "\":true},\"team\":\"x\"}");
	json_object *f = gcu_expect_fields(ch, ex);
	is_str(ndjson_string(f, NULL),
	       "{\"queues\":{\"" S1 "\":true,\"" S2 "\":true},\"title\":\"a\",\"team\":\"x\"}",
	       "fields read: both sides', the queues of both in one map");
	json_object_put(f);
	json_object_put(ch);
	json_object_put(ex);
}

int main(void)
{
	test_own();
	test_memberships();
	test_fold();
	test_expect();
	return done_testing();
}
