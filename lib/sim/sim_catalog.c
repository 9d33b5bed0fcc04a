/*
 * sim_catalog.c - skills, languages, divisions, queues and teams (see
 * sim_catalog.h).
 *
 * One table says, per kind, what catalogue lines call it, where the
 * platform lists it and how its listing filters by name; everything else
 * (loading, deriving, generating, listing) is written once for all
 * kinds. Lookups scan the entries: a catalogue holds hundreds of
 * entries, not the hundreds of thousands a user table may, and a failed
 * comparison of two random UUIDs stops at the first or second letter.
 */
#include "sim_catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grow.h"
#include "uuid.h"

/* How a listing's "name" parameter matches, per the platform's
 * reference: skills, languages and teams take names that start with the
 * value, any letter case; queues (and, the reference being silent,
 * divisions) take the whole name, any letter case, with a leading or
 * trailing '*' as a wildcard. */
enum name_filter { NAME_PREFIX, NAME_GLOB };

static const struct kind {
	const char *name;
	const char *path;
	enum name_filter filter;
} kinds[SIM_CAT_COUNT] = {
    [SIM_CAT_SKILL] = {"skill", "/api/v2/routing/skills", NAME_PREFIX},
    [SIM_CAT_LANGUAGE] = {"language", "/api/v2/routing/languages", NAME_PREFIX},
    [SIM_CAT_DIVISION] = {"division", "/api/v2/authorization/divisions", NAME_GLOB},
    [SIM_CAT_QUEUE] = {"queue", "/api/v2/routing/queues", NAME_GLOB},
    [SIM_CAT_TEAM] = {"team", "/api/v2/teams", NAME_PREFIX},
};

struct sample {
	const char *id;
	const char *name;
};

/* The skills and languages of testdata/org.ndjson, with their ids. */
static const struct sample sample_skills[] = {
    {"25abd89b-d67e-4d92-8a83-18174d645fa6", "Disputes"},
    {"29ec148c-ead5-4263-b4d6-d23508bd9d96", "Spanish Support"},
    {"3cbb7daa-64c1-44fa-88a7-c8252abc5619", "Technical"},
    {"72488b81-0dfa-4e39-8727-d4dad921bf95", "Escalations"},
    {"76e9c809-2966-493d-8bc1-6f01162794bf", "Retention"},
    {"7d791a3c-a63c-45f9-bdcd-c219fe72c33b", "Chat"},
    {"959575fe-0a73-4d03-b43a-2c9fbed3e91c", "VIP"},
    {"cc9ff851-b6ab-4f1a-b79d-b4df2694e1f7", "Email"},
    {"d13c513a-42f8-4da1-97b1-165f0971b7c4", "Billing"},
    {"e14c1d7e-8448-4709-af4d-6ee6dda4dd1e", "Onboarding"},
    {"eca9bad1-449e-48e4-b15c-e760f3e452f2", "Sales"},
    {"f9fc2f72-a562-407c-bc2c-8e3e93afd954", "Collections"},
};

static const struct sample sample_languages[] = {
    {"3dbf2458-c928-40e1-b9c9-19c108050a4e", "French"},
    {"4630de19-bf77-438d-8b9b-7cefad989a70", "English"},
    {"627e79c7-2b42-4dd8-82e2-e271c93de18f", "German"},
    {"86ad9101-08d2-43b7-b25a-55f4796ce0e9", "Spanish"},
    {"e973d4d0-d37e-4749-8087-c813f045f6e0", "Portuguese"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The home division of testdata/org.ndjson, also that of generated orgs. */
static const struct sample home_division = {"68b49734-b70d-403b-866b-3aa827a0018a", "Home"};

static const char *const more_skills[] = {
    "Account Security", "Appointments", "Callbacks", "Claims",         "Complaints",
    "Compliance",       "Credit Cards", "Fraud",     "Insurance",      "Loans",
    "Loyalty",          "Mortgages",    "Outbound",  "Password Reset", "Payments",
    "Refunds",          "Returns",      "Shipping",  "Social Media",   "SMS",
    "Tier 2",           "Tier 3",       "Video",     "Warranty",
};

static const char *const more_languages[] = {
    "Arabic",   "Cantonese", "Dutch",   "Hebrew",  "Hindi",   "Italian", "Japanese",   "Korean",
    "Mandarin", "Polish",    "Russian", "Swedish", "Tagalog", "Turkish", "Vietnamese",
};

static const char *const more_divisions[] = {"North America", "EMEA", "APAC", "Outsourced"};

static const char *const areas[] = {"Billing", "Collections", "Onboarding",        "Retention",
                                    "Sales",   "Support",     "Technical Support", "VIP"};
static const char *const queue_languages[] = {"English", "Spanish", "French", "German"};

void sim_catalog_init(struct sim_catalog *c)
{
	memset(c, 0, sizeof *c);
}

void sim_catalog_free(struct sim_catalog *c)
{
	for (int k = 0; k < SIM_CAT_COUNT; k++) {
		for (size_t i = 0; i < c->n[k]; i++)
			free(c->e[k][i].name);
		free(c->e[k]);
	}
	memset(c, 0, sizeof *c);
}

const char *sim_catalog_kind_name(enum sim_cat k)
{
	return (unsigned)k < SIM_CAT_COUNT ? kinds[k].name : "?";
}

long sim_catalog_find(const struct sim_catalog *c, enum sim_cat k, const char *id)
{
	for (size_t i = 0; id && i < c->n[k]; i++)
		if (strcasecmp(c->e[k][i].id, id) == 0)
			return (long)i;
	return -1;
}

const char *sim_catalog_name(const struct sim_catalog *c, enum sim_cat k, const char *id)
{
	long i = sim_catalog_find(c, k, id);
	return i >= 0 ? c->e[k][i].name : "";
}

long sim_catalog_add(struct sim_catalog *c, enum sim_cat k, const char *id, const char *name,
                     int derived, char *err, size_t errlen)
{
	struct sim_cat_entry *e;
	char *copy;
	long i;

	if (!gcu_uuid_valid(id)) {
		snprintf(err, errlen, "%s id '%.40s' is not a UUID", kinds[k].name, id ? id : "");
		return -1;
	}
	i = sim_catalog_find(c, k, id);
	if (i >= 0 && (derived || c->e[k][i].derived == 0)) {
		if (derived)
			return i;
		snprintf(err, errlen, "%s %s is given twice", kinds[k].name, id);
		return -1;
	}
	copy = strdup(name);
	if (copy == NULL)
		goto oom;
	if (i >= 0) {
		/* A catalogue line names what a user referred to before it. */
		free(c->e[k][i].name);
		c->e[k][i].name = copy;
		c->e[k][i].derived = 0;
		return i;
	}
	if (gcu_grow(&c->e[k], &c->cap[k], c->n[k], sizeof *c->e[k], 16) < 0) {
		free(copy);
		goto oom;
	}
	e = &c->e[k][c->n[k]];
	memset(e, 0, sizeof *e);
	snprintf(e->id, sizeof e->id, "%s", id);
	e->name = copy;
	e->derived = derived;
	return (long)c->n[k]++;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static long home_of(const struct sim_catalog *c)
{
	for (size_t i = 0; i < c->n[SIM_CAT_DIVISION]; i++)
		if (c->e[SIM_CAT_DIVISION][i].home)
			return (long)i;
	return -1;
}

static const char *string_member(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int sim_catalog_line(struct sim_catalog *c, const char *line, size_t len, char *err, size_t errlen)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = NULL, *v;
	const char *kind, *name;
	int k, rc = -1;
	long i;

	if (tok == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "a catalogue line must be a JSON object");
		goto out;
	}
	kind = string_member(o, "kind");
	for (k = 0; k < SIM_CAT_COUNT && !(kind && strcmp(kind, kinds[k].name) == 0); k++)
		;
	if (k == SIM_CAT_COUNT) {
		snprintf(err, errlen,
		         "\"kind\" must be skill, language, division, queue or team, not '%.40s'",
		         kind ? kind : "");
		goto out;
	}
	name = string_member(o, "name");
	if (name == NULL || *name == '\0') {
		snprintf(err, errlen, "a %s needs a \"name\"", kinds[k].name);
		goto out;
	}
	i = sim_catalog_add(c, (enum sim_cat)k, string_member(o, "id"), name, 0, err, errlen);
	if (i < 0)
		goto out;
	c->given[k] = 1;
	if (k == SIM_CAT_DIVISION && json_object_object_get_ex(o, "homeDivision", &v) &&
	    json_object_get_boolean(v)) {
		long h = home_of(c);
		if (h >= 0 && h != i) {
			snprintf(err, errlen, "division %s is a second home division",
			         c->e[k][i].id);
			goto out;
		}
		c->e[k][i].home = 1;
	}
	rc = 0;
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

long sim_catalog_ref(struct sim_catalog *c, enum sim_cat k, json_object *ref, char *err,
                     size_t errlen)
{
	const char *id = string_member(ref, "id"), *name;
	long i;

	if (!json_object_is_type(ref, json_type_object) || id == NULL || !gcu_uuid_valid(id)) {
		snprintf(err, errlen, "a %s reference needs an \"id\" that is a UUID",
		         kinds[k].name);
		return -1;
	}
	i = sim_catalog_find(c, k, id);
	if (i >= 0)
		return i;
	name = string_member(ref, "name");
	if (name == NULL || *name == '\0') {
		snprintf(err, errlen,
		         "%s %s is not in the catalogue: give its \"name\" or a catalogue line "
		         "before this one",
		         kinds[k].name, id);
		return -1;
	}
	i = sim_catalog_add(c, k, id, name, 1, err, errlen);
	if (i >= 0 && k == SIM_CAT_DIVISION && home_of(c) < 0 &&
	    strcmp(name, home_division.name) == 0)
		c->e[k][i].home = 1;
	return i;
}

size_t sim_catalog_nsamples(enum sim_cat k)
{
	return k == SIM_CAT_SKILL      ? NELEM(sample_skills)
	       : k == SIM_CAT_LANGUAGE ? NELEM(sample_languages)
	                               : 0;
}

static int add_samples(struct sim_catalog *c, enum sim_cat k, char *err, size_t errlen)
{
	const struct sample *s = k == SIM_CAT_SKILL ? sample_skills : sample_languages;

	for (size_t i = 0; i < sim_catalog_nsamples(k); i++)
		if (sim_catalog_add(c, k, s[i].id, s[i].name, 1, err, errlen) < 0)
			return -1;
	return 0;
}

int sim_catalog_add_samples(struct sim_catalog *c, char *err, size_t errlen)
{
	if (!c->given[SIM_CAT_SKILL] && add_samples(c, SIM_CAT_SKILL, err, errlen) < 0)
		return -1;
	if (!c->given[SIM_CAT_LANGUAGE] && add_samples(c, SIM_CAT_LANGUAGE, err, errlen) < 0)
		return -1;
	return 0;
}

long sim_catalog_home(struct sim_catalog *c, char *err, size_t errlen)
{
	long h = home_of(c);

	if (h >= 0)
		return h;
	/* Every org has a home division; without one, the first is it. */
	if (c->n[SIM_CAT_DIVISION] == 0 && sim_catalog_add(c, SIM_CAT_DIVISION, home_division.id,
	                                                   home_division.name, 1, err, errlen) < 0)
		return -1;
	c->e[SIM_CAT_DIVISION][0].home = 1;
	return 0;
}

/* Adds an entry with a name and an id drawn from *rng. */
static int add_drawn(struct sim_catalog *c, enum sim_cat k, uint64_t *rng, const char *name,
                     char *err, size_t errlen)
{
	char id[37];
	sim_uuid(rng, id);
	return sim_catalog_add(c, k, id, name, 0, err, errlen) < 0 ? -1 : 0;
}

static long clamp(long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int sim_catalog_generate(struct sim_catalog *c, long nusers, uint64_t seed, char *err,
                         size_t errlen)
{
	uint64_t rng = seed ^ 0xca7a106ca7a106ull;
	long nqueues = clamp(nusers / 100, 8, (long)(NELEM(areas) * NELEM(queue_languages)));
	long nteams = clamp(nusers / 20, 4, 500);
	char name[96];

	if (add_samples(c, SIM_CAT_SKILL, err, errlen) < 0 ||
	    add_samples(c, SIM_CAT_LANGUAGE, err, errlen) < 0 ||
	    sim_catalog_add(c, SIM_CAT_DIVISION, home_division.id, home_division.name, 0, err,
	                    errlen) < 0)
		return -1;
	c->e[SIM_CAT_DIVISION][0].home = 1;
	for (size_t i = 0; i < NELEM(more_skills); i++)
		if (add_drawn(c, SIM_CAT_SKILL, &rng, more_skills[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < NELEM(more_languages); i++)
		if (add_drawn(c, SIM_CAT_LANGUAGE, &rng, more_languages[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < NELEM(more_divisions); i++)
		if (add_drawn(c, SIM_CAT_DIVISION, &rng, more_divisions[i], err, errlen) < 0)
			return -1;
	for (long i = 0; i < nqueues; i++) {
		snprintf(name, sizeof name, "%s - %s", areas[(size_t)i % NELEM(areas)],
		         queue_languages[(size_t)i / NELEM(areas)]);
		if (add_drawn(c, SIM_CAT_QUEUE, &rng, name, err, errlen) < 0)
			return -1;
	}
	for (long i = 0; i < nteams; i++) {
		snprintf(name, sizeof name, "%s Team %ld", areas[(size_t)i % NELEM(areas)],
		         1 + i / (long)NELEM(areas));
		if (add_drawn(c, SIM_CAT_TEAM, &rng, name, err, errlen) < 0)
			return -1;
	}
	for (int k = 0; k < SIM_CAT_COUNT; k++)
		c->given[k] = 1;
	return 0;
}

void sim_catalog_write(const struct sim_catalog *c, struct sbuf *out)
{
	for (int k = 0; k < SIM_CAT_COUNT; k++)
		for (size_t i = 0; i < c->n[k]; i++) {
			const struct sim_cat_entry *e = &c->e[k][i];
			sbuf_addf(out, "{\"kind\":\"%s\",\"id\":\"%s\",\"name\":", kinds[k].name,
			          e->id);
			sbuf_add_json_str(out, e->name);
			sbuf_adds(out, e->home ? ",\"homeDivision\":true}\n" : "}\n");
		}
}

const char *sim_catalog_path(enum sim_cat k)
{
	return kinds[k].path;
}

void sim_catalog_self_uri(enum sim_cat k, const char *id, struct sbuf *out)
{
	sbuf_addf(out, "\"%s/%s\"", kinds[k].path, id);
}

/* --- listings ------------------------------------------------------------ */

/* Does name match want, any letter case: the whole name, or with a
 * leading or trailing '*' its end, its start or any part of it? */
static int glob_matches(const char *name, const char *want)
{
	size_t wl = strlen(want), nl = strlen(name);
	int lead = wl > 0 && want[0] == '*';
	int trail = wl > (size_t)lead && want[wl - 1] == '*';
	const char *core = want + lead;
	size_t cl = wl - (size_t)lead - (size_t)trail;

	if (!lead && !trail)
		return strcasecmp(name, want) == 0;
	if (cl > nl)
		return 0;
	if (!lead)
		return strncasecmp(name, core, cl) == 0;
	if (!trail)
		return strncasecmp(name + nl - cl, core, cl) == 0;
	for (size_t i = 0; i + cl <= nl; i++)
		if (strncasecmp(name + i, core, cl) == 0)
			return 1;
	return 0;
}

static int listed(const struct sim_catalog *c, enum sim_cat k, size_t i,
                  const struct sim_listing *q)
{
	const struct sim_cat_entry *e = &c->e[k][i];

	if (q->nids > 0) {
		size_t j;
		for (j = 0; j < q->nids && strcasecmp(q->ids[j], e->id) != 0; j++)
			;
		if (j == q->nids)
			return 0;
	}
	if (q->name == NULL || q->name[0] == '\0')
		return 1;
	if (kinds[k].filter == NAME_PREFIX)
		return strncasecmp(e->name, q->name, strlen(q->name)) == 0;
	return glob_matches(e->name, q->name);
}

static int by_name(const void *a, const void *b, void *arg)
{
	const struct sim_cat_entry *list = arg;
	const struct sim_cat_entry *x = &list[*(const size_t *)a], *y = &list[*(const size_t *)b];
	int d = strcasecmp(x->name, y->name);
	return d ? d : strcmp(x->id, y->id);
}

/* The entries of kind k that q selects, sorted by name, in a new array
 * (NULL when out of memory or empty); their number in *n. */
static size_t *selection(const struct sim_catalog *c, enum sim_cat k, const struct sim_listing *q,
                         size_t *n)
{
	size_t *idx = malloc((c->n[k] ? c->n[k] : 1) * sizeof *idx);

	*n = 0;
	if (idx == NULL)
		return NULL;
	for (size_t i = 0; i < c->n[k]; i++)
		if (listed(c, k, i, q))
			idx[(*n)++] = i;
	qsort_r(idx, *n, sizeof *idx, by_name, c->e[k]);
	return idx;
}

static void entity(const struct sim_catalog *c, enum sim_cat k, size_t i, const long *counts,
                   struct sbuf *out)
{
	const struct sim_cat_entry *e = &c->e[k][i];
	long members = counts ? counts[i] : 0;

	sbuf_addf(out, "{\"id\":\"%s\",\"name\":", e->id);
	sbuf_add_json_str(out, e->name);
	switch (k) {
	case SIM_CAT_SKILL:
	case SIM_CAT_LANGUAGE:
		sbuf_adds(out, ",\"state\":\"active\"");
		break;
	case SIM_CAT_DIVISION:
		sbuf_addf(out, ",\"homeDivision\":%s", e->home ? "true" : "false");
		break;
	case SIM_CAT_QUEUE:
		sbuf_addf(out,
		          ",\"memberCount\":%ld,\"userMemberCount\":%ld,\"joinedMemberCount\":%ld",
		          members, members, members);
		break;
	case SIM_CAT_TEAM:
		sbuf_addf(out, ",\"memberCount\":%ld", members);
		break;
	default:
		break;
	}
	sbuf_adds(out, ",\"selfUri\":");
	sim_catalog_self_uri(k, e->id, out);
	sbuf_add(out, "}", 1);
}

void sim_catalog_page(const struct sim_catalog *c, enum sim_cat k, const struct sim_listing *q,
                      const long *counts, struct sbuf *out)
{
	size_t n, first = (size_t)((q->page_number - 1) * q->page_size);
	size_t *idx = selection(c, k, q, &n);

	sbuf_adds(out, "{\"entities\":[");
	for (size_t j = first; idx && j < n && j < first + (size_t)q->page_size; j++) {
		if (j > first)
			sbuf_add(out, ",", 1);
		entity(c, k, idx[j], counts, out);
	}
	sim_page_end(out, q->page_size, q->page_number, (long)n);
	free(idx);
}

/* Appends ,"key":"path?pageSize=N[&after=T][&name=V]" for position at. */
static void listing_uri(struct sbuf *out, const char *key, const char *path,
                        const struct sim_listing *q, long at)
{
	sbuf_addf(out, ",\"%s\":\"%s?pageSize=%ld", key, path, q->page_size);
	if (at > 0) {
		sbuf_adds(out, "&after=");
		sim_cursor_add(out, at);
	}
	if (q->name && *q->name) {
		sbuf_adds(out, "&name=");
		sbuf_add_query_value(out, q->name);
	}
	sbuf_add(out, "\"", 1);
}

void sim_listing_cursor_end(struct sbuf *out, const char *path, const struct sim_listing *q,
                            long next)
{
	sbuf_add(out, "]", 1);
	listing_uri(out, "selfUri", path, q, q->after);
	if (next >= 0)
		listing_uri(out, "nextUri", path, q, next);
	sbuf_add(out, "}", 1);
}

void sim_catalog_cursor(const struct sim_catalog *c, enum sim_cat k, const struct sim_listing *q,
                        const long *counts, struct sbuf *out)
{
	size_t n, first = (size_t)q->after, j;
	size_t *idx = selection(c, k, q, &n);

	sbuf_adds(out, "{\"entities\":[");
	for (j = first; idx && j < n && j < first + (size_t)q->page_size; j++) {
		if (j > first)
			sbuf_add(out, ",", 1);
		entity(c, k, idx[j], counts, out);
	}
	sim_listing_cursor_end(out, kinds[k].path, q, j < n ? (long)j : -1);
	free(idx);
}
