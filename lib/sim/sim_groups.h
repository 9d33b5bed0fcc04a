/*
 * sim_groups.h - queue, team and division membership: the platform's
 * group requests and their listings, on the simulated org.
 *
 * These requests name many users at once, with the platform's limits per
 * call and its answers:
 * - queues: POST .../routing/queues/{id}/members adds (or, with
 *   ?delete=true, removes) up to 100 users, all or nothing: a user the
 *   org does not hold (or holds as deleted) refuses the whole call.
 * - teams: POST .../teams/{id}/members adds up to 25 users and answers
 *   per user: those added in "entities", the others in "failures" with a
 *   reason (UserNotFound, or UserGroupLimitExceeded for a user still in
 *   another team, since a user is in at most one); DELETE removes up to
 *   25.
 * - divisions: POST .../authorization/divisions/{id}/objects/USER moves
 *   up to 50 users, all or nothing like the queues.
 *
 * Group changes never touch the user's version, as routing changes
 * don't: queues and team are not part of the user document. A division
 * is, and a move bumps the version like any change of the document
 * (the platform's reference does not say; this is the careful guess: a
 * client must re-read a user it moved before it PATCHes it).
 *
 * Every function takes the org's lock itself, shared for reads and
 * exclusive for changes.
 */
#ifndef GCU_SIM_GROUPS_H
#define GCU_SIM_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sim_catalog.h"
#include "sim_org.h"
#include "sim_util.h"

#define SIM_QUEUE_BATCH    100 /* users per queue members POST */
#define SIM_TEAM_BATCH     25  /* users per team members POST or DELETE */
#define SIM_DIVISION_BATCH 50  /* users per division objects POST */
#define SIM_MEMBER_PAGE    100 /* the largest page of queue or team members */

/* Puts queue q in u's list; 1 when it joined, 0 when it was already
 * there, -1 when out of memory. The caller holds the exclusive lock (or
 * owns u alone). */
int sim_groups_join_queue(struct sim_user *u, uint32_t q);

/* Counts the members of every queue (k = SIM_CAT_QUEUE) or team into
 * counts, which holds an entry per catalogue entry of that kind. Deleted
 * users are no one's members. */
void sim_groups_counts(struct sim_org *org, enum sim_cat k, long *counts);

/*
 * GET a queue's members: page page_number of page_size (at most
 * SIM_MEMBER_PAGE), sorted by name (desc reverses), as the platform's
 * {"entities":[{"id","name","user":{...},"ringNumber","joined",
 * "memberBy"}],"pageSize","pageNumber","total","pageCount"}; 404 for an
 * unknown queue.
 */
void sim_groups_queue_members(struct sim_org *org, const char *queue_id, long page_size,
                              long page_number, int desc, struct sbuf *out, struct sim_result *res);

/* POST a queue's members: body is [{"id":userId}...] (not consumed);
 * adds them, or removes them when remove is set. 204, or 400 or 404 and
 * nothing changed. */
void sim_groups_queue_update(struct sim_org *org, const char *queue_id, json_object *body,
                             int remove, struct sim_result *res);

/* GET a team's members from position q->after, q->page_size of them
 * (at most SIM_MEMBER_PAGE), sorted by name: {"entities":[{"id","name",
 * "selfUri"}],"selfUri"} and "nextUri" when more follow; 404 for an
 * unknown team. */
void sim_groups_team_members(struct sim_org *org, const char *team_id, const struct sim_listing *q,
                             struct sbuf *out, struct sim_result *res);

/*
 * POST a team's members: body is {"memberIds":[...]} (not consumed).
 * Answers 200 with {"entities":[{"id","selfUri"}]} and, when some could
 * not be added, "failures":[{"id","reason"}]. refuse (may be NULL) is
 * asked, for each user about to join, whether to fail it with
 * UserGroupLimitExceeded instead (an injected fault).
 */
void sim_groups_team_add(struct sim_org *org, const char *team_id, json_object *body,
                         int (*refuse)(void *arg), void *arg, struct sbuf *out,
                         struct sim_result *res);

/* DELETE a team's members: the n ids (1 to SIM_TEAM_BATCH UUIDs) leave
 * it when they are in it. 204, or 400 or 404. */
void sim_groups_team_remove(struct sim_org *org, const char *team_id, const char *const *ids,
                            size_t n, struct sim_result *res);

/* POST users to a division: body is ["userId"...] (not consumed). 204,
 * or 400 or 404 and nothing changed. */
void sim_groups_division_assign(struct sim_org *org, const char *division_id, json_object *body,
                                struct sim_result *res);

/* The competing queue writer: removes one queue membership drawn from
 * *rng. Returns 0, or -1 when no user is in a queue. */
int sim_groups_drop_random(struct sim_org *org, uint64_t *rng);

#endif
