/*
 * undo.h - the way back from a run: for each change gcu applies, the
 * change record that restores the value it replaced, guarded so that it
 * cannot clobber what someone else wrote since.
 *
 * gcu-merge knows each changed field's value before the run (the fetched
 * `current`). Every request it makes carries what would undo it,
 *   "undo": {"changes": {field: value before}, "expect": {field: value written}}
 * and every member of a group request carries its own. gcu-send copies it
 * into the result of each request that came back ok, and gathers the
 * results' undos per user and scope into one change record each:
 *   {"id","src","changes": {…},"expect": {…}}
 * src is the original change's, so that the rollback's results trace back
 * to it; expect (expect.h) makes the rollback a conditional write: a user
 * whose field moved on since the run is left alone and reported as a
 * conflict. Fed back in as a change file, the undo file is the rollback,
 * and the rollback's own undo file redoes the run.
 *
 * Several requests may serve one field (routing skills in chunks of 50, a
 * team leave and a team join): their undos fold into one, the value before
 * taken from the first, the value written from the last, and the entries
 * of the map fields (routing skills and languages, queues) one by one.
 */
#ifndef GCU_UNDO_H
#define GCU_UNDO_H

#include <stddef.h>

#include <json-c/json.h>

/*
 * Adds to *undo (created when NULL) that field, which was restore before,
 * was written as wrote; both taken (NULL is JSON null). Map fields fold
 * entry by entry, as above.
 */
void gcu_undo_add(json_object **undo, const char *field, json_object *restore, json_object *wrote);

/* Folds the undo from (borrowed) into into, as above. */
void gcu_undo_fold(json_object *into, json_object *from);

/* The undo records of a run, one per user and scope, in first-seen order. */
struct gcu_undo_log;

/* A new, empty log, or NULL when memory ran out. */
struct gcu_undo_log *gcu_undo_log_new(void);

/*
 * Adds the undo (borrowed; NULL adds nothing) of a change applied to user
 * id in scope, from the change record src (may be NULL). Returns 0, or -1
 * when id or scope is missing.
 */
int gcu_undo_log_add(struct gcu_undo_log *l, const char *id, const char *src, const char *scope,
                     json_object *undo);

/* Adds what a request record (borrowed) would undo: its own "undo", or
 * each member's. */
void gcu_undo_log_request(struct gcu_undo_log *l, json_object *req);

/* Adds the "undo" of a result record (borrowed) whose status is ok. */
void gcu_undo_log_result(struct gcu_undo_log *l, json_object *result);

/* Undo records held. */
size_t gcu_undo_log_count(const struct gcu_undo_log *l);

/*
 * Writes the records to path, through a temporary file renamed into place
 * (0600: it holds the values of people's profiles). Returns 0, or -1 with
 * "path: reason" in err.
 */
int gcu_undo_log_write(const struct gcu_undo_log *l, const char *path, char *err, size_t errlen);

/* Frees l (NULL is a no-op). */
void gcu_undo_log_free(struct gcu_undo_log *l);

#endif
