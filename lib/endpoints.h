/*
 * endpoints.h - what gcu may send: one table of the platform requests
 * gcu-merge makes, and the check every request line passes before
 * gcu-send lets it out.
 *
 * A row names an op (the request record's "op"), its method, the shape
 * of its path and the shape of its body. gcu-merge builds its paths from
 * the rows; gcu-send refuses any request that does not fit its row
 * exactly, so that a request file written by hand, by a bug or by an
 * adversary cannot make gcu delete a user, write a field the endpoint
 * does not take, or reach any other part of the platform.
 *
 * Paths are templates of literal text and placeholders:
 *   {user}     the record's own id (a UUID), the user the request is for;
 *   {id}       any UUID (a skill, a language, a queue …);
 *   {members}  ids separated by commas, each one of the record's members.
 * A path fits when it is the template with each placeholder filled, byte
 * for byte: no other text, so no query string unless the template has
 * one, no "..", no percent-encoding, no other host or prefix.
 *
 * Bodies are shapes (struct gcu_shape): an object with only the keys it
 * lists, an array of so many items, a UUID, the record's own id, a
 * count, a number, or any value that the field table (fields.h) accepts
 * for a named field. Whatever the shape, no number anywhere in a body
 * may be infinite, NaN or beyond 2^53, which JSON parsers disagree on.
 *
 * Requests that serve many users at once (a group request) set
 * `members` on their row: the record then lists its users as
 * "members":[{"id","src"}…] instead of naming one in "id", and every
 * {members} placeholder and GCU_SHAPE_MEMBER value must be one of them.
 * Such rows are added to the table without touching the check.
 */
#ifndef GCU_ENDPOINTS_H
#define GCU_ENDPOINTS_H

#include <stddef.h>

#include <json-c/json.h>

/* The platform's limit of entries in one routing skills or languages
 * bulk call. */
#define GCU_BULK_MAX 50

/* The platform's limits of users in one group request. */
#define GCU_QUEUE_MEMBERS_MAX    100 /* queue members POST, to join or to leave */
#define GCU_TEAM_MEMBERS_MAX     25  /* team members POST or DELETE */
#define GCU_DIVISION_MEMBERS_MAX 50  /* division objects POST */

/* Longest path gcu builds or accepts: a team DELETE names its 25 members
 * in the query. */
#define GCU_PATH_MAX 1024

enum gcu_shape_kind {
	GCU_SHAPE_NONE,   /* no body: the key absent or null */
	GCU_SHAPE_ANY,    /* any value, null too (see field) */
	GCU_SHAPE_OBJECT, /* an object holding only the keys listed */
	GCU_SHAPE_ARRAY,  /* min to max items, each of shape item */
	GCU_SHAPE_UUID,   /* a string that is a UUID */
	GCU_SHAPE_SELF,   /* a string, the record's own id (the path's {user}) */
	GCU_SHAPE_MEMBER, /* a string, the id of one of the record's members */
	GCU_SHAPE_COUNT,  /* an integer, 0 or more */
	GCU_SHAPE_NUMBER  /* a number */
};

struct gcu_shape_key;

struct gcu_shape {
	enum gcu_shape_kind kind;
	/* When set, the value must also be one that fields.h accepts for this
	 * field ("" names the object key the value sits under). */
	const char *field;
	const struct gcu_shape_key *keys; /* OBJECT: ends with a NULL name */
	const struct gcu_shape *item;     /* ARRAY */
	size_t min, max;                  /* ARRAY: how many items */
};

struct gcu_shape_key {
	const char *name;
	const struct gcu_shape *shape;
	int required; /* present and not null */
};

struct gcu_endpoint {
	const char *op;               /* the request record's op */
	const char *method;           /* "PATCH", "PUT", "DELETE", "POST" */
	const char *path;             /* the template, see above */
	const struct gcu_shape *body; /* what the body holds */
	size_t members; /* 0: a request for the record's id; else a group request of 1 to
	                   members users */
};

/* The row for op (may be NULL), or NULL when gcu has none. */
const struct gcu_endpoint *gcu_endpoint_find(const char *op);

/*
 * Writes ep's path with {user} and {id} filled into buf (len bytes).
 * Returns 0, or -1 when user or id is not a UUID where the template wants
 * one, the template wants {members}, or the path does not fit in buf.
 * id may be NULL when the template has no {id}.
 */
int gcu_endpoint_path(const struct gcu_endpoint *ep, const char *user, const char *id, char *buf,
                      size_t len);

/*
 * Builds the group request of row op for group (the {id} of its path, a
 * UUID) and members ([{"id",…}…], 1 to the row's members; borrowed, its
 * ids UUIDs): a new {"op","method","path","body","members"} whose path
 * and body are made from the row, the body from its shape (each member
 * where the shape wants one), members a reference to the one given.
 * Returns NULL with why filled when op is not a group request, an id is
 * not a UUID, the members are too many or none, or the path would be too
 * long.
 */
json_object *gcu_endpoint_group(const char *op, const char *group, json_object *members, char *why,
                                size_t whylen);

/*
 * The group of a group request whose path fits its row: the UUID in the
 * {id} of the path, copied into buf (at least 37 bytes). Returns 0, or -1
 * when op is not a group request or the path does not hold one there.
 */
int gcu_endpoint_group_of(const char *op, const char *path, char *buf, size_t len);

/*
 * Checks one request against the table: req holds "op", "method", "path"
 * and "body" (a request record, or one of gcu_merge's requests) and, for
 * a group request, "members". id is the user the request is for, or NULL
 * to take req's own "id". Returns 0 when the request is one gcu may send,
 * or -1 with the first reason it is not in why. Nothing of req is kept.
 */
int gcu_request_check(json_object *req, const char *id, char *why, size_t whylen);

/* The same against another table of n rows (for tests of new rows). */
int gcu_request_check_in(const struct gcu_endpoint *table, size_t n, json_object *req,
                         const char *id, char *why, size_t whylen);

#endif
