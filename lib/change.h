/*
 * change.h - checking a change record and splitting it by scope.
 *
 * A change record is {"id": "<uuid>", "changes": {field: value, …}}. Every
 * field must be mapped to a scope in the config and have a value of the
 * right kind for it (fields.h); the result is one changes object per scope,
 * each in canonical form, ready to become a scoped change record.
 */
#ifndef GCU_CHANGE_H
#define GCU_CHANGE_H

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"

/*
 * Checks record and fills out[scope] with a new changes object for each
 * scope it touches (NULL for a scope it does not). *id points into record.
 * Returns 0, or -1 with a message in err (out[] all NULL then): a missing
 * or non-UUID id, a missing or empty `changes`, an unknown key or field,
 * a value of the wrong kind.
 */
int gcu_change_split(const struct gcu_config *c, json_object *record, const char **id,
                     json_object *out[GCU_NSCOPES], char *err, size_t errlen);

/*
 * Folds the changes of from into into (same scope, same user). Fields
 * that only one side sets are taken; fields both set must hold the same
 * value, except routing maps, which merge entry by entry. Returns 0, or -1
 * with the first disagreeing field named in err (into is then partly
 * merged and should be dropped).
 */
int gcu_changes_fold(json_object *into, json_object *from, char *err, size_t errlen);

/* A scoped change record {"id","src","scope","changes"}; takes a
 * reference to changes. */
json_object *gcu_scoped_record(const char *id, const char *src, enum gcu_scope scope,
                               json_object *changes);

#endif
