/*
 * sim_org.h - the simulated org: its users, how they are loaded,
 * generated, rendered, changed and dumped.
 *
 * Each user is held as compact JSON text in four parts: the profile
 * document without its routing parts, and the skills, languages and
 * routing status (each NULL when the user has none). Reads copy text
 * under a shared lock, so thousands of readers never contend on JSON
 * objects; writes take the exclusive lock, parse the part they change,
 * and store new text. Users stay in load order and are found by id
 * through an open-addressing hash table, which scales to 100k users.
 *
 * The org also holds its catalogues (sim_catalog.h) and each user's
 * team and queues as catalogue indices (sim_groups.h changes them); the
 * division is a member of the profile document, as on the platform. An
 * org file (--users, --dump) is NDJSON: catalogue lines, then one user
 * document per line with its "team" ({"id","name"}) and "queues"
 * ([{"id","name"}...]) when it has them.
 */
#ifndef GCU_SIM_ORG_H
#define GCU_SIM_ORG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sim_catalog.h"
#include "sim_util.h"

enum sim_user_state { SIM_ACTIVE, SIM_INACTIVE, SIM_DELETED };

/* Which parts a read includes: the routing parts (SIM_EXPAND_ALL), the
 * team (expand=team), and the queues, which only the org's own state
 * shows (the platform has no such expansion). */
enum {
	SIM_EXPAND_SKILLS = 1,
	SIM_EXPAND_LANGUAGES = 2,
	SIM_EXPAND_STATUS = 4,
	SIM_EXPAND_ALL = 7,
	SIM_EXPAND_TEAM = 8,
	SIM_EXPAND_QUEUES = 16
};

/* The expand flag of one name of an "expand" list (len bytes, e.g.
 * "skills" or "team"), 0 for names gcu-sim does not expand. */
int sim_org_expand_flag(const char *name, size_t len);

/* The two routing lists a user has. */
enum sim_kind { SIM_SKILLS, SIM_LANGUAGES };

/* Answers of the change operations: an HTTP status, and for errors a
 * platform error code and message. */
struct sim_result {
	int status;
	const char *code; /* static, e.g. "bad.request"; NULL on success */
	char message[256];
};

/* Sets res to an error: status, code (static) and a printf-formatted
 * message (cut to fit). */
void result_set(struct sim_result *res, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets res to a success with that status. */
void result_ok(struct sim_result *res, int status);

struct sim_user {
	char id[37];
	int state; /* enum sim_user_state */
	char *base;
	char *skills;
	char *languages;
	char *status;
	uint32_t team;    /* team catalogue index + 1, 0 for none */
	uint32_t *queues; /* queue catalogue indices, ascending */
	uint32_t nqueues;
};

struct sim_org {
	pthread_rwlock_t lock;
	struct sim_user *users;
	size_t n, cap;
	uint32_t *slots; /* index + 1, 0 for empty */
	size_t nslots;
	struct sim_catalog cat; /* read-only once loaded */
};

/* Initialises an empty org. Returns 0, or -1 on failure. */
int sim_org_init(struct sim_org *org);

/* Frees everything the org holds. */
void sim_org_free(struct sim_org *org);

/*
 * Adds one line of an org file (len bytes, need not be NUL-terminated):
 * a catalogue line (one with a "kind", see sim_catalog.h), or a platform
 * user document, keeping its members' text as given; its "team",
 * "queues" and "division" references are looked up in the catalogue or
 * added to it. Fails, with a message in err, on invalid JSON, a missing
 * or invalid id, a duplicate, or a bad reference. Returns 0 or -1.
 */
int sim_org_add_text(struct sim_org *org, const char *line, size_t len, char *err, size_t errlen);

/*
 * Loads an org file (blank lines skipped), then sim_org_finish(). On a
 * bad line returns -1 with "file:line: reason" in err; on an I/O error
 * returns -2 with the reason in err. Returns 0 on success.
 */
int sim_org_load(struct sim_org *org, const char *path, char *err, size_t errlen);

/*
 * Completes an org built line by line: adds the skills and languages its
 * users hold that no catalogue line gave, the sample ones when the file
 * gave none of that kind, and the home division to every user document
 * without a division. Returns 0, or -1 with a message in err.
 */
int sim_org_finish(struct sim_org *org, char *err, size_t errlen);

/*
 * Generates n users deterministically from seed: the same n and seed give
 * the same org. Returns 0, or -1 with a message in err.
 */
int sim_org_generate(struct sim_org *org, long n, uint64_t seed, char *err, size_t errlen);

/* Appends every user as NDJSON (every part, team and queues included,
 * load order) to out. Takes the shared lock. Returns 0 or -1 when out of
 * memory. */
int sim_org_state(struct sim_org *org, struct sbuf *out);

/* Appends the whole org as an org file: the catalogue lines, then
 * sim_org_state(). Same errors. */
int sim_org_state_all(struct sim_org *org, struct sbuf *out);

/* Writes the org (sim_org_state_all) to path through a temporary file
 * and a rename. Returns 0, or -1 with the reason in err. */
int sim_org_dump(struct sim_org *org, const char *path, char *err, size_t errlen);

/* Index of the user with that id (any letter case), or -1. The caller
 * holds the lock. */
long sim_org_find(const struct sim_org *org, const char *id);

/* Appends one user with the parts in `expand` to out. The caller holds
 * the lock. */
void sim_org_render(const struct sim_org *org, size_t idx, int expand, struct sbuf *out);

/*
 * Sets the member key of user idx's profile document to value
 * (consumed). When that changes the document and bump is set, the
 * version goes up by one. The caller holds the exclusive lock. Returns 1
 * when the document changed, 0 when it already held value, -1 when out
 * of memory or the stored document is unreadable.
 */
int sim_org_set_member(struct sim_org *org, size_t idx, const char *key, json_object *value,
                       int bump);

/* GET one user: 200 with the user in out, or 404. As on the platform
 * (state=active by default), a deleted user is found only when deleted is
 * 1 (state=deleted), and only a deleted one then. */
void sim_org_get(struct sim_org *org, const char *id, int deleted, int expand, struct sbuf *out,
                 struct sim_result *res);

/*
 * GET a page of users: ids (may be NULL when nids is 0, meaning all
 * users), a state filter (SIM_ACTIVE, SIM_INACTIVE, SIM_DELETED or -1 for
 * any), expand parts, page size and number. Writes the platform's page
 * object to out.
 */
void sim_org_query(struct sim_org *org, const char *const *ids, size_t nids, int state, int expand,
                   long page_size, long page_number, struct sbuf *out);

/*
 * PATCH a user with body (a JSON object, not consumed). Checks the
 * fields, the version and the id; on success bumps the version and puts
 * the user (without routing parts) in out.
 */
void sim_org_patch(struct sim_org *org, const char *id, json_object *body, int conflict_as_400,
                   struct sbuf *out, struct sim_result *res);

/* DELETE a user: it stays, with state "deleted" and its version bumped,
 * out of every queue and team, and answers 200 with {} in out; 404 when
 * there is no such user or it was deleted already. */
void sim_org_delete(struct sim_org *org, const char *id, struct sbuf *out, struct sim_result *res);

/* GET the skills or languages of a user as {"entities":[…]}. */
void sim_org_routing_get(struct sim_org *org, const char *id, enum sim_kind kind, struct sbuf *out,
                         struct sim_result *res);

/* Upserts skills or languages from body ([{"id","proficiency"}], at most
 * 50, not consumed) and answers the whole list as {"entities":[…]}. */
void sim_org_routing_bulk(struct sim_org *org, const char *id, enum sim_kind kind,
                          json_object *body, struct sbuf *out, struct sim_result *res);

/* Removes one skill or language (204 whether or not it was assigned). */
void sim_org_routing_delete(struct sim_org *org, const char *id, enum sim_kind kind,
                            const char *item, struct sim_result *res);

/* GET or (body non-NULL) PUT the routing status; answers
 * {"userId","status","startTime"}. now_iso stamps a PUT. */
void sim_org_status(struct sim_org *org, const char *id, json_object *body, const char *now_iso,
                    struct sbuf *out, struct sim_result *res);

/* The competing writer: sets wfmSyncStamp = stamp on a random user
 * (drawn from *rng) and bumps its version. Returns 0, or -1 when the org
 * is empty or memory ran out. */
int sim_org_touch(struct sim_org *org, uint64_t *rng, const char *stamp);

#endif
