/*
 * groups.h - gathering the membership changes of many users into the
 * group requests that serve them at once (DESIGN.md, "Group requests").
 *
 * gcu-merge reads one user at a time; the platform's queue, team and
 * division requests take 100, 25 and 50 users a call. The grouper holds
 * each user's membership changes (merge.h, gcu_merge_memberships) in a
 * batch per scope, kind of request and group, and hands out a request
 * record when a batch is full, or at the end:
 *   {"scope","op","method","path","body","members":[{"id","src","changes","undo"}…]}
 * with method, path and body built from the table of what gcu may send
 * (endpoints.h), and for each member the one change the request serves
 * for it, so that gcu-send can write a result per member, and what would
 * undo it (undo.h).
 *
 * Order. A user is in one team at most, so a team join must come after
 * the leave of the old team: team joins are held until the end, when
 * every batch goes out in the order queueLeave, queueJoin, teamLeave,
 * teamJoin, division; full batches of the others go out as they fill.
 * Division requests come after every request of the user's own, which
 * gcu-merge writes as it reads the user: the user PATCH carries the
 * version read, and a division move would make it stale (the platform
 * bumps the version on a move), costing a conflict, a re-read and a second
 * PATCH for each user who moves.
 *
 * Memory is bounded: once `hold` member changes are held, everything is
 * handed out in that order, as at the end (a few batches then go out
 * less than full).
 */
#ifndef GCU_GROUPS_H
#define GCU_GROUPS_H

#include <stddef.h>

#include <json-c/json.h>

/* Member changes held at most by gcu-merge before it writes them all. */
#define GCU_GROUPS_HOLD 100000

struct gcu_grouper;

/* A new grouper holding at most hold member changes (at least 1), or
 * NULL when memory ran out. */
struct gcu_grouper *gcu_grouper_new(size_t hold);

/*
 * Adds the membership changes of user id (a UUID), from the record src
 * (may be NULL) of scope ("routing" or "non-routing"): memberships is an
 * array of {"op","group","changes"} (borrowed). Appends to out (an array)
 * the group request records that are ready now, in the order they must be
 * sent. Returns 0, or -1 with err filled when a change cannot make a
 * request (an op that is not a group request, a group that is not a
 * UUID); the grouper is then unchanged.
 */
int gcu_grouper_add(struct gcu_grouper *g, const char *id, const char *src, const char *scope,
                    json_object *memberships, json_object *out, char *err, size_t errlen);

/* Appends every group request record still held to out, in the order
 * they must be sent, and empties the grouper. */
void gcu_grouper_flush(struct gcu_grouper *g, json_object *out);

/* Member changes held now. */
size_t gcu_grouper_held(const struct gcu_grouper *g);

/* Frees g and what it holds (NULL is a no-op). */
void gcu_grouper_free(struct gcu_grouper *g);

#endif
