/*
 * resolve.h - turning the keys and names of a change into ids.
 *
 * A change names its user by a key (change.h: id, email, username,
 * employeeId) and may name the objects it refers to by name: whatever
 * fields.h's gcu_field_ref says a field refers to, wherever its kind puts
 * the reference (a user: the value, or its "id"; a catalogue: the keys of
 * a map such as routingSkills, the "id" of each item of the list form,
 * or the value itself). The table in fields.c drives it all: a field
 * given a reference kind there is resolved here with no code of its own.
 *
 * Matching. A UUID-shaped value is an id and is taken as it is (the
 * platform says later whether it exists). Anything else must match
 * exactly one user or entry: equal in any letter case (of ASCII letters;
 * an employeeId exactly), as the platform's search compares emails and
 * usernames, so that the directory and the search find the same users.
 * When several match in any case and exactly one has the very same case,
 * that one is meant. No other leeway: no trimming inside, no prefix, no
 * guess. A value that matches nothing, or more than one thing, makes the
 * record bad, with the field and what was not found, and a near miss
 * when there is one (a Damerau-Levenshtein distance of 1 for short names,
 * up to 3 for long ones): "routingSkills: no skill 'Techincal'; did you
 * mean 'Technical'?". A user who is inactive is found, and said to be.
 *
 * A change file is read twice: gcu_resolve_need collects what the
 * directory must find (directory.h reads no more), gcu_resolve_record
 * then rewrites each change with ids.
 */
#ifndef GCU_RESOLVE_H
#define GCU_RESOLVE_H

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "directory.h"
#include "keyset.h"

/* What a change file needs resolved: zero it before use. */
struct gcu_resolve_needs {
	struct gcu_dir_needs dir;       /* what the directory must find; its values are
	                                   the arrays below */
	unsigned long keyed[GCU_NKEYS]; /* records by the key that names their user */
	unsigned long names[GCU_NREFS]; /* references by name (not id), by kind */
	/* the resolver's own */
	struct gcu_keyset seen[GCU_NKEYS];
	char **values[GCU_NKEYS];
	size_t cap[GCU_NKEYS];
};

/*
 * Adds what record (a change from change_reader.h, borrowed) needs found.
 * A record without a usable key counts for nothing: it is refused later.
 * Returns 0, or -1 when memory ran out.
 */
int gcu_resolve_need(struct gcu_resolve_needs *n, json_object *record);

/* Whether anything must be read at all. */
int gcu_resolve_needs_any(const struct gcu_resolve_needs *n);

/* Frees what n holds; it is empty afterwards. */
void gcu_resolve_needs_free(struct gcu_resolve_needs *n);

/* What the records resolved named, counted for those written only. */
struct gcu_resolve_tally {
	unsigned long keys[GCU_NKEYS];  /* records by the key that named their user */
	unsigned long names[GCU_NREFS]; /* names turned into ids, by kind (user: managers) */
	unsigned long inactive;         /* records naming an inactive user */
};

/*
 * Resolves record (borrowed) with d: returns a new record
 * {"id","key","src","changes","expect"} (expect resolved as the changes
 * are, when the record has one; "key", "email:ann@x.com", only when the
 * user was not named by id; src is the record's own, else src) that
 * gcu_change_split accepts, and adds its counts to t; or NULL with why
 * ("no user with email 'ann@x.com'", "routingSkills: no skill 'Techincal';
 * did you mean 'Technical'?", or gcu_change_split's reason). notice gets
 * what is worth saying about a record that resolved ("user 'ann@x.com' is
 * inactive"), "" when nothing is.
 */
json_object *gcu_resolve_record(const struct gcu_config *cfg, const struct gcu_directory *d,
                                json_object *record, const char *src, struct gcu_resolve_tally *t,
                                char *notice, size_t noticelen, char *why, size_t whylen);

/*
 * The nearest value to value that d holds: a user's key of kind key (when
 * kind is GCU_REF_USER; only when d read every user) or the name of an
 * entry of kind. Within a distance that grows with the length of value;
 * of equals, the first in byte order. Borrowed from d; NULL when there is
 * none.
 */
const char *gcu_resolve_nearest(const struct gcu_directory *d, enum gcu_ref_kind kind,
                                enum gcu_key_kind key, const char *value);

#endif
