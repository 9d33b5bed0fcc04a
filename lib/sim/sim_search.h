/*
 * sim_search.h - POST /api/v2/users/search: the users whose fields equal
 * given values, the cheap way to find a few users by email, username or
 * employee ID without reading the whole directory.
 *
 * The body is the platform's UserSearchRequest: "pageSize" (at most
 * 100; more is a 400), "pageNumber", "expand", and "query", a list of
 * criteria {"type":"EXACT","fields":[...],"values":[...]} ("value" for
 * one), each with an "operator": AND (the default) criteria must all
 * match, at least one OR criterion must, a NOT criterion must not. A
 * criterion matches when any of its fields equals any of its values;
 * email and username match in any letter case. gcu-sim knows only EXACT,
 * and the fields id, name, email, username, title, department, state,
 * employerInfo.employeeId, division.id and manager.id. It finds active
 * users only unless a criterion is on "state" (the reference is silent;
 * this assumes the search defaults like the user listing, whose state
 * is "active" unless asked), and never deleted ones. The q64 tokens of
 * the platform's answer (nextPage...) are not given: page by number.
 */
#ifndef GCU_SIM_SEARCH_H
#define GCU_SIM_SEARCH_H

#include <json-c/json.h>

#include "sim_org.h"
#include "sim_util.h"

#define SIM_SEARCH_PAGE 100 /* the largest pageSize */

/*
 * Runs the search body (not consumed) over the org under its shared lock
 * and writes the platform's answer {"total","pageCount","pageSize",
 * "pageNumber","types":["users"],"results":[...]} to out; 400 in res for
 * a request gcu-sim cannot answer.
 */
void sim_search_users(struct sim_org *org, json_object *body, struct sbuf *out,
                      struct sim_result *res);

#endif
