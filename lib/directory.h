/*
 * directory.h - the org's people and catalogues as gcu-resolve needs them
 * to turn keys and names into ids.
 *
 * A directory holds, for each user it knows, the id, the name, whether the
 * user is inactive and the keys people name a user by (email, username,
 * employeeId); and for each catalogue entry (skill, language, queue, team,
 * division) its id and name. Deleted users are left out: nothing can be
 * changed for them. Lookups go through a hash index: a user by one of its
 * keys, an entry by its name, equal in any letter case (ASCII), but an
 * employeeId, which is compared exactly; resolve.h decides what a match
 * means.
 *
 * It comes from the platform (gcu_directory_read), reading what a change
 * file needs and nothing more, or from a capture gcu_directory_write made
 * (a gcu-sim org dump, or its /__sim/state?catalog=1, loads too), and it
 * knows what it does not know: a directory read by search knows the users
 * it searched for, not the others; one read for skills knows no queues.
 *
 * What reading costs. Every catalogue the change file names something of
 * is listed whole, 100 entries a page (a few pages at most). Users are
 * found the cheaper of two ways: the directory, GET /api/v2/users with
 * state=any, 500 users a page (10,000 users: 20 pages); or searches, POST
 * /api/v2/users/search with 100 values a query (300 emails: 3 searches).
 * The directory's first page says how many pages it has; it is read
 * first, unless a single search is enough, then the rest of the directory
 * is read only when it costs no more than the searches. Nothing is read
 * for a file that names every user by id and everything else by id.
 */
#ifndef GCU_DIRECTORY_H
#define GCU_DIRECTORY_H

#include <stddef.h>

#include <json-c/json.h>

#include "change.h"
#include "fields.h"
#include "pageread.h"

/* A user (kind GCU_REF_USER) or a catalogue entry (another kind). */
struct gcu_dir_item {
	char *id;              /* a UUID */
	char *name;            /* the user's or the entry's name, or NULL */
	char *keys[GCU_NKEYS]; /* a user's email, username, employeeId (NULL when none);
	                          keys[GCU_KEY_ID] is id */
	enum gcu_ref_kind kind;
	int inactive; /* a user whose state is inactive */
};

struct gcu_directory;

/* An empty directory that knows nothing; NULL when memory runs out. */
struct gcu_directory *gcu_directory_new(void);

/* Frees d and everything it holds; NULL is a no-op. */
void gcu_directory_free(struct gcu_directory *d);

/*
 * Adds the user of a platform user document (borrowed): id, name, state,
 * email, username and employerInfo.employeeId. Returns 1 when added, 0
 * when left out (deleted, without a UUID id, or known already), -1 when
 * memory ran out.
 */
int gcu_directory_add_user(struct gcu_directory *d, json_object *user);

/*
 * Adds a catalogue entry of kind k (not GCU_REF_USER or _NONE); id and
 * name are copied. Returns 1, 0 when left out (id not a UUID, no name,
 * known already), -1 when memory ran out.
 */
int gcu_directory_add_entry(struct gcu_directory *d, enum gcu_ref_kind k, const char *id,
                            const char *name);

/* value as the index compares it for key kind k (lower case, but an
 * employeeId), in a new string; NULL when memory runs out. */
char *gcu_directory_fold(enum gcu_key_kind k, const char *value);

/* The directory knows every user of the org (it read them all). */
void gcu_directory_know_all_users(struct gcu_directory *d);

/* It knows the users whose key of kind k is value: it searched for them.
 * Returns 0, or -1 when memory ran out. */
int gcu_directory_know_value(struct gcu_directory *d, enum gcu_key_kind k, const char *value);

/* It knows every entry of catalogue k. */
void gcu_directory_know_catalogue(struct gcu_directory *d, enum gcu_ref_kind k);

/*
 * The users whose key of kind k (not GCU_KEY_ID) equals value: fills out
 * with up to max of them and returns how many there are, or -1 when the
 * directory cannot say (it neither read every user nor searched for this
 * value).
 */
long gcu_directory_find_users(const struct gcu_directory *d, enum gcu_key_kind k, const char *value,
                              const struct gcu_dir_item **out, size_t max);

/* The entries of catalogue k named name, as above; -1 when the directory
 * did not read that catalogue. */
long gcu_directory_find_entries(const struct gcu_directory *d, enum gcu_ref_kind k,
                                const char *name, const struct gcu_dir_item **out, size_t max);

/* Every user or entry held, in no particular order; *n their number. */
const struct gcu_dir_item *gcu_directory_items(const struct gcu_directory *d, size_t *n);

/* Whether it read every user (so that a near miss can be suggested). */
int gcu_directory_all_users(const struct gcu_directory *d);

/* Users held (deleted ones left out). */
size_t gcu_directory_users(const struct gcu_directory *d);

/* --- captures ------------------------------------------------------------- */

/*
 * Writes d to path (a temporary name beside it, renamed when complete):
 * a first line {"kind":"directory","users":"all"|"searched"|"none",
 * "searched":{"email":[…],…},"catalogues":["skill",…]} saying what it
 * knows, then one line per catalogue entry {"kind":"skill","id","name"}
 * and one per user {"id","name","state","email","username",
 * "employerInfo":{"employeeId"}}, sorted, so that the same directory
 * always writes the same file. Returns 0, or -1 with "path: why" in err.
 */
int gcu_directory_write(const struct gcu_directory *d, const char *path, char *err, size_t errlen);

/*
 * Loads a capture. A file without the first line (a gcu-sim org dump, an
 * export of users) is taken to know every user and every catalogue.
 * Returns the directory, or NULL with "path:line: why" in err (the file
 * cannot be read, a line is not a JSON object or too long, an unknown
 * kind).
 */
struct gcu_directory *gcu_directory_load(const char *path, size_t max_line, char *err,
                                         size_t errlen);

/* --- reading it from the platform ----------------------------------------- */

/* What a change file needs to find: the values each user key must be
 * looked up by (not ids; each once, as the index compares them), and the
 * catalogues it names something of. */
struct gcu_dir_needs {
	const char *const *values[GCU_NKEYS]; /* [GCU_KEY_ID] unused */
	size_t nvalues[GCU_NKEYS];
	int catalogue[GCU_NREFS]; /* [GCU_REF_USER] and [GCU_REF_NONE] unused */
};

/* How the users were found. */
enum gcu_dir_plan {
	GCU_PLAN_NONE,      /* no user to find (catalogues at most) */
	GCU_PLAN_DIRECTORY, /* the whole directory, 500 a page */
	GCU_PLAN_SEARCH,    /* searches, 100 values each */
	GCU_PLAN_CAPTURE    /* a capture, offline */
};

/* "none", "directory", "search", "capture". */
const char *gcu_dir_plan_name(enum gcu_dir_plan p);

/* What reading cost, and what it was to cost. */
struct gcu_dir_cost {
	enum gcu_dir_plan plan;
	long users;                    /* users in the org, as the directory said; -1 unknown */
	unsigned long planned;         /* requests the plan takes, as said before they were sent
	                                  (retries not counted) */
	unsigned long user_pages;      /* directory pages read */
	unsigned long searches;        /* search pages read */
	unsigned long catalogue_pages; /* catalogue pages read */
};

/* The searches that find every value of needs (100 values each). */
unsigned long gcu_dir_searches(const struct gcu_dir_needs *n);

/*
 * The cheaper way to find the users of a file needing searches queries,
 * in a directory of pages pages of which the first is read (pages < 0:
 * not known, the first page not read): the directory when the rest of it
 * costs no more than the searches.
 */
enum gcu_dir_plan gcu_dir_choose(unsigned long searches, long pages);

struct gcu_dir_read_opts {
	union {
		struct gcu_engine_opts net; /* cfg, http, auth, stop, seed, notice (the plan and
		                               its cost are told there), ctx: */
		struct {
			GCU_ENGINE_OPTS_FIELDS
		};
	};
	const struct gcu_dir_needs *needs;
	void (*progress)(void *ctx, unsigned long pages, unsigned long sent); /* may be NULL */
};

/*
 * Reads into d what needs asks for, from the platform, the cheaper way,
 * and says the plan and its cost through o->notice before it is spent.
 * st (summed over the reads) and cost are filled from zero. Returns as
 * gcu_page_run does (0, EX_TEMPFAIL, EX_NOPERM, EX_UNAVAILABLE, -1 with
 * err filled); o->http must not be NULL and, after anything but 0, must
 * not be run again.
 */
int gcu_directory_read(struct gcu_directory *d, const struct gcu_dir_read_opts *o,
                       struct gcu_dir_cost *cost, struct gcu_page_stats *st, char *err,
                       size_t errlen);

#endif
