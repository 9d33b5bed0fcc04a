/*
 * test_hostile.c - gcu-sim's hostile answers, without a network: the mode
 * names, the every-third 429 with a billion-second or negative
 * Retry-After, and what each mode makes of a 200 (a 200 KB header, a
 * 9 MiB body, invalid JSON, JSON that is not a user), and what it leaves
 * alone (errors, dropped connections, no mode at all).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim/sim_api.h"
#include "sim/sim_hostile.h"
#include "tap.h"

/* A 200 with a user body, as the routes build it. */
static void user_reply(struct sim_reply *rep)
{
	memset(rep, 0, sizeof *rep);
	rep->status = 200;
	rep->content_type = "application/json";
	sbuf_adds(&rep->body, "{\"id\":\"a06bcdfe-7533-40fd-a339-11c082f5e35d\",\"version\":3}");
}

static const char *header(const struct sim_reply *rep, const char *name)
{
	for (int i = 0; i < rep->nhdr; i++)
		if (strcmp(rep->hdr[i].name, name) == 0)
			return rep->hdr[i].value;
	return NULL;
}

static int is_json(const char *s)
{
	/* The terminating NUL goes in too, so that a bare "null" or number
	 * is complete rather than waiting for more. */
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, s, (int)strlen(s) + 1);
	int good = json_tokener_get_error(tok) == json_tokener_success &&
	           json_tokener_get_parse_end(tok) >= strlen(s);
	json_object_put(o);
	json_tokener_free(tok);
	return good;
}

/* True when s is valid JSON but not an object with an "id" string. */
static int not_a_user(const char *s)
{
	json_object *o = json_tokener_parse(s);
	int user = o && json_object_is_type(o, json_type_object) &&
	           json_object_object_get_ex(o, "id", NULL);
	json_object_put(o);
	return is_json(s) && !user;
}

int main(void)
{
	struct sim_hostile h;
	struct sim_reply rep;
	int n429 = 0, huge = 0, negative = 0;

	ok(sim_hostile_parse("huge-headers") == SIM_HOSTILE_HUGE_HEADERS, "huge-headers");
	ok(sim_hostile_parse("big-body") == SIM_HOSTILE_BIG_BODY, "big-body");
	ok(sim_hostile_parse("bad-json") == SIM_HOSTILE_BAD_JSON, "bad-json");
	ok(sim_hostile_parse("retry-after-huge") == SIM_HOSTILE_RA_HUGE, "retry-after-huge");
	ok(sim_hostile_parse("retry-after-negative") == SIM_HOSTILE_RA_NEGATIVE,
	   "retry-after-negative");
	ok(sim_hostile_parse("not-a-user") == SIM_HOSTILE_NOT_A_USER, "not-a-user");
	ok(sim_hostile_parse("nice") == 0 && sim_hostile_parse("") == 0, "unknown names refused");
	ok(strstr(sim_hostile_names(), "not-a-user") != NULL, "the names are listed");

	/* No mode: nothing happens. */
	sim_hostile_init(&h, 0);
	user_reply(&rep);
	ok(sim_hostile_pre(&h, &rep) == 0, "no mode: no 429");
	sim_hostile_post(&h, &rep);
	ok(rep.status == 200 && strstr(rep.body.p, "\"version\":3") && rep.big_header.len == 0,
	   "no mode: the reply is untouched");
	sim_reply_free(&rep);

	/* Retry-After: every third request, both values in turn. */
	sim_hostile_init(&h, SIM_HOSTILE_RA_HUGE | SIM_HOSTILE_RA_NEGATIVE);
	for (int i = 0; i < 12; i++) {
		memset(&rep, 0, sizeof rep);
		if (sim_hostile_pre(&h, &rep)) {
			const char *ra = header(&rep, "Retry-After");
			n429++;
			huge += rep.status == 429 && ra && strcmp(ra, "1000000000") == 0;
			negative += rep.status == 429 && ra && strcmp(ra, "-5") == 0;
		}
		sim_reply_free(&rep);
	}
	is_long(n429, 4, "every third request is answered 429");
	ok(huge == 2 && negative == 2, "a billion and -5 alternate");

	/* A 200 KB header, on a 200 and on an error alike. */
	sim_hostile_init(&h, SIM_HOSTILE_HUGE_HEADERS);
	user_reply(&rep);
	sim_hostile_post(&h, &rep);
	ok(rep.big_header.len >= SIM_HOSTILE_HEADER_BYTES, "a 200 KB header");
	ok(strspn(rep.big_header.p, "h") == rep.big_header.len, "of header-safe bytes");
	ok(strstr(rep.body.p, "\"version\":3") != NULL, "the body is left alone");
	sim_reply_free(&rep);
	memset(&rep, 0, sizeof rep);
	rep.drop = 1;
	sim_hostile_post(&h, &rep);
	ok(rep.big_header.len == 0, "a dropped connection is left alone");
	sim_reply_free(&rep);

	/* A 9 MiB body, valid JSON. */
	sim_hostile_init(&h, SIM_HOSTILE_BIG_BODY);
	user_reply(&rep);
	sim_hostile_post(&h, &rep);
	ok(rep.body.len > SIM_HOSTILE_BODY_BYTES, "a body over 9 MiB");
	ok(rep.body.len > (size_t)8 * 1024 * 1024, "above http.max_response's default");
	ok(is_json(rep.body.p), "still valid JSON");
	sim_reply_free(&rep);

	/* Invalid JSON on every 200, never on an error. */
	sim_hostile_init(&h, SIM_HOSTILE_BAD_JSON);
	int bad = 0;
	for (int i = 0; i < 8; i++) {
		user_reply(&rep);
		sim_hostile_post(&h, &rep);
		bad += !is_json(rep.body.p);
		sim_reply_free(&rep);
	}
	is_long(bad, 8, "every 200 body is invalid JSON");
	memset(&rep, 0, sizeof rep);
	sim_reply_error(&rep, 503, "service.unavailable", "down");
	sim_hostile_post(&h, &rep);
	ok(is_json(rep.body.p) && rep.status == 503, "an error body is left alone");
	sim_reply_free(&rep);

	/* JSON that is not a user. */
	sim_hostile_init(&h, SIM_HOSTILE_NOT_A_USER);
	int junk = 0;
	for (int i = 0; i < 10; i++) {
		user_reply(&rep);
		sim_hostile_post(&h, &rep);
		junk += not_a_user(rep.body.p);
		sim_reply_free(&rep);
	}
	is_long(junk, 10, "every 200 body is valid JSON and not a user");
	return done_testing();
}
