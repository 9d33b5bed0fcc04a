/*
 * test_groups.c - gathering users' membership changes into group
 * requests (groups.h).
 *
 * Covers: batches of the platform's limits (250 queue joins: 100, 100 as
 * they fill, 50 at the end; 60 division moves: 50 and 10; 30 team leaves:
 * 25 and 5), each a request the table of what gcu may send accepts;
 * members keep their id, src and change; a scope, a kind and a group each
 * make a batch of their own; team joins wait for the end, even when full,
 * and the end hands everything out in the order queueLeave, queueJoin,
 * teamLeave, teamJoin, division, so that every team leave comes before
 * any join; the hold bound hands everything out in that order once
 * reached, and nothing is held beyond it; a bad op or group adds
 * nothing; a batch still filling survives many full batches of another
 * group going out (the grouper's compaction).
 */
#include <stdio.h>
#include <string.h>

#include "endpoints.h"
#include "groups.h"
#include "json_access.h"
#include "tap.h"

#define Q1 "72488b81-0dfa-4e39-8727-d4dad921bf95"
#define Q2 "29ec148c-ead5-4263-b4d6-d23508bd9d96"
#define T1 "3cbb7daa-64c1-44fa-88a7-c8252abc5619"

static char uid[40];

static const char *user(int i)
{
	snprintf(uid, sizeof uid, "00000000-0000-4000-8000-%012d", i);
	return uid;
}

/* One membership change [{"op","group","changes"}]. */
static json_object *change(const char *op, const char *group)
{
	json_object *a = json_object_new_array(), *m = json_object_new_object();
	json_object *ch = json_object_new_object();
	json_object_object_add(ch, "team", json_object_new_string(group));
	json_object_object_add(m, "op", json_object_new_string(op));
	json_object_object_add(m, "group", json_object_new_string(group));
	json_object_object_add(m, "changes", ch);
	json_object_array_add(a, m);
	return a;
}

/* Adds user i's change; returns how many records came out. */
static int add(struct gcu_grouper *g, int i, const char *scope, const char *op, const char *group,
               json_object *out)
{
	char err[256], src[32];
	size_t before = json_object_array_length(out);
	json_object *c = change(op, group);
	snprintf(src, sizeof src, "c.csv:%d", i + 2);
	int rc = gcu_grouper_add(g, user(i), src, scope, c, out, err, sizeof err);
	json_object_put(c);
	if (rc < 0)
		printf("# add: %s\n", err);
	return (int)(json_object_array_length(out) - before);
}

static size_t nmembers(json_object *rec)
{
	return json_object_array_length(gcu_json_get(rec, "members"));
}

/* Do all records of out pass the check of what gcu may send? */
static int all_sendable(json_object *out)
{
	char why[256];
	for (size_t i = 0; i < json_object_array_length(out); i++)
		if (gcu_request_check(json_object_array_get_idx(out, i), NULL, why, sizeof why) <
		    0) {
			printf("# refused: %s\n", why);
			return 0;
		}
	return 1;
}

static void test_batches(void)
{
	struct gcu_grouper *g = gcu_grouper_new(GCU_GROUPS_HOLD);
	json_object *out = json_object_new_array();
	int early = 0;

	for (int i = 0; i < 250; i++)
		early += add(g, i, "routing", "queueJoin", Q1, out);
	is_long(early, 2, "250 queue joins: two requests of 100 go out as they fill");
	is_long(gcu_grouper_held(g), 50, "50 are held");
	for (int i = 0; i < 60; i++)
		add(g, i, "non-routing", "division", Q2, out);
	for (int i = 0; i < 30; i++)
		add(g, i, "routing", "teamLeave", T1, out);
	gcu_grouper_flush(g, out);
	is_long(gcu_grouper_held(g), 0, "the end: nothing is held");
	is_long(json_object_array_length(out), 7,
	        "250 queue joins, 60 division moves, 30 team leaves: 3 + 2 + 2 requests");
	/* As they fill: Q1 twice, the division, the team; then the rest. */
	static const size_t want[] = {100, 100, 50, 25, 50, 5, 10};
	int sizes = 1;
	for (size_t i = 0; i < 7; i++)
		sizes &= nmembers(json_object_array_get_idx(out, i)) == want[i];
	ok(sizes, "each request holds the platform's limit, the last ones the rest");
	ok(all_sendable(out), "every request is one gcu may send");
	json_object *first = json_object_array_get_idx(out, 0);
	json_object *m0 = json_object_array_get_idx(gcu_json_get(first, "members"), 0);
	is_str(gcu_json_str(m0, "src"), "c.csv:2", "a member keeps its src");
	is_str(gcu_json_str(gcu_json_get(m0, "changes"), "team"), Q1,
	       "a member keeps the change it serves");
	is_str(gcu_json_str(first, "scope"), "routing", "a request keeps its scope");
	is_str(gcu_json_str(json_object_array_get_idx(out, 2), "scope"), "non-routing",
	       "division moves are in their own scope's request");
	json_object_put(out);
	gcu_grouper_free(g);
}

static void test_order(void)
{
	struct gcu_grouper *g = gcu_grouper_new(GCU_GROUPS_HOLD);
	json_object *out = json_object_new_array();
	int early = 0;

	/* Users 0..29 move from team Q2 to T1; joins fill before the leaves. */
	for (int i = 0; i < 30; i++) {
		early += add(g, i, "routing", "teamJoin", T1, out);
		early += add(g, i, "routing", "division", Q1, out);
		early += add(g, i, "routing", "queueJoin", Q1, out);
		early += add(g, i, "routing", "queueLeave", Q2, out);
	}
	is_long(early, 0, "a full batch of team joins waits for the end");
	for (int i = 0; i < 30; i++)
		early += add(g, i, "routing", "teamLeave", Q2, out);
	is_long(early, 1, "a full batch of team leaves goes out at once");
	gcu_grouper_flush(g, out);
	static const char *const want[] = {"teamLeave", "queueLeave", "queueJoin", "teamLeave",
	                                   "teamJoin",  "teamJoin",   "division"};
	int order = json_object_array_length(out) == 7;
	for (size_t i = 0; order && i < 7; i++)
		order &=
		    strcmp(gcu_json_str(json_object_array_get_idx(out, i), "op"), want[i]) == 0;
	ok(order, "the end: queue leaves, queue joins, team leaves, team joins, division moves");
	json_object_put(out);
	gcu_grouper_free(g);
}

static void test_hold(void)
{
	struct gcu_grouper *g = gcu_grouper_new(10);
	json_object *out = json_object_new_array();
	size_t most = 0;

	for (int i = 0; i < 12; i++) {
		add(g, i, "routing", i % 2 ? "teamJoin" : "teamLeave", i % 3 ? T1 : Q2, out);
		if (gcu_grouper_held(g) > most)
			most = gcu_grouper_held(g);
	}
	ok(most < 10, "never 10 member changes held with a hold of 10");
	is_long(json_object_array_length(out), 4, "the tenth hands out the four batches held");
	ok(strcmp(gcu_json_str(json_object_array_get_idx(out, 1), "op"), "teamLeave") == 0 &&
	       strcmp(gcu_json_str(json_object_array_get_idx(out, 2), "op"), "teamJoin") == 0,
	   "in order: the leaves, then the joins");
	is_long(gcu_grouper_held(g), 2, "the two after it are held");
	json_object_put(out);
	gcu_grouper_free(g);
}

static void test_refused(void)
{
	struct gcu_grouper *g = gcu_grouper_new(GCU_GROUPS_HOLD);
	json_object *out = json_object_new_array();
	char err[256];
	json_object *c = change("user", Q1);

	ok(gcu_grouper_add(g, user(1), "c.csv:2", "routing", c, out, err, sizeof err) < 0 &&
	       strstr(err, "not a group request") != NULL,
	   "a user PATCH is not a group request");
	json_object_put(c);
	c = change("queueJoin", "../x");
	ok(gcu_grouper_add(g, user(1), "c.csv:2", "routing", c, out, err, sizeof err) < 0 &&
	       strstr(err, "is not a UUID") != NULL,
	   "a group that is not a UUID is refused");
	json_object_put(c);
	is_long(gcu_grouper_held(g), 0, "nothing was added");
	json_object_put(out);
	gcu_grouper_free(g);
}

static void test_compaction(void)
{
	struct gcu_grouper *g = gcu_grouper_new(GCU_GROUPS_HOLD);
	json_object *out = json_object_new_array();

	/* Queue Q2 gets a member every 140 joins of Q1, whose batches fill
	 * and go out 70 times meanwhile. */
	for (int i = 0; i < 7000; i++) {
		add(g, i, "routing", "queueJoin", Q1, out);
		if (i % 140 == 0)
			add(g, 100000 + i, "routing", "queueJoin", Q2, out);
	}
	is_long(json_object_array_length(out), 70, "7000 joins of one queue: 70 requests");
	gcu_grouper_flush(g, out);
	json_object *last = json_object_array_get_idx(out, 70);
	ok(last && strstr(gcu_json_str(last, "path"), Q2) && nmembers(last) == 50,
	   "the other queue's batch kept its 50 members meanwhile");
	json_object_put(out);
	gcu_grouper_free(g);
}

int main(void)
{
	test_batches();
	test_order();
	test_hold();
	test_refused();
	test_compaction();
	return done_testing();
}
