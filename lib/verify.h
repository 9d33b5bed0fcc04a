/*
 * verify.h - checking that what gcu-send reported as saved holds on the
 * platform.
 *
 * A proxy may answer 200 while the platform saved nothing (the seed's
 * edge case 1), so a run ends by reading the users again. gcu-verify
 * takes result records (sender.h) and, for each user and scope whose
 * result is ok, compares the change record's fields with the user as read
 * now, with the same predicate gcu-merge uses to decide that a change
 * already holds (gcu_merge_mismatch), so that verify and merge never
 * disagree about what "holds" means.
 */
#ifndef GCU_VERIFY_H
#define GCU_VERIFY_H

#include <stddef.h>

#include <json-c/json.h>

#include "bulkread.h"
#include "config.h"

/* What a verification found. */
enum gcu_verdict {
	GCU_VERIFIED,   /* every changed field holds */
	GCU_MISMATCH,   /* some field does not hold */
	GCU_UNREADABLE, /* the user could not be read */
	GCU_NVERDICTS
};

/*
 * Classifies one result record (borrowed). Returns GCU_BULK_READ for an
 * ok result with a UUID id, a scope and a non-empty changes object, with
 * *id (borrowed from rec) and *scope set; GCU_BULK_SKIP for a well-formed
 * result whose status is unchanged, failed, conflict or interrupted (no
 * change to verify), and for the team leave that begins a move to another
 * team (the join's result is verified); GCU_BULK_REJECT with why filled
 * for anything else (no UUID id, no scope, no status, an ok result without
 * changes).
 */
enum gcu_bulk_take gcu_verify_classify(json_object *rec, const char **id, enum gcu_scope *scope,
                                       char *why, size_t whylen);

/*
 * The key under which one user+scope+change record is verified once:
 * "<id lower case> <scope> <src>" into buf, and for the result of a group
 * request, which carries one membership change, the field and the queue
 * (" queues:<id>", " team", " division"), so that each membership change
 * is verified apart, once. Returns 0, or -1 when buf is too small (the
 * key is then unusable). rec must have been classified GCU_BULK_READ.
 */
int gcu_verify_key(json_object *rec, char *buf, size_t len);

/*
 * The verification record for result (borrowed) given the user read
 * (borrowed; NULL when it could not be read, then status and message say
 * why):
 *   {"id","src","scope","verified":true}
 *   {"id","src","scope","verified":false,"mismatch":{field:{"want","got"}}}
 *   {"id","src","scope","verified":false,"error":{"status","message"}}
 * Sets *verdict. Returns a new reference, or NULL when memory ran out.
 */
json_object *gcu_verify_record(json_object *result, json_object *user, int status,
                               const char *message, enum gcu_verdict *verdict);

#endif
