/*
 * userdoc.h - reading a platform user document in the terms of a change.
 *
 * The platform shows routing skills as "skills": [{"id","proficiency",…}],
 * the routing status as {"status","startTime"} and the manager as
 * {"id": …}; changes speak of routingSkills {id: proficiency},
 * routingStatus "IDLE" and manager "<id>". This is the one place that
 * translates, so that fetch, merge, the sender's re-merge after a conflict
 * and verify all compare like with like.
 */
#ifndef GCU_USERDOC_H
#define GCU_USERDOC_H

#include <json-c/json.h>

/*
 * Builds the `current` object of a fetched record: {"version": n} plus,
 * for each field named in changes, its current value in change form (JSON
 * null when the user has none). Returns a new reference; never NULL for a
 * user object. A user without a version gets none.
 */
json_object *gcu_user_current(json_object *user, json_object *changes);

/* The user document's version, or -1 when it has none. */
long gcu_user_version(json_object *user);

#endif
