/*
 * merge.h - from current values and wanted changes to the platform
 * requests that make the changes true, and the check that they are.
 *
 * Only what differs is sent. Non-routing fields go in one versioned
 * PATCH of the user, except a change of state, which goes alone and
 * first. Objects merge key by key (null removes a key); contact lists
 * merge by (mediaType, type), so changing the work phone keeps the email;
 * other lists are replaced whole. Routing skills and languages become bulk
 * PATCHes of at most 50 entries and a DELETE per removed entry; routing
 * status a PUT when it differs. The sender calls this again after a
 * version conflict, with the freshly read current values, so that what
 * others changed meanwhile survives.
 *
 * Group memberships (queues, team, division) are not the user's own
 * requests: gcu_merge leaves them out, and gcu_merge_memberships says
 * which groups the user joins and leaves, for the group requests that
 * serve many users at once (groups.h).
 *
 * Every request and every membership change carries "undo" (undo.h):
 * the values before of what it changes, as a change, and the values it
 * writes, as what a rollback expects to find.
 */
#ifndef GCU_MERGE_H
#define GCU_MERGE_H

#include <stddef.h>

#include <json-c/json.h>

#include "endpoints.h"

/*
 * Returns a new array of requests {"op","method","path","body","undo"} in the
 * order they must be sent (empty when every change already holds), or
 * NULL with a message in err: an id that is not a UUID, a current record
 * without a version when a versioned PATCH is needed, a change that is not
 * of its field's kind. id is the user's UUID; current is a fetched
 * record's `current` (userdoc.h); changes the record's `changes`.
 */
json_object *gcu_merge(const char *id, json_object *current, json_object *changes, char *err,
                       size_t errlen);

/*
 * Returns a new array of the user's membership changes, in the order they
 * must happen: {"op","group","changes","undo"} with op one of queueJoin,
 * queueLeave, teamLeave, teamJoin, division, group the queue, team or
 * division id, and changes the one change it serves ({"queues":{id:
 * true|false}}, {"team": id or null}, {"division": id}); a team move is a
 * teamLeave of the old team, then a teamJoin of the new, both serving
 * {"team": new}. Memberships that already hold give nothing. NULL with a
 * message in err for an id that is not a UUID or a change that is not of
 * its field's kind. id, current and changes as for gcu_merge.
 */
json_object *gcu_merge_memberships(const char *id, json_object *current, json_object *changes,
                                   char *err, size_t errlen);

/*
 * Returns a new object {field: {"want": …, "got": …}} naming every field
 * of changes that does not hold in current (empty when all hold).
 */
json_object *gcu_merge_mismatch(json_object *current, json_object *changes);

#endif
