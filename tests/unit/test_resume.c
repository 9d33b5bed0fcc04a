/*
 * test_resume.c - what --resume takes from an earlier results file: keys
 * built from src, op, path and part (two chunks of one bulk change are
 * two keys; a group request's query, which names its members, is not
 * part of it), only ok and unchanged results kept, unreadable lines and a
 * truncated last line (as a killed run leaves) counted as bad, not fatal,
 * and a missing file an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "resume.h"
#include "tap.h"

#define U "a06bcdfe-7533-40fd-a339-11c082f5e35d"
#define P "/api/v2/users/" U
#define Q "72488b81-0dfa-4e39-8727-d4dad921bf95"

static char path[512];

static void write_file(const char *text)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
}

static void keys(void)
{
	char buf[256];
	json_object *rec;

	rec = json_tokener_parse("{\"src\":\"c.csv:2\",\"op\":\"user\",\"path\":\"" P "\"}");
	ok(gcu_resume_key(rec, buf, sizeof buf) == 0, "key: a request record has a key");
	is_str(buf, "c.csv:2|user|" P "|0", "key: src|op|path|part, part 0 when absent");
	json_object_put(rec);

	rec = json_tokener_parse("{\"src\":\"c.csv:2\",\"op\":\"routingSkills\",\"path\":\"" P
	                         "/routingskills/bulk\",\"part\":1}");
	ok(gcu_resume_key(rec, buf, sizeof buf) == 0, "key: with a part");
	is_str(buf, "c.csv:2|routingSkills|" P "/routingskills/bulk|1", "key: the part is in it");
	ok(gcu_resume_key(rec, buf, 20) < 0, "key: a buffer too small is an error, not a cut key");
	json_object_put(rec);

	rec = json_tokener_parse("{\"src\":\"c.csv:2\",\"op\":\"teamLeave\",\"path\":"
	                         "\"/api/v2/teams/" Q "/members?id=" U ",a06bcdfe-7533-40fd-a339-"
	                         "11c082f5e35e\"}");
	ok(gcu_resume_key(rec, buf, sizeof buf) == 0, "key: a member's result has a key");
	is_str(buf, "c.csv:2|teamLeave|/api/v2/teams/" Q "/members|0",
	       "key: without the query, which names the members (fewer when sent again)");
	json_object_put(rec);
	ok(gcu_resume_key_of("c.csv:2", "teamLeave", "/api/v2/teams/" Q "/members?id=" U, 0, buf,
	                     sizeof buf) == 0 &&
	       strcmp(buf, "c.csv:2|teamLeave|/api/v2/teams/" Q "/members|0") == 0,
	   "key: a member of a request sent for fewer members finds its earlier result");
	ok(gcu_resume_key_of("c.csv:2", "queueLeave",
	                     "/api/v2/routing/queues/" Q "/members?delete=true", 0, buf,
	                     sizeof buf) == 0 &&
	       strstr(buf, "queueLeave") != NULL,
	   "key: a queue leave and a queue join of the same path differ by their op");

	rec = json_tokener_parse("{\"src\":\"c.csv:2\",\"path\":\"" P "\"}");
	ok(gcu_resume_key(rec, buf, sizeof buf) < 0, "key: no op, no key");
	json_object_put(rec);
	rec = json_tokener_parse("{\"op\":\"user\",\"path\":\"" P "\"}");
	ok(gcu_resume_key(rec, buf, sizeof buf) < 0, "key: no src, no key");
	json_object_put(rec);
}

static void load(void)
{
	char err[256];
	unsigned long bad = 99;
	struct gcu_resume *r;

	write_file("{\"src\":\"c:1\",\"op\":\"routingSkills\",\"path\":\"" P
	           "/routingskills/bulk\",\"part\":0,\"status\":\"ok\"}\n"
	           "{\"src\":\"c:1\",\"op\":\"routingSkills\",\"path\":\"" P
	           "/routingskills/bulk\",\"part\":1,\"status\":\"failed\"}\n"
	           "{\"src\":\"c:2\",\"op\":\"user\",\"path\":\"" P "\",\"status\":\"unchanged\"}\n"
	           "{broken\n"
	           "\n"
	           "{\"src\":\"c:3\",\"op\":\"user\",\"path\":\"" P "\",\"status\":\"conflict\"}\n"
	           "{\"src\":\"c:4\",\"op\":\"user\",\"path\":\"" P
	           "\",\"status\":\"interrupted\"}\n"
	           "{\"src\":\"c:5\",\"scope\":\"non-routing\",\"status\":\"unchanged\"}\n"
	           "{\"src\":\"c:6\",\"op\":\"user\",\"path\":\"" P "\",\"status\":\"ok\",\"ht");
	r = gcu_resume_load(path, 1 << 20, &bad, err, sizeof err);
	ok(r != NULL, "load: a results file loads");
	is_long(gcu_resume_count(r), 2, "load: only ok and unchanged requests are kept");
	is_long(bad, 2, "load: a bad line and a truncated last line are counted");
	ok(gcu_resume_done(r, "c:1|routingSkills|" P "/routingskills/bulk|0") != NULL,
	   "load: part 0 of the bulk change is done");
	ok(gcu_resume_done(r, "c:1|routingSkills|" P "/routingskills/bulk|1") == NULL,
	   "load: its failed part 1 is not");
	json_object *line = gcu_resume_done(r, "c:2|user|" P "|0");
	is_str(line ? json_object_get_string(json_object_object_get(line, "status")) : NULL,
	       "unchanged", "load: the earlier result line is kept to be copied");
	ok(gcu_resume_done(r, "c:3|user|" P "|0") == NULL, "load: conflict is not done");
	ok(gcu_resume_done(r, "c:4|user|" P "|0") == NULL, "load: interrupted is not done");
	ok(gcu_resume_done(r, "c:6|user|" P "|0") == NULL, "load: the truncated line is not done");
	ok(gcu_resume_done(NULL, "c:2|user|" P "|0") == NULL, "load: no set, nothing done");
	gcu_resume_free(r);

	write_file("");
	r = gcu_resume_load(path, 1 << 20, &bad, err, sizeof err);
	ok(r != NULL && gcu_resume_count(r) == 0 && bad == 0,
	   "load: an empty file is an empty set");
	gcu_resume_free(r);

	unlink(path);
	r = gcu_resume_load(path, 1 << 20, &bad, err, sizeof err);
	ok(r == NULL && strstr(err, path) != NULL, "load: a missing file is an error naming it");
	gcu_resume_free(NULL);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/test_resume.%ld", tmp && *tmp ? tmp : "/tmp",
	         (long)getpid());
	keys();
	load();
	unlink(path);
	return done_testing();
}
