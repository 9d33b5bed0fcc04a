/*
 * change.h - checking a change record and splitting it by scope.
 *
 * A change record is {"id": "<uuid>", "changes": {field: value, …}}, and
 * may carry "expect": {field: value, …} (expect.h). Every
 * field must be mapped to a scope in the config and have a value of the
 * right kind for it (fields.h); the result is one changes object per scope,
 * each in canonical form, ready to become a scoped change record.
 *
 * People name a user by other keys than the id: a change may say
 * {"email": "ann@x.com", "changes": …} (or username, employeeId). Such a
 * record is gcu-resolve's input; everything after it takes ids only, and
 * says so, with the way out, when it is given a name. gcu-resolve writes
 * the id and keeps what the change said in "key" ("email:ann@x.com") and
 * where it said it in "src".
 */
#ifndef GCU_CHANGE_H
#define GCU_CHANGE_H

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"

/* How a change names its user. */
enum gcu_key_kind {
	GCU_KEY_ID,          /* the user's UUID */
	GCU_KEY_EMAIL,       /* email, matched in any letter case */
	GCU_KEY_USERNAME,    /* username, matched in any letter case */
	GCU_KEY_EMPLOYEE_ID, /* employerInfo.employeeId, matched exactly */
	GCU_NKEYS
};

/* "id", "email", "username", "employeeId"; "" for anything else. */
const char *gcu_key_name(enum gcu_key_kind k);

/* The key kind named name (as gcu_key_name writes it), or -1. */
int gcu_key_parse(const char *name);

/*
 * Which user record names: exactly one member id, email, username or
 * employeeId, a non-empty string. Returns its kind, with *value pointing
 * into record, or -1 with why in err ("missing id", "names its user
 * twice: 'id' and 'email'", "email: expected a non-empty string"). The
 * value is not checked further (an id need not be a UUID here).
 */
int gcu_change_key(json_object *record, const char **value, char *err, size_t errlen);

/*
 * Checks record and fills out[scope] with a new changes object for each
 * scope it touches (NULL for a scope it does not), and, unless expect is
 * NULL, expect[scope] with its expected values in that scope (expect.h),
 * checked and canonical as the changes are (NULL for none). An expected
 * field must be in a scope the record changes. *id points into record.
 * Returns 0, or -1 with a message in err (out[] all NULL then): a missing
 * or non-UUID id, a user named by another key (with a hint to run
 * gcu-resolve), a missing or empty `changes`, an unknown key or field, a
 * value of the wrong kind, the same of an expected value, or one of a
 * scope the record does not change. The members src, scope and key are
 * accepted
 * (a stage's output can be fed back in) and not checked here.
 */
int gcu_change_split(const struct gcu_config *c, json_object *record, const char **id,
                     json_object *out[GCU_NSCOPES], json_object *expect[GCU_NSCOPES], char *err,
                     size_t errlen);

/*
 * Folds the changes of from into into (same scope, same user). Fields
 * that only one side sets are taken; fields both set must hold the same
 * value, except routing maps, which merge entry by entry. Returns 0, or -1
 * with the first disagreeing field named in err (into is then partly
 * merged and should be dropped).
 */
int gcu_changes_fold(json_object *into, json_object *from, char *err, size_t errlen);

/* A scoped change record {"id","src","key","scope","changes","expect"}
 * ("key" only when key is not NULL, "expect" when expect is not NULL);
 * takes a reference to changes and expect. */
json_object *gcu_scoped_record(const char *id, const char *src, const char *key,
                               enum gcu_scope scope, json_object *changes, json_object *expect);

#endif
