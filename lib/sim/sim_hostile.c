/*
 * sim_hostile.c - hostile answers (see sim_hostile.h).
 *
 * The rotations (which bad body, which request gets the 429) follow one
 * counter of /api/v2 answers, so a run is repeatable for the same
 * requests in the same order. Bodies are built in the reply's own buffer;
 * the huge header goes in the reply's big_header, which the server glue
 * adds as X-Hostile-Padding.
 */
#include "sim_hostile.h"

#include <string.h>

#include "sim_api.h"

static const struct {
	const char *name;
	unsigned flag;
} modes[] = {
    {"huge-headers", SIM_HOSTILE_HUGE_HEADERS},
    {"big-body", SIM_HOSTILE_BIG_BODY},
    {"bad-json", SIM_HOSTILE_BAD_JSON},
    {"retry-after-huge", SIM_HOSTILE_RA_HUGE},
    {"retry-after-negative", SIM_HOSTILE_RA_NEGATIVE},
    {"not-a-user", SIM_HOSTILE_NOT_A_USER},
};

static const char *const bad_json[] = {
    "{\"entities\":[{\"id\":\"",
    "<html><body>502 Bad Gateway</body></html>",
    "{\"version\": 3,, \"title\": }",
    "\xff\xfe{\"id\":\"\x01\"}",
};

static const char *const not_a_user[] = {
    "[]",
    "{\"foo\":1}",
    ("{\"entities\":[{\"foo\":1},[],\"x\",{\"id\":42,\"version\":\"seven\"}],"
     "\"pageSize\":100,\"pageNumber\":1,\"total\":4}"),
    "{\"entities\":{\"id\":\"not-a-list\"}}",
    "null",
};

unsigned sim_hostile_parse(const char *name)
{
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(name, modes[i].name) == 0)
			return modes[i].flag;
	return 0;
}

const char *sim_hostile_names(void)
{
	return "huge-headers, big-body, bad-json, retry-after-huge, retry-after-negative, "
	       "not-a-user";
}

void sim_hostile_init(struct sim_hostile *h, unsigned m)
{
	h->modes = m;
	atomic_init(&h->count, 0);
}

int sim_hostile_pre(struct sim_hostile *h, struct sim_reply *rep)
{
	unsigned long n;

	if (!(h->modes & (SIM_HOSTILE_RA_HUGE | SIM_HOSTILE_RA_NEGATIVE)))
		return 0;
	n = atomic_fetch_add(&h->count, 1);
	if (n % 3 != 0)
		return 0;
	sim_reply_error(rep, 429, "too.many.requests.retry.after",
	                "Rate limit exceeded the maximum. Retry the request later");
	if ((h->modes & SIM_HOSTILE_RA_HUGE) && (!(h->modes & SIM_HOSTILE_RA_NEGATIVE) || n % 2))
		sim_reply_header(rep, "Retry-After", "1000000000");
	else
		sim_reply_header(rep, "Retry-After", "-5");
	return 1;
}

static void replace_body(struct sim_reply *rep, const char *text)
{
	rep->body.len = 0;
	if (rep->body.p)
		rep->body.p[0] = '\0';
	sbuf_adds(&rep->body, text);
}

static void big_body(struct sim_reply *rep)
{
	static const char head[] = "{\"entities\":[],\"padding\":\"";
	char chunk[4096];

	memset(chunk, 'x', sizeof chunk);
	replace_body(rep, head);
	while (rep->body.len < SIM_HOSTILE_BODY_BYTES)
		if (sbuf_add(&rep->body, chunk, sizeof chunk) < 0)
			return;
	sbuf_adds(&rep->body, "\"}");
}

void sim_hostile_post(struct sim_hostile *h, struct sim_reply *rep)
{
	unsigned long n;

	if (h->modes == 0 || rep->drop)
		return;
	n = atomic_fetch_add(&h->count, 1);
	if (h->modes & SIM_HOSTILE_HUGE_HEADERS) {
		char chunk[4096];
		memset(chunk, 'h', sizeof chunk);
		rep->big_header.len = 0;
		while (rep->big_header.len < SIM_HOSTILE_HEADER_BYTES)
			if (sbuf_add(&rep->big_header, chunk, sizeof chunk) < 0)
				break;
	}
	if (rep->status != 200)
		return;
	if (h->modes & SIM_HOSTILE_BIG_BODY)
		big_body(rep);
	else if (h->modes & SIM_HOSTILE_BAD_JSON)
		replace_body(rep, bad_json[n % (sizeof bad_json / sizeof bad_json[0])]);
	else if (h->modes & SIM_HOSTILE_NOT_A_USER)
		replace_body(rep, not_a_user[n % (sizeof not_a_user / sizeof not_a_user[0])]);
}
