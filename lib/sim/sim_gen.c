/*
 * sim_gen.c - a generated org for gcu-sim --generate (see sim_org.h).
 *
 * The generator draws the users from one splitmix64 stream and their
 * division, team, queues and extra skills from a second one, so that a
 * seed fixes the whole org and the first stream gives the same users it
 * gave before orgs had groups; users hold the sample skills and languages
 * of testdata/ first. Each user is built as the JSON line an org file
 * holds and loaded through sim_org_add_text, as a file's would be.
 */
#include "sim_org.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const first_names[] = {
    "Ada",   "Alan",    "Grace", "Edsger", "Barbara",  "Donald", "Frances", "John",
    "Radia", "Ken",     "Hedy",  "Dennis", "Margaret", "Linus",  "Sophie",  "Tim",
    "Karen", "Niklaus", "Shafi", "Leslie", "Joan",     "Brian",  "Carol",   "Vint",
    "Mary",  "Bjarne",  "Anita", "Guido",  "Jean",     "Robin",  "Lynn",    "Peter",
};

static const char *const last_names[] = {
    "Lovelace",  "Turing",  "Hopper",   "Dijkstra", "Liskov",     "Knuth",    "Allen",
    "Backus",    "Perlman", "Thompson", "Lamarr",   "Ritchie",    "Hamilton", "Torvalds",
    "Wilson",    "Berners", "Jones",    "Wirth",    "Goldwasser", "Lamport",  "Clarke",
    "Kernighan", "Shaw",    "Cerf",     "Keller",   "Stroustrup", "Borg",     "Rossum",
    "Sammet",    "Milner",  "Conway",   "Naur",
};

static const char *const departments[] = {"Billing", "Collections", "Onboarding",       "Retention",
                                          "Sales",   "Support",     "Technical Support"};
static const char *const titles[] = {"Agent", "Senior Agent", "Quality Analyst",
                                     "Workforce Analyst", "Team Lead"};
static const char *const profile_skills[] = {"Coaching", "Excel",      "Negotiation",
                                             "Python",   "Salesforce", "Spanish"};
static const char *const employee_types[] = {"Full-time", "Part-time", "Contractor"};
/* A generated user is off queue or idle; the platform has more states. */
static const char *const generated_states[] = {"OFF_QUEUE", "IDLE"};

#define PICK(rng, arr) ((arr)[sim_randn((rng), sizeof(arr) / sizeof((arr)[0]))])

/* One skill or language of a generated user, as the platform lists it. */
static void gen_routing_entry(const struct sim_cat_entry *e, int proficiency, struct sbuf *b)
{
	sbuf_addf(b, "{\"id\":\"%s\",\"name\":", e->id);
	sbuf_add_json_str(b, e->name);
	sbuf_addf(b, ",\"proficiency\":%d,\"state\":\"active\"}", proficiency);
}

/* count entries drawn from the first ncat (at most 32) of cat, then the
 * extra one when not NULL. */
static void gen_routing_list(uint64_t *rng, const struct sim_cat_entry *cat, size_t ncat,
                             size_t count, const struct sim_cat_entry *extra, int extra_proficiency,
                             struct sbuf *b)
{
	unsigned used = 0;
	size_t k;

	sbuf_add(b, "[", 1);
	for (k = 0; k < count && k < ncat; k++) {
		size_t pick;
		do
			pick = (size_t)sim_randn(rng, ncat);
		while (used & (1u << pick));
		used |= 1u << pick;
		if (k)
			sbuf_add(b, ",", 1);
		gen_routing_entry(&cat[pick], 1 + (int)sim_randn(rng, 5), b);
	}
	if (extra) {
		if (k)
			sbuf_add(b, ",", 1);
		gen_routing_entry(extra, extra_proficiency, b);
	}
	sbuf_add(b, "]", 1);
}

/* A catalogue entry of kind k drawn from *rng among those from index
 * from on (from < the kind's size). */
static const struct sim_cat_entry *gen_pick(uint64_t *rng, const struct sim_catalog *cat,
                                            enum sim_cat k, size_t from)
{
	return &cat->e[k][from + sim_randn(rng, cat->n[k] - from)];
}

/* Appends "key":{"id","name"} for a catalogue entry. */
static void gen_ref(const char *key, const struct sim_cat_entry *e, struct sbuf *b)
{
	sbuf_addf(b, ",\"%s\":{\"id\":\"%s\",\"name\":", key, e->id);
	sbuf_add_json_str(b, e->name);
	sbuf_add(b, "}", 1);
}

/* Appends the queues of a generated user: none for one in ten, else one
 * to three distinct queues. */
static void gen_queues(uint64_t *grng, const struct sim_catalog *cat, struct sbuf *b)
{
	static const int counts[20] = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3};
	size_t picks[3];
	int n = counts[sim_randn(grng, 20)];

	for (int k = 0; k < n; k++) {
		int again;
		do {
			picks[k] = (size_t)sim_randn(grng, cat->n[SIM_CAT_QUEUE]);
			again = 0;
			for (int j = 0; j < k; j++)
				again |= picks[j] == picks[k];
		} while (again);
		sbuf_adds(b, k ? ",{" : ",\"queues\":[{");
		sbuf_addf(b, "\"id\":\"%s\",\"name\":", cat->e[SIM_CAT_QUEUE][picks[k]].id);
		sbuf_add_json_str(b, cat->e[SIM_CAT_QUEUE][picks[k]].name);
		sbuf_add(b, "}", 1);
	}
	if (n)
		sbuf_add(b, "]", 1);
}

static void lower_copy(char *dst, size_t len, const char *src)
{
	size_t i;
	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Appends the platform document of generated user i to b: the user from
 * *rng, its groups and extra skills from *grng. Four in five users are in
 * the home division, nine in ten in a team, half of those with skills
 * hold one of the catalogue's further skills too, and one in five a
 * further language. */
static void gen_user(uint64_t *rng, uint64_t *grng, const struct sim_catalog *cat, long i,
                     char (*ids)[37], struct sbuf *b)
{
	const char *first = PICK(rng, first_names), *last = PICK(rng, last_names);
	char lf[40], ll[40], email[128], name[96];
	int is_manager = (i % 10 == 0);
	size_t nskills = sim_catalog_nsamples(SIM_CAT_SKILL);
	size_t nlangs = sim_catalog_nsamples(SIM_CAT_LANGUAGE);
	const struct sim_cat_entry *division = sim_randn(grng, 5)
	                                           ? &cat->e[SIM_CAT_DIVISION][0]
	                                           : gen_pick(grng, cat, SIM_CAT_DIVISION, 1);
	const struct sim_cat_entry *skill = NULL, *lang = NULL;
	int skill_proficiency = 0, lang_proficiency = 0;
	size_t held;

	if (sim_randn(grng, 2)) {
		skill = gen_pick(grng, cat, SIM_CAT_SKILL, nskills);
		skill_proficiency = 1 + (int)sim_randn(grng, 5);
	}
	if (sim_randn(grng, 5) == 0) {
		lang = gen_pick(grng, cat, SIM_CAT_LANGUAGE, nlangs);
		lang_proficiency = 1 + (int)sim_randn(grng, 5);
	}

	lower_copy(lf, sizeof lf, first);
	lower_copy(ll, sizeof ll, last);
	snprintf(email, sizeof email, "%s.%s%ld@example.com", lf, ll, i);
	snprintf(name, sizeof name, "%s %s", first, last);
	sbuf_addf(b, "{\"id\":\"%s\",\"name\":", ids[i]);
	sbuf_add_json_str(b, name);
	gen_ref("division", division, b);
	sbuf_addf(b, ",\"chat\":{\"jabberId\":\"%012llu@example.orgspan.com\"}",
	          (unsigned long long)sim_randn(rng, 1000000000000ull));
	sbuf_addf(b, ",\"department\":\"%s\"", PICK(rng, departments));
	sbuf_addf(b, ",\"email\":\"%s\"", email);
	sbuf_addf(b,
	          ",\"primaryContactInfo\":[{\"address\":\"%s\",\"mediaType\":\"EMAIL\","
	          "\"type\":\"PRIMARY\"}]",
	          email);
	sbuf_addf(b,
	          ",\"addresses\":[{\"address\":\"+1317555%04ld\",\"mediaType\":\"PHONE\","
	          "\"type\":\"WORK\"}",
	          i % 10000);
	if (sim_randn(rng, 2))
		sbuf_addf(b,
		          ",{\"address\":\"+1317666%04ld\",\"mediaType\":\"PHONE\","
		          "\"type\":\"MOBILE\"}",
		          i % 10000);
	sbuf_addf(b, "],\"state\":\"%s\"", i % 40 == 39 ? "inactive" : "active");
	sbuf_addf(b, ",\"title\":\"%s\"", is_manager ? "Supervisor" : PICK(rng, titles));
	sbuf_addf(b, ",\"username\":\"%s\"", email);
	sbuf_addf(b, ",\"version\":%d", 1 + (int)sim_randn(rng, 12));
	sbuf_addf(b, ",\"acdAutoAnswer\":%s", sim_randn(rng, 2) == 1 ? "true" : "false");
	sbuf_adds(b, ",\"profileSkills\":[");
	for (uint64_t k = sim_randn(rng, 3), j = 0; j < k; j++)
		sbuf_addf(b, "%s\"%s\"", j ? "," : "", PICK(rng, profile_skills));
	sbuf_adds(b, "],\"certifications\":[]");
	sbuf_addf(b, ",\"employerInfo\":{\"employeeId\":\"E%ld\",\"employeeType\":\"%s\"",
	          10000 + i, PICK(rng, employee_types));
	sbuf_addf(b, ",\"dateHire\":\"%04d-%02d-%02d\"}", 2008 + (int)sim_randn(rng, 18),
	          1 + (int)sim_randn(rng, 12), 1 + (int)sim_randn(rng, 28));
	if (i > 0) {
		long m = 10 * (long)sim_randn(rng, (uint64_t)((i - 1) / 10 + 1));
		sbuf_addf(b, ",\"manager\":{\"id\":\"%s\"}", ids[m]);
	}
	/* Only a user with skills gets a further one, at the end of the list:
	 * whoever picks "the first user with skills, and its first skill"
	 * picks what it did before. */
	held = (size_t)sim_randn(rng, 5);
	sbuf_adds(b, ",\"skills\":");
	gen_routing_list(rng, cat->e[SIM_CAT_SKILL], nskills, held, held ? skill : NULL,
	                 skill_proficiency, b);
	sbuf_adds(b, ",\"languages\":");
	gen_routing_list(rng, cat->e[SIM_CAT_LANGUAGE], nlangs, 1 + (size_t)sim_randn(rng, 2), lang,
	                 lang_proficiency, b);
	sbuf_addf(b,
	          ",\"routingStatus\":{\"status\":\"%s\","
	          "\"startTime\":\"2026-11-01T08:00:00.000Z\"}",
	          PICK(rng, generated_states));
	sbuf_addf(b, ",\"selfUri\":\"/api/v2/users/%s\"", ids[i]);
	if (sim_randn(grng, 10))
		gen_ref("team", gen_pick(grng, cat, SIM_CAT_TEAM, 0), b);
	gen_queues(grng, cat, b);
	sbuf_add(b, "}", 1);
}

int sim_org_generate(struct sim_org *org, long n, uint64_t seed, char *err, size_t errlen)
{
	uint64_t rng = seed, idrng = seed ^ 0x5eed5eed5eed5eedull;
	uint64_t grng = seed ^ 0x6e0c6e0c6e0c6e0cull;
	struct sbuf line = {0};
	char(*ids)[37] = NULL;
	int rc = -1;

	if (n < 0 || n > 10000000) {
		snprintf(err, errlen, "cannot generate %ld users", n);
		goto out;
	}
	ids = calloc((size_t)n + 1, sizeof *ids);
	if (ids == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (sim_catalog_generate(&org->cat, n, seed, err, errlen) < 0)
		goto out;
	for (long i = 0; i < n; i++)
		sim_uuid(&idrng, ids[i]);
	for (long i = 0; i < n; i++) {
		line.len = 0;
		gen_user(&rng, &grng, &org->cat, i, ids, &line);
		if (line.oom) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (sim_org_add_text(org, line.p, line.len, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	sbuf_free(&line);
	free(ids);
	return rc;
}
