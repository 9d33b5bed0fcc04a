/*
 * test_sim_catalog.c - the catalogues: a catalogue line names what a user
 * referred to before it, listings sort by name and filter the way the
 * platform's reference says for each kind, pages and cursors cover every
 * entry exactly once, and a generated catalogue depends on its seed only.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim/sim_catalog.h"
#include "tap.h"

static const char *const ids[] = {
    "10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002",
    "10000000-0000-4000-8000-000000000003", "10000000-0000-4000-8000-000000000004",
    "10000000-0000-4000-8000-000000000005",
};

/* The names a listing answer holds, joined by '|'. */
static char *names(const char *answer)
{
	json_object *o = json_tokener_parse(answer), *e;
	struct sbuf b = {0};

	if (json_object_object_get_ex(o, "entities", &e))
		for (size_t i = 0; i < json_object_array_length(e); i++) {
			if (i)
				sbuf_add(&b, "|", 1);
			sbuf_adds(&b, json_object_get_string(json_object_object_get(
			                  json_object_array_get_idx(e, i), "name")));
		}
	json_object_put(o);
	return sbuf_take(&b);
}

static long member_long(const char *answer, const char *key)
{
	json_object *o = json_tokener_parse(answer);
	long v = (long)json_object_get_int64(json_object_object_get(o, key));
	json_object_put(o);
	return v;
}

/* Lists kind k with q into a new string. */
static char *page(const struct sim_catalog *c, enum sim_cat k, const struct sim_listing *q)
{
	struct sbuf b = {0};
	sim_catalog_page(c, k, q, NULL, &b);
	return sbuf_take(&b);
}

static void check_names(const struct sim_catalog *c, enum sim_cat k, const char *filter,
                        const char *want, const char *name)
{
	struct sim_listing q = {.page_size = 25, .page_number = 1, .name = filter};
	char *answer = page(c, k, &q), *got = names(answer);
	is_str(got, want, name);
	free(got);
	free(answer);
}

static void test_listings(void)
{
	static const char *const queue_names[] = {"Sales EN", "billing", "Billing EN", "Support",
	                                          "Sales DE"};
	struct sim_catalog c;
	struct sim_listing q = {.page_size = 2, .page_number = 3};
	const char *only[] = {ids[3], ids[0]};
	char err[128], *answer, *got;

	sim_catalog_init(&c);
	for (int i = 0; i < 5; i++) {
		sim_catalog_add(&c, SIM_CAT_QUEUE, ids[i], queue_names[i], 0, err, sizeof err);
		sim_catalog_add(&c, SIM_CAT_SKILL, ids[i], queue_names[i], 0, err, sizeof err);
	}
	check_names(&c, SIM_CAT_QUEUE, NULL, "billing|Billing EN|Sales DE|Sales EN|Support",
	            "a listing sorts by name, any letter case");
	check_names(&c, SIM_CAT_QUEUE, "billing", "billing",
	            "a queue name filter takes the whole name");
	check_names(&c, SIM_CAT_QUEUE, "sales*", "Sales DE|Sales EN",
	            "with a trailing '*' the start of it");
	check_names(&c, SIM_CAT_QUEUE, "* EN", "Billing EN|Sales EN", "with a leading '*' its end");
	check_names(&c, SIM_CAT_QUEUE, "*ll*", "billing|Billing EN", "with both any part of it");
	check_names(&c, SIM_CAT_SKILL, "bill", "billing|Billing EN",
	            "a skill name filter takes the start of the name");

	answer = page(&c, SIM_CAT_QUEUE, &q);
	got = names(answer);
	is_str(got, "Support", "page 3 of 2 holds the fifth");
	is_long(member_long(answer, "total"), 5, "total counts every entry");
	is_long(member_long(answer, "pageCount"), 3, "pageCount the pages");
	free(got);
	free(answer);

	q.page_number = 1;
	q.page_size = 25;
	q.ids = only;
	q.nids = 2;
	answer = page(&c, SIM_CAT_QUEUE, &q);
	got = names(answer);
	is_str(got, "Sales EN|Support", "id= keeps only the entries named");
	free(got);
	free(answer);
	sim_catalog_free(&c);
}

static void test_cursor(void)
{
	struct sim_catalog c;
	struct sim_listing q = {.page_size = 2};
	char err[128], name[16];
	struct sbuf seen = {0};
	int pages = 0;

	sim_catalog_init(&c);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "Team %c", 'E' - i);
		sim_catalog_add(&c, SIM_CAT_TEAM, ids[i], name, 0, err, sizeof err);
	}
	for (;;) {
		struct sbuf b = {0};
		json_object *o, *next;
		char *got;

		sim_catalog_cursor(&c, SIM_CAT_TEAM, &q, NULL, &b);
		got = names(b.p);
		if (seen.len)
			sbuf_add(&seen, "|", 1);
		sbuf_adds(&seen, got);
		free(got);
		pages++;
		o = json_tokener_parse(b.p);
		sbuf_free(&b);
		if (!json_object_object_get_ex(o, "nextUri", &next)) {
			json_object_put(o);
			break;
		}
		const char *after = strstr(json_object_get_string(next), "after=");
		ok(after && sim_cursor_parse(after + 6, &q.after) == 0,
		   "nextUri carries a cursor that reads back");
		json_object_put(o);
		if (pages > 5)
			break;
	}
	is_str(seen.p, "Team A|Team B|Team C|Team D|Team E",
	       "following nextUri lists every team once, in name order");
	is_long(pages, 3, "in pages of two");
	ok(sim_cursor_parse("12", &q.after) < 0 && sim_cursor_parse("p", &q.after) < 0 &&
	       sim_cursor_parse("p1x", &q.after) < 0,
	   "anything else is not a cursor");
	sbuf_free(&seen);
	sim_catalog_free(&c);
}

static void test_lines(void)
{
	static const char ref[] =
	    "{\"id\":\"10000000-0000-4000-8000-000000000001\",\"name\":\"Old\"}";
	static const char line[] =
	    "{\"kind\":\"team\",\"id\":\"10000000-0000-4000-8000-000000000001\","
	    "\"name\":\"New\",\"description\":\"ignored\"}";
	json_object *r = json_tokener_parse(ref);
	struct sim_catalog c;
	struct sbuf out = {0};
	char err[128];

	sim_catalog_init(&c);
	is_long(sim_catalog_ref(&c, SIM_CAT_TEAM, r, err, sizeof err), 0,
	        "a reference to an unknown team adds it");
	ok(sim_catalog_line(&c, line, strlen(line), err, sizeof err) == 0,
	   "a later catalogue line for it is no duplicate");
	is_str(c.e[SIM_CAT_TEAM][0].name, "New", "and names it");
	ok(!c.e[SIM_CAT_TEAM][0].derived, "it is no longer derived");
	ok(sim_catalog_line(&c, line, strlen(line), err, sizeof err) < 0,
	   "a second catalogue line for it is");
	sim_catalog_write(&c, &out);
	is_str(out.p,
	       "{\"kind\":\"team\",\"id\":\"10000000-0000-4000-8000-000000000001\",\"name\":"
	       "\"New\"}\n",
	       "it is written back as a catalogue line");
	is_long(sim_catalog_home(&c, err, sizeof err), 0, "an org without divisions gets Home");
	is_str(c.e[SIM_CAT_DIVISION][0].name, "Home", "named Home");
	json_object_put(r);
	sbuf_free(&out);
	sim_catalog_free(&c);
}

static void test_generate(void)
{
	struct sim_catalog a, b, c;
	struct sbuf sa = {0}, sb = {0}, sc = {0};
	char err[128];

	sim_catalog_init(&a);
	sim_catalog_init(&b);
	sim_catalog_init(&c);
	sim_catalog_generate(&a, 5000, 3, err, sizeof err);
	sim_catalog_generate(&b, 5000, 3, err, sizeof err);
	sim_catalog_generate(&c, 5000, 4, err, sizeof err);
	sim_catalog_write(&a, &sa);
	sim_catalog_write(&b, &sb);
	sim_catalog_write(&c, &sc);
	ok(strcmp(sa.p, sb.p) == 0, "the same seed gives the same catalogue");
	ok(strcmp(sa.p, sc.p) != 0, "another seed other ids");
	is_long(a.n[SIM_CAT_QUEUE], 32, "5,000 users get 32 queues");
	is_long(a.n[SIM_CAT_TEAM], 250, "and 250 teams");
	is_str(a.e[SIM_CAT_SKILL][6].name, "VIP", "the sample skills come first");
	is_str(a.e[SIM_CAT_SKILL][6].id, "959575fe-0a73-4d03-b43a-2c9fbed3e91c",
	       "with the ids testdata/ gives them");
	sbuf_free(&sa);
	sbuf_free(&sb);
	sbuf_free(&sc);
	sim_catalog_free(&a);
	sim_catalog_free(&b);
	sim_catalog_free(&c);
}

int main(void)
{
	test_listings();
	test_cursor();
	test_lines();
	test_generate();
	return done_testing();
}
