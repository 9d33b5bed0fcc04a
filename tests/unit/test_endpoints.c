/*
 * test_endpoints.c - the table of what gcu may send and the check every
 * request line passes before it leaves gcu-send.
 *
 * Covers: every request gcu_merge makes, for every field the default
 * configuration maps (set, changed and cleared, state with other fields,
 * 120 skills in three chunks, removals, routing status), passes the check
 * and its path comes from the table; paths are built only from UUIDs;
 * each op's request as merge shapes it is accepted; every hostile shape
 * is refused with its reason: other methods (a DELETE or PUT of a user),
 * foreign, traversing, percent-encoded, query-carrying and other users'
 * paths, ops that do not exist or do not fit the method or path, bodies
 * with fields the endpoint does not take (roles, division, routing skills
 * in a user PATCH, state beside other fields), ids that are not the
 * path's user, versions that are not counts, 51 or 0 skills, proficiency
 * 1e999, -1, 5.5 or "3", NaN and Infinity anywhere, integers beyond 2^53,
 * a lone surrogate in an id, bodies of the wrong type, a body on a DELETE,
 * unknown routing statuses; and the rows for group requests (queue
 * members with ?delete=true, team members by query, division objects):
 * what they accept and refuse, and the requests built from them for 1 to
 * the platform's limit of members (100, 25, 50) and not beyond.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_access.h"
#include "config.h"
#include "endpoints.h"
#include "fields.h"
#include "merge.h"
#include "ndjson.h"
#include "tap.h"
#include "test_json.h"

#define U1 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01"
#define U2 "0b9e8a7c-1d2e-4f30-8a41-5b6c7d8e9f02"
#define S1 "3cbb7daa-64c1-44fa-88a7-c8252abc5619"
#define S2 "29ec148c-ead5-4263-b4d6-d23508bd9d96"
#define Q1 "72488b81-0dfa-4e39-8727-d4dad921bf95"
#define P  "/api/v2/users/" U1

/* A request line: id, op, method, path and the body (JSON text). */
#define REC(op, method, path, body)                                                                \
	"{\"id\":\"" U1 "\",\"src\":\"c.csv:2\",\"scope\":\"non-routing\",\"op\":\"" op            \
	"\",\"method\":\"" method "\",\"path\":\"" path "\",\"body\":" body "}"
#define USER(body)     REC("user", "PATCH", P, body)
#define SKILLS(body)   REC("routingSkills", "PATCH", P "/routingskills/bulk", body)
#define STATUS(body)   REC("routingStatus", "PUT", P "/routingstatus", body)
#define VERSIONED(...) "{\"id\":\"" U1 "\",\"version\":3" __VA_ARGS__ "}"

static char why[512];

/* "ok", or why the line is refused. The line is parsed by json-c alone,
 * not by the strict NDJSON reader, so that the check is seen to stand on
 * its own against what that reader already refuses (a NUL, a surrogate). */
static const char *check(const char *line)
{
	json_object *rec = json_tokener_parse(line);
	if (rec == NULL) {
		printf("# bad JSON in the test: %s\n", line);
		exit(2);
	}
	why[0] = '\0';
	const char *r = gcu_request_check(rec, NULL, why, sizeof why) == 0 ? "ok" : why;
	json_object_put(rec);
	return r;
}

/* Is the line refused, with a reason that holds `part`? */
static void refused(const char *line, const char *part, const char *name)
{
	const char *r = check(line);
	if (!ok(strcmp(r, "ok") != 0 && strstr(r, part) != NULL, name))
		printf("#   line: %s\n#   got:  %s\n#   want: refused, saying '%s'\n", line, r,
		       part);
}

/* --- what merge makes ----------------------------------------------------- */

/* Merges and checks every request; returns how many there were, or -1
 * when one was refused (said) or the merge failed. */
static int merged_pass(const char *current, const char *changes, const char *name)
{
	json_object *cur = test_json(current), *ch = test_json(changes);
	char err[512];
	int n = -1;
	json_object *reqs = gcu_merge(U1, cur, ch, err, sizeof err);

	if (reqs == NULL) {
		printf("# %s: merge failed: %s\n", name, err);
		goto out;
	}
	/* Each membership change, as gcu-merge makes its group request. */
	json_object *ms = gcu_merge_memberships(U1, cur, ch, err, sizeof err);
	if (ms == NULL) {
		printf("# %s: memberships failed: %s\n", name, err);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		json_object *who = json_tokener_parse("[{\"id\":\"" U1 "\",\"src\":\"c.csv:2\"}]");
		json_object *g = gcu_endpoint_group(gcu_json_str(m, "op"), gcu_json_str(m, "group"),
		                                    who, err, sizeof err);
		json_object_put(who);
		if (g == NULL) {
			printf("# %s: no group request: %s\n", name, err);
			json_object_put(ms);
			goto out;
		}
		json_object_array_add(reqs, g);
	}
	json_object_put(ms);
	n = (int)json_object_array_length(reqs);
	for (int i = 0; i < n; i++) {
		json_object *q = json_object_array_get_idx(reqs, i);
		const struct gcu_endpoint *ep = gcu_endpoint_find(gcu_json_str(q, "op"));
		if (ep == NULL || strcmp(ep->method, gcu_json_str(q, "method")) != 0 ||
		    gcu_request_check(q, U1, why, sizeof why) < 0) {
			printf("# %s: %s refused: %s\n", name, ndjson_string(q, NULL),
			       ep ? why : "no row");
			n = -1;
			break;
		}
	}
out:
	json_object_put(reqs);
	json_object_put(cur);
	json_object_put(ch);
	return n;
}

/* A value of each kind that differs from what "current" holds. */
static const char *sample(const char *field)
{
	switch (gcu_field_kind(field)) {
	case GCU_FIELD_BOOL:
		return "true";
	case GCU_FIELD_STATE:
		return "\"inactive\"";
	case GCU_FIELD_USERREF:
		return "\"" U2 "\"";
	case GCU_FIELD_OBJECT:
		return "{\"a\":\"b\",\"n\":{\"c\":1.5}}";
	case GCU_FIELD_CONTACTS:
		return "[{\"mediaType\":\"PHONE\",\"type\":\"WORK\",\"address\":\"+3212\"}]";
	case GCU_FIELD_LIST:
		return "[{\"name\":\"x\"}]";
	case GCU_FIELD_IDMAP:
		return "{\"" S1 "\":3,\"" S2 "\":null}";
	case GCU_FIELD_STATUS:
		return "\"IDLE\"";
	case GCU_FIELD_QUEUES:
		return "{\"" S1 "\":true,\"" S2 "\":false}";
	case GCU_FIELD_TEAM:
	case GCU_FIELD_DIVISION:
		return "\"" S1 "\"";
	default:
		return "\"new\"";
	}
}

/* What the user holds before the changes: something else in every field
 * (skill and language S2 assigned, so that a null removes them). */
#define CURRENT                                                                                    \
	"{\"version\":7,\"manager\":\"" U1 "\",\"addresses\":[{\"mediaType\":\"EMAIL\","           \
	"\"type\":\"WORK\",\"address\":\"a@x\"}],\"routingSkills\":{\"" S2 "\":1},"                \
	"\"routingLanguages\":{\"" S2 "\":1},\"queues\":{\"" S2 "\":true},\"team\":\"" S2 "\","    \
	"\"division\":\"" S2 "\"}"

static void test_merge_output(void)
{
	struct gcu_config cfg;
	char changes[4096], name[160];
	size_t chl = 0;

	if (gcu_config_defaults(&cfg) < 0) {
		printf("# no default config\n");
		exit(2);
	}
	chl += (size_t)snprintf(changes, sizeof changes, "{");
	for (size_t i = 0; i < cfg.nscopes; i++) {
		const char *f = cfg.scopes[i].field;
		enum gcu_field_kind kind = gcu_field_kind(f);
		char one[512], clear[512];
		snprintf(one, sizeof one, "{\"%s\":%s}", f, sample(f));
		snprintf(name, sizeof name, "merge: a change of %s gives requests the check passes",
		         f);
		ok(merged_pass(CURRENT, one, name) > 0, name);
		chl += (size_t)snprintf(changes + chl, sizeof changes - chl, "%s\"%s\":%s",
		                        i ? "," : "", f, sample(f));
		if (kind == GCU_FIELD_STATE || kind == GCU_FIELD_STATUS ||
		    kind == GCU_FIELD_IDMAP || kind == GCU_FIELD_QUEUES ||
		    kind == GCU_FIELD_DIVISION)
			continue; /* cleared entry by entry, or not at all */
		snprintf(one, sizeof one, "{\"version\":7,\"%s\":%s}", f, sample(f));
		snprintf(clear, sizeof clear, "{\"%s\":null}", f);
		snprintf(name, sizeof name, "merge: clearing %s gives requests the check passes",
		         f);
		ok(merged_pass(one, clear, name) > 0, name);
	}
	snprintf(changes + chl, sizeof changes - chl, "}");
	ok(merged_pass(CURRENT, changes, "all") >= 12,
	   "merge: every mapped field at once (state alone first, the PATCH, skills and a "
	   "removal, languages and a removal, status, a queue joined and one left, a team "
	   "left and one joined, a division) passes");
	gcu_config_free(&cfg);

	/* 120 new skills: three bulk calls of 50, 50 and 20. */
	char big[8192];
	size_t bl = (size_t)snprintf(big, sizeof big, "{\"routingSkills\":{");
	for (int i = 0; i < 120; i++)
		bl += (size_t)snprintf(big + bl, sizeof big - bl,
		                       "%s\"%08x-0000-4000-8000-000000000000\":%d.5", i ? "," : "",
		                       i + 1, i % 5);
	snprintf(big + bl, sizeof big - bl, "}}");
	is_long(merged_pass("{\"version\":1}", big, "120 skills"), 3,
	        "merge: 120 skills are three bulk calls, each passes");
}

static void test_paths(void)
{
	char buf[GCU_PATH_MAX];
	const struct gcu_endpoint *ep = gcu_endpoint_find("routingSkillRemove");

	ok(ep != NULL && strcmp(ep->method, "DELETE") == 0, "path: a skill removal is a DELETE");
	ok(gcu_endpoint_path(ep, U1, S1, buf, sizeof buf) == 0, "path: built from two UUIDs");
	is_str(buf, P "/routingskills/" S1, "path: the skill's path under the user");
	ok(gcu_endpoint_path(ep, U1, "../../authorization/roles", buf, sizeof buf) < 0,
	   "path: an item that is not a UUID is refused");
	ok(gcu_endpoint_path(ep, "not-a-uuid", S1, buf, sizeof buf) < 0,
	   "path: a user that is not a UUID is refused");
	ok(gcu_endpoint_path(ep, U1, S1, buf, 60) < 0, "path: a buffer too small is an error");
	ep = gcu_endpoint_find("user");
	ok(gcu_endpoint_path(ep, U1, NULL, buf, sizeof buf) == 0 && strcmp(buf, P) == 0,
	   "path: the user PATCH is /api/v2/users/{id}");
	ok(gcu_endpoint_find("userDelete") == NULL && gcu_endpoint_find(NULL) == NULL,
	   "path: no row for an op gcu does not make");
}

/* --- what is accepted ------------------------------------------------------ */

static void test_accepted(void)
{
	is_str(check(USER(VERSIONED(",\"title\":\"Lead\",\"manager\":\"" U2 "\""))), "ok",
	       "accepted: a user PATCH with UpdateUser fields");
	is_str(check(USER(VERSIONED(",\"department\":null,\"addresses\":[]"))), "ok",
	       "accepted: a user PATCH clearing fields");
	is_str(check(USER("{\"id\":\"6F1B1A2E-0C2D-4B8E-9A41-0A1B2C3D4E01\",\"version\":0,"
	                  "\"title\":\"x\"}")),
	       "ok", "accepted: the body's id in capitals, version 0");
	is_str(check(USER("{\"version\":3,\"title\":\"x\"}")), "ok",
	       "accepted: a user PATCH without id (the path names the user)");
	is_str(check(REC("state", "PATCH", P, VERSIONED(",\"state\":\"inactive\""))), "ok",
	       "accepted: a change of state alone");
	is_str(check(SKILLS("[{\"id\":\"" S1 "\",\"proficiency\":4},{\"id\":\"" S2
	                    "\",\"proficiency\":0.5}]")),
	       "ok", "accepted: a bulk PATCH of skills");
	is_str(check(REC("routingLanguages", "PATCH", P "/routinglanguages/bulk",
	                 "[{\"id\":\"" S1 "\",\"proficiency\":5}]")),
	       "ok", "accepted: a bulk PATCH of languages");
	is_str(check(REC("routingSkillRemove", "DELETE", P "/routingskills/" S1, "null")), "ok",
	       "accepted: a skill DELETE with a null body");
	is_str(check("{\"id\":\"" U1 "\",\"op\":\"routingLanguageRemove\",\"method\":\"DELETE\","
	             "\"path\":\"" P "/routinglanguages/" S1 "\"}"),
	       "ok", "accepted: a language DELETE without a body");
	is_str(check(STATUS("{\"status\":\"OFF_QUEUE\"}")), "ok", "accepted: a routing status PUT");
}

/* --- what is refused -------------------------------------------------------- */

static void test_methods(void)
{
	refused(REC("user", "DELETE", P, "null"), "does not fit op 'user'",
	        "refused: DELETE of a user (op user)");
	refused(REC("userDelete", "DELETE", P, "null"), "is not one gcu sends",
	        "refused: DELETE of a user (an op of its own)");
	refused(REC("routingSkillRemove", "DELETE", P, "null"), "path does not fit",
	        "refused: DELETE of a user (as a skill removal)");
	refused(REC("user", "PUT", P, VERSIONED(",\"title\":\"x\"")), "does not fit",
	        "refused: PUT of a user");
	refused(REC("user", "POST", P, VERSIONED(",\"title\":\"x\"")), "does not fit",
	        "refused: POST to a user");
	refused(REC("user", "GET", P, "null"), "does not fit", "refused: GET as a request line");
	refused(REC("user", "patch", P, VERSIONED(",\"title\":\"x\"")), "does not fit",
	        "refused: a method in lower case");
	refused(REC("user", "PATCH ", P, VERSIONED(",\"title\":\"x\"")), "does not fit",
	        "refused: a method with a trailing space");
	refused(REC("user", "TRACE", P, "null"), "does not fit", "refused: TRACE");
	refused(REC("routingSkills", "PUT", P "/routingskills/bulk", "[]"), "does not fit",
	        "refused: PUT of the skills (replaces them all)");
	refused(REC("routingStatus", "PATCH", P "/routingstatus", "{\"status\":\"IDLE\"}"),
	        "does not fit", "refused: the status with the wrong method");
	refused("{\"id\":\"" U1 "\",\"op\":\"user\",\"method\":7,\"path\":\"" P "\"}",
	        "not a request record", "refused: a method that is not a string");
	refused("{\"id\":\"" U1 "\",\"op\":\"user\",\"path\":\"" P "\"}", "not a request record",
	        "refused: no method");
	refused("{\"id\":\"" U1 "\",\"method\":\"PATCH\",\"path\":\"" P "\"}",
	        "not a request record", "refused: no op");
	refused("{\"id\":\"" U1 "\",\"op\":\"user\\u0000\",\"method\":\"PATCH\",\"path\":\"" P
	        "\",\"body\":" VERSIONED() "}",
	        "not a request record", "refused: an op with a NUL inside");
}

static void test_paths_refused(void)
{
	refused(REC("user", "PATCH", "/api/v2/users/" U2, VERSIONED(",\"title\":\"x\"")),
	        "not under /api/v2/users/<id>", "refused: another user's path");
	refused(REC("user", "PATCH", P "/../" U2, VERSIONED(",\"title\":\"x\"")), "dot segment",
	        "refused: traversal to another user");
	refused(REC("user", "PATCH", P "/../../authorization/roles", VERSIONED()), "dot segment",
	        "refused: traversal to roles");
	refused(REC("user", "PATCH", P "/./", VERSIONED()), "dot segment", "refused: /./");
	refused(REC("user", "PATCH", P "/..", VERSIONED()), "dot segment", "refused: a final /..");
	refused(REC("user", "PATCH", "/api/v2/users/%2e%2e%2fauthorization%2froles", VERSIONED()),
	        "percent-encoding", "refused: an encoded traversal");
	refused(REC("routingSkillRemove", "DELETE",
	            P "/routingskills/%33cbb7daa-64c1-44fa-88a7-"
	              "c8252abc5619",
	            "null"),
	        "percent-encoding", "refused: an encoded letter");
	refused(REC("user", "PATCH", P "?state=deleted", VERSIONED(",\"title\":\"x\"")),
	        "query string", "refused: a query string");
	refused(REC("user", "PATCH", P "#x", VERSIONED(",\"title\":\"x\"")), "path does not fit",
	        "refused: a fragment");
	refused(REC("user", "PATCH", "/api/v2/authorization/roles", VERSIONED()),
	        "not under /api/v2/users/<id>", "refused: a foreign path on the API");
	refused(REC("user", "PATCH", "http://evil.example" P, VERSIONED()), "not on the platform",
	        "refused: another host");
	refused(REC("user", "PATCH", "//evil.example" P, VERSIONED()), "not on the platform",
	        "refused: a network-path reference");
	refused(REC("user", "PATCH", "/API/V2/USERS/" U1, VERSIONED()), "not on the platform",
	        "refused: the prefix in capitals");
	refused(REC("user", "PATCH", P "/", VERSIONED(",\"title\":\"x\"")), "path does not fit",
	        "refused: a trailing slash");
	refused(REC("routingStatus", "PUT", P "//routingstatus", "{\"status\":\"IDLE\"}"),
	        "path does not fit", "refused: a double slash");
	refused(REC("routingSkills", "PATCH", P "/routingstatus", "[]"), "path does not fit",
	        "refused: an op on another op's path");
	refused(REC("user", "PATCH", P " ", VERSIONED()), "path does not fit",
	        "refused: a trailing space");
	refused(REC("user", "PATCH", P "\\n", VERSIONED()), "path does not fit",
	        "refused: a newline in the path");
	refused(REC("user", "PATCH", P "\\u0000/../x", VERSIONED()), "not a request record",
	        "refused: a NUL in the path");
	refused(REC("routingSkillRemove", "DELETE", P "/routingskills/\\ud800", "null"),
	        "path does not fit", "refused: a lone surrogate in the path");
	refused(REC("routingSkillRemove", "DELETE", P "/routingskills/not-a-skill", "null"),
	        "path does not fit", "refused: a skill id that is not a UUID");
	refused(REC("routingSkillRemove", "DELETE", P "/routingskills/" S1 "," S2, "null"),
	        "path does not fit", "refused: two skills in one DELETE");
	refused("{\"id\":\"not-a-uuid\",\"op\":\"user\",\"method\":\"PATCH\",\"path\":"
	        "\"/api/v2/users/not-a-uuid\",\"body\":{}}",
	        "non-UUID id", "refused: an id that is not a UUID");
	refused("{\"op\":\"user\",\"method\":\"PATCH\",\"path\":\"" P "\",\"body\":{}}",
	        "non-UUID id", "refused: no id");
	char longpath[1400];
	snprintf(longpath, sizeof longpath,
	         "{\"id\":\"" U1 "\",\"op\":\"user\",\"method\":\"PATCH\",\"path\":\"" P
	         "/%01100d\"}",
	         0);
	refused(longpath, "path longer than", "refused: a path of 1150 bytes");
}

static void test_user_bodies(void)
{
	refused(USER(VERSIONED(",\"roles\":[{\"id\":\"" S1 "\"}]")), "'roles' is not a field",
	        "refused: roles in a user PATCH");
	refused(USER(VERSIONED(",\"division\":{\"id\":\"" S1 "\"}")), "'division' is not a field",
	        "refused: division in a user PATCH");
	refused(USER(VERSIONED(",\"routingSkills\":[]")), "'routingSkills' is not a field",
	        "refused: routing skills in a user PATCH");
	refused(USER(VERSIONED(",\"title\":\"x\",\"state\":\"deleted\"")), "'state' is not a field",
	        "refused: state beside other fields");
	refused(USER(VERSIONED(",\"password\":\"x\"")), "'password' is not a field",
	        "refused: a password");
	refused(USER("{\"id\":\"" U2 "\",\"version\":3,\"title\":\"x\"}"),
	        "not the id of the user in the path", "refused: a body for another user");
	refused(USER("{\"id\":\"" U1 "\",\"title\":\"x\"}"), "'version' is missing",
	        "refused: a body without version");
	refused(USER("{\"id\":\"" U1 "\",\"version\":null,\"title\":\"x\"}"), "version",
	        "refused: a null version");
	refused(USER("{\"id\":\"" U1 "\",\"version\":-1}"), "integer, 0 or more",
	        "refused: version -1");
	refused(USER("{\"id\":\"" U1 "\",\"version\":\"3\"}"), "integer, 0 or more",
	        "refused: version \"3\"");
	refused(USER("{\"id\":\"" U1 "\",\"version\":3.5}"), "integer, 0 or more",
	        "refused: version 3.5");
	refused(USER("{\"id\":\"" U1 "\",\"version\":1e999}"), "not finite",
	        "refused: version 1e999");
	refused(USER("{\"id\":\"" U1 "\",\"version\":9007199254740993}"), "beyond 2^53",
	        "refused: version beyond 2^53");
	refused(USER("{\"id\":\"" U1 "\",\"version\":99999999999999999999999}"), "beyond 2^53",
	        "refused: version beyond 64 bits (json-c would clamp it)");
	refused(USER(VERSIONED(",\"title\":1e999")), "not finite", "refused: title 1e999");
	refused(USER(VERSIONED(",\"title\":NaN")), "not finite", "refused: title NaN");
	refused(USER(VERSIONED(",\"title\":-Infinity")), "not finite", "refused: title -Infinity");
	refused(USER(VERSIONED(",\"biography\":{\"hobbies\":[{\"n\":[1,Infinity]}]}")),
	        "not finite", "refused: Infinity deep in an object");
	refused(USER(VERSIONED(",\"title\":42")), "title: expected a string",
	        "refused: a title that is not a string");
	refused(USER(VERSIONED(",\"manager\":\"../../x\"")), "manager: expected a user id",
	        "refused: a manager that is not a UUID");
	refused(USER(VERSIONED(",\"acdAutoAnswer\":\"yes\"")), "expected true or false",
	        "refused: acdAutoAnswer \"yes\"");
	refused(USER(VERSIONED(",\"addresses\":[{\"address\":\"x\"}]")), "mediaType and type",
	        "refused: a contact without mediaType and type");
	refused(USER("\"PATCH me\""), "expected an object", "refused: a body that is a string");
	refused(USER("[" VERSIONED() "]"), "expected an object", "refused: a body that is a list");
	refused(USER("null"), "expected an object", "refused: no body for a user PATCH");
	refused(REC("state", "PATCH", P, VERSIONED(",\"state\":\"inactive\",\"title\":\"x\"")),
	        "'title' is not a field", "refused: state with another field");
	refused(REC("state", "PATCH", P, VERSIONED(",\"state\":\"purged\"")), "active or inactive",
	        "refused: a state the platform has not");
	refused(REC("state", "PATCH", P, VERSIONED(",\"state\":\"deleted\"")),
	        "gcu does not delete users", "refused: a state change that deletes the user");
	refused(REC("state", "PATCH", P, VERSIONED()), "'state' is missing",
	        "refused: a state change without state");
}

static void test_routing_bodies(void)
{
	char big[8192];
	size_t n = (size_t)snprintf(big, sizeof big, "[");
	for (int i = 0; i < 51; i++)
		n += (size_t)snprintf(
		    big + n, sizeof big - n,
		    "%s{\"id\":\"%08x-0000-4000-8000-000000000000\",\"proficiency\":3}",
		    i ? "," : "", i + 1);
	snprintf(big + n, sizeof big - n, "]");
	char line[9000];
	snprintf(line, sizeof line, SKILLS("%s"), big);
	refused(line, "51 entries, where the endpoint takes 1 to 50", "refused: 51 skills");
	refused(SKILLS("[]"), "0 entries", "refused: no skills");
	refused(SKILLS("[{\"id\":\"" S1 "\",\"proficiency\":1e999}]"), "not finite",
	        "refused: proficiency 1e999");
	refused(SKILLS("[{\"id\":\"" S1 "\",\"proficiency\":-1}]"), "proficiency must be",
	        "refused: proficiency -1");
	refused(SKILLS("[{\"id\":\"" S1 "\",\"proficiency\":5.5}]"), "proficiency must be",
	        "refused: proficiency 5.5");
	refused(SKILLS("[{\"id\":\"" S1 "\",\"proficiency\":\"3\"}]"), "expected a number",
	        "refused: proficiency \"3\"");
	refused(SKILLS("[{\"id\":\"" S1 "\",\"proficiency\":NaN}]"), "not finite",
	        "refused: proficiency NaN");
	refused(SKILLS("[{\"id\":\"" S1 "\",\"proficiency\":null}]"), "expected a number",
	        "refused: proficiency null");
	refused(SKILLS("[{\"id\":\"" S1 "\"}]"), "'proficiency' is missing",
	        "refused: no proficiency");
	refused(SKILLS("[{\"id\":\"" S1 "\",\"level\":3}]"), "'level' is not a field",
	        "refused: the seed's level instead of proficiency");
	refused(SKILLS("[{\"id\":\"" S1 "\",\"proficiency\":3,\"state\":\"inactive\"}]"),
	        "'state' is not a field", "refused: an entry with more than id and proficiency");
	refused(SKILLS("[{\"id\":\"" S1 "\\ud800\",\"proficiency\":3}]"), "expected a UUID",
	        "refused: a lone surrogate in a skill id");
	refused(SKILLS("[{\"id\":\"../x\",\"proficiency\":3}]"), "expected a UUID",
	        "refused: a skill id that is not a UUID");
	refused(SKILLS("[\"" S1 "\"]"), "expected an object", "refused: an entry that is a string");
	refused(SKILLS("{\"" S1 "\":3}"), "expected a list", "refused: the map form on the wire");
	refused(REC("routingSkillRemove", "DELETE", P "/routingskills/" S1, "{\"id\":\"" S1 "\"}"),
	        "takes no body", "refused: a body on a DELETE");
	refused(STATUS("{\"status\":\"ON_QUEUE\"}"), "routingStatus: expected",
	        "refused: a routing status the platform has not");
	refused(STATUS("{\"status\":null}"), "'status' is missing", "refused: a null status");
	refused(STATUS("{\"status\":\"IDLE\",\"userId\":\"" U2 "\"}"), "'userId' is not a field",
	        "refused: a status for someone else");
	refused(STATUS("\"IDLE\""), "expected an object",
	        "refused: a status body that is a string");
}

/* --- rows for group requests ------------------------------------------------ */

#define MEMBERS "\"members\":[{\"id\":\"" U1 "\",\"src\":\"c.csv:2\"},{\"id\":\"" U2 "\"}]"
#define GROUP(op, method, path, body)                                                              \
	"{\"scope\":\"routing\",\"op\":\"" op "\",\"method\":\"" method "\",\"path\":\"" path      \
	"\",\"body\":" body "," MEMBERS "}"

static const char *gcheck(const char *line)
{
	json_object *rec = test_json(line);
	why[0] = '\0';
	const char *r = gcu_request_check(rec, NULL, why, sizeof why) == 0 ? "ok" : why;
	json_object_put(rec);
	return r;
}

/* n members with made-up ids, as a request record lists them. */
static json_object *members(int n)
{
	json_object *m = json_object_new_array();
	char id[40];
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
		json_object *e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(id));
		json_object_object_add(e, "src", json_object_new_string("c.csv:9"));
		json_object_array_add(m, e);
	}
	return m;
}

/* The group request the table builds for op with n members, checked:
 * "ok", why it is refused, or why it cannot be built ("build: …"). */
static const char *built(const char *op, int n)
{
	json_object *m = members(n);
	json_object *g = gcu_endpoint_group(op, Q1, m, why + 7, sizeof why - 7);
	const char *r = why;

	if (g != NULL)
		r = gcu_request_check(g, NULL, why, sizeof why) == 0 ? "ok" : why;
	else
		memcpy(why, "build: ", 7);
	json_object_put(g);
	json_object_put(m);
	return r;
}

/* The body of op's group request for members m, as compact JSON. */
static const char *group_body(const char *op, json_object *m)
{
	static char body[512];
	json_object *g = gcu_endpoint_group(op, Q1, m, why, sizeof why);
	snprintf(body, sizeof body, "%s", ndjson_string(gcu_json_get(g, "body"), NULL));
	json_object_put(g);
	return body;
}

static void test_group_builds(void)
{
	static const struct {
		const char *op;
		int max;
	} rows[] = {{"queueJoin", 100},
	            {"queueLeave", 100},
	            {"teamJoin", 25},
	            {"teamLeave", 25},
	            {"division", 50}};
	char name[160];

	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		snprintf(name, sizeof name, "group: %s of %d members is built and passes",
		         rows[i].op, rows[i].max);
		is_str(built(rows[i].op, rows[i].max), "ok", name);
		snprintf(name, sizeof name, "group: %s of one member is built and passes",
		         rows[i].op);
		is_str(built(rows[i].op, 1), "ok", name);
		snprintf(name, sizeof name, "group: %s of %d members is not built", rows[i].op,
		         rows[i].max + 1);
		ok(strstr(built(rows[i].op, rows[i].max + 1), "build:") != NULL, name);
		snprintf(name, sizeof name, "group: %s of no member is not built", rows[i].op);
		ok(strstr(built(rows[i].op, 0), "build:") != NULL, name);
	}
	json_object *m = members(2);
	json_object *g = gcu_endpoint_group("teamLeave", Q1, m, why, sizeof why);
	is_str(gcu_json_str(g, "path"),
	       "/api/v2/teams/" Q1 "/members?id=00000000-0000-4000-8000-000000000000,"
	       "00000000-0000-4000-8000-000000000001",
	       "group: a team leave names its members in the query");
	ok(gcu_json_get(g, "body") == NULL, "group: a team leave has no body");
	json_object_put(g);
	is_str(group_body("teamJoin", m),
	       "{\"memberIds\":[\"00000000-0000-4000-8000-000000000000\","
	       "\"00000000-0000-4000-8000-000000000001\"]}",
	       "group: a team join lists memberIds");
	g = gcu_endpoint_group("queueLeave", Q1, m, why, sizeof why);
	is_str(gcu_json_str(g, "path"), "/api/v2/routing/queues/" Q1 "/members?delete=true",
	       "group: a queue leave is the POST with ?delete=true");
	is_str(ndjson_string(gcu_json_get(g, "body"), NULL),
	       "[{\"id\":\"00000000-0000-4000-8000-000000000000\"},"
	       "{\"id\":\"00000000-0000-4000-8000-000000000001\"}]",
	       "group: a queue call lists {\"id\"} objects");
	char group[40] = "";
	ok(gcu_endpoint_group_of("queueLeave", gcu_json_str(g, "path"), group, sizeof group) == 0 &&
	       strcmp(group, Q1) == 0,
	   "group: the group of a request is read back from its path");
	json_object_put(g);
	is_str(group_body("division", m),
	       "[\"00000000-0000-4000-8000-000000000000\","
	       "\"00000000-0000-4000-8000-000000000001\"]",
	       "group: a division move lists the ids");
	ok(gcu_endpoint_group("user", Q1, m, why, sizeof why) == NULL,
	   "group: a user PATCH is not a group request");
	ok(gcu_endpoint_group("queueJoin", "../../x", m, why, sizeof why) == NULL,
	   "group: a group that is not a UUID never reaches a path");
	ok(gcu_endpoint_group_of("user", P, group, sizeof group) < 0,
	   "group: a user PATCH has no group");
	json_object_put(m);
}

static void test_group_rows(void)
{
	is_str(gcheck(GROUP("queueJoin", "POST", "/api/v2/routing/queues/" Q1 "/members",
	                    "[{\"id\":\"" U1 "\"},{\"id\":\"" U2 "\"}]")),
	       "ok", "group: a queue join of the members");
	is_str(
	    gcheck(GROUP("queueLeave", "POST", "/api/v2/routing/queues/" Q1 "/members?delete=true",
	                 "[{\"id\":\"" U1 "\"},{\"id\":\"" U2 "\"}]")),
	    "ok", "group: a queue leave, with its query");
	ok(strstr(gcheck(GROUP("queueLeave", "POST",
	                       "/api/v2/routing/queues/" Q1 "/members?delete=true",
	                       "[{\"id\":\"" U2 "\"}]")),
	          "body does not list exactly the request's members") != NULL,
	   "group: a member the body leaves out is refused (it would be reported done unsent)");
	ok(strstr(
	       gcheck(GROUP("teamLeave", "DELETE", "/api/v2/teams/" Q1 "/members?id=" U1, "null")),
	       "path does not name exactly") != NULL,
	   "group: a member the query leaves out is refused");
	ok(strstr(gcheck("{\"scope\":\"routing\",\"op\":\"division\",\"method\":\"POST\","
	                 "\"path\":\"/api/v2/authorization/divisions/" Q1 "/objects/USER\","
	                 "\"body\":[\"" U1 "\",\"" U1 "\"],\"members\":[{\"id\":\"" U1
	                 "\"},{\"id\":\"" U1 "\"}]}"),
	          "listed twice") != NULL,
	   "group: a member listed twice is refused");
	is_str(gcheck(GROUP("teamJoin", "POST", "/api/v2/teams/" Q1 "/members",
	                    "{\"memberIds\":[\"" U1 "\",\"" U2 "\"]}")),
	       "ok", "group: a team join");
	is_str(gcheck(GROUP("teamLeave", "DELETE", "/api/v2/teams/" Q1 "/members?id=" U1 "," U2,
	                    "null")),
	       "ok", "group: a team leave, the members in the query");
	is_str(
	    gcheck(GROUP("division", "POST", "/api/v2/authorization/divisions/" Q1 "/objects/USER",
	                 "[\"" U1 "\",\"" U2 "\"]")),
	    "ok", "group: a division move");
	ok(strstr(gcheck(GROUP("queueJoin", "POST", "/api/v2/routing/queues/" Q1 "/members",
	                       "[{\"id\":\"" S1 "\"}]")),
	          "is not one of the request's members") != NULL,
	   "group: a body naming someone who is not a member is refused");
	ok(strstr(gcheck(GROUP("teamLeave", "DELETE", "/api/v2/teams/" Q1 "/members?id=" U1 "," S1,
	                       "null")),
	          "path does not fit") != NULL,
	   "group: a query naming someone who is not a member is refused");
	ok(strstr(gcheck(GROUP("queueJoin", "POST",
	                       "/api/v2/routing/queues/" Q1 "/members?delete=true",
	                       "[{\"id\":\"" U1 "\"}]")),
	          "query string") != NULL,
	   "group: a join with the leave's query is refused");
	ok(strstr(
	       gcheck(GROUP("queueLeave", "POST", "/api/v2/routing/queues/" Q1 "/members?delete=1",
	                    "[{\"id\":\"" U1 "\"}]")),
	       "path does not fit") != NULL,
	   "group: a query the row does not name is refused");
	ok(strstr(gcheck("{\"op\":\"teamJoin\",\"method\":\"POST\",\"path\":\"/api/v2/teams/" Q1
	                 "/members\",\"body\":{\"memberIds\":[\"" U1 "\"]}}"),
	          "lists 1 to 25 members") != NULL,
	   "group: a group request without members is refused");
	ok(strstr(gcheck("{\"op\":\"teamJoin\",\"method\":\"POST\",\"path\":\"/api/v2/teams/" Q1
	                 "/members\",\"body\":{\"memberIds\":[\"" U1 "\"]},\"members\":[{\"id\":"
	                 "\"x\"}]}"),
	          "members[0]: missing or non-UUID id") != NULL,
	   "group: a member that is not a UUID is refused");
	static const struct gcu_shape none = {GCU_SHAPE_NONE};
	static const struct gcu_endpoint one[] = {
	    {"teamLeave", "DELETE", "/api/v2/teams/{id}/members?id={members}", &none, 25}};
	json_object *rec = test_json(REC("user", "PATCH", P, VERSIONED(",\"title\":\"x\"")));
	ok(gcu_request_check_in(one, 1, rec, NULL, why, sizeof why) < 0,
	   "group: a table without the user row refuses a user PATCH");
	json_object_put(rec);
}

int main(void)
{
	test_merge_output();
	test_paths();
	test_accepted();
	test_methods();
	test_paths_refused();
	test_user_bodies();
	test_routing_bodies();
	test_group_rows();
	test_group_builds();
	ndjson_parse_release();
	return done_testing();
}
