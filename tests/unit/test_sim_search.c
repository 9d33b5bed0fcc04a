/*
 * test_sim_search.c - the users search: exact matches on email (any
 * letter case), username and employee ID with several values at once,
 * criteria combined by AND, OR and NOT, active users only unless the
 * state is asked for, pages of at most 100, and a 400 for what gcu-sim
 * cannot answer.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_search.h"
#include "tap.h"

static const char *const users[] = {
    "{\"id\":\"a0000000-0000-4000-8000-000000000001\",\"name\":\"Ann\",\"email\":\"ann@x.com\","
    "\"username\":\"ann\",\"state\":\"active\",\"employerInfo\":{\"employeeId\":\"E1\"}}",
    "{\"id\":\"a0000000-0000-4000-8000-000000000002\",\"name\":\"Bob\",\"email\":\"bob@x.com\","
    "\"username\":\"bob\",\"state\":\"inactive\",\"employerInfo\":{\"employeeId\":\"E2\"}}",
    "{\"id\":\"a0000000-0000-4000-8000-000000000003\",\"name\":\"Cid\",\"email\":\"c\\u00efd@x."
    "com\","
    "\"username\":\"cid\",\"state\":\"active\",\"employerInfo\":{\"employeeId\":\"E3\"}}",
    "{\"id\":\"a0000000-0000-4000-8000-000000000004\",\"name\":\"Dot\",\"email\":\"dot@x.com\","
    "\"username\":\"dot\",\"state\":\"deleted\",\"employerInfo\":{\"employeeId\":\"E4\"}}",
};

static struct sim_org org;

/* Runs the search body and returns the names it found, joined by '|',
 * or "400: message" and the like. */
static char *search(const char *body)
{
	json_object *b = json_tokener_parse(body), *o, *r;
	struct sim_result res = {0};
	struct sbuf out = {0}, names = {0};

	sim_search_users(&org, b, &out, &res);
	if (res.status != 200) {
		sbuf_addf(&names, "%d: %s", res.status, res.message);
	} else {
		o = json_tokener_parse(out.p);
		sbuf_addf(&names,
		          "%ld:", (long)json_object_get_int64(json_object_object_get(o, "total")));
		if (json_object_object_get_ex(o, "results", &r))
			for (size_t i = 0; i < json_object_array_length(r); i++)
				sbuf_addf(&names, "%s%s", i ? "|" : "",
				          json_object_get_string(json_object_object_get(
				              json_object_array_get_idx(r, i), "name")));
		json_object_put(o);
	}
	json_object_put(b);
	sbuf_free(&out);
	return sbuf_take(&names);
}

static void check(const char *body, const char *want, const char *name)
{
	char *got = search(body);
	is_str(got, want, name);
	free(got);
}

int main(void)
{
	char err[256];

	sim_org_init(&org);
	for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
		sim_org_add_text(&org, users[i], strlen(users[i]), err, sizeof err);

	check("{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"email\"],\"values\":[\"ANN@x.com\","
	      "\"c\\u00efd@x.com\",\"nobody@x.com\"]}]}",
	      "2:Ann|Cid", "several emails at once, any letter case, escapes and all");
	check("{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"employerInfo.employeeId\"],"
	      "\"value\":\"E3\"}]}",
	      "1:Cid", "an employee ID");
	check("{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"username\",\"email\"],"
	      "\"values\":[\"bob\"]}]}",
	      "0:", "an inactive user is not found by default");
	check("{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"username\"],\"values\":[\"bob\","
	      "\"dot\"]},{\"type\":\"EXACT\",\"fields\":[\"state\"],\"values\":[\"active\","
	      "\"inactive\",\"deleted\"]}]}",
	      "1:Bob", "but is when the state is asked for; a deleted one never is");
	check("{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"username\"],\"values\":[\"ann\"],"
	      "\"operator\":\"OR\"},{\"type\":\"EXACT\",\"fields\":[\"username\"],\"values\":["
	      "\"cid\"],\"operator\":\"OR\"}]}",
	      "2:Ann|Cid", "OR criteria: any of them");
	check("{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"username\"],\"values\":[\"ann\"],"
	      "\"operator\":\"NOT\"}]}",
	      "1:Cid", "NOT: none of it");
	check("{\"pageSize\":1,\"pageNumber\":2}", "2:Cid", "pages of pageSize");
	check("{\"pageSize\":101}", "400: pageSize must be 1 to 100", "101 a page is a 400");
	check("{\"query\":[{\"type\":\"CONTAINS\",\"fields\":[\"email\"],\"value\":\"x\"}]}",
	      "400: query[0]: gcu-sim answers only searches of type EXACT, not 'CONTAINS'",
	      "another type is a 400 that says so");
	check("{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"addresses\"],\"value\":\"x\"}]}",
	      "400: query[0]: gcu-sim cannot search the field 'addresses'",
	      "so is a field gcu-sim cannot search");
	check("{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"email\"]}]}",
	      "400: query[0]: give \"values\" or a \"value\"", "and a criterion without values");
	sim_org_free(&org);
	return done_testing();
}
