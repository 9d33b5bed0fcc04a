/*
 * expect.h - guarded changes: a change that applies only where the user
 * still holds the values it expects.
 *
 * A change record may carry "expect": {field: value} beside "changes",
 * with the same field names, the same forms and the same names for other
 * objects as changes (CSV: an expect.<field> column). The partitioner
 * checks it and splits it by scope with the changes (change.h); gcu-fetch reads the expected fields
 * too; gcu-merge makes requests for a record only when every expected
 * value holds (by the very test that tells whether a change holds,
 * merge.h), and otherwise writes one line for the record and scope,
 *   {"id","src","scope","status":"conflict","error":{"message","expect"}}
 * naming the field, what was expected and what is there, and sends
 * nothing for that user in that scope: a conditional write, all or
 * nothing. gcu-send checks again when it reads a user anew after a version
 * conflict. Map fields (routing skills, queues) and objects expect only
 * the entries they name; null expects a field empty, an entry absent.
 *
 * The undo file (undo.h) is made of such records: rolling back never
 * overwrites a field that someone changed after the run.
 */
#ifndef GCU_EXPECT_H
#define GCU_EXPECT_H

#include <stddef.h>

#include <json-c/json.h>

/*
 * The fields whose current values a record needs read (new reference):
 * those of changes, and those of expect (may be NULL) besides, the queues
 * of both in one map. Hand it to gcu_user_current (userdoc.h) in place of
 * the changes.
 */
json_object *gcu_expect_fields(json_object *changes, json_object *expect);

/*
 * The queues whose members a scoped record (a change with its expect)
 * needs read: the map of those its changes name, of those its expect
 * names besides, or NULL when neither names a queue. Borrowed from rec:
 * a map of both is kept in rec, under a key that no record has and no
 * stage copies, for as long as rec lives.
 */
json_object *gcu_expect_queues(json_object *rec);

/*
 * Whether current holds every value of expect (NULL holds). Returns 0
 * when it does, or 1 with "expected title 'Lead', found 'Boss'" in why
 * and, when detail is not NULL, a new {field: {"want","got"}} of every
 * field that does not hold in *detail.
 */
int gcu_expect_check(json_object *current, json_object *expect, char *why, size_t whylen,
                     json_object **detail);

#endif
