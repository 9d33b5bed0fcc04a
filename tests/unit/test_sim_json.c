/*
 * test_sim_json.c - the loader's JSON scanner: it accepts exactly the
 * valid JSON objects, reports their top-level members in order, and the
 * org keeps a loaded user's text intact apart from the routing parts.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_json.h"
#include "sim/sim_org.h"
#include "tap.h"

static int valid(const char *s)
{
	struct sim_json_member *m = NULL;
	size_t n = 0;
	char err[128];
	int rc = sim_json_members(s, strlen(s), &m, &n, err, sizeof err);
	free(m);
	return rc == 0;
}

int main(void)
{
	static const char *const good[] = {
	    "{}",
	    " {\"a\":1} ",
	    "{\"a\":[1,-2.5e+3,0,true,false,null,\"x\\u00e9\\n\"],\"b\":{\"c\":{}}}",
	    "{\"a\":\"\xc3\xa9\",\"b\":[]}",
	};
	static const char *const bad[] = {
	    "",        "[]",         "{",          "{\"a\"}",        "{\"a\":}",
	    "{a:1}",   "{\"a\":01}", "{\"a\":1,}", "{\"a\":tru}",    "{\"a\":\"\\x\"}",
	    "{} {}",   "{\"a\":1.}", "{\"a\":-}",  "{\"a\":\"\t\"}", "{\"a\":[1,]}",
	    "\"str\"",
	};
	struct sim_json_member *m = NULL;
	struct sim_org org;
	struct sbuf out = {0};
	size_t n = 0;
	char err[128];
	const char *line = "{\"id\":\"a06bcdfe-7533-40fd-a339-11c082f5e35d\", \"name\":\"A\","
	                   "\"skills\":[{\"id\":\"x\"}],\"state\":\"inactive\",\"version\":3,"
	                   "\"routingStatus\":{\"status\":\"IDLE\"},\"extra\":{\"k\":[1,2]}}";

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ok(valid(good[i]), good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(!valid(bad[i]), bad[i]);

	ok(sim_json_members(line, strlen(line), &m, &n, err, sizeof err) == 0, "members scan");
	is_long(n, 7, "seven members");
	ok(m[1].key_len == 4 && memcmp(m[1].key, "name", 4) == 0, "second key is name");
	ok(m[6].value_len == 11 && memcmp(m[6].value, "{\"k\":[1,2]}", 11) == 0,
	   "values keep their text");
	free(m);

	sim_org_init(&org);
	ok(sim_org_add_text(&org, line, strlen(line), err, sizeof err) == 0, "a user loads");
	is_long(org.users[0].state, SIM_INACTIVE, "its state is read");
	is_str(org.users[0].skills, "[{\"id\":\"x\"}]", "skills are split out");
	ok(org.users[0].languages == NULL, "absent parts stay absent");
	sim_org_render(&org, 0, SIM_EXPAND_ALL, &out);
	is_str(out.p,
	       "{\"id\":\"a06bcdfe-7533-40fd-a339-11c082f5e35d\",\"name\":\"A\",\"state\":"
	       "\"inactive\","
	       "\"version\":3,\"extra\":{\"k\":[1,2]},\"skills\":[{\"id\":\"x\"}],\"languages\":[],"
	       "\"routingStatus\":{\"status\":\"IDLE\"}}",
	       "rendered with every part");
	ok(sim_org_add_text(&org, line, strlen(line), err, sizeof err) < 0,
	   "a duplicate is refused");
	ok(strstr(err, "duplicate") != NULL, "and named");
	ok(sim_org_add_text(&org, "{\"id\":\"x\"}", 10, err, sizeof err) < 0,
	   "a bad id is refused");
	sbuf_free(&out);
	sim_org_free(&org);
	return done_testing();
}
