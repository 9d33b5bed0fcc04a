/*
 * test_sim_groups.c - queue, team and division membership as the
 * platform answers it: the limits per call, queue and division calls
 * all or nothing, team calls per member with their failure reasons,
 * member listings by name without deleted users, and which changes bump
 * a user's version (a division move does; queues and teams do not).
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_groups.h"
#include "sim/sim_org.h"
#include "tap.h"

#define HOME "68b49734-b70d-403b-866b-3aa827a0018a"
#define EMEA "11111111-1111-4111-8111-111111111111"
#define QA   "22222222-2222-4222-8222-222222222222"
#define T1   "44444444-4444-4444-8444-444444444444"
#define T2   "44444444-4444-4444-8444-444444444445"
#define ANN  "a0000000-0000-4000-8000-000000000001"
#define BOB  "a0000000-0000-4000-8000-000000000002"
#define CID  "a0000000-0000-4000-8000-000000000003"
#define DOT  "a0000000-0000-4000-8000-000000000004"
#define NONE "a0000000-0000-4000-8000-0000000000ff"

static const char *const lines[] = {
    "{\"kind\":\"division\",\"id\":\"" HOME "\",\"name\":\"Home\",\"homeDivision\":true}",
    "{\"kind\":\"division\",\"id\":\"" EMEA "\",\"name\":\"EMEA\"}",
    "{\"kind\":\"queue\",\"id\":\"" QA "\",\"name\":\"Billing\"}",
    "{\"kind\":\"team\",\"id\":\"" T1 "\",\"name\":\"Blue\"}",
    "{\"kind\":\"team\",\"id\":\"" T2 "\",\"name\":\"Red\"}",
    "{\"id\":\"" CID "\",\"name\":\"Cid\",\"state\":\"inactive\",\"version\":5,"
    "\"queues\":[{\"id\":\"" QA "\"}]}",
    "{\"id\":\"" ANN "\",\"name\":\"ann\",\"version\":2,\"team\":{\"id\":\"" T1 "\"},"
    "\"queues\":[{\"id\":\"" QA "\"}]}",
    "{\"id\":\"" BOB "\",\"name\":\"Bob\",\"version\":7}",
    "{\"id\":\"" DOT "\",\"name\":\"Dot\",\"state\":\"deleted\",\"version\":1,"
    "\"team\":{\"id\":\"" T2 "\"},\"queues\":[{\"id\":\"" QA "\"}]}",
};

static void load(struct sim_org *org)
{
	char err[256];

	sim_org_init(org);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (sim_org_add_text(org, lines[i], strlen(lines[i]), err, sizeof err) < 0)
			printf("# %s\n", err);
	sim_org_finish(org, err, sizeof err);
}

static struct sim_user *user(struct sim_org *org, const char *id)
{
	return &org->users[sim_org_find(org, id)];
}

static long version(struct sim_org *org, const char *id)
{
	json_object *u = json_tokener_parse(user(org, id)->base);
	long v = (long)json_object_get_int64(json_object_object_get(u, "version"));
	json_object_put(u);
	return v;
}

/* The ids of a listing answer's entities, joined by '|'. */
static char *entity_ids(const char *answer, const char *list)
{
	json_object *o = json_tokener_parse(answer), *e;
	struct sbuf b = {0};

	sbuf_adds(&b, "");
	if (json_object_object_get_ex(o, list, &e))
		for (size_t i = 0; i < json_object_array_length(e); i++) {
			json_object *x = json_object_array_get_idx(e, i), *r;
			if (i)
				sbuf_add(&b, "|", 1);
			sbuf_adds(&b, json_object_get_string(json_object_object_get(x, "id")));
			if (json_object_object_get_ex(x, "reason", &r)) {
				sbuf_add(&b, ":", 1);
				sbuf_adds(&b, json_object_get_string(r));
			}
		}
	json_object_put(o);
	return sbuf_take(&b);
}

static json_object *id_objects(const char *const *ids, size_t n, int objects)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *id = json_object_new_string(ids[i]);
		if (objects) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "id", id);
			id = o;
		}
		json_object_array_add(a, id);
	}
	return a;
}

/* POSTs n ids (as {"id"} objects when objects is set) to a queue's
 * members and returns the status. */
static int queue_call(struct sim_org *org, const char *queue, const char *const *ids, size_t n,
                      int objects, int remove, struct sim_result *res)
{
	json_object *body = id_objects(ids, n, objects);
	sim_groups_queue_update(org, queue, body, remove, res);
	json_object_put(body);
	return res->status;
}

static void test_queues(void)
{
	struct sim_org org;
	struct sim_result res;
	struct sbuf out = {0};
	const char *ids[101];
	char many[101][37], *got;
	long counts[1];
	uint64_t rng = 9;

	load(&org);
	sim_groups_queue_members(&org, QA, 25, 1, 0, &out, &res);
	got = entity_ids(out.p, "entities");
	is_str(got, ANN "|" CID, "a queue lists its members by name, any case, no deleted user");
	free(got);
	out.len = 0;
	sim_groups_queue_members(&org, QA, 1, 2, 1, &out, &res);
	got = entity_ids(out.p, "entities");
	is_str(got, ANN, "page 2 of 1 in descending order is the first name");
	free(got);
	ok(strstr(out.p, "\"total\":2,\"pageCount\":2") != NULL, "with total and pageCount");

	ids[0] = BOB;
	is_long(queue_call(&org, QA, ids, 1, 1, 0, &res), 204, "adding a member answers 204");
	is_long(user(&org, BOB)->nqueues, 1, "and the user is in the queue");
	is_long(version(&org, BOB), 7, "without a new version");
	ids[1] = NONE;
	is_long(queue_call(&org, QA, ids, 2, 1, 1, &res), 400,
	        "a call naming a user the org lacks is refused");
	ok(strstr(res.message, NONE) != NULL, "naming it");
	is_long(user(&org, BOB)->nqueues, 1, "and changes nothing");
	ids[1] = DOT;
	is_long(queue_call(&org, QA, ids, 2, 1, 1, &res), 400, "so is one naming a deleted user");
	is_long(queue_call(&org, QA, ids, 1, 1, 1, &res), 204, "removing answers 204");
	is_long(user(&org, BOB)->nqueues, 0, "and the user is out");
	is_long(queue_call(&org, QA, ids, 1, 1, 1, &res), 204, "removing a non-member is no error");
	is_long(queue_call(&org, "22222222-2222-4222-8222-000000000000", ids, 1, 1, 0, &res), 404,
	        "an unknown queue is a 404");
	for (int i = 0; i < 101; i++) {
		sim_uuid(&rng, many[i]);
		ids[i] = many[i];
	}
	is_long(queue_call(&org, QA, ids, 101, 1, 0, &res), 400, "101 users in one call is a 400");
	ok(strstr(res.message, "1 to 100") != NULL, "saying the limit");
	is_long(queue_call(&org, QA, ids, 0, 1, 0, &res), 400, "so is an empty list");
	is_long(queue_call(&org, QA, ids, 1, 0, 0, &res), 400,
	        "and bare ids where {\"id\"} objects belong");

	sim_groups_counts(&org, SIM_CAT_QUEUE, counts);
	is_long(counts[0], 2, "the queue counts its live members");
	ok(sim_groups_drop_random(&org, &rng) == 0, "the queue writer removes a membership");
	sim_groups_counts(&org, SIM_CAT_QUEUE, counts);
	is_long(counts[0], 1, "one");
	sim_groups_drop_random(&org, &rng);
	user(&org, DOT)->nqueues = 0;
	ok(sim_groups_drop_random(&org, &rng) < 0, "and says when there is none left");
	sbuf_free(&out);
	sim_org_free(&org);
}

static int calls;

static int refuse_all(void *arg)
{
	(void)arg;
	calls++;
	return 1;
}

static json_object *member_ids(const char *const *ids, size_t n)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "memberIds", id_objects(ids, n, 0));
	return o;
}

static void test_teams(void)
{
	struct sim_org org;
	struct sim_result res;
	struct sbuf out = {0};
	struct sim_listing q = {.page_size = 1};
	const char *ids[26] = {ANN, BOB, NONE, ANN};
	char *got;
	json_object *body;
	uint32_t t1, t2;

	load(&org);
	t1 = (uint32_t)sim_catalog_find(&org.cat, SIM_CAT_TEAM, T1) + 1;
	t2 = (uint32_t)sim_catalog_find(&org.cat, SIM_CAT_TEAM, T2) + 1;
	body = member_ids(ids, 4);
	sim_groups_team_add(&org, T2, body, NULL, NULL, &out, &res);
	is_long(res.status, 200, "a team members POST answers 200");
	got = entity_ids(out.p, "entities");
	is_str(got, BOB, "listing the users added");
	free(got);
	got = entity_ids(out.p, "failures");
	is_str(got, ANN ":UserGroupLimitExceeded|" NONE ":UserNotFound",
	       "and failures per user: one still in another team, one the org lacks");
	free(got);
	is_long(user(&org, BOB)->team, t2, "the added user is in the team");
	is_long(user(&org, ANN)->team, t1, "the refused one stays where it was");
	is_long(version(&org, BOB), 7, "without a new version");
	json_object_put(body);

	out.len = 0;
	body = member_ids(ids, 1);
	sim_groups_team_add(&org, T1, body, NULL, NULL, &out, &res);
	ok(strstr(out.p, "failures") == NULL, "adding a member again is no failure");
	json_object_put(body);

	out.len = 0;
	ids[0] = CID;
	ids[1] = ANN;
	body = member_ids(ids, 2);
	calls = 0;
	sim_groups_team_add(&org, T2, body, refuse_all, NULL, &out, &res);
	got = entity_ids(out.p, "failures");
	is_str(got, CID ":UserGroupLimitExceeded|" ANN ":UserGroupLimitExceeded",
	       "an injected refusal fails the user it is asked for");
	free(got);
	is_long(calls, 1, "which is asked only about users that would join");
	is_long(user(&org, CID)->team, 0, "and leaves them out");
	json_object_put(body);

	ids[0] = ANN;
	ids[1] = NONE;
	sim_groups_team_remove(&org, T1, ids, 2, &res);
	is_long(res.status, 204, "a team members DELETE answers 204, non-members and all");
	is_long(user(&org, ANN)->team, 0, "and the member left");
	for (int i = 0; i < 26; i++)
		ids[i] = BOB;
	sim_groups_team_remove(&org, T1, ids, 26, &res);
	is_long(res.status, 400, "26 users in a DELETE is a 400");
	body = member_ids(ids, 26);
	sim_groups_team_add(&org, T1, body, NULL, NULL, &out, &res);
	is_long(res.status, 400, "and in a POST");
	json_object_put(body);
	ids[0] = "not-a-uuid";
	sim_groups_team_remove(&org, T1, ids, 1, &res);
	is_long(res.status, 400, "an id that is not a UUID is a 400");
	sim_groups_team_remove(&org, "44444444-4444-4444-8444-000000000000", ids + 1, 1, &res);
	is_long(res.status, 404, "an unknown team a 404");

	ids[0] = CID;
	body = member_ids(ids, 1);
	sim_groups_team_add(&org, T2, body, NULL, NULL, &out, &res);
	json_object_put(body);
	out.len = 0;
	sim_groups_team_members(&org, T2, &q, &out, &res);
	got = entity_ids(out.p, "entities");
	is_str(got, BOB, "a team's members come by name, a page at a time");
	free(got);
	ok(strstr(out.p, "\"nextUri\":\"/api/v2/teams/" T2 "/members?pageSize=1&after=p1\""),
	   "with the next page's cursor");
	out.len = 0;
	q.after = 1;
	sim_groups_team_members(&org, T2, &q, &out, &res);
	got = entity_ids(out.p, "entities");
	is_str(got, CID, "which gives the rest, deleted members left out");
	free(got);
	ok(strstr(out.p, "nextUri") == NULL, "and no further cursor");
	sbuf_free(&out);
	sim_org_free(&org);
}

static void test_deleted(void)
{
	struct sim_org org;
	struct sim_result res;
	struct sbuf out = {0};
	long counts[2];

	load(&org);
	sim_org_delete(&org, ANN, &out, &res);
	is_long(res.status, 200, "a user is deleted");
	ok(user(&org, ANN)->team == 0 && user(&org, ANN)->nqueues == 0,
	   "and leaves its team and queues");
	sim_groups_counts(&org, SIM_CAT_QUEUE, counts);
	is_long(counts[0], 1, "the queue counts one member less");
	sbuf_free(&out);
	sim_org_free(&org);
}

static void test_divisions(void)
{
	struct sim_org org;
	struct sim_result res;
	const char *ids[51] = {ANN, BOB};
	json_object *body;

	load(&org);
	body = id_objects(ids, 2, 0);
	sim_groups_division_assign(&org, EMEA, body, &res);
	is_long(res.status, 204, "moving users to a division answers 204");
	ok(strstr(user(&org, ANN)->base, "\"division\":{\"id\":\"" EMEA "\",\"name\":\"EMEA\"}"),
	   "the user document shows the new division");
	is_long(version(&org, ANN), 3, "a move bumps the version");
	sim_groups_division_assign(&org, EMEA, body, &res);
	is_long(version(&org, ANN), 3, "moving a user where it is does not");
	json_object_put(body);
	ids[1] = NONE;
	body = id_objects(ids, 2, 0);
	sim_groups_division_assign(&org, HOME, body, &res);
	is_long(res.status, 400, "a user the org lacks refuses the call");
	is_long(version(&org, ANN), 3, "which changes nothing");
	json_object_put(body);
	for (int i = 0; i < 51; i++)
		ids[i] = BOB;
	body = id_objects(ids, 51, 0);
	sim_groups_division_assign(&org, HOME, body, &res);
	is_long(res.status, 400, "51 users in one call is a 400");
	json_object_put(body);
	body = id_objects(ids, 1, 1);
	sim_groups_division_assign(&org, HOME, body, &res);
	is_long(res.status, 400, "the body is a list of ids, not of objects");
	json_object_put(body);
	body = id_objects(ids, 1, 0);
	sim_groups_division_assign(&org, "11111111-1111-4111-8111-000000000000", body, &res);
	is_long(res.status, 404, "an unknown division is a 404");
	json_object_put(body);
	sim_org_free(&org);
}

int main(void)
{
	test_queues();
	test_teams();
	test_deleted();
	test_divisions();
	return done_testing();
}
