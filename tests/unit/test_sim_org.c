/*
 * test_sim_org.c - the simulated org: seeded generation is deterministic
 * and has the documented shape, lookups by id, PATCH rules and version
 * conflicts, routing upserts and deletes.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_org.h"
#include "tap.h"
#include "uuid.h"

static char *state_of(long n, uint64_t seed)
{
	struct sim_org org;
	struct sbuf b = {0};
	char err[256];

	sim_org_init(&org);
	if (sim_org_generate(&org, n, seed, err, sizeof err) < 0)
		return NULL;
	sim_org_state(&org, &b);
	sim_org_free(&org);
	return sbuf_take(&b);
}

static void test_generate(void)
{
	char *a = state_of(400, 7), *b = state_of(400, 7), *c = state_of(400, 8);
	struct sim_org org;
	char err[256];
	long inactive = 0, managers = 0, with_manager = 0;

	ok(a && b && strcmp(a, b) == 0, "the same seed gives the same org");
	ok(a && c && strcmp(a, c) != 0, "another seed gives another org");
	free(a);
	free(b);
	free(c);

	sim_org_init(&org);
	sim_org_generate(&org, 400, 7, err, sizeof err);
	is_long(org.n, 400, "400 users generated");
	for (size_t i = 0; i < org.n; i++) {
		json_object *u = json_tokener_parse(org.users[i].base), *v;
		inactive += org.users[i].state == SIM_INACTIVE;
		if (json_object_object_get_ex(u, "manager", &v)) {
			with_manager++;
			const char *mid = json_object_get_string(json_object_object_get(v, "id"));
			if (sim_org_find(&org, mid) < 0)
				managers = -100000;
		}
		if (strstr(org.users[i].base, "\"Supervisor\""))
			managers++;
		json_object_put(u);
	}
	is_long(inactive, 10, "1 in 40 users is inactive");
	is_long(managers, 40, "10% are managers, and every manager id exists");
	is_long(with_manager, 399, "everyone but the first has a manager");
	ok(gcu_uuid_valid(org.users[0].id), "ids are UUIDs");
	ok(org.users[0].skills && org.users[0].languages && org.users[0].status,
	   "routing parts are present");
	is_long(sim_org_find(&org, org.users[123].id), 123, "find by id");
	sim_org_free(&org);
}

static void test_patch(void)
{
	struct sim_org org;
	struct sim_result res;
	struct sbuf out = {0};
	char err[256], id[37];
	json_object *body;

	sim_org_init(&org);
	sim_org_generate(&org, 20, 1, err, sizeof err);
	memcpy(id, org.users[3].id, sizeof id);
	json_object *u = json_tokener_parse(org.users[3].base);
	int version = json_object_get_int(json_object_object_get(u, "version"));
	json_object_put(u);

	body = json_object_new_object();
	json_object_object_add(body, "title", json_object_new_string("Lead"));
	sim_org_patch(&org, id, body, 0, &out, &res);
	is_long(res.status, 400, "PATCH without version is refused");
	is_str(res.message, "version is required", "and says why");

	json_object_object_add(body, "version", json_object_new_int(version + 5));
	sim_org_patch(&org, id, body, 0, &out, &res);
	is_long(res.status, 409, "a stale version is a conflict");
	sim_org_patch(&org, id, body, 1, &out, &res);
	is_long(res.status, 400, "or a 400 with --conflict-as-400");
	ok(strstr(res.message, "does not match the current version") != NULL,
	   "whose message names the version mismatch");

	json_object_object_add(body, "version", json_object_new_int(version));
	json_object_object_add(body, "manager", json_object_new_string(org.users[0].id));
	json_object_object_add(body, "department", NULL);
	sim_org_patch(&org, id, body, 0, &out, &res);
	is_long(res.status, 200, "a current version is applied");
	u = json_tokener_parse(out.p);
	is_long(json_object_get_int(json_object_object_get(u, "version")), version + 1,
	        "the version goes up by one");
	is_str(json_object_get_string(json_object_object_get(u, "title")), "Lead", "title set");
	ok(!json_object_object_get_ex(u, "department", NULL), "null removes a field");
	ok(!json_object_object_get_ex(u, "skills", NULL), "the answer has no skills");
	is_str(json_object_get_string(
	           json_object_object_get(json_object_object_get(u, "manager"), "id")),
	       org.users[0].id, "a manager given as an id is stored as an object");
	json_object_put(u);
	json_object_put(body);

	body = json_tokener_parse("{\"version\":1,\"skills\":[]}");
	sim_org_patch(&org, id, body, 0, &out, &res);
	is_long(res.status, 400, "a field PATCH cannot change is refused");
	ok(strstr(res.message, "skills") != NULL, "and named");
	json_object_put(body);
	body = json_tokener_parse("{\"version\":1,\"state\":\"inactive\",\"title\":\"x\"}");
	sim_org_patch(&org, id, body, 0, &out, &res);
	is_long(res.status, 400, "state goes alone");
	json_object_put(body);
	body =
	    json_tokener_parse("{\"version\":1,\"id\":\"00000000-0000-0000-0000-000000000000\"}");
	sim_org_patch(&org, id, body, 0, &out, &res);
	is_long(res.status, 400, "a body id must match the path");
	json_object_put(body);
	sbuf_free(&out);
	sim_org_free(&org);
}

static void test_routing(void)
{
	struct sim_org org;
	struct sim_result res;
	struct sbuf out = {0};
	char err[256], id[37];
	json_object *body, *got;

	sim_org_init(&org);
	sim_org_generate(&org, 5, 3, err, sizeof err);
	memcpy(id, org.users[2].id, sizeof id);
	body = json_tokener_parse("[{\"id\":\"959575fe-0a73-4d03-b43a-2c9fbed3e91c\","
	                          "\"proficiency\":4},{\"id\":\"11111111-2222-4333-8444-"
	                          "555555555555\",\"proficiency\":2.5}]");
	sim_org_routing_bulk(&org, id, SIM_SKILLS, body, &out, &res);
	is_long(res.status, 200, "bulk upsert");
	ok(strstr(out.p, "\"name\":\"VIP\"") != NULL, "catalogue skills get their name");
	ok(strstr(out.p, "\"name\":\"\"") != NULL, "unknown skills are accepted with no name");
	json_object_put(body);
	out.len = 0;
	sim_org_routing_delete(&org, id, SIM_SKILLS, "959575fe-0a73-4d03-b43a-2c9fbed3e91c", &res);
	is_long(res.status, 204, "delete answers 204");
	sim_org_routing_delete(&org, id, SIM_SKILLS, "959575fe-0a73-4d03-b43a-2c9fbed3e91c", &res);
	is_long(res.status, 204, "and again when not assigned");
	sim_org_routing_get(&org, id, SIM_SKILLS, &out, &res);
	ok(strstr(out.p, "959575fe") == NULL, "the skill is gone");
	out.len = 0;

	body = json_object_new_array();
	for (int i = 0; i < 51; i++)
		json_object_array_add(body,
		                      json_tokener_parse("{\"id\":\"11111111-2222-4333-8444-"
		                                         "555555555555\",\"proficiency\":1}"));
	sim_org_routing_bulk(&org, id, SIM_LANGUAGES, body, &out, &res);
	is_long(res.status, 400, "more than 50 entries is refused");
	json_object_put(body);
	body = json_tokener_parse("[{\"id\":\"x\",\"proficiency\":1}]");
	sim_org_routing_bulk(&org, id, SIM_LANGUAGES, body, &out, &res);
	is_long(res.status, 400, "an entry without a UUID is refused");
	json_object_put(body);

	body = json_tokener_parse("{\"status\":\"IDLE\"}");
	sim_org_status(&org, id, body, "2026-01-01T00:00:00.000Z", &out, &res);
	is_long(res.status, 200, "routing status PUT");
	got = json_tokener_parse(out.p);
	is_str(json_object_get_string(json_object_object_get(got, "status")), "IDLE",
	       "answers the new status");
	is_str(json_object_get_string(json_object_object_get(got, "userId")), id, "and the user");
	json_object_put(got);
	json_object_put(body);
	sbuf_free(&out);
	sim_org_free(&org);
}

int main(void)
{
	test_generate();
	test_patch();
	test_routing();
	return done_testing();
}
