/*
 * sim_routes.h - the routes that read the directory and the catalogues
 * and change groups, beside the user routes of sim_api.c: which path is
 * which route, and what each answers. They run inside sim_handle()'s
 * pipeline, so tokens, the rate limit, latency and every fault apply to
 * them as to the others.
 *
 * Listings and their limits (pageSize above the maximum is a 400):
 *   GET  /api/v2/routing/skills, /routing/languages, /routing/queues,
 *        /authorization/divisions       pageSize <= 100, pageNumber, name, id
 *   GET  /api/v2/teams                  pageSize <= 100, name, after (cursor)
 *   GET  /api/v2/routing/queues/{id}/members   pageSize <= 100, pageNumber,
 *        sortOrder
 *   GET  /api/v2/teams/{id}/members     pageSize <= 100, after (cursor)
 *   POST /api/v2/users/search           see sim_search.h
 * Group requests: see sim_groups.h.
 *
 * What this relies on, from the platform's API reference as its client
 * SDKs publish it: queue members are added or deleted "up to 100" a call
 * and listed with "pageSize: Max value is 100", "sorted by name"; that
 * POST, the team members DELETE (ids "comma separated") and the division
 * objects POST (a body that "is a list of object IDs") answer an empty
 * body, 204 here since no status is named. Teams and a team's members
 * page by cursor (after, before, nextUri; no page numbers). A team
 * members POST answers {"entities":[{"id","selfUri"}],"failures":[{"id",
 * "reason"}]}, reason one of UserNotFound, UserGroupLimitExceeded,
 * UserGroupDivisionMismatch and OutdatedSdkVersion (the last two are not
 * simulated). The users search takes a UserSearchRequest and answers a
 * UsersSearchResponse. Where the reference is silent, gcu-sim guesses:
 * 25 users a team call and 50 a division call; catalogue pages of 100
 * (what the platform's own Terraform provider pages skills by); search
 * pages of 100; a queue or division call naming an unknown user refused
 * whole with a 400, where the team call has a per-user answer for it.
 */
#ifndef GCU_SIM_ROUTES_H
#define GCU_SIM_ROUTES_H

#include <stddef.h>

#include "sim_api.h"

#define SIM_CATALOG_PAGE 100 /* the largest pageSize of a catalogue listing */

/*
 * Matches method and path (under /api/v2/) to one of these routes: sets
 * *r, *status (0, or 405 for a method the route does not take) and
 * copies the path's group id and object type into id and item (idlen
 * and itemlen bytes; left empty when too long). Returns 1 when the path
 * is one of these routes, else 0.
 */
int sim_routes_match(const char *method, const char *path, enum sim_route *r, int *status, char *id,
                     size_t idlen, char *item, size_t itemlen);

/*
 * Answers a matched route into rep. Returns 1 when it changed the org, 0
 * when not, and -1 when r is not one of these routes.
 */
int sim_routes_dispatch(struct sim *sim, enum sim_route r, const char *id, const char *item,
                        const struct sim_request *req, struct sim_reply *rep);

/* True for the group writes that routing recomputes after (--propagation). */
int sim_routes_routing_write(enum sim_route r);

#endif
