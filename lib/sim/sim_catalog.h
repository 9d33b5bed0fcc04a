/*
 * sim_catalog.h - the org's catalogues: routing skills, languages,
 * divisions, queues and teams, each entry a UUID and a name, and the
 * listings the platform serves from them.
 *
 * A catalogue is filled while the org is loaded or generated and is
 * read-only afterwards, so readers take no lock. Entries keep the order
 * they were added in (the order --dump writes them back in); listings
 * sort them by name, as the platform does.
 *
 * In an org file a catalogue entry is a line with a "kind" field:
 *
 *     {"kind":"skill","id":"<uuid>","name":"Billing"}
 *     {"kind":"division","id":"<uuid>","name":"Home","homeDivision":true}
 *
 * kinds: skill, language, division, queue, team. What a user refers to
 * but no such line gives (the division or team on a user document, a
 * queue in its "queues", a skill in its list) is added from the user's
 * own {"id","name"} reference and marked derived. Names need not be
 * unique: two skills may share one, as in a real org, and telling them
 * apart is the client's problem.
 */
#ifndef GCU_SIM_CATALOG_H
#define GCU_SIM_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sim_util.h"

enum sim_cat {
	SIM_CAT_SKILL,
	SIM_CAT_LANGUAGE,
	SIM_CAT_DIVISION,
	SIM_CAT_QUEUE,
	SIM_CAT_TEAM,
	SIM_CAT_COUNT
};

struct sim_cat_entry {
	char id[37];
	char *name;
	int home;    /* the org's home division */
	int derived; /* added from a user's reference, not from a catalogue line */
};

struct sim_catalog {
	struct sim_cat_entry *e[SIM_CAT_COUNT];
	size_t n[SIM_CAT_COUNT], cap[SIM_CAT_COUNT];
	int given[SIM_CAT_COUNT]; /* a catalogue line of that kind was loaded */
};

/* What a listing asks for: a page (page-number listings) or a position
 * (cursor listings), and optional filters. */
struct sim_listing {
	long page_size;
	long page_number; /* from 1; page-number listings */
	long after;       /* first position; cursor listings */
	const char *name; /* the platform's name filter of that kind, or NULL */
	const char *const *ids;
	size_t nids; /* only these ids when nids > 0 */
};

/* Initialises an empty catalogue. */
void sim_catalog_init(struct sim_catalog *c);

/* Frees every entry. */
void sim_catalog_free(struct sim_catalog *c);

/* The kind's name in catalogue lines ("skill", "queue", ...). */
const char *sim_catalog_kind_name(enum sim_cat k);

/* Index of the entry of kind k with that id (any letter case), or -1. */
long sim_catalog_find(const struct sim_catalog *c, enum sim_cat k, const char *id);

/* The name of that entry, or "" when there is none. */
const char *sim_catalog_name(const struct sim_catalog *c, enum sim_cat k, const char *id);

/*
 * Adds an entry (id must be a UUID; name is copied). An id already
 * derived takes the new name and loses its derived mark unless derived
 * is set; an id given twice by catalogue lines is an error. Returns the
 * entry's index, or -1 with a message in err.
 */
long sim_catalog_add(struct sim_catalog *c, enum sim_cat k, const char *id, const char *name,
                     int derived, char *err, size_t errlen);

/*
 * Adds the entry a catalogue line describes: line (len bytes, need not
 * be NUL-terminated) is a JSON object with "kind", "id" and "name"
 * ("homeDivision" for a division; other members are ignored). Returns 0,
 * or -1 with the reason in err.
 */
int sim_catalog_line(struct sim_catalog *c, const char *line, size_t len, char *err, size_t errlen);

/*
 * The index of the entry a user refers to with ref ({"id","name"}, not
 * consumed), derived from ref when the catalogue lacks it (ref must then
 * carry a name). Returns -1 with the reason in err.
 */
long sim_catalog_ref(struct sim_catalog *c, enum sim_cat k, json_object *ref, char *err,
                     size_t errlen);

/* How many sample skills or languages there are (the ones
 * testdata/org.ndjson uses); 0 for other kinds. A generated catalogue
 * holds them first. */
size_t sim_catalog_nsamples(enum sim_cat k);

/* Adds the sample skills and languages that are missing, for the kinds
 * no catalogue line gave. Returns 0, or -1 with a message in err. */
int sim_catalog_add_samples(struct sim_catalog *c, char *err, size_t errlen);

/* The index of the home division; one named "Home" is created when the
 * org has no division at all. Returns -1 with a message in err. */
long sim_catalog_home(struct sim_catalog *c, char *err, size_t errlen);

/*
 * Fills an empty catalogue for a generated org of nusers users from
 * seed: the sample skills and languages and more (three dozen skills,
 * twenty languages), five divisions, queues by area and language, and
 * teams of about twenty. Returns 0, or -1 with a message in err.
 */
int sim_catalog_generate(struct sim_catalog *c, long nusers, uint64_t seed, char *err,
                         size_t errlen);

/* Appends one catalogue line per entry, kind by kind, to out. */
void sim_catalog_write(const struct sim_catalog *c, struct sbuf *out);

/*
 * Appends a page-number listing of kind k to out, the platform's
 * {"entities":[...],"pageSize","pageNumber","total","pageCount"}, sorted
 * by name. counts (may be NULL) holds each entry's member count, shown
 * for queues and teams.
 */
void sim_catalog_page(const struct sim_catalog *c, enum sim_cat k, const struct sim_listing *q,
                      const long *counts, struct sbuf *out);

/*
 * Appends a cursor listing of kind k from position q->after to out:
 * {"entities":[...],"selfUri"} and "nextUri" when more follow.
 */
void sim_catalog_cursor(const struct sim_catalog *c, enum sim_cat k, const struct sim_listing *q,
                        const long *counts, struct sbuf *out);

/* Where the platform lists kind k, e.g. "/api/v2/teams". */
const char *sim_catalog_path(enum sim_cat k);

/*
 * Closes a cursor listing whose entities were written after
 * "{\"entities\":[": appends "],\"selfUri\"" and, when next >= 0, a
 * "nextUri" whose cursor starts at position next, both on path with q's
 * page size and name filter.
 */
void sim_listing_cursor_end(struct sbuf *out, const char *path, const struct sim_listing *q,
                            long next);

/* Appends an entity's "selfUri" as a JSON string, e.g.
 * "/api/v2/teams/<id>". */
void sim_catalog_self_uri(enum sim_cat k, const char *id, struct sbuf *out);

#endif
