/*
 * userdoc.h - reading a platform user document in the terms of a change.
 *
 * The platform shows routing skills as "skills": [{"id","proficiency",…}],
 * the routing status as {"status","startTime"} and the manager, team and
 * division as {"id": …}; changes speak of routingSkills {id: proficiency},
 * routingStatus "IDLE" and manager, team and division "<id>". Queue
 * memberships are not in the platform's user document: the reader that
 * reads a queue's member pages lists the user's queues under "queues" as
 * [{"id"}…] (gcu-sim's export has them there too), and a change's
 * {queueId: true|false} is compared with that list. This is the one place
 * that translates, so that fetch, merge, the sender's re-merge after a
 * conflict and verify all compare like with like.
 */
#ifndef GCU_USERDOC_H
#define GCU_USERDOC_H

#include <json-c/json.h>

/*
 * Builds the `current` object of a fetched record: {"version": n} plus,
 * for each field named in changes, its current value in change form (JSON
 * null when the user has none); for queues, {queueId: member or not} for
 * each queue the change names. Returns a new reference; never NULL for a
 * user object. A user without a version gets none.
 */
json_object *gcu_user_current(json_object *user, json_object *changes);

/* The queues a change names (its queue memberships: an object whose keys
 * are queue ids, borrowed from changes), whose members must be read for
 * gcu_user_current to tell; NULL when it names none. */
json_object *gcu_changes_queues(json_object *changes);

/* The user document's version, or -1 when it has none. */
long gcu_user_version(json_object *user);

#endif
