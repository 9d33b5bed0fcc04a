/*
 * records.h - building and checking the records that pass between stages
 * (DESIGN.md, "Records"): scoped changes in, fetched records, request
 * records and the merge stage's pass-through lines.
 */
#ifndef GCU_RECORDS_H
#define GCU_RECORDS_H

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "groups.h"

/*
 * Checks a scoped change record read from a previous stage: a UUID id, a
 * known scope, a non-empty changes object. Pointers are borrowed from rec.
 * Returns 0, or -1 with why filled.
 */
int gcu_scoped_check(json_object *rec, const char **id, enum gcu_scope *scope,
                     json_object **changes, char *why, size_t whylen);

/*
 * The fetched record for a scoped record: a copy of its id, src, scope,
 * changes and expect, plus "current" built from user (userdoc.h) for the
 * fields of both (expect.h), or, when user is
 * NULL, "error": {"status": status, "message": message}. New reference.
 */
json_object *gcu_fetched_record(json_object *scoped, json_object *user, int status,
                                const char *message);

/*
 * Turns one fetched record into the lines gcu-merge writes: request
 * records {"id","src","scope","op","method","path","body","changes"} of
 * the user's own (changes without the group memberships), or a single
 * {"id","src","scope","status":"unchanged"} when nothing at all differs,
 * or, for a fetch error or a change that cannot be merged,
 * {"id","src","scope","status":"failed","error":{…}}, or, when the user
 * does not hold what the record's "expect" says (expect.h), one
 * {"id","src","scope","status":"conflict","error":{"message","expect"}}
 * and nothing else. Request records of the user's own carry the record's
 * expect, each request its "undo" (undo.h). The user's queue,
 * team and division changes go to groups (groups.h), and the group
 * request records that became ready with them follow the user's own
 * lines; the rest come out of gcu_grouper_flush. groups may be NULL when
 * no record changes a membership (one that does is then failed). Returns
 * a new array (empty when the record only joined held batches), or NULL
 * with why filled when the record itself is malformed (no id, no scope,
 * no changes, neither current nor error).
 */
json_object *gcu_request_records(json_object *fetched, struct gcu_grouper *groups, char *why,
                                 size_t whylen);

#endif
