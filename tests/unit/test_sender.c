/*
 * test_sender.c - what sender.c and send_groups.c share (sender_int.h)
 * and can be tried on their own: a request's result line, the request
 * as it goes out, and which 2xx to a group request is the platform's.
 *
 * Covers: the result line copies id, src, scope, op, path and changes
 * from the record, and part only when it has one; http and version are
 * null when unknown; ms is 0 for a request never sent, else counts from
 * its first send; undo comes only on ok, the re-merge's before the
 * record's, and never on a group request's line (its members carry
 * theirs). A group request goes out as the one made for the members
 * left when there is one. A 2xx to a team join without the list of
 * members added is not the platform's answer; to any other group
 * request, any 2xx is.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "json_access.h"
#include "sender_int.h"
#include "tap.h"

#define U1 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01"
#define T1 "72488b81-0dfa-4e39-8727-d4dad921bf95"

static const char *str(json_object *o, const char *key)
{
	return gcu_json_str(o, key);
}

static void result_line(void)
{
	struct request r = {0};
	struct member m = {0};
	json_object *line;

	r.rec =
	    json_tokener_parse("{\"id\":\"" U1 "\",\"src\":\"c.csv:2\",\"scope\":\"routing\","
	                       "\"op\":\"user\",\"method\":\"PATCH\",\"path\":\"/api/v2/users/" U1
	                       "\",\"changes\":{\"title\":\"Lead\"},"
	                       "\"undo\":{\"title\":\"Agent\"}}");
	line = sender_result_line(&r, GCU_RESULT_OK, 200, 7, NULL, 0);
	is_str(str(line, "id"), U1, "result: id from the record");
	is_str(str(line, "src"), "c.csv:2", "result: src from the record");
	is_str(str(line, "scope"), "routing", "result: scope from the record");
	is_str(str(line, "op"), "user", "result: op from the record");
	is_str(str(line, "path"), "/api/v2/users/" U1, "result: path from the record");
	is_str(str(line, "status"), "ok", "result: the status by name");
	is_long(json_object_get_int(gcu_json_get(line, "http")), 200, "result: the http status");
	is_long(json_object_get_int64(gcu_json_get(line, "version")), 7, "result: the version");
	is_str(str(gcu_json_get(line, "changes"), "title"), "Lead", "result: the record's changes");
	is_str(str(gcu_json_get(line, "undo"), "title"), "Agent", "result: ok carries the undo");
	ok(!json_object_object_get_ex(line, "part", NULL),
	   "result: no part when the record has none");
	is_long(json_object_get_int64(gcu_json_get(line, "ms")), 0, "result: ms 0 when never sent");
	ok(json_object_is_type(gcu_json_get(line, "at"), json_type_double),
	   "result: at, when it was written, in seconds");
	json_object_put(line);

	r.attempts = 2;
	r.first_sent = 10.0;
	line = sender_result_line(&r, GCU_RESULT_FAILED, 0, -1, "boom", 10.25);
	ok(json_object_object_get_ex(line, "http", NULL) && gcu_json_get(line, "http") == NULL,
	   "result: http null when there was no answer");
	ok(json_object_object_get_ex(line, "version", NULL) &&
	       gcu_json_get(line, "version") == NULL,
	   "result: version null when unknown");
	is_long(json_object_get_int(gcu_json_get(line, "attempts")), 2, "result: the sends");
	is_long(json_object_get_int64(gcu_json_get(line, "ms")), 250,
	        "result: ms from the first send");
	is_str(str(line, "error"), "boom", "result: the error");
	ok(!json_object_object_get_ex(line, "undo", NULL), "result: no undo unless ok");
	json_object_put(line);

	r.undo_override = json_tokener_parse("{\"title\":\"Lead (read again)\"}");
	json_object_object_add(r.rec, "part", json_object_new_int(1));
	line = sender_result_line(&r, GCU_RESULT_OK, 200, -1, NULL, 10.5);
	is_str(str(gcu_json_get(line, "undo"), "title"), "Lead (read again)",
	       "result: the undo of the re-merge before the record's");
	is_long(json_object_get_int(gcu_json_get(line, "part")), 1, "result: the record's part");
	json_object_put(line);

	r.members = &m;
	r.nmembers = 1;
	line = sender_result_line(&r, GCU_RESULT_OK, 200, -1, NULL, 10.5);
	ok(!json_object_object_get_ex(line, "undo", NULL),
	   "result: a group request's line has no undo of its own");
	json_object_put(line);

	json_object_put(r.undo_override);
	json_object_put(r.rec);
}

static void outgoing(void)
{
	struct request r = {0};

	r.rec =
	    json_tokener_parse("{\"op\":\"teamJoin\",\"path\":\"/api/v2/teams/" T1 "/members\"}");
	ok(sender_outgoing(&r) == r.rec, "outgoing: the record itself");
	r.group_override = json_object_new_object();
	ok(sender_outgoing(&r) == r.group_override, "outgoing: the request for the members left");
	json_object_put(r.group_override);
	json_object_put(r.rec);
}

static int usable(const char *op, const char *body, char *why, size_t len)
{
	struct request r = {0};
	struct gcu_http_response resp = {.status = 200, .body = body};
	char rec[128];

	snprintf(rec, sizeof rec, "{\"op\":\"%s\"}", op);
	r.rec = json_tokener_parse(rec);
	why[0] = '\0';
	int rc = sender_group_usable(&r, &resp, why, len);
	json_object_put(r.rec);
	return rc;
}

static void group_usable(void)
{
	char why[128];

	is_long(usable("teamJoin", "{\"entities\":[{\"id\":\"" U1 "\"}]}", why, sizeof why), 0,
	        "usable: a team join's answer lists the members added");
	is_long(usable("teamJoin", "{\"entities\":[],\"failures\":[]}", why, sizeof why), 0,
	        "usable: an empty list is still the list");
	is_long(usable("teamJoin", "{}", why, sizeof why), -1,
	        "usable: a team join's 2xx without the list is not the platform's");
	is_str(why, "without the list of members added", "usable: and says so");
	is_long(usable("teamJoin", NULL, why, sizeof why), -1,
	        "usable: nor is a team join's empty 2xx");
	is_long(usable("queueJoin", NULL, why, sizeof why), 0,
	        "usable: any 2xx to a queue call is the platform's");
	is_long(usable("teamLeave", "", why, sizeof why), 0, "usable: and to a team leave");
}

int main(void)
{
	result_line();
	outgoing();
	group_usable();
	return done_testing();
}
