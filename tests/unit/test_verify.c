/*
 * test_verify.c - which result records gcu-verify reads, the key that
 * makes it read each change once (each membership change of a group
 * request apart), and the verification record.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ndjson.h"
#include "tap.h"
#include "verify.h"

#define U1 "a06bcdfe-7533-40fd-a339-11c082f5e35d"
#define T  "72488b81-0dfa-4e39-8727-d4dad921bf95"

static enum gcu_bulk_take classify(const char *text, char *why, size_t len)
{
	json_object *rec = json_tokener_parse(text);
	const char *id = NULL;
	enum gcu_scope scope = GCU_SCOPE_NONE;
	why[0] = '\0';
	enum gcu_bulk_take t = gcu_verify_classify(rec, &id, &scope, why, len);
	json_object_put(rec);
	return t;
}

static void test_classify(void)
{
	char why[256];

	is_long(classify("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"status\":\"ok\","
	                 "\"changes\":{\"routingStatus\":\"IDLE\"}}",
	                 why, sizeof why),
	        GCU_BULK_READ, "an ok result is read");
	is_long(classify("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"status\":\"failed\"}", why,
	                 sizeof why),
	        GCU_BULK_SKIP, "a failed result is skipped");
	is_long(classify("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"status\":\"interrupted\"}",
	                 why, sizeof why),
	        GCU_BULK_SKIP, "an interrupted result is skipped");
	is_long(classify("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"status\":\"rejected\","
	                 "\"line\":\"r.ndjson:3\"}",
	                 why, sizeof why),
	        GCU_BULK_SKIP, "a rejected line's result is skipped");
	is_long(classify("{\"id\":\"../x\",\"scope\":\"routing\",\"status\":\"ok\","
	                 "\"changes\":{\"title\":\"x\"}}",
	                 why, sizeof why),
	        GCU_BULK_REJECT, "a non-UUID id is rejected");
	is_str(why, "id '../x' is not a UUID", "and says why");
	is_long(classify("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"status\":\"ok\"}", why,
	                 sizeof why),
	        GCU_BULK_REJECT, "an ok result without changes is rejected");
	is_long(classify("{\"id\":\"" U1 "\",\"scope\":\"up\",\"status\":\"ok\"}", why, sizeof why),
	        GCU_BULK_REJECT, "an unknown scope is rejected");
	is_long(classify("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"status\":\"ok\",\"op\":"
	                 "\"teamLeave\",\"changes\":{\"team\":\"" T "\"}}",
	                 why, sizeof why),
	        GCU_BULK_SKIP,
	        "leaving the old team on the way to a new one: the join is verified");
	is_long(classify("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"status\":\"ok\",\"op\":"
	                 "\"teamLeave\",\"changes\":{\"team\":null}}",
	                 why, sizeof why),
	        GCU_BULK_READ, "leaving a team for none is verified");
}

static void test_key(void)
{
	json_object *rec = json_tokener_parse("{\"id\":\"A06BCDFE-7533-40FD-A339-11C082F5E35D\","
	                                      "\"scope\":\"routing\",\"src\":\"a.csv:2\"}");
	char key[128], tiny[8];

	is_long(gcu_verify_key(rec, key, sizeof key), 0, "key built");
	is_str(key, U1 " routing a.csv:2", "the id in lower case, then scope and src");
	is_long(gcu_verify_key(rec, tiny, sizeof tiny), -1, "a short buffer is an error");
	json_object_put(rec);

	rec = json_tokener_parse("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"src\":\"a.csv:2\","
	                         "\"changes\":{\"queues\":{\"" T "\":true}}}");
	is_long(gcu_verify_key(rec, key, sizeof key), 0, "a queue change's key built");
	is_str(key, U1 " routing a.csv:2 queues:" T,
	       "a member's queue change is verified apart, by its queue");
	json_object_put(rec);
	rec = json_tokener_parse("{\"id\":\"" U1 "\",\"scope\":\"routing\",\"src\":\"a.csv:2\","
	                         "\"changes\":{\"team\":\"" T "\"}}");
	gcu_verify_key(rec, key, sizeof key);
	is_str(key, U1 " routing a.csv:2 team", "a team change by its field");
	json_object_put(rec);
}

static const char *record(json_object *result, const char *user_text, int status, const char *msg,
                          enum gcu_verdict *v, char *buf, size_t len)
{
	json_object *user = user_text ? json_tokener_parse(user_text) : NULL;
	json_object *out = gcu_verify_record(result, user, status, msg, v);
	snprintf(buf, len, "%s", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	json_object_put(user);
	return buf;
}

static void test_record(void)
{
	json_object *result = json_tokener_parse(
	    "{\"id\":\"" U1 "\",\"src\":\"a.csv:2\",\"scope\":\"non-routing\",\"op\":\"user\","
	    "\"status\":\"ok\",\"changes\":{\"title\":\"Lead\",\"department\":\"Sales\"}}");
	enum gcu_verdict v = GCU_NVERDICTS;
	char buf[1024];

	is_str(
	    record(result,
	           "{\"id\":\"" U1 "\",\"version\":3,\"title\":\"Lead\",\"department\":\"Sales\"}",
	           0, NULL, &v, buf, sizeof buf),
	    "{\"id\":\"" U1 "\",\"src\":\"a.csv:2\",\"scope\":\"non-routing\",\"verified\":true}",
	    "every change holds: verified");
	is_long(v, GCU_VERIFIED, "verdict verified");
	is_str(record(result,
	              "{\"id\":\"" U1 "\",\"version\":3,\"title\":\"Agent\","
	              "\"department\":\"Sales\"}",
	              0, NULL, &v, buf, sizeof buf),
	       "{\"id\":\"" U1
	       "\",\"src\":\"a.csv:2\",\"scope\":\"non-routing\",\"verified\":false,"
	       "\"mismatch\":{\"title\":{\"want\":\"Lead\",\"got\":\"Agent\"}}}",
	       "a field that does not hold: want and got");
	is_long(v, GCU_MISMATCH, "verdict mismatch");
	is_str(record(result, "{\"id\":\"" U1 "\",\"version\":3}", 0, NULL, &v, buf, sizeof buf),
	       "{\"id\":\"" U1
	       "\",\"src\":\"a.csv:2\",\"scope\":\"non-routing\",\"verified\":false,"
	       "\"mismatch\":{\"title\":{\"want\":\"Lead\",\"got\":null},"
	       "\"department\":{\"want\":\"Sales\",\"got\":null}}}",
	       "absent fields: got null");
	is_str(record(result, NULL, 404, "user not found", &v, buf, sizeof buf),
	       "{\"id\":\"" U1
	       "\",\"src\":\"a.csv:2\",\"scope\":\"non-routing\",\"verified\":false,"
	       "\"error\":{\"status\":404,\"message\":\"user not found\"}}",
	       "an unreadable user: the error");
	is_long(v, GCU_UNREADABLE, "verdict unreadable");
	json_object_put(result);

	result = json_tokener_parse(
	    "{\"id\":\"" U1 "\",\"src\":\"a.csv:3\",\"scope\":\"routing\",\"status\":\"ok\","
	    "\"changes\":{\"routingSkills\":{\"29ec148c-ead5-4263-b4d6-d23508bd9d96\":4,"
	    "\"959575fe-0a73-4d03-b43a-2c9fbed3e91c\":null},\"routingStatus\":\"IDLE\"}}");
	record(result,
	       "{\"id\":\"" U1 "\",\"version\":3,\"skills\":[{\"id\":"
	       "\"29ec148c-ead5-4263-b4d6-d23508bd9d96\",\"proficiency\":4}],"
	       "\"routingStatus\":{\"status\":\"IDLE\"}}",
	       0, NULL, &v, buf, sizeof buf);
	is_long(v, GCU_VERIFIED, "routing: a skill set, a skill removed, the status: verified");
	record(result,
	       "{\"id\":\"" U1 "\",\"version\":3,\"skills\":[{\"id\":"
	       "\"29ec148c-ead5-4263-b4d6-d23508bd9d96\",\"proficiency\":4},{\"id\":"
	       "\"959575fe-0a73-4d03-b43a-2c9fbed3e91c\",\"proficiency\":2}],"
	       "\"routingStatus\":{\"status\":\"IDLE\"}}",
	       0, NULL, &v, buf, sizeof buf);
	is_long(v, GCU_MISMATCH, "routing: a skill that should be gone is a mismatch");
	json_object_put(result);

	/* Members: the queues read are listed on the user (userdoc.h), the
	 * team and division as the platform shows them. */
	result =
	    json_tokener_parse("{\"id\":\"" U1 "\",\"src\":\"a.csv:4\",\"scope\":\"routing\","
	                       "\"op\":\"queueJoin\",\"status\":\"ok\",\"changes\":{\"queues\":"
	                       "{\"" T "\":true}}}");
	record(result, "{\"id\":\"" U1 "\",\"queues\":[{\"id\":\"" T "\"}]}", 0, NULL, &v, buf,
	       sizeof buf);
	is_long(v, GCU_VERIFIED, "member: in the queue joined: verified");
	is_str(record(result, "{\"id\":\"" U1 "\",\"queues\":[]}", 0, NULL, &v, buf, sizeof buf),
	       "{\"id\":\"" U1 "\",\"src\":\"a.csv:4\",\"scope\":\"routing\",\"verified\":false,"
	       "\"mismatch\":{\"queues\":{\"want\":{\"" T "\":true},\"got\":{\"" T "\":false}}}}",
	       "member: removed from the queue meanwhile: a mismatch, not ok");
	json_object_put(result);
	result = json_tokener_parse("{\"id\":\"" U1 "\",\"src\":\"a.csv:4\",\"scope\":\"routing\","
	                            "\"op\":\"teamJoin\",\"status\":\"ok\",\"changes\":{\"team\":"
	                            "\"" T "\"}}");
	record(result, "{\"id\":\"" U1 "\",\"team\":{\"id\":\"" T "\",\"name\":\"A\"}}", 0, NULL,
	       &v, buf, sizeof buf);
	is_long(v, GCU_VERIFIED, "member: in the team joined: verified");
	record(result, "{\"id\":\"" U1 "\"}", 0, NULL, &v, buf, sizeof buf);
	is_long(v, GCU_MISMATCH, "member: in no team: a mismatch");
	json_object_put(result);
}

int main(void)
{
	test_classify();
	test_key();
	test_record();
	ndjson_parse_release();
	return done_testing();
}
