/*
 * test_sim_org.c - the simulated org: seeded generation is deterministic
 * and has the documented shape (catalogues and memberships included),
 * org files with catalogue lines load and dump back the same, lookups by
 * id, PATCH rules and version conflicts, routing upserts and deletes.
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

/* Adds every line of text (NUL-separated by '\n') to org, then finishes
 * it. Returns 0, or -1 with the reason in err. */
static int load_text(struct sim_org *org, const char *text, char *err, size_t errlen)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		if (n && sim_org_add_text(org, text, n, err, errlen) < 0)
			return -1;
		text += n + (text[n] == '\n');
	}
	return sim_org_finish(org, err, errlen);
}

/* The org's full form (catalogue lines and users) in a new string. */
static char *full_state(struct sim_org *org)
{
	struct sbuf b = {0};
	sim_org_state_all(org, &b);
	return sbuf_take(&b);
}

/* Does org's full form load into a new org that gives it back? */
static int round_trips(struct sim_org *org)
{
	struct sim_org again;
	char err[256], *a = full_state(org), *b = NULL;
	int same = 0;

	sim_org_init(&again);
	if (a && load_text(&again, a, err, sizeof err) == 0) {
		b = full_state(&again);
		same = b && strcmp(a, b) == 0;
	}
	free(a);
	free(b);
	sim_org_free(&again);
	return same;
}

static void test_generated_groups(void)
{
	struct sim_org org;
	char err[256];
	long in_team = 0, in_queue = 0, with_division = 0, dup_email = 0;

	sim_org_init(&org);
	sim_org_generate(&org, 400, 7, err, sizeof err);
	is_long(org.cat.n[SIM_CAT_SKILL], 36, "three dozen skills");
	is_long(org.cat.n[SIM_CAT_LANGUAGE], 20, "twenty languages");
	is_long(org.cat.n[SIM_CAT_DIVISION], 5, "five divisions");
	ok(org.cat.e[SIM_CAT_DIVISION][0].home, "the first is the home division");
	is_long(org.cat.n[SIM_CAT_QUEUE], 8, "at least eight queues");
	is_long(org.cat.n[SIM_CAT_TEAM], 20, "a team per twenty users");
	for (size_t i = 0; i < org.n; i++) {
		json_object *u = json_tokener_parse(org.users[i].base), *d;
		const char *email = json_object_get_string(json_object_object_get(u, "email"));
		in_team += org.users[i].team != 0;
		in_queue += org.users[i].nqueues > 0;
		if (json_object_object_get_ex(u, "division", &d) &&
		    sim_catalog_find(&org.cat, SIM_CAT_DIVISION,
		                     json_object_get_string(json_object_object_get(d, "id"))) >= 0)
			with_division++;
		for (size_t j = 0; j < i; j++)
			dup_email += strstr(org.users[j].base, email) != NULL;
		json_object_put(u);
	}
	is_long(with_division, 400, "every user is in a catalogue division");
	ok(in_team > 320 && in_team < 400, "about nine in ten users are in a team");
	ok(in_queue > 320 && in_queue < 400, "about nine in ten users are in queues");
	is_long(dup_email, 0, "emails are unique");

	ok(round_trips(&org), "the full state loads back as the same org, catalogues and groups");
	sim_org_free(&org);
}

#define D_HOME "68b49734-b70d-403b-866b-3aa827a0018a"
#define D_EMEA "11111111-1111-4111-8111-111111111111"
#define Q_BILL "22222222-2222-4222-8222-222222222222"
#define Q_SALE "33333333-3333-4333-8333-333333333333"
#define T_BLUE "44444444-4444-4444-8444-444444444444"
#define S_BILL "55555555-5555-4555-8555-555555555555"
#define S_CHAT "66666666-6666-4666-8666-666666666666"
#define U_ANN  "77777777-7777-4777-8777-777777777777"
#define U_BOB  "88888888-8888-4888-8888-888888888888"

static void test_org_file(void)
{
	static const char file[] =
	    "{\"kind\":\"division\",\"id\":\"" D_HOME
	    "\",\"name\":\"Home\",\"homeDivision\":true}\n"
	    "{\"kind\":\"division\",\"id\":\"" D_EMEA "\",\"name\":\"EMEA\"}\n"
	    "{\"kind\":\"queue\",\"id\":\"" Q_BILL "\",\"name\":\"Billing\"}\n"
	    "{\"kind\":\"team\",\"id\":\"" T_BLUE "\",\"name\":\"Blue\"}\n"
	    "{\"kind\":\"skill\",\"id\":\"" S_BILL "\",\"name\":\"Billing\"}\n"
	    "{\"id\":\"" U_ANN "\",\"name\":\"Ann\",\"division\":{\"id\":\"" D_EMEA "\"},"
	    "\"team\":{\"id\":\"" T_BLUE "\"},\"queues\":[{\"id\":\"" Q_BILL "\"},{\"id\":\"" Q_SALE
	    "\",\"name\":\"Sales\"}],\"skills\":[{\"id\":\"" S_CHAT "\",\"name\":\"Chat\","
	    "\"proficiency\":3}],\"version\":1}\n"
	    "{\"id\":\"" U_BOB "\",\"name\":\"Bob\",\"version\":1}\n";
	struct sim_org org;
	struct sbuf out = {0};
	char err[256];
	long ann, bob;

	sim_org_init(&org);
	ok(load_text(&org, file, err, sizeof err) == 0, "an org file with catalogue lines loads");
	is_long(org.n, 2, "its catalogue lines are not users");
	ann = sim_org_find(&org, U_ANN);
	bob = sim_org_find(&org, U_BOB);
	is_long(org.users[ann].team, sim_catalog_find(&org.cat, SIM_CAT_TEAM, T_BLUE) + 1,
	        "a user's team is read");
	is_long(org.users[ann].nqueues, 2, "so are its queues");
	is_str(sim_catalog_name(&org.cat, SIM_CAT_QUEUE, Q_SALE), "Sales",
	       "a queue no line gives is derived from the user's reference");
	ok(org.cat.e[SIM_CAT_QUEUE][sim_catalog_find(&org.cat, SIM_CAT_QUEUE, Q_SALE)].derived,
	   "and marked derived");
	is_str(sim_catalog_name(&org.cat, SIM_CAT_SKILL, S_CHAT), "Chat",
	       "a skill a user holds is derived");
	is_long(org.cat.n[SIM_CAT_SKILL], 2, "no sample skills when the file gives skills");
	is_long(org.cat.n[SIM_CAT_LANGUAGE], sim_catalog_nsamples(SIM_CAT_LANGUAGE),
	        "the sample languages when it gives none");
	ok(strstr(org.users[bob].base, "\"division\":{\"id\":\"" D_HOME "\",\"name\":\"Home\"}") !=
	       NULL,
	   "a user without a division is in the home division");
	sim_org_render(&org, (size_t)ann, SIM_EXPAND_TEAM, &out);
	ok(strstr(out.p, "\"team\":{\"id\":\"" T_BLUE "\",\"name\":\"Blue\",\"selfUri\":"
	                 "\"/api/v2/teams/" T_BLUE "\"}") != NULL,
	   "expand=team shows the team");
	ok(strstr(out.p, "queues") == NULL, "but not the queues, which only the state shows");

	ok(round_trips(&org), "its dump loads and dumps the same again");
	sbuf_free(&out);
	sim_org_free(&org);
}

static void test_org_file_errors(void)
{
	static const struct {
		const char *text, *why, *name;
	} bad[] = {
	    {"{\"kind\":\"room\",\"id\":\"" Q_BILL "\",\"name\":\"x\"}", "\"kind\" must be",
	     "an unknown kind"},
	    {"{\"kind\":\"queue\",\"id\":\"q1\",\"name\":\"x\"}", "not a UUID",
	     "a catalogue id that is not a UUID"},
	    {"{\"kind\":\"queue\",\"id\":\"" Q_BILL "\"}", "needs a \"name\"", "a nameless entry"},
	    {"{\"kind\":\"team\",\"id\":\"" T_BLUE "\",\"name\":\"a\"}\n"
	     "{\"kind\":\"team\",\"id\":\"" T_BLUE "\",\"name\":\"b\"}",
	     "given twice", "an id given twice"},
	    {"{\"kind\":\"division\",\"id\":\"" D_HOME "\",\"name\":\"a\",\"homeDivision\":true}\n"
	     "{\"kind\":\"division\",\"id\":\"" D_EMEA "\",\"name\":\"b\",\"homeDivision\":true}",
	     "second home", "two home divisions"},
	    {"{\"id\":\"" U_ANN "\",\"team\":{\"id\":\"" T_BLUE "\"}}", "not in the catalogue",
	     "a team neither in the catalogue nor named"},
	    {"{\"id\":\"" U_ANN "\",\"queues\":{\"id\":\"" Q_BILL "\"}}", "must be a list",
	     "queues that are not a list"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sim_org org;
		sim_org_init(&org);
		err[0] = '\0';
		ok(load_text(&org, bad[i].text, err, sizeof err) < 0 && strstr(err, bad[i].why),
		   bad[i].name);
		if (!strstr(err, bad[i].why))
			printf("#   err: %s\n", err);
		sim_org_free(&org);
	}
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
	test_generated_groups();
	test_org_file();
	test_org_file_errors();
	test_patch();
	test_routing();
	return done_testing();
}
